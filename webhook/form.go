package webhook

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// params merges the body's form parameters (first, as net/http does) with
// the query string's. Values keep their raw bytes: a reply's text may be
// ISO-8859-15 and is decoded by the smsmode parser. A non-zero status means
// the request is too large; an error, that the body could not be read to
// its end (a timeout, a broken connection).
func (h *Handler) params(w http.ResponseWriter, r *http.Request) (url.Values, int, error) {
	v := url.Values{}
	if r.Method == http.MethodPost && r.Body != nil {
		if r.ContentLength > h.cfg.MaxBody {
			w.Header().Set("Connection", "close")
			return nil, http.StatusRequestEntityTooLarge, nil
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, h.cfg.MaxBody+1))
		if int64(len(body)) > h.cfg.MaxBody {
			w.Header().Set("Connection", "close")
			return nil, http.StatusRequestEntityTooLarge, nil
		}
		if err != nil {
			return nil, 0, err
		}
		formParams(r.Header.Get("Content-Type"), body, v)
	}
	if r.URL != nil {
		if int64(len(r.URL.RawQuery)) > h.cfg.MaxBody {
			return nil, http.StatusRequestEntityTooLarge, nil
		}
		parseQuery(r.URL.RawQuery, v)
	}
	return v, 0, nil
}

// formParams adds a form body's parameters to v: url-encoded (also when no
// Content-Type is given) or multipart. Other bodies are ignored.
func formParams(contentType string, body []byte, v url.Values) {
	if len(body) == 0 {
		return
	}
	mt, mp, err := mime.ParseMediaType(contentType)
	switch {
	case contentType == "", err == nil && mt == "application/x-www-form-urlencoded":
		parseQuery(string(body), v)
	case err == nil && mt == "multipart/form-data" && mp["boundary"] != "":
		mr := multipart.NewReader(bytes.NewReader(body), mp["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				return
			}
			name := part.FormName()
			b, err := io.ReadAll(part)
			if err != nil {
				return
			}
			if name != "" && part.FileName() == "" {
				v[name] = append(v[name], string(b))
			}
		}
	}
}

// parseQuery adds url-encoded parameters to v. Unlike url.ParseQuery it
// never gives up: a malformed escape ("100%") is kept literally, so a
// reply with a badly encoded text is not lost; only "&" separates pairs.
func parseQuery(q string, v url.Values) {
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		k = unescape(k)
		v[k] = append(v[k], unescape(val))
	}
}

// unescape decodes "+" and %XX, keeping malformed escapes as they are.
func unescape(s string) string {
	if s2, err := url.QueryUnescape(s); err == nil {
		return s2
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
