"""The C ABI: constants, UTF-16 strings, the structures with their Windows
x64 layouts, the 56 prototypes, and where the library is found."""

from __future__ import annotations

import ctypes
import datetime
import ipaddress
import os
import socket
import subprocess
import sys
import uuid
from ctypes import (POINTER, Structure, Union, c_int32, c_size_t, c_uint16, c_uint32, c_uint64, c_ubyte, c_void_p,
                    sizeof)
from typing import Any, Dict, List, Optional, Tuple

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

# Power events for PeerGroupHandlePowerEvent (winuser.h).
PBT_APMSUSPEND = 0x0004
PBT_APMRESUMECRITICAL = 0x0006
PBT_APMRESUMESUSPEND = 0x0007
PBT_APMRESUMEAUTOMATIC = 0x0012

# Role GUIDs (PEER_GROUP_ROLE_*).
PEER_GROUP_ROLE_ADMIN = uuid.UUID("04387127-aa56-450a-8ce5-4f565c6790f4")
PEER_GROUP_ROLE_MEMBER = uuid.UUID("f12dc4c7-0857-4ca0-93fc-b1bb19a3d8c2")
PEER_GROUP_ROLE_INVITING_MEMBER = uuid.UUID("4370fd89-dc18-4cfb-8dbf-9853a8a9f905")

CONSTANTS = [n for n in dir() if n.startswith(("PEER_", "PBT_"))]

# ---------------------------------------------------------------------------
# UTF-16 strings
# ---------------------------------------------------------------------------


def wstr(s: Optional[str]) -> Optional[ctypes.Array]:  # type: ignore[type-arg]
    """Return ``s`` as a NUL-terminated UTF-16LE ctypes buffer (a PCWSTR).

    ``None`` stays ``None`` (a NULL pointer). Lone surrogates in ``s`` are
    encoded as they are (``surrogatepass``), so malformed UTF-16 can be sent
    on purpose. Keep the buffer alive for as long as the library may read it.
    """
    if s is None:
        return None
    b = s.encode("utf-16-le", "surrogatepass") + b"\0\0"
    return ctypes.create_string_buffer(b, len(b))


def from_wstr(p: Optional[int]) -> str:
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
    """GUID (16 bytes); convert with ``GUID.from_uuid`` and ``.uuid``."""
    _fields_ = [("Data1", c_uint32), ("Data2", c_uint16), ("Data3", c_uint16), ("Data4", c_ubyte * 8)]

    @classmethod
    def from_uuid(cls, u: uuid.UUID) -> "GUID":
        """The GUID of a uuid.UUID (Windows stores Data1..3 little-endian)."""
        return cls.from_buffer_copy(u.bytes_le)

    @property
    def uuid(self) -> uuid.UUID:
        """The GUID as a uuid.UUID."""
        return uuid.UUID(bytes_le=bytes(self))


class FILETIME(Structure):
    """FILETIME: 100 ns intervals since 1601-01-01 UTC."""
    _fields_ = [("dwLowDateTime", c_uint32), ("dwHighDateTime", c_uint32)]

    _EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)

    @classmethod
    def from_datetime(cls, dt: datetime.datetime) -> "FILETIME":
        """The FILETIME of an aware datetime (naive ones are taken as UTC)."""
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=datetime.timezone.utc)
        delta = dt - cls._EPOCH
        v = (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10
        return cls(v & 0xFFFFFFFF, v >> 32)

    @property
    def value(self) -> int:
        """The 64-bit count of 100 ns intervals."""
        return int(self.dwHighDateTime) << 32 | int(self.dwLowDateTime)

    @property
    def datetime(self) -> datetime.datetime:
        """The time as an aware UTC datetime."""
        return self._EPOCH + datetime.timedelta(microseconds=self.value // 10)


class PEER_VERSION_DATA(Structure):
    """PEER_VERSION_DATA: what PeerGroupStartup negotiated."""
    _fields_ = [("wVersion", c_uint16), ("wHighestVersion", c_uint16)]


class PEER_DATA(Structure):
    """PEER_DATA: a byte count and a pointer."""
    _fields_ = [("cbData", c_uint32), ("pbData", c_void_p)]


class PEER_RECORD(Structure):
    """PEER_RECORD (128 bytes)."""
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


# The library accepts Windows' AF_INET6 (23) or the platform's on input.
_AF_INET6 = 23 if sys.platform == "win32" else int(socket.AF_INET6)


class PEER_ADDRESS(Structure):
    """PEER_ADDRESS: dwSize and a SOCKADDR_IN6 (IPv4 as ::ffff:a.b.c.d)."""
    _fields_ = [("dwSize", c_uint32), ("sin6", SOCKADDR_IN6)]

    @classmethod
    def from_ip(cls, ip: str, port: int) -> "PEER_ADDRESS":
        """A PEER_ADDRESS for an IPv4 or IPv6 address string and a port."""
        a = ipaddress.ip_address(ip)
        if a.version == 4:
            a = ipaddress.IPv6Address("::ffff:" + str(a))
        sa = SOCKADDR_IN6(sin6_family=_AF_INET6, sin6_port=int.from_bytes(port.to_bytes(2, "big"), "little"))
        ctypes.memmove(sa.sin6_addr, a.packed, 16)
        return cls(sizeof(cls), sa)

    def ip_port(self) -> Tuple[str, int]:
        """The (address string, port) it holds; IPv4-mapped addresses as IPv4."""
        a = ipaddress.IPv6Address(bytes(self.sin6.sin6_addr))
        port = int.from_bytes(int(self.sin6.sin6_port).to_bytes(2, "little"), "big")
        return str(a.ipv4_mapped or a), port


class PEER_CONNECTION_INFO(Structure):
    """PEER_CONNECTION_INFO: a neighbour or direct connection."""
    _fields_ = [("dwSize", c_uint32), ("dwFlags", c_uint32), ("ullConnectionId", c_uint64), ("ullNodeId", c_uint64),
                ("pwzPeerId", PWSTR), ("address", PEER_ADDRESS)]


class PEER_EVENT_INCOMING_DATA(Structure):
    """PEER_EVENT_INCOMING_DATA: a message received on a direct connection."""
    _fields_ = [("dwSize", c_uint32), ("ullConnectionId", c_uint64), ("type", GUID), ("data", PEER_DATA)]


class PEER_EVENT_RECORD_CHANGE_DATA(Structure):
    """PEER_EVENT_RECORD_CHANGE_DATA: which record changed and how."""
    _fields_ = [("dwSize", c_uint32), ("changeType", c_int32), ("recordId", GUID), ("recordType", GUID)]


class PEER_EVENT_CONNECTION_CHANGE_DATA(Structure):
    """PEER_EVENT_CONNECTION_CHANGE_DATA: a connection that opened, closed or failed."""
    _fields_ = [("dwSize", c_uint32), ("status", c_int32), ("ullConnectionId", c_uint64), ("ullNodeId", c_uint64),
                ("ullNextConnectionId", c_uint64), ("hrConnectionFailedReason", c_int32)]


class CRYPT_BIT_BLOB(Structure):
    """CRYPT_BIT_BLOB (wincrypt.h): the bits of a public key."""
    _fields_ = [("cbData", c_uint32), ("pbData", c_void_p), ("cUnusedBits", c_uint32)]


class CRYPT_ALGORITHM_IDENTIFIER(Structure):
    """CRYPT_ALGORITHM_IDENTIFIER (wincrypt.h): an algorithm OID."""
    _fields_ = [("pszObjId", ctypes.c_char_p), ("Parameters", PEER_DATA)]


class CERT_PUBLIC_KEY_INFO(Structure):
    """CERT_PUBLIC_KEY_INFO (wincrypt.h): an X.509 SubjectPublicKeyInfo."""
    _fields_ = [("Algorithm", CRYPT_ALGORITHM_IDENTIFIER), ("PublicKey", CRYPT_BIT_BLOB)]


class PEER_CREDENTIAL_INFO(Structure):
    """PEER_CREDENTIAL_INFO: a member's credential (GMC)."""
    _fields_ = [("dwSize", c_uint32), ("dwFlags", c_uint32), ("pwzFriendlyName", PWSTR),
                ("pPublicKey", POINTER(CERT_PUBLIC_KEY_INFO)), ("pwzIssuerPeerName", PWSTR),
                ("pwzIssuerFriendlyName", PWSTR), ("ftValidityStart", FILETIME), ("ftValidityEnd", FILETIME),
                ("cRoles", c_uint32), ("pRoles", POINTER(GUID))]


class PEER_MEMBER(Structure):
    """PEER_MEMBER: an item of PeerGroupEnumMembers."""
    _fields_ = [("dwSize", c_uint32), ("dwFlags", c_uint32), ("pwzIdentity", PWSTR), ("pwzAttributes", PWSTR),
                ("ullNodeId", c_uint64), ("cAddresses", c_uint32), ("pAddresses", POINTER(PEER_ADDRESS)),
                ("pCredentialInfo", POINTER(PEER_CREDENTIAL_INFO))]


class PEER_INVITATION_INFO(Structure):
    """PEER_INVITATION_INFO (136 bytes): a parsed invitation."""
    _fields_ = [
        ("dwSize", c_uint32), ("dwFlags", c_uint32), ("pwzCloudName", PWSTR), ("dwScope", c_uint32),
        ("dwCloudFlags", c_uint32), ("pwzGroupPeerName", PWSTR), ("pwzIssuerPeerName", PWSTR),
        ("pwzSubjectPeerName", PWSTR), ("pwzGroupFriendlyName", PWSTR), ("pwzIssuerFriendlyName", PWSTR),
        ("pwzSubjectFriendlyName", PWSTR), ("ftValidityStart", FILETIME), ("ftValidityEnd", FILETIME),
        ("cRoles", c_uint32), ("pRoles", POINTER(GUID)), ("cClassifiers", c_uint32), ("ppwzClassifiers", POINTER(PWSTR)),
        ("pSubjectPublicKey", POINTER(CERT_PUBLIC_KEY_INFO)), ("authScheme", c_int32),
    ]


class PEER_GROUP_PROPERTIES(Structure):
    """PEER_GROUP_PROPERTIES (96 bytes, the Vista layout)."""
    _fields_ = [
        ("dwSize", c_uint32), ("dwFlags", c_uint32), ("pwzCloud", PWSTR), ("pwzClassifier", PWSTR),
        ("pwzGroupPeerName", PWSTR), ("pwzCreatorPeerName", PWSTR), ("pwzFriendlyName", PWSTR), ("pwzComment", PWSTR),
        ("ulMemberDataLifetime", c_uint32), ("ulPresenceLifetime", c_uint32), ("dwAuthenticationSchemes", c_uint32),
        ("pwzGroupPassword", PWSTR), ("groupPasswordRole", GUID),
    ]


class PEER_EVENT_MEMBER_CHANGE_DATA(Structure):
    """PEER_EVENT_MEMBER_CHANGE_DATA: a member that joined, left, came online..."""
    _fields_ = [("dwSize", c_uint32), ("changeType", c_int32), ("pwzIdentity", PWSTR)]


class PEER_GROUP_EVENT_REGISTRATION(Structure):
    """PEER_GROUP_EVENT_REGISTRATION: an event type and an optional GUID filter."""
    _fields_ = [("eventType", c_int32), ("pType", POINTER(GUID))]


class _PEER_GROUP_EVENT_UNION(Union):
    _fields_ = [("dwStatus", c_uint32), ("incomingData", PEER_EVENT_INCOMING_DATA),
                ("recordChangeData", PEER_EVENT_RECORD_CHANGE_DATA),
                ("connectionChangeData", PEER_EVENT_CONNECTION_CHANGE_DATA),
                ("memberChangeData", PEER_EVENT_MEMBER_CHANGE_DATA), ("hrConnectionFailedReason", c_int32)]


class PEER_GROUP_EVENT_DATA(Structure):
    """PEER_GROUP_EVENT_DATA (56 bytes); the union starts at offset 8."""
    _anonymous_ = ("u",)
    _fields_ = [("eventType", c_int32), ("u", _PEER_GROUP_EVENT_UNION)]


class PEER_NAME_PAIR(Structure):
    """PEER_NAME_PAIR: a peer name and its friendly name."""
    _fields_ = [("dwSize", c_uint32), ("pwzPeerName", PWSTR), ("pwzFriendlyName", PWSTR)]


#: Windows x64 sizes, asserted at import (the layouts are the ABI).
STRUCT_SIZES: Dict[Any, int] = {
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

STRUCTURES = [t.__name__ for t in STRUCT_SIZES]

# ---------------------------------------------------------------------------
# The 56 functions
# ---------------------------------------------------------------------------

_H = c_void_p  # HGROUP, HPEEREVENT, HPEERENUM, HANDLE
_P = POINTER
_HR = c_int32
PROTOTYPES: Dict[str, Tuple[Any, List[Any]]] = {
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
    "PeerGroupHandlePowerEvent": (_HR, [c_uint32]),
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
    "PeerIdentityGetCert": (_HR, [c_void_p, _P(_P(PEER_DATA))]),
}
assert len(PROTOTYPES) == 56

# ---------------------------------------------------------------------------
# Finding the library
# ---------------------------------------------------------------------------

SONAME = "libp2p.so.1"
_WINDOWS = sys.platform == "win32"
_HERE = os.path.dirname(os.path.abspath(__file__))


def _build_dirs() -> List[str]:
    """The build/ directories this package may sit beside: the one of the
    source tree it was installed from (recorded at installation), and the
    one of the source tree it is imported from."""
    dirs = []
    try:
        from . import _build_info  # written by setup.py when installed
        if _build_info.build_dir:
            dirs.append(_build_info.build_dir)
    except ImportError:
        pass
    dirs.append(os.path.normpath(os.path.join(_HERE, os.pardir, os.pardir, os.pardir, "build")))
    return dirs


def _ldconfig_path(name: str) -> Optional[str]:
    """Where the dynamic loader's cache (ldconfig -p) has ``name``."""
    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig"):
        if not os.path.exists(ldconfig):
            continue
        try:
            out = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        for line in out.splitlines():
            fields = line.strip().split(" => ")
            if len(fields) == 2 and fields[0].split(" ")[0] == name and os.path.exists(fields[1]):
                return fields[1]
        return None
    return None


def find_library() -> str:
    """Locate the shared library and return its path.

    In order: ``$P2P_LIB``; an installed ``libp2p.so.1`` (in a directory
    of ``$LD_LIBRARY_PATH``, in the dynamic loader's cache, or in
    /usr/local/lib or /usr/lib, where ``make install`` puts it); then
    ``libp2p.so.1`` in the build/ directory of the source tree this
    package was installed from. On Windows: ``$P2P_LIB``, ``p2p.dll``
    beside this module, then build/windows. Raises FileNotFoundError
    saying where it looked.
    """
    env = os.environ.get("P2P_LIB")
    if env:
        return env
    looked: List[str] = []

    def first(candidates: List[str]) -> Optional[str]:
        looked.extend(candidates)
        for c in candidates:
            if os.path.exists(c):
                return os.path.abspath(c)
        return None

    if _WINDOWS:
        found = first([os.path.join(_HERE, "p2p.dll")] + [os.path.join(d, "windows", "p2p.dll") for d in _build_dirs()])
    else:
        found = first([os.path.join(d, SONAME) for d in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if d])
        if not found:
            found = _ldconfig_path(SONAME)
            looked.append("the loader cache (ldconfig -p)")
        if not found:
            found = first([os.path.join(d, SONAME) for d in ["/usr/local/lib", "/usr/lib"] + _build_dirs()])
    if found:
        return found
    raise FileNotFoundError("the p2p library was not found: install it (make install), or set P2P_LIB to its "
                            "path; looked in " + ", ".join(looked))


def load(path: str) -> ctypes.CDLL:
    """Load the library at ``path`` and declare its 56 functions."""
    lib = ctypes.CDLL(path)
    for name, (restype, argtypes) in PROTOTYPES.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = restype, argtypes
    return lib
