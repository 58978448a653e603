package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Media types a request body may have. Browsers send only
// application/x-www-form-urlencoded, multipart/form-data and text/plain
// across sites without a CORS preflight (which this API never answers),
// so requiring one of these refuses forged form posts.
const (
	mediaJSON = "application/json"
	mediaCSV  = "text/csv"
)

// charsets of a CSV body.
const (
	charsetAuto   = "" // each field: UTF-8 when valid, else ISO-8859-15
	charsetLatin9 = "iso-8859-15"
)

// mediaType parses the request's Content-Type against the accepted types
// and returns the type and, for CSV, how to decode it.
func mediaType(r *http.Request, accepted ...string) (mt, charset string, p *problem) {
	want := strings.Join(accepted, " or ")
	v := r.Header.Get("Content-Type")
	if v == "" {
		return "", "", newProblem(problemMediaType, "send Content-Type: "+want)
	}
	mt, params, err := mime.ParseMediaType(v)
	ok := err == nil
	if ok {
		ok = false
		for _, a := range accepted {
			ok = ok || mt == a
		}
	}
	if !ok {
		return "", "", newProblem(problemMediaType, fmt.Sprintf("Content-Type %q is not accepted here: send %s", clip(v, 80), want))
	}
	cs := strings.ToLower(params["charset"])
	switch {
	case cs == "" || cs == "utf-8" || cs == "utf8":
		return mt, charsetAuto, nil
	case mt == mediaCSV && (cs == "iso-8859-15" || cs == "iso-8859-1" || cs == "latin1" || cs == "latin-9" || cs == "windows-1252"):
		return mt, charsetLatin9, nil
	}
	if mt == mediaCSV {
		return "", "", newProblem(problemMediaType, fmt.Sprintf("charset %q: a CSV body is UTF-8 or ISO-8859-15", clip(cs, 40)))
	}
	return "", "", newProblem(problemMediaType, fmt.Sprintf("charset %q: JSON is UTF-8", clip(cs, 40)))
}

// limitBody bounds the body at limit bytes while it is read: a declared
// length over it is refused before reading, an undeclared one when the
// limit is crossed.
func limitBody(w http.ResponseWriter, r *http.Request, limit int64) (io.Reader, *problem) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	return http.MaxBytesReader(w, r.Body, limit), nil
}

func tooLarge(limit int64) *problem {
	return newProblem(problemTooLarge, fmt.Sprintf("the body is over this route's limit of %d bytes; split the batch", limit))
}

// readError maps an error while reading the body.
func readError(err error, limit int64) *problem {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return tooLarge(limit)
	}
	return newProblem(problemMalformed, "the body could not be read: "+clip(err.Error(), 120))
}

// readJSON reads a JSON body of at most limit bytes into v.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) *problem {
	body, p := limitBody(w, r, limit)
	if p != nil {
		return p
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return readError(err, limit)
	}
	return decodeJSON(b, v)
}

// decodeJSON decodes one JSON object into v (a pointer to a struct),
// refusing unknown fields. A value of the wrong type is a 422 naming the
// field in payload notation ("rows[3].to"); what is not JSON is a 400.
func decodeJSON(b []byte, v any) *problem {
	if len(bytes.TrimSpace(b)) == 0 {
		return newProblem(problemMalformed, "the body is empty: send a JSON object")
	}
	if !utf8.Valid(b) {
		return newProblem(problemMalformed, "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, err := dec.Token(); err != io.EOF {
			return newProblem(problemMalformed, "malformed JSON: data after the object")
		}
		return nil
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return newProblem(problemMalformed, fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: ")))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem(problemMalformed, "malformed JSON: the body ends inside a value")
	}
	field, reason := locate(b, reflect.TypeOf(v).Elem())
	if field == "" {
		return newProblem(problemMalformed, "the body must be a JSON object")
	}
	return fieldProblem(field, "invalid "+field+": "+reason)
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType            = reflect.TypeFor[time.Time]()
)

// locate finds the first value of b, in document order, that cannot be
// decoded into t, and returns its path in payload notation and why. It
// runs only after json.Decoder refused b: encoding/json names neither
// array indices nor the field of a failing UnmarshalJSON.
func locate(b []byte, t reflect.Type) (path, reason string) {
	dec := json.NewDecoder(bytes.NewReader(b))
	path, reason, _ = walk(dec, t, "")
	return path, reason
}

// walk reads the next value of dec as a t; found reports a refused value.
func walk(dec *json.Decoder, t reflect.Type, path string) (bad, reason string, found bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	scalar := reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)
	switch {
	case !scalar && t.Kind() == reflect.Struct:
		if tok, err := dec.Token(); err != nil || tok == nil {
			return path, want(t), err != nil
		} else if d, ok := tok.(json.Delim); !ok || d != '{' {
			return path, want(t), true
		}
		fields := jsonFields(t)
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return path, want(t), true
			}
			key, _ := tok.(string)
			f, ok := fieldNamed(fields, key)
			if !ok {
				return join(path, key), "unknown field", true
			}
			if bad, reason, found := walk(dec, f.Type, join(path, f.Name)); found {
				return bad, reason, true
			}
		}
		_, _ = dec.Token() // '}'
		return "", "", false
	case !scalar && t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		if tok, err := dec.Token(); err != nil || tok == nil {
			return path, want(t), err != nil
		} else if d, ok := tok.(json.Delim); !ok || d != '[' {
			return path, want(t), true
		}
		for i := 0; dec.More(); i++ {
			if bad, reason, found := walk(dec, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); found {
				return bad, reason, true
			}
		}
		_, _ = dec.Token() // ']'
		return "", "", false
	}
	if err := dec.Decode(reflect.New(t).Interface()); err != nil {
		return path, want(t), true
	}
	return "", "", false
}

// want says what a value of t must be.
func want(t reflect.Type) string {
	switch {
	case t == timeType:
		return "want an RFC 3339 time such as \"2026-07-14T10:30:00+02:00\""
	case t.Kind() == reflect.String:
		return "want a string"
	case t.Kind() == reflect.Bool:
		return "want true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "want an integer"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "want an array of strings"
	case t.Kind() == reflect.Slice:
		return "want an array"
	case t.Kind() == reflect.Struct:
		return "want an object"
	}
	return "want a " + t.Kind().String()
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonField is a field as encoding/json sees it.
type jsonField struct {
	Name string
	Type reflect.Type
}

// jsonFields lists t's JSON fields, those of embedded structs included
// (the payload plus "queue" is a struct embedding the payload). An outer
// field hides an inner one of the same name, as in encoding/json.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	seen := map[string]bool{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		var embedded []reflect.Type
		for i := range t.NumField() {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if sf.Anonymous && name == "" {
				ft := sf.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					embedded = append(embedded, ft)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if !seen[name] {
				seen[name] = true
				out = append(out, jsonField{Name: name, Type: sf.Type})
			}
		}
		for _, e := range embedded {
			add(e)
		}
	}
	add(t)
	return out
}

// fieldNamed matches key as encoding/json does: exactly, else ignoring case.
func fieldNamed(fields []jsonField, key string) (jsonField, bool) {
	for _, f := range fields {
		if f.Name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.Name, key) {
			return f, true
		}
	}
	return jsonField{}, false
}

// boolParam parses a query parameter such as dry_run ("" is false).
func boolParam(v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	return strconv.ParseBool(v)
}

// clip bounds a client-supplied string quoted in an answer or a log line.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
