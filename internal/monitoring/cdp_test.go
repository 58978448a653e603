package monitoring_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// browser drives a headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: commands on fd 3, answers on fd 4, each message
// ending with a NUL byte), so that a test can click in the real UI without
// a WebSocket library or a driver binary.
type browser struct {
	t       *testing.T
	in      *os.File // our end of fd 3
	session string

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpAnswer
	done    chan struct{} // closed when the browser's output ends
}

type cdpAnswer struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// startBrowser starts Chromium with one blank page and stops it when t ends.
func startBrowser(t *testing.T, bin string) *browser {
	t.Helper()
	cmdR, cmdW, err := os.Pipe()
	require.NoError(t, err)
	outR, outW, err := os.Pipe()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append(chromiumFlags(t), "--remote-debugging-pipe", "--window-size=1280,900")...)
	cmd.ExtraFiles = []*os.File{cmdR, outW} // fd 3, fd 4
	require.NoError(t, cmd.Start())
	cmdR.Close()
	outW.Close()
	b := &browser{t: t, in: cmdW, waiting: make(map[int]chan cdpAnswer), done: make(chan struct{})}
	go b.read(outR)
	t.Cleanup(func() {
		cmdW.Close() // Chromium exits when its command pipe closes
		select {
		case <-b.done:
		case <-time.After(10 * time.Second):
			cancel()
		}
		cancel()
		_ = cmd.Wait()
		outR.Close()
	})

	var target struct {
		TargetID string `json:"targetId"`
	}
	b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	b.session = attached.SessionID
	b.call(b.session, "Page.enable", nil, nil)
	return b
}

func (b *browser) read(out *os.File) {
	defer close(b.done)
	r := bufio.NewReader(out)
	for {
		msg, err := r.ReadBytes(0)
		if err != nil {
			return
		}
		var m struct {
			ID int `json:"id"`
			cdpAnswer
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == 0 {
			continue // an event: not needed
		}
		b.mu.Lock()
		ch := b.waiting[m.ID]
		delete(b.waiting, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m.cdpAnswer
		}
	}
}

// call sends one command and decodes its result into out (if not nil).
func (b *browser) call(session, method string, params any, out any) {
	b.t.Helper()
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpAnswer, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	buf, err := json.Marshal(msg)
	require.NoError(b.t, err)
	_, err = b.in.Write(append(buf, 0))
	require.NoError(b.t, err, method)
	select {
	case a := <-ch:
		if a.Error != nil {
			b.t.Fatalf("%s: %s", method, a.Error.Message)
		}
		if out != nil {
			require.NoError(b.t, json.Unmarshal(a.Result, out), method)
		}
	case <-b.done:
		b.t.Fatalf("%s: chromium exited", method)
	case <-time.After(60 * time.Second):
		b.t.Fatalf("%s: no answer from chromium", method)
	}
}

// navigate opens url in the page.
func (b *browser) navigate(url string) {
	b.t.Helper()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	b.call(b.session, "Page.navigate", map[string]any{"url": url}, &nav)
	require.Empty(b.t, nav.ErrorText, url)
}

// eval runs a JavaScript expression in the page, awaiting a promise, and
// returns its value as JSON. A thrown error fails the test.
func (b *browser) eval(expr string) json.RawMessage {
	b.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	b.call(b.session, "Runtime.evaluate", map[string]any{
		"expression": expr, "awaitPromise": true, "returnByValue": true, "userGesture": true,
	}, &res)
	if e := res.ExceptionDetails; e != nil {
		b.t.Fatalf("in the page: %s %s", e.Text, e.Exception.Description)
	}
	return res.Result.Value
}

// waitFor polls, inside the page, until the JavaScript expression cond
// returns something truthy (within 30 s), and returns it.
func (b *browser) waitFor(cond string) json.RawMessage {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`new Promise((resolve, reject) => {
		const deadline = Date.now() + 30000;
		const poll = () => {
			let v;
			try { v = (%s); } catch (e) { v = null; }
			if (v) return resolve(v === true ? true : String(v));
			if (Date.now() > deadline) return reject(new Error("timed out waiting for: " + %q + "\n" + document.body.innerText.slice(0, 2000)));
			setTimeout(poll, 50);
		};
		poll();
	})`, cond, cond))
}
