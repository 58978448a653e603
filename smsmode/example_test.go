package smsmode_test

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
)

func ExampleClient_SendSMS() {
	// A fake provider stands in for https://api.smsmode.com/http/1.6/.
	srv := smsmodetest.NewServer()
	defer srv.Close()

	c, err := smsmode.NewClient(smsmode.Config{
		BaseURL:     srv.URL,
		AccessToken: smsmodetest.AccessToken,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.SendSMS(context.Background(), &smsmode.SMS{
		Numbers:   []string{"33612345678"},
		Message:   "Hélène, votre code : 4821 (valable 10 min, 0€)",
		Sender:    "MYSHOP",
		RefClient: "order-42",
	})
	switch {
	case err == nil:
	case smsmode.IsAmbiguous(err):
		fmt.Println("maybe sent: do not resend blindly:", err)
		return
	case smsmode.IsTemporary(err), smsmode.IsInternal(err):
		fmt.Println("retry later:", err)
		return
	default:
		fmt.Println("give up:", err)
		return
	}

	m, _ := srv.Message(res.SMSID)
	fmt.Println(res.Description)
	fmt.Println(m.Numbers, m.Sender, m.RefClient)
	fmt.Println(m.Text)
	// Output:
	// Accepté - le message a été accepté par le système et est en cours de traitement
	// [33612345678] MYSHOP order-42
	// Hélène, votre code : 4821 (valable 10 min, 0€)
}

func ExampleClient_DeliveryReport() {
	srv := smsmodetest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	res, _ := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33600000000", "33611111111"}, Message: "Bonjour"})
	_ = srv.Deliver(res.SMSID, "33600000000", smsmode.StatusReceived)
	_ = srv.Deliver(res.SMSID, "33611111111", smsmode.StatusDeliveredToOperator)

	report, err := c.DeliveryReport(ctx, res.SMSID)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range report {
		fmt.Printf("%s %d %s final=%t\n", r.Number, r.Status, r.Status, r.Status.Final())
	}
	// Output:
	// 33600000000 11 received final=true
	// 33611111111 13 delivered to operator final=false
}

func ExampleParseDeliveryReport() {
	// The query of a GET to notification_url.
	q, _ := url.ParseQuery("numero=33612345678&date_reception=2010-03-25+09%3A52%3A17&statut=11&smsID=S7EpYZ5kmS87&refClient=12azer34&mcc_mnc=20801&cost=1")
	dr, err := smsmode.ParseDeliveryReport(q, nil) // nil: Europe/Paris
	if err != nil {
		fmt.Println(err) // a *CallbackError: answer 400
		return
	}
	fmt.Println(dr.Number, dr.SMSID, dr.RefClient)
	fmt.Println(dr.Status, dr.Status.Delivered(), dr.ReceivedAt.Format(time.RFC3339))

	_, err = smsmode.ParseDeliveryReport(url.Values{"numero": {"33612345678"}, "statut": {"onze"}}, nil)
	fmt.Println(err)
	// Output:
	// 33612345678 S7EpYZ5kmS87 12azer34
	// received true 2010-03-25T09:52:17+01:00
	// smsmode: callback parameter "date_reception": missing
}

func ExampleParseReply() {
	// An ISO-8859-15 reply ("Très bien"), in the reply callback's date format.
	q, _ := url.ParseQuery("numero=36034&message=Tr%E8s+bien&emetteur=33601020304&date_reception=01012013-122233&smsID=abcd1234&responseID=azertyu123")
	r, err := smsmode.ParseReply(q, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s -> %s: %q at %s\n", r.From, r.To, r.Message, r.ReceivedAt.Format("2006-01-02 15:04:05 MST"))
	// Output:
	// 33601020304 -> 36034: "Très bien" at 2013-01-01 12:22:33 CET
}

func ExampleIsAmbiguous() {
	srv := smsmodetest.NewServer()
	defer srv.Close()
	c := srv.Client()

	// The provider accepts the send, then the connection drops before the
	// answer: the message is out, but the client cannot know it.
	srv.DropAfterAccept("sendSMS.do", 1)
	_, err := c.SendSMS(context.Background(), &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "Bonjour"})
	fmt.Println("temporary:", smsmode.IsTemporary(err), "ambiguous:", smsmode.IsAmbiguous(err))
	fmt.Println("accepted by the provider:", len(srv.Messages()))

	// A refused connection never reached the provider: retrying is safe.
	srv.Close()
	_, err = c.SendSMS(context.Background(), &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "Bonjour"})
	fmt.Println("temporary:", smsmode.IsTemporary(err), "ambiguous:", smsmode.IsAmbiguous(err))
	// Output:
	// temporary: true ambiguous: true
	// accepted by the provider: 1
	// temporary: true ambiguous: false
}

func ExampleMatchListed() {
	// A unicode message comes back from smsList.do with "?" where
	// ISO-8859-15 has no character, and with the STOP mention the provider
	// added.
	sent := "Joyeux Noël 🎄 -20 % ce soir"
	listed := "Joyeux Noël ? -20 % ce soir STOP 36034"
	fmt.Printf("%q\n", smsmode.ListedText(sent))
	fmt.Println(smsmode.MatchListed(sent, listed))
	fmt.Println(smsmode.MatchListed("Joyeux Noël 🎄", listed))
	// Output:
	// "Joyeux Noël ? -20 % ce soir"
	// true
	// false
}
