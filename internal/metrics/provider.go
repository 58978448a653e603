package metrics

import (
	"context"
	"time"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks/handler"
)

// Provider counts and times every call the send handlers make.
type Provider struct {
	Next    handler.Provider
	Metrics *Metrics
}

var _ handler.Provider = Provider{}

func (p Provider) observe(endpoint string, start time.Time, err error) {
	p.Metrics.ProviderRequests.WithLabelValues(endpoint, CodeLabel(err)).Inc()
	p.Metrics.ProviderLatency.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
}

// SendSMS implements handler.Provider.
func (p Provider) SendSMS(ctx context.Context, m *smsmode.SMS) (*smsmode.SendResult, error) {
	start := time.Now()
	res, err := p.Next.SendSMS(ctx, m)
	p.observe("sendSMS.do", start, err)
	return res, err
}

// SendVoice implements handler.Provider.
func (p Provider) SendVoice(ctx context.Context, v *smsmode.Voice) (*smsmode.SendResult, error) {
	start := time.Now()
	res, err := p.Next.SendVoice(ctx, v)
	p.observe("sendVoiceMessage.do", start, err)
	return res, err
}

// SendBatch implements handler.Provider.
func (p Provider) SendBatch(ctx context.Context, b *smsmode.Batch) (*smsmode.SendResult, error) {
	start := time.Now()
	res, err := p.Next.SendBatch(ctx, b)
	p.observe("sendSMSBatch.do", start, err)
	return res, err
}

// SMSList implements handler.Provider.
func (p Provider) SMSList(ctx context.Context, opts smsmode.ListOptions) ([]smsmode.SentSMS, error) {
	start := time.Now()
	res, err := p.Next.SMSList(ctx, opts)
	p.observe("smsList.do", start, err)
	return res, err
}

// DeleteSMS implements handler.Provider.
func (p Provider) DeleteSMS(ctx context.Context, smsID string) error {
	start := time.Now()
	err := p.Next.DeleteSMS(ctx, smsID)
	p.observe("deleteSMS.do", start, err)
	return err
}
