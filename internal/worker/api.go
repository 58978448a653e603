package worker

import (
	"errors"
	"net/http"
	"slices"

	"github.com/smsq/smsq/api"
	"github.com/smsq/smsq/tasks"
)

// addAPI mounts the HTTP producer API (package api) on mux when
// API_TOKENS is set, in pods that face the internet: roles all and
// webhooks.
func (w *Worker) addAPI(mux *http.ServeMux) error {
	if w.role == RoleTasks || len(w.cfg.APITokens) == 0 {
		return nil
	}
	enq, err := tasks.NewEnqueuer(w.rdb, w.cfg.TaskOptions())
	if err != nil {
		return err
	}
	insp, err := tasks.NewInspector(w.rdb)
	if err != nil {
		return err
	}
	tokens := make([]api.Token, len(w.cfg.APITokens))
	for i, t := range w.cfg.APITokens {
		tokens[i] = api.Token{Name: t.Name, Token: t.Token}
	}
	// A request may name the queues of WORKER_QUEUES but events: the
	// Enqueuer does not refuse that one yet, so the API does.
	queues := make([]string, 0, len(w.cfg.WorkerQueues))
	for q := range w.cfg.WorkerQueues {
		if q != tasks.QueueEvents {
			queues = append(queues, q)
		}
	}
	if len(queues) == 0 {
		return errors.New("config: API_TOKENS is set but WORKER_QUEUES lists no queue a message may go to (events is reserved for callbacks)")
	}
	slices.Sort(queues)
	cfg := api.Config{
		Tokens:     tokens,
		Enqueuer:   enq,
		Inspector:  insp,
		Region:     w.cfg.DefaultRegion,
		BatchChunk: w.cfg.BatchChunk,
		Queues:     queues,
		Location:   w.cfg.Timezone.Location,
		Logger:     w.log,
		Registerer: w.reg,
		// MarketingSendAt: the commercial window (marketing.Window) once
		// payloads carry "marketing"; dry runs then show the moved send_at.
	}
	// Cancelling a message sMsmode holds needs the provider's credentials:
	// webhook pods have none (w.client is nil), and tasks.Inspector.Cancel
	// answers such a cancellation with a CancelError (409).
	if w.client != nil {
		cfg.Deleter = w.client
	}
	h, err := api.New(cfg)
	if err != nil {
		return err
	}
	mux.Handle(api.PathPrefix, h)
	return nil
}
