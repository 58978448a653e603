package smsmodetest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSubAccounts(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := get(t, s, "createSubAccount.do", params("newPseudo", "bbbbb", "newPass", "yyyyyy", "reference", "ref-1", "nom", "Dupond"))
	require.Equal(t, "0 | Création effectuée", r.body)
	subs := s.SubAccounts()
	require.Len(t, subs, 1)
	require.Equal(t, "bbbbb", subs[0].Pseudo)
	require.Equal(t, "yyyyyy", subs[0].Pass)
	require.Equal(t, "ref-1", subs[0].Reference)
	require.Equal(t, "Dupond", subs[0].Params.Get("nom"))

	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"newPseudo", "bbbbb", "newPass", "z"}, "41 | Identifiant déjà existant"},
		{[]string{"newPseudo", Pseudo, "newPass", "z"}, "41 | Identifiant déjà existant"},
		{[]string{"newPseudo", "c"}, "35 | Paramètres incorrects"},
		{[]string{"newPass", "c"}, "35 | Paramètres incorrects"},
		{[]string{"newPseudo", strings.Repeat("p", 51), "newPass", "z"}, "35 | Paramètres incorrects"},
		{[]string{"accessToken", "x", "newPseudo", "c", "newPass", "z"}, "32 | Erreur d'authentification"},
	} {
		require.Equal(t, tc.want, post(t, s, "createSubAccount.do", params(tc.kv...)).body, tc.kv)
	}
	require.Equal(t, "0 | Création effectuée", post(t, s, "createSubAccount.do", params("newPseudo", strings.Repeat("p", 50), "newPass", "z")).body)

	require.Equal(t, "0 | Suppression effectuée", get(t, s, "deleteSubAccount.do", params("pseudoToDelete", "bbbbb")).body)
	require.Equal(t, "41 | Identifiant inexistant", get(t, s, "deleteSubAccount.do", params("pseudoToDelete", "bbbbb")).body)
	require.Equal(t, "35 | Paramètres incorrects", get(t, s, "deleteSubAccount.do", params()).body)
	require.Equal(t, "32 | Erreur d'authentification", get(t, s, "deleteSubAccount.do", params("accessToken", "x", "pseudoToDelete", "y")).body)
	require.Len(t, s.SubAccounts(), 1)
}

func TestCreditTransfert(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithCredit(20))
	require.Equal(t, "0 | Création effectuée", get(t, s, "createSubAccount.do", params("newPseudo", "bbbb", "newPass", "x")).body)
	require.Equal(t, "0 | Transfert effectué", get(t, s, "creditTransfert.do", params("targetPseudo", "bbbb", "creditAmount", "12", "reference", "blablabla")).body)
	require.Equal(t, 8.0, s.Credit())
	require.Equal(t, 12.0, s.SubAccounts()[0].Credit)

	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"targetPseudo", "bbbb", "creditAmount", "9"}, "33 | Crédits insuffisants"},
		{[]string{"targetPseudo", "nobody", "creditAmount", "1"}, "41 | Identifiant inexistant"},
		{[]string{"targetPseudo", "bbbb", "creditAmount", "1.5"}, "35 | Paramètres incorrects"},
		{[]string{"targetPseudo", "bbbb", "creditAmount", "0"}, "35 | Paramètres incorrects"},
		{[]string{"targetPseudo", "bbbb", "creditAmount", "-1"}, "35 | Paramètres incorrects"},
		{[]string{"targetPseudo", "bbbb"}, "35 | Paramètres incorrects"},
		{[]string{"creditAmount", "1"}, "35 | Paramètres incorrects"},
		{[]string{"accessToken", "x", "targetPseudo", "bbbb", "creditAmount", "1"}, "32 | Erreur d'authentification"},
	} {
		require.Equal(t, tc.want, post(t, s, "creditTransfert.do", params(tc.kv...)).body, tc.kv)
	}
	require.Equal(t, 8.0, s.Credit())
}

func TestAddContact(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := get(t, s, "addContact.do", params("nom", "Dupond", "prenom", "Jacques", "mobile", "0612345678", "groupes", "Groupe1,Groupe2",
		"societe", "Soci\xe9t\xe9", "other", "o", "date", "01011980"))
	require.Equal(t, "0 | Contact ajouté", r.body)
	require.Equal(t, []Contact{{
		LastName: "Dupond", FirstName: "Jacques", Mobile: "33612345678", Groups: []string{"Groupe1", "Groupe2"},
		Company: "Société", Other: "o", BirthDate: "01011980",
	}}, s.Contacts())
	g, ok := s.Group("Groupe2")
	require.True(t, ok)
	require.Equal(t, []string{"33612345678"}, g)

	require.Equal(t, "35 | Paramètre obligatoire manquant", get(t, s, "addContact.do", params("nom", "Dupond")).body)
	require.Equal(t, "35 | Paramètre obligatoire manquant", get(t, s, "addContact.do", params("mobile", "0612345678")).body)
	require.Equal(t, "35 | Paramètre obligatoire manquant", get(t, s, "addContact.do", params("nom", "D", "mobile", "12")).body)
	require.Equal(t, "32 | Erreur d'authentification", get(t, s, "addContact.do", params("accessToken", "x", "nom", "D", "mobile", "0612345678")).body)
}

func TestCreateAuthorisation(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	s := newServer(t, WithClock(fixedClock(time.Date(2019, 1, 21, 9, 0, 0, 0, loc))))
	base := strings.TrimSuffix(s.URL, "1.6/") + "2.0/createAuthorisation.do?"

	for _, auth := range []url.Values{
		{"username": {Pseudo}, "pass": {Pass}},
		{"pseudo": {Pseudo}, "pass": {Pass}},
		{"accessToken": {AccessToken}},
	} {
		res, err := http.Get(base + auth.Encode())
		require.NoError(t, err)
		var a struct {
			ID, AccessToken, CreationDate, State, Expiration, Account string
		}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&a))
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "application/json;charset=UTF-8", res.Header.Get("Content-Type"))
		require.Regexp(t, idPattern, a.AccessToken)
		require.NotEmpty(t, a.ID)
		require.Equal(t, "21012019", a.CreationDate)
		require.Equal(t, "21012020", a.Expiration)
		require.Equal(t, "ACTIVE", a.State)
		require.Equal(t, Pseudo, a.Account)

		// The new token works.
		require.Equal(t, "1000.0", get(t, s, "credit.do", url.Values{"accessToken": {a.AccessToken}}).body)
	}

	res, err := http.Post(base+"username=jean&pass=wrong", "", nil)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	var e map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&e))
	require.NotContains(t, e, "accessToken")
	require.Equal(t, map[string]any{"code": 32.0, "message": "Erreur d'authentification"}, e)

	// The 2.0 endpoint lives under /http/2.0/ only.
	res, err = http.Get(strings.TrimSuffix(base, "createAuthorisation.do?") + "sendSMS.do?" + params().Encode())
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	require.Equal(t, http.StatusNotFound, get(t, s, "createAuthorisation.do", params()).status)
}
