package smsmodetest_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
)

// A test points the code under test at the fake instead of the real API,
// then checks what the provider received.
func ExampleServer() {
	srv := smsmodetest.NewServer()
	defer srv.Close()

	// In an application, this is where SMSMODE_BASE_URL would be srv.URL.
	client := srv.Client()
	res, err := client.SendSMS(context.Background(), &smsmode.SMS{
		Numbers: []string{"0612345678"},
		Message: "Votre code : 4821",
		Sender:  "MYSHOP",
	})
	if err != nil {
		log.Fatal(err)
	}

	m, _ := srv.Message(res.SMSID)
	fmt.Println(m.Numbers, m.Text, m.Sender)
	fmt.Println("segments:", m.Segments, "credit left:", srv.Credit())
	// Output:
	// [33612345678] Votre code : 4821 MYSHOP
	// segments: 1 credit left: 999
}

// Any HTTP client works: the fake speaks the provider's wire format, with
// ISO-8859-15 bodies and "code | description | id" answers.
func ExampleServer_plainHTTP() {
	srv := smsmodetest.NewServer()
	defer srv.Close()

	res, err := http.PostForm(srv.URL+"sendSMS.do", url.Values{
		"accessToken": {smsmodetest.AccessToken},
		"numero":      {"33612345678"},
		"message":     {"Caf\xe9 \xa4"}, // "Café €" in ISO-8859-15
	})
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	code, _, _ := strings.Cut(string(body), " | ")
	fmt.Println(res.Header.Get("Content-Type"))
	fmt.Println("code", code)
	fmt.Println(srv.Messages()[0].Text)
	// Output:
	// text/html; charset=ISO-8859-15
	// code 0
	// Café €
}

// Faults are scripted per endpoint. DropAfterAccept is the dangerous one:
// the provider accepted the send but the client never heard back.
func ExampleServer_FailNext() {
	srv := smsmodetest.NewServer()
	defer srv.Close()
	client := srv.Client()
	sms := &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "Bonjour"}

	srv.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 1)
	_, err := client.SendSMS(context.Background(), sms)
	fmt.Println("code 50, retry later:", smsmode.IsTemporary(err))

	srv.DropAfterAccept("sendSMS.do", 1)
	_, err = client.SendSMS(context.Background(), sms)
	fmt.Println("ambiguous:", smsmode.IsAmbiguous(err), "- messages accepted:", len(srv.Messages()))
	// Output:
	// code 50, retry later: true
	// ambiguous: true - messages accepted: 1
}

// Deliver plays the operator: it calls the message's notification_url the
// way the provider does.
func ExampleServer_Deliver() {
	srv := smsmodetest.NewServer()
	defer srv.Close()

	webhook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dr, err := smsmode.ParseDeliveryReport(r.URL.Query(), srv.Location())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Println("delivery report:", dr.Number, dr.Status == smsmode.StatusReceived, dr.RefClient)
	}))
	defer webhook.Close()

	res, err := srv.Client().SendSMS(context.Background(), &smsmode.SMS{
		Numbers:         []string{"0612345678"},
		Message:         "Votre colis arrive",
		RefClient:       "order-42",
		NotificationURL: webhook.URL + "/delivery",
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Deliver(res.SMSID, "0612345678", smsmode.StatusReceived); err != nil {
		log.Fatal(err)
	}
	// Output:
	// delivery report: 33612345678 true order-42
}
