// Package peererr holds the errors of the peer grouping library and the
// HRESULT each one stands for. It is the one table that maps Go errors to
// the Windows codes: core packages return (wrapped) values from here, and
// the C boundary turns any error into its HRESULT with HResult.
package peererr

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// Code is an error that carries the HRESULT the Windows API returns for it.
// Codes are compared by identity: wrap them with fmt.Errorf("...: %w", ...)
// and test with errors.Is.
type Code struct {
	// HR is the HRESULT value, as the Windows header defines it.
	HR uint32
	// Name is the symbolic name from the Windows header, e.g. "PEER_E_NOT_FOUND".
	Name string
	text string
}

// Error returns a short lower-case description with the symbolic name.
func (c *Code) Error() string { return c.text + " (" + c.Name + ")" }

// Success reports whether the code is a success code (PEER_S_*), which the
// C API returns as a non-error status.
func (c *Code) Success() bool { return c.HR&0x80000000 == 0 }

func code(hr uint32, name, text string) *Code { return &Code{HR: hr, Name: name, text: text} }

// Generic COM and Win32 codes used throughout the API.
var (
	ErrFail          = code(0x80004005, "E_FAIL", "unspecified failure")
	ErrInvalidArg    = code(0x80070057, "E_INVALIDARG", "invalid argument")
	ErrOutOfMemory   = code(0x8007000E, "E_OUTOFMEMORY", "out of memory")
	ErrHandle        = code(0x80070006, "E_HANDLE", "invalid handle")
	ErrNotImpl       = code(0x80004001, "E_NOTIMPL", "not implemented")
	ErrAccessDenied  = code(0x80070005, "E_ACCESSDENIED", "access denied")
	ErrUnexpected    = code(0x8000FFFF, "E_UNEXPECTED", "unexpected failure")
	ErrPointer       = code(0x80004003, "E_POINTER", "invalid pointer")
	ErrNotFound      = code(0x80070490, "PEER_E_NOT_FOUND", "not found")
	ErrDiskFull      = code(0x80070070, "PEER_E_DISK_FULL", "disk full")
	ErrAlreadyExists = code(0x800700B7, "PEER_E_ALREADY_EXISTS", "already exists")
	ErrFileNotFound  = code(0x80070002, "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)", "file not found")
	// ErrTooManyOpenFiles: the process is out of file descriptors (or
	// handles); the API has no code of its own for it.
	ErrTooManyOpenFiles = code(0x80070004, "HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES)", "too many open files")
)

// Peer codes from the Windows header (FACILITY_P2P = 99).
var (
	ErrIpv6NotInstalled           = code(0x80630001, "PEER_E_IPV6_NOT_INSTALLED", "ipv6 not installed")
	ErrNotInitialized             = code(0x80630002, "PEER_E_NOT_INITIALIZED", "not initialized")
	ErrCannotStartService         = code(0x80630003, "PEER_E_CANNOT_START_SERVICE", "cannot start service")
	ErrNotLicensed                = code(0x80630004, "PEER_E_NOT_LICENSED", "not licensed")
	ErrInvalidGraph               = code(0x80630010, "PEER_E_INVALID_GRAPH", "invalid graph")
	ErrDbnameChanged              = code(0x80630011, "PEER_E_DBNAME_CHANGED", "dbname changed")
	ErrDuplicateGraph             = code(0x80630012, "PEER_E_DUPLICATE_GRAPH", "duplicate graph")
	ErrGraphNotReady              = code(0x80630013, "PEER_E_GRAPH_NOT_READY", "graph not ready")
	ErrGraphShuttingDown          = code(0x80630014, "PEER_E_GRAPH_SHUTTING_DOWN", "graph shutting down")
	ErrGraphInUse                 = code(0x80630015, "PEER_E_GRAPH_IN_USE", "graph in use")
	ErrInvalidDatabase            = code(0x80630016, "PEER_E_INVALID_DATABASE", "invalid database")
	ErrTooManyAttributes          = code(0x80630017, "PEER_E_TOO_MANY_ATTRIBUTES", "too many attributes")
	ErrConnectionNotFound         = code(0x80630103, "PEER_E_CONNECTION_NOT_FOUND", "connection not found")
	ErrConnectSelf                = code(0x80630106, "PEER_E_CONNECT_SELF", "connect self")
	ErrAlreadyListening           = code(0x80630107, "PEER_E_ALREADY_LISTENING", "already listening")
	ErrNodeNotFound               = code(0x80630108, "PEER_E_NODE_NOT_FOUND", "node not found")
	ErrConnectionFailed           = code(0x80630109, "PEER_E_CONNECTION_FAILED", "connection failed")
	ErrConnectionNotAuthenticated = code(0x8063010A, "PEER_E_CONNECTION_NOT_AUTHENTICATED", "connection not authenticated")
	ErrConnectionRefused          = code(0x8063010B, "PEER_E_CONNECTION_REFUSED", "connection refused")
	ErrClassifierTooLong          = code(0x80630201, "PEER_E_CLASSIFIER_TOO_LONG", "classifier too long")
	ErrTooManyIdentities          = code(0x80630202, "PEER_E_TOO_MANY_IDENTITIES", "too many identities")
	ErrNoKeyAccess                = code(0x80630203, "PEER_E_NO_KEY_ACCESS", "no key access")
	ErrGroupsExist                = code(0x80630204, "PEER_E_GROUPS_EXIST", "groups exist")
	ErrRecordNotFound             = code(0x80630301, "PEER_E_RECORD_NOT_FOUND", "record not found")
	ErrDatabaseAccessdenied       = code(0x80630302, "PEER_E_DATABASE_ACCESSDENIED", "database accessdenied")
	ErrDbinitializationFailed     = code(0x80630303, "PEER_E_DBINITIALIZATION_FAILED", "dbinitialization failed")
	ErrMaxRecordSizeExceeded      = code(0x80630304, "PEER_E_MAX_RECORD_SIZE_EXCEEDED", "max record size exceeded")
	ErrDatabaseAlreadyPresent     = code(0x80630305, "PEER_E_DATABASE_ALREADY_PRESENT", "database already present")
	ErrDatabaseNotPresent         = code(0x80630306, "PEER_E_DATABASE_NOT_PRESENT", "database not present")
	ErrIdentityNotFound           = code(0x80630401, "PEER_E_IDENTITY_NOT_FOUND", "identity not found")
	ErrEventHandleNotFound        = code(0x80630501, "PEER_E_EVENT_HANDLE_NOT_FOUND", "event handle not found")
	ErrInvalidSearch              = code(0x80630601, "PEER_E_INVALID_SEARCH", "invalid search")
	ErrInvalidAttributes          = code(0x80630602, "PEER_E_INVALID_ATTRIBUTES", "invalid attributes")
	ErrInvitationNotTrusted       = code(0x80630701, "PEER_E_INVITATION_NOT_TRUSTED", "invitation not trusted")
	ErrChainTooLong               = code(0x80630703, "PEER_E_CHAIN_TOO_LONG", "chain too long")
	ErrInvalidTimePeriod          = code(0x80630705, "PEER_E_INVALID_TIME_PERIOD", "invalid time period")
	ErrCircularChainDetected      = code(0x80630706, "PEER_E_CIRCULAR_CHAIN_DETECTED", "circular chain detected")
	ErrCertStoreCorrupted         = code(0x80630801, "PEER_E_CERT_STORE_CORRUPTED", "cert store corrupted")
	ErrNoCloud                    = code(0x80631001, "PEER_E_NO_CLOUD", "no cloud")
	ErrCloudNameAmbiguous         = code(0x80631005, "PEER_E_CLOUD_NAME_AMBIGUOUS", "cloud name ambiguous")
	ErrInvalidRecord              = code(0x80632010, "PEER_E_INVALID_RECORD", "invalid record")
	ErrNotAuthorized              = code(0x80632020, "PEER_E_NOT_AUTHORIZED", "not authorized")
	ErrPasswordDoesNotMeetPolicy  = code(0x80632021, "PEER_E_PASSWORD_DOES_NOT_MEET_POLICY", "password does not meet policy")
	ErrDeferredValidation         = code(0x80632030, "PEER_E_DEFERRED_VALIDATION", "deferred validation")
	ErrInvalidGroupProperties     = code(0x80632040, "PEER_E_INVALID_GROUP_PROPERTIES", "invalid group properties")
	ErrInvalidPeerName            = code(0x80632050, "PEER_E_INVALID_PEER_NAME", "invalid peer name")
	ErrInvalidClassifier          = code(0x80632060, "PEER_E_INVALID_CLASSIFIER", "invalid classifier")
	ErrInvalidFriendlyName        = code(0x80632070, "PEER_E_INVALID_FRIENDLY_NAME", "invalid friendly name")
	ErrInvalidRoleProperty        = code(0x80632071, "PEER_E_INVALID_ROLE_PROPERTY", "invalid role property")
	ErrInvalidClassifierProperty  = code(0x80632072, "PEER_E_INVALID_CLASSIFIER_PROPERTY", "invalid classifier property")
	ErrInvalidRecordExpiration    = code(0x80632080, "PEER_E_INVALID_RECORD_EXPIRATION", "invalid record expiration")
	ErrInvalidCredentialInfo      = code(0x80632081, "PEER_E_INVALID_CREDENTIAL_INFO", "invalid credential info")
	ErrInvalidCredential          = code(0x80632082, "PEER_E_INVALID_CREDENTIAL", "invalid credential")
	ErrInvalidRecordSize          = code(0x80632083, "PEER_E_INVALID_RECORD_SIZE", "invalid record size")
	ErrUnsupportedVersion         = code(0x80632090, "PEER_E_UNSUPPORTED_VERSION", "unsupported version")
	ErrGroupNotReady              = code(0x80632091, "PEER_E_GROUP_NOT_READY", "group not ready")
	ErrGroupInUse                 = code(0x80632092, "PEER_E_GROUP_IN_USE", "group in use")
	ErrInvalidGroup               = code(0x80632093, "PEER_E_INVALID_GROUP", "invalid group")
	ErrNoMembersFound             = code(0x80632094, "PEER_E_NO_MEMBERS_FOUND", "no members found")
	ErrNoMemberConnections        = code(0x80632095, "PEER_E_NO_MEMBER_CONNECTIONS", "no member connections")
	ErrUnableToListen             = code(0x80632096, "PEER_E_UNABLE_TO_LISTEN", "unable to listen")
	ErrIdentityDeleted            = code(0x806320A0, "PEER_E_IDENTITY_DELETED", "identity deleted")
	ErrServiceNotAvailable        = code(0x806320A1, "PEER_E_SERVICE_NOT_AVAILABLE", "service not available")
	ErrContactNotFound            = code(0x80636001, "PEER_E_CONTACT_NOT_FOUND", "contact not found")
	SGraphDataCreated             = code(0x00630001, "PEER_S_GRAPH_DATA_CREATED", "graph data created")
	SNoEventData                  = code(0x00630002, "PEER_S_NO_EVENT_DATA", "no event data")
	SAlreadyConnected             = code(0x00632000, "PEER_S_ALREADY_CONNECTED", "already connected")
	SSubscriptionExists           = code(0x00636000, "PEER_S_SUBSCRIPTION_EXISTS", "subscription exists")
	SNoConnectivity               = code(0x00630005, "PEER_S_NO_CONNECTIVITY", "no connectivity")
	SAlreadyAMember               = code(0x00630006, "PEER_S_ALREADY_A_MEMBER", "already a member")
	ErrCannotConvertPeerName      = code(0x80634001, "PEER_E_CANNOT_CONVERT_PEER_NAME", "cannot convert peer name")
	ErrInvalidPeerHostName        = code(0x80634002, "PEER_E_INVALID_PEER_HOST_NAME", "invalid peer host name")
	ErrNoMore                     = code(0x80634003, "PEER_E_NO_MORE", "no more")
	ErrPnrpDuplicatePeerName      = code(0x80634005, "PEER_E_PNRP_DUPLICATE_PEER_NAME", "pnrp duplicate peer name")
	ErrInviteCancelled            = code(0x80637000, "PEER_E_INVITE_CANCELLED", "invite cancelled")
	ErrInviteResponseNotAvailable = code(0x80637001, "PEER_E_INVITE_RESPONSE_NOT_AVAILABLE", "invite response not available")
	ErrNotSignedIn                = code(0x80637003, "PEER_E_NOT_SIGNED_IN", "not signed in")
	ErrPrivacyDeclined            = code(0x80637004, "PEER_E_PRIVACY_DECLINED", "privacy declined")
	ErrTimeout                    = code(0x80637005, "PEER_E_TIMEOUT", "timeout")
	ErrInvalidAddress             = code(0x80637007, "PEER_E_INVALID_ADDRESS", "invalid address")
	ErrFwExceptionDisabled        = code(0x80637008, "PEER_E_FW_EXCEPTION_DISABLED", "fw exception disabled")
	ErrFwBlockedByPolicy          = code(0x80637009, "PEER_E_FW_BLOCKED_BY_POLICY", "fw blocked by policy")
	ErrFwBlockedByShieldsUp       = code(0x8063700A, "PEER_E_FW_BLOCKED_BY_SHIELDS_UP", "fw blocked by shields up")
	ErrFwDeclined                 = code(0x8063700B, "PEER_E_FW_DECLINED", "fw declined")
)

var all = []*Code{
	ErrFail, ErrInvalidArg, ErrOutOfMemory, ErrHandle, ErrNotImpl, ErrAccessDenied, ErrUnexpected, ErrPointer, ErrNotFound, ErrDiskFull, ErrAlreadyExists, ErrFileNotFound, ErrTooManyOpenFiles,
	ErrIpv6NotInstalled, ErrNotInitialized, ErrCannotStartService, ErrNotLicensed,
	ErrInvalidGraph, ErrDbnameChanged, ErrDuplicateGraph, ErrGraphNotReady,
	ErrGraphShuttingDown, ErrGraphInUse, ErrInvalidDatabase, ErrTooManyAttributes,
	ErrConnectionNotFound, ErrConnectSelf, ErrAlreadyListening, ErrNodeNotFound,
	ErrConnectionFailed, ErrConnectionNotAuthenticated, ErrConnectionRefused, ErrClassifierTooLong,
	ErrTooManyIdentities, ErrNoKeyAccess, ErrGroupsExist, ErrRecordNotFound,
	ErrDatabaseAccessdenied, ErrDbinitializationFailed, ErrMaxRecordSizeExceeded, ErrDatabaseAlreadyPresent,
	ErrDatabaseNotPresent, ErrIdentityNotFound, ErrEventHandleNotFound, ErrInvalidSearch,
	ErrInvalidAttributes, ErrInvitationNotTrusted, ErrChainTooLong, ErrInvalidTimePeriod,
	ErrCircularChainDetected, ErrCertStoreCorrupted, ErrNoCloud, ErrCloudNameAmbiguous,
	ErrInvalidRecord, ErrNotAuthorized, ErrPasswordDoesNotMeetPolicy, ErrDeferredValidation,
	ErrInvalidGroupProperties, ErrInvalidPeerName, ErrInvalidClassifier, ErrInvalidFriendlyName,
	ErrInvalidRoleProperty, ErrInvalidClassifierProperty, ErrInvalidRecordExpiration, ErrInvalidCredentialInfo,
	ErrInvalidCredential, ErrInvalidRecordSize, ErrUnsupportedVersion, ErrGroupNotReady,
	ErrGroupInUse, ErrInvalidGroup, ErrNoMembersFound, ErrNoMemberConnections,
	ErrUnableToListen, ErrIdentityDeleted, ErrServiceNotAvailable, ErrContactNotFound,
	SGraphDataCreated, SNoEventData, SAlreadyConnected, SSubscriptionExists,
	SNoConnectivity, SAlreadyAMember, ErrCannotConvertPeerName, ErrInvalidPeerHostName,
	ErrNoMore, ErrPnrpDuplicatePeerName, ErrInviteCancelled, ErrInviteResponseNotAvailable,
	ErrNotSignedIn, ErrPrivacyDeclined, ErrTimeout, ErrInvalidAddress,
	ErrFwExceptionDisabled, ErrFwBlockedByPolicy, ErrFwBlockedByShieldsUp, ErrFwDeclined,
}

// All returns every code in the table, for headers, bindings and tests.
func All() []*Code { return append([]*Code(nil), all...) }

// SOK is the HRESULT of success.
const SOK uint32 = 0

// HResult maps an error to the HRESULT the C API returns for it: nil is
// S_OK, a wrapped *Code is its own value, an exceeded deadline is
// PEER_E_TIMEOUT, a full disk PEER_E_DISK_FULL, running out of file
// descriptors ERROR_TOO_MANY_OPEN_FILES, a missing file
// ERROR_FILE_NOT_FOUND, a refused one E_ACCESSDENIED, and anything else
// E_FAIL.
func HResult(err error) uint32 {
	if err == nil {
		return SOK
	}
	var c *Code
	switch {
	case errors.As(err, &c):
		return c.HR
	case errors.Is(err, context.DeadlineExceeded):
		return ErrTimeout.HR
	case errors.Is(err, syscall.ENOSPC):
		return ErrDiskFull.HR
	case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE):
		return ErrTooManyOpenFiles.HR
	case errors.Is(err, fs.ErrNotExist):
		return ErrFileNotFound.HR
	case errors.Is(err, fs.ErrPermission):
		return ErrAccessDenied.HR
	}
	return ErrFail.HR
}

// FromHR returns the table entry for an HRESULT received from elsewhere (a
// peer or another process), or a Code carrying the unknown value.
func FromHR(hr uint32) *Code {
	for _, c := range all {
		if c.HR == hr {
			return c
		}
	}
	return &Code{HR: hr, Name: fmt.Sprintf("HRESULT 0x%08X", hr), text: "error"}
}
