package worker

import (
	"fmt"
	"net/http"

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
		return fmt.Errorf("config: API_TOKENS: %w", err)
	}
	insp, err := tasks.NewInspector(w.rdb)
	if err != nil {
		return err
	}
	tokens := make([]api.Token, len(w.cfg.APITokens))
	for i, t := range w.cfg.APITokens {
		tokens[i] = api.Token{Name: t.Name, Token: t.Token}
	}
	cfg := api.Config{
		Tokens:     tokens,
		Enqueuer:   enq,
		Inspector:  insp,
		BatchChunk: w.cfg.BatchChunk,
		Location:   w.cfg.Timezone.Location,
		Logger:     w.log,
		Registerer: w.reg,
	}
	// Cancelling a message sMsmode holds needs the provider's credentials:
	// webhook pods have none (w.client is nil), so tasks.Inspector.Cancel
	// has a worker on queue critical cancel it on their behalf.
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
