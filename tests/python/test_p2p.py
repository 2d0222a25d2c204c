#!/usr/bin/env python3
"""Tests of the library through the installed p2p package, and through raw
ctypes in TestRawABI to show the C ABI itself works from Python.

    python3 -m pytest tests/python        (with the package installed)

make test-python (tests/pkg/python.sh) installs the package into a virtual
environment and runs these from outside the repository. conftest.py gives
the session a data directory of its own (P2P_HOME), so the tests never
touch the user's own data.
"""

import ctypes
import datetime
import os
import select
import shutil
import struct
import sys
import tempfile
import unittest
import uuid

import p2p

TYPE_A = uuid.UUID("6b1f0a52-37c4-4d21-9e10-507974686f41")
TYPE_B = uuid.UUID("6b1f0a52-37c4-4d21-9e10-507974686f42")
UTC = datetime.timezone.utc


def now():
    return datetime.datetime.now(UTC)


def attrs(n, name):
    return ('<attributes><attribute name="n" type="int">%d</attribute>'
            '<attribute name="name" type="string">%s</attribute></attributes>' % (n, name))


def clause(attrib, typ, compare, value):
    return '<clause attrib="%s" type="%s" compare="%s">%s</clause>' % (attrib, typ, compare, value)


class Base(unittest.TestCase):
    """Loads the library and starts it once per test class."""

    @classmethod
    def setUpClass(cls):
        cls.lib = p2p.Library()
        cls._startup = cls.lib.startup()
        cls._startup.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls._startup.__exit__(None, None, None)

    def assertPeerError(self, code, fn, *args, **kwargs):
        """fn(*args) must raise PeerError with exactly this HRESULT."""
        with self.assertRaises(p2p.PeerError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.hresult, code,
                         "%s: got %s, want %s" % (getattr(fn, "__name__", fn), cm.exception.name, p2p.hresult_name(code)))
        family = type(p2p.PeerError.from_hresult(code, ""))
        self.assertIs(type(cm.exception), family, "%s raised as %s" % (cm.exception.name, type(cm.exception).__name__))
        return cm.exception


class TestStructures(unittest.TestCase):
    def test_windows_x64_sizes(self):
        want = {"PEER_RECORD": 128, "PEER_GROUP_PROPERTIES": 96, "PEER_INVITATION_INFO": 136, "PEER_MEMBER": 56,
                "PEER_CREDENTIAL_INFO": 72, "PEER_GROUP_EVENT_DATA": 56, "PEER_CONNECTION_INFO": 64,
                "PEER_ADDRESS": 32, "PEER_DATA": 16, "PEER_NAME_PAIR": 24, "PEER_GROUP_EVENT_REGISTRATION": 16,
                "PEER_EVENT_INCOMING_DATA": 48, "GUID": 16, "FILETIME": 8}
        for name, size in want.items():
            self.assertEqual(ctypes.sizeof(getattr(p2p, name)), size, name)
        self.assertEqual(p2p.PEER_INVITATION_INFO.authScheme.offset, 128)
        self.assertEqual(p2p.PEER_RECORD.data.offset, 112)
        self.assertEqual(p2p.PEER_GROUP_EVENT_DATA.u.offset, 8)

    def test_utf16_helpers(self):
        s = "Jürgen 日本 😀"
        buf = p2p.wstr(s)
        self.assertEqual(len(buf.raw), 2 * (len(s) + 1) + 2)  # 12 UTF-16 units (a surrogate pair) and a NUL
        self.assertEqual(p2p.from_wstr(ctypes.addressof(buf)), s)
        self.assertEqual(p2p.from_wstr(None), "")
        self.assertIsNone(p2p.wstr(None))
        long = "x" * 1000 + "\ud800"  # lone surrogates survive both ways
        lbuf = p2p.wstr(long)
        self.assertEqual(p2p.from_wstr(ctypes.addressof(lbuf)), long)

    def test_guid_and_filetime(self):
        u = uuid.uuid4()
        self.assertEqual(p2p.GUID.from_uuid(u).uuid, u)
        self.assertEqual(p2p.GUID.from_uuid(p2p.PEER_GROUP_ROLE_ADMIN).Data1, 0x04387127)
        t = datetime.datetime(2030, 1, 2, 3, 4, 5, 678900, tzinfo=UTC)
        self.assertEqual(p2p.FILETIME.from_datetime(t).datetime, t)
        self.assertEqual(p2p.FILETIME.from_datetime(datetime.datetime(1970, 1, 1, tzinfo=UTC)).value,
                         116444736000000000)

    def test_error_names(self):
        e = p2p.PeerError(-0x7f9cfcff, "PeerGroupGetRecord")  # 0x80630301 as a signed HRESULT
        self.assertEqual(e.hresult, p2p.PEER_E_RECORD_NOT_FOUND)
        self.assertEqual(e.name, "PEER_E_RECORD_NOT_FOUND")
        self.assertIn("PeerGroupGetRecord", str(e))
        self.assertEqual(p2p.hresult_name(0x12345678), "0x12345678")


class TestRawABI(unittest.TestCase):
    """Plain ctypes, with the structures built at their documented byte
    offsets: no help from the wrapper's Structure classes."""

    def test_raw_flow(self):
        lib = ctypes.CDLL(p2p.find_library())
        HR, VP = ctypes.c_int32, ctypes.c_void_p
        for name, args in {
            "PeerGroupStartup": [ctypes.c_uint16, VP], "PeerGroupShutdown": [],
            "PeerIdentityCreate": [VP, VP, ctypes.c_size_t, VP], "PeerGroupCreate": [VP, VP],
            "PeerGroupAddRecord": [VP, VP, VP], "PeerGroupGetRecord": [VP, VP, VP],
            "PeerGroupGetProperties": [VP, VP], "PeerGroupClose": [VP], "PeerGroupGetStatus": [VP, VP],
        }.items():
            f = getattr(lib, name)
            f.restype, f.argtypes = HR, args
        lib.PeerFreeData.restype, lib.PeerFreeData.argtypes = None, [VP]

        def w(s):  # PCWSTR: UTF-16LE plus a 2-byte NUL (c_wchar is 4 bytes here)
            return ctypes.create_string_buffer(s.encode("utf-16-le") + b"\0\0")

        def read_w(addr):
            n = 0
            while ctypes.string_at(addr + 2 * n, 2) != b"\0\0":
                n += 1
            return ctypes.string_at(addr, 2 * n).decode("utf-16-le")

        version = ctypes.create_string_buffer(4)
        self.assertEqual(lib.PeerGroupStartup(0x0101, version), 0)
        try:
            self.assertEqual(struct.unpack("<HH", version.raw), (0x0101, 0x0101))
            ident = VP()
            self.assertEqual(lib.PeerIdentityCreate(w("raw"), w("Raw Ü"), 0, ctypes.byref(ident)), 0)
            name = read_w(ident.value)
            self.assertTrue(name.endswith(".raw") and len(name) == 44, name)

            # PEER_GROUP_PROPERTIES: 96 bytes; dwSize@0, pwzClassifier@16,
            # pwzCreatorPeerName@32, pwzFriendlyName@40.
            cls, friendly = w("rawgroup"), w("Raw group")
            props = ctypes.create_string_buffer(96)
            struct.pack_into("<I", props, 0, 96)
            struct.pack_into("<QQQ", props, 16, ctypes.addressof(cls), 0, 0)
            struct.pack_into("<QQ", props, 32, ident.value, ctypes.addressof(friendly))
            g = VP()
            self.assertEqual(lib.PeerGroupCreate(props, ctypes.byref(g)), 0)
            lib.PeerFreeData(ident)
            status = ctypes.c_uint32(99)
            self.assertEqual(lib.PeerGroupGetStatus(g, ctypes.byref(status)), 0)
            self.assertEqual(status.value, 0)
            pp = VP()
            self.assertEqual(lib.PeerGroupGetProperties(g, ctypes.byref(pp)), 0)
            size, = struct.unpack_from("<I", ctypes.string_at(pp.value, 96))
            friendly_ptr, = struct.unpack_from("<Q", ctypes.string_at(pp.value, 96), 40)
            self.assertEqual((size, read_w(friendly_ptr)), (96, "Raw group"))
            lib.PeerFreeData(pp)

            # PEER_RECORD: 128 bytes; dwSize@0, type@4, ftExpiration@80,
            # data@112 (cbData, then pbData at 120).
            data = ctypes.create_string_buffer(b"raw bytes\0more", 14)
            expires = p2p.FILETIME.from_datetime(now() + datetime.timedelta(hours=1)).value
            rec = ctypes.create_string_buffer(128)
            struct.pack_into("<I16s", rec, 0, 128, TYPE_A.bytes_le)
            struct.pack_into("<Q", rec, 80, expires)
            struct.pack_into("<IxxxxQ", rec, 112, 14, ctypes.addressof(data))
            rid = ctypes.create_string_buffer(16)
            self.assertEqual(lib.PeerGroupAddRecord(g, rec, rid), 0)
            self.assertNotEqual(rid.raw, bytes(16))
            got = VP()
            self.assertEqual(lib.PeerGroupGetRecord(g, rid, ctypes.byref(got)), 0)
            raw = ctypes.string_at(got.value, 128)
            dw_size, typ, rec_id, ver = struct.unpack_from("<I16s16sI", raw)
            self.assertEqual((dw_size, uuid.UUID(bytes_le=typ), rec_id, ver), (128, TYPE_A, rid.raw, 1))
            self.assertEqual(struct.unpack_from("<Q", raw, 80)[0], expires)
            cb, pb = struct.unpack_from("<IxxxxQ", raw, 112)
            self.assertEqual(ctypes.string_at(pb, cb), b"raw bytes\0more")
            creator, = struct.unpack_from("<Q", raw, 48)
            self.assertEqual(read_w(creator), name)
            lib.PeerFreeData(got)
            self.assertEqual(lib.PeerGroupClose(g), 0)
            self.assertEqual(lib.PeerGroupClose(g) & 0xFFFFFFFF, p2p.E_HANDLE)
        finally:
            self.assertEqual(lib.PeerGroupShutdown(), 0)


class TestIdentity(Base):
    def test_create_and_friendly_name(self):
        lib = self.lib
        a = lib.identity_create("alice", "Alice Ünïcödé 😀")
        self.assertTrue(a.endswith(".alice") and len(a) == 46, a)
        self.assertEqual(lib.identity_get_friendly_name(a), "Alice Ünïcödé 😀")
        lib.identity_set_friendly_name(a, "Alice 2")
        self.assertEqual(lib.identity_get_friendly_name(a), "Alice 2")
        lib.identity_set_friendly_name(a, None)
        self.assertEqual(lib.identity_get_friendly_name(a), a, "NULL resets the friendly name to the peer name")
        anon = lib.identity_create()
        self.assertEqual(lib.identity_get_friendly_name(anon), anon)
        self.assertIn((a, a), lib.enum_identities())
        self.assertEqual(lib.create_peer_name(a, "svc"), a[:40] + ".svc")
        self.assertEqual(lib.create_peer_name(None, "svc"), "0.svc")

    def test_xml_default_and_export_import(self):
        lib = self.lib
        b = lib.identity_create("bob", "Bob")
        xml = lib.identity_get_xml(b)
        self.assertTrue(xml.startswith("<") and b in xml, xml[:100])
        default = lib.identity_get_default()
        self.assertEqual(lib.identity_get_default(), default)
        self.assertIn(default, lib.identity_get_xml(None))
        exported = lib.identity_export(b, "pässwörd")
        self.assertPeerError(p2p.PEER_E_ALREADY_EXISTS, lib.identity_import, exported, "pässwörd")
        lib.identity_delete(b)
        self.assertPeerError(p2p.PEER_E_NOT_FOUND, lib.identity_get_friendly_name, b)
        self.assertRaises(p2p.PeerError, lib.identity_import, exported, "wrong password")
        self.assertEqual(lib.identity_import(exported, "pässwörd"), b)
        self.assertEqual(lib.identity_get_friendly_name(b), "Bob")
        lib.identity_delete(b)


class TestGroup(Base):
    def test_create_properties_open(self):
        lib = self.lib
        a = lib.identity_create("owner", "Owner")
        with lib.group_create(a, "chess", "Chess club", comment="Tuesdays", flags=p2p.PEER_MEMBER_DATA_OPTIONAL,
                              member_data_lifetime=86400, presence_lifetime=600) as g:
            p = g.properties()
            self.assertTrue(p.peer_name.endswith(".chess") and len(p.peer_name) == 46, p.peer_name)
            self.assertEqual((p.creator, p.classifier, p.friendly_name, p.comment), (a, "chess", "Chess club", "Tuesdays"))
            self.assertEqual((p.flags, p.member_data_lifetime, p.presence_lifetime), (1, 86400, 600))
            self.assertEqual(p.authentication_schemes, p2p.PEER_GROUP_GMC_AUTHENTICATION)
            self.assertEqual(g.status, 0)
            g.set_properties(friendly_name="Chess & Go", comment="<Thursdays>")
            p2 = g.properties()
            self.assertEqual((p2.friendly_name, p2.comment, p2.peer_name), ("Chess & Go", "<Thursdays>", p.peer_name))
            with lib.group_open(a, p.peer_name) as h:
                self.assertEqual(h.properties().friendly_name, "Chess & Go")
            self.assertIn((p.peer_name, "Chess & Go"), lib.enum_groups(a))
            t = now().replace(microsecond=0)
            self.assertEqual(g.peer_to_universal_time(g.universal_to_peer_time(t)), t)
        lib.group_delete(a, p.peer_name)
        self.assertPeerError(p2p.PEER_E_NOT_FOUND, lib.group_open, a, p.peer_name)
        lib.identity_delete(a)

    def test_invitation_parse_join(self):
        lib = self.lib
        alice = lib.identity_create("alice", "Alice")
        bob = lib.identity_create("bob", "Bob")
        expires = now().replace(microsecond=0) + datetime.timedelta(days=1)
        with lib.group_create(alice, "club", "Club") as g:
            name = g.peer_name
            inv = g.create_invitation(lib.identity_get_xml(bob), expires=expires)
            info = lib.parse_invitation(inv)
            self.assertEqual((info.group_peer_name, info.group_friendly_name), (name, "Club"))
            self.assertEqual((info.issuer_peer_name, info.issuer_friendly_name), (alice, "Alice"))
            self.assertEqual((info.subject_peer_name, info.subject_friendly_name), (bob, "Bob"))
            self.assertEqual(info.valid_until, expires)
            self.assertLessEqual(info.valid_from, now())
            self.assertEqual(info.roles, [p2p.PEER_GROUP_ROLE_MEMBER])
            self.assertEqual(len(info.subject_public_key), 32)
            self.assertEqual(info.auth_scheme, p2p.PEER_GROUP_GMC_AUTHENTICATION)
            self.assertTrue(info.cloud)
            self.assertPeerError(p2p.PEER_E_INVITATION_NOT_TRUSTED, lib.group_join, alice, inv)
            self.assertRaises(p2p.PeerError, lib.parse_invitation, inv.replace("Club", "Clux", 1))
            with lib.group_join(bob, inv) as gb:
                self.assertFalse(gb.already_member)
                self.assertEqual(gb.properties().peer_name, name)
                self.assertEqual(gb.status, 0)
                self.assertPeerError(p2p.PEER_E_GROUP_NOT_READY, gb.add_record, TYPE_A, b"early")
                with lib.group_join(bob, inv) as again:
                    self.assertTrue(again.already_member, "joining twice is PEER_S_ALREADY_A_MEMBER")
            config = g.export_config("config pw")
            self.assertPeerError(p2p.PEER_E_ALREADY_EXISTS, lib.group_import_config, config, "config pw")
        self.assertEqual(lib.group_import_config(config, "config pw", overwrite=True), (alice, name))
        self.assertRaises(p2p.PeerError, lib.group_import_config, config, "wrong", overwrite=True)


class TestRecords(Base):
    def test_add_get_update_delete_enum_search(self):
        lib = self.lib
        a = lib.identity_create("rec", "Records")
        with lib.group_create(a, "records", "Records") as g:
            expires = now().replace(microsecond=0) + datetime.timedelta(hours=2)
            r1 = g.add_record(TYPE_A, b"hello", expires=expires, attributes=attrs(7, "alpha"))
            rec = g.get_record(r1)
            self.assertEqual((rec.id, rec.type, rec.version, rec.data), (r1, TYPE_A, 1, b"hello"))
            self.assertEqual((rec.creator, rec.modified_by, rec.expires), (a, a, expires))
            self.assertTrue(rec.signature)
            self.assertIn('name="name"', rec.attributes)
            g.update_record(r1, TYPE_A, b"hello again", attributes=attrs(8, "alpha"))
            rec = g.get_record(r1)
            self.assertEqual((rec.version, rec.data), (2, b"hello again"))
            r2 = g.add_record(TYPE_A, b"second", attributes=attrs(3, "beta"))
            r3 = g.add_record(TYPE_B, b"\x00third\xff", attributes=attrs(12, "gamma"))
            self.assertEqual({r.id: r.data for r in g.enum_records()},
                             {r1: b"hello again", r2: b"second", r3: b"\x00third\xff"})
            self.assertEqual({r.id for r in g.enum_records(TYPE_A)}, {r1, r2})
            self.assertEqual([r.id for r in g.enum_records(TYPE_B)], [r3])

            def search(q):
                return {r.id for r in g.search_records("<peersearch>%s</peersearch>" % q)}
            self.assertEqual(search(clause("n", "int", "greater", 5)), {r1, r3})
            self.assertEqual(search("<and>%s%s</and>" % (clause("n", "int", "greater", 5),
                                                        clause("name", "string", "equal", "g*"))), {r3})
            self.assertEqual(search("<or>%s%s</or>" % (clause("name", "string", "equal", "alpha"),
                                                      clause("name", "string", "equal", "?eta"))), {r1, r2})
            self.assertEqual(search(clause("name", "string", "equal", "delta")), set())
            self.assertPeerError(p2p.PEER_E_INVALID_SEARCH, g.search_records, "<peersearch><clause>")

            g.delete_record(r2)
            self.assertPeerError(p2p.PEER_E_RECORD_NOT_FOUND, g.get_record, r2)
            self.assertPeerError(p2p.PEER_E_RECORD_NOT_FOUND, g.delete_record, r2)
            self.assertEqual({r.id for r in g.enum_records()}, {r1, r3})
            self.assertPeerError(p2p.PEER_E_INVALID_RECORD_EXPIRATION, g.add_record, TYPE_A, b"x",
                                 expires=now() - datetime.timedelta(hours=1))
            self.assertPeerError(p2p.PEER_E_INVALID_ATTRIBUTES, g.add_record, TYPE_A, b"x",
                                 attributes="<attributes><attribute name='n' type='int'>NaN</attribute></attributes>")

            path = os.path.join(tempfile.mkdtemp(), "records ü.db")
            g.export_database(path)
            self.assertTrue(os.path.getsize(path) > 0)
            shutil.rmtree(os.path.dirname(path))


class TestEvents(Base):
    def test_record_changed_via_eventfd_and_select(self):
        lib = self.lib
        a = lib.identity_create("ev", "Events")
        with lib.group_create(a, "events", "Events") as g, p2p.EventHandle() as ev:
            with g.register_event([p2p.PEER_GROUP_EVENT_RECORD_CHANGED], record_type=TYPE_A, event=ev) as reg:
                self.assertIsNone(reg.get(), "an event before any change")
                rid = g.add_record(TYPE_A, b"watched")
                # The library writes the 8-byte integer 1 to the eventfd.
                r, _, _ = select.select([ev.fileno()], [], [], 5.0)
                self.assertEqual(r, [ev.fileno()], "the eventfd was not signalled within 5 s")
                self.assertGreaterEqual(int.from_bytes(os.read(ev.fileno(), 8), sys.byteorder), 1)
                e = reg.get()
                self.assertEqual((e.type, e.change, e.record_id, e.record_type),
                                 (p2p.PEER_GROUP_EVENT_RECORD_CHANGED, p2p.PEER_RECORD_ADDED, rid, TYPE_A))
                self.assertIsNone(reg.get(), "PEER_S_NO_EVENT_DATA after draining")

                g.add_record(TYPE_B, b"not watched")  # filtered out by type
                g.update_record(rid, TYPE_A, b"changed")
                g.delete_record(rid)
                events = []
                while len(events) < 2:
                    got = reg.wait(5.0)
                    self.assertTrue(got, "no event within 5 s")
                    events += got
                self.assertEqual([(e.change, e.record_id) for e in events],
                                 [(p2p.PEER_RECORD_UPDATED, rid), (p2p.PEER_RECORD_DELETED, rid)])
                self.assertEqual(reg.wait(0.2), [])
            self.assertIsNone(reg.handle, "the registration was not closed")
            self.assertPeerError(p2p.PEER_E_EVENT_HANDLE_NOT_FOUND, lib._call, "PeerGroupUnregisterEvent",
                                 ctypes.c_void_p(0xDEADBEEF))


class TestNetwork(Base):
    """Two members of one group in this process, over loopback."""

    def wait_for(self, what, fn, timeout=30.0):
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=timeout)
        while datetime.datetime.now() < deadline:
            v = fn()
            if v:
                return v
            select.select([], [], [], 0.05)
        self.fail("timed out waiting for " + what)

    def event(self, reg, what, match):
        """The first event of the registration for which match is true."""
        def find():
            for e in reg.wait(0.2):
                if match(e):
                    return e
        return self.wait_for(what, find)

    def test_connect_direct_connection_send_data(self):
        lib = self.lib
        alice = lib.identity_create("netalice", "Alice")
        bob = lib.identity_create("netbob", "Bob")
        with lib.group_create(alice, "net", "Net") as g:
            types = [p2p.PEER_GROUP_EVENT_DIRECT_CONNECTION, p2p.PEER_GROUP_EVENT_INCOMING_DATA]
            with g.register_event(types) as rega:
                self.assertFalse(g.connect())
                self.assertTrue(g.connect(), "a second connect is PEER_S_ALREADY_CONNECTED")
                me = self.wait_for("alice's address", lambda: [m for m in g.members(p2p.PEER_MEMBER_PRESENT) if m.addresses])
                self.assertEqual(me[0].identity, alice)
                self.assertIn(p2p.PEER_GROUP_ROLE_ADMIN, me[0].roles)
                ip, port = me[0].addresses[0]
                inv = g.create_invitation(lib.identity_get_xml(bob))
                with lib.group_join(bob, inv) as gb, gb.register_event(types) as regb:
                    self.assertPeerError(p2p.PEER_E_GROUP_NOT_READY, gb.add_record, TYPE_A, b"too early")
                    self.assertFalse(gb.ready)
                    self.assertFalse(gb.connect_by_address([("127.0.0.1", port), (ip, port)]))
                    gb.wait_ready(30)  # the documented wait: Bob may publish from here on
                    self.assertTrue(gb.ready)
                    gb.add_record(TYPE_A, b"published right after wait_ready")
                    self.wait_for("bob's neighbour", lambda: gb.connections(p2p.PEER_CONNECTION_NEIGHBOR))
                    self.assertPeerError(p2p.PEER_E_CONNECT_SELF, g.open_direct_connection, alice)

                    # Alice's connection shares her registration; Bob accepts through his.
                    conn = g.open_direct_connection(bob, registration=rega)
                    peer = regb.accept(30)
                    self.assertEqual(peer.group, gb)
                    conn.send(b"ping\x00\xff", TYPE_A)
                    conn.send(b"")
                    m = peer.receive_message(30)
                    self.assertEqual((m.data, m.type), (b"ping\x00\xff", TYPE_A))
                    self.assertEqual(peer.receive(30), b"", "an empty message arrives as one")
                    peer.send(b"pong")
                    self.assertEqual(conn.receive(30), b"pong")
                    self.assertPeerError(p2p.PEER_E_TIMEOUT, conn.receive, 0.1)
                    direct = g.connections(p2p.PEER_CONNECTION_DIRECT)
                    self.assertEqual([(c.connection_id, c.peer_id) for c in direct], [(conn.id, bob)])
                    conn.close()
                    conn.close()  # closing twice is not an error
                    self.assertTrue(conn.closed)
                    self.assertPeerError(p2p.PEER_E_CONNECTION_NOT_FOUND, conn.send, b"x")
                    self.assertEqual(list(peer), [], "iteration ends when the other member closes")
                    self.assertTrue(peer.closed)
                    peer.close()  # already closed by Alice: not an error
                    self.assertPeerError(p2p.PEER_E_CONNECTION_NOT_FOUND, peer.receive, 1)

                    # Without a registration the connection makes (and closes) its own.
                    with g.open_direct_connection(bob) as own:
                        other = regb.accept(30)
                        other.send(b"to the private registration")
                        self.assertEqual(own.receive(30), b"to the private registration")
                    self.assertIsNone(own.registration.handle, "its registration closed with it")
                    self.assertEqual(list(other), [])


class TestBadInput(Base):
    def test_null_arguments(self):
        raw = self.lib.raw
        out = ctypes.c_void_p()
        self.assertEqual(raw.PeerIdentityCreate(p2p.wstr("x"), None, 0, None) & 0xFFFFFFFF, p2p.E_INVALIDARG)
        self.assertEqual(raw.PeerIdentityGetFriendlyName(None, ctypes.byref(out)) & 0xFFFFFFFF, p2p.E_INVALIDARG)
        self.assertEqual(raw.PeerGroupCreate(None, ctypes.byref(out)) & 0xFFFFFFFF, p2p.E_INVALIDARG)
        self.assertEqual(raw.PeerGroupParseInvitation(None, ctypes.byref(ctypes.POINTER(p2p.PEER_INVITATION_INFO)()))
                         & 0xFFFFFFFF, p2p.E_INVALIDARG)
        self.assertEqual(raw.PeerEnumIdentities(None) & 0xFFFFFFFF, p2p.E_INVALIDARG)
        props = p2p.PEER_GROUP_PROPERTIES(dwSize=88)  # the pre-Vista size
        self.assertEqual(raw.PeerGroupCreate(ctypes.byref(props), ctypes.byref(out)) & 0xFFFFFFFF, p2p.E_INVALIDARG)
        raw.PeerFreeData(None)  # ignored

    def test_bad_handles(self):
        lib = self.lib
        a = lib.identity_create("bad", "Bad")
        g = lib.group_create(a, "bad", "Bad")
        g.close()
        for h in (None, ctypes.c_void_p(0xDEADBEEF), g.handle):
            stale = p2p.Group(lib, h if h is not None else ctypes.c_void_p(0))
            self.assertPeerError(p2p.E_HANDLE, stale.properties)
            self.assertPeerError(p2p.E_HANDLE, stale.add_record, TYPE_A, b"x")
            self.assertPeerError(p2p.E_HANDLE, stale.connect)
            stale.handle = None
        closed = p2p.Group(lib, lib.group_open(a, lib.enum_groups(a)[0][0]).handle)
        h = closed.handle
        closed.close()
        self.assertPeerError(p2p.E_HANDLE, p2p.Group(lib, h).close)
        n = ctypes.c_uint32()
        self.assertEqual(lib.raw.PeerGetItemCount(ctypes.c_void_p(0x1234), ctypes.byref(n)) & 0xFFFFFFFF, p2p.E_HANDLE)
        self.assertEqual(lib.raw.PeerEndEnumeration(h) & 0xFFFFFFFF, p2p.E_HANDLE, "an HGROUP is not an HPEERENUM")

    def test_unpaired_surrogates(self):
        lib = self.lib
        self.assertPeerError(p2p.E_INVALIDARG, lib.identity_create, "ab\ud83dc", "x")   # high, then no low
        self.assertPeerError(p2p.E_INVALIDARG, lib.identity_create, "x", "\ude00x")     # low first
        a = lib.identity_create("sur", "Surrogates")
        self.assertPeerError(p2p.E_INVALIDARG, lib.identity_set_friendly_name, a, "xy\ud800")
        self.assertEqual(lib.identity_get_friendly_name(a), "Surrogates")
        with lib.group_create(a, "sur", "Surrogates") as g:
            self.assertPeerError(p2p.E_INVALIDARG, g.search_records, "<peersearch>\udc00</peersearch>")
            self.assertPeerError(p2p.E_INVALIDARG, g.add_record, TYPE_A, b"x", attributes="<a>\ud83d</a>")
            self.assertPeerError(p2p.E_INVALIDARG, lib.group_create, a, "ok", "bad \udc00 name")

    def test_before_startup(self):
        # A second Library object shares the process's library: shut every
        # startup down, check, then restore the class's startup.
        lib = self.lib
        lib._call("PeerGroupShutdown")
        try:
            e = self.assertPeerError(p2p.PEER_E_NOT_INITIALIZED, lib.identity_get_default)
            self.assertEqual(e.function, "PeerIdentityGetDefault")
            self.assertPeerError(p2p.PEER_E_NOT_INITIALIZED, lib._call, "PeerGroupShutdown")
            self.assertPeerError(p2p.PEER_E_UNSUPPORTED_VERSION, lib.startup(0x0100).__enter__)
        finally:
            lib.startup().__enter__()

