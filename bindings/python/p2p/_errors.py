"""HRESULT codes of p2p.h and the exceptions raised for failing ones."""

from __future__ import annotations

from typing import Dict, Optional, Type

# Every HRESULT p2p.h defines, by name; each is also a module constant of
# the package (p2p.PEER_E_NOT_FOUND ...), as an unsigned 32-bit value.
CODES: Dict[str, int] = {
    "S_OK": 0x00000000, "E_NOTIMPL": 0x80004001, "E_POINTER": 0x80004003, "E_FAIL": 0x80004005,
    "E_UNEXPECTED": 0x8000FFFF, "E_ACCESSDENIED": 0x80070005, "E_HANDLE": 0x80070006,
    "E_OUTOFMEMORY": 0x8007000E, "E_INVALIDARG": 0x80070057,
    "HRESULT_FROM_WIN32_ERROR_FILE_NOT_FOUND": 0x80070002,
    "PEER_E_NOT_FOUND": 0x80070490, "PEER_E_DISK_FULL": 0x80070070, "PEER_E_ALREADY_EXISTS": 0x800700B7,
    "PEER_E_IPV6_NOT_INSTALLED": 0x80630001, "PEER_E_NOT_INITIALIZED": 0x80630002,
    "PEER_E_CANNOT_START_SERVICE": 0x80630003, "PEER_E_NOT_LICENSED": 0x80630004,
    "PEER_E_INVALID_GRAPH": 0x80630010, "PEER_E_DBNAME_CHANGED": 0x80630011, "PEER_E_DUPLICATE_GRAPH": 0x80630012,
    "PEER_E_GRAPH_NOT_READY": 0x80630013, "PEER_E_GRAPH_SHUTTING_DOWN": 0x80630014,
    "PEER_E_GRAPH_IN_USE": 0x80630015, "PEER_E_INVALID_DATABASE": 0x80630016,
    "PEER_E_TOO_MANY_ATTRIBUTES": 0x80630017, "PEER_E_CONNECTION_NOT_FOUND": 0x80630103,
    "PEER_E_CONNECT_SELF": 0x80630106, "PEER_E_ALREADY_LISTENING": 0x80630107, "PEER_E_NODE_NOT_FOUND": 0x80630108,
    "PEER_E_CONNECTION_FAILED": 0x80630109, "PEER_E_CONNECTION_NOT_AUTHENTICATED": 0x8063010A,
    "PEER_E_CONNECTION_REFUSED": 0x8063010B, "PEER_E_CLASSIFIER_TOO_LONG": 0x80630201,
    "PEER_E_TOO_MANY_IDENTITIES": 0x80630202, "PEER_E_NO_KEY_ACCESS": 0x80630203, "PEER_E_GROUPS_EXIST": 0x80630204,
    "PEER_E_RECORD_NOT_FOUND": 0x80630301, "PEER_E_DATABASE_ACCESSDENIED": 0x80630302,
    "PEER_E_DBINITIALIZATION_FAILED": 0x80630303, "PEER_E_MAX_RECORD_SIZE_EXCEEDED": 0x80630304,
    "PEER_E_DATABASE_ALREADY_PRESENT": 0x80630305, "PEER_E_DATABASE_NOT_PRESENT": 0x80630306,
    "PEER_E_IDENTITY_NOT_FOUND": 0x80630401, "PEER_E_EVENT_HANDLE_NOT_FOUND": 0x80630501,
    "PEER_E_INVALID_SEARCH": 0x80630601, "PEER_E_INVALID_ATTRIBUTES": 0x80630602,
    "PEER_E_INVITATION_NOT_TRUSTED": 0x80630701, "PEER_E_CHAIN_TOO_LONG": 0x80630703,
    "PEER_E_INVALID_TIME_PERIOD": 0x80630705, "PEER_E_CIRCULAR_CHAIN_DETECTED": 0x80630706,
    "PEER_E_CERT_STORE_CORRUPTED": 0x80630801, "PEER_E_NO_CLOUD": 0x80631001,
    "PEER_E_CLOUD_NAME_AMBIGUOUS": 0x80631005, "PEER_E_INVALID_RECORD": 0x80632010,
    "PEER_E_NOT_AUTHORIZED": 0x80632020, "PEER_E_PASSWORD_DOES_NOT_MEET_POLICY": 0x80632021,
    "PEER_E_DEFERRED_VALIDATION": 0x80632030, "PEER_E_INVALID_GROUP_PROPERTIES": 0x80632040,
    "PEER_E_INVALID_PEER_NAME": 0x80632050, "PEER_E_INVALID_CLASSIFIER": 0x80632060,
    "PEER_E_INVALID_FRIENDLY_NAME": 0x80632070, "PEER_E_INVALID_ROLE_PROPERTY": 0x80632071,
    "PEER_E_INVALID_CLASSIFIER_PROPERTY": 0x80632072, "PEER_E_INVALID_RECORD_EXPIRATION": 0x80632080,
    "PEER_E_INVALID_CREDENTIAL_INFO": 0x80632081, "PEER_E_INVALID_CREDENTIAL": 0x80632082,
    "PEER_E_INVALID_RECORD_SIZE": 0x80632083, "PEER_E_UNSUPPORTED_VERSION": 0x80632090,
    "PEER_E_GROUP_NOT_READY": 0x80632091, "PEER_E_GROUP_IN_USE": 0x80632092, "PEER_E_INVALID_GROUP": 0x80632093,
    "PEER_E_NO_MEMBERS_FOUND": 0x80632094, "PEER_E_NO_MEMBER_CONNECTIONS": 0x80632095,
    "PEER_E_UNABLE_TO_LISTEN": 0x80632096, "PEER_E_IDENTITY_DELETED": 0x806320A0,
    "PEER_E_SERVICE_NOT_AVAILABLE": 0x806320A1, "PEER_E_CONTACT_NOT_FOUND": 0x80636001,
    "PEER_S_GRAPH_DATA_CREATED": 0x00630001, "PEER_S_NO_EVENT_DATA": 0x00630002,
    "PEER_S_ALREADY_CONNECTED": 0x00632000, "PEER_S_SUBSCRIPTION_EXISTS": 0x00636000,
    "PEER_S_NO_CONNECTIVITY": 0x00630005, "PEER_S_ALREADY_A_MEMBER": 0x00630006,
    "PEER_E_CANNOT_CONVERT_PEER_NAME": 0x80634001, "PEER_E_INVALID_PEER_HOST_NAME": 0x80634002,
    "PEER_E_NO_MORE": 0x80634003, "PEER_E_PNRP_DUPLICATE_PEER_NAME": 0x80634005,
    "PEER_E_INVITE_CANCELLED": 0x80637000, "PEER_E_INVITE_RESPONSE_NOT_AVAILABLE": 0x80637001,
    "PEER_E_NOT_SIGNED_IN": 0x80637003, "PEER_E_PRIVACY_DECLINED": 0x80637004, "PEER_E_TIMEOUT": 0x80637005,
    "PEER_E_INVALID_ADDRESS": 0x80637007, "PEER_E_FW_EXCEPTION_DISABLED": 0x80637008,
    "PEER_E_FW_BLOCKED_BY_POLICY": 0x80637009, "PEER_E_FW_BLOCKED_BY_SHIELDS_UP": 0x8063700A,
    "PEER_E_FW_DECLINED": 0x8063700B,
}

#: Maps an HRESULT (as an unsigned 32-bit value) to its p2p.h name.
HRESULT_NAMES: Dict[int, str] = {v: k for k, v in CODES.items()}
HRESULT_NAMES[0x80070002] = "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)"


def hresult_name(hr: int) -> str:
    """Return the p2p.h name of an HRESULT (signed or unsigned), or its hex
    form ("0x12345678") when p2p.h does not name it."""
    hr &= 0xFFFFFFFF
    return HRESULT_NAMES.get(hr, "0x%08X" % hr)


class PeerError(OSError):
    """A function of the library returned a failing HRESULT.

    ``hresult`` is the code as an unsigned 32-bit value (compare it with the
    module constants, e.g. ``p2p.PEER_E_NOT_FOUND``), ``name`` its p2p.h
    name and ``function`` the call that returned it. Calls raise the
    subclass of the code's family (``NotFoundError``, ``GroupNotReadyError``
    ...), so ``except p2p.NotFoundError`` catches every "not found" code;
    ``PeerError.from_hresult`` makes the right one.
    """

    hresult: int
    name: str
    function: str

    def __init__(self, hresult: int, function: str, detail: Optional[str] = None) -> None:
        self.hresult = hresult & 0xFFFFFFFF
        self.name = hresult_name(self.hresult)
        self.function = function
        text = "%s failed: %s (0x%08X)" % (function, self.name, self.hresult)
        super().__init__(text + (": " + detail if detail else ""))

    @staticmethod
    def from_hresult(hresult: int, function: str, detail: Optional[str] = None) -> "PeerError":
        """The exception for an HRESULT: an instance of its family's
        subclass, or of PeerError itself for a code of no family."""
        return _FAMILY.get(hresult & 0xFFFFFFFF, PeerError)(hresult, function, detail)


class NotInitializedError(PeerError):
    """PEER_E_NOT_INITIALIZED: the call came before ``Library.startup()``
    (PeerGroupStartup) or after the last shutdown."""


class GroupNotReadyError(PeerError):
    """PEER_E_GROUP_NOT_READY: a group that was joined has not synchronised
    with a member yet, so it cannot publish, invite or convert peer time.
    Call ``Group.connect()`` and then ``Group.wait_ready()``."""


class NotFoundError(PeerError, LookupError):
    """Something named does not exist: PEER_E_NOT_FOUND (identity, group),
    PEER_E_RECORD_NOT_FOUND, PEER_E_IDENTITY_NOT_FOUND, PEER_E_NODE_NOT_FOUND,
    PEER_E_CONTACT_NOT_FOUND, PEER_E_DATABASE_NOT_PRESENT, or a missing file
    (HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND))."""


class AlreadyExistsError(PeerError):
    """PEER_E_ALREADY_EXISTS or PEER_E_DATABASE_ALREADY_PRESENT: an import
    or creation of something that is already here."""


class AccessDeniedError(PeerError, PermissionError):
    """The caller may not do this: E_ACCESSDENIED, PEER_E_NOT_AUTHORIZED
    (a role the caller lacks), PEER_E_DATABASE_ACCESSDENIED,
    PEER_E_NO_KEY_ACCESS."""


class InvalidArgumentError(PeerError, ValueError):
    """The library refused an argument: E_INVALIDARG, E_POINTER, every
    PEER_E_INVALID_* code that is about the caller's input (peer names,
    classifiers, friendly names, properties, records, attributes, searches,
    addresses, roles, credential info), the size limits
    (PEER_E_MAX_RECORD_SIZE_EXCEEDED, PEER_E_CLASSIFIER_TOO_LONG ...) and
    PEER_E_UNSUPPORTED_VERSION. Nothing changed."""


class InvitationError(PeerError):
    """An invitation or credential that cannot be used: not for this
    identity or altered (PEER_E_INVITATION_NOT_TRUSTED), out of its validity
    (PEER_E_INVALID_TIME_PERIOD), an expired or wrong credential
    (PEER_E_INVALID_CREDENTIAL), or a bad chain (PEER_E_CHAIN_TOO_LONG,
    PEER_E_CIRCULAR_CHAIN_DETECTED)."""


class PeerConnectionError(PeerError, ConnectionError):
    """A network failure: a direct connection that is gone
    (PEER_E_CONNECTION_NOT_FOUND) or failed (PEER_E_CONNECTION_FAILED,
    PEER_E_CONNECTION_REFUSED, PEER_E_CONNECTION_NOT_AUTHENTICATED), a
    connection to oneself (PEER_E_CONNECT_SELF), no member to connect to
    (PEER_E_NO_MEMBERS_FOUND, PEER_E_NO_MEMBER_CONNECTIONS), or no port to
    listen on (PEER_E_UNABLE_TO_LISTEN)."""


class PeerTimeoutError(PeerError, TimeoutError):
    """PEER_E_TIMEOUT: a wait of the library or of this package ran out."""


class HandleError(PeerError):
    """The object is gone: a closed, stale or wrong-typed handle (E_HANDLE,
    PEER_E_EVENT_HANDLE_NOT_FOUND) or a group deleted under its handle
    (PEER_E_INVALID_GROUP)."""


class InUseError(PeerError):
    """PEER_E_GROUP_IN_USE (the group is open, here or in another process)
    or PEER_E_GROUPS_EXIST (an identity that still has groups)."""


class NotSupportedError(PeerError, NotImplementedError):
    """E_NOTIMPL: a call that has no meaning on this platform
    (PeerIdentityGetCryptKey, CryptoAPI providers)."""


_FAMILY: Dict[int, Type[PeerError]] = {}


def _family(cls: Type[PeerError], *names: str) -> None:
    for n in names:
        _FAMILY[CODES[n]] = cls


_family(NotInitializedError, "PEER_E_NOT_INITIALIZED")
_family(GroupNotReadyError, "PEER_E_GROUP_NOT_READY")
_family(NotFoundError, "PEER_E_NOT_FOUND", "PEER_E_RECORD_NOT_FOUND", "PEER_E_IDENTITY_NOT_FOUND",
        "PEER_E_NODE_NOT_FOUND", "PEER_E_CONTACT_NOT_FOUND", "PEER_E_DATABASE_NOT_PRESENT",
        "HRESULT_FROM_WIN32_ERROR_FILE_NOT_FOUND")
_family(AlreadyExistsError, "PEER_E_ALREADY_EXISTS", "PEER_E_DATABASE_ALREADY_PRESENT")
_family(AccessDeniedError, "E_ACCESSDENIED", "PEER_E_NOT_AUTHORIZED", "PEER_E_DATABASE_ACCESSDENIED",
        "PEER_E_NO_KEY_ACCESS")
_family(InvalidArgumentError, "E_INVALIDARG", "E_POINTER", "PEER_E_CLASSIFIER_TOO_LONG",
        "PEER_E_MAX_RECORD_SIZE_EXCEEDED", "PEER_E_TOO_MANY_ATTRIBUTES", "PEER_E_UNSUPPORTED_VERSION",
        "PEER_E_PASSWORD_DOES_NOT_MEET_POLICY", "PEER_E_INVALID_DATABASE",
        *[n for n in CODES if n.startswith("PEER_E_INVALID_")
          and n not in ("PEER_E_INVALID_TIME_PERIOD", "PEER_E_INVALID_CREDENTIAL", "PEER_E_INVALID_GROUP",
                        "PEER_E_INVALID_GRAPH")])
_family(InvitationError, "PEER_E_INVITATION_NOT_TRUSTED", "PEER_E_INVALID_TIME_PERIOD", "PEER_E_INVALID_CREDENTIAL",
        "PEER_E_CHAIN_TOO_LONG", "PEER_E_CIRCULAR_CHAIN_DETECTED")
_family(PeerConnectionError, "PEER_E_CONNECTION_NOT_FOUND", "PEER_E_CONNECTION_FAILED", "PEER_E_CONNECTION_REFUSED",
        "PEER_E_CONNECTION_NOT_AUTHENTICATED", "PEER_E_CONNECT_SELF", "PEER_E_NO_MEMBERS_FOUND",
        "PEER_E_NO_MEMBER_CONNECTIONS", "PEER_E_UNABLE_TO_LISTEN")
_family(PeerTimeoutError, "PEER_E_TIMEOUT")
_family(HandleError, "E_HANDLE", "PEER_E_EVENT_HANDLE_NOT_FOUND", "PEER_E_INVALID_GROUP")
_family(InUseError, "PEER_E_GROUP_IN_USE", "PEER_E_GROUPS_EXIST")
_family(NotSupportedError, "E_NOTIMPL")


def check(hr: int, function: str) -> int:
    """Raise the PeerError of a failing HRESULT; return a success code
    (S_OK or a PEER_S_* code) as an unsigned value."""
    if hr < 0 or hr & 0x80000000:
        raise PeerError.from_hresult(hr, function)
    return hr & 0xFFFFFFFF
