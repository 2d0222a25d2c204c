"""Two Python processes, each with its own data directory, use the library
over QUIC on 127.0.0.1 through the installed package: the documented flow
from Python, end to end.

Alice (the test's process) creates a group and connects; Bob (a child
process running this file with --bob) gives his identity XML, joins with
Alice's invitation, connects to her address and waits until the group is
ready (Group.wait_ready), then publishes at once. Each reads the other's
record after its PEER_GROUP_EVENT_RECORD_CHANGED (Bob through asyncio,
``async for`` over his registration). Then Alice opens a DirectConnection
and Bob accepts it; they exchange P2P_TEST_MESSAGES (default 100) messages
of random sizes (empty to the 1 MiB maximum) each way and check every one
arrives whole, once and in order; a registration filtered by data type
sees only its type; the bad inputs fail with their documented HRESULTs;
closing on one side ends the other's iteration over the connection.

Bob is driven by JSON lines on his stdin and answers on his stdout.
"""

import asyncio
import ctypes
import json
import os
import random
import subprocess
import sys
import time
import uuid

import p2p

RECORD_TYPE = uuid.UUID("0c1d8a4e-1f7b-4c55-a3a1-7079746f6e31")
DATA_A = uuid.UUID("0c1d8a4e-1f7b-4c55-a3a1-7079746f6e41")
DATA_B = uuid.UUID("0c1d8a4e-1f7b-4c55-a3a1-7079746f6e42")
MAX_DATA = 1 << 20
TIMEOUT = 60.0


def payloads(seed, n):
    """The messages one side sends: sizes from empty to MAX_DATA, the two
    extremes always included, bytes derived from the seed so that the
    receiver can regenerate and compare them."""
    rng = random.Random(seed)
    sizes = [0, MAX_DATA] + [rng.randrange(MAX_DATA + 1) for _ in range(n - 2)]
    return [(size, seed * 1000003 + i) for i, size in enumerate(sizes)]


def payload(size, salt):
    return random.Random(salt).randbytes(size)


def wait_event(reg, what, match, timeout=TIMEOUT):
    """The first event of the registration for which match is true."""
    for e in reg.events(timeout):
        if match(e):
            return e
    raise AssertionError("timed out waiting for " + what)


def wait_until(what, fn, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def expect_error(code, fn, *args):
    try:
        fn(*args)
    except p2p.PeerError as e:
        if e.hresult != code:
            raise AssertionError("%s: got %s, want %s" % (fn.__name__, e.name, p2p.hresult_name(code)))
        return
    raise AssertionError("%s succeeded, want %s" % (fn.__name__, p2p.hresult_name(code)))


def receive(conn, data_type, expected):
    """Receives on a DirectConnection until every expected message arrived;
    they must be exactly the expected ones, in order."""
    for got, (size, salt) in enumerate(expected):
        m = conn.receive_message(TIMEOUT)
        if m.type != data_type:
            raise AssertionError("message %d of type %s, want %s" % (got, m.type, data_type))
        if len(m.data) != size or m.data != payload(size, salt):
            raise AssertionError("message %d: %d bytes differ from the %d sent" % (got, len(m.data), size))
    return len(expected)


def receive_events(reg, connection_id, data_type, expected):
    """The same through a registration's INCOMING_DATA events."""
    got = 0
    for e in reg.events(TIMEOUT):
        if e.type != p2p.PEER_GROUP_EVENT_INCOMING_DATA:
            continue
        size, salt = expected[got]
        if e.connection_id != connection_id or e.data_type != data_type:
            raise AssertionError("message %d on connection %d type %s, want %d %s" %
                                 (got, e.connection_id, e.data_type, connection_id, data_type))
        if len(e.data) != size or e.data != payload(size, salt):
            raise AssertionError("message %d: %d bytes differ from the %d sent" % (got, len(e.data), size))
        got += 1
        if got == len(expected):
            return got
    raise AssertionError("received %d of %d messages" % (got, len(expected)))


# -- Bob: the child process ---------------------------------------------------

class Bob:
    """Commands Alice sends; each returns a JSON-able result."""

    def __init__(self, lib):
        self.lib = lib
        self.me = lib.identity_create("pybob", "Bob")
        self.group = None
        self.events = None
        self.typed = None
        self.connection = None

    def identity(self):
        return self.me

    def identity_xml(self):
        return self.lib.identity_get_xml(self.me)

    def join(self, invitation, port):
        self.group = self.lib.group_join(self.me, invitation)
        self.events = self.group.register_event([
            p2p.PEER_GROUP_EVENT_RECORD_CHANGED, p2p.PEER_GROUP_EVENT_DIRECT_CONNECTION,
            p2p.PEER_GROUP_EVENT_INCOMING_DATA])
        self.typed = self.group.register_event([p2p.PEER_GROUP_EVENT_INCOMING_DATA], DATA_B)
        expect_error(p2p.PEER_E_GROUP_NOT_READY, self.group.add_record, RECORD_TYPE, b"too early")
        self.group.connect_by_address([("127.0.0.1", port)])
        self.group.wait_ready(TIMEOUT)
        return self.group.peer_name

    def publish(self, text):
        return str(self.group.add_record(RECORD_TYPE, text.encode(), hours=1))

    def read_record(self):
        """The first record another member added, read after its event,
        which Bob awaits with asyncio (async for over the registration)."""
        async def first_from_other():
            async for e in self.events:
                if (e.type == p2p.PEER_GROUP_EVENT_RECORD_CHANGED and e.change == p2p.PEER_RECORD_ADDED
                        and e.record_type == RECORD_TYPE and self.group.get_record(e.record_id).creator != self.me):
                    return e
        e = asyncio.run(asyncio.wait_for(first_from_other(), TIMEOUT))
        r = self.group.get_record(e.record_id)
        return [str(r.id), r.creator, r.data.decode()]

    def accept(self):
        self.connection = self.events.accept(TIMEOUT)
        return self.connection.id

    def receive(self, seed, n):
        return receive(self.connection, DATA_A, payloads(seed, n))

    def receive_typed(self, seed, n):
        """Only DATA_B reaches the filtered registration; every message of
        both types reaches the unfiltered one, in order."""
        got = receive_events(self.typed, self.connection.id, DATA_B, payloads(seed, n))
        rest = self.events.drain()
        return [got, len([e for e in rest if e.type == p2p.PEER_GROUP_EVENT_INCOMING_DATA])]

    def send(self, seed, n):
        for size, salt in payloads(seed, n):
            self.connection.send(payload(size, salt), DATA_A)
        return n

    def close_direct(self):
        self.connection.close()
        expect_error(p2p.PEER_E_CONNECTION_NOT_FOUND, self.connection.send, b"x", DATA_A)
        self.connection.close()  # closing twice is not an error
        return True


def bob_main():
    lib = p2p.Library()
    with lib.startup():
        bob = Bob(lib)
        for line in sys.stdin:
            req = json.loads(line)
            if req["cmd"] == "quit":
                break
            try:
                reply = {"ok": getattr(bob, req["cmd"])(*req.get("args", []))}
            except p2p.PeerError as e:
                reply = {"error": "%s in %s" % (e.name, req["cmd"])}
            except AssertionError as e:
                reply = {"error": str(e)}
            print(json.dumps(reply), flush=True)
        if bob.group is not None:
            bob.group.close()


class Child:
    """Alice's side of the pipe to Bob."""

    def __init__(self, home):
        env = dict(os.environ, P2P_HOME=home)
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--bob"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def send(self, cmd, *args):
        self.proc.stdin.write(json.dumps({"cmd": cmd, "args": list(args)}) + "\n")
        self.proc.stdin.flush()

    def reply(self, cmd):
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("Bob exited during " + cmd)
        r = json.loads(line)
        if "error" in r:
            raise AssertionError("Bob: " + r["error"])
        return r["ok"]

    def do(self, cmd, *args):
        self.send(cmd, *args)
        return self.reply(cmd)

    def quit(self):
        self.send("quit")
        self.proc.stdin.close()
        return self.proc.wait(TIMEOUT)


# -- Alice: the test's process ---------------------------------------------

def step(text):
    print(text, flush=True)


def test_two_processes(tmp_path):
    """The flow of the module docstring; Bob's data directory is his own."""
    messages = int(os.environ.get("P2P_TEST_MESSAGES", "100"))
    bob = Child(str(tmp_path / "bob"))
    lib = p2p.Library()
    try:
        with lib.startup():
            alice_flow(lib, bob, messages)
        assert bob.quit() == 0, "Bob exited with status %d" % bob.proc.returncode
    finally:
        if bob.proc.poll() is None:
            bob.proc.kill()


def alice_flow(lib, bob, messages):
    me = lib.identity_create("pyalice", "Alice")
    with lib.group_create(me, "pytwo", "Two Python processes") as g:
        events = g.register_event([p2p.PEER_GROUP_EVENT_RECORD_CHANGED, p2p.PEER_GROUP_EVENT_DIRECT_CONNECTION,
                                   p2p.PEER_GROUP_EVENT_INCOMING_DATA])
        g.connect()
        mine = wait_until("Alice's address", lambda: [m for m in g.members(p2p.PEER_MEMBER_PRESENT) if m.addresses])
        port = mine[0].addresses[0][1]
        step("Alice created %s and listens on port %d" % (g.peer_name, port))

        invitation = g.create_invitation(bob.do("identity_xml"))
        joined = bob.do("join", invitation, port)
        assert joined == g.peer_name, "Bob joined %s, Alice created %s" % (joined, g.peer_name)
        step("Bob joined with Alice's invitation, connected to her and waited until ready")

        rid = bob.do("publish", "hello from Bob")
        e = wait_event(events, "Alice's RECORD_CHANGED", lambda e: e.type == p2p.PEER_GROUP_EVENT_RECORD_CHANGED
                       and e.record_id == uuid.UUID(rid))
        assert e.change == p2p.PEER_RECORD_ADDED and e.record_type == RECORD_TYPE, e
        r = g.get_record(e.record_id)
        assert r.data == b"hello from Bob" and r.creator != me, r
        rid = str(g.add_record(RECORD_TYPE, b"hello from Alice", hours=1))
        got = bob.do("read_record")
        assert got == [rid, me, "hello from Alice"], got
        step("each read the other's record after its RECORD_CHANGED event")

        bob_identity = bob.do("identity")
        bob.send("accept")
        conn = g.open_direct_connection(bob_identity, registration=events)
        cid = conn.id
        bob.reply("accept")
        direct = g.connections(p2p.PEER_CONNECTION_DIRECT)
        assert [c.connection_id for c in direct] == [cid], direct
        step("direct connection %d open on both sides" % cid)

        bob.send("receive", 1, messages)
        for size, salt in payloads(1, messages):
            conn.send(payload(size, salt), DATA_A)
        assert bob.reply("receive") == messages
        bob.send("send", 2, messages)
        assert receive(conn, DATA_A, payloads(2, messages)) == messages
        assert bob.reply("send") == messages
        step("%d messages of 0 to %d bytes each way arrived whole, once and in order" % (messages, MAX_DATA))

        typed = 20
        bob.send("receive_typed", 3, typed)
        for i, (size, salt) in enumerate(payloads(3, typed)):
            g.send_data(cid, DATA_A, b"untyped %d" % i)
            g.send_data(cid, DATA_B, payload(size, salt))
        assert bob.reply("receive_typed") == [typed, 2 * typed]
        step("a registration for one data type received only that type")

        bad_inputs(lib, g, me, cid)
        step("bad inputs refused with their documented HRESULTs")

        bob.do("close_direct")
        assert list(conn) == [], "Alice's iteration over the connection ends when Bob closes it"
        assert conn.closed
        expect_error(p2p.PEER_E_CONNECTION_NOT_FOUND, conn.send, b"x")
        conn.close()  # closed by Bob: not an error
        step("Bob closed the direct connection; Alice's iteration ended")
        events.close()


def bad_inputs(lib, g, me, cid):
    expect_error(p2p.PEER_E_CONNECTION_NOT_FOUND, g.send_data, 12345, DATA_A, b"x")
    expect_error(p2p.PEER_E_CONNECTION_NOT_FOUND, g.close_direct_connection, 12345)
    expect_error(p2p.E_INVALIDARG, g.send_data, cid, DATA_A, bytes(MAX_DATA + 1))
    expect_error(p2p.PEER_E_CONNECT_SELF, g.open_direct_connection, me, None, 5.0)
    hr = lib.raw.PeerGroupSendData(g.handle, ctypes.c_uint64(cid), None, 1, ctypes.c_char_p(b"x"))
    if hr & 0xFFFFFFFF != p2p.E_INVALIDARG:
        raise AssertionError("SendData with a NULL type: 0x%08X, want E_INVALIDARG" % (hr & 0xFFFFFFFF))
    # Data at an address the process does not own: E_POINTER, no crash.
    guid = p2p.GUID.from_uuid(DATA_A)
    hr = lib.raw.PeerGroupSendData(g.handle, ctypes.c_uint64(cid), ctypes.byref(guid), 65536,
                                   ctypes.c_void_p(0x7ff0dead0000))
    if hr & 0xFFFFFFFF != p2p.E_POINTER:
        raise AssertionError("SendData of unmapped memory: 0x%08X, want E_POINTER" % (hr & 0xFFFFFFFF))
    with lib.group_create(me, "pyother", "Another group") as other:
        expect_error(p2p.PEER_E_CONNECTION_NOT_FOUND, other.send_data, cid, DATA_A, b"x")


if __name__ == "__main__":
    if sys.argv[1:2] != ["--bob"]:
        sys.exit("run with pytest; --bob is the child process")
    bob_main()
