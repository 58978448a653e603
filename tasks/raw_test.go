package tasks_test

import (
	"testing"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/tasks"
)

// tasksNewRaw builds an sms:send task without validation, as a careless producer would.
func tasksNewRaw(payload string) *asynq.Task {
	return asynq.NewTask(tasks.TypeSend, []byte(payload))
}

func enqueueRaw(t *testing.T, b *bundle, task *asynq.Task, id string) (*asynq.TaskInfo, error) {
	c := asynq.NewClient(b.redis.ConnOpt())
	t.Cleanup(func() { c.Close() })
	return c.Enqueue(task, asynq.TaskID(id), asynq.MaxRetry(5))
}
