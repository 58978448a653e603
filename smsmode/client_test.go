package smsmode_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
)

// Integration tests: the client against the fake provider of
// smsmode/smsmodetest, endpoint by endpoint, with the documented error codes.

func newFake(t *testing.T, opts ...smsmodetest.Option) (*smsmodetest.Server, *smsmode.Client) {
	t.Helper()
	srv := smsmodetest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv, srv.Client()
}

func clientWith(t *testing.T, srv *smsmodetest.Server, mutate func(*smsmode.Config)) *smsmode.Client {
	t.Helper()
	cfg := srv.Config()
	mutate(&cfg)
	c, err := smsmode.NewClient(cfg)
	require.NoError(t, err)
	return c
}

func wantProviderError(t *testing.T, err error, endpoint string, code smsmode.Code) *smsmode.Error {
	t.Helper()
	var pe *smsmode.Error
	require.ErrorAs(t, err, &pe, "got %v", err)
	assert.Equal(t, endpoint, pe.Endpoint)
	assert.Equal(t, code, pe.Code, "%v", err)
	assert.NotEmpty(t, pe.Description)
	assert.True(t, strings.HasPrefix(err.Error(), "smsmode: "+endpoint+": code "+code.String()+" "), err.Error())
	switch code {
	case smsmode.CodeTemporarilyUnavailable:
		assert.True(t, smsmode.IsTemporary(err))
		assert.False(t, smsmode.IsPermanent(err))
	case smsmode.CodeInternalError:
		assert.True(t, smsmode.IsInternal(err))
		assert.False(t, smsmode.IsPermanent(err))
		assert.False(t, smsmode.IsTemporary(err))
	default:
		assert.True(t, smsmode.IsPermanent(err))
		assert.False(t, smsmode.IsTemporary(err))
	}
	// Only 31 leaves the outcome unknown, and only where a request acts.
	readOnly := map[string]bool{"compteRendu.do": true, "smsStatus.do": true, "credit.do": true, "smsList.do": true, "responseList.do": true}
	assert.Equal(t, code == smsmode.CodeInternalError && !readOnly[endpoint], smsmode.IsAmbiguous(err), "%v", err)
	return pe
}

func TestFakeSendSMS(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()

	res, err := c.SendSMS(ctx, &smsmode.SMS{
		Numbers:   []string{"0612345678", "+33698765432"},
		Message:   "Café à 10€, {ok}",
		Sender:    "MYSHOP",
		RefClient: "order-42",
		MaxParts:  2,
		Stop:      smsmode.StopIfFree,
	})
	require.NoError(t, err)
	require.NotEmpty(t, res.SMSID)
	assert.Contains(t, res.Description, "Accepté")

	m, ok := srv.Message(res.SMSID)
	require.True(t, ok)
	assert.Equal(t, "sendSMS.do", m.Endpoint)
	assert.Equal(t, []string{"33612345678", "33698765432"}, m.Numbers)
	assert.True(t, strings.HasPrefix(m.Text, "Café à 10€, {ok}"), "the handset shows the accents, not \"?\": %q", m.Text)
	assert.Contains(t, m.Text, "STOP", "stop=1 and a short text: mention added")
	assert.Equal(t, []byte("Caf\xe9 \xe0 10\xa4, {ok}"), m.Raw)
	assert.Equal(t, 2, m.Class)
	assert.False(t, m.Unicode)
	assert.Equal(t, "MYSHOP", m.Sender)
	assert.Equal(t, "order-42", m.RefClient)
	assert.Equal(t, 2, m.MaxParts)
	assert.Equal(t, 1, m.Stop)
	assert.False(t, m.Truncated)
	assert.Equal(t, 1, m.Segments)
	assert.Equal(t, float64(2), m.Cost)
	assert.Equal(t, float64(smsmodetest.DefaultCredit-2), srv.Credit())

	// Every request carried its credentials in the body only.
	for _, r := range srv.Requests() {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.NotContains(t, r.URL, smsmodetest.AccessToken)
		assert.NotContains(t, r.URL, "?")
	}
}

func TestFakeSendUnicodeAndReply(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	res, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "Merci 😀 ☺ ç", Class: smsmode.ClassUnicode})
	require.NoError(t, err)
	m, _ := srv.Message(res.SMSID)
	assert.True(t, m.Unicode)
	assert.Equal(t, 9, m.Class)
	assert.Equal(t, "Merci 😀 ☺ ç", m.Text)

	res, err = c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "Répondez OUI ou NON", Class: smsmode.ClassReply})
	require.NoError(t, err)
	m, _ = srv.Message(res.SMSID)
	assert.Equal(t, 4, m.Class)
}

func TestFakeManyRecipients(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	nums := make([]string, 350)
	for i := range nums {
		nums[i] = "336" + strconv.Itoa(10000000+i)
	}
	res, err := c.SendSMS(context.Background(), &smsmode.SMS{Numbers: nums, Message: "Promo"})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.RequestCount("sendSMS.do"), "one POST for 350 recipients")
	m, _ := srv.Message(res.SMSID)
	assert.Len(t, m.Numbers, 350)
	assert.Equal(t, float64(350), m.Cost)
}

func TestFakeGroup(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	// ASCII name: the fake compares groupe's raw bytes with the UTF-8 name
	// given to AddGroup, while the client sends groupe in ISO-8859-15 like
	// every other text parameter of a GSM request.
	srv.AddGroup("Clients-VIP", "0611111111", "33622222222")
	res, err := c.SendSMS(context.Background(), &smsmode.SMS{Group: "Clients-VIP", Message: "Soldes"})
	require.NoError(t, err)
	m, _ := srv.Message(res.SMSID)
	assert.Equal(t, "Clients-VIP", m.Group)
	assert.ElementsMatch(t, []string{"33611111111", "33622222222"}, m.Numbers)
}

func TestFakeScheduledAndDelete(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	paris := smsmode.DefaultLocation()
	at := time.Now().In(paris).Add(48 * time.Hour).Truncate(time.Minute)
	res, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "Rappel RDV", SendAt: at})
	require.NoError(t, err)
	m, _ := srv.Message(res.SMSID)
	assert.True(t, m.Scheduled())
	assert.True(t, m.SendAt.Equal(at), "date_envoi %v, want %v", m.SendAt, at)

	st, err := c.SMSStatus(ctx, res.SMSID)
	require.NoError(t, err)
	assert.Equal(t, smsmode.StatusScheduled, st.Status)
	credit := srv.Credit()

	require.NoError(t, c.DeleteSMS(ctx, res.SMSID))
	m, _ = srv.Message(res.SMSID)
	assert.True(t, m.Deleted)
	assert.Greater(t, srv.Credit(), credit, "a cancelled scheduled SMS is refunded")

	wantProviderError(t, c.DeleteSMS(ctx, res.SMSID), "deleteSMS.do", smsmode.CodeNotFound)
	_, err = c.SMSStatus(ctx, res.SMSID)
	wantProviderError(t, err, "smsStatus.do", smsmode.CodeNotFound)

	// By number: the most recent SMS to it.
	first, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33600000001"}, Message: "un", SendAt: at})
	require.NoError(t, err)
	second, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33600000001"}, Message: "deux", SendAt: at})
	require.NoError(t, err)
	require.NoError(t, c.DeleteSMSByNumber(ctx, "+33600000001"))
	m1, _ := srv.Message(first.SMSID)
	m2, _ := srv.Message(second.SMSID)
	assert.False(t, m1.Deleted)
	assert.True(t, m2.Deleted)
	wantProviderError(t, c.DeleteSMSByNumber(ctx, "33699999999"), "deleteSMS.do", smsmode.CodeNotFound)
	// The fake refuses a number too short to be one: 35.
	wantProviderError(t, c.DeleteSMSByNumber(ctx, "1234"), "deleteSMS.do", smsmode.CodeInvalidParameter)
}

func TestFakeScheduledAcrossDST(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	paris := smsmode.DefaultLocation()
	for _, at := range []time.Time{
		time.Date(2030, 3, 31, 1, 59, 0, 0, paris),  // just before spring forward
		time.Date(2030, 3, 31, 3, 0, 0, 0, paris),   // just after
		time.Date(2030, 10, 27, 1, 30, 0, 0, paris), // before fall back
		time.Date(2030, 7, 1, 23, 45, 0, 0, time.UTC),
	} {
		res, err := c.SendSMS(context.Background(), &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x", SendAt: at})
		require.NoError(t, err)
		m, _ := srv.Message(res.SMSID)
		assert.True(t, m.SendAt.Equal(at), "%v: fake read %v", at, m.SendAt)
	}
}

func TestFakeVoice(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	res, err := c.SendVoice(context.Background(), &smsmode.Voice{
		Numbers: []string{"33612345678"}, Message: "Votre colis est arrivé", Title: "Société Dupont", Language: "fr-FR",
	})
	require.NoError(t, err)
	m, ok := srv.Message(res.SMSID)
	require.True(t, ok)
	assert.Equal(t, "sendVoiceMessage.do", m.Endpoint)
	assert.Equal(t, "Votre colis est arrivé", m.Text)
	assert.Equal(t, "Société Dupont", m.Title)
	assert.Equal(t, "fr-FR", m.Language)
}

func TestFakeBatch(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	res, err := c.SendBatch(context.Background(), &smsmode.Batch{
		Rows: []smsmode.BatchRow{
			{Number: "33611111111", Message: "Bonjour Hélène, 12€", Sender: "RDV", RefClient: "r1"},
			{Number: "0622222222", Message: "Ligne 1\nLigne 2, \"citée\""},
			{Number: "33633333333", Message: "Troisième", Sender: "TOTO", RefClient: "r3"},
		},
		RefClient: "batch-1",
		Sender:    "MYSHOP",
	})
	require.NoError(t, err)
	rows := srv.Campaign(res.SMSID)
	require.Len(t, rows, 3)
	assert.Equal(t, "sendSMSBatch.do", rows[0].Endpoint)
	assert.Equal(t, res.SMSID, rows[0].CampaignID)
	assert.Equal(t, []string{"33611111111"}, rows[0].Numbers)
	assert.Equal(t, "Bonjour Hélène, 12€", rows[0].Text)
	assert.Equal(t, "RDV", rows[0].Sender)
	assert.Equal(t, "r1", rows[0].RefClient)
	assert.Equal(t, "Ligne 1\nLigne 2, \"citée\"", rows[1].Text)
	assert.Equal(t, []string{"33622222222"}, rows[1].Numbers)
	assert.Equal(t, "TOTO", rows[2].Sender)

	// Delivery reports by campagneID.
	require.NoError(t, srv.Deliver(res.SMSID, "33611111111", smsmode.StatusReceived))
	rs, err := c.DeliveryReport(context.Background(), res.SMSID)
	require.NoError(t, err)
	assert.Contains(t, rs, smsmode.RecipientStatus{Number: "33611111111", Status: smsmode.StatusReceived})
}

func TestFakeReportsAndStatus(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	res, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33611111111", "33622222222"}, Message: "x"})
	require.NoError(t, err)

	rs, err := c.DeliveryReport(ctx, res.SMSID)
	require.NoError(t, err)
	assert.Equal(t, []smsmode.RecipientStatus{{Number: "33611111111", Status: 0}, {Number: "33622222222", Status: 0}}, rs)

	require.NoError(t, srv.Deliver(res.SMSID, "33611111111", smsmode.StatusReceived))
	require.NoError(t, srv.Deliver(res.SMSID, "0622222222", smsmode.StatusDeliveredToOperator))
	rs, err = c.DeliveryReport(ctx, res.SMSID)
	require.NoError(t, err)
	assert.Equal(t, []smsmode.RecipientStatus{{Number: "33611111111", Status: 11}, {Number: "33622222222", Status: 13}}, rs)
	assert.True(t, rs[0].Status.Final())
	assert.False(t, rs[1].Status.Final())

	// No delivery report was asked for (notification_url): smsStatus.do
	// shows 11 and 13 "seulement si compte-rendu a été sélectionné".
	st, err := c.SMSStatus(ctx, res.SMSID)
	require.NoError(t, err)
	assert.Equal(t, smsmode.StatusSent, st.Status)
	assert.Equal(t, "Envoyé", st.Description)

	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	res, err = c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33611111111", "33622222222"}, Message: "x", NotificationURL: hook.URL})
	require.NoError(t, err)
	require.NoError(t, srv.Deliver(res.SMSID, "33611111111", smsmode.StatusReceived))
	require.NoError(t, srv.Deliver(res.SMSID, "0622222222", smsmode.StatusDeliveredToOperator))
	st, err = c.SMSStatus(ctx, res.SMSID)
	require.NoError(t, err)
	assert.Equal(t, smsmode.StatusPartiallyReceived, st.Status)
	assert.NotEmpty(t, st.Description)

	_, err = c.DeliveryReport(ctx, "unknownID123")
	wantProviderError(t, err, "compteRendu.do", smsmode.CodeNotFound)
	_, err = c.SMSStatus(ctx, "unknownID123")
	wantProviderError(t, err, "smsStatus.do", smsmode.CodeNotFound)
}

func TestFakeAutoDeliveryCallbacks(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		reports []*smsmode.DeliveryReportCallback
		replies []*smsmode.ReplyCallback
		errs    []error
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/dr":
			dr, err := smsmode.ParseDeliveryReport(r.URL.Query(), nil)
			if err != nil {
				errs = append(errs, err)
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			reports = append(reports, dr)
		case "/mo":
			mo, err := smsmode.ParseReply(r.URL.Query(), nil)
			if err != nil {
				errs = append(errs, err)
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			replies = append(replies, mo)
		}
	}))
	defer hook.Close()

	srv, c := newFake(t, smsmodetest.WithAutoDelivery(smsmode.StatusDeliveredToOperator, smsmode.StatusReceived))
	res, err := c.SendSMS(context.Background(), &smsmode.SMS{
		Numbers: []string{"33612345678"}, Message: "Oui ou non ?", Class: smsmode.ClassReply, RefClient: "task-7",
		NotificationURL: hook.URL + "/dr?tenant=a", ReplyURL: hook.URL + "/mo",
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(reports) == 2
	}, 5*time.Second, 10*time.Millisecond)

	_, err = srv.Reply(res.SMSID, "33612345678", "Très bien 👍")
	require.NoError(t, err)

	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, errs)
	assert.Equal(t, smsmode.StatusDeliveredToOperator, reports[0].Status)
	assert.Equal(t, smsmode.StatusReceived, reports[1].Status)
	for _, dr := range reports {
		assert.Equal(t, "33612345678", dr.Number)
		assert.Equal(t, res.SMSID, dr.SMSID)
		assert.Equal(t, "task-7", dr.RefClient)
		assert.WithinDuration(t, time.Now(), dr.ReceivedAt, time.Minute, "callback dates are Paris time")
	}
	require.Len(t, replies, 1)
	assert.Equal(t, "Très bien 👍", replies[0].Message)
	assert.Equal(t, "33612345678", replies[0].From)
	assert.Equal(t, smsmodetest.ShortCode, replies[0].To)
	assert.Equal(t, res.SMSID, replies[0].SMSID)
	assert.Equal(t, "task-7", replies[0].RefClient)
	assert.NotEmpty(t, replies[0].ResponseID)
	assert.WithinDuration(t, time.Now(), replies[0].ReceivedAt, time.Minute)
}

func TestFakeCredit(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, smsmodetest.WithCredit(212.5))
	ctx := context.Background()
	v, err := c.Credit(ctx)
	require.NoError(t, err)
	assert.Equal(t, 212.5, v)
	srv.SetCredit(-3)
	v, err = c.Credit(ctx)
	require.NoError(t, err)
	assert.Equal(t, float64(-3), v)
}

func TestFakeSMSList(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	texts := []string{"premier", "deuxième | avec pipe", "troisième\nsur deux lignes", "quatrième €"}
	ids := make([]string, len(texts))
	for i, tx := range texts {
		res, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"3361111111" + strconv.Itoa(i)}, Message: tx})
		require.NoError(t, err)
		ids[i] = res.SMSID
	}
	rows, err := c.SMSList(ctx, smsmode.ListOptions{})
	require.NoError(t, err)
	require.Len(t, rows, 4)
	for i, r := range rows { // most recent first
		j := len(texts) - 1 - i
		assert.Equal(t, ids[j], r.SMSID)
		assert.Equal(t, texts[j], r.Text)
		assert.Equal(t, "3361111111"+strconv.Itoa(j), r.Number)
		assert.Equal(t, 1, r.Recipients)
		assert.Equal(t, float64(1), r.Cost)
		assert.WithinDuration(t, time.Now(), r.SentAt, 2*time.Minute)
		assert.Equal(t, "Europe/Paris", r.SentAt.Location().String())
	}
	rows, err = c.SMSList(ctx, smsmode.ListOptions{Start: 1, Offset: 2})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, ids[2], rows[0].SMSID)
	assert.Equal(t, ids[1], rows[1].SMSID)

	_ = srv
}

func TestFakeResponses(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	res, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33611111111", "33622222222"}, Message: "Venez-vous ?", Class: smsmode.ClassReply})
	require.NoError(t, err)
	texts := []string{"oui", "non | peut-être", "Très bien", "d'accord"}
	var ids []string
	for i, tx := range texts {
		from := "33611111111"
		if i%2 == 1 {
			from = "0622222222"
		}
		id, err := srv.Reply(res.SMSID, from, tx)
		require.NoError(t, err)
		ids = append(ids, id)
	}

	all, err := c.Responses(ctx, smsmode.ResponseQuery{})
	require.NoError(t, err)
	require.Len(t, all, 4)
	for i, r := range all { // most recent first
		j := len(texts) - 1 - i
		assert.Equal(t, ids[j], r.ID)
		assert.Equal(t, texts[j], r.Text)
		assert.Equal(t, res.SMSID, r.SMSID)
		assert.Equal(t, smsmodetest.ShortCode, r.To)
		assert.WithinDuration(t, time.Now(), r.ReceivedAt, 2*time.Minute)
	}
	assert.Equal(t, "33622222222", all[0].From)

	page, err := c.Responses(ctx, smsmode.ResponseQuery{Start: 1, Offset: 2})
	require.NoError(t, err)
	require.Len(t, page, 2)
	assert.Equal(t, ids[2], page[0].ID)
	assert.Equal(t, ids[1], page[1].ID)

	now := time.Now()
	byDate, err := c.Responses(ctx, smsmode.ResponseQuery{From: now.Add(-time.Hour), Until: now.Add(time.Hour)})
	require.NoError(t, err)
	assert.Len(t, byDate, 4)
	none, err := c.Responses(ctx, smsmode.ResponseQuery{From: now.Add(-48 * time.Hour), Until: now.Add(-24 * time.Hour)})
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestFakeAccounts(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	sub := smsmode.SubAccount{Pseudo: "filiale", Pass: "p4ss", Reference: "ref", LastName: "Dupond", FirstName: "Jérôme", City: "Marseille"}
	require.NoError(t, c.CreateSubAccount(ctx, sub))
	subs := srv.SubAccounts()
	require.Len(t, subs, 1)
	assert.Equal(t, "filiale", subs[0].Pseudo)
	assert.Equal(t, "p4ss", subs[0].Pass)
	assert.Equal(t, "ref", subs[0].Reference)

	wantProviderError(t, c.CreateSubAccount(ctx, sub), "createSubAccount.do", smsmode.CodeLoginConflict)

	require.NoError(t, c.TransferCredit(ctx, smsmode.CreditTransfer{Target: "filiale", Amount: 12, Reference: "t1"}))
	assert.Equal(t, float64(12), srv.SubAccounts()[0].Credit)
	assert.Equal(t, float64(smsmodetest.DefaultCredit-12), srv.Credit())
	wantProviderError(t, c.TransferCredit(ctx, smsmode.CreditTransfer{Target: "inconnu", Amount: 1}), "creditTransfert.do", smsmode.CodeLoginConflict)
	wantProviderError(t, c.TransferCredit(ctx, smsmode.CreditTransfer{Target: "filiale", Amount: 1_000_000}), "creditTransfert.do", smsmode.CodeInsufficientCredit)

	require.NoError(t, c.DeleteSubAccount(ctx, "filiale"))
	assert.Empty(t, srv.SubAccounts())
	wantProviderError(t, c.DeleteSubAccount(ctx, "filiale"), "deleteSubAccount.do", smsmode.CodeLoginConflict)

	require.NoError(t, c.AddContact(ctx, smsmode.Contact{LastName: "Dupond", FirstName: "Jacques", Mobile: "0612345678", Groups: []string{"Groupe1", "Groupe2"}, Company: "ACME"}))
	cs := srv.Contacts()
	require.Len(t, cs, 1)
	assert.Equal(t, "Dupond", cs[0].LastName)
	assert.Equal(t, "33612345678", cs[0].Mobile)
	assert.Equal(t, []string{"Groupe1", "Groupe2"}, cs[0].Groups)
	members, ok := srv.Group("Groupe1")
	assert.True(t, ok)
	assert.Contains(t, members, "33612345678")
}

func TestFakeCreateAuthorisation(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	a, err := c.CreateAuthorisation(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, a.AccessToken)
	assert.Equal(t, "ACTIVE", a.State)
	assert.NotContains(t, a.String(), a.AccessToken)

	// The new token works.
	c2 := clientWith(t, srv, func(cfg *smsmode.Config) { cfg.AccessToken = a.AccessToken })
	_, err = c2.Credit(ctx)
	require.NoError(t, err)

	// With the 2.7 login/password.
	c3 := clientWith(t, srv, func(cfg *smsmode.Config) {
		cfg.AccessToken, cfg.Pseudo, cfg.Pass = "", smsmodetest.Pseudo, smsmodetest.Pass
	})
	a3, err := c3.CreateAuthorisation(ctx)
	require.NoError(t, err)
	assert.Equal(t, smsmodetest.Pseudo, a3.Account)
	assert.Equal(t, "/http/2.0/createAuthorisation.do", lastPath(t, srv, "createAuthorisation.do"))

	// Errors are JSON with an HTTP error status.
	bad := clientWith(t, srv, func(cfg *smsmode.Config) { cfg.AccessToken = "WrongToken99" })
	_, err = bad.CreateAuthorisation(ctx)
	var he *smsmode.HTTPError
	require.ErrorAs(t, err, &he, "got %v", err)
	assert.Equal(t, http.StatusUnauthorized, he.StatusCode)
	assert.NotEmpty(t, he.Description)
	assert.True(t, smsmode.IsPermanent(err))
	assert.NotContains(t, err.Error(), "WrongToken99")

	for code, status := range map[smsmode.Code]int{31: 500, 32: 401, 35: 400, 50: 503} {
		srv.FailNext("createAuthorisation.do", code, 1)
		_, err := c.CreateAuthorisation(ctx)
		require.ErrorAs(t, err, &he, "code %d", code)
		assert.Equal(t, status, he.StatusCode)
		assert.Equal(t, status >= 500, smsmode.IsTemporary(err), "code %d", code)
		assert.Equal(t, status < 500, smsmode.IsPermanent(err), "code %d", code)
	}
}

func lastPath(t *testing.T, srv *smsmodetest.Server, endpoint string) string {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Endpoint == endpoint {
			u, err := url.Parse(reqs[i].URL)
			require.NoError(t, err)
			return u.Path
		}
	}
	t.Fatalf("no request to %s", endpoint)
	return ""
}

// endpointCall runs one operation of the client that reaches endpoint.
type endpointCall struct {
	endpoint string
	codes    []smsmode.Code // documented error codes (plus 32 where the live API answers it)
	run      func(ctx context.Context, c *smsmode.Client, live string) error
}

func endpointCalls() []endpointCall {
	sms := func(class smsmode.Class) *smsmode.SMS {
		return &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "Bonjour", Class: class}
	}
	return []endpointCall{
		{"sendSMS.do", []smsmode.Code{31, 32, 33, 35, 50}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			_, err := c.SendSMS(ctx, sms(0))
			return err
		}},
		{"sendSMS.do", []smsmode.Code{31, 32, 33, 35, 50}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			_, err := c.SendSMS(ctx, sms(smsmode.ClassUnicode))
			return err
		}},
		{"sendVoiceMessage.do", []smsmode.Code{31, 32, 33, 35, 50}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			_, err := c.SendVoice(ctx, &smsmode.Voice{Numbers: []string{"33612345678"}, Message: "Bonjour"})
			return err
		}},
		{"sendSMSBatch.do", []smsmode.Code{31, 32, 33, 35, 50}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			_, err := c.SendBatch(ctx, &smsmode.Batch{Rows: []smsmode.BatchRow{{Number: "33612345678", Message: "Bonjour"}}})
			return err
		}},
		{"compteRendu.do", []smsmode.Code{31, 32, 35, 61}, func(ctx context.Context, c *smsmode.Client, id string) error {
			_, err := c.DeliveryReport(ctx, id)
			return err
		}},
		{"smsStatus.do", []smsmode.Code{31, 32, 35, 61}, func(ctx context.Context, c *smsmode.Client, id string) error {
			_, err := c.SMSStatus(ctx, id)
			return err
		}},
		{"credit.do", []smsmode.Code{31, 32}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			_, err := c.Credit(ctx)
			return err
		}},
		{"smsList.do", []smsmode.Code{31, 32, 35}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			_, err := c.SMSList(ctx, smsmode.ListOptions{Offset: 10})
			return err
		}},
		{"deleteSMS.do", []smsmode.Code{31, 32, 35, 61}, func(ctx context.Context, c *smsmode.Client, id string) error {
			return c.DeleteSMS(ctx, id)
		}},
		{"responseList.do", []smsmode.Code{32, 35}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			_, err := c.Responses(ctx, smsmode.ResponseQuery{})
			return err
		}},
		{"createSubAccount.do", []smsmode.Code{31, 32, 35, 41}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			return c.CreateSubAccount(ctx, smsmode.SubAccount{Pseudo: "sub-" + strconv.FormatInt(time.Now().UnixNano(), 36), Pass: "x"})
		}},
		{"deleteSubAccount.do", []smsmode.Code{31, 32, 35, 41}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			return c.DeleteSubAccount(ctx, "nobody")
		}},
		{"creditTransfert.do", []smsmode.Code{31, 32, 33, 35, 41}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			return c.TransferCredit(ctx, smsmode.CreditTransfer{Target: "nobody", Amount: 1})
		}},
		{"addContact.do", []smsmode.Code{31, 32}, func(ctx context.Context, c *smsmode.Client, _ string) error {
			return c.AddContact(ctx, smsmode.Contact{LastName: "Dupond", Mobile: "0612345678"})
		}},
	}
}

// TestFakeEveryDocumentedCode scripts each documented code of each
// endpoint and checks the typed error and its classification.
func TestFakeEveryDocumentedCode(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	live, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33600000000"}, Message: "live"})
	require.NoError(t, err)
	for _, ec := range endpointCalls() {
		for _, code := range ec.codes {
			t.Run(ec.endpoint+"/"+code.String(), func(t *testing.T) {
				srv.FailNext(ec.endpoint, code, 1)
				err := ec.run(ctx, c, live.SMSID)
				pe := wantProviderError(t, err, ec.endpoint, code)
				assert.NotContains(t, err.Error(), smsmodetest.AccessToken)
				_ = pe
			})
		}
	}
}

// TestFakeRealErrorConditions produces the codes the way production does.
func TestFakeRealErrorConditions(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	live, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33600000000"}, Message: "live"})
	require.NoError(t, err)

	t.Run("wrong token is 32 everywhere", func(t *testing.T) {
		bad := clientWith(t, srv, func(cfg *smsmode.Config) { cfg.AccessToken = "WrongToken99" })
		for _, ec := range endpointCalls() {
			err := ec.run(ctx, bad, live.SMSID)
			wantProviderError(t, err, ec.endpoint, smsmode.CodeAuthentication)
			assert.NotContains(t, err.Error(), "WrongToken99")
		}
	})
	t.Run("wrong password is 32", func(t *testing.T) {
		bad := clientWith(t, srv, func(cfg *smsmode.Config) {
			cfg.AccessToken, cfg.Pseudo, cfg.Pass = "", smsmodetest.Pseudo, "wrong-password"
		})
		_, err := bad.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"})
		wantProviderError(t, err, "sendSMS.do", smsmode.CodeAuthentication)
		assert.NotContains(t, err.Error(), "wrong-password")
		good := clientWith(t, srv, func(cfg *smsmode.Config) {
			cfg.AccessToken, cfg.Pseudo, cfg.Pass = "", smsmodetest.Pseudo, smsmodetest.Pass
		})
		_, err = good.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"})
		require.NoError(t, err)
	})
	t.Run("no credit is 33", func(t *testing.T) {
		srv.SetCredit(0)
		defer srv.SetCredit(smsmodetest.DefaultCredit)
		_, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"})
		wantProviderError(t, err, "sendSMS.do", smsmode.CodeInsufficientCredit)
		_, err = c.SendVoice(ctx, &smsmode.Voice{Numbers: []string{"33612345678"}, Message: "x"})
		wantProviderError(t, err, "sendVoiceMessage.do", smsmode.CodeInsufficientCredit)
		_, err = c.SendBatch(ctx, &smsmode.Batch{Rows: []smsmode.BatchRow{{Number: "33612345678", Message: "x"}}})
		wantProviderError(t, err, "sendSMSBatch.do", smsmode.CodeInsufficientCredit)
	})
	t.Run("unknown group is refused", func(t *testing.T) {
		_, err := c.SendSMS(ctx, &smsmode.SMS{Group: "nobody", Message: "x"})
		var pe *smsmode.Error
		require.ErrorAs(t, err, &pe)
		assert.True(t, smsmode.IsPermanent(err))
	})
	t.Run("unknown smsID is 61", func(t *testing.T) {
		_, err := c.DeliveryReport(ctx, "nope")
		wantProviderError(t, err, "compteRendu.do", smsmode.CodeNotFound)
		_, err = c.SMSStatus(ctx, "nope")
		wantProviderError(t, err, "smsStatus.do", smsmode.CodeNotFound)
		wantProviderError(t, c.DeleteSMS(ctx, "nope"), "deleteSMS.do", smsmode.CodeNotFound)
	})
	t.Run("failing number", func(t *testing.T) {
		srv.FailNumber("33699999999", smsmode.CodeInternalError)
		defer srv.ClearFaults()
		_, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"0699999999"}, Message: "x"})
		wantProviderError(t, err, "sendSMS.do", smsmode.CodeInternalError)
	})
	t.Run("revoked token", func(t *testing.T) {
		srv.RevokeAccessToken(smsmodetest.AccessToken)
		_, err := c.Credit(ctx)
		wantProviderError(t, err, "credit.do", smsmode.CodeAuthentication)
	})
}

func TestFakeTransportFaults(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	send := func(cl *smsmode.Client) error {
		_, err := cl.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"})
		return err
	}

	srv.FailHTTP("sendSMS.do", http.StatusBadGateway, 1)
	err := send(c)
	var he *smsmode.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 502, he.StatusCode)
	assert.True(t, smsmode.IsTemporary(err))
	assert.True(t, smsmode.IsAmbiguous(err), "a 502 does not prove the send was refused")
	assert.Len(t, srv.Messages(), 0, "this one was not processed")

	srv.FailHTTP("sendSMS.do", http.StatusTooManyRequests, 1)
	err = send(c)
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 429, he.StatusCode)
	assert.Equal(t, time.Second, he.RetryAfter)
	assert.True(t, smsmode.IsTemporary(err))

	srv.FailHTTP("sendSMS.do", http.StatusBadRequest, 1)
	err = send(c)
	require.ErrorAs(t, err, &he)
	assert.True(t, smsmode.IsPermanent(err))

	// Dropped without processing: the client cannot know; it wrote the request.
	before := len(srv.Messages())
	srv.DropNext("sendSMS.do", 1)
	err = send(c)
	var te *smsmode.TransportError
	require.ErrorAs(t, err, &te, "got %v", err)
	assert.True(t, smsmode.IsTemporary(err))
	assert.True(t, smsmode.IsAmbiguous(err))
	assert.Len(t, srv.Messages(), before)

	// Accepted, then the answer is lost: the ambiguous case a retry must not repeat.
	srv.DropAfterAccept("sendSMS.do", 1)
	err = send(c)
	require.ErrorAs(t, err, &te, "got %v", err)
	assert.True(t, smsmode.IsTemporary(err))
	assert.True(t, smsmode.IsAmbiguous(err))
	assert.Len(t, srv.Messages(), before+1, "the provider did accept it")

	// Slower than the client's timeout.
	fast := clientWith(t, srv, func(cfg *smsmode.Config) { cfg.Timeout = 100 * time.Millisecond })
	srv.SetLatency(2 * time.Second)
	err = send(fast)
	srv.SetLatency(0)
	require.ErrorAs(t, err, &te, "got %v", err)
	assert.True(t, te.Timeout())
	assert.True(t, errors.Is(err, context.DeadlineExceeded))
	assert.True(t, smsmode.IsTemporary(err))
	assert.True(t, smsmode.IsAmbiguous(err))

	// Non-send endpoints get the same treatment.
	srv.FailHTTP("credit.do", http.StatusServiceUnavailable, 1)
	_, err = c.Credit(ctx)
	require.ErrorAs(t, err, &he)
	assert.True(t, smsmode.IsTemporary(err))
	assert.Equal(t, time.Second, he.RetryAfter)

	// The fault is consumed: the next call works.
	require.NoError(t, send(c))
}

func TestFakeConcurrentSends(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, smsmodetest.WithCredit(1e6))
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.SendSMS(context.Background(), &smsmode.SMS{Numbers: []string{"336" + strconv.Itoa(10000000+i)}, Message: "x"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, srv.Messages(), 200)
}
