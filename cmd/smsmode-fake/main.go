// Command smsmode-fake serves the in-process fake sMsmode API
// (smsmode/smsmodetest) on a fixed address, for the demo, docker-compose and
// manual try-outs. It accepts the reference's example credentials
// (accessToken Ab1CD2efg3Hi, or pseudo jean / pass abcd1234).
package main

import (
	"context"
	"flag"
	"fmt"
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
	var (
		addr     = flag.String("addr", "127.0.0.1:8081", "listen address")
		credit   = flag.Float64("credit", 100000, "starting credit")
		latency  = flag.Duration("latency", 0, "delay of every answer")
		deliver  = flag.Bool("auto-delivery", true, "report 13 (delivered to operator) then 11 (received) to notification_url after each send")
		token    = flag.String("token", "", "accept this access token too (e.g. $SMSMODE_ACCESS_TOKEN)")
		failures multiFlag
	)
	flag.Var(&failures, "fail-number", "NUMBER:CODE — any send to this number (international digits) answers CODE; repeatable")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "smsmode-fake:", err)
		os.Exit(1)
	}
	opts := []smsmodetest.Option{smsmodetest.WithListener(ln), smsmodetest.WithCredit(*credit), smsmodetest.WithLatency(*latency)}
	if *deliver {
		opts = append(opts, smsmodetest.WithAutoDelivery(smsmode.StatusDeliveredToOperator, smsmode.StatusReceived))
	}
	srv := smsmodetest.NewServer(opts...)
	if *token != "" {
		srv.AddAccessToken(*token)
	}
	for _, f := range failures {
		num, code, _ := strings.Cut(f, ":")
		c, err := strconv.Atoi(code)
		if err != nil {
			fmt.Fprintf(os.Stderr, "smsmode-fake: -fail-number %q: want NUMBER:CODE\n", f)
			os.Exit(2)
		}
		srv.FailNumber(num, smsmode.Code(c))
	}
	fmt.Fprintf(os.Stderr, "smsmode-fake: serving %s (accessToken %s)\n", srv.URL, smsmodetest.AccessToken)

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

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
