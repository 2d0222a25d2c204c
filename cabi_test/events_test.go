//go:build linux

package cabi

import (
	"os"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestEventCalls: PeerGroupRegisterEvent, PeerGroupGetEventData and
// PeerGroupUnregisterEvent, with an eventfd and a pipe as the HANDLE.
func TestEventCalls(t *testing.T) {
	run(t, func(c *client) {
		l := c.lib
		c.startup()
		alice := c.identity("alice", "Alice")
		g, _ := c.group(alice, "events", "Events")
		day := time.Now().Add(24 * time.Hour)

		// Registration 1 (eventfd): records of type A only, and properties.
		fd := c.eventfd()
		regs := cnew[[2]PeerGroupEventRegistration](c)[:]
		regs[0] = PeerGroupEventRegistration{EventType: evRecordChanged, Type: c.guidPtr(typeA)}
		regs[1] = PeerGroupEventRegistration{EventType: evPropertyChanged}
		var he Handle
		c.ok(l.PeerGroupRegisterEvent(g, Handle(fd), 2, &regs[0], &he), "PeerGroupRegisterEvent(eventfd)")
		c.check(he != 0, "no HPEEREVENT")

		// Registration 2 (a pipe's write end): every record change.
		var pfd [2]int
		if err := unix.Pipe2(pfd[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(pfd[0])
		defer unix.Close(pfd[1])
		all := cnew[PeerGroupEventRegistration](c)
		all.EventType = evRecordChanged
		var he2 Handle
		c.ok(l.PeerGroupRegisterEvent(g, Handle(pfd[1]), 1, all, &he2), "PeerGroupRegisterEvent(pipe)")
		c.check(he2 != he, "two registrations share a handle")

		// Nothing is queued yet.
		var d *PeerGroupEventData
		c.expect(l.PeerGroupGetEventData(he, &d), peerSNoEventData, "PeerGroupGetEventData on an empty queue")
		c.check(d == nil, "PEER_S_NO_EVENT_DATA with data")

		// A type A record: both registrations see it, each fd is signalled.
		var ra GUID
		c.ok(l.PeerGroupAddRecord(g, c.newRecord(typeA, "a", "", day), &ra), "PeerGroupAddRecord(type A)")
		c.check(fd.wait(5*time.Second) > 0, "the eventfd was not signalled after PeerGroupAddRecord")
		e, ok := c.nextEvent(he, fd, 0)
		c.check(ok && e.typ == evRecordChanged && e.change == recordAdded && e.recordID == ra && e.recordType == typeA,
			"event %+v, want RECORD_CHANGED ADDED %v", e, ra)
		c.expect(l.PeerGroupGetEventData(he, &d), peerSNoEventData, "the queue after one event")
		c.check(pipeWait(pfd[0], 5*time.Second), "the pipe was not written after PeerGroupAddRecord")
		e, ok = c.nextEvent(he2, eventFD(pfd[0]), 0)
		c.check(ok && e.change == recordAdded && e.recordID == ra, "pipe registration: %+v", e)

		// A type B record: only the unfiltered registration sees it.
		var rb GUID
		c.ok(l.PeerGroupAddRecord(g, c.newRecord(typeB, "b", "", day), &rb), "PeerGroupAddRecord(type B)")
		e = c.waitEvent(he2, eventFD(pfd[0]), 5*time.Second, "RECORD_CHANGED for type B", func(e event) bool { return e.recordID == rb })
		c.check(e.recordType == typeB && e.change == recordAdded, "type B event %+v", e)
		c.expect(l.PeerGroupGetEventData(he, &d), peerSNoEventData, "the type A registration after a type B record")

		// Update, delete and a property change, in order.
		up := c.newRecord(typeA, "a2", "", day)
		up.ID = ra
		c.ok(l.PeerGroupUpdateRecord(g, up), "PeerGroupUpdateRecord")
		c.ok(l.PeerGroupDeleteRecord(g, &ra), "PeerGroupDeleteRecord")
		var gp *PeerGroupProperties
		c.ok(l.PeerGroupGetProperties(g, &gp), "PeerGroupGetProperties")
		set := cnew[PeerGroupProperties](c)
		*set = *gp
		set.FriendlyName = c.w("Renamed")
		c.ok(l.PeerGroupSetProperties(g, set), "PeerGroupSetProperties")
		l.PeerFreeData(unsafe.Pointer(gp))
		for _, want := range []struct {
			typ    int32
			change int32
		}{{evRecordChanged, recordUpdated}, {evRecordChanged, recordDeleted}, {evPropertyChanged, 0}} {
			e, ok := c.nextEvent(he, fd, 5*time.Second)
			c.check(ok && e.typ == want.typ && e.change == want.change, "event %+v, want type %d change %d", e, want.typ, want.change)
			if e.typ == evRecordChanged {
				c.check(e.recordID == ra && e.recordType == typeA, "event for %v", e.recordID)
			}
		}
		c.expect(l.PeerGroupGetEventData(he, &d), peerSNoEventData, "the queue after draining")

		// Argument checks.
		var h Handle
		c.expect(l.PeerGroupRegisterEvent(g, Handle(fd), 0, &regs[0], &h), eInvalidArg, "PeerGroupRegisterEvent with 0 registrations")
		c.expect(l.PeerGroupRegisterEvent(g, Handle(fd), 1, nil, &h), eInvalidArg, "PeerGroupRegisterEvent(g, fd, 1, NULL, &h)")
		c.expect(l.PeerGroupRegisterEvent(g, Handle(fd), 1, &regs[0], nil), eInvalidArg, "PeerGroupRegisterEvent(..., NULL)")
		badType := cnew[PeerGroupEventRegistration](c)
		badType.EventType = 7 // not a PEER_GROUP_EVENT_TYPE
		c.expect(l.PeerGroupRegisterEvent(g, Handle(fd), 1, badType, &h), eInvalidArg, "PeerGroupRegisterEvent(event type 7)")
		c.expect(l.PeerGroupRegisterEvent(g, 0, 1, &regs[0], &h), eInvalidArg, "PeerGroupRegisterEvent(NULL HANDLE)")
		f, err := os.CreateTemp(c.TempDir(), "regular")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c.expect(l.PeerGroupRegisterEvent(g, Handle(f.Fd()), 1, &regs[0], &h), eInvalidArg, "PeerGroupRegisterEvent(a regular file)")
		c.expect(l.PeerGroupGetEventData(he, nil), eInvalidArg, "PeerGroupGetEventData(he, NULL)")
		for _, bad := range []Handle{0, 0xdeadbeef, he} {
			c.expect(l.PeerGroupRegisterEvent(bad, Handle(fd), 1, &regs[0], &h), eHandle, "PeerGroupRegisterEvent(bad HGROUP)")
		}
		// An unknown HPEEREVENT is PEER_E_EVENT_HANDLE_NOT_FOUND, as the
		// PeerGroupUnregisterEvent page documents.
		for _, bad := range []Handle{0, 0xdeadbeef, g} {
			c.expect(l.PeerGroupGetEventData(bad, &d), peerEEventHandleNF, "PeerGroupGetEventData(bad HPEEREVENT)")
			c.expect(l.PeerGroupUnregisterEvent(bad), peerEEventHandleNF, "PeerGroupUnregisterEvent(bad HPEEREVENT)")
		}

		// Unregister: the handle is gone, the other registration still works.
		fd.wait(0) // drop the wake-ups of the events already read
		c.ok(l.PeerGroupUnregisterEvent(he), "PeerGroupUnregisterEvent")
		c.expect(l.PeerGroupUnregisterEvent(he), peerEEventHandleNF, "PeerGroupUnregisterEvent twice")
		c.expect(l.PeerGroupGetEventData(he, &d), peerEEventHandleNF, "PeerGroupGetEventData after unregister")
		for {
			if _, ok := c.nextEvent(he2, eventFD(pfd[0]), 0); !ok {
				break
			}
		}
		var rc GUID
		c.ok(l.PeerGroupAddRecord(g, c.newRecord(typeA, "c", "", day), &rc), "PeerGroupAddRecord after unregister")
		c.waitEvent(he2, eventFD(pfd[0]), 5*time.Second, "RECORD_CHANGED on the remaining registration", func(e event) bool { return e.recordID == rc })
		c.check(fd.wait(200*time.Millisecond) == 0, "the unregistered eventfd was signalled")
		c.ok(l.PeerGroupUnregisterEvent(he2), "PeerGroupUnregisterEvent(he2)")
		c.ok(l.PeerGroupClose(g), "PeerGroupClose")
	})
}

// pipeWait waits for the read end of a pipe to be readable and drains it.
func pipeWait(fd int, d time.Duration) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if n, err := unix.Poll(pfd, int(d/time.Millisecond)); err != nil || n == 0 {
		return false
	}
	var buf [64]byte
	for {
		if n, err := unix.Read(fd, buf[:]); err != nil || n < len(buf) {
			return true
		}
	}
}
