#!/usr/bin/env python3
"""hello.py - an identity, a group and one record, through the p2p package.

    pip install --no-build-isolation bindings/python    # once
    P2P_HOME=/tmp/hello-home python3 examples/python/hello.py

The package finds the library it was installed beside (make install, or
the source tree's build/); P2P_LIB overrides. Everything here is offline.
P2P_HOME is the data directory; it may also be set in os.environ before
lib.startup().
"""

import uuid

import p2p

# The type of this program's records: any GUID the application chooses.
NOTE = uuid.UUID("9f6a7c10-5b1e-4d7e-a12c-68656c6c6f21")

lib = p2p.Library()
with lib.startup():
    identity = lib.identity_create("hello", "Hello example")
    print("identity:", identity)

    with lib.group_create(identity, "greetings", "Greetings") as group:
        print("group:", group.peer_name)

        with group.register_event([p2p.PEER_GROUP_EVENT_RECORD_CHANGED]) as events:
            record_id = group.add_record(NOTE, "Hello, group! ✓".encode(), hours=1)
            e = events.next(timeout=5.0)  # waits on the eventfd the library signals
            print("event: record %s added" % e.record_id)

        record = group.get_record(record_id)
        print("record: version %d, %d bytes: %s" % (record.version, len(record.data), record.data.decode()))
        print("signed by:", record.modified_by)

    try:
        lib.group_open(identity, "0.no-such-group")
    except p2p.NotFoundError as e:
        print("as expected:", e.name)
print("p2p", p2p.__version__)
print("done")
