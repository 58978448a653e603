package smsmodetest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/smsq/smsq/smsmode"
)

const maxPseudo = 50 // newPseudo

// createSubAccount is createSubAccount.do.
func (c *call) createSubAccount() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	pseudo, pass := decodeLoose(c.get("newPseudo")), c.get("newPass")
	if pseudo == "" || pass == "" || utf8.RuneCountInString(pseudo) > maxPseudo {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.subAccounts[pseudo]; taken || s.accounts[pseudo] != "" {
		return c.fail(smsmode.CodeLoginConflict)
	}
	s.subAccounts[pseudo] = &SubAccount{
		Pseudo:    pseudo,
		Pass:      pass,
		Reference: decodeLoose(c.get("reference")),
		Params:    cloneValues(c.params),
	}
	s.subOrder = append(s.subOrder, pseudo)
	return c.done("")
}

// deleteSubAccount is deleteSubAccount.do (2.7 and 3.1; later editions
// dropped it, the real API still answers it).
func (c *call) deleteSubAccount() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	pseudo := decodeLoose(c.get("pseudoToDelete"))
	if pseudo == "" {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subAccounts[pseudo]; !ok {
		return c.fail(smsmode.CodeLoginConflict)
	}
	delete(s.subAccounts, pseudo)
	s.subOrder = slices.DeleteFunc(s.subOrder, func(p string) bool { return p == pseudo })
	return c.done("")
}

// creditTransfert is creditTransfert.do: whole credits to a sub-account.
func (c *call) creditTransfert() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	target := decodeLoose(c.get("targetPseudo"))
	amount, err := strconv.Atoi(strings.TrimSpace(c.get("creditAmount"))) // "Uniquement des nombres entiers !"
	if target == "" || err != nil || amount <= 0 {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subAccounts[target]
	if !ok {
		return c.fail(smsmode.CodeLoginConflict)
	}
	if float64(amount) > s.credit {
		return c.fail(smsmode.CodeInsufficientCredit)
	}
	s.credit -= float64(amount)
	sub.Credit += float64(amount)
	return c.done("")
}

// addContact is addContact.do; groupes names groups to join, created when
// missing, and usable by sendSMS.do's groupe afterwards.
func (c *call) addContact() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	name := decodeLoose(c.get("nom"))
	mobile, ok := normalizeNumber(c.get("mobile"))
	if name == "" || !ok {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	ct := Contact{
		LastName:  name,
		FirstName: decodeLoose(c.get("prenom")),
		Mobile:    mobile,
		Groups:    splitList(decodeLoose(c.get("groupes"))),
		Company:   decodeLoose(c.get("societe")),
		Other:     decodeLoose(c.get("other")),
		BirthDate: c.get("date"),
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts = append(s.contacts, ct)
	for _, g := range ct.Groups {
		s.addToGroupLocked(g, mobile)
	}
	return c.done("")
}

// createAuthorisation is http/2.0/createAuthorisation.do: a new 12-character
// access token, valid from now on. Dates are ddMMyyyy (the reference gives
// no format); the token expires after a year.
func (c *call) createAuthorisation() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	account := c.get("pseudo")
	if account == "" {
		account = c.get("username")
	}
	if account == "" {
		account = Pseudo
	}
	tok := s.newIDLocked()
	s.tokens[tok] = true
	const day = "02012006"
	now := c.now.In(s.loc)
	return jsonAnswer(http.StatusOK, smsmode.Authorisation{
		ID:           s.newIDLocked(),
		AccessToken:  tok,
		CreationDate: now.Format(day),
		State:        "ACTIVE",
		Expiration:   now.AddDate(1, 0, 0).Format(day),
		Account:      account,
	})
}
