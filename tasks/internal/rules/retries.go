package rules

// sendRetryMargin is one asynq retry more than MAX_RETRY on send tasks:
// asynq archives any error, even "rate limited", once a task's retries reach
// its MaxRetry, so the worker keeps one in hand and archives a real failure
// itself when MAX_RETRY retries are spent.
const sendRetryMargin = 1

// AsynqMaxRetry is the asynq MaxRetry of a send task enqueued with
// MAX_RETRY maxRetry.
func AsynqMaxRetry(maxRetry int) int { return maxRetry + sendRetryMargin }

// SendRetries returns the MAX_RETRY an sms:send, sms:voice or sms:batch
// task was enqueued with, given asynq's retry maximum of the task.
func SendRetries(asynqMaxRetry int) int { return max(asynqMaxRetry-sendRetryMargin, 0) }
