#!/usr/bin/env python3
"""hello.py - an identity, a group and one record, through the Python bindings.

    P2P_HOME=/tmp/hello-home python3 examples/python/hello.py

The bindings (bindings/python/p2p.py) find the library through $P2P_LIB,
next to the module, or in the repository's build/ directory. Everything
here is offline. P2P_HOME must be set before Python starts: the library
reads it from the environment the process started with.
"""

import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "bindings", "python"))
import p2p  # noqa: E402

# The type of this program's records: any GUID the application chooses.
NOTE = uuid.UUID("9f6a7c10-5b1e-4d7e-a12c-68656c6c6f21")

lib = p2p.Library()
with lib.startup():
    identity = lib.identity_create("hello", "Hello example")
    print("identity:", identity)

    with lib.group_create(identity, "greetings", "Greetings") as group:
        print("group:", group.peer_name)

        with p2p.EventHandle() as event, group.register_event(event, [p2p.PEER_GROUP_EVENT_RECORD_CHANGED]) as events:
            record_id = group.add_record(NOTE, "Hello, group! ✓".encode(), hours=1)
            for e in events.wait(5.0):
                print("event: record %s added" % e.record_id)

        record = group.get_record(record_id)
        print("record: version %d, %d bytes: %s" % (record.version, len(record.data), record.data.decode()))
        print("signed by:", record.modified_by)

    try:
        lib.group_open(identity, "0.no-such-group")
    except p2p.PeerError as e:
        print("as expected:", e.name)
print("done")
