package smsmode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fmtV(v any) string { return fmt.Sprintf("%v %+v %#v %s", v, v, v, v) }

func TestValidateSender(t *testing.T) {
	ok := []struct {
		s string
		c Class
	}{
		{"", 0}, {"", ClassReply}, {"MYSHOP", 0}, {"MYSHOP", ClassPro}, {"MYSHOP", ClassUnicode},
		{"A", 0}, {"ABCDEFGHIJK", 0}, {"Shop-42", 0}, {"R&D_Co.", 0}, {"36034a", 0},
	}
	for _, tt := range ok {
		assert.NoError(t, ValidateSender(tt.s, tt.c), "%q", tt.s)
	}
	bad := []struct {
		s    string
		c    Class
		rule string
	}{
		{"ABCDEFGHIJKL", 0, "at most 11"},
		{"MY SHOP", 0, "spaces"},
		{"Café", 0, "accents"},
		{"TAB\tX", 0, "control"},
		{"0612345678", 0, "phone number"},
		{"+33612345678", 0, "phone number"},
		{"36034", 0, "phone number"},
		{"MYSHOP", ClassReply, "classe_msg=4"},
		{"ÉÉÉÉÉÉÉÉÉÉÉÉ", 0, "accents"},
		{"+33612345678901", 0, "phone number"},
	}
	for _, tt := range bad {
		err := ValidateSender(tt.s, tt.c)
		var re *RequestError
		require.ErrorAs(t, err, &re, "%q", tt.s)
		assert.Equal(t, "emetteur", re.Field)
		assert.Contains(t, err.Error(), tt.rule, "%q", tt.s)
		assert.Contains(t, err.Error(), "emetteur")
		assert.True(t, IsPermanent(err))
	}
}

func TestValidateRefClient(t *testing.T) {
	assert.NoError(t, ValidateRefClient(""))
	assert.NoError(t, ValidateRefClient(strings.Repeat("a", 40)))
	assert.NoError(t, ValidateRefClient(strings.Repeat("é", 40)))
	err := ValidateRefClient(strings.Repeat("a", 41))
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "refClient", re.Field)
	assert.Contains(t, err.Error(), "at most 40")
	assert.Error(t, ValidateRefClient("\xff"))
}

func TestJoinNumbers(t *testing.T) {
	s, err := joinNumbers("numero", []string{"33612345678", "+33698765432", "0612345678"})
	require.NoError(t, err)
	assert.Equal(t, "33612345678,33698765432,0612345678", s)
	for _, bad := range [][]string{{""}, {"+"}, {"336 12"}, {"336,12"}, {"33612345678", "abc"}, {strings.Repeat("1", 21)}} {
		_, err := joinNumbers("numero", bad)
		var re *RequestError
		require.ErrorAs(t, err, &re, "%q", bad)
		assert.Equal(t, "numero", re.Field)
	}
	_, err = joinNumbers("numero", []string{"33612345678", "x"})
	assert.Contains(t, err.Error(), "entry 2")
}
