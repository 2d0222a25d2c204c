//go:build linux

package cabi

import (
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// TestTwoRuntimes loads the library into this Go test binary, so the
// process runs two Go runtimes (the test's, with the race detector, and
// the library's). It hammers the library from several goroutines (so from
// several OS threads the library has never seen) while both runtimes
// collect garbage and the library's own goroutines signal an eventfd,
// and requires every call to succeed.
func TestTwoRuntimes(t *testing.T) {
	run(t, func(c *client) {
		l := c.lib
		c.startup()
		me := c.identity("stress", "Stress")
		g, _ := c.group(me, "stress", "Stress")
		fd := c.eventfd()
		reg := cnew[PeerGroupEventRegistration](c)
		reg.EventType = evRecordChanged
		var he Handle
		c.ok(l.PeerGroupRegisterEvent(g, Handle(fd), 1, reg, &he), "PeerGroupRegisterEvent")
		workers := max(4, 2*runtime.NumCPU())
		var wg sync.WaitGroup
		errs := make(chan string, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread() // a fresh thread per worker, as C programs have
				day := time.Now().Add(24 * time.Hour)
				for i := 0; i < 50; i++ {
					var id GUID
					if h := l.PeerGroupAddRecord(g, c.newRecord(typeA, "x", "", day), &id); h != sOK {
						errs <- "PeerGroupAddRecord: " + h.String()
						return
					}
					var rec *PeerRecord
					if h := l.PeerGroupGetRecord(g, &id, &rec); h != sOK || rec.ID != id {
						errs <- "PeerGroupGetRecord: " + h.String()
						return
					}
					l.PeerFreeData(unsafe.Pointer(rec))
					if i%10 == 0 {
						runtime.GC()
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		var e Handle
		c.ok(l.PeerGroupEnumRecords(g, nil, &e), "PeerGroupEnumRecords")
		c.check(len(c.records(e)) == workers*50, "records after the stress")
		c.check(fd.wait(time.Second) > 0, "the eventfd was not signalled")
		added := 0
		for {
			e, ok := c.nextEvent(he, fd, 0)
			if !ok {
				break
			}
			if e.change == recordAdded {
				added++
			}
		}
		c.check(added == workers*50, "%d RECORD_CHANGED ADDED events, want %d", added, workers*50)
		c.ok(l.PeerGroupUnregisterEvent(he), "PeerGroupUnregisterEvent")
		c.ok(l.PeerGroupClose(g), "PeerGroupClose")
	})
}
