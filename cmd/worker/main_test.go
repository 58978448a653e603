package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
)

// --help lists every variable the worker reads, from config's tags.
func TestHelpListsEnvironment(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--help", "-h", "-help"} {
		var out, errOut bytes.Buffer
		require.Equal(t, 0, run([]string{arg}, &out, &errOut), arg)
		require.Empty(t, errOut.String())
		help := out.String()
		require.Contains(t, help, "--role ROLE")
		for _, s := range config.Settings() {
			if s.Reads("worker") {
				require.Regexp(t, `\n  `+s.Name+`[ \n]`, help)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--bogus"}, {"/enqueue", "send"}, {"--role"}} {
		var out, errOut bytes.Buffer
		require.Equal(t, 2, run(args, &out, &errOut), args)
		require.Empty(t, out.String())
		require.True(t, strings.HasPrefix(errOut.String(), "worker: "), errOut.String())
		require.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
	}
}
