package metrics

import (
	"slices"
	"strings"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/webhook"
)

// The label values created at 0 by New. A label value outside these sets
// can still appear (a provider code smsq does not know, an HTTP status):
// its series is born at its first increment, which is why the recommended
// alert expressions also fire for a series that appears with a value.
var (
	sendTypes  = []string{tasks.TypeSend, tasks.TypeVoice, tasks.TypeBatch}
	eventTypes = []string{tasks.TypeDelivery, tasks.TypeReply}
	taskTypes  = slices.Concat(sendTypes, eventTypes)

	// endpoints are the calls the Provider wrapper times and counts.
	endpoints = []string{"sendSMS.do", "sendVoiceMessage.do", "sendSMSBatch.do", "smsList.do"}

	// providerCodes are the outcomes of a provider call smsq knows: the
	// reference's return codes of the send endpoints and the errors the
	// client reports without one.
	providerCodes = []string{
		smsmode.CodeAccepted.String(),
		smsmode.CodeInternalError.String(),          // 31: retried a few times, then archived
		smsmode.CodeAuthentication.String(),         // 32: archived at once
		smsmode.CodeInsufficientCredit.String(),     // 33: archived at once
		smsmode.CodeInvalidParameter.String(),       // 35: archived at once
		smsmode.CodeTemporarilyUnavailable.String(), // 50: retried, archived when MAX_RETRY is spent
		"invalid_request", "protocol_error", "transport_error",
	}

	// sendArchiveCodes are the codes a send task is archived with: a
	// provider code (not 0), or why smsq gave up without one.
	sendArchiveCodes = append(slices.Clone(providerCodes[1:]),
		codeInvalidPayload, codeOutcomeUnknown, codeRetriesExhausted)
	// eventArchiveCodes are the codes a delivery or reply task is archived
	// with: it calls no provider.
	eventArchiveCodes = []string{codeInvalidPayload, codeRetriesExhausted}

	callbackKinds    = []string{webhook.KindDelivery, webhook.KindReply}
	callbackOutcomes = []string{"stored", "duplicate", "invalid", "not_found", "method_not_allowed", "too_large", "unavailable"}
	forwardOutcomes  = []string{"ok", "error"}
)

// Archive codes that are not the provider's.
const (
	codeInvalidPayload   = "invalid_payload"   // the payload cannot be sent as it is
	codeOutcomeUnknown   = "outcome_unknown"   // an ambiguous call smsList.do could not resolve
	codeRetriesExhausted = "retries_exhausted" // asynq archived it: its retries ran out
)

// createKnownSeries creates the alerting counters' known series at 0.
func (m *Metrics) createKnownSeries(o options) {
	for _, e := range endpoints {
		m.ProviderLatency.WithLabelValues(e)
		for _, c := range providerCodes {
			m.ProviderRequests.WithLabelValues(e, c)
		}
	}
	for _, t := range taskTypes {
		m.Retries.WithLabelValues(t)
	}
	for _, t := range sendTypes {
		for _, c := range sendArchiveCodes {
			m.Archived.WithLabelValues(t, c)
		}
		m.Expired.WithLabelValues(t)
		m.Deferrals.WithLabelValues(t)
	}
	for _, t := range eventTypes {
		for _, c := range eventArchiveCodes {
			m.Archived.WithLabelValues(t, c)
		}
		for _, out := range forwardOutcomes {
			m.EventsForwarded.WithLabelValues(t, out)
		}
	}
	for _, k := range callbackKinds {
		for _, out := range callbackOutcomes {
			m.Callbacks.WithLabelValues(k, out)
		}
	}
	m.Callbacks.WithLabelValues("", "not_found") // a path that is no callback route
	for _, c := range cappedCountries(o.allowed, o.caps) {
		m.DestinationsRefused.WithLabelValues(c, ReasonDailyCap)
	}
}

// cappedCountries are the regions a daily cap applies to, when they are a
// known list: caps' own regions, plus allowed when caps has "*".
func cappedCountries(allowed []string, caps map[string]int) []string {
	var out []string
	for r := range caps {
		if r != "*" {
			out = append(out, strings.ToUpper(r))
		}
	}
	if _, all := caps["*"]; all {
		for _, r := range allowed {
			out = append(out, strings.ToUpper(r))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
