"""Python bindings for the portable Peer Grouping library (p2p.h).

The library is libp2p.so on Linux and other POSIX systems and p2p.dll on
Windows. It exports the Windows Peer Grouping and Peer Identity Manager
API with Windows' names, structure layouts and HRESULT codes. This module
has two layers:

* the raw ABI: ctypes structures with the exact Windows x64 layouts
  (checked at import) and ``Library.raw``, the CDLL whose 54 functions have
  their argument and result types declared;
* a small pythonic layer: ``Library`` (startup, identities, groups),
  ``Group`` (records, invitations, members, connections, events),
  ``EventHandle`` and ``Registration`` (events), and ``PeerError``, raised
  for every failing HRESULT with its code and name.

Example::

    import p2p
    lib = p2p.Library()
    with lib.startup():
        alice = lib.identity_create("alice", "Alice")
        with lib.group_create(alice, "chess", "Chess club") as g:
            rid = g.add_record(RECORD_TYPE, b"hello", hours=1)
            print(g.get_record(rid).data)

Facts to know:

* Strings are UTF-16 on every OS. ctypes' c_wchar is 4 bytes on Linux, so
  this module never uses c_wchar_p: it passes UTF-16LE buffers (``wstr``)
  and decodes returned strings with ``from_wstr``.
* The library reads P2P_HOME (its data directory) from the environment the
  process started with: setting ``os.environ["P2P_HOME"]`` inside Python
  is too late. Set it before starting Python.
* Every string or structure the library returns is freed with one
  PeerFreeData; this module copies what it returns into Python objects and
  frees the library's memory at once.
* Events: the library signals a HANDLE each time it queues an event; on
  POSIX that HANDLE is a file descriptor (an eventfd here) to which it
  writes the 8-byte integer 1. ``EventHandle`` wraps one.
"""

import ctypes
import datetime
import os
import select
import socket
import sys
import uuid
from ctypes import (POINTER, Structure, Union, byref, c_int32, c_size_t, c_uint16, c_uint32, c_uint64, c_ubyte,
                    c_void_p, sizeof)
from dataclasses import dataclass, field

__all__ = [
    "Library", "Group", "Registration", "EventHandle", "PeerError", "HRESULT_NAMES",
    "wstr", "from_wstr", "hresult_name", "find_library",
]

# ---------------------------------------------------------------------------
# HRESULT codes (p2p.h); each name is also a module constant.
# ---------------------------------------------------------------------------

_CODES = {
    "S_OK": 0x00000000, "E_NOTIMPL": 0x80004001, "E_POINTER": 0x80004003, "E_FAIL": 0x80004005,
    "E_UNEXPECTED": 0x8000FFFF, "E_ACCESSDENIED": 0x80070005, "E_HANDLE": 0x80070006,
    "E_OUTOFMEMORY": 0x8007000E, "E_INVALIDARG": 0x80070057,
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
globals().update(_CODES)
__all__ += list(_CODES)

#: Maps an HRESULT (as an unsigned 32-bit value) to its name.
HRESULT_NAMES = {v: k for k, v in _CODES.items()}


def hresult_name(hr):
    """Return the p2p.h name of an HRESULT (signed or unsigned), or its hex."""
    hr &= 0xFFFFFFFF
    return HRESULT_NAMES.get(hr, "0x%08X" % hr)


class PeerError(OSError):
    """A function of the library failed.

    ``hresult`` is the code as an unsigned 32-bit value (compare it with the
    module constants, e.g. ``p2p.PEER_E_NOT_FOUND``), ``name`` its p2p.h
    name and ``function`` the call that returned it.
    """

    def __init__(self, hresult, function):
        self.hresult = hresult & 0xFFFFFFFF
        self.name = hresult_name(self.hresult)
        self.function = function
        super().__init__("%s failed: %s (0x%08X)" % (function, self.name, self.hresult))


def _check(hr, function):
    """Raise PeerError for a failing HRESULT; return success codes unsigned."""
    if hr < 0:
        raise PeerError(hr, function)
    return hr & 0xFFFFFFFF


# ---------------------------------------------------------------------------
# Enumerated values (p2p.h)
# ---------------------------------------------------------------------------

PEER_GROUP_VERSION = 0x0101  # MAKEWORD(1, 1)

PEER_GROUP_EVENT_STATUS_CHANGED = 1
PEER_GROUP_EVENT_PROPERTY_CHANGED = 2
PEER_GROUP_EVENT_RECORD_CHANGED = 3
PEER_GROUP_EVENT_DIRECT_CONNECTION = 4
PEER_GROUP_EVENT_NEIGHBOR_CONNECTION = 5
PEER_GROUP_EVENT_INCOMING_DATA = 6
PEER_GROUP_EVENT_MEMBER_CHANGED = 8
PEER_GROUP_EVENT_CONNECTION_FAILED = 10
PEER_GROUP_EVENT_AUTHENTICATION_FAILED = 11

PEER_GROUP_STATUS_LISTENING = 0x1
PEER_GROUP_STATUS_HAS_CONNECTIONS = 0x2

PEER_MEMBER_DATA_OPTIONAL = 0x1
PEER_DISABLE_PRESENCE = 0x2
PEER_DEFER_EXPIRATION = 0x4

PEER_GROUP_GMC_AUTHENTICATION = 0x1
PEER_GROUP_PASSWORD_AUTHENTICATION = 0x2

PEER_MEMBER_PRESENT = 0x1
PEER_MEMBER_CONNECTED, PEER_MEMBER_DISCONNECTED, PEER_MEMBER_UPDATED, PEER_MEMBER_JOINED, PEER_MEMBER_LEFT = 1, 2, 3, 4, 5

PEER_RECORD_ADDED, PEER_RECORD_UPDATED, PEER_RECORD_DELETED, PEER_RECORD_EXPIRED = 1, 2, 3, 4
PEER_RECORD_FLAG_AUTOREFRESH = 0x1
PEER_RECORD_FLAG_DELETED = 0x2

PEER_CONNECTED, PEER_DISCONNECTED, PEER_CONNECTION_FAILED = 1, 2, 3
PEER_CONNECTION_NEIGHBOR = 0x1
PEER_CONNECTION_DIRECT = 0x2

PEER_GROUP_STORE_CREDENTIALS = 0x1

#: Role GUIDs (PEER_GROUP_ROLE_*).
PEER_GROUP_ROLE_ADMIN = uuid.UUID("04387127-aa56-450a-8ce5-4f565c6790f4")
PEER_GROUP_ROLE_MEMBER = uuid.UUID("f12dc4c7-0857-4ca0-93fc-b1bb19a3d8c2")
PEER_GROUP_ROLE_INVITING_MEMBER = uuid.UUID("4370fd89-dc18-4cfb-8dbf-9853a8a9f905")

# ---------------------------------------------------------------------------
# UTF-16 strings
# ---------------------------------------------------------------------------


def wstr(s):
    """Return ``s`` as a NUL-terminated UTF-16LE ctypes buffer (a PCWSTR).

    ``None`` stays ``None`` (a NULL pointer). Lone surrogates in ``s`` are
    encoded as they are (``surrogatepass``), so malformed UTF-16 can be sent
    on purpose. Keep the buffer alive for as long as the library may read it.
    """
    if s is None:
        return None
    b = s.encode("utf-16-le", "surrogatepass") + b"\0\0"
    return ctypes.create_string_buffer(b, len(b))


def from_wstr(p):
    """Decode the NUL-terminated UTF-16 string at address ``p`` ("" for NULL).

    It reads one UTF-16 unit at a time up to the NUL, never past it.
    """
    if not p:
        return ""
    units = ctypes.cast(p, POINTER(c_uint16))
    n = 0
    while units[n]:
        n += 1
    return ctypes.string_at(p, 2 * n).decode("utf-16-le", "surrogatepass")


# ---------------------------------------------------------------------------
# Structures: Windows x64 layouts (pointers to strings are c_void_p)
# ---------------------------------------------------------------------------

PWSTR = c_void_p


class GUID(Structure):
    """GUID; convert with ``GUID.from_uuid`` and ``.uuid``."""
    _fields_ = [("Data1", c_uint32), ("Data2", c_uint16), ("Data3", c_uint16), ("Data4", c_ubyte * 8)]

    @classmethod
    def from_uuid(cls, u):
        """The GUID of a uuid.UUID (Windows stores Data1..3 little-endian)."""
        return cls.from_buffer_copy(u.bytes_le)

    @property
    def uuid(self):
        return uuid.UUID(bytes_le=bytes(self))


class FILETIME(Structure):
    """FILETIME: 100 ns intervals since 1601-01-01 UTC."""
    _fields_ = [("dwLowDateTime", c_uint32), ("dwHighDateTime", c_uint32)]

    _EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)

    @classmethod
    def from_datetime(cls, dt):
        """The FILETIME of an aware datetime (naive ones are taken as UTC)."""
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=datetime.timezone.utc)
        delta = dt - cls._EPOCH
        v = (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10
        return cls(v & 0xFFFFFFFF, v >> 32)

    @property
    def value(self):
        return self.dwHighDateTime << 32 | self.dwLowDateTime

    @property
    def datetime(self):
        return self._EPOCH + datetime.timedelta(microseconds=self.value // 10)


class PEER_VERSION_DATA(Structure):
    _fields_ = [("wVersion", c_uint16), ("wHighestVersion", c_uint16)]


class PEER_DATA(Structure):
    _fields_ = [("cbData", c_uint32), ("pbData", c_void_p)]


class PEER_RECORD(Structure):
    _fields_ = [
        ("dwSize", c_uint32), ("type", GUID), ("id", GUID), ("dwVersion", c_uint32), ("dwFlags", c_uint32),
        ("pwzCreatorId", PWSTR), ("pwzModifiedById", PWSTR), ("pwzAttributes", PWSTR),
        ("ftCreation", FILETIME), ("ftExpiration", FILETIME), ("ftLastModified", FILETIME),
        ("securityData", PEER_DATA), ("data", PEER_DATA),
    ]


class SOCKADDR_IN6(Structure):
    """Windows' SOCKADDR_IN6 (28 bytes); port and address in network order."""
    _fields_ = [("sin6_family", c_uint16), ("sin6_port", c_uint16), ("sin6_flowinfo", c_uint32),
                ("sin6_addr", c_ubyte * 16), ("sin6_scope_id", c_uint32)]


class PEER_ADDRESS(Structure):
    _fields_ = [("dwSize", c_uint32), ("sin6", SOCKADDR_IN6)]

    @classmethod
    def from_ip(cls, ip, port):
        """A PEER_ADDRESS for an IPv4 or IPv6 address string and a port."""
        import ipaddress
        a = ipaddress.ip_address(ip)
        if a.version == 4:
            a = ipaddress.IPv6Address("::ffff:" + str(a))
        sa = SOCKADDR_IN6(sin6_family=_AF_INET6, sin6_port=int.from_bytes(port.to_bytes(2, "big"), "little"))
        ctypes.memmove(sa.sin6_addr, a.packed, 16)
        return cls(sizeof(cls), sa)

    def ip_port(self):
        """The (address string, port) it holds; IPv4-mapped addresses as IPv4."""
        import ipaddress
        a = ipaddress.IPv6Address(bytes(self.sin6.sin6_addr))
        port = int.from_bytes(self.sin6.sin6_port.to_bytes(2, "little"), "big")
        return str(a.ipv4_mapped or a), port


# The library accepts Windows' AF_INET6 (23) or the platform's on input.
_AF_INET6 = 23 if sys.platform == "win32" else socket.AF_INET6


class PEER_CONNECTION_INFO(Structure):
    _fields_ = [("dwSize", c_uint32), ("dwFlags", c_uint32), ("ullConnectionId", c_uint64), ("ullNodeId", c_uint64),
                ("pwzPeerId", PWSTR), ("address", PEER_ADDRESS)]


class PEER_EVENT_INCOMING_DATA(Structure):
    _fields_ = [("dwSize", c_uint32), ("ullConnectionId", c_uint64), ("type", GUID), ("data", PEER_DATA)]


class PEER_EVENT_RECORD_CHANGE_DATA(Structure):
    _fields_ = [("dwSize", c_uint32), ("changeType", c_int32), ("recordId", GUID), ("recordType", GUID)]


class PEER_EVENT_CONNECTION_CHANGE_DATA(Structure):
    _fields_ = [("dwSize", c_uint32), ("status", c_int32), ("ullConnectionId", c_uint64), ("ullNodeId", c_uint64),
                ("ullNextConnectionId", c_uint64), ("hrConnectionFailedReason", c_int32)]


class CRYPT_BIT_BLOB(Structure):
    _fields_ = [("cbData", c_uint32), ("pbData", c_void_p), ("cUnusedBits", c_uint32)]


class CRYPT_ALGORITHM_IDENTIFIER(Structure):
    _fields_ = [("pszObjId", ctypes.c_char_p), ("Parameters", PEER_DATA)]


class CERT_PUBLIC_KEY_INFO(Structure):
    _fields_ = [("Algorithm", CRYPT_ALGORITHM_IDENTIFIER), ("PublicKey", CRYPT_BIT_BLOB)]


class PEER_CREDENTIAL_INFO(Structure):
    _fields_ = [("dwSize", c_uint32), ("dwFlags", c_uint32), ("pwzFriendlyName", PWSTR),
                ("pPublicKey", POINTER(CERT_PUBLIC_KEY_INFO)), ("pwzIssuerPeerName", PWSTR),
                ("pwzIssuerFriendlyName", PWSTR), ("ftValidityStart", FILETIME), ("ftValidityEnd", FILETIME),
                ("cRoles", c_uint32), ("pRoles", POINTER(GUID))]


class PEER_MEMBER(Structure):
    _fields_ = [("dwSize", c_uint32), ("dwFlags", c_uint32), ("pwzIdentity", PWSTR), ("pwzAttributes", PWSTR),
                ("ullNodeId", c_uint64), ("cAddresses", c_uint32), ("pAddresses", POINTER(PEER_ADDRESS)),
                ("pCredentialInfo", POINTER(PEER_CREDENTIAL_INFO))]


class PEER_INVITATION_INFO(Structure):
    _fields_ = [
        ("dwSize", c_uint32), ("dwFlags", c_uint32), ("pwzCloudName", PWSTR), ("dwScope", c_uint32),
        ("dwCloudFlags", c_uint32), ("pwzGroupPeerName", PWSTR), ("pwzIssuerPeerName", PWSTR),
        ("pwzSubjectPeerName", PWSTR), ("pwzGroupFriendlyName", PWSTR), ("pwzIssuerFriendlyName", PWSTR),
        ("pwzSubjectFriendlyName", PWSTR), ("ftValidityStart", FILETIME), ("ftValidityEnd", FILETIME),
        ("cRoles", c_uint32), ("pRoles", POINTER(GUID)), ("cClassifiers", c_uint32), ("ppwzClassifiers", POINTER(PWSTR)),
        ("pSubjectPublicKey", POINTER(CERT_PUBLIC_KEY_INFO)), ("authScheme", c_int32),
    ]


class PEER_GROUP_PROPERTIES(Structure):
    _fields_ = [
        ("dwSize", c_uint32), ("dwFlags", c_uint32), ("pwzCloud", PWSTR), ("pwzClassifier", PWSTR),
        ("pwzGroupPeerName", PWSTR), ("pwzCreatorPeerName", PWSTR), ("pwzFriendlyName", PWSTR), ("pwzComment", PWSTR),
        ("ulMemberDataLifetime", c_uint32), ("ulPresenceLifetime", c_uint32), ("dwAuthenticationSchemes", c_uint32),
        ("pwzGroupPassword", PWSTR), ("groupPasswordRole", GUID),
    ]


class PEER_EVENT_MEMBER_CHANGE_DATA(Structure):
    _fields_ = [("dwSize", c_uint32), ("changeType", c_int32), ("pwzIdentity", PWSTR)]


class PEER_GROUP_EVENT_REGISTRATION(Structure):
    _fields_ = [("eventType", c_int32), ("pType", POINTER(GUID))]


class _PEER_GROUP_EVENT_UNION(Union):
    _fields_ = [("dwStatus", c_uint32), ("incomingData", PEER_EVENT_INCOMING_DATA),
                ("recordChangeData", PEER_EVENT_RECORD_CHANGE_DATA),
                ("connectionChangeData", PEER_EVENT_CONNECTION_CHANGE_DATA),
                ("memberChangeData", PEER_EVENT_MEMBER_CHANGE_DATA), ("hrConnectionFailedReason", c_int32)]


class PEER_GROUP_EVENT_DATA(Structure):
    """PEER_GROUP_EVENT_DATA; the union starts at offset 8."""
    _anonymous_ = ("u",)
    _fields_ = [("eventType", c_int32), ("u", _PEER_GROUP_EVENT_UNION)]


class PEER_NAME_PAIR(Structure):
    _fields_ = [("dwSize", c_uint32), ("pwzPeerName", PWSTR), ("pwzFriendlyName", PWSTR)]


#: Windows x64 sizes, asserted at import (the layouts are the ABI).
STRUCT_SIZES = {
    GUID: 16, FILETIME: 8, SOCKADDR_IN6: 28, PEER_VERSION_DATA: 4, PEER_DATA: 16, PEER_RECORD: 128,
    PEER_ADDRESS: 32, PEER_CONNECTION_INFO: 64, PEER_EVENT_INCOMING_DATA: 48, PEER_EVENT_RECORD_CHANGE_DATA: 40,
    PEER_EVENT_CONNECTION_CHANGE_DATA: 40, PEER_CREDENTIAL_INFO: 72, PEER_MEMBER: 56, PEER_INVITATION_INFO: 136,
    PEER_GROUP_PROPERTIES: 96, PEER_EVENT_MEMBER_CHANGE_DATA: 16, PEER_GROUP_EVENT_REGISTRATION: 16,
    PEER_GROUP_EVENT_DATA: 56, PEER_NAME_PAIR: 24, CERT_PUBLIC_KEY_INFO: 48,
}
for _t, _n in STRUCT_SIZES.items():
    assert sizeof(_t) == _n, "%s is %d bytes, Windows x64 has %d" % (_t.__name__, sizeof(_t), _n)
assert PEER_INVITATION_INFO.authScheme.offset == 128 and PEER_CONNECTION_INFO.address.offset == 32
assert PEER_GROUP_EVENT_DATA.u.offset == 8 and PEER_RECORD.data.offset == 112
assert PEER_GROUP_PROPERTIES.groupPasswordRole.offset == 80

# ---------------------------------------------------------------------------
# Loading the library and declaring its 54 functions
# ---------------------------------------------------------------------------

_H = c_void_p  # HGROUP, HPEEREVENT, HPEERENUM, HANDLE
_P = POINTER
_HR = c_int32
_PROTOTYPES = {
    "PeerFreeData": (None, [c_void_p]),
    "PeerGetItemCount": (_HR, [_H, _P(c_uint32)]),
    "PeerGetNextItem": (_HR, [_H, _P(c_uint32), _P(_P(c_void_p))]),
    "PeerEndEnumeration": (_HR, [_H]),
    "PeerGroupStartup": (_HR, [c_uint16, _P(PEER_VERSION_DATA)]),
    "PeerGroupShutdown": (_HR, []),
    "PeerGroupCreate": (_HR, [_P(PEER_GROUP_PROPERTIES), _P(_H)]),
    "PeerGroupOpen": (_HR, [c_void_p, c_void_p, c_void_p, _P(_H)]),
    "PeerGroupJoin": (_HR, [c_void_p, c_void_p, c_void_p, _P(_H)]),
    "PeerGroupConnect": (_HR, [_H]),
    "PeerGroupClose": (_HR, [_H]),
    "PeerGroupDelete": (_HR, [c_void_p, c_void_p]),
    "PeerGroupCreateInvitation": (_HR, [_H, c_void_p, _P(FILETIME), c_uint32, _P(GUID), _P(PWSTR)]),
    "PeerGroupParseInvitation": (_HR, [c_void_p, _P(_P(PEER_INVITATION_INFO))]),
    "PeerGroupGetStatus": (_HR, [_H, _P(c_uint32)]),
    "PeerGroupGetProperties": (_HR, [_H, _P(_P(PEER_GROUP_PROPERTIES))]),
    "PeerGroupSetProperties": (_HR, [_H, _P(PEER_GROUP_PROPERTIES)]),
    "PeerGroupEnumMembers": (_HR, [_H, c_uint32, c_void_p, _P(_H)]),
    "PeerGroupOpenDirectConnection": (_HR, [_H, c_void_p, _P(PEER_ADDRESS), _P(c_uint64)]),
    "PeerGroupCloseDirectConnection": (_HR, [_H, c_uint64]),
    "PeerGroupEnumConnections": (_HR, [_H, c_uint32, _P(_H)]),
    "PeerGroupSendData": (_HR, [_H, c_uint64, _P(GUID), c_uint32, c_void_p]),
    "PeerGroupRegisterEvent": (_HR, [_H, _H, c_uint32, _P(PEER_GROUP_EVENT_REGISTRATION), _P(_H)]),
    "PeerGroupUnregisterEvent": (_HR, [_H]),
    "PeerGroupGetEventData": (_HR, [_H, _P(_P(PEER_GROUP_EVENT_DATA))]),
    "PeerGroupGetRecord": (_HR, [_H, _P(GUID), _P(_P(PEER_RECORD))]),
    "PeerGroupAddRecord": (_HR, [_H, _P(PEER_RECORD), _P(GUID)]),
    "PeerGroupUpdateRecord": (_HR, [_H, _P(PEER_RECORD)]),
    "PeerGroupDeleteRecord": (_HR, [_H, _P(GUID)]),
    "PeerGroupEnumRecords": (_HR, [_H, _P(GUID), _P(_H)]),
    "PeerGroupSearchRecords": (_HR, [_H, c_void_p, _P(_H)]),
    "PeerGroupExportDatabase": (_HR, [_H, c_void_p]),
    "PeerGroupImportDatabase": (_HR, [_H, c_void_p]),
    "PeerGroupIssueCredentials": (_HR, [_H, c_void_p, _P(PEER_CREDENTIAL_INFO), c_uint32, _P(PWSTR)]),
    "PeerGroupExportConfig": (_HR, [_H, c_void_p, _P(PWSTR)]),
    "PeerGroupImportConfig": (_HR, [c_void_p, c_void_p, c_int32, _P(PWSTR), _P(PWSTR)]),
    "PeerGroupPeerTimeToUniversalTime": (_HR, [_H, _P(FILETIME), _P(FILETIME)]),
    "PeerGroupUniversalTimeToPeerTime": (_HR, [_H, _P(FILETIME), _P(FILETIME)]),
    "PeerGroupPasswordJoin": (_HR, [c_void_p, c_void_p, c_void_p, c_void_p, _P(_H)]),
    "PeerGroupConnectByAddress": (_HR, [_H, c_uint32, _P(PEER_ADDRESS)]),
    "PeerGroupCreatePasswordInvitation": (_HR, [_H, _P(PWSTR)]),
    "PeerGroupResumePasswordAuthentication": (_HR, [_H, _H]),
    "PeerIdentityCreate": (_HR, [c_void_p, c_void_p, c_size_t, _P(PWSTR)]),
    "PeerIdentityGetFriendlyName": (_HR, [c_void_p, _P(PWSTR)]),
    "PeerIdentitySetFriendlyName": (_HR, [c_void_p, c_void_p]),
    "PeerIdentityGetCryptKey": (_HR, [c_void_p, _P(c_size_t)]),
    "PeerIdentityDelete": (_HR, [c_void_p]),
    "PeerEnumIdentities": (_HR, [_P(_H)]),
    "PeerEnumGroups": (_HR, [c_void_p, _P(_H)]),
    "PeerCreatePeerName": (_HR, [c_void_p, c_void_p, _P(PWSTR)]),
    "PeerIdentityGetXML": (_HR, [c_void_p, _P(PWSTR)]),
    "PeerIdentityExport": (_HR, [c_void_p, c_void_p, _P(PWSTR)]),
    "PeerIdentityImport": (_HR, [c_void_p, c_void_p, _P(PWSTR)]),
    "PeerIdentityGetDefault": (_HR, [_P(PWSTR)]),
}
assert len(_PROTOTYPES) == 54

_LIB_NAMES = {"win32": "p2p.dll", "darwin": "libp2p.dylib"}


def find_library():
    """Locate the shared library: $P2P_LIB, then next to this module, then
    the repository's build/ directory (bindings/python/../../build)."""
    if os.environ.get("P2P_LIB"):
        return os.environ["P2P_LIB"]
    name = _LIB_NAMES.get(sys.platform, "libp2p.so")
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, os.pardir, os.pardir, "build")
    candidates = [os.path.join(here, name), os.path.join(build, name), os.path.join(build, "windows", name)]
    for c in candidates:
        if os.path.exists(c):
            return os.path.abspath(c)
    raise FileNotFoundError("%s not found (set P2P_LIB, or run make build); looked in %s" % (name, candidates))


# ---------------------------------------------------------------------------
# The pythonic layer
# ---------------------------------------------------------------------------


@dataclass
class GroupProperties:
    """A group's PEER_GROUP_PROPERTIES."""
    peer_name: str
    creator: str
    classifier: str = ""
    friendly_name: str = ""
    comment: str = ""
    cloud: str = ""
    flags: int = 0
    member_data_lifetime: int = 0
    presence_lifetime: int = 0
    authentication_schemes: int = 0
    password_role: uuid.UUID = None


@dataclass
class Record:
    """A PEER_RECORD."""
    id: uuid.UUID
    type: uuid.UUID
    version: int
    flags: int
    creator: str
    modified_by: str
    attributes: str
    created: datetime.datetime
    expires: datetime.datetime
    modified: datetime.datetime
    data: bytes
    signature: bytes


@dataclass
class InvitationInfo:
    """A parsed invitation (PEER_INVITATION_INFO)."""
    cloud: str
    group_peer_name: str
    group_friendly_name: str
    issuer_peer_name: str
    issuer_friendly_name: str
    subject_peer_name: str
    subject_friendly_name: str
    valid_from: datetime.datetime
    valid_until: datetime.datetime
    roles: list
    classifiers: list
    subject_public_key: bytes
    auth_scheme: int


@dataclass
class Member:
    """A PEER_MEMBER."""
    identity: str
    flags: int
    attributes: str
    node_id: int
    addresses: list
    roles: list = field(default_factory=list)


@dataclass
class Connection:
    """A PEER_CONNECTION_INFO."""
    flags: int
    connection_id: int
    node_id: int
    peer_id: str
    address: tuple


@dataclass
class GroupEvent:
    """One PEER_GROUP_EVENT_DATA, with the union member of its type."""
    type: int
    status: int = 0
    change: int = 0
    record_id: uuid.UUID = None
    record_type: uuid.UUID = None
    connection_status: int = 0
    connection_id: int = 0
    node_id: int = 0
    failed_reason: int = 0
    data_type: uuid.UUID = None
    data: bytes = b""
    identity: str = ""


def _record(r):
    return Record(
        id=r.id.uuid, type=r.type.uuid, version=r.dwVersion, flags=r.dwFlags,
        creator=from_wstr(r.pwzCreatorId), modified_by=from_wstr(r.pwzModifiedById),
        attributes=from_wstr(r.pwzAttributes), created=r.ftCreation.datetime, expires=r.ftExpiration.datetime,
        modified=r.ftLastModified.datetime, data=ctypes.string_at(r.data.pbData, r.data.cbData) if r.data.cbData else b"",
        signature=ctypes.string_at(r.securityData.pbData, r.securityData.cbData) if r.securityData.cbData else b"")


def _event(e):
    ev = GroupEvent(type=e.eventType)
    if e.eventType == PEER_GROUP_EVENT_STATUS_CHANGED:
        ev.status = e.dwStatus
    elif e.eventType == PEER_GROUP_EVENT_RECORD_CHANGED:
        d = e.recordChangeData
        ev.change, ev.record_id, ev.record_type = d.changeType, d.recordId.uuid, d.recordType.uuid
    elif e.eventType in (PEER_GROUP_EVENT_DIRECT_CONNECTION, PEER_GROUP_EVENT_NEIGHBOR_CONNECTION):
        d = e.connectionChangeData
        ev.connection_status, ev.connection_id, ev.node_id = d.status, d.ullConnectionId, d.ullNodeId
        ev.failed_reason = d.hrConnectionFailedReason & 0xFFFFFFFF
    elif e.eventType == PEER_GROUP_EVENT_INCOMING_DATA:
        d = e.incomingData
        ev.connection_id, ev.data_type = d.ullConnectionId, d.type.uuid
        ev.data = ctypes.string_at(d.data.pbData, d.data.cbData) if d.data.cbData else b""
    elif e.eventType == PEER_GROUP_EVENT_MEMBER_CHANGED:
        ev.change, ev.identity = e.memberChangeData.changeType, from_wstr(e.memberChangeData.pwzIdentity)
    elif e.eventType in (PEER_GROUP_EVENT_CONNECTION_FAILED, PEER_GROUP_EVENT_AUTHENTICATION_FAILED):
        ev.failed_reason = e.hrConnectionFailedReason & 0xFFFFFFFF
    return ev


class Library:
    """The loaded library: startup, identities, and groups.

    ``raw`` is the ctypes CDLL with all 54 functions declared, for calls
    this class does not wrap (each returns the HRESULT as a signed int).
    """

    def __init__(self, path=None):
        self.path = path or find_library()
        self.raw = ctypes.CDLL(self.path)
        for name, (restype, argtypes) in _PROTOTYPES.items():
            f = getattr(self.raw, name)
            f.restype, f.argtypes = restype, argtypes

    # -- helpers --

    def _call(self, name, *args):
        return _check(getattr(self.raw, name)(*args), name)

    def _take_string(self, p):
        """Decode and free a PWSTR the library returned."""
        try:
            return from_wstr(p.value)
        finally:
            self.raw.PeerFreeData(p)

    def _string_call(self, name, *args):
        out = PWSTR()
        self._call(name, *args, byref(out))
        return self._take_string(out)

    def free(self, p):
        """PeerFreeData."""
        self.raw.PeerFreeData(p)

    def enumerate(self, handle, convert, batch=16):
        """Take every item of an HPEERENUM (as ``convert(address)``) and end it."""
        try:
            out = []
            while True:
                n = c_uint32(batch)
                items = _P(c_void_p)()
                self._call("PeerGetNextItem", handle, byref(n), byref(items))
                if n.value == 0:
                    return out
                try:
                    out.extend(convert(items[i]) for i in range(n.value))
                finally:
                    self.raw.PeerFreeData(items)
        finally:
            self.raw.PeerEndEnumeration(handle)

    def _name_pairs(self, handle):
        def pair(p):
            np = PEER_NAME_PAIR.from_address(p)
            return from_wstr(np.pwzPeerName), from_wstr(np.pwzFriendlyName)
        return self.enumerate(handle, pair)

    # -- startup --

    class _Startup:
        def __init__(self, lib, version):
            self.lib, self.version = lib, version

        def __enter__(self):
            v = PEER_VERSION_DATA()
            self.lib._call("PeerGroupStartup", self.version, byref(v))
            self.negotiated, self.highest = v.wVersion, v.wHighestVersion
            return self.lib

        def __exit__(self, *exc):
            self.lib._call("PeerGroupShutdown")

    def startup(self, version=PEER_GROUP_VERSION):
        """Context manager: PeerGroupStartup on entry, PeerGroupShutdown on exit."""
        return self._Startup(self, version)

    # -- identities --

    def identity_create(self, classifier=None, friendly_name=None):
        """PeerIdentityCreate; returns the new identity's peer name."""
        return self._string_call("PeerIdentityCreate", wstr(classifier), wstr(friendly_name), 0)

    def identity_get_friendly_name(self, identity):
        return self._string_call("PeerIdentityGetFriendlyName", wstr(identity))

    def identity_set_friendly_name(self, identity, friendly_name):
        """PeerIdentitySetFriendlyName; None or "" resets it to the default."""
        self._call("PeerIdentitySetFriendlyName", wstr(identity), wstr(friendly_name))

    def identity_delete(self, identity):
        self._call("PeerIdentityDelete", wstr(identity))

    def identity_get_default(self):
        return self._string_call("PeerIdentityGetDefault")

    def identity_get_xml(self, identity=None):
        """PeerIdentityGetXML: the public part to give a group administrator."""
        return self._string_call("PeerIdentityGetXML", wstr(identity))

    def identity_export(self, identity, password):
        return self._string_call("PeerIdentityExport", wstr(identity), wstr(password))

    def identity_import(self, xml, password):
        """PeerIdentityImport; returns the imported identity's peer name."""
        return self._string_call("PeerIdentityImport", wstr(xml), wstr(password))

    def create_peer_name(self, identity, classifier):
        return self._string_call("PeerCreatePeerName", wstr(identity), wstr(classifier))

    def enum_identities(self):
        """PeerEnumIdentities as a list of (peer name, friendly name)."""
        h = _H()
        self._call("PeerEnumIdentities", byref(h))
        return self._name_pairs(h)

    def enum_groups(self, identity):
        """PeerEnumGroups as a list of (group peer name, friendly name)."""
        h = _H()
        self._call("PeerEnumGroups", wstr(identity), byref(h))
        return self._name_pairs(h)

    # -- groups --

    def group_create(self, creator, classifier, friendly_name=None, comment=None, flags=0,
                     member_data_lifetime=0, presence_lifetime=0, password=None,
                     password_role=PEER_GROUP_ROLE_MEMBER):
        """PeerGroupCreate; a password adds password authentication to GMC."""
        keep = [wstr(creator), wstr(classifier), wstr(friendly_name), wstr(comment), wstr(password)]
        p = PEER_GROUP_PROPERTIES(dwSize=sizeof(PEER_GROUP_PROPERTIES), dwFlags=flags,
                                  ulMemberDataLifetime=member_data_lifetime, ulPresenceLifetime=presence_lifetime)
        p.pwzCreatorPeerName, p.pwzClassifier, p.pwzFriendlyName, p.pwzComment, p.pwzGroupPassword = \
            [ctypes.addressof(b) if b is not None else None for b in keep]
        if password is not None:
            p.dwAuthenticationSchemes = PEER_GROUP_GMC_AUTHENTICATION | PEER_GROUP_PASSWORD_AUTHENTICATION
            p.groupPasswordRole = GUID.from_uuid(password_role)
        h = _H()
        self._call("PeerGroupCreate", byref(p), byref(h))
        return Group(self, h)

    def group_open(self, identity, group_peer_name):
        h = _H()
        self._call("PeerGroupOpen", wstr(identity), wstr(group_peer_name), None, byref(h))
        return Group(self, h)

    def group_join(self, identity, invitation):
        """PeerGroupJoin; ``Group.already_member`` tells PEER_S_ALREADY_A_MEMBER."""
        h = _H()
        hr = self._call("PeerGroupJoin", wstr(identity), wstr(invitation), None, byref(h))
        return Group(self, h, already_member=hr == PEER_S_ALREADY_A_MEMBER)

    def group_password_join(self, identity, invitation, password):
        h = _H()
        hr = self._call("PeerGroupPasswordJoin", wstr(identity), wstr(invitation), wstr(password), None, byref(h))
        return Group(self, h, already_member=hr == PEER_S_ALREADY_A_MEMBER)

    def group_delete(self, identity, group_peer_name):
        self._call("PeerGroupDelete", wstr(identity), wstr(group_peer_name))

    def group_import_config(self, xml, password, overwrite=False):
        """PeerGroupImportConfig; returns (identity, group peer name)."""
        ident, grp = PWSTR(), PWSTR()
        self._call("PeerGroupImportConfig", wstr(xml), wstr(password), int(bool(overwrite)), byref(ident), byref(grp))
        return self._take_string(ident), self._take_string(grp)

    def parse_invitation(self, invitation):
        """PeerGroupParseInvitation as an InvitationInfo."""
        p = _P(PEER_INVITATION_INFO)()
        self._call("PeerGroupParseInvitation", wstr(invitation), byref(p))
        try:
            i = p.contents
            key = b""
            if i.pSubjectPublicKey:
                k = i.pSubjectPublicKey.contents.PublicKey
                key = ctypes.string_at(k.pbData, k.cbData)
            return InvitationInfo(
                cloud=from_wstr(i.pwzCloudName), group_peer_name=from_wstr(i.pwzGroupPeerName),
                group_friendly_name=from_wstr(i.pwzGroupFriendlyName), issuer_peer_name=from_wstr(i.pwzIssuerPeerName),
                issuer_friendly_name=from_wstr(i.pwzIssuerFriendlyName),
                subject_peer_name=from_wstr(i.pwzSubjectPeerName),
                subject_friendly_name=from_wstr(i.pwzSubjectFriendlyName),
                valid_from=i.ftValidityStart.datetime, valid_until=i.ftValidityEnd.datetime,
                roles=[i.pRoles[k].uuid for k in range(i.cRoles)],
                classifiers=[from_wstr(i.ppwzClassifiers[k]) for k in range(i.cClassifiers)],
                subject_public_key=key, auth_scheme=i.authScheme)
        finally:
            self.raw.PeerFreeData(p)


class Group:
    """An open group (HGROUP). Use it as a context manager to close it."""

    def __init__(self, lib, handle, already_member=False):
        self.lib, self.handle, self.already_member = lib, handle, already_member

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, name, *args):
        return self.lib._call(name, self.handle, *args)

    def close(self):
        """PeerGroupClose (once; later calls do nothing)."""
        if self.handle is not None:
            h, self.handle = self.handle, None
            self.lib._call("PeerGroupClose", h)

    # -- state and properties --

    @property
    def status(self):
        """PeerGroupGetStatus: PEER_GROUP_STATUS_* flags."""
        s = c_uint32()
        self._call("PeerGroupGetStatus", byref(s))
        return s.value

    def properties(self):
        """PeerGroupGetProperties as GroupProperties."""
        p = _P(PEER_GROUP_PROPERTIES)()
        self._call("PeerGroupGetProperties", byref(p))
        try:
            q = p.contents
            return GroupProperties(
                peer_name=from_wstr(q.pwzGroupPeerName), creator=from_wstr(q.pwzCreatorPeerName),
                classifier=from_wstr(q.pwzClassifier), friendly_name=from_wstr(q.pwzFriendlyName),
                comment=from_wstr(q.pwzComment), cloud=from_wstr(q.pwzCloud), flags=q.dwFlags,
                member_data_lifetime=q.ulMemberDataLifetime, presence_lifetime=q.ulPresenceLifetime,
                authentication_schemes=q.dwAuthenticationSchemes, password_role=q.groupPasswordRole.uuid)
        finally:
            self.lib.free(p)

    @property
    def peer_name(self):
        return self.properties().peer_name

    def set_properties(self, friendly_name=None, comment=None, **numbers):
        """PeerGroupSetProperties: changes the given fields, keeps the rest.

        ``numbers`` may set flags, member_data_lifetime, presence_lifetime.
        """
        p = _P(PEER_GROUP_PROPERTIES)()
        self._call("PeerGroupGetProperties", byref(p))
        try:
            q = PEER_GROUP_PROPERTIES.from_buffer_copy(p.contents)
            keep = [wstr(friendly_name), wstr(comment)]
            if friendly_name is not None:
                q.pwzFriendlyName = ctypes.addressof(keep[0])
            if comment is not None:
                q.pwzComment = ctypes.addressof(keep[1])
            fields = {"flags": "dwFlags", "member_data_lifetime": "ulMemberDataLifetime",
                      "presence_lifetime": "ulPresenceLifetime"}
            for k, v in numbers.items():
                setattr(q, fields[k], v)
            self._call("PeerGroupSetProperties", byref(q))
        finally:
            self.lib.free(p)

    def universal_to_peer_time(self, dt):
        out = FILETIME()
        self._call("PeerGroupUniversalTimeToPeerTime", byref(FILETIME.from_datetime(dt)), byref(out))
        return out.datetime

    def peer_to_universal_time(self, dt):
        out = FILETIME()
        self._call("PeerGroupPeerTimeToUniversalTime", byref(FILETIME.from_datetime(dt)), byref(out))
        return out.datetime

    # -- invitations and configuration --

    def create_invitation(self, identity_xml, expires=None, roles=(PEER_GROUP_ROLE_MEMBER,)):
        """PeerGroupCreateInvitation for the identity (PeerIdentityGetXML)."""
        arr = (GUID * max(len(roles), 1))(*[GUID.from_uuid(r) for r in roles])
        exp = byref(FILETIME.from_datetime(expires)) if expires else None
        out = PWSTR()
        self._call("PeerGroupCreateInvitation", wstr(identity_xml), exp, len(roles), arr if roles else None, byref(out))
        return self.lib._take_string(out)

    def create_password_invitation(self):
        out = PWSTR()
        self._call("PeerGroupCreatePasswordInvitation", byref(out))
        return self.lib._take_string(out)

    def issue_credentials(self, subject_identity, store=False):
        """PeerGroupIssueCredentials without credential info (renews a member's)."""
        out = PWSTR()
        self._call("PeerGroupIssueCredentials", wstr(subject_identity), None,
                   PEER_GROUP_STORE_CREDENTIALS if store else 0, None if store else byref(out))
        return None if store else self.lib._take_string(out)

    def export_config(self, password):
        out = PWSTR()
        self._call("PeerGroupExportConfig", wstr(password), byref(out))
        return self.lib._take_string(out)

    # -- records --

    def _new_record(self, record_type, data, expires, hours, attributes, record_id=None):
        if expires is None:
            expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
        buf = ctypes.create_string_buffer(bytes(data), max(len(data), 1))
        attrs = wstr(attributes)
        r = PEER_RECORD(dwSize=sizeof(PEER_RECORD), type=GUID.from_uuid(record_type),
                        ftExpiration=FILETIME.from_datetime(expires), data=PEER_DATA(len(data), ctypes.addressof(buf)))
        if attrs is not None:
            r.pwzAttributes = ctypes.addressof(attrs)
        if record_id is not None:
            r.id = GUID.from_uuid(record_id)
        return r, (buf, attrs)

    def add_record(self, record_type, data, expires=None, hours=24, attributes=None):
        """PeerGroupAddRecord; returns the new record's id (uuid.UUID)."""
        r, _keep = self._new_record(record_type, data, expires, hours, attributes)
        rid = GUID()
        self._call("PeerGroupAddRecord", byref(r), byref(rid))
        return rid.uuid

    def update_record(self, record_id, record_type, data, expires=None, hours=24, attributes=None):
        r, _keep = self._new_record(record_type, data, expires, hours, attributes, record_id)
        self._call("PeerGroupUpdateRecord", byref(r))

    def delete_record(self, record_id):
        self._call("PeerGroupDeleteRecord", byref(GUID.from_uuid(record_id)))

    def get_record(self, record_id):
        """PeerGroupGetRecord as a Record."""
        p = _P(PEER_RECORD)()
        self._call("PeerGroupGetRecord", byref(GUID.from_uuid(record_id)), byref(p))
        try:
            return _record(p.contents)
        finally:
            self.lib.free(p)

    def enum_records(self, record_type=None):
        """PeerGroupEnumRecords (all, or one type) as a list of Record."""
        h = _H()
        t = byref(GUID.from_uuid(record_type)) if record_type else None
        self._call("PeerGroupEnumRecords", t, byref(h))
        return self.lib.enumerate(h, lambda a: _record(PEER_RECORD.from_address(a)))

    def search_records(self, criteria):
        """PeerGroupSearchRecords with a <peersearch> XML query."""
        h = _H()
        self._call("PeerGroupSearchRecords", wstr(criteria), byref(h))
        return self.lib.enumerate(h, lambda a: _record(PEER_RECORD.from_address(a)))

    def export_database(self, path):
        self._call("PeerGroupExportDatabase", wstr(os.fspath(path)))

    def import_database(self, path):
        self._call("PeerGroupImportDatabase", wstr(os.fspath(path)))

    # -- members and connections --

    def connect(self):
        """PeerGroupConnect; returns True if it was already connected."""
        return self._call("PeerGroupConnect") == PEER_S_ALREADY_CONNECTED

    def connect_by_address(self, addresses):
        """PeerGroupConnectByAddress with a list of (ip, port)."""
        arr = (PEER_ADDRESS * len(addresses))(*[PEER_ADDRESS.from_ip(ip, port) for ip, port in addresses])
        return self._call("PeerGroupConnectByAddress", len(addresses), arr) == PEER_S_ALREADY_CONNECTED

    def members(self, flags=0, identity=None):
        """PeerGroupEnumMembers as a list of Member."""
        def member(a):
            m = PEER_MEMBER.from_address(a)
            roles = []
            if m.pCredentialInfo:
                ci = m.pCredentialInfo.contents
                roles = [ci.pRoles[k].uuid for k in range(ci.cRoles)]
            return Member(identity=from_wstr(m.pwzIdentity), flags=m.dwFlags, attributes=from_wstr(m.pwzAttributes),
                          node_id=m.ullNodeId, addresses=[m.pAddresses[k].ip_port() for k in range(m.cAddresses)],
                          roles=roles)
        h = _H()
        self._call("PeerGroupEnumMembers", flags, wstr(identity), byref(h))
        return self.lib.enumerate(h, member)

    def connections(self, flags=PEER_CONNECTION_NEIGHBOR | PEER_CONNECTION_DIRECT):
        """PeerGroupEnumConnections as a list of Connection."""
        def conn(a):
            c = PEER_CONNECTION_INFO.from_address(a)
            return Connection(flags=c.dwFlags, connection_id=c.ullConnectionId, node_id=c.ullNodeId,
                              peer_id=from_wstr(c.pwzPeerId), address=c.address.ip_port())
        h = _H()
        self._call("PeerGroupEnumConnections", flags, byref(h))
        return self.lib.enumerate(h, conn)

    def open_direct_connection(self, identity, address=None):
        """PeerGroupOpenDirectConnection; returns the connection id at once
        (PEER_GROUP_EVENT_DIRECT_CONNECTION reports the outcome)."""
        cid = c_uint64()
        addr = byref(PEER_ADDRESS.from_ip(*address)) if address else None
        self._call("PeerGroupOpenDirectConnection", wstr(identity), addr, byref(cid))
        return cid.value

    def close_direct_connection(self, connection_id):
        self._call("PeerGroupCloseDirectConnection", connection_id)

    def send_data(self, connection_id, data_type, data):
        buf = ctypes.create_string_buffer(bytes(data), max(len(data), 1))
        self._call("PeerGroupSendData", connection_id, byref(GUID.from_uuid(data_type)), len(data), buf)

    # -- events --

    def register_event(self, event, types, record_type=None):
        """PeerGroupRegisterEvent for the event types, signalling ``event``
        (an EventHandle); returns a Registration. ``record_type`` filters
        RECORD_CHANGED (and INCOMING_DATA) by GUID."""
        guid = GUID.from_uuid(record_type) if record_type else None
        regs = (PEER_GROUP_EVENT_REGISTRATION * len(types))()
        for r, t in zip(regs, types):
            r.eventType = t
            if guid is not None and t in (PEER_GROUP_EVENT_RECORD_CHANGED, PEER_GROUP_EVENT_INCOMING_DATA):
                r.pType = ctypes.pointer(guid)
        h = _H()
        self._call("PeerGroupRegisterEvent", event.handle, len(types), regs, byref(h))
        return Registration(self.lib, h, event)


class Registration:
    """An event registration (HPEEREVENT); a context manager that unregisters."""

    def __init__(self, lib, handle, event):
        self.lib, self.handle, self.event = lib, handle, event

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """PeerGroupUnregisterEvent (once)."""
        if self.handle is not None:
            h, self.handle = self.handle, None
            self.lib._call("PeerGroupUnregisterEvent", h)

    def get(self):
        """PeerGroupGetEventData: the next GroupEvent, or None when the queue
        is empty (PEER_S_NO_EVENT_DATA)."""
        p = _P(PEER_GROUP_EVENT_DATA)()
        hr = self.lib._call("PeerGroupGetEventData", self.handle, byref(p))
        if hr == PEER_S_NO_EVENT_DATA:
            return None
        try:
            return _event(p.contents)
        finally:
            self.lib.free(p)

    def drain(self):
        """All queued events, oldest first."""
        out = []
        while (e := self.get()) is not None:
            out.append(e)
        return out

    def wait(self, timeout):
        """Wait up to ``timeout`` seconds for the handle to be signalled and
        return the queued events (an empty list on timeout)."""
        events = self.drain()
        if events or not self.event.wait(timeout):
            return events
        return self.drain()


class EventHandle:
    """The HANDLE the library signals when it queues events.

    On Linux an eventfd (os.eventfd), elsewhere on POSIX a pipe whose write
    end is the HANDLE; the library writes the 8-byte integer 1 to it. On
    Windows a Win32 event object (CreateEventW; the library calls SetEvent).
    """

    def __init__(self):
        self._win = sys.platform == "win32"
        if self._win:
            k32 = ctypes.WinDLL("kernel32", use_last_error=True)
            k32.CreateEventW.restype = c_void_p
            k32.CreateEventW.argtypes = [c_void_p, c_int32, c_int32, c_void_p]
            k32.WaitForSingleObject.argtypes = [c_void_p, c_uint32]
            k32.CloseHandle.argtypes = [c_void_p]
            self._k32 = k32
            self._h = k32.CreateEventW(None, 0, 0, None)  # auto-reset, not signalled
            self.handle = c_void_p(self._h)
        elif hasattr(os, "eventfd"):
            self._rfd = self._wfd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
            self.handle = c_void_p(self._wfd)
        else:
            self._rfd, self._wfd = os.pipe()
            os.set_blocking(self._rfd, False)
            self.handle = c_void_p(self._wfd)

    def fileno(self):
        """The descriptor to poll/select for readability (POSIX)."""
        return self._rfd

    def wait(self, timeout):
        """Wait up to ``timeout`` seconds; True if signalled (then drained)."""
        if self._win:
            return self._k32.WaitForSingleObject(self._h, int(timeout * 1000)) == 0
        r, _, _ = select.select([self._rfd], [], [], timeout)
        if not r:
            return False
        try:
            while os.read(self._rfd, 8):
                if self._rfd == self._wfd:
                    break  # one read empties an eventfd
        except BlockingIOError:
            pass
        return True

    def close(self):
        if self._win:
            self._k32.CloseHandle(self._h)
            return
        os.close(self._rfd)
        if self._wfd != self._rfd:
            os.close(self._wfd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
