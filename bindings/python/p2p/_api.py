"""The pythonic layer: Library, Group, Registration, EventHandle and
DirectConnection, and the dataclasses they return."""

from __future__ import annotations

import asyncio
import collections
import ctypes
import datetime
import os
import select
import sys
import time
import uuid
from ctypes import POINTER, byref, c_int32, c_uint32, c_uint64, c_void_p, sizeof
from dataclasses import dataclass, field
from typing import (Any, AsyncIterator, Callable, Deque, Iterator, List, Optional, Sequence, Tuple, TypeVar, Union)

from ._abi import (FILETIME, GUID, PEER_ADDRESS, PEER_CONNECTION_DIRECT, PEER_CONNECTION_INFO, PEER_CONNECTION_NEIGHBOR,
                   PEER_CONNECTED, PEER_DATA, PEER_DISCONNECTED, PEER_GROUP_EVENT_AUTHENTICATION_FAILED,
                   PEER_GROUP_EVENT_CONNECTION_FAILED, PEER_GROUP_EVENT_DATA, PEER_GROUP_EVENT_DIRECT_CONNECTION,
                   PEER_GROUP_EVENT_INCOMING_DATA, PEER_GROUP_EVENT_MEMBER_CHANGED,
                   PEER_GROUP_EVENT_NEIGHBOR_CONNECTION, PEER_GROUP_EVENT_RECORD_CHANGED,
                   PEER_GROUP_EVENT_REGISTRATION, PEER_GROUP_EVENT_STATUS_CHANGED, PEER_GROUP_GMC_AUTHENTICATION,
                   PEER_GROUP_PASSWORD_AUTHENTICATION, PEER_GROUP_PROPERTIES, PEER_GROUP_ROLE_MEMBER,
                   PEER_GROUP_STORE_CREDENTIALS, PEER_GROUP_VERSION, PEER_INVITATION_INFO, PEER_MEMBER,
                   PEER_NAME_PAIR, PEER_RECORD, PEER_VERSION_DATA, PWSTR, find_library, from_wstr, load, wstr)
from ._errors import CODES, GroupNotReadyError, PeerConnectionError, PeerError, PeerTimeoutError, check

_H = c_void_p
_P = POINTER
T = TypeVar("T")

PEER_S_NO_EVENT_DATA = CODES["PEER_S_NO_EVENT_DATA"]
PEER_S_ALREADY_CONNECTED = CODES["PEER_S_ALREADY_CONNECTED"]
PEER_S_ALREADY_A_MEMBER = CODES["PEER_S_ALREADY_A_MEMBER"]

#: The data type DirectConnection.send uses when given none.
DEFAULT_DATA_TYPE = uuid.UUID("5d8b2c3e-7a41-4f0b-9c66-70326064d001")

# ---------------------------------------------------------------------------
# What the library returns, as Python objects
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
    password_role: Optional[uuid.UUID] = None


@dataclass
class Record:
    """A PEER_RECORD: ``creator`` and ``modified_by`` are peer names,
    ``signature`` the securityData the library signed it with."""
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
    roles: List[uuid.UUID]
    classifiers: List[str]
    subject_public_key: bytes
    auth_scheme: int


@dataclass
class Member:
    """A PEER_MEMBER: ``identity`` is the member's peer name, ``addresses``
    (ip, port) pairs, ``friendly_name`` and ``roles`` from its credential."""
    identity: str
    flags: int
    attributes: str
    node_id: int
    addresses: List[Tuple[str, int]]
    roles: List[uuid.UUID] = field(default_factory=list)
    friendly_name: str = ""


@dataclass
class Connection:
    """A PEER_CONNECTION_INFO: a neighbour or direct connection."""
    flags: int
    connection_id: int
    node_id: int
    peer_id: str
    address: Tuple[str, int]


@dataclass
class GroupEvent:
    """One PEER_GROUP_EVENT_DATA, with the fields of its type's union
    member: ``status`` (STATUS_CHANGED); ``change``, ``record_id``,
    ``record_type`` (RECORD_CHANGED); ``connection_status``,
    ``connection_id``, ``node_id``, ``failed_reason`` (DIRECT_CONNECTION,
    NEIGHBOR_CONNECTION); ``connection_id``, ``data_type``, ``data``
    (INCOMING_DATA); ``change``, ``identity`` (MEMBER_CHANGED);
    ``failed_reason`` (CONNECTION_FAILED, AUTHENTICATION_FAILED)."""
    type: int
    status: int = 0
    change: int = 0
    record_id: Optional[uuid.UUID] = None
    record_type: Optional[uuid.UUID] = None
    connection_status: int = 0
    connection_id: int = 0
    node_id: int = 0
    failed_reason: int = 0
    data_type: Optional[uuid.UUID] = None
    data: bytes = b""
    identity: str = ""


@dataclass
class Message:
    """A message received on a DirectConnection: its data type and bytes."""
    type: uuid.UUID
    data: bytes


def _bytes(d: PEER_DATA) -> bytes:
    return ctypes.string_at(d.pbData, d.cbData) if d.cbData else b""


def _record(r: PEER_RECORD) -> Record:
    return Record(
        id=r.id.uuid, type=r.type.uuid, version=r.dwVersion, flags=r.dwFlags,
        creator=from_wstr(r.pwzCreatorId), modified_by=from_wstr(r.pwzModifiedById),
        attributes=from_wstr(r.pwzAttributes), created=r.ftCreation.datetime, expires=r.ftExpiration.datetime,
        modified=r.ftLastModified.datetime, data=_bytes(r.data), signature=_bytes(r.securityData))


def _event(e: PEER_GROUP_EVENT_DATA) -> GroupEvent:
    ev = GroupEvent(type=e.eventType)
    if e.eventType == PEER_GROUP_EVENT_STATUS_CHANGED:
        ev.status = e.dwStatus
    elif e.eventType == PEER_GROUP_EVENT_RECORD_CHANGED:
        d = e.recordChangeData
        ev.change, ev.record_id, ev.record_type = d.changeType, d.recordId.uuid, d.recordType.uuid
    elif e.eventType in (PEER_GROUP_EVENT_DIRECT_CONNECTION, PEER_GROUP_EVENT_NEIGHBOR_CONNECTION):
        c = e.connectionChangeData
        ev.connection_status, ev.connection_id, ev.node_id = c.status, c.ullConnectionId, c.ullNodeId
        ev.failed_reason = c.hrConnectionFailedReason & 0xFFFFFFFF
    elif e.eventType == PEER_GROUP_EVENT_INCOMING_DATA:
        i = e.incomingData
        ev.connection_id, ev.data_type, ev.data = i.ullConnectionId, i.type.uuid, _bytes(i.data)
    elif e.eventType == PEER_GROUP_EVENT_MEMBER_CHANGED:
        ev.change, ev.identity = e.memberChangeData.changeType, from_wstr(e.memberChangeData.pwzIdentity)
    elif e.eventType in (PEER_GROUP_EVENT_CONNECTION_FAILED, PEER_GROUP_EVENT_AUTHENTICATION_FAILED):
        ev.failed_reason = e.hrConnectionFailedReason & 0xFFFFFFFF
    return ev


# ---------------------------------------------------------------------------
# Library
# ---------------------------------------------------------------------------


class Startup:
    """The context manager ``Library.startup()`` returns: PeerGroupStartup
    on entry (giving the Library), PeerGroupShutdown on exit. ``negotiated``
    and ``highest`` are the versions PeerGroupStartup reported."""

    negotiated: int = 0
    highest: int = 0

    def __init__(self, lib: "Library", version: int) -> None:
        self.lib, self.version = lib, version

    def __enter__(self) -> "Library":
        v = PEER_VERSION_DATA()
        self.lib._call("PeerGroupStartup", self.version, byref(v))
        self.negotiated, self.highest = v.wVersion, v.wHighestVersion
        return self.lib

    def __exit__(self, *exc: Any) -> None:
        self.lib._call("PeerGroupShutdown")


class Library:
    """The loaded library: start-up, identities and groups.

    ``Library()`` loads the library ``find_library()`` finds (or ``path``).
    ``raw`` is the ctypes CDLL with all 56 functions declared, for calls
    this class does not wrap (each returns the HRESULT as a signed int).

    The data directory is ``$P2P_HOME`` as it is when the first
    ``startup()`` of the process runs (the library reads its settings then,
    through the C environment, which ``os.environ`` updates): setting
    ``os.environ["P2P_HOME"]`` before ``startup()`` works; changing it while
    the library is started has no effect until every startup has been shut
    down. ``P2P_LOG`` is read at the first startup only.
    """

    def __init__(self, path: Optional[str] = None) -> None:
        self.path = path or find_library()
        self.raw = load(self.path)

    # -- helpers --

    def _call(self, name: str, *args: Any) -> int:
        return check(getattr(self.raw, name)(*args), name)

    def _take_string(self, p: c_void_p) -> str:
        """Decode and free a PWSTR the library returned."""
        try:
            return from_wstr(p.value)
        finally:
            self.raw.PeerFreeData(p)

    def _string_call(self, name: str, *args: Any) -> str:
        out = PWSTR()
        self._call(name, *args, byref(out))
        return self._take_string(out)

    def free(self, p: Any) -> None:
        """PeerFreeData: release memory the library returned."""
        self.raw.PeerFreeData(p)

    def enumerate(self, handle: c_void_p, convert: Callable[[int], T], batch: int = 16) -> List[T]:
        """Take every item of an HPEERENUM (as ``convert(address)``) and end it."""
        try:
            out: List[T] = []
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

    def _name_pairs(self, handle: c_void_p) -> List[Tuple[str, str]]:
        def pair(p: int) -> Tuple[str, str]:
            np = PEER_NAME_PAIR.from_address(p)
            return from_wstr(np.pwzPeerName), from_wstr(np.pwzFriendlyName)
        return self.enumerate(handle, pair)

    # -- startup --

    def startup(self, version: int = PEER_GROUP_VERSION) -> Startup:
        """Context manager: PeerGroupStartup on entry, PeerGroupShutdown on
        exit (the last shutdown closes every handle of the process)."""
        return Startup(self, version)

    def handle_power_event(self, power_event: int) -> None:
        """PeerGroupHandlePowerEvent: after a resume (PBT_APMRESUME*) every
        online group redials its members at once."""
        self._call("PeerGroupHandlePowerEvent", power_event)

    # -- identities --

    def identity_create(self, classifier: Optional[str] = None, friendly_name: Optional[str] = None) -> str:
        """PeerIdentityCreate; returns the new identity's peer name."""
        return self._string_call("PeerIdentityCreate", wstr(classifier), wstr(friendly_name), 0)

    def identity_get_friendly_name(self, identity: str) -> str:
        """PeerIdentityGetFriendlyName."""
        return self._string_call("PeerIdentityGetFriendlyName", wstr(identity))

    def identity_set_friendly_name(self, identity: str, friendly_name: Optional[str]) -> None:
        """PeerIdentitySetFriendlyName; None or "" resets it to the default."""
        self._call("PeerIdentitySetFriendlyName", wstr(identity), wstr(friendly_name))

    def identity_delete(self, identity: str) -> None:
        """PeerIdentityDelete (InUseError while the identity has groups)."""
        self._call("PeerIdentityDelete", wstr(identity))

    def identity_get_default(self) -> str:
        """PeerIdentityGetDefault: the user's default identity, made on first use."""
        return self._string_call("PeerIdentityGetDefault")

    def identity_get_xml(self, identity: Optional[str] = None) -> str:
        """PeerIdentityGetXML: the public part to give a group administrator,
        who passes it to Group.create_invitation (None: the default identity)."""
        return self._string_call("PeerIdentityGetXML", wstr(identity))

    def identity_get_cert(self, identity: Optional[str] = None) -> bytes:
        """PeerIdentityGetCert: the identity's X.509 certificate (DER)."""
        out = _P(PEER_DATA)()
        self._call("PeerIdentityGetCert", wstr(identity), byref(out))
        try:
            return _bytes(out.contents)
        finally:
            self.free(out)

    def identity_export(self, identity: str, password: str) -> str:
        """PeerIdentityExport: the identity with its private key, sealed by the password."""
        return self._string_call("PeerIdentityExport", wstr(identity), wstr(password))

    def identity_import(self, xml: str, password: str) -> str:
        """PeerIdentityImport; returns the imported identity's peer name."""
        return self._string_call("PeerIdentityImport", wstr(xml), wstr(password))

    def create_peer_name(self, identity: Optional[str], classifier: Optional[str]) -> str:
        """PeerCreatePeerName (identity None: an unsecured name "0.classifier")."""
        return self._string_call("PeerCreatePeerName", wstr(identity), wstr(classifier))

    def enum_identities(self) -> List[Tuple[str, str]]:
        """PeerEnumIdentities as a list of (peer name, friendly name)."""
        h = _H()
        self._call("PeerEnumIdentities", byref(h))
        return self._name_pairs(h)

    def enum_groups(self, identity: str) -> List[Tuple[str, str]]:
        """PeerEnumGroups as a list of (group peer name, friendly name)."""
        h = _H()
        self._call("PeerEnumGroups", wstr(identity), byref(h))
        return self._name_pairs(h)

    # -- groups --

    def group_create(self, creator: str, classifier: str, friendly_name: Optional[str] = None,
                     comment: Optional[str] = None, flags: int = 0, member_data_lifetime: int = 0,
                     presence_lifetime: int = 0, password: Optional[str] = None,
                     password_role: uuid.UUID = PEER_GROUP_ROLE_MEMBER) -> "Group":
        """PeerGroupCreate; a password adds password authentication to GMC.
        The group is ready at once (its creator may publish)."""
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

    def group_open(self, identity: str, group_peer_name: str) -> "Group":
        """PeerGroupOpen: a group this identity created or joined before (offline)."""
        h = _H()
        self._call("PeerGroupOpen", wstr(identity), wstr(group_peer_name), None, byref(h))
        return Group(self, h)

    def group_join(self, identity: Optional[str], invitation: str) -> "Group":
        """PeerGroupJoin with an invitation issued to ``identity``.

        The group is offline and not ready: call ``connect()`` (or
        ``connect_by_address``) and then ``wait_ready()`` before publishing.
        ``Group.already_member`` tells PEER_S_ALREADY_A_MEMBER."""
        h = _H()
        hr = self._call("PeerGroupJoin", wstr(identity), wstr(invitation), None, byref(h))
        return Group(self, h, already_member=hr == PEER_S_ALREADY_A_MEMBER)

    def group_password_join(self, identity: Optional[str], invitation: str, password: str) -> "Group":
        """PeerGroupPasswordJoin with a password invitation; then as group_join."""
        h = _H()
        hr = self._call("PeerGroupPasswordJoin", wstr(identity), wstr(invitation), wstr(password), None, byref(h))
        return Group(self, h, already_member=hr == PEER_S_ALREADY_A_MEMBER)

    def group_delete(self, identity: Optional[str], group_peer_name: str) -> None:
        """PeerGroupDelete: this identity's copy of the group (InUseError while open)."""
        self._call("PeerGroupDelete", wstr(identity), wstr(group_peer_name))

    def group_import_config(self, xml: str, password: str, overwrite: bool = False) -> Tuple[str, str]:
        """PeerGroupImportConfig; returns (identity, group peer name)."""
        ident, grp = PWSTR(), PWSTR()
        self._call("PeerGroupImportConfig", wstr(xml), wstr(password), int(bool(overwrite)), byref(ident), byref(grp))
        return self._take_string(ident), self._take_string(grp)

    def parse_invitation(self, invitation: str) -> InvitationInfo:
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
            self.free(p)


# ---------------------------------------------------------------------------
# Group
# ---------------------------------------------------------------------------


class Group:
    """An open group (HGROUP). Use it as a context manager to close it."""

    def __init__(self, lib: Library, handle: c_void_p, already_member: bool = False) -> None:
        self.lib: Library = lib
        self.handle: Optional[c_void_p] = handle
        self.already_member = already_member

    def __enter__(self) -> "Group":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, name: str, *args: Any) -> int:
        return self.lib._call(name, self.handle, *args)

    def close(self) -> None:
        """PeerGroupClose (once; later calls do nothing)."""
        if self.handle is not None:
            h, self.handle = self.handle, None
            self.lib._call("PeerGroupClose", h)

    # -- state and properties --

    @property
    def status(self) -> int:
        """PeerGroupGetStatus: PEER_GROUP_STATUS_* flags (LISTENING, HAS_CONNECTIONS)."""
        s = c_uint32()
        self._call("PeerGroupGetStatus", byref(s))
        return s.value

    @property
    def ready(self) -> bool:
        """Whether the group has synchronised, so that this member may
        publish: always for its creator; for a joiner after its first
        synchronisation with a member (see wait_ready)."""
        try:
            self.universal_to_peer_time(datetime.datetime.now(datetime.timezone.utc))
            return True
        except GroupNotReadyError:
            return False

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until a joined group can publish.

        After PeerGroupJoin a member holds the group's name and its own
        credential but none of the group's data: adding, updating or
        deleting records, inviting, setting properties and peer time fail
        with PEER_E_GROUP_NOT_READY (GroupNotReadyError) until its first
        synchronisation with a member completes. That happens after
        ``connect()`` (or ``connect_by_address``) reaches a member and the
        two databases have been reconciled; it is remembered, so a group
        reopened later is ready at once. This method polls the one call
        that tells, PeerGroupUniversalTimeToPeerTime, and returns once it
        succeeds; it raises GroupNotReadyError after ``timeout`` seconds
        (is a member online and reachable?). The group must be connecting.
        """
        deadline = time.monotonic() + timeout
        delay = 0.01
        while not self.ready:
            left = deadline - time.monotonic()
            if left <= 0:
                raise GroupNotReadyError(CODES["PEER_E_GROUP_NOT_READY"], "Group.wait_ready",
                                         "not synchronised within %g s: is a member online and reachable, and did "
                                         "this member call connect()?" % timeout)
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.2)

    def properties(self) -> GroupProperties:
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
    def peer_name(self) -> str:
        """The group's peer name."""
        return self.properties().peer_name

    def set_properties(self, friendly_name: Optional[str] = None, comment: Optional[str] = None,
                       **numbers: int) -> None:
        """PeerGroupSetProperties: changes the given fields, keeps the rest.

        ``numbers`` may set flags, member_data_lifetime, presence_lifetime.
        """
        p = _P(PEER_GROUP_PROPERTIES)()
        self._call("PeerGroupGetProperties", byref(p))
        try:
            q = PEER_GROUP_PROPERTIES.from_buffer_copy(p.contents)
            keep = [wstr(friendly_name), wstr(comment)]
            if keep[0] is not None:
                q.pwzFriendlyName = ctypes.addressof(keep[0])
            if keep[1] is not None:
                q.pwzComment = ctypes.addressof(keep[1])
            fields = {"flags": "dwFlags", "member_data_lifetime": "ulMemberDataLifetime",
                      "presence_lifetime": "ulPresenceLifetime"}
            for k, v in numbers.items():
                setattr(q, fields[k], v)
            self._call("PeerGroupSetProperties", byref(q))
        finally:
            self.lib.free(p)

    def universal_to_peer_time(self, dt: datetime.datetime) -> datetime.datetime:
        """PeerGroupUniversalTimeToPeerTime (GroupNotReadyError before the
        first synchronisation)."""
        out = FILETIME()
        self._call("PeerGroupUniversalTimeToPeerTime", byref(FILETIME.from_datetime(dt)), byref(out))
        return out.datetime

    def peer_to_universal_time(self, dt: datetime.datetime) -> datetime.datetime:
        """PeerGroupPeerTimeToUniversalTime."""
        out = FILETIME()
        self._call("PeerGroupPeerTimeToUniversalTime", byref(FILETIME.from_datetime(dt)), byref(out))
        return out.datetime

    # -- invitations and configuration --

    def create_invitation(self, identity_xml: str, expires: Optional[datetime.datetime] = None,
                          roles: Sequence[uuid.UUID] = (PEER_GROUP_ROLE_MEMBER,)) -> str:
        """PeerGroupCreateInvitation for the identity (its PeerIdentityGetXML)."""
        arr = (GUID * max(len(roles), 1))(*[GUID.from_uuid(r) for r in roles])
        exp = byref(FILETIME.from_datetime(expires)) if expires else None
        out = PWSTR()
        self._call("PeerGroupCreateInvitation", wstr(identity_xml), exp, len(roles), arr if roles else None, byref(out))
        return self.lib._take_string(out)

    def create_password_invitation(self) -> str:
        """PeerGroupCreatePasswordInvitation: for anyone who knows the password."""
        out = PWSTR()
        self._call("PeerGroupCreatePasswordInvitation", byref(out))
        return self.lib._take_string(out)

    def issue_credentials(self, subject_identity: str, store: bool = False) -> Optional[str]:
        """PeerGroupIssueCredentials without credential info (renews a
        member's); returns the invitation, or None when ``store`` publishes it."""
        out = PWSTR()
        self._call("PeerGroupIssueCredentials", wstr(subject_identity), None,
                   PEER_GROUP_STORE_CREDENTIALS if store else 0, None if store else byref(out))
        return None if store else self.lib._take_string(out)

    def export_config(self, password: str) -> str:
        """PeerGroupExportConfig: this member's configuration, sealed by the password."""
        out = PWSTR()
        self._call("PeerGroupExportConfig", wstr(password), byref(out))
        return self.lib._take_string(out)

    # -- records --

    def _new_record(self, record_type: uuid.UUID, data: bytes, expires: Optional[datetime.datetime], hours: float,
                    attributes: Optional[str], record_id: Optional[uuid.UUID] = None) -> Tuple[PEER_RECORD, Any]:
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

    def add_record(self, record_type: uuid.UUID, data: bytes, expires: Optional[datetime.datetime] = None,
                   hours: float = 24, attributes: Optional[str] = None) -> uuid.UUID:
        """PeerGroupAddRecord; returns the new record's id.

        It expires at ``expires``, else ``hours`` from now; ``attributes``
        is an <attributes> XML document for search_records."""
        r, _keep = self._new_record(record_type, data, expires, hours, attributes)
        rid = GUID()
        self._call("PeerGroupAddRecord", byref(r), byref(rid))
        return rid.uuid

    def update_record(self, record_id: uuid.UUID, record_type: uuid.UUID, data: bytes,
                      expires: Optional[datetime.datetime] = None, hours: float = 24,
                      attributes: Optional[str] = None) -> None:
        """PeerGroupUpdateRecord: new data, attributes and expiration; the version goes up."""
        r, _keep = self._new_record(record_type, data, expires, hours, attributes, record_id)
        self._call("PeerGroupUpdateRecord", byref(r))

    def delete_record(self, record_id: uuid.UUID) -> None:
        """PeerGroupDeleteRecord."""
        self._call("PeerGroupDeleteRecord", byref(GUID.from_uuid(record_id)))

    def get_record(self, record_id: uuid.UUID) -> Record:
        """PeerGroupGetRecord as a Record."""
        p = _P(PEER_RECORD)()
        self._call("PeerGroupGetRecord", byref(GUID.from_uuid(record_id)), byref(p))
        try:
            return _record(p.contents)
        finally:
            self.lib.free(p)

    def enum_records(self, record_type: Optional[uuid.UUID] = None) -> List[Record]:
        """PeerGroupEnumRecords (all, or one type) as a list of Record."""
        h = _H()
        t = byref(GUID.from_uuid(record_type)) if record_type else None
        self._call("PeerGroupEnumRecords", t, byref(h))
        return self.lib.enumerate(h, lambda a: _record(PEER_RECORD.from_address(a)))

    def search_records(self, criteria: str) -> List[Record]:
        """PeerGroupSearchRecords with a <peersearch> XML query."""
        h = _H()
        self._call("PeerGroupSearchRecords", wstr(criteria), byref(h))
        return self.lib.enumerate(h, lambda a: _record(PEER_RECORD.from_address(a)))

    def export_database(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """PeerGroupExportDatabase into a file."""
        self._call("PeerGroupExportDatabase", wstr(os.fspath(path)))

    def import_database(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """PeerGroupImportDatabase from a file (offline only)."""
        self._call("PeerGroupImportDatabase", wstr(os.fspath(path)))

    # -- members and connections --

    def connect(self) -> bool:
        """PeerGroupConnect: go online (asynchronous); True if it already was."""
        return self._call("PeerGroupConnect") == PEER_S_ALREADY_CONNECTED

    def connect_by_address(self, addresses: Sequence[Tuple[str, int]]) -> bool:
        """PeerGroupConnectByAddress with a list of (ip, port); True if it already was online."""
        arr = (PEER_ADDRESS * len(addresses))(*[PEER_ADDRESS.from_ip(ip, port) for ip, port in addresses])
        return self._call("PeerGroupConnectByAddress", len(addresses), arr) == PEER_S_ALREADY_CONNECTED

    def members(self, flags: int = 0, identity: Optional[str] = None) -> List[Member]:
        """PeerGroupEnumMembers as a list of Member (flags PEER_MEMBER_PRESENT: online ones)."""
        def member(a: int) -> Member:
            m = PEER_MEMBER.from_address(a)
            roles: List[uuid.UUID] = []
            friendly = ""
            if m.pCredentialInfo:
                ci = m.pCredentialInfo.contents
                roles = [ci.pRoles[k].uuid for k in range(ci.cRoles)]
                friendly = from_wstr(ci.pwzFriendlyName)
            return Member(identity=from_wstr(m.pwzIdentity), flags=m.dwFlags, attributes=from_wstr(m.pwzAttributes),
                          node_id=m.ullNodeId, addresses=[m.pAddresses[k].ip_port() for k in range(m.cAddresses)],
                          roles=roles, friendly_name=friendly)
        h = _H()
        self._call("PeerGroupEnumMembers", flags, wstr(identity), byref(h))
        return self.lib.enumerate(h, member)

    def connections(self, flags: int = PEER_CONNECTION_NEIGHBOR | PEER_CONNECTION_DIRECT) -> List[Connection]:
        """PeerGroupEnumConnections as a list of Connection."""
        def conn(a: int) -> Connection:
            c = PEER_CONNECTION_INFO.from_address(a)
            return Connection(flags=c.dwFlags, connection_id=c.ullConnectionId, node_id=c.ullNodeId,
                              peer_id=from_wstr(c.pwzPeerId), address=c.address.ip_port())
        h = _H()
        self._call("PeerGroupEnumConnections", flags, byref(h))
        return self.lib.enumerate(h, conn)

    def open_direct_connection(self, identity: str, address: Optional[Tuple[str, int]] = None,
                               timeout: float = 30.0, registration: Optional["Registration"] = None
                               ) -> "DirectConnection":
        """Open a direct connection to a member and wait until it is up.

        PeerGroupOpenDirectConnection returns a connection id at once and
        reports the outcome as a DIRECT_CONNECTION event; this method waits
        for that event and returns a DirectConnection, or raises
        PeerConnectionError (the failure reason) or PeerTimeoutError.
        ``registration``, if given, must include DIRECT_CONNECTION and
        INCOMING_DATA; the connection then receives through it and leaves
        other events queued there. Without one the connection makes its own
        and closes it when it closes.
        """
        own = registration is None
        reg = registration or self.register_event([PEER_GROUP_EVENT_DIRECT_CONNECTION, PEER_GROUP_EVENT_INCOMING_DATA])
        try:
            cid = c_uint64()
            addr = byref(PEER_ADDRESS.from_ip(*address)) if address else None
            self._call("PeerGroupOpenDirectConnection", wstr(identity), addr, byref(cid))
            e = reg.take(lambda e: e.type == PEER_GROUP_EVENT_DIRECT_CONNECTION and e.connection_id == cid.value,
                         timeout, "Group.open_direct_connection",
                         keep=None if registration else (lambda e: e.connection_id == cid.value))
            if e.connection_status != PEER_CONNECTED:
                raise PeerError.from_hresult(e.failed_reason or CODES["PEER_E_CONNECTION_FAILED"],
                                             "PeerGroupOpenDirectConnection", "to " + identity)
        except BaseException:
            if own:
                reg.close()
            raise
        return DirectConnection(self, cid.value, reg, own_registration=own)

    def close_direct_connection(self, connection_id: int) -> None:
        """PeerGroupCloseDirectConnection by id (see DirectConnection.close)."""
        self._call("PeerGroupCloseDirectConnection", connection_id)

    def send_data(self, connection_id: int, data_type: uuid.UUID, data: bytes) -> None:
        """PeerGroupSendData: one message of up to 1 MiB on a direct connection."""
        buf = ctypes.create_string_buffer(bytes(data), max(len(data), 1))
        self._call("PeerGroupSendData", connection_id, byref(GUID.from_uuid(data_type)), len(data), buf)

    # -- events --

    def register_event(self, types: Sequence[int], record_type: Optional[uuid.UUID] = None,
                       event: Optional["EventHandle"] = None) -> "Registration":
        """PeerGroupRegisterEvent for the event types; returns a Registration.

        ``record_type`` filters RECORD_CHANGED (and INCOMING_DATA) by GUID.
        ``event`` is the EventHandle the library signals; without one the
        registration makes its own and closes it when it closes.
        """
        guid = GUID.from_uuid(record_type) if record_type else None
        regs = (PEER_GROUP_EVENT_REGISTRATION * len(types))()
        for r, t in zip(regs, types):
            r.eventType = t
            if guid is not None and t in (PEER_GROUP_EVENT_RECORD_CHANGED, PEER_GROUP_EVENT_INCOMING_DATA):
                r.pType = ctypes.pointer(guid)
        own = event is None
        ev = event or EventHandle()
        h = _H()
        try:
            self._call("PeerGroupRegisterEvent", ev.handle, len(types), regs, byref(h))
        except BaseException:
            if own:
                ev.close()
            raise
        return Registration(self, h, ev, own_event=own)


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------


class EventHandle:
    """The HANDLE the library signals when it queues events.

    On Linux an eventfd (os.eventfd), elsewhere on POSIX a pipe whose write
    end is the HANDLE; the library writes the 8-byte integer 1 to it. On
    Windows a Win32 event object (CreateEventW; the library calls SetEvent).
    """

    def __init__(self) -> None:
        self._win = sys.platform == "win32"
        self._closed = False
        if self._win:
            k32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
            k32.CreateEventW.restype = c_void_p
            k32.CreateEventW.argtypes = [c_void_p, c_int32, c_int32, c_void_p]
            k32.WaitForSingleObject.argtypes = [c_void_p, c_uint32]
            k32.CloseHandle.argtypes = [c_void_p]
            self._k32 = k32
            self._h = k32.CreateEventW(None, 0, 0, None)  # auto-reset, not signalled
            self.handle = c_void_p(self._h)
        elif hasattr(os, "eventfd"):
            self._rfd = self._wfd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)  # type: ignore[attr-defined]
            self.handle = c_void_p(self._wfd)
        else:
            self._rfd, self._wfd = os.pipe()
            os.set_blocking(self._rfd, False)
            self.handle = c_void_p(self._wfd)

    def fileno(self) -> int:
        """The descriptor to poll/select for readability (POSIX)."""
        return self._rfd

    def reset(self) -> None:
        """Consume pending signals without waiting (POSIX)."""
        if self._win:
            return
        try:
            while os.read(self._rfd, 8):
                if self._rfd == self._wfd:
                    break  # one read empties an eventfd
        except BlockingIOError:
            pass

    def set(self) -> None:
        """Signal the handle, as the library does (to wake a waiter)."""
        if self._win:
            self._k32.SetEvent(self._h)
        else:
            try:
                os.write(self._wfd, (1).to_bytes(8, sys.byteorder))
            except BlockingIOError:
                pass  # already signalled

    def wait(self, timeout: Optional[float]) -> bool:
        """Wait up to ``timeout`` seconds (None: no limit); True if signalled (then reset)."""
        if self._win:
            ms = 0xFFFFFFFF if timeout is None else int(timeout * 1000)
            return bool(self._k32.WaitForSingleObject(self._h, ms) == 0)
        r, _, _ = select.select([self._rfd], [], [], timeout)
        if not r:
            return False
        self.reset()
        return True

    async def wait_async(self) -> None:
        """Wait until signalled, without blocking the asyncio event loop
        (a reader on the descriptor on POSIX; a worker thread on Windows)."""
        loop = asyncio.get_running_loop()
        if self._win:
            await loop.run_in_executor(None, self.wait, None)
            return
        fut: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not fut.done():
                fut.set_result(None)
        loop.add_reader(self._rfd, readable)
        try:
            await fut
        finally:
            loop.remove_reader(self._rfd)
        self.reset()

    def close(self) -> None:
        """Close the handle (once)."""
        if self._closed:
            return
        self._closed = True
        if self._win:
            self._k32.CloseHandle(self._h)
            return
        os.close(self._rfd)
        if self._wfd != self._rfd:
            os.close(self._wfd)

    def __enter__(self) -> "EventHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Registration:
    """An event registration (HPEEREVENT) and its queue.

    It is a context manager that unregisters, and an iterator and an async
    iterator over its events::

        for e in registration:              # blocks between events
            ...
        async for e in registration:        # asyncio, through the HANDLE's fd
            ...

    Events taken out of order by ``take`` (for instance by a
    DirectConnection's receive) stay queued here for the others.
    """

    def __init__(self, group: Group, handle: c_void_p, event: EventHandle, own_event: bool = False) -> None:
        self.group = group
        self.lib = group.lib
        self.handle: Optional[c_void_p] = handle
        self.event = event
        self._own_event = own_event
        self._pending: Deque[GroupEvent] = collections.deque()

    def __enter__(self) -> "Registration":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """PeerGroupUnregisterEvent (once; later calls do nothing)."""
        if self.handle is not None:
            h, self.handle = self.handle, None
            try:
                self.lib._call("PeerGroupUnregisterEvent", h)
            finally:
                if self._own_event:
                    self.event.close()

    def _fetch(self) -> Optional[GroupEvent]:
        """PeerGroupGetEventData: the next event of the library's queue."""
        p = _P(PEER_GROUP_EVENT_DATA)()
        hr = self.lib._call("PeerGroupGetEventData", self.handle, byref(p))
        if hr == PEER_S_NO_EVENT_DATA:
            return None
        try:
            return _event(p.contents)
        finally:
            self.lib.free(p)

    def get(self) -> Optional[GroupEvent]:
        """The next queued event, or None when there is none (PEER_S_NO_EVENT_DATA)."""
        if self._pending:
            return self._pending.popleft()
        return self._fetch()

    def drain(self) -> List[GroupEvent]:
        """All queued events, oldest first."""
        out = list(self._pending)
        self._pending.clear()
        while (e := self._fetch()) is not None:
            out.append(e)
        return out

    def wait(self, timeout: Optional[float]) -> List[GroupEvent]:
        """Wait up to ``timeout`` seconds for events and return all queued
        ones (an empty list on timeout)."""
        events = self.drain()
        if events or not self.event.wait(timeout):
            return events
        return self.drain()

    def next(self, timeout: Optional[float] = None) -> Optional[GroupEvent]:
        """The next event, waiting up to ``timeout`` seconds (None: no
        limit) for one; None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            e = self.get()
            if e is not None:
                return e
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            self.event.wait(left)

    def events(self, timeout: Optional[float] = None) -> Iterator[GroupEvent]:
        """Iterate over events as they come; stop after ``timeout`` seconds
        without one (None: never) or when the registration is closed."""
        while self.handle is not None:
            e = self.next(timeout)
            if e is None:
                return
            yield e

    def __iter__(self) -> Iterator[GroupEvent]:
        return self.events()

    async def next_async(self) -> GroupEvent:
        """The next event, awaiting the HANDLE's signal without blocking
        the event loop (wrap in asyncio.wait_for for a timeout)."""
        while True:
            e = self.get()
            if e is not None:
                return e
            await self.event.wait_async()

    def __aiter__(self) -> AsyncIterator[GroupEvent]:
        return self

    async def __anext__(self) -> GroupEvent:
        if self.handle is None:
            raise StopAsyncIteration
        return await self.next_async()

    def take(self, match: Callable[[GroupEvent], bool], timeout: Optional[float],
             what: str = "Registration.take", keep: Optional[Callable[[GroupEvent], bool]] = None) -> GroupEvent:
        """The first event ``match`` accepts, waiting up to ``timeout``
        seconds; the events it passes over stay queued, in order (only
        those ``keep`` accepts, if given). Raises PeerTimeoutError on
        timeout."""
        for i, e in enumerate(self._pending):
            if match(e):
                del self._pending[i]
                return e
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            e = self._fetch()
            if e is None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise PeerTimeoutError(CODES["PEER_E_TIMEOUT"], what, "no matching event in %g s" % timeout)
                self.event.wait(left)
                continue
            if match(e):
                return e
            if keep is None or keep(e):
                self._pending.append(e)

    def accept(self, timeout: Optional[float] = 30.0) -> "DirectConnection":
        """Wait for a member to open a direct connection to this one (a
        DIRECT_CONNECTION event with PEER_CONNECTED) and return it. The
        registration must include DIRECT_CONNECTION and INCOMING_DATA; the
        connection receives through it."""
        e = self.take(lambda e: e.type == PEER_GROUP_EVENT_DIRECT_CONNECTION and e.connection_status == PEER_CONNECTED,
                      timeout, "Registration.accept")
        return DirectConnection(self.group, e.connection_id, self, own_registration=False)


# ---------------------------------------------------------------------------
# Direct connections
# ---------------------------------------------------------------------------


class DirectConnection:
    """A direct connection to one member: ordered, whole messages of up to
    1 MiB each way, each with a data type GUID.

    ``Group.open_direct_connection`` opens one; ``Registration.accept``
    takes one another member opened. It is a context manager and an
    iterator over the messages' bytes (until the connection closes).
    Closing it twice, or after the other member closed it, is not an error.
    """

    def __init__(self, group: Group, connection_id: int, registration: Registration, own_registration: bool) -> None:
        self.group = group
        self.id = connection_id
        self.registration = registration
        self._own_registration = own_registration
        self._closed = False
        self._peer_closed = False

    @property
    def closed(self) -> bool:
        """Whether either side closed the connection."""
        return self._closed or self._peer_closed

    def send(self, data: bytes, data_type: uuid.UUID = DEFAULT_DATA_TYPE) -> None:
        """PeerGroupSendData: returns once the message is in the
        connection's send buffer. PeerConnectionError if it is closed."""
        self.group.send_data(self.id, data_type, data)

    def receive_message(self, timeout: Optional[float] = None) -> Message:
        """The next message (type and bytes), waiting up to ``timeout``
        seconds (None: no limit). Raises PeerTimeoutError on timeout and
        PeerConnectionError (PEER_E_CONNECTION_NOT_FOUND) once the
        connection is closed and every message received."""
        if self._closed:
            raise PeerConnectionError(CODES["PEER_E_CONNECTION_NOT_FOUND"], "DirectConnection.receive", "closed")

        def mine(e: GroupEvent) -> bool:
            if e.connection_id != self.id:
                return False
            return e.type == PEER_GROUP_EVENT_INCOMING_DATA or (
                e.type == PEER_GROUP_EVENT_DIRECT_CONNECTION and e.connection_status != PEER_CONNECTED)
        if self._peer_closed:
            timeout = 0
        try:
            e = self.registration.take(mine, timeout, "DirectConnection.receive",
                                       keep=(lambda e: e.connection_id == self.id) if self._own_registration else None)
        except PeerTimeoutError:
            if self._peer_closed:
                raise PeerConnectionError(CODES["PEER_E_CONNECTION_NOT_FOUND"], "DirectConnection.receive",
                                          "closed by the other member") from None
            raise
        if e.type == PEER_GROUP_EVENT_DIRECT_CONNECTION:
            self._peer_closed = True
            return self.receive_message(0)
        assert e.data_type is not None
        return Message(e.data_type, e.data)

    def receive(self, timeout: Optional[float] = None) -> bytes:
        """The bytes of the next message; see receive_message."""
        return self.receive_message(timeout).data

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                yield self.receive()
            except PeerConnectionError:
                return

    def close(self) -> None:
        """PeerGroupCloseDirectConnection; the other member gets
        PEER_DISCONNECTED. Closing a closed connection does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            if not self._peer_closed:
                try:
                    self.group.close_direct_connection(self.id)
                except PeerConnectionError:
                    pass  # closed by the other member meanwhile
        finally:
            if self._own_registration:
                self.registration.close()

    def __enter__(self) -> "DirectConnection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
