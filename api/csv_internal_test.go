package api

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestReadCSVTellsAFailingBodyFromItsContent(t *testing.T) {
	t.Parallel()
	good := strings.Repeat("0612345678,Bonjour\n", 100)
	for _, tc := range []struct {
		name   string
		body   io.Reader
		status int
		detail string
	}{
		{"over the size limit", io.MultiReader(strings.NewReader(good), iotest.ErrReader(&http.MaxBytesError{Limit: 1000})),
			http.StatusRequestEntityTooLarge, "limit of 1000 bytes"},
		{"dropped connection", io.MultiReader(strings.NewReader(good), iotest.ErrReader(errors.New("unexpected EOF"))),
			http.StatusBadRequest, "the body could not be read: unexpected EOF"},
		{"field count", strings.NewReader(good + "0612345678\n"),
			http.StatusUnprocessableEntity, "line 101: 1 fields; want numero,message,emetteur[,refClient] (quote a message that contains commas)"},
	} {
		rows, lines, p := readCSV(tc.body, charsetAuto, 1000)
		require.Nil(t, rows, tc.name)
		require.Nil(t, lines, tc.name)
		require.NotNil(t, p, tc.name)
		require.Equal(t, tc.status, p.typ.status, "%s: %s", tc.name, p.detail)
		require.Contains(t, p.detail, tc.detail, tc.name)
		if tc.status == http.StatusUnprocessableEntity {
			require.Equal(t, "rows[100]", p.field, tc.name)
			require.Equal(t, 101, p.line, tc.name)
		} else {
			require.Empty(t, p.field, tc.name)
			require.Zero(t, p.line, tc.name)
		}
	}
}
