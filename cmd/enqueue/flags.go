package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/smsq/smsq/internal/config"
)

// commands are the sub-commands.
var commands = map[string]func(context.Context, *app, []string) error{
	"send":   cmdSend,
	"voice":  cmdVoice,
	"batch":  cmdBatch,
	"status": cmdStatus,
	"cancel": cmdCancel,
}

// doc is a sub-command's help.
type doc struct {
	usage    string // after "enqueue "
	summary  string
	examples []string
}

var docs = map[string]doc{
	"send": {
		usage: "send --to LIST --message TEXT|- [--from SENDER] [--at TIME] [--ref REF] [--reply]\n" +
			"               [--encoding auto|gsm|unicode] [--stop 0|1|2] [--max-segments N] [--queue Q] [--id ID]\n" +
			"               [--valid-for DURATION | --expires-at TIME] [--marketing] [--dry-run]",
		summary: "Validate an SMS and enqueue one sms:send task. Numbers may be national\n" +
			"(SMSMODE_DEFAULT_REGION) or international; they are stored as international\n" +
			"digits. A message needing more than --max-segments segments is refused with\n" +
			"the count it needs. Prints the task ID.",
		examples: []string{
			`enqueue send --to 0612345678 --message "Votre code : 4821" --queue critical`,
			`enqueue send --to "06 12 34 56 78,+44 7911 123456" --from MYSHOP --at "2026-12-24 18:30" --message "Joyeux Noël !"`,
			`printf 'Order %s shipped\n' 42 | enqueue send --to +33698765432 --message - --id order-42-shipped`,
		},
	},
	"voice": {
		usage: "voice --to LIST --message TEXT|- [--title T] [--language L] [--at TIME] [--queue Q] [--id ID]\n" +
			"               [--valid-for DURATION | --expires-at TIME] [--dry-run]",
		summary: "Validate a voice message (text read aloud, at most 160 characters) and\n" +
			"enqueue one sms:voice task. Prints the task ID.",
		examples: []string{
			`enqueue voice --to 0612345678 --message "Votre code est 4 8 2 1"`,
			`enqueue voice --to +442079460000 --language en-GB --title Reminder --message "Your appointment is tomorrow at 9"`,
		},
	},
	"batch": {
		usage: "batch --file ROWS.csv [--from SENDER] [--at TIME] [--ref REF] [--reply] [--queue Q] [--id ID]\n" +
			"               [--valid-for DURATION | --expires-at TIME] [--marketing] [--dry-run]",
		summary: "Read personalised messages from the provider's CSV format\n" +
			"(numero,message,emetteur[,refClient]; header optional; UTF-8 or ISO-8859-15),\n" +
			"validate every row, then enqueue sms:batch tasks of at most BATCH_CHUNK rows.\n" +
			"Nothing is enqueued when a row is invalid; the error names the file line.\n" +
			"Prints one task ID per chunk (ID-1, ID-2 … with --id ID).",
		examples: []string{
			`enqueue batch --file campaign.csv --from MYSHOP --id spring-sale`,
			`enqueue batch --file rows.csv --at "2026-03-01 09:00" --queue low`,
			`export-rows | enqueue batch --file -`,
		},
	},
	"status": {
		usage: "status ID",
		summary: "Show a task: type, queue, state, attempts, last error, next attempt,\n" +
			"and once sMsmode accepted it its smsID, segments, encoding, date_envoi and\n" +
			"recipients. A batch's base ID shows every chunk. Exits 2 for an unknown ID.",
		examples: []string{
			`enqueue status order-42-shipped`,
			`enqueue status spring-sale      # every chunk: spring-sale-1, spring-sale-2 …`,
		},
	},
	"cancel": {
		usage: "cancel ID",
		summary: "Cancel a task: recorded as cancelled if it has not reached sMsmode yet\n" +
			"(no worker sends it after that); a message sMsmode holds for a later\n" +
			"date_envoi is deleted there (deleteSMS.do: with SMSMODE_ACCESS_TOKEN or\n" +
			"SMSMODE_PSEUDO+SMSMODE_PASS here, else by a worker on queue critical).\n" +
			"Cancelling again answers \"already cancelled\". A batch's base ID cancels\n" +
			"every chunk. Exits 1 when it may work later (a worker is handing it over\n" +
			"right now, sMsmode unreachable), 2 when too late or for an unknown ID.",
		examples: []string{
			`enqueue cancel order-42-shipped`,
			`SMSMODE_ACCESS_TOKEN=… enqueue cancel spring-sale`,
		},
	},
}

func printMainHelp(w io.Writer) {
	fmt.Fprint(w, `enqueue — enqueue SMS and voice messages for smsq's workers (sMsmode)

Usage:
  enqueue send   --to LIST --message TEXT|- [--from SENDER] [--at TIME] [--ref REF] [--reply]
                 [--encoding auto|gsm|unicode] [--stop 0|1|2] [--max-segments N] [--queue Q] [--id ID]
                 [--valid-for DURATION | --expires-at TIME] [--marketing] [--dry-run]
  enqueue voice  --to LIST --message TEXT|- [--title T] [--language L] [--at TIME] [--queue Q] [--id ID]
                 [--valid-for DURATION | --expires-at TIME] [--dry-run]
  enqueue batch  --file ROWS.csv [--from SENDER] [--at TIME] [--ref REF] [--reply] [--queue Q] [--id ID]
                 [--valid-for DURATION | --expires-at TIME] [--marketing] [--dry-run]
  enqueue status ID
  enqueue cancel ID

Run "enqueue COMMAND --help" for a command's flags and examples.

Examples:
  enqueue send --to 0612345678 --message "Votre code : 4821" --queue critical
  enqueue batch --file campaign.csv --from MYSHOP --id spring-sale
  enqueue status spring-sale

Exit status: 0 done (enqueued; --id already exists: nothing enqueued twice;
cancelled or already cancelled; status printed), 1 temporary: run the same
command later (Redis unreachable or out of memory, sMsmode unreachable during
a cancel), 2 permanent (invalid input or usage, unknown queue or task ID,
too late to cancel).

Environment (every variable enqueue reads; docs/configuration.md has the full
table; the worker's settings do not apply here):
`)
	config.WriteHelp(w, "producer")
}

// flagSet is a flag.FlagSet that remembers the order flags were defined in,
// for the help.
type flagSet struct {
	*flag.FlagSet
	name  string
	order []string
	meta  map[string]string // value names in the help: --to LIST
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet("enqueue "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by parse
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, name: name, meta: map[string]string{}}
}

// String defines a string flag shown as "--name META" in the help.
func (f *flagSet) String(name, value, meta, usage string) *string {
	f.order = append(f.order, name)
	f.meta[name] = meta
	return f.FlagSet.String(name, value, usage)
}

// Bool defines a boolean flag, shown as "--name".
func (f *flagSet) Bool(name string, value bool, usage string) *bool {
	f.order = append(f.order, name)
	return f.FlagSet.Bool(name, value, usage)
}

// Int defines an integer flag shown as "--name META" in the help.
func (f *flagSet) Int(name string, value int, meta, usage string) *int {
	f.order = append(f.order, name)
	f.meta[name] = meta
	return f.FlagSet.Int(name, value, usage)
}

// parse parses args; flags and positional arguments may come in any order
// ("--" ends the flags). It prints the help on stdout for -h/--help
// (returning errHelp) and checks the required flags and the number of
// positional arguments.
func (a *app) parse(fs *flagSet, args []string, positional []string, required ...string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(a.stdout, fs)
			return nil, errHelp
		}
		if err != nil {
			return nil, usageError(fs.name, flagErrorText(err))
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if n := len(consumed); n > 0 && consumed[n-1] == "--" && (n < 2 || !fs.takesValue(consumed[n-2])) {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	seen := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { seen[f.Name] = true })
	for _, r := range required {
		if !seen[r] {
			return nil, usageError(fs.name, "missing --"+r)
		}
	}
	switch {
	case len(pos) < len(positional):
		return nil, usageError(fs.name, "missing "+strings.Join(positional[len(pos):], " "))
	case len(pos) > len(positional):
		return nil, usageError(fs.name, fmt.Sprintf("unexpected argument %q", pos[len(positional)]))
	}
	return pos, nil
}

// takesValue reports whether arg is a flag ("--to", not "--to=x") whose value
// is the next argument.
func (f *flagSet) takesValue(arg string) bool {
	if !strings.HasPrefix(arg, "-") || strings.Contains(arg, "=") {
		return false
	}
	fl := f.Lookup(strings.TrimLeft(arg, "-"))
	if fl == nil {
		return false
	}
	if bf, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
		return false
	}
	return true
}

func usageError(cmd, msg string) error {
	return invalidf("%s: %s; run \"enqueue %s --help\" for usage", cmd, msg, cmd)
}

var (
	reUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reNeedsArg  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	reBadBool   = regexp.MustCompile(`^invalid boolean value (".*") for -+(\S+): `)
	reBadValue  = regexp.MustCompile(`^invalid value (".*") for flag -+(\S+): `)
)

// flagErrorText rewrites the flag package's messages with the --name
// spelling the help uses.
func flagErrorText(err error) string {
	s := err.Error()
	if m := reUndefined.FindStringSubmatch(s); m != nil {
		return "unknown flag --" + m[1]
	}
	if m := reNeedsArg.FindStringSubmatch(s); m != nil {
		return "flag --" + m[1] + " needs a value"
	}
	if m := reBadBool.FindStringSubmatch(s); m != nil {
		return "invalid --" + m[2] + " " + m[1] + ": want true or false"
	}
	if m := reBadValue.FindStringSubmatch(s); m != nil {
		return "invalid --" + m[2] + " " + m[1] + ": not a whole number"
	}
	return s
}

func printCommandHelp(w io.Writer, fs *flagSet) {
	d := docs[fs.name]
	fmt.Fprintf(w, "Usage: enqueue %s\n\n%s\n", d.usage, d.summary)
	if len(fs.order) > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		for _, name := range fs.order {
			f := fs.Lookup(name)
			left := "--" + name
			if m := fs.meta[name]; m != "" {
				left += " " + m
			}
			usage := f.Usage
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			printFlag(w, left, usage)
		}
		printFlag(w, "-h, --help", "this help")
	}
	fmt.Fprint(w, "\nExamples:\n")
	for _, e := range d.examples {
		fmt.Fprintln(w, "  "+e)
	}
}

func printFlag(w io.Writer, left, usage string) {
	const col = 24
	left = "  " + left
	if len(left) < col {
		left += strings.Repeat(" ", col-len(left))
	} else {
		left += "\n" + strings.Repeat(" ", col)
	}
	fmt.Fprintln(w, left+usage)
}
