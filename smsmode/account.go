package smsmode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Credit calls credit.do: the account balance in credits, negative for
// post-paid accounts.
func (c *Client) Credit(ctx context.Context) (float64, error) {
	a, err := c.postForm(ctx, epCredit, nil)
	if err != nil {
		return 0, c.redactErr(err)
	}
	v, err := parseCredit(a.body)
	return v, c.redactErr(err)
}

// SubAccount is a createSubAccount.do request.
type SubAccount struct {
	Pseudo, Pass                         string // newPseudo (max 50), newPass
	Reference                            string
	LastName, FirstName, Company         string // nom, prenom, societe
	Address, City, PostalCode            string // adresse, ville, codePostal
	Mobile, Phone, Fax, Email, BirthDate string // mobile, telephone, fax, email, date
}

// String describes the sub-account without its password.
func (a SubAccount) String() string {
	return fmt.Sprintf("smsmode.SubAccount{Pseudo:%q Pass:%s}", a.Pseudo, redact(a.Pass))
}

// GoString is String: %#v must not print the password either.
func (a SubAccount) GoString() string { return a.String() }

// CreateSubAccount calls createSubAccount.do. Code 41 means the login
// already exists.
func (c *Client) CreateSubAccount(ctx context.Context, a SubAccount) error {
	switch {
	case a.Pseudo == "":
		return &RequestError{Field: "newPseudo", Reason: "empty"}
	case utf8.RuneCountInString(a.Pseudo) > MaxSubAccountPseudoLength:
		return &RequestError{Field: "newPseudo", Reason: fmt.Sprintf("at most %d characters", MaxSubAccountPseudoLength)}
	case a.Pass == "":
		return &RequestError{Field: "newPass", Reason: "empty"}
	}
	p := url.Values{}
	w := &wireText{params: p}
	for _, kv := range [][2]string{
		{"newPseudo", a.Pseudo}, {"newPass", a.Pass}, {"reference", a.Reference},
		{"nom", a.LastName}, {"prenom", a.FirstName}, {"societe", a.Company},
		{"adresse", a.Address}, {"ville", a.City}, {"codePostal", a.PostalCode},
		{"mobile", a.Mobile}, {"telephone", a.Phone}, {"fax", a.Fax},
		{"email", a.Email}, {"date", a.BirthDate},
	} {
		w.set(kv[0], kv[1])
	}
	if w.err != nil {
		if re, ok := w.err.(*RequestError); ok && re.Field == "newPass" {
			// The reason quotes the offending character: not for a password.
			re.Reason = "has a character with no ISO-8859-15 encoding"
		}
		return w.err
	}
	return c.simple(ctx, epCreateSubAccount, p)
}

// DeleteSubAccount calls deleteSubAccount.do (pseudoToDelete). The endpoint
// is documented up to the 3.1 edition only.
func (c *Client) DeleteSubAccount(ctx context.Context, pseudo string) error {
	if pseudo == "" {
		return &RequestError{Field: "pseudoToDelete", Reason: "empty"}
	}
	p := url.Values{}
	w := &wireText{params: p}
	w.set("pseudoToDelete", pseudo)
	if w.err != nil {
		return w.err
	}
	return c.simple(ctx, epDeleteSubAccount, p)
}

// CreditTransfer is a creditTransfert.do request.
type CreditTransfer struct {
	Target    string // targetPseudo
	Amount    int    // creditAmount: whole credits only
	Reference string
}

// TransferCredit calls creditTransfert.do. Code 33 means not enough credit,
// 41 an unknown target.
func (c *Client) TransferCredit(ctx context.Context, t CreditTransfer) error {
	switch {
	case t.Target == "":
		return &RequestError{Field: "targetPseudo", Reason: "empty"}
	case t.Amount <= 0:
		return &RequestError{Field: "creditAmount", Reason: "must be a positive whole number"}
	}
	p := url.Values{"creditAmount": {strconv.Itoa(t.Amount)}}
	w := &wireText{params: p}
	w.set("targetPseudo", t.Target)
	w.set("reference", t.Reference)
	if w.err != nil {
		return w.err
	}
	return c.simple(ctx, epCreditTransfer, p)
}

// Contact is an addContact.do request.
type Contact struct {
	LastName  string // nom (required)
	Mobile    string // mobile (required)
	FirstName string
	Groups    []string // groupes; missing groups are created
	Company   string
	Other     string
	BirthDate string
}

// AddContact calls addContact.do.
func (c *Client) AddContact(ctx context.Context, ct Contact) error {
	if ct.LastName == "" {
		return &RequestError{Field: "nom", Reason: "empty"}
	}
	mobile, err := checkNumber("mobile", -1, ct.Mobile)
	if err != nil {
		return err
	}
	for i, g := range ct.Groups {
		if g == "" || strings.Contains(g, ",") {
			return &RequestError{Field: "groupes", Reason: fmt.Sprintf("entry %d: a group name must be non-empty and without commas", i+1)}
		}
	}
	p := url.Values{"mobile": {mobile}}
	w := &wireText{params: p}
	w.set("nom", ct.LastName)
	w.set("prenom", ct.FirstName)
	w.set("groupes", strings.Join(ct.Groups, ","))
	w.set("societe", ct.Company)
	w.set("other", ct.Other)
	w.set("date", ct.BirthDate)
	if w.err != nil {
		return w.err
	}
	return c.simple(ctx, epAddContact, p)
}

// Authorisation is the JSON answer of http/2.0/createAuthorisation.do.
type Authorisation struct {
	ID           string `json:"id"`
	AccessToken  string `json:"accessToken"`
	CreationDate string `json:"creationDate"`
	State        string `json:"state"`
	Expiration   string `json:"expiration"`
	Account      string `json:"account"`
}

// String describes the authorisation without its token.
func (a Authorisation) String() string {
	return fmt.Sprintf("smsmode.Authorisation{ID:%q AccessToken:%s CreationDate:%q State:%q Expiration:%q Account:%q}",
		a.ID, redact(a.AccessToken), a.CreationDate, a.State, a.Expiration, a.Account)
}

// GoString is String.
func (a Authorisation) GoString() string { return a.String() }

// UnmarshalJSON accepts strings, numbers and booleans for every field: the
// reference gives the fields but not their JSON types.
func (a *Authorisation) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		case bool:
			return strconv.FormatBool(v)
		}
		return ""
	}
	*a = Authorisation{
		ID: str("id"), AccessToken: str("accessToken"), CreationDate: str("creationDate"),
		State: str("state"), Expiration: str("expiration"), Account: str("account"),
	}
	return nil
}

// CreateAuthorisation calls http/2.0/createAuthorisation.do (derived from
// BaseURL) and returns a new access token. It authenticates with the
// configured accessToken or, for the 2.7 edition, with username (and
// pseudo) and pass. An HTTP 4xx JSON error is an *HTTPError carrying the
// provider's message.
func (c *Client) CreateAuthorisation(ctx context.Context) (*Authorisation, error) {
	p := url.Values{}
	if c.cfg.AccessToken != "" {
		p.Set("accessToken", c.cfg.AccessToken)
	} else {
		// 2.7's example names the login "username"; its table says
		// "pseudo". Both are sent.
		p.Set("username", c.cfg.Pseudo)
		p.Set("pseudo", c.cfg.Pseudo)
		p.Set("pass", c.cfg.Pass)
	}
	a, err := c.do(ctx, epCreateAuth, c.auth20, "application/x-www-form-urlencoded", []byte(p.Encode()))
	if err != nil {
		return nil, c.redactErr(err)
	}
	auth, err := parseAuthorisation(a.body)
	return auth, c.redactErr(err)
}

// parseAuthorisation reads the JSON answer, or a 1.6-style "NN | text".
func parseAuthorisation(body string) (*Authorisation, error) {
	s := strings.TrimSpace(body)
	if !strings.HasPrefix(s, "{") {
		if l, ok := errorLine(s); ok {
			return nil, &Error{Endpoint: epCreateAuth, Code: l.code, Description: l.description()}
		}
		return nil, protoErr(epCreateAuth, "not JSON", body)
	}
	var auth Authorisation
	if err := json.Unmarshal([]byte(s), &auth); err != nil {
		// No snippet: the body may hold a new token.
		return nil, protoErr(epCreateAuth, "malformed JSON", "")
	}
	if auth.AccessToken == "" {
		reason := "no accessToken"
		if msg, ok := jsonMessage(s); ok {
			reason += ": " + sanitize(msg, 100)
		}
		return nil, protoErr(epCreateAuth, reason, "")
	}
	return &auth, nil
}
