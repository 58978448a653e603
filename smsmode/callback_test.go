package smsmode

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func query(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	require.NoError(t, err)
	return v
}

func TestParseDeliveryReport(t *testing.T) {
	t.Parallel()
	v := query(t, "numero=336xxyyzzaa&date_reception=2010-03-25+09%3A52%3A17&statut=11&smsID=S7EpYZ5kmS87&refClient=12azer34")
	_, err := ParseDeliveryReport(v, nil)
	var ce *CallbackError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "numero", ce.Field)

	v = query(t, "numero=33612345678&date_reception=2010-03-25+09%3A52%3A17&statut=11&smsID=S7EpYZ5kmS87&refClient=12azer34&mcc_mnc=20801&cost=1")
	dr, err := ParseDeliveryReport(v, nil)
	require.NoError(t, err)
	assert.Equal(t, &DeliveryReportCallback{
		Number: "33612345678", ReceivedAt: time.Date(2010, 3, 25, 9, 52, 17, 0, paris),
		Status: StatusReceived, SMSID: "S7EpYZ5kmS87", RefClient: "12azer34", MCCMNC: "20801", Cost: "1",
	}, dr)
	assert.Equal(t, "2010-03-25T09:52:17+01:00", dr.ReceivedAt.Format(time.RFC3339))

	// Summer time, the reply format, an explicit location, a "+" number.
	v = query(t, "numero=%2B33612345678&date_reception=25072024-183000&statut=3501&smsID=abc")
	dr, err = ParseDeliveryReport(v, time.UTC)
	require.NoError(t, err)
	assert.Equal(t, "33612345678", dr.Number)
	assert.Equal(t, time.Date(2024, 7, 25, 18, 30, 0, 0, time.UTC), dr.ReceivedAt)
	assert.Equal(t, StatusTemporaryOperator, dr.Status)
	assert.Empty(t, dr.RefClient)

	v = query(t, "numero=33612345678&date_reception=2024-07-25T18:30:00Z&statut=11&smsID=abc")
	dr, err = ParseDeliveryReport(v, nil)
	require.NoError(t, err)
	assert.True(t, dr.ReceivedAt.Equal(time.Date(2024, 7, 25, 18, 30, 0, 0, time.UTC)))
	assert.Equal(t, "2024-07-25T20:30:00+02:00", dr.ReceivedAt.Format(time.RFC3339))

	bad := []struct{ q, field, reason string }{
		{"date_reception=2010-03-25+09:52:17&statut=11&smsID=a", "numero", "missing"},
		{"numero=&date_reception=2010-03-25+09:52:17&statut=11&smsID=a", "numero", "missing"},
		{"numero=33612345678&statut=11&smsID=a", "date_reception", "missing"},
		{"numero=33612345678&date_reception=yesterday&statut=11&smsID=a", "date_reception", "not a date"},
		{"numero=33612345678&date_reception=2010-13-25+09:52:17&statut=11&smsID=a", "date_reception", "not a date"},
		{"numero=33612345678&date_reception=2010-03-25+09:52:17&smsID=a", "statut", "missing"},
		{"numero=33612345678&date_reception=2010-03-25+09:52:17&statut=eleven&smsID=a", "statut", "not a number"},
		{"numero=33612345678&date_reception=2010-03-25+09:52:17&statut=-1&smsID=a", "statut", "not a number"},
		{"numero=33612345678&date_reception=2010-03-25+09:52:17&statut=11", "smsID", "missing"},
		{"numero=33612345678&date_reception=2010-03-25+09:52:17&statut=11&smsID=+", "smsID", "missing"},
	}
	for _, tt := range bad {
		_, err := ParseDeliveryReport(query(t, tt.q), nil)
		var ce *CallbackError
		require.ErrorAs(t, err, &ce, tt.q)
		assert.Equal(t, tt.field, ce.Field, tt.q)
		assert.Contains(t, ce.Reason, tt.reason, tt.q)
		assert.True(t, IsPermanent(err))
	}
	_, err = ParseDeliveryReport(query(t, "numero=33612345678&date_reception=2010-03-25+09:52:17&statut=eleven&smsID=a"), nil)
	assert.EqualError(t, err, `smsmode: callback parameter "statut": not a number`)
	_, err = ParseDeliveryReport(nil, nil)
	assert.Error(t, err)
}

func TestParseReply(t *testing.T) {
	t.Parallel()
	v := query(t, "numero=36034&message=bonjour&emetteur=33601020304&date_reception=01012013-122233&smsID=abcd1234&refClient=monclient123&responseID=azertyu123")
	r, err := ParseReply(v, nil)
	require.NoError(t, err)
	assert.Equal(t, &ReplyCallback{
		To: "36034", Message: "bonjour", From: "33601020304",
		ReceivedAt: time.Date(2013, 1, 1, 12, 22, 33, 0, paris),
		SMSID:      "abcd1234", RefClient: "monclient123", ResponseID: "azertyu123",
	}, r)

	// ISO-8859-15 message, the delivery-report date format, no optional fields.
	v = query(t, "numero=36034&message=Tr%E8s+bien+%A4&emetteur=%2B33601020304&date_reception=2013-01-01+12%3A22%3A33")
	r, err = ParseReply(v, time.UTC)
	require.NoError(t, err)
	assert.Equal(t, "Très bien €", r.Message)
	assert.Equal(t, "33601020304", r.From)
	assert.Equal(t, time.Date(2013, 1, 1, 12, 22, 33, 0, time.UTC), r.ReceivedAt)
	assert.Empty(t, r.SMSID)

	// UTF-8 message and an empty one.
	r, err = ParseReply(query(t, "numero=36034&message=Tr%C3%A8s+%F0%9F%91%8D&emetteur=33601020304&date_reception=01012013-122233"), nil)
	require.NoError(t, err)
	assert.Equal(t, "Très 👍", r.Message)
	r, err = ParseReply(query(t, "numero=36034&message=&emetteur=33601020304&date_reception=01012013-122233"), nil)
	require.NoError(t, err)
	assert.Equal(t, "", r.Message)

	bad := []struct{ q, field string }{
		{"message=x&emetteur=33601020304&date_reception=01012013-122233", "numero"},
		{"numero=36034&message=x&date_reception=01012013-122233", "emetteur"},
		{"numero=36034&message=x&emetteur=abc&date_reception=01012013-122233", "emetteur"},
		{"numero=36034&message=x&emetteur=33601020304", "date_reception"},
		{"numero=36034&message=x&emetteur=33601020304&date_reception=32012013-122233", "date_reception"},
		{"numero=36034&emetteur=33601020304&date_reception=01012013-122233", "message"},
	}
	for _, tt := range bad {
		_, err := ParseReply(query(t, tt.q), nil)
		var ce *CallbackError
		require.ErrorAs(t, err, &ce, tt.q)
		assert.Equal(t, tt.field, ce.Field, tt.q)
	}
}

func TestCallbackDateAcrossDST(t *testing.T) {
	t.Parallel()
	// 2024-10-27 02:30 happens twice in Paris; 2024-03-31 02:30 never.
	// Parsing must not fail on either.
	for _, d := range []string{"2024-10-27 02:30:00", "2024-03-31 02:30:00", "27102024-023000"} {
		_, ok := parseLocalDate(d, paris, callbackLayouts)
		assert.True(t, ok, d)
	}
}
