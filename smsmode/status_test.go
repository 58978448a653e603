package smsmode

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStatusClassification(t *testing.T) {
	t.Parallel()
	final := []Status{11, 14, 16, 2, 21, 22, 33, 34, 35, 36, 37, 38, 39, 50, 100, 101, 3521, 3522, 3523, 3524, 3525, 3526, 3527, 3560, 3599, 3998, 3999}
	notFinal := []Status{0, 1, 10, 12, 13, 15, 3501, 3502, 3503, 3504, 999, 40, 7, 3500, 3600, 4000, -1}
	delivered := map[Status]bool{11: true, 14: true, 16: true, 100: true, 101: true}
	for _, s := range final {
		assert.True(t, s.Final(), "%d final", s)
		assert.Equal(t, delivered[s], s.Delivered(), "%d delivered", s)
		assert.Equal(t, !delivered[s], s.Failed(), "%d failed", s)
	}
	for _, s := range notFinal {
		assert.False(t, s.Final(), "%d not final", s)
		assert.False(t, s.Delivered(), "%d not delivered", s)
		assert.False(t, s.Failed(), "%d not failed", s)
	}
}

func TestStatusText(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "received", StatusReceived.String())
	assert.Equal(t, "Reçu", StatusReceived.Description())
	assert.Equal(t, "delivered to operator", StatusDeliveredToOperator.String())
	assert.Equal(t, "Délivré opérateur", StatusDeliveredToOperator.Description())
	assert.Equal(t, "Erreur permanente contenu", StatusPermanentContent.Description())
	assert.Equal(t, "Erreur permanente portabilité", StatusPermanentPortability.Description())
	assert.Equal(t, "status 1234", Status(1234).String())
	assert.Equal(t, "Statut 1234 inconnu", Status(1234).Description())
	assert.True(t, StatusBlacklisted.Known())
	assert.False(t, Status(1234).Known())
	// Every declared constant has a text.
	for s := range statusInfo {
		assert.NotEmpty(t, s.String())
		assert.NotContains(t, s.String(), "status ")
	}
	assert.Len(t, statusInfo, 39)
}

func TestClassString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "unicode", ClassUnicode.String())
	assert.Equal(t, "reply", ClassReply.String())
	assert.Equal(t, "class 7", Class(7).String())
}
