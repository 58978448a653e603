package producer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/producer"
	"github.com/smsq/smsq/tasks"
)

func TestMain(m *testing.M) { redistest.Main(m, redistest.WithExampleServer()) }

// A backend's whole journey: connect from the environment, send an OTP that
// is useless after five minutes, retry the request safely, follow it, and
// cancel a reminder.
func Example() {
	ctx := context.Background()
	p, err := producer.FromEnv()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	otp := tasks.SendPayload{To: []string{"06 12 34 56 78"}, Message: "Votre code : 4821", ExpiresAt: time.Now().Add(5 * time.Minute)}
	for range 2 {
		res, err := p.Send(ctx, otp, tasks.WithTaskID("otp-42-1"), tasks.WithQueue(tasks.QueueCritical))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.ID, res.Queue, "duplicate:", res.Duplicate)
	}
	st, _ := p.Status(ctx, "otp-42-1")
	fmt.Println(st.State)

	_, err = p.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "x"}, tasks.WithQueue("nosuchqueue"))
	fmt.Println(err)

	_, _ = p.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "Rappel : demain 9 h"}, tasks.WithTaskID("reminder-7"))
	out, _ := p.Cancel(ctx, "reminder-7")
	fmt.Println(out)
	st, _ = p.Status(ctx, "reminder-7")
	fmt.Println(st.State)
	// Output:
	// otp-42-1 critical duplicate: false
	// otp-42-1 critical duplicate: true
	// pending
	// invalid queue: "nosuchqueue": no worker serves it (WORKER_QUEUES has [critical default low])
	// cancelled before it reached sMsmode
	// cancelled
}

// README's Go snippet compiles as written: it is built as a program of this
// module (an overlay file, nothing written into the tree).
func TestREADMESnippetCompiles(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(package main\n.*?)```").FindAllSubmatch(readme, -1)
	require.NotEmpty(t, blocks, "README has a complete Go program (a ```go block starting with package main)")
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	for i, b := range blocks {
		dir := t.TempDir()
		src := filepath.Join(dir, "main.go")
		require.NoError(t, os.WriteFile(src, b[1], 0o644))
		fake := filepath.Join(root, "internal", fmt.Sprintf("readmesnippet%d", i), "main.go")
		overlay, err := json.Marshal(map[string]any{"Replace": map[string]string{fake: src}})
		require.NoError(t, err)
		ov := filepath.Join(dir, "overlay.json")
		require.NoError(t, os.WriteFile(ov, overlay, 0o644))
		cmd := exec.Command("go", "build", "-overlay", ov, "-o", os.DevNull, "./"+filepath.ToSlash(strings.TrimPrefix(filepath.Dir(fake), root+string(filepath.Separator))))
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "README's Go program %d does not compile:\n%s", i+1, out)
	}
}
