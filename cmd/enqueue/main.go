// Command enqueue is smsq's producer CLI: it validates SMS, voice and batch
// messages and enqueues them for the workers, shows a task's status and
// cancels tasks (README, "CLI").
//
// Exit status: 0 success (also a duplicate --id), 1 Redis unreachable or
// another runtime failure, 2 invalid input or usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	_ "time/tzdata" // SMSMODE_TIMEZONE works in scratch images without zoneinfo

	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/config"
)

// Exit codes (public API, README).
const (
	exitOK      = 0
	exitFailure = 1 // Redis unreachable, provider or other runtime failure
	exitInvalid = 2 // invalid input, unknown flag or command, unknown task ID
)

// redisTimeout bounds the connection check and each short Redis operation, so
// the CLI never hangs on an unreachable server.
const redisTimeout = 5 * time.Second

func main() {
	// go-redis reports some connection trouble through its own logger; the
	// CLI reports failures itself, in one line, so keep stderr clean.
	redis.SetLogger(silentLogger{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type silentLogger struct{}

func (silentLogger) Printf(context.Context, string, ...any) {}

// run is the whole program; main only wires it to the process. The
// configuration comes from the environment (config.Load).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, `enqueue: missing command (send, voice, batch, status, cancel); run "enqueue --help" for usage`)
		return exitInvalid
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		printMainHelp(stdout)
		return exitOK
	case "help":
		if len(rest) == 0 {
			printMainHelp(stdout)
			return exitOK
		}
		return run(ctx, []string{rest[0], "--help"}, stdin, stdout, stderr)
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "enqueue: unknown command %q; run \"enqueue --help\" for usage\n", name)
		return exitInvalid
	}
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, progress: isTerminal(stderr)}
	defer a.close()
	return a.exit(cmd(ctx, a, rest))
}

// app is what a sub-command works with.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	progress       bool // stderr is a terminal: show progress lines
	cfg            *config.Config
	rdb            redis.UniversalClient // the run's one Redis client, once opened
}

func (a *app) close() {
	if a.rdb != nil {
		a.rdb.Close()
	}
}

// cliError is a failure with its exit code and one line for stderr.
type cliError struct {
	code int
	msg  string
}

func (e *cliError) Error() string { return e.msg }

// errHelp: help was printed on stdout; exit 0.
var errHelp = &cliError{code: exitOK}

func invalidf(format string, args ...any) error {
	return &cliError{code: exitInvalid, msg: fmt.Sprintf(format, args...)}
}

func failf(format string, args ...any) error {
	return &cliError{code: exitFailure, msg: fmt.Sprintf(format, args...)}
}

// exit prints err (one line, secrets removed) and returns the exit code.
func (a *app) exit(err error) int {
	if err == nil {
		return exitOK
	}
	var ce *cliError
	if !errors.As(err, &ce) {
		ce = &cliError{code: exitFailure, msg: err.Error()}
	}
	if ce.msg != "" {
		msg := a.scrub(ce.msg)
		msg = strings.ReplaceAll(msg, "\n", " ")
		fmt.Fprintln(a.stderr, "enqueue: "+msg)
	}
	return ce.code
}

// scrub removes REDIS_URL and its password from a message that might quote
// them (go-redis and asynq errors normally do not, but never rely on it).
func (a *app) scrub(msg string) string {
	if a.cfg == nil {
		return msg
	}
	return scrubSecrets(msg, a.cfg)
}

func scrubSecrets(msg string, cfg *config.Config) string {
	var secrets []string
	if cfg.RedisURL != "" {
		secrets = append(secrets, cfg.RedisURL)
		if u, err := url.Parse(cfg.RedisURL); err == nil {
			if p, ok := u.User.Password(); ok && p != "" {
				secrets = append(secrets, p, url.QueryEscape(p), url.PathEscape(p))
			}
			if p := u.Query().Get("password"); p != "" {
				secrets = append(secrets, p)
			}
		}
	}
	for _, s := range []string{cfg.SmsmodeAccessToken, cfg.SmsmodePass} {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	for _, s := range secrets {
		if len(s) >= 3 { // replacing one or two characters would mangle the message and hide nothing
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

// loadConfig reads the environment once, after the flags are parsed (so
// --help works with any environment).
func (a *app) loadConfig() error {
	cfg, err := config.Load()
	if err != nil {
		// config's errors name the variable and never print secret values.
		return invalidf("%v", err)
	}
	a.cfg = cfg
	return nil
}

// redis returns the run's one Redis client. It gives up quickly:
// go-redis's defaults (5 dial attempts, 3 retries with back-off) take about
// 2 s to report a refused connection, which helps a long-running worker but
// only delays a CLI's answer.
func (a *app) redis() (redis.UniversalClient, error) {
	if a.rdb != nil {
		return a.rdb, nil
	}
	o, err := a.cfg.RedisOptions()
	if err != nil {
		return nil, invalidf("%v", err)
	}
	if o.Simple != nil {
		o.Simple.MaxRetries, o.Simple.DialerRetries = 1, 1
	} else {
		o.Failover.MaxRetries, o.Failover.DialerRetries = 1, 1
	}
	a.rdb = o.NewClient()
	return a.rdb, nil
}

// ping checks that Redis answers within redisTimeout.
func (a *app) ping(ctx context.Context) (redis.UniversalClient, error) {
	rdb, err := a.redis()
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		return nil, redisError(ctx, pctx, err)
	}
	return rdb, nil
}

// redisError turns a Redis failure into one exit-1 line.
func redisError(parent, ctx context.Context, err error) error {
	switch {
	case parent.Err() != nil:
		return failf("interrupted")
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return failf("Redis unreachable (REDIS_URL): no answer within %s", redisTimeout)
	}
	return failf("Redis unreachable (REDIS_URL): %s", oneLine(err))
}

// runtimeError is any failure after the input was checked: Redis is
// unreachable or went away, a timeout, the provider refused.
func runtimeError(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return failf("gave up: Redis (REDIS_URL) did not answer in time")
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return failf("Redis unreachable (REDIS_URL): %s", oneLine(err))
	}
	if strings.Contains(err.Error(), "OOM command not allowed") {
		// asynq's wording ("UNKNOWN: redis command error: SADD failed: OOM …")
		// tells an operator little; say what happened and what to do.
		return failf("Redis is out of memory (maxmemory reached): nothing enqueued; free memory or raise maxmemory, then run the same command again")
	}
	return failf("%s", oneLine(err))
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
