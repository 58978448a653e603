package handler_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/webhook"
)

// With WEBHOOK_PUBLIC_URL set, every send and batch carries notification
// URLs naming its own task (escaped), so the receiver needs no ledger
// look-up; a URL the task names itself is left alone.
func TestNotificationURLsNameTheTask(t *testing.T) {
	b := setup(t)
	const base, secret = "https://sms.example.com", "hook-secret-4c1e9a7b2d"
	b.cfg.WebhookPublicURL = base
	b.cfg.WebhookSecret = config.Secrets{secret, "old-secret-0f9e8d7c6b"}
	b.startWorker(t)
	ctx := context.Background()

	_, err := b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "OUI ?", Reply: true}, tasks.WithTaskID("order/42 ?"))
	require.NoError(t, err)
	_, err = b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345679"}, Message: "own URL", NotificationURL: "https://app.example/dlr"}, tasks.WithTaskID("own"))
	require.NoError(t, err)
	chunks, err := b.enqueuer.Batch(ctx, tasks.BatchPayload{Rows: []tasks.BatchRow{{To: "0612345670", Message: "a"}, {To: "0612345671", Message: "b"}}}, tasks.WithTaskID("camp"))
	require.NoError(t, err)
	require.Len(t, chunks, 1)
	for _, id := range []string{"order/42 ?", "own", chunks[0].ID} {
		b.waitState(t, id, "completed")
	}

	byRef := map[string]smsmodetest.Message{}
	for _, m := range b.fake.Messages() {
		byRef[m.RefClient] = m
	}
	require.Equal(t, base+"/webhooks/smsmode/"+secret+"/delivery/order%2F42%20%3F", byRef["order/42 ?"].NotificationURL)
	require.Equal(t, base+"/webhooks/smsmode/"+secret+"/reply/order%2F42%20%3F", byRef["order/42 ?"].ReplyURL)
	require.Equal(t, webhook.DeliveryURL(base, secret, "order/42 ?"), byRef["order/42 ?"].NotificationURL)
	require.Equal(t, "https://app.example/dlr", byRef["own"].NotificationURL)
	require.Empty(t, byRef["own"].ReplyURL, "not reply-allowed")
	require.Equal(t, webhook.DeliveryURL(base, secret, chunks[0].ID), byRef[chunks[0].ID].NotificationURL)
}
