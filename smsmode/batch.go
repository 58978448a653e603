package smsmode

import (
	"bytes"
	"context"
	"encoding/csv"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strconv"
	"time"
)

// BatchRow is one line of the batch CSV file.
type BatchRow struct {
	Number    string // numero
	Message   string // GSM-table characters only (the batch has no unicode class)
	Sender    string // emetteur; empty uses the request's Sender or the account default
	RefClient string // refClient column (documented from the 3.1 edition)
}

// Batch is a sendSMSBatch.do request: a multipart upload of an ISO-8859-15
// CSV in part "fichier".
type Batch struct {
	Rows            []BatchRow
	Class           Class // ClassPro or ClassReply
	SendAt          time.Time
	RefClient       string
	Sender          string
	MaxParts        int
	NotificationURL string
}

// batchFileName is the uploaded file's name; the provider ignores it.
const batchFileName = "batch.csv"

// batchCSV renders the rows of a validated batch as the provider's file,
// ISO-8859-15, fields quoted where needed: header "numero,message,emetteur"
// and three columns, the reference's "seuls numero, message, emetteur",
// unless a row carries a refClient, which adds the fourth column of the 3.1
// edition.
func batchCSV(b *Batch) ([]byte, error) {
	withRef := false
	for _, r := range b.Rows {
		withRef = withRef || r.RefClient != ""
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	// LF, not CRLF: csv.Writer's UseCRLF would also turn a newline inside a
	// message into CR LF, adding a character to the SMS.
	header := []string{"numero", "message", "emetteur", "refClient"}
	if !withRef {
		header = header[:3]
	}
	_ = w.Write(header)
	for _, r := range b.Rows {
		// Validated by Batch.Validate: the number is digits with an optional
		// "+", the sender printable ASCII, the texts GSM and ISO-8859-15.
		num, err := checkNumber("numero", -1, r.Number)
		if err != nil {
			return nil, err
		}
		msg, err := encodeMessage("message", 0, r.Message, b.Class)
		if err != nil {
			return nil, err
		}
		rec := []string{num, msg, r.Sender}
		if withRef {
			ref, err := wireValue("refClient", r.RefClient, false)
			if err != nil {
				return nil, err
			}
			rec = append(rec, ref)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, &RequestError{Field: "fichier", Reason: err.Error(), Err: err}
	}
	return buf.Bytes(), nil
}

// SendBatch calls sendSMSBatch.do in the reference's shape: a POST whose
// multipart/form-data body holds only the CSV file (part "fichier",
// ISO-8859-15), every other parameter, credentials included, in the query
// string, as the reference's curl example and the provider's own client
// send it. That URL never reaches an error: a transport error names the
// endpoint without its query. The request is validated first
// (Batch.Validate). The result's SMSID is the campagneID.
func (c *Client) SendBatch(ctx context.Context, b *Batch) (*SendResult, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	file, err := batchCSV(b)
	if err != nil {
		return nil, err
	}

	p := url.Values{}
	wt := &wireText{params: p}
	wt.set("refClient", b.RefClient)
	wt.set("emetteur", b.Sender)
	wt.set("notification_url", b.NotificationURL)
	if wt.err != nil {
		return nil, wt.err
	}
	if b.Class != 0 {
		p.Set("classe_msg", strconv.Itoa(int(b.Class)))
	}
	if !b.SendAt.IsZero() {
		p.Set("date_envoi", c.FormatSendDate(b.SendAt))
	}
	if b.MaxParts > 0 {
		p.Set("nbr_msg", strconv.Itoa(b.MaxParts))
	}
	c.addAuth(p)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="fichier"; filename="`+batchFileName+`"`)
	h.Set("Content-Type", "text/csv")
	part, err := mw.CreatePart(h)
	if err != nil {
		return nil, err
	}
	if _, err := part.Write(file); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	u := c.base.ResolveReference(&url.URL{Path: epSendBatch, RawQuery: p.Encode()})
	a, err := c.do(ctx, epSendBatch, u, mw.FormDataContentType(), body.Bytes())
	if err != nil {
		return nil, c.redactErr(err)
	}
	res, err := parseSendResponse(epSendBatch, a.body)
	return res, c.redactErr(err)
}
