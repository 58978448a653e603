package smsmode

// SKELETON: public API agreed between helpers. The client helper replaces the
// stub bodies and splits this file (client.go, send.go, batch.go, account.go,
// report.go, errors.go, status.go, callback.go, dates.go, validate.go).

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

var errTODO = errors.New("smsmode: not implemented yet")

// DefaultBaseURL is the production endpoint of the HTTP API 1.6.
const DefaultBaseURL = "https://api.smsmode.com/http/1.6/"

// Date layouts used on the wire (Go reference-time notation).
const (
	LayoutSendDate     = "02012006-15:04"      // date_envoi, startDate, endDate, responseList reception_date
	LayoutDeliveryDate = "2006-01-02 15:04:05" // delivery report callback date_reception
	LayoutReplyDate    = "02012006-150405"     // reply callback date_reception
	LayoutListDate     = "02/01/2006 15:04"    // smsList date_envoi (observed, unspecified)
)

// Config configures a Client.
type Config struct {
	BaseURL     string // default DefaultBaseURL; must end with /http/1.6/ (2.0 endpoints are derived)
	AccessToken string // preferred authentication
	Pseudo      string // or Pseudo + Pass
	Pass        string
	Location    *time.Location // zone of date_envoi and dates in responses; default Europe/Paris
	Timeout     time.Duration  // per request; default 15s
	HTTPClient  *http.Client   // default: tuned keep-alive transport (MaxIdleConnsPerHost >= 100)
	UserAgent   string
}

// Client calls the sMsmode HTTP API. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// NewClient validates cfg and returns a client.
func NewClient(cfg Config) (*Client, error) { return &Client{cfg: cfg}, nil }

// Class is the classe_msg parameter.
type Class int

// Message classes.
const (
	ClassPro     Class = 2 // SMS Pro (provider default)
	ClassReply   Class = 4 // reply allowed (no custom sender, France only)
	ClassUnicode Class = 9 // unicode, message sent as UTF-8
)

// Stop is the STOP parameter.
type Stop int

// STOP mention modes.
const (
	StopNone   Stop = 0
	StopIfFree Stop = 1 // added only when the text is at most 149 characters
	StopAlways Stop = 2
)

// SMS is a sendSMS.do request.
type SMS struct {
	Numbers         []string  // numero: international digits (33612345678) or French national
	Group           string    // groupe: exclusive with Numbers
	Message         string    // UTF-8; encoded to ISO-8859-15 unless Class is ClassUnicode
	Class           Class     // 0 means ClassPro (parameter omitted)
	SendAt          time.Time // date_envoi; zero means now
	RefClient       string    // refClient, at most 40 characters
	Sender          string    // emetteur
	MaxParts        int       // nbr_msg; 0 omits it (provider default 5)
	NotificationURL string    // notification_url
	ReplyURL        string    // notification_url_reponse
	Stop            Stop
}

// SendResult is the provider's answer to an accepted send.
type SendResult struct {
	SMSID       string // opaque; campagneID for batches
	Description string
}

// SendSMS calls sendSMS.do with POST.
func (c *Client) SendSMS(ctx context.Context, m *SMS) (*SendResult, error) { return nil, errTODO }

// Voice is a sendVoiceMessage.do request.
type Voice struct {
	Numbers  []string
	Message  string
	Title    string
	Language string // fr-FR, en-GB, de-DE, es-ES
	SendAt   time.Time
}

// SendVoice calls sendVoiceMessage.do with POST.
func (c *Client) SendVoice(ctx context.Context, v *Voice) (*SendResult, error) { return nil, errTODO }

// BatchRow is one line of the batch CSV file.
type BatchRow struct {
	Number    string
	Message   string
	Sender    string
	RefClient string
}

// Batch is a sendSMSBatch.do request: a multipart upload of an ISO-8859-15 CSV in part "fichier".
type Batch struct {
	Rows            []BatchRow
	Class           Class // ClassPro or ClassReply
	SendAt          time.Time
	RefClient       string
	Sender          string
	MaxParts        int
	NotificationURL string
}

// SendBatch calls sendSMSBatch.do. The result's SMSID is the campagneID.
func (c *Client) SendBatch(ctx context.Context, b *Batch) (*SendResult, error) { return nil, errTODO }

// RecipientStatus is one entry of compteRendu.do.
type RecipientStatus struct {
	Number string
	Status Status
}

// DeliveryReport calls compteRendu.do.
func (c *Client) DeliveryReport(ctx context.Context, smsID string) ([]RecipientStatus, error) {
	return nil, errTODO
}

// SMSStatusResult is the answer of smsStatus.do.
type SMSStatusResult struct {
	Status      Status
	Description string
}

// SMSStatus calls smsStatus.do.
func (c *Client) SMSStatus(ctx context.Context, smsID string) (*SMSStatusResult, error) {
	return nil, errTODO
}

// Credit calls credit.do; negative for post-paid accounts.
func (c *Client) Credit(ctx context.Context) (float64, error) { return 0, errTODO }

// SentSMS is one row of smsList.do.
type SentSMS struct {
	SMSID      string
	SentAt     time.Time
	Text       string
	Number     string
	Cost       float64
	Recipients int
}

// ListOptions pages smsList.do.
type ListOptions struct {
	Start  int // start (3.5+)
	Offset int // offset: how many (default 50, max 10000)
}

// SMSList calls smsList.do.
func (c *Client) SMSList(ctx context.Context, opts ListOptions) ([]SentSMS, error) {
	return nil, errTODO
}

// DeleteSMS calls deleteSMS.do with smsID.
func (c *Client) DeleteSMS(ctx context.Context, smsID string) error { return errTODO }

// DeleteSMSByNumber calls deleteSMS.do with numero: the most recent SMS to that number.
func (c *Client) DeleteSMSByNumber(ctx context.Context, number string) error { return errTODO }

// Response is a received reply, from responseList.do.
type Response struct {
	ID         string
	ReceivedAt time.Time
	From       string
	Text       string
	To         string
	SMSID      string
}

// ResponseQuery selects replies: by page (Start/Offset) or by date range (From/Until, both set).
type ResponseQuery struct {
	Start, Offset int
	From, Until   time.Time
}

// Responses calls responseList.do.
func (c *Client) Responses(ctx context.Context, q ResponseQuery) ([]Response, error) {
	return nil, errTODO
}

// SubAccount is a createSubAccount.do request.
type SubAccount struct {
	Pseudo, Pass                         string // newPseudo (max 50), newPass
	Reference                            string
	LastName, FirstName, Company         string // nom, prenom, societe
	Address, City, PostalCode            string // adresse, ville, codePostal
	Mobile, Phone, Fax, Email, BirthDate string
}

// CreateSubAccount calls createSubAccount.do.
func (c *Client) CreateSubAccount(ctx context.Context, a SubAccount) error { return errTODO }

// DeleteSubAccount calls deleteSubAccount.do (pseudoToDelete).
func (c *Client) DeleteSubAccount(ctx context.Context, pseudo string) error { return errTODO }

// CreditTransfer is a creditTransfert.do request.
type CreditTransfer struct {
	Target    string // targetPseudo
	Amount    int    // creditAmount: whole credits only
	Reference string
}

// TransferCredit calls creditTransfert.do.
func (c *Client) TransferCredit(ctx context.Context, t CreditTransfer) error { return errTODO }

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
func (c *Client) AddContact(ctx context.Context, ct Contact) error { return errTODO }

// Authorisation is the JSON answer of http/2.0/createAuthorisation.do.
type Authorisation struct {
	ID           string `json:"id"`
	AccessToken  string `json:"accessToken"`
	CreationDate string `json:"creationDate"`
	State        string `json:"state"`
	Expiration   string `json:"expiration"`
	Account      string `json:"account"`
}

// CreateAuthorisation calls http/2.0/createAuthorisation.do.
func (c *Client) CreateAuthorisation(ctx context.Context) (*Authorisation, error) {
	return nil, errTODO
}

// Error is a non-zero return code from the provider.
type Error struct {
	Endpoint    string // e.g. "sendSMS.do"
	Code        Code
	Description string // the provider's text
}

func (e *Error) Error() string {
	return "smsmode: " + e.Endpoint + ": code " + e.Code.String() + " " + e.Description
}

// Temporary reports whether retrying later may succeed (code 50).
func (e *Error) Temporary() bool { return e.Code == CodeTemporarilyUnavailable }

// HTTPError is a non-2xx HTTP answer.
type HTTPError struct {
	Endpoint   string
	StatusCode int
}

func (e *HTTPError) Error() string {
	return "smsmode: " + e.Endpoint + ": HTTP " + http.StatusText(e.StatusCode)
}

// Temporary reports 5xx and 429.
func (e *HTTPError) Temporary() bool { return e.StatusCode >= 500 || e.StatusCode == 429 }

// IsTemporary reports whether err is worth retrying with back-off: code 50,
// HTTP 5xx/429, network errors and timeouts.
func IsTemporary(err error) bool { return false }

// IsInternal reports the provider's internal error (code 31): retried a few times only.
func IsInternal(err error) bool { return false }

// IsPermanent reports an error that will not go away by retrying (32, 33, 35, unknown codes, invalid requests).
func IsPermanent(err error) bool { return false }

// IsAmbiguous reports whether the request may have reached the provider and been
// accepted although no answer was read (timeout or connection lost after the
// request was written). Retrying such a send risks a duplicate.
func IsAmbiguous(err error) bool { return false }

// DeliveryReportCallback is the delivery-report call to notification_url.
type DeliveryReportCallback struct {
	Number     string // numero, international digits
	ReceivedAt time.Time
	Status     Status
	SMSID      string
	RefClient  string
	MCCMNC     string // 3.1+
	Cost       string // 3.3+
}

// ReplyCallback is the reply (MO) call to notification_url_reponse.
type ReplyCallback struct {
	To         string // numero: the sMsmode number (shortcode) that got the reply
	Message    string // decoded from UTF-8 or ISO-8859-15
	From       string // emetteur: the replier's number
	ReceivedAt time.Time
	SMSID      string
	RefClient  string
	ResponseID string // 3.1+
}

// ParseDeliveryReport parses a delivery-report callback's parameters. Dates in
// either callback format are accepted and interpreted in loc.
func ParseDeliveryReport(v url.Values, loc *time.Location) (*DeliveryReportCallback, error) {
	return nil, errTODO
}

// ParseReply parses a reply callback's parameters.
func ParseReply(v url.Values, loc *time.Location) (*ReplyCallback, error) { return nil, errTODO }

// ValidateSender checks an emetteur: at most 11 characters, ASCII without spaces, not a phone number, not with ClassReply.
func ValidateSender(sender string, class Class) error { return nil }

// ValidateRefClient checks refClient: at most 40 characters.
func ValidateRefClient(ref string) error { return nil }
