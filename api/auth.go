package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

// tokenNone is the token label of requests without a known token.
const tokenNone = "none"

// authenticator checks bearer tokens. It keeps SHA-256 hashes only.
type authenticator struct {
	hashes  [][sha256.Size]byte
	clients []string
}

func newAuthenticator(tokens []Token) (*authenticator, error) {
	if len(tokens) == 0 {
		return nil, errors.New("api: Config.Tokens is empty")
	}
	a := &authenticator{}
	seen := map[[sha256.Size]byte]bool{}
	for i, t := range tokens {
		switch {
		case t.Name == "" || t.Name == tokenNone:
			return nil, fmt.Errorf("api: token %d: the name must be set and not %q", i+1, tokenNone)
		case t.Token == "":
			return nil, fmt.Errorf("api: token %q is empty", t.Name)
		case strings.ContainsAny(t.Token, " \t\r\n"):
			return nil, fmt.Errorf("api: token %q contains white space", t.Name)
		}
		for _, n := range a.clients {
			if n == t.Name {
				return nil, fmt.Errorf("api: token name %q appears twice", t.Name)
			}
		}
		h := sha256.Sum256([]byte(t.Token))
		if seen[h] {
			return nil, fmt.Errorf("api: the token of %q is also another client's", t.Name)
		}
		seen[h] = true
		a.hashes = append(a.hashes, h)
		a.clients = append(a.clients, t.Name)
	}
	return a, nil
}

func (a *authenticator) names() []string { return a.clients }

// authProblem is a refused Authorization header.
type authProblem struct {
	challenge string // WWW-Authenticate (RFC 6750)
	detail    string // for the client
	reason    string // for the log
}

// check returns the name of the client whose token header carries.
// Comparing hashes takes the same time whatever the candidate's length,
// and every token is compared, so the time tells neither which token
// matched nor how much of one did.
func (a *authenticator) check(header string) (string, *authProblem) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(header), " ")
	cred = strings.TrimSpace(cred)
	if header == "" || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return "", &authProblem{
			challenge: `Bearer realm="smsq"`,
			detail:    "send Authorization: Bearer TOKEN (a token of API_TOKENS)",
			reason:    "no bearer token",
		}
	}
	got := sha256.Sum256([]byte(cred))
	match := -1
	for i, want := range a.hashes {
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return "", &authProblem{
			challenge: `Bearer realm="smsq", error="invalid_token"`,
			detail:    "the bearer token is not one of API_TOKENS",
			reason:    "unknown bearer token",
		}
	}
	return a.clients[match], nil
}
