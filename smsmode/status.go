package smsmode

import "strconv"

// Status is a delivery status (compteRendu.do, smsStatus.do, delivery-report callbacks).
type Status int

// Statuses of the reference and of the later editions' annex.
const (
	StatusSent                 Status = 0
	StatusInProgress           Status = 1
	StatusInternalError        Status = 2
	StatusScheduled            Status = 10
	StatusReceived             Status = 11
	StatusPartiallyDelivered   Status = 12
	StatusDeliveredToOperator  Status = 13
	StatusDelivered            Status = 14
	StatusPartiallyReceived    Status = 15
	StatusListened             Status = 16
	StatusUndeliverable        Status = 21
	StatusRejected             Status = 22
	StatusInsufficientCredit   Status = 33
	StatusRoutingError         Status = 34
	StatusReceptionError       Status = 35
	StatusMessageError         Status = 36
	StatusExpired              Status = 37
	StatusTooLong              Status = 38
	StatusReceptionFailed      Status = 39
	StatusTemplate             Status = 40
	StatusNotDelivered         Status = 50
	StatusRead                 Status = 100
	StatusUnread               Status = 101
	StatusUndefined            Status = 999
	StatusTemporaryOperator    Status = 3501
	StatusTemporaryAbsence     Status = 3502
	StatusTemporaryPhone       Status = 3503
	StatusTemporaryPortability Status = 3504
	StatusPermanentOperator    Status = 3521
	StatusPermanentAbsence     Status = 3522
	StatusPermanentPhone       Status = 3523
	StatusPermanentAntiSpam    Status = 3524
	StatusPermanentContent     Status = 3525
	StatusPermanentPortability Status = 3526
	StatusPermanentRoaming     Status = 3527
	StatusNonRoutable          Status = 3560
	StatusOtherError           Status = 3599
	StatusInvalidRecipient     Status = 3998
	StatusBlacklisted          Status = 3999
)

// statusInfo is the English name (annex of the 3.x editions) and the French
// text of the reference for each documented status.
var statusInfo = map[Status]struct{ en, fr string }{
	StatusSent:                 {"sent", "Envoyé"},
	StatusInProgress:           {"in progress", "En cours"},
	StatusInternalError:        {"internal error", "Non envoyé – erreur interne"},
	StatusScheduled:            {"scheduled", "Envoi programmé"},
	StatusReceived:             {"received", "Reçu"},
	StatusPartiallyDelivered:   {"partially delivered", "Partiellement délivré"},
	StatusDeliveredToOperator:  {"delivered to operator", "Délivré opérateur"},
	StatusDelivered:            {"delivered", "Délivré"},
	StatusPartiallyReceived:    {"partially received", "Partiellement reçu"},
	StatusListened:             {"listened", "Ecouté"},
	StatusUndeliverable:        {"not deliverable", "Non délivrable"},
	StatusRejected:             {"rejected", "Rejeté"},
	StatusInsufficientCredit:   {"not sent: insufficient credit", "Non envoyé - crédit insuffisant"},
	StatusRoutingError:         {"routing error", "Erreur routage"},
	StatusReceptionError:       {"reception error", "Erreur réception"},
	StatusMessageError:         {"message error", "Erreur message"},
	StatusExpired:              {"expired", "Message expiré"},
	StatusTooLong:              {"message too long", "Message trop long"},
	StatusReceptionFailed:      {"reception failed", "Erreur réception"},
	StatusTemplate:             {"template", "Modèle"},
	StatusNotDelivered:         {"not delivered", "Non délivré"},
	StatusRead:                 {"read", "Lu"},
	StatusUnread:               {"not read", "Non lu"},
	StatusUndefined:            {"undefined", "Indéfini"},
	StatusTemporaryOperator:    {"temporary operator error", "Erreur temporaire opérateur"},
	StatusTemporaryAbsence:     {"temporary absence error", "Erreur temporaire absence"},
	StatusTemporaryPhone:       {"temporary phone error", "Erreur temporaire téléphone"},
	StatusTemporaryPortability: {"temporary portability error", "Erreur temporaire portabilité"},
	StatusPermanentOperator:    {"permanent operator error", "Erreur permanente opérateur"},
	StatusPermanentAbsence:     {"permanent absence error", "Erreur permanente absence"},
	StatusPermanentPhone:       {"permanent phone error", "Erreur permanente téléphone"},
	StatusPermanentAntiSpam:    {"permanent anti-spam error", "Erreur permanente anti spam"},
	StatusPermanentContent:     {"permanent content error", "Erreur permanente contenu"},
	StatusPermanentPortability: {"permanent portability error", "Erreur permanente portabilité"},
	StatusPermanentRoaming:     {"permanent roaming error", "Erreur permanente roaming"},
	StatusNonRoutable:          {"non-routable", "Erreur non routable"},
	StatusOtherError:           {"other error", "Erreur autre"},
	StatusInvalidRecipient:     {"invalid recipient", "Numéro invalide"},
	StatusBlacklisted:          {"blacklisted recipient", "Destinataire blacklisté"},
}

// String returns the English name of the status ("received",
// "delivered to operator"), or "status N" for an undocumented code.
func (s Status) String() string {
	if i, ok := statusInfo[s]; ok {
		return i.en
	}
	return "status " + strconv.Itoa(int(s))
}

// Description returns the French text of the reference ("Reçu", "Délivré
// opérateur"), or "Statut N inconnu" for an undocumented code.
func (s Status) Description() string {
	if i, ok := statusInfo[s]; ok {
		return i.fr
	}
	return "Statut " + strconv.Itoa(int(s)) + " inconnu"
}

// Known reports whether the status is documented.
func (s Status) Known() bool {
	_, ok := statusInfo[s]
	return ok
}

// Final reports a status after which no further change is expected: a
// delivery (11, 14, 16, 100, 101), or a failure that will not be retried by
// the network (2, 21, 22, 33-39, 50, the permanent errors 3521-3599, 3998,
// 3999). Sent (0), in progress (1), scheduled (10), partial states (12,
// 15), delivered to operator (13), the temporary errors 3501-3504,
// undefined (999), template (40) and unknown codes are not final: a later
// report may follow.
func (s Status) Final() bool {
	switch {
	case s.Delivered():
		return true
	case s >= 3521 && s <= 3599:
		return true
	}
	switch s {
	case StatusInternalError, StatusUndeliverable, StatusRejected,
		StatusInsufficientCredit, StatusRoutingError, StatusReceptionError,
		StatusMessageError, StatusExpired, StatusTooLong, StatusReceptionFailed,
		StatusNotDelivered, StatusInvalidRecipient, StatusBlacklisted:
		return true
	}
	return false
}

// Delivered reports a status that means the message reached the recipient:
// received (11), delivered (14), listened (16), read (100), not read (101).
func (s Status) Delivered() bool {
	switch s {
	case StatusReceived, StatusDelivered, StatusListened, StatusRead, StatusUnread:
		return true
	}
	return false
}

// Failed reports a final status that is not a delivery.
func (s Status) Failed() bool { return s.Final() && !s.Delivered() }
