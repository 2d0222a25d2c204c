"""Tests of the package as installed: its version, names, documentation,
errors, where it finds the library, P2P_HOME, and events through
iteration and asyncio.

make test-python sets P2P_SOURCE_ROOT (the source tree, for p2p.h) and
P2P_EXPECT_INSTALLED=1 (the package must come from the environment, not
from the source tree).
"""

import asyncio
import datetime
import importlib.metadata
import inspect
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid

import pytest

import p2p

TYPE = uuid.UUID("0f2e8d7c-6b5a-4948-8f7e-7061636b6167")


def header_version():
    root = os.environ.get("P2P_SOURCE_ROOT")
    if not root:
        pytest.skip("P2P_SOURCE_ROOT is not set")
    with open(os.path.join(root, "p2p.h"), encoding="utf-8") as f:
        parts = dict(re.findall(r"^#define P2P_VERSION_(MAJOR|MINOR|PATCH) (\d+)$", f.read(), re.M))
    return "%s.%s.%s" % (parts["MAJOR"], parts["MINOR"], parts["PATCH"])


def test_version_is_the_headers():
    assert p2p.__version__ == header_version()
    assert importlib.metadata.version("p2p") == p2p.__version__


def test_installed_not_imported_from_the_source_tree():
    if os.environ.get("P2P_EXPECT_INSTALLED") != "1":
        pytest.skip("P2P_EXPECT_INSTALLED is not set")
    root = os.path.realpath(os.environ["P2P_SOURCE_ROOT"])
    here = os.path.realpath(p2p.__file__)
    assert not here.startswith(root + os.sep), "p2p was imported from the source tree: " + here
    assert os.path.exists(os.path.join(os.path.dirname(here), "py.typed")), "py.typed is not installed"


def test_every_public_name_is_exported_and_documented():
    names = set(p2p.__all__)
    assert len(names) == len(p2p.__all__), "a name appears twice in __all__"
    for name in names:
        assert hasattr(p2p, name), name
    undocumented = []
    for name in sorted(names):
        obj = getattr(p2p, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            if not obj.__dict__.get("__doc__") if inspect.isclass(obj) else not obj.__doc__:
                undocumented.append(name)
            for attr, member in vars(obj).items() if inspect.isclass(obj) else ():
                if not attr.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)) \
                        and not member.__doc__:
                    undocumented.append("%s.%s" % (name, attr))
    assert not undocumented, "no docstring: " + ", ".join(undocumented)
    # Every public class and function of the package's modules is exported.
    for module in (p2p._abi, p2p._api, p2p._errors):
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if getattr(obj, "__module__", "") in ("p2p", module.__name__):
                assert name in names or name in ("check", "load"), "%s.%s is not in __all__" % (module.__name__, name)
    # The constants of p2p.h.
    for name in ("PEER_E_GROUP_NOT_READY", "PEER_S_NO_EVENT_DATA", "E_INVALIDARG", "PEER_GROUP_EVENT_RECORD_CHANGED",
                 "PEER_GROUP_ROLE_ADMIN", "PBT_APMRESUMEAUTOMATIC", "PEER_GROUP_VERSION"):
        assert name in names, name


def test_type_hints():
    hints = inspect.signature(p2p.Group.add_record)
    assert "uuid.UUID" in str(hints.parameters["record_type"].annotation)
    assert inspect.signature(p2p.Group.wait_ready).return_annotation in (None, "None")


@pytest.mark.parametrize("code, family, builtin", [
    ("PEER_E_NOT_FOUND", p2p.NotFoundError, LookupError),
    ("PEER_E_RECORD_NOT_FOUND", p2p.NotFoundError, LookupError),
    ("PEER_E_GROUP_NOT_READY", p2p.GroupNotReadyError, OSError),
    ("PEER_E_NOT_AUTHORIZED", p2p.AccessDeniedError, PermissionError),
    ("E_ACCESSDENIED", p2p.AccessDeniedError, PermissionError),
    ("E_INVALIDARG", p2p.InvalidArgumentError, ValueError),
    ("PEER_E_INVALID_RECORD_EXPIRATION", p2p.InvalidArgumentError, ValueError),
    ("PEER_E_INVITATION_NOT_TRUSTED", p2p.InvitationError, OSError),
    ("PEER_E_INVALID_TIME_PERIOD", p2p.InvitationError, OSError),
    ("PEER_E_CONNECTION_NOT_FOUND", p2p.PeerConnectionError, ConnectionError),
    ("PEER_E_CONNECT_SELF", p2p.PeerConnectionError, ConnectionError),
    ("PEER_E_TIMEOUT", p2p.PeerTimeoutError, TimeoutError),
    ("E_HANDLE", p2p.HandleError, OSError),
    ("PEER_E_EVENT_HANDLE_NOT_FOUND", p2p.HandleError, OSError),
    ("PEER_E_GROUP_IN_USE", p2p.InUseError, OSError),
    ("PEER_E_ALREADY_EXISTS", p2p.AlreadyExistsError, OSError),
    ("PEER_E_NOT_INITIALIZED", p2p.NotInitializedError, OSError),
    ("E_NOTIMPL", p2p.NotSupportedError, NotImplementedError),
    ("E_FAIL", p2p.PeerError, OSError),
])
def test_error_families(code, family, builtin):
    e = p2p.PeerError.from_hresult(getattr(p2p, code) - (1 << 32), "PeerSomething")
    assert type(e) is family and isinstance(e, p2p.PeerError) and isinstance(e, builtin)
    assert (e.hresult, e.name, e.function) == (getattr(p2p, code), code, "PeerSomething")
    assert code in str(e) and "PeerSomething" in str(e)


def test_errors_from_real_calls():
    lib = p2p.Library()
    with pytest.raises(p2p.NotInitializedError):
        lib.identity_get_default()
    with lib.startup():
        me = lib.identity_create("errors", "Errors")
        with pytest.raises(p2p.NotFoundError) as e:
            lib.group_open(me, "0.no-such-group")
        assert e.value.hresult == p2p.PEER_E_NOT_FOUND
        with pytest.raises(p2p.InvalidArgumentError):
            lib.identity_create("x" * 150)
        with lib.group_create(me, "errors", "Errors") as g:
            with pytest.raises(p2p.InvalidArgumentError) as e:
                g.add_record(TYPE, b"x", expires=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc))
            assert e.value.name == "PEER_E_INVALID_RECORD_EXPIRATION"
            with pytest.raises(p2p.InUseError):
                lib.identity_delete(me)
            with pytest.raises(p2p.NotSupportedError):
                lib._call("PeerIdentityGetCryptKey", p2p.wstr(me), ctypes_size_t_ref())
        with pytest.raises(p2p.HandleError):
            g.handle = g.__dict__.get("_stale_handle") or p2p._api._H(0x5A01000000FFFFF0)
            g.properties()
        g.handle = None


def ctypes_size_t_ref():
    import ctypes
    return ctypes.byref(ctypes.c_size_t())


def test_wait_ready_times_out_with_group_not_ready():
    lib = p2p.Library()
    with lib.startup():
        admin = lib.identity_create("readyadmin", "Admin")
        joiner = lib.identity_create("readyjoiner", "Joiner")
        with lib.group_create(admin, "ready", "Ready") as g:
            assert g.ready, "a creator's group is ready at once"
            g.wait_ready(0)
            invitation = g.create_invitation(lib.identity_get_xml(joiner))
        with lib.group_join(joiner, invitation) as j:
            assert not j.ready
            with pytest.raises(p2p.GroupNotReadyError) as e:
                j.wait_ready(0.3)  # never connected: nobody to synchronise with
            assert e.value.hresult == p2p.PEER_E_GROUP_NOT_READY and "connect()" in str(e.value)


def run_python(code, env):
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_find_library_order(tmp_path):
    lib = p2p.find_library()
    assert os.path.exists(lib), lib
    env = {k: v for k, v in os.environ.items() if k not in ("P2P_LIB", "LD_LIBRARY_PATH")}
    # With nothing installed, the build/ directory of the source tree the
    # package was installed from.
    root = os.environ.get("P2P_SOURCE_ROOT")
    installed = p2p._abi._ldconfig_path("libp2p.so.1") or any(
        os.path.exists(os.path.join(d, "libp2p.so.1")) for d in ("/usr/local/lib", "/usr/lib"))
    if root and not installed:
        found = run_python("import p2p; print(p2p.find_library())", env)
        assert os.path.realpath(found) == os.path.realpath(os.path.join(root, "build", "libp2p.so.1"))
    # P2P_LIB wins over everything.
    assert run_python("import p2p; print(p2p.find_library())", dict(env, P2P_LIB="/no/such/libp2p.so.1")) \
        == "/no/such/libp2p.so.1"
    # An installed library on LD_LIBRARY_PATH wins over the build directory.
    installed = tmp_path / "lib"
    installed.mkdir()
    shutil.copy(lib, installed / "libp2p.so.1")
    code = "import p2p; print(p2p.find_library()); p2p.Library()"
    assert run_python(code, dict(env, LD_LIBRARY_PATH=str(installed))).splitlines()[0] \
        == str(installed / "libp2p.so.1")


def test_p2p_home_set_in_python_before_startup(tmp_path):
    """The advice of the docs: os.environ["P2P_HOME"] before startup() is
    the data directory."""
    home = tmp_path / "home set in Python"
    env = {k: v for k, v in os.environ.items() if k != "P2P_HOME"}
    env["XDG_DATA_HOME"] = str(tmp_path / "default")  # where a failure would write instead
    code = ("import os, p2p\n"
            "os.environ['P2P_HOME'] = %r\n"
            "lib = p2p.Library()\n"
            "with lib.startup():\n"
            "    print(lib.identity_create('homed', 'Homed'))\n" % str(home))
    name = run_python(code, env)
    assert name.endswith(".homed")
    files = [os.path.join(d, f) for d, _, fs in os.walk(home) for f in fs]
    assert files, "nothing was written to the P2P_HOME set in Python"
    assert not (tmp_path / "default").exists(), "the library used the default data directory"


def test_iteration_and_asyncio():
    lib = p2p.Library()
    with lib.startup():
        me = lib.identity_create("iter", "Iter")
        with lib.group_create(me, "iter", "Iteration") as g, \
                g.register_event([p2p.PEER_GROUP_EVENT_RECORD_CHANGED], record_type=TYPE) as reg:
            ids = [g.add_record(TYPE, b"%d" % i) for i in range(3)]
            got = [e.record_id for e in reg.events(timeout=0.5)]
            assert got == ids, "for-iteration yields the events in order, then stops after the timeout"

            async def via_asyncio():
                loop = asyncio.get_running_loop()
                # Another thread publishes while the loop awaits the eventfd.
                timer = threading.Timer(0.2, lambda: ids.append(g.add_record(TYPE, b"async")))
                timer.start()
                try:
                    async for e in reg:
                        return e
                finally:
                    timer.join()
                    assert loop.is_running()
            e = asyncio.run(asyncio.wait_for(via_asyncio(), 10))
            assert (e.change, e.record_id) == (p2p.PEER_RECORD_ADDED, ids[-1])
            assert reg.next(0.1) is None
        assert reg.handle is None


def test_identity_cert_and_power_event():
    lib = p2p.Library()
    with lib.startup():
        me = lib.identity_create("cert", "Cert")
        der = lib.identity_get_cert(me)
        assert der[:1] == b"\x30" and len(der) > 100, "a DER certificate"
        lib.handle_power_event(p2p.PBT_APMRESUMEAUTOMATIC)
    with pytest.raises(p2p.NotInitializedError):
        lib.handle_power_event(p2p.PBT_APMRESUMEAUTOMATIC)
