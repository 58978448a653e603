package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
)

// The HTTP producer API of the built worker, driven with curl as a PHP or
// Python backend would: send, follow to the delivery report the fake calls
// back, repeat with the same Idempotency-Key, cancel a scheduled message;
// and a webhooks-role pod serving the same API without provider
// credentials. No log line of either process holds a token.
func TestHTTPAPISendFollowRepeatCancel(t *testing.T) {
	const (
		shopToken = "shop-e2e-token-5d1c9a7b3e2f"
		crmToken  = "crm-e2e-token-8b7a6c5d4e3f"
		secret    = "e2e-api-hook-secret-3f9a1c"
	)
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithAutoDelivery(smsmode.StatusDeliveredToOperator, smsmode.StatusReceived))
	t.Cleanup(fake.Close)
	addr := proctest.FreeAddr(t)
	env := []string{
		"REDIS_URL=" + srv.URL(),
		"SMSMODE_BASE_URL=" + fake.URL,
		"SMSMODE_ACCESS_TOKEN=" + smsmodetest.AccessToken,
		"HTTP_ADDR=" + addr,
		"WEBHOOK_SECRET=" + secret,
		"WEBHOOK_PUBLIC_URL=http://" + addr,
		"API_TOKENS=shop:" + shopToken + ",crm:" + crmToken,
	}
	w, _ := startWorker(t, env...)
	base := "http://" + addr
	c := newCurl(t)

	// Send, and follow the task to the delivery report.
	status, m := c.do(t, "POST", base+"/v1/sms", shopToken, `{"to":["06 12 34 56 78"],"message":"Votre code : 4821","queue":"critical"}`, "Idempotency-Key: otp-e2e-1")
	require.Equal(t, http.StatusAccepted, status, "%v", m)
	require.Equal(t, "otp-e2e-1", m["id"])
	var st map[string]any
	require.Eventually(t, func() bool {
		status, st = c.do(t, "GET", base+"/v1/tasks/otp-e2e-1", crmToken, "")
		if status != http.StatusOK || st["state"] != "completed" {
			return false
		}
		rs, _ := st["recipients"].([]any)
		return len(rs) == 1 && rs[0].(map[string]any)["status"] == float64(smsmode.StatusReceived)
	}, 30*time.Second, 100*time.Millisecond, "the status never showed the delivery report: %v", st)
	msgs := fake.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, msgs[0].SMSID, st["result"].(map[string]any)["sms_id"])
	rc := st["recipients"].([]any)[0].(map[string]any)
	require.Equal(t, "33612345678", rc["to"])
	require.Equal(t, true, rc["final"])
	at, err := time.Parse(time.RFC3339, rc["at"].(string))
	require.NoError(t, err)
	_, offset := at.Zone()
	_, paris := at.In(mustLocation(t, "Europe/Paris")).Zone()
	require.Equal(t, paris, offset, "times are given in SMSMODE_TIMEZONE")

	// The client never got the answer and sends again: nothing is sent twice.
	status, m = c.do(t, "POST", base+"/v1/sms", shopToken, `{"to":["06 12 34 56 78"],"message":"Votre code : 4821","queue":"critical"}`, "Idempotency-Key: otp-e2e-1")
	require.Equal(t, http.StatusOK, status, "%v", m)
	require.Equal(t, true, m["duplicate"])
	require.Equal(t, "completed", m["state"])
	require.Len(t, fake.Messages(), 1)

	// A message for later: sMsmode holds it, the API cancels it there.
	sendAt := time.Now().Add(2 * time.Hour).Format(time.RFC3339)
	status, m = c.do(t, "POST", base+"/v1/sms", shopToken, `{"to":["0698765432"],"message":"Rappel : rendez-vous demain 10 h","send_at":"`+sendAt+`"}`, "Idempotency-Key: reminder-e2e")
	require.Equal(t, http.StatusAccepted, status, "%v", m)
	require.Eventually(t, func() bool {
		status, st = c.do(t, "GET", base+"/v1/tasks/reminder-e2e", shopToken, "")
		return status == http.StatusOK && st["state"] == "completed"
	}, 30*time.Second, 50*time.Millisecond, "the scheduled message never reached sMsmode: %v", st)
	held := fake.Messages()[1]
	require.True(t, held.Scheduled())

	// A webhooks-role pod serves the API too, without provider credentials:
	// it tells the status, and a task pod (the "all" worker) deletes the
	// message at sMsmode on its behalf.
	hookAddr := proctest.FreeAddr(t)
	hooks, _ := startWorker(t, append(env, "WORKER_ROLE=webhooks", "HTTP_ADDR="+hookAddr, "SMSMODE_ACCESS_TOKEN=")...)
	status, st = c.do(t, "GET", "http://"+hookAddr+"/v1/tasks/reminder-e2e", crmToken, "")
	require.Equal(t, http.StatusOK, status, "%v", st)
	require.Equal(t, "completed", st["state"])
	status, m = c.do(t, "DELETE", "http://"+hookAddr+"/v1/tasks/reminder-e2e", crmToken, "")
	require.Equal(t, http.StatusOK, status, "%v", m)
	require.Equal(t, map[string]any{"id": "reminder-e2e", "state": "cancelled"}, m)
	got, _ := fake.Message(held.SMSID)
	require.True(t, got.Deleted, "deleteSMS.do was called by a task pod")

	// Again, on the other pod: already cancelled is still 200.
	status, m = c.do(t, "DELETE", base+"/v1/tasks/reminder-e2e", shopToken, "")
	require.Equal(t, http.StatusOK, status, "%v", m)
	status, st = c.do(t, "GET", base+"/v1/tasks/reminder-e2e", shopToken, "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "cancelled", st["state"])

	// Refusals on the way: no token, a wrong one.
	status, _ = c.do(t, "GET", base+"/v1/tasks/otp-e2e-1", "", "")
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = c.do(t, "GET", base+"/v1/tasks/otp-e2e-1", "not-"+shopToken, "")
	require.Equal(t, http.StatusUnauthorized, status)

	hooks.Terminate(t, 40*time.Second)
	w.Terminate(t, 40*time.Second)
	for p, client := range map[*proctest.Proc]string{w: "shop", hooks: "crm"} {
		out := p.Output()
		require.Contains(t, out, `"token":"`+client+`"`, "the log names the client")
		for _, tok := range []string{shopToken, crmToken, secret} {
			require.NotContains(t, out, tok, "a secret reached the log")
		}
	}
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// curl runs requests with the curl binary when there is one (CI has it),
// as a shell script or a PHP backend would; otherwise with net/http.
type curl struct{ path string }

func newCurl(t *testing.T) *curl {
	p, err := exec.LookPath("curl")
	if err != nil {
		t.Log("curl not found: requests go through net/http")
	}
	return &curl{path: p}
}

// do sends one request and returns the status and the decoded JSON body.
// headers are "Name: value" lines.
func (c *curl) do(t *testing.T, method, url, token, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	if token != "" {
		headers = append(headers, "Authorization: Bearer "+token)
	}
	if body != "" {
		headers = append(headers, "Content-Type: application/json")
	}
	var status int
	var out []byte
	if c.path != "" {
		args := []string{"-sS", "-X", method, "-w", "\n%{http_code}", "--max-time", "10"}
		for _, h := range headers {
			args = append(args, "-H", h)
		}
		if body != "" {
			args = append(args, "--data-binary", "@-")
		}
		cmd := exec.Command(c.path, append(args, url)...)
		cmd.Stdin = strings.NewReader(body)
		b, err := cmd.Output()
		require.NoError(t, err, "curl %s %s", method, url)
		i := bytes.LastIndexByte(b, '\n')
		status, err = strconv.Atoi(strings.TrimSpace(string(b[i+1:])))
		require.NoError(t, err)
		out = b[:i]
	} else {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		require.NoError(t, err)
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ": ")
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		status = resp.StatusCode
		out, err = io.ReadAll(resp.Body)
		require.NoError(t, err)
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(out, &m), fmt.Sprintf("%s %s → %d: %s", method, url, status, out))
	return status, m
}
