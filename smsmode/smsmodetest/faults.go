package smsmodetest

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/smsq/smsq/smsmode"
)

type faultKind int

const (
	faultCode faultKind = iota + 1
	faultHTTP
	faultDrop
	faultDropAfter
	faultAcceptThenCode
	faultAcceptThenHTTP
)

// fault is one scripted failure, consumed by the next matching requests.
type fault struct {
	kind     faultKind
	endpoint string // "" matches every endpoint
	code     smsmode.Code
	status   int
	times    int // < 0: until ClearFaults
}

// FailNext makes the next times requests to endpoint answer
// "code | description" (the endpoint's own wording for code) without
// processing them. createAuthorisation.do answers a JSON error instead
// (HTTP 401 for 32, 400 for 35, 500 for 31, 503 for 50).
func (s *Server) FailNext(endpoint string, code smsmode.Code, times int) {
	s.addFault(fault{kind: faultCode, endpoint: endpoint, code: code, times: times})
}

// FailHTTP makes the next times requests to endpoint answer with the HTTP
// status (e.g. 502, 503, 429) and its status text, without processing them.
// 429 and 503 carry "Retry-After: 1".
func (s *Server) FailHTTP(endpoint string, status int, times int) {
	s.addFault(fault{kind: faultHTTP, endpoint: endpoint, status: status, times: times})
}

// DropNext makes the server close the connection of the next times requests
// to endpoint without processing or answering them: the client sees a
// connection error (EOF, connection reset).
//
// Note that net/http's Transport silently retries a replayable idempotent
// request (a GET, or any request with an Idempotency-Key header) that fails
// on a reused keep-alive connection after it was written: drop such requests
// twice or the client may never notice. Plain POST requests are not retried.
func (s *Server) DropNext(endpoint string, times int) {
	s.addFault(fault{kind: faultDrop, endpoint: endpoint, times: times})
}

// DropAfterAccept makes the server process the next times requests to
// endpoint normally (a send is accepted, charged and recorded, and its
// automatic reports start) and then close the connection without answering:
// the client cannot tell whether its send went through.
func (s *Server) DropAfterAccept(endpoint string, times int) {
	s.addFault(fault{kind: faultDropAfter, endpoint: endpoint, times: times})
}

// AcceptThenFail makes the server process the next times requests to
// endpoint normally (a send is accepted, charged and recorded, and its
// automatic reports start) and then answer "code | description" instead of
// the real answer. With code 31 (Erreur interne) this is the provider
// failing after it took the message: the client sees a refusal-looking
// answer for a message that is on its way, which smsmode.IsAmbiguous
// reports. Other codes are accepted too, to test clients against answers
// the reference does not describe.
func (s *Server) AcceptThenFail(endpoint string, code smsmode.Code, times int) {
	s.addFault(fault{kind: faultAcceptThenCode, endpoint: endpoint, code: code, times: times})
}

// AcceptThenFailHTTP makes the server process the next times requests to
// endpoint normally (a send is accepted, charged and recorded) and then
// answer the HTTP status, as a proxy or load balancer in front of the
// provider does when its answer comes too late (502 Bad Gateway, 504
// Gateway Timeout).
func (s *Server) AcceptThenFailHTTP(endpoint string, status, times int) {
	s.addFault(fault{kind: faultAcceptThenHTTP, endpoint: endpoint, status: status, times: times})
}

// FailNumber makes every send whose recipients include number (national
// French or international digits) answer code until ClearFaults; code 0
// removes the fault for that number. Unlike the other faults it applies
// once the request is authenticated and its recipients known (groups
// expanded), still before anything is charged or recorded. In a batch, one
// such row fails the whole file, as a refused request would.
func (s *Server) FailNumber(number string, code smsmode.Code) {
	if n, ok := normalizeNumber(number); ok {
		number = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == smsmode.CodeAccepted {
		delete(s.failNumbers, number)
		return
	}
	s.failNumbers[number] = code
}

// ClearFaults removes every scripted fault and FailNumber. Latency, set with
// SetLatency, is not a fault and stays.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	clear(s.failNumbers)
	s.mu.Unlock()
}

func (s *Server) addFault(f fault) {
	if err := s.tryAddFault(f); err != nil {
		panic(err.Error())
	}
}

// tryAddFault adds f, or reports an unknown endpoint.
func (s *Server) tryAddFault(f fault) error {
	if f.endpoint != "" {
		f.endpoint = canonicalEndpoint(f.endpoint)
		if _, ok := endpoints[f.endpoint]; !ok {
			return errors.New("smsmodetest: unknown endpoint " + strconv.Quote(f.endpoint))
		}
	}
	if f.times == 0 {
		return nil
	}
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
	return nil
}

// takeFault consumes the first fault matching endpoint.
func (s *Server) takeFault(endpoint string) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.endpoint != "" && f.endpoint != endpoint {
			continue
		}
		taken := *f
		if f.times > 0 {
			f.times--
			if f.times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &taken
	}
	return nil
}

// failNumberLocked returns the code scripted for one of numbers, if any.
func (s *Server) failNumberLocked(numbers []string) (smsmode.Code, bool) {
	if len(s.failNumbers) == 0 {
		return 0, false
	}
	for _, n := range numbers {
		if code, ok := s.failNumbers[n]; ok {
			return code, true
		}
	}
	return 0, false
}

func httpFault(w http.ResponseWriter, status int) answer {
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	return answer{
		status: status,
		ctype:  "text/plain; charset=utf-8",
		body:   []byte(strconv.Itoa(status) + " " + http.StatusText(status) + "\n"),
	}
}
