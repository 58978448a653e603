package smsmode

import "strconv"

// Code is a return code ("code_retour") of the sMsmode HTTP API.
//
// The same number can mean different things on different endpoints (41 is
// "login already exists" for createSubAccount and "login does not exist" for
// creditTransfert); Error keeps the provider's own description for that reason.
type Code int

// Return codes documented in the reference.
const (
	CodeAccepted               Code = 0  // Accepté: the request was accepted.
	CodeInternalError          Code = 31 // Erreur interne.
	CodeAuthentication         Code = 32 // Erreur d'authentification.
	CodeInsufficientCredit     Code = 33 // Crédits insuffisants.
	CodeInvalidParameter       Code = 35 // Paramètre obligatoire manquant / paramètre(s) incorrect(s).
	CodeLoginConflict          Code = 41 // Identifiant déjà existant (createSubAccount) or inexistant (creditTransfert).
	CodeTemporarilyUnavailable Code = 50 // Temporairement inaccessible.
	CodeNotFound               Code = 61 // SMS n'existant pas ou plus / smsID invalide.
)

// Description returns the provider's French description of a send return code.
func (c Code) Description() string {
	switch c {
	case CodeAccepted:
		return "Accepté - le message a été accepté par le système et est en cours de traitement"
	case CodeInternalError:
		return "Erreur interne"
	case CodeAuthentication:
		return "Erreur d'authentification"
	case CodeInsufficientCredit:
		return "Crédits insuffisants"
	case CodeInvalidParameter:
		return "Paramètre obligatoire manquant"
	case CodeLoginConflict:
		return "Identifiant déjà existant"
	case CodeTemporarilyUnavailable:
		return "Temporairement inaccessible"
	case CodeNotFound:
		return "SMS non trouvé"
	}
	return "Code inconnu"
}

// String returns the code as a decimal number.
func (c Code) String() string { return strconv.Itoa(int(c)) }
