package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	vderrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/api"
	smsqconfig "github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/logtest"
	"github.com/smsq/smsq/internal/metrics"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

func TestMain(m *testing.M) { redistest.Main(m) }

var paris = mustLoad("Europe/Paris")

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

// apiConfig is what setup's tune functions adjust.
type apiConfig = api.Config

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// The tokens of every test. wrongToken is what a client with a stale
// token sends: it must not reach the logs either.
const (
	shopToken  = "shop-token-9f2c4e7a1b3d5f60"
	crmToken   = "crm-token-0a1b2c3d4e5f6a7b"
	wrongToken = "wrong-token-77e1d2c3b4a59687"
)

var allTokens = []string{shopToken, crmToken, wrongToken}

// bundle is what a test needs: a private Redis, the fake provider, the
// producer and inspector, and the API on a real HTTP server.
type bundle struct {
	redis  *redistest.Server
	rdb    *redis.Client
	fake   *smsmodetest.Server
	cfg    *smsqconfig.Config // the worker's settings
	enq    *tasks.Enqueuer
	insp   *tasks.Inspector
	ledger *store.Ledger
	recips *store.RecipientStore
	queues *asynq.Inspector
	reg    *prometheus.Registry
	logs   *logtest.Buffer
	srv    *httptest.Server
	hc     *http.Client
}

// setup starts everything with BATCH_CHUNK 1000 and the fake as the
// Deleter; tune adjusts the API's configuration.
func setup(t *testing.T, tune ...func(*api.Config)) *bundle {
	t.Helper()
	t.Parallel()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithLocation(paris))
	t.Cleanup(fake.Close)
	b := &bundle{redis: srv, rdb: srv.Client(), fake: fake, cfg: smsqconfig.Defaults(), reg: prometheus.NewRegistry(), logs: &logtest.Buffer{}}
	b.cfg.MaxRetry = 3
	b.cfg.RetryBaseDelay, b.cfg.RetryMaxDelay = 10*time.Millisecond, 50*time.Millisecond
	var err error
	b.enq, err = tasks.NewEnqueuer(b.rdb, b.cfg.TaskOptions())
	require.NoError(t, err)
	b.insp, err = tasks.NewInspector(b.rdb)
	require.NoError(t, err)
	b.ledger, err = store.NewLedger(b.rdb, store.DefaultLedgerTTL)
	require.NoError(t, err)
	b.recips, err = store.NewRecipientStore(b.rdb, store.DefaultRecipientTTL)
	require.NoError(t, err)
	b.queues = asynq.NewInspectorFromRedisClient(b.rdb)
	cfg := api.Config{
		Tokens:     []api.Token{{Name: "shop", Token: shopToken}, {Name: "crm", Token: crmToken}},
		Enqueuer:   b.enq,
		Inspector:  b.insp,
		Deleter:    fake.Client(),
		BatchChunk: b.cfg.BatchChunk,
		Location:   paris,
		Logger:     slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: b.reg,
		Timeout:    2 * time.Second,
	}
	for _, f := range tune {
		f(&cfg)
	}
	h, err := api.New(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(api.PathPrefix, h)
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	b.hc = b.srv.Client()
	// Whatever a test did, no token may be in its log.
	t.Cleanup(func() {
		out := b.logs.String()
		for _, tok := range allTokens {
			require.NotContains(t, out, tok, "a token reached the log")
		}
	})
	return b
}

// startWorker runs the production task stack (worker.NewTaskStack)
// against the fake.
func (b *bundle) startWorker(t *testing.T) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	stack, err := worker.NewTaskStack(b.cfg, b.rdb, b.fake.Client(), metrics.New(prometheus.NewRegistry()), logger)
	require.NoError(t, err)
	stack.Config.TaskCheckInterval = 10 * time.Millisecond
	stack.Config.DelayedTaskCheckInterval = 100 * time.Millisecond
	stack.Config.ShutdownTimeout = 5 * time.Second
	stack.Config.LogLevel = asynq.FatalLevel
	srv := asynq.NewServerFromRedisClient(b.rdb, stack.Config)
	require.NoError(t, srv.Start(stack.Mux))
	t.Cleanup(srv.Shutdown)
}

// reply is an answer of the API, already checked against the OpenAPI
// document.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a map.
func (r *reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// problem decodes an application/problem+json answer and checks the
// members every problem has.
func (r *reply) problem(t *testing.T, status int) map[string]any {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	p := r.json(t)
	require.EqualValues(t, status, p["status"])
	require.NotEmpty(t, p["title"])
	require.NotEmpty(t, p["detail"])
	require.True(t, strings.HasPrefix(p["type"].(string), "https://"), "type %v", p["type"])
	return p
}

// call is one request.
type call struct {
	method, path string
	body         io.Reader
	contentType  string
	token        string // "" for none; shopToken by default through do
	headers      map[string]string
	length       int64 // set ContentLength (-1: unknown, chunked)
	checkRequest bool  // also validate the request against the document
}

// do sends c with the shop's token unless c says otherwise, validates the
// answer (and, when asked, the request) against the committed OpenAPI
// document and returns it.
func (b *bundle) do(t *testing.T, c call) *reply {
	t.Helper()
	var raw []byte
	if c.body != nil {
		var err error
		raw, err = io.ReadAll(c.body)
		require.NoError(t, err)
	}
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(raw)
		if c.length < 0 {
			body = io.MultiReader(bytes.NewReader(raw)) // hides the length: chunked
		}
	}
	req, err := http.NewRequest(c.method, b.srv.URL+c.path, body)
	require.NoError(t, err)
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	if c.length < 0 {
		req.ContentLength = -1
	}
	resp, err := b.hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	checkAgainstDocument(t, c.method, c.path, c.contentType, raw, c.checkRequest, resp, got)
	return &reply{status: resp.StatusCode, header: resp.Header, body: got}
}

// post sends a JSON body with the shop's token.
func (b *bundle) post(t *testing.T, path string, body any, headers ...string) *reply {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	return b.postRaw(t, path, string(raw), headers...)
}

// postRaw sends a raw JSON body with the shop's token; headers are
// name, value pairs.
func (b *bundle) postRaw(t *testing.T, path, body string, headers ...string) *reply {
	t.Helper()
	c := call{method: http.MethodPost, path: path, body: strings.NewReader(body), contentType: "application/json", token: shopToken, headers: map[string]string{}}
	for i := 0; i+1 < len(headers); i += 2 {
		c.headers[headers[i]] = headers[i+1]
	}
	return b.do(t, c)
}

func (b *bundle) get(t *testing.T, path string) *reply {
	t.Helper()
	return b.do(t, call{method: http.MethodGet, path: path, token: shopToken})
}

func (b *bundle) delete(t *testing.T, path string) *reply {
	t.Helper()
	return b.do(t, call{method: http.MethodDelete, path: path, token: shopToken})
}

// taskIDs lists every task in the queues.
func (b *bundle) taskIDs(t *testing.T) []string {
	t.Helper()
	qs, err := b.queues.Queues()
	require.NoError(t, err)
	var ids []string
	for _, q := range qs {
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
			b.queues.ListPendingTasks, b.queues.ListScheduledTasks, b.queues.ListActiveTasks,
			b.queues.ListRetryTasks, b.queues.ListArchivedTasks, b.queues.ListCompletedTasks,
		} {
			infos, err := list(q, asynq.PageSize(10_000))
			require.NoError(t, err)
			for _, i := range infos {
				ids = append(ids, i.ID)
			}
		}
	}
	return ids
}

// payload returns the stored payload of task id in queue.
func (b *bundle) payload(t *testing.T, queue, id string, into any) {
	t.Helper()
	info, err := b.queues.GetTaskInfo(queue, id)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(info.Payload, into))
}

// waitState waits for task id to reach state through the API.
func (b *bundle) waitState(t *testing.T, id, state string) map[string]any {
	t.Helper()
	var last map[string]any
	require.Eventually(t, func() bool {
		r := b.get(t, "/v1/tasks/"+id)
		if r.status != http.StatusOK {
			return false
		}
		last = r.json(t)
		return last["state"] == state
	}, 20*time.Second, 20*time.Millisecond, "task %s never reached %s (last: %v)", id, state, last)
	return last
}

// --- the OpenAPI document --------------------------------------------------

// committedDocument is docs/openapi.json, the copy users and CI read.
func committedDocument(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../docs/openapi.json")
	require.NoError(t, err)
	return b
}

var (
	docOnce   sync.Once
	docModel  libopenapi.Document
	docValid  validator.Validator
	docSchema *base.Schema // components.schemas.Problem
	docErr    error
	// The validator's caches are not documented as safe for concurrent
	// use, and parallel tests share it.
	docMu sync.Mutex
)

func loadDocument(t testing.TB) {
	t.Helper()
	docOnce.Do(func() {
		raw, err := os.ReadFile("../docs/openapi.json")
		if err != nil {
			docErr = err
			return
		}
		docModel, err = libopenapi.NewDocument(raw)
		if err != nil {
			docErr = err
			return
		}
		v, errs := validator.NewValidator(docModel, config.WithFormatAssertions())
		if len(errs) > 0 {
			docErr = errs[0]
			return
		}
		docValid = v
		m, err := docModel.BuildV3Model()
		if err != nil {
			docErr = err
			return
		}
		docSchema = m.Model.Components.Schemas.GetOrZero("Problem").Schema()
	})
	require.NoError(t, docErr)
}

// checkAgainstDocument validates an answer (and, when asked, its request)
// against the committed document. The 404 and 405 answers of routes the
// document cannot describe (an unknown path, a wrong method) are checked
// against its Problem schema.
func checkAgainstDocument(t *testing.T, method, path, contentType string, reqBody []byte, checkRequest bool, resp *http.Response, body []byte) {
	t.Helper()
	loadDocument(t)
	docMu.Lock()
	defer docMu.Unlock()
	req, err := http.NewRequest(method, "http://localhost:8080"+path, bytes.NewReader(reqBody))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer x")
	if checkRequest {
		ok, errs := docValid.ValidateHttpRequestSync(req)
		require.True(t, ok, "request %s %s does not match the document: %v", method, path, describe(errs))
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	copyResp := *resp
	copyResp.Body = io.NopCloser(bytes.NewReader(body))
	ok, errs := docValid.ValidateHttpResponse(req, &copyResp)
	if !ok && undocumented(errs) && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed) {
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
		ok, errs = schema_validation.NewSchemaValidator().ValidateSchemaBytes(docSchema, body)
		require.True(t, ok, "%s %s → %d does not match the Problem schema: %v\n%s", method, path, resp.StatusCode, describe(errs), body)
		return
	}
	require.True(t, ok, "%s %s → %d does not match the document: %v\n%s", method, path, resp.StatusCode, describe(errs), body)
}

// undocumented reports errors that only say the document has no such path
// or method.
func undocumented(errs []*vderrors.ValidationError) bool {
	for _, e := range errs {
		if !e.IsPathMissingError() && !e.IsOperationMissingError() {
			return false
		}
	}
	return len(errs) > 0
}

func describe(errs []*vderrors.ValidationError) string {
	var parts []string
	for _, e := range errs {
		s := e.Message + ": " + e.Reason
		for _, f := range e.SchemaValidationErrors {
			s += " [" + f.Error() + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
