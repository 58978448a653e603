// Command smsmode-fake serves the fake sMsmode API of smsmode/smsmodetest
// on a fixed address, for the demo, docker-compose, manual try-outs and
// tests written in any language. It accepts the reference's example
// credentials (accessToken Ab1CD2efg3Hi, or pseudo jean / pass abcd1234) and
// any -token given.
//
// Usage:
//
//	smsmode-fake [-addr 127.0.0.1:8081] [-credit 100000] [-latency 0s]
//	             [-auto-delivery=true] [-token TOKEN] [-fail-number NUMBER:CODE]...
//	             [-control=true]
//
// The provider's API is under /http/1.6/ (sendSMS.do, compteRendu.do …) and
// /http/2.0/createAuthorisation.do, as on api.smsmode.com: point a client's
// base URL at http://ADDR/http/1.6/.
//
// # Control API
//
// Unless -control=false, a small JSON API under /_fake/, apart from the
// provider's paths, drives the fake the way smsmodetest's Go methods do:
//
//	GET    /_fake/                 this list, as text
//	GET    /_fake/messages         accepted messages as JSON, oldest first;
//	                               ?id=SMSID or CAMPAGNEID, ?number=336… filter
//	POST   /_fake/replies          {"sms_id": "…", "from": "33612345678", "text": "OUI"}
//	                               a recipient answers a classe_msg=4 message: listed by
//	                               responseList.do, sent to its notification_url_reponse;
//	                               201 {"response_id": "…"}
//	POST   /_fake/deliveries       {"sms_id": "…", "number": "33612345678", "status": 11}
//	                               a delivery report: shown by compteRendu.do and
//	                               smsStatus.do, sent to the message's notification_url; 204
//	POST   /_fake/faults           {"kind": "code", "endpoint": "sendSMS.do", "code": 50, "times": 2}
//	DELETE /_fake/faults           remove every fault
//	GET    /_fake/credit           {"credit": 100000}
//	PUT    /_fake/credit           {"credit": 5}
//	POST   /_fake/reset            forget messages, replies, groups, faults, requests;
//	                               the balance returns to -credit
//
// Fault kinds: "code" (answer "code | description" without processing),
// "http" (answer the HTTP "status"), "drop" (close the connection without
// processing), "drop_after_accept" (accept and charge the send, then close
// the connection), "accept_then_code" (accept, then answer "code", e.g. 31),
// "accept_then_http" (accept, then answer "status", e.g. 502 or 504), and
// "number" (every send to "number" answers "code"; code 0 removes it).
// "endpoint" is "" for every endpoint; "times" defaults to 1, negative
// means until DELETE /_fake/faults. Errors are {"error": "…"} with 400, 404
// (unknown message or recipient), 422 (a reply to a message that is not
// classe_msg=4, status 16 for an SMS or 11-15 for a voice message) or 502
// (the callback to the application failed; the reply or status is recorded
// all the same).
//
// The control API has no authentication: keep -addr on a loopback or
// private address.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
)

func main() {
	srv, err := newServer(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "smsmode-fake:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// newServer parses the command line and starts the fake; it reports where
// on stderr.
func newServer(args []string, stderr io.Writer) (*smsmodetest.Server, error) {
	fs := flag.NewFlagSet("smsmode-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr     = fs.String("addr", "127.0.0.1:8081", "listen address")
		credit   = fs.Float64("credit", 100000, "starting credit (and the balance after POST /_fake/reset)")
		latency  = fs.Duration("latency", 0, "delay of every answer")
		deliver  = fs.Bool("auto-delivery", true, "report 13 (delivered to operator) then 11 (received) to notification_url after each send (16, listened, for voice)")
		token    = fs.String("token", "", "accept this access token too (e.g. $SMSMODE_ACCESS_TOKEN)")
		control  = fs.Bool("control", true, "serve the control API under "+smsmodetest.ControlPrefix)
		failures multiFlag
	)
	fs.Var(&failures, "fail-number", "NUMBER:CODE — any send to this number (international digits) answers CODE; repeatable")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	type failure struct {
		number string
		code   smsmode.Code
	}
	var fails []failure
	for _, f := range failures {
		num, code, _ := strings.Cut(f, ":")
		c, err := strconv.Atoi(code)
		if err != nil || num == "" {
			return nil, fmt.Errorf("-fail-number %q: want NUMBER:CODE", f)
		}
		fails = append(fails, failure{num, smsmode.Code(c)})
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return nil, err
	}
	opts := []smsmodetest.Option{smsmodetest.WithListener(ln), smsmodetest.WithCredit(*credit), smsmodetest.WithLatency(*latency)}
	if *deliver {
		opts = append(opts, smsmodetest.WithAutoDelivery(smsmode.StatusDeliveredToOperator, smsmode.StatusReceived))
	}
	if *control {
		opts = append(opts, smsmodetest.WithControlAPI())
	}
	srv := smsmodetest.NewServer(opts...)
	if *token != "" {
		srv.AddAccessToken(*token)
	}
	for _, f := range fails {
		srv.FailNumber(f.number, f.code)
	}
	fmt.Fprintf(stderr, "smsmode-fake: serving %s (accessToken %s)\n", srv.URL, smsmodetest.AccessToken)
	if *control {
		fmt.Fprintf(stderr, "smsmode-fake: control API at %s\n", strings.TrimSuffix(srv.URL, "/http/1.6/")+smsmodetest.ControlPrefix)
	}
	return srv, nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
