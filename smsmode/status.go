package smsmode

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
