"""Python bindings for the portable Peer Grouping library (p2p.h).

The library (libp2p.so.1 on Linux and other POSIX systems, p2p.dll on
Windows) exports the Windows Peer Grouping and Peer Identity Manager API
with Windows' names, structure layouts and HRESULT codes. This package has
two layers:

* the raw ABI: ctypes structures with the exact Windows x64 layouts
  (checked at import) and ``Library.raw``, the CDLL whose 56 functions have
  their argument and result types declared;
* a pythonic layer: ``Library`` (start-up, identities, groups), ``Group``
  (records, invitations, members, connections), ``Registration`` (events:
  iterable, async-iterable), ``DirectConnection`` (messages to one
  member), and ``PeerError`` with a subclass per family of HRESULTs
  (``NotFoundError``, ``GroupNotReadyError``, ``AccessDeniedError``,
  ``PeerConnectionError`` ...), each carrying the code and its name.

Example::

    import p2p
    lib = p2p.Library()                     # finds the library: see find_library
    with lib.startup():                     # PeerGroupStartup / PeerGroupShutdown
        alice = lib.identity_create("alice", "Alice")
        with lib.group_create(alice, "chess", "Chess club") as g:
            with g.register_event([p2p.PEER_GROUP_EVENT_RECORD_CHANGED]) as events:
                rid = g.add_record(RECORD_TYPE, b"hello", hours=1)
                for e in events.events(timeout=1.0):
                    print(e.change, e.record_id)
            print(g.get_record(rid).data)

A member who joins with an invitation cannot publish until its first
synchronisation with another member (PEER_E_GROUP_NOT_READY)::

    g = lib.group_join(me, invitation)
    g.connect()
    g.wait_ready(timeout=30)                # GroupNotReadyError if nobody answers
    g.add_record(...)

Facts to know:

* The data directory is ``$P2P_HOME`` (default ``~/.local/share/p2p``) as
  it is at the process's first ``startup()``: the library reads it then
  from the C environment, which ``os.environ`` updates, so setting
  ``os.environ["P2P_HOME"]`` before ``startup()`` works. Separate
  directories are separate users.
* Strings are UTF-16 on every OS. ctypes' c_wchar is 4 bytes on Linux, so
  this package never uses c_wchar_p: it passes UTF-16LE buffers (``wstr``)
  and decodes returned strings with ``from_wstr``.
* Every string or structure the library returns is freed with one
  PeerFreeData; this package copies what it returns into Python objects and
  frees the library's memory at once.
* Events: the library signals a HANDLE each time it queues an event; on
  POSIX that HANDLE is a file descriptor (an eventfd here) to which it
  writes the 8-byte integer 1. ``EventHandle`` wraps one; asyncio waits on
  it with ``loop.add_reader``.

The HRESULT codes (``S_OK``, ``E_INVALIDARG``, ``PEER_E_*``, ``PEER_S_*``)
and the enumerated values of p2p.h (``PEER_GROUP_EVENT_*``,
``PEER_RECORD_*``, ``PEER_GROUP_ROLE_*`` as uuid.UUID ...) are module
constants with their p2p.h names.
"""

from __future__ import annotations

import os as _os
import re as _re

from . import _abi, _errors
from ._abi import (CERT_PUBLIC_KEY_INFO, CRYPT_ALGORITHM_IDENTIFIER, CRYPT_BIT_BLOB, FILETIME, GUID, PEER_ADDRESS,
                   PEER_CONNECTION_INFO, PEER_CREDENTIAL_INFO, PEER_DATA, PEER_EVENT_CONNECTION_CHANGE_DATA,
                   PEER_EVENT_INCOMING_DATA, PEER_EVENT_MEMBER_CHANGE_DATA, PEER_EVENT_RECORD_CHANGE_DATA,
                   PEER_GROUP_EVENT_DATA, PEER_GROUP_EVENT_REGISTRATION, PEER_GROUP_PROPERTIES, PEER_INVITATION_INFO,
                   PEER_MEMBER, PEER_NAME_PAIR, PEER_RECORD, PEER_VERSION_DATA, SOCKADDR_IN6, STRUCT_SIZES,
                   find_library, from_wstr, wstr)
from ._api import (DEFAULT_DATA_TYPE, Connection, DirectConnection, EventHandle, Group, GroupEvent, GroupProperties,
                   InvitationInfo, Library, Member, Message, Record, Registration, Startup)
from ._errors import (HRESULT_NAMES, AccessDeniedError, AlreadyExistsError, GroupNotReadyError, HandleError,
                      InUseError, InvalidArgumentError, InvitationError, NotFoundError, NotInitializedError,
                      NotSupportedError, PeerConnectionError, PeerError, PeerTimeoutError, hresult_name)

# The constants of p2p.h, under their p2p.h names.
globals().update({n: getattr(_abi, n) for n in _abi.CONSTANTS})
globals().update(_errors.CODES)


def _version() -> str:
    try:
        from ._build_info import version  # written by setup.py when installed
        return str(version)
    except ImportError:  # imported from the source tree: read p2p.h there
        header = _os.path.join(_os.path.dirname(__file__), _os.pardir, _os.pardir, _os.pardir, "p2p.h")
        with open(header, encoding="utf-8") as f:
            parts = dict(_re.findall(r"^#define P2P_VERSION_(MAJOR|MINOR|PATCH) (\d+)$", f.read(), _re.M))
        return "%s.%s.%s" % (parts["MAJOR"], parts["MINOR"], parts["PATCH"])


#: The version of this package and of the p2p.h it was built from.
__version__: str = _version()

__all__ = [
    # the pythonic layer
    "Library", "Startup", "Group", "Registration", "EventHandle", "DirectConnection", "Message",
    "GroupEvent", "GroupProperties", "Record", "InvitationInfo", "Member", "Connection", "DEFAULT_DATA_TYPE",
    # errors
    "PeerError", "NotInitializedError", "GroupNotReadyError", "NotFoundError", "AlreadyExistsError",
    "AccessDeniedError", "InvalidArgumentError", "InvitationError", "PeerConnectionError", "PeerTimeoutError",
    "HandleError", "InUseError", "NotSupportedError", "HRESULT_NAMES", "hresult_name",
    # the raw ABI
    "find_library", "wstr", "from_wstr", "STRUCT_SIZES",
    "GUID", "FILETIME", "SOCKADDR_IN6", "PEER_VERSION_DATA", "PEER_DATA", "PEER_RECORD", "PEER_ADDRESS",
    "PEER_CONNECTION_INFO", "PEER_EVENT_INCOMING_DATA", "PEER_EVENT_RECORD_CHANGE_DATA",
    "PEER_EVENT_CONNECTION_CHANGE_DATA", "CRYPT_BIT_BLOB", "CRYPT_ALGORITHM_IDENTIFIER", "CERT_PUBLIC_KEY_INFO",
    "PEER_CREDENTIAL_INFO", "PEER_MEMBER", "PEER_INVITATION_INFO", "PEER_GROUP_PROPERTIES",
    "PEER_EVENT_MEMBER_CHANGE_DATA", "PEER_GROUP_EVENT_REGISTRATION", "PEER_GROUP_EVENT_DATA", "PEER_NAME_PAIR",
    "__version__",
] + _abi.CONSTANTS + list(_errors.CODES)

# The public classes and functions show as p2p.Name, where users find them.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) or callable(_obj) and hasattr(_obj, "__module__"):
        try:
            _obj.__module__ = __name__
        except (AttributeError, TypeError):
            pass
del _name, _obj
