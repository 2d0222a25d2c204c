package session

import (
	"bytes"
	"encoding/gob"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/peererr"
	"p2p/core/record"
)

// These tests run a real group engine (in a temporary directory) as a
// Local session, serve it with Listen and attach to it with Dial, all in
// one process: the Remote must behave like the Local it reaches. The wire
// tests write to the socket directly (raw connections) or play the host
// themselves (fakeHost) to reach what a well-behaved peer never does.

var (
	appType   = uuid.MustParse("5b0f3c2e-8a61-4d1e-9f0a-3c7d2e1b4a69")
	otherType = uuid.MustParse("e3a1d7c4-2b5f-4e80-8d6a-91f0c2b3a4d5")
)

// wait is how long any test waits for something that should happen at
// once; a timeout is a failure, never a pass.
const wait = 10 * time.Second

// host is one hosted group: an engine served as a Local session on a
// socket, with the number of times the server reported a client leaving.
type host struct {
	id       *identity.Identity
	dir      string // the group's directory
	local    *Local
	srv      *Server
	path     string
	detached atomic.Int32
}

// newHost creates an identity and a group in a temporary directory and
// serves the group at SocketPath of its directory. Cleanup closes the
// server, then the engine.
func newHost(t *testing.T) *host {
	t.Helper()
	dir := t.TempDir()
	ids, err := identity.OpenStore(filepath.Join(dir, "identities"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := ids.Create("", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	gdir := filepath.Join(dir, "group")
	e, err := group.Create(id, group.Properties{FriendlyName: "Team", Classifier: "team"},
		func(string) string { return filepath.Join(gdir, "group.db") })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	path, err := Endpoint(gdir)
	if err != nil {
		t.Fatal(err)
	}
	h := &host{id: id, dir: gdir, local: &Local{E: e}, path: path}
	h.srv, err = Listen(path, h.local, id.PeerName, func() { h.detached.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.srv.Close() })
	return h
}

// dial attaches a Remote to the host; it is closed when the test ends.
func (h *host) dial(t *testing.T) *Remote {
	t.Helper()
	r, err := Dial(h.path, h.id.PeerName, h.local.E.GroupPeerName())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// waitFor polls cond until it holds, failing the test after wait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// within runs fn and fails the test if it does not return in time (a
// call that hangs is the failure these tests look for).
func within[T any](t *testing.T, what string, fn func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- fn() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("%s did not return within %v", what, wait)
		panic("unreachable")
	}
}

func newRecord(data string) group.NewRecord {
	return group.NewRecord{Type: appType, Expires: filetime.Now().Add(time.Hour), Data: []byte(data)}
}

// sortedIDs returns ids sorted, for comparing lists.
func sortedIDs(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// sameRecord fails unless a and b are the same version of one record.
func sameRecord(t *testing.T, a, b *record.Record) {
	t.Helper()
	if a == nil || b == nil {
		t.Fatalf("record missing: %v, %v", a, b)
	}
	if a.ID != b.ID || a.Type != b.Type || a.Version != b.Version || a.Flags != b.Flags ||
		a.CreatorID != b.CreatorID || a.ModifiedByID != b.ModifiedByID || a.Attributes != b.Attributes ||
		a.Created != b.Created || a.Expires != b.Expires || a.Modified != b.Modified ||
		!bytes.Equal(a.Data, b.Data) || !bytes.Equal(a.Signature, b.Signature) {
		t.Fatalf("records differ:\n%+v\n%+v", a, b)
	}
}

// TestRemoteRecordsMatchLocal proves that records written through either
// session are read back identically through the other: add, add many,
// update, delete, list and search.
func TestRemoteRecordsMatchLocal(t *testing.T) {
	h := newHost(t)
	r := h.dial(t)

	viaRemote, err := r.AddRecord(newRecord("from remote"))
	if err != nil {
		t.Fatalf("remote add: %v", err)
	}
	got, err := h.local.GetRecord(viaRemote)
	if err != nil {
		t.Fatalf("local get of the remote's record: %v", err)
	}
	if string(got.Data) != "from remote" || got.CreatorID != h.id.PeerName || got.Version != 1 {
		t.Fatalf("local sees %+v", got)
	}
	if !got.Verify(h.local.E.GroupPeerName(), h.id.PublicKey()) {
		t.Fatal("record added through the remote does not verify with the identity's key")
	}

	viaLocal, err := h.local.AddRecord(newRecord("from local"))
	if err != nil {
		t.Fatal(err)
	}
	rr, err := r.GetRecord(viaLocal)
	if err != nil {
		t.Fatalf("remote get of the local's record: %v", err)
	}
	lr, _ := h.local.GetRecord(viaLocal)
	sameRecord(t, lr, rr)

	many, err := r.AddRecords([]group.NewRecord{newRecord("m1"), newRecord("m2"),
		{Type: otherType, Expires: filetime.Now().Add(time.Hour), Data: []byte("m3"), Attributes: `<attributes><attribute name="color" type="string">red</attribute></attributes>`}})
	if err != nil || len(many) != 3 {
		t.Fatalf("remote add many: %v, %v", many, err)
	}

	// Lists agree, with and without a type.
	for _, typ := range []*uuid.UUID{nil, &appType, &otherType} {
		li, err1 := h.local.RecordIDs(typ)
		ri, err2 := r.RecordIDs(typ)
		if err1 != nil || err2 != nil {
			t.Fatalf("record ids: %v, %v", err1, err2)
		}
		if !slices.Equal(sortedIDs(li), sortedIDs(ri)) {
			t.Fatalf("type %v: local lists %v, remote %v", typ, li, ri)
		}
	}
	all, _ := r.RecordIDs(nil)
	if want := sortedIDs([]uuid.UUID{viaRemote, viaLocal, many[0], many[1], many[2]}); !slices.Equal(sortedIDs(all), want) {
		t.Fatalf("remote lists %v, want %v", all, want)
	}
	found, err := r.SearchRecords(`<peersearch><clause attrib="color" type="string" compare="equal">red</clause></peersearch>`)
	if err != nil || !slices.Equal(found, []uuid.UUID{many[2]}) {
		t.Fatalf("remote search: %v, %v (want %v)", found, err, many[2])
	}

	// Update through the remote, read through the local.
	up := newRecord("updated remotely")
	up.ID = viaLocal
	if err := r.UpdateRecord(up); err != nil {
		t.Fatalf("remote update: %v", err)
	}
	lr, err = h.local.GetRecord(viaLocal)
	if err != nil || string(lr.Data) != "updated remotely" || lr.Version != 2 {
		t.Fatalf("local after remote update: %+v, %v", lr, err)
	}
	rr, _ = r.GetRecord(viaLocal)
	sameRecord(t, lr, rr)

	// Delete through each side; the other no longer finds it.
	if err := r.DeleteRecord(viaLocal); err != nil {
		t.Fatalf("remote delete: %v", err)
	}
	if _, err := h.local.GetRecord(viaLocal); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Fatalf("local get after remote delete: %v", err)
	}
	if err := h.local.DeleteRecord(viaRemote); err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetRecord(viaRemote); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Fatalf("remote get after local delete: %v", err)
	}
	ri, _ := r.RecordIDs(nil)
	if want := sortedIDs(many); !slices.Equal(sortedIDs(ri), want) {
		t.Fatalf("remote lists %v after deletes, want %v", ri, want)
	}
}

// TestRemotePropertiesRoundTrip proves that properties set through either
// session are what the other returns, and that the remote reads the same
// status, readiness and members as the local.
func TestRemotePropertiesRoundTrip(t *testing.T) {
	h := newHost(t)
	r := h.dial(t)

	lp, err := h.local.Properties()
	if err != nil {
		t.Fatal(err)
	}
	rp, err := r.Properties()
	if err != nil {
		t.Fatalf("remote properties: %v", err)
	}
	if rp != lp {
		t.Fatalf("remote properties %+v, local %+v", rp, lp)
	}
	if rp.FriendlyName != "Team" || rp.CreatorPeerName != h.id.PeerName {
		t.Fatalf("unexpected properties %+v", rp)
	}

	rp.FriendlyName, rp.Comment = "Renamed", "set remotely"
	if err := r.SetProperties(rp); err != nil {
		t.Fatalf("remote set properties: %v", err)
	}
	lp, _ = h.local.Properties()
	if lp.FriendlyName != "Renamed" || lp.Comment != "set remotely" {
		t.Fatalf("local after remote set: %+v", lp)
	}

	lp.Comment = "set locally"
	lp.Flags = group.FlagDeferExpiration
	if err := h.local.SetProperties(lp); err != nil {
		t.Fatal(err)
	}
	rp, _ = r.Properties()
	if rp.Comment != "set locally" || rp.Flags != group.FlagDeferExpiration || rp.FriendlyName != "Renamed" {
		t.Fatalf("remote after local set: %+v", rp)
	}

	if r.Status() != h.local.Status() || r.LastStatus() != h.local.Status() {
		t.Fatalf("status: remote %#x (last %#x), local %#x", r.Status(), r.LastStatus(), h.local.Status())
	}
	if !r.Ready() || !h.local.Ready() {
		t.Fatal("the creator's group is not ready through both sessions")
	}
	lm, err1 := h.local.Members(0, "")
	rm, err2 := r.Members(0, "")
	if err1 != nil || err2 != nil || len(lm) != 1 || len(rm) != 1 || rm[0].PeerName != h.id.PeerName {
		t.Fatalf("members: local %+v (%v), remote %+v (%v)", lm, err1, rm, err2)
	}
	lc, err1 := h.local.Config()
	rc, err2 := r.Config()
	if err1 != nil || err2 != nil || rc == nil || rc.GroupPeerName != lc.GroupPeerName ||
		!bytes.Equal(rc.Chain, lc.Chain) || !bytes.Equal(rc.GroupKey, lc.GroupKey) || len(rc.Records) != len(lc.Records) {
		t.Fatalf("config: local %+v (%v), remote %+v (%v)", lc, err1, rc, err2)
	}
	now := filetime.Now()
	lt, err1 := h.local.PeerTimeToUniversal(now)
	rt, err2 := r.PeerTimeToUniversal(now)
	if err1 != nil || err2 != nil || lt != rt {
		t.Fatalf("peer time to universal: local %v (%v), remote %v (%v)", lt, err1, rt, err2)
	}
}

// TestRemoteErrorsKeepHRESULT proves that an engine error comes back
// through the Remote with the same HRESULT (errors.Is works on the table
// entry) and the local error's text, for a range of failures.
func TestRemoteErrorsKeepHRESULT(t *testing.T) {
	h := newHost(t)
	r := h.dial(t)
	unknown := uuid.New()
	props, _ := h.local.Properties()
	badProps := props
	badProps.Classifier = "other"

	cases := []struct {
		name string
		want *peererr.Code
		call func(s Session) error
	}{
		{"get unknown record", peererr.ErrRecordNotFound, func(s Session) error { _, err := s.GetRecord(unknown); return err }},
		{"delete unknown record", peererr.ErrRecordNotFound, func(s Session) error { return s.DeleteRecord(unknown) }},
		{"update unknown record", peererr.ErrRecordNotFound, func(s Session) error {
			n := newRecord("x")
			n.ID = unknown
			return s.UpdateRecord(n)
		}},
		{"add record of nil type", peererr.ErrInvalidArg, func(s Session) error {
			_, err := s.AddRecord(group.NewRecord{Expires: filetime.Now().Add(time.Hour)})
			return err
		}},
		{"add expired record", peererr.ErrInvalidRecordExpiration, func(s Session) error {
			_, err := s.AddRecord(group.NewRecord{Type: appType, Expires: filetime.Now().Add(-time.Hour)})
			return err
		}},
		{"add many with one bad", peererr.ErrInvalidArg, func(s Session) error {
			_, err := s.AddRecords([]group.NewRecord{newRecord("ok"), {Expires: filetime.Now().Add(time.Hour)}})
			return err
		}},
		{"change classifier", peererr.ErrInvalidGroupProperties, func(s Session) error { return s.SetProperties(badProps) }},
		{"bad connection flags", peererr.ErrInvalidArg, func(s Session) error { _, err := s.Connections(0x100); return err }},
		{"bad member flags", peererr.ErrInvalidArg, func(s Session) error { _, err := s.Members(0x100, ""); return err }},
		{"direct connection offline", peererr.ErrGroupNotReady, func(s Session) error {
			_, err := s.OpenDirectConnection(h.id.PeerName, netip.AddrPort{})
			return err
		}},
		{"send offline", peererr.ErrConnectionNotFound, func(s Session) error { return s.SendData(1, appType, []byte("x")) }},
		{"close direct offline", peererr.ErrConnectionNotFound, func(s Session) error { return s.CloseDirectConnection(1) }},
		{"resume password offline", peererr.ErrGroupNotReady, func(s Session) error { return s.ResumePasswordAuthentication() }},
		{"bad search", peererr.ErrInvalidSearch, func(s Session) error {
			_, err := s.SearchRecords(`<peersearch><clause attrib="n" type="int" compare="sideways">1</clause></peersearch>`)
			return err
		}},
		{"import missing file", nil, func(s Session) error { return s.ImportDatabase(filepath.Join(h.dir, "no-such-file")) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lerr := c.call(h.local)
			rerr := c.call(r)
			if lerr == nil || rerr == nil {
				t.Fatalf("want errors, got local %v, remote %v", lerr, rerr)
			}
			if c.want != nil && !errors.Is(lerr, c.want) {
				t.Fatalf("local error %v, want %s", lerr, c.want.Name)
			}
			lhr, rhr := peererr.HResult(lerr), peererr.HResult(rerr)
			if lhr != rhr {
				t.Fatalf("local HRESULT %#x (%v), remote %#x (%v)", lhr, lerr, rhr, rerr)
			}
			if !errors.Is(rerr, peererr.FromHR(lhr)) {
				t.Fatalf("remote error %v does not wrap %s", rerr, peererr.FromHR(lhr).Name)
			}
			if !strings.Contains(rerr.Error(), lerr.Error()) {
				t.Fatalf("remote error %q lost the local text %q", rerr, lerr)
			}
		})
	}
}

// waitEvent drains sub until an event matching match arrives, failing
// the test after wait.
func waitEvent(t *testing.T, sub *event.Subscription, wake <-chan struct{}, what string, match func(event.Event) bool) event.Event {
	t.Helper()
	timeout := time.After(wait)
	for {
		for {
			e, ok := sub.Next()
			if !ok {
				break
			}
			if match(e) {
				return e
			}
		}
		select {
		case <-wake:
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// recordEvent matches a RECORD_CHANGED event of one change to one record.
func recordEvent(id uuid.UUID, change uint32) func(event.Event) bool {
	return func(e event.Event) bool {
		return e.Type == event.RecordChanged && e.Record.RecordID == id && e.Record.Change == change
	}
}

// subscribe registers on s for filters, signalling a channel; cleanup
// ends the registration.
func subscribe(t *testing.T, s Session, filters ...event.Filter) (*event.Subscription, <-chan struct{}) {
	t.Helper()
	wake := make(chan struct{}, 1)
	sub := s.Subscribe(filters, chanSignaler(wake))
	t.Cleanup(sub.Close)
	return sub, wake
}

// TestRemoteReceivesRecordEvents proves that a registration on a Remote
// gets RECORD_CHANGED (added, updated, deleted) for records changed
// through the Local and through any Remote, with the record's type, and
// that its type filter holds.
func TestRemoteReceivesRecordEvents(t *testing.T) {
	h := newHost(t)
	r1 := h.dial(t)
	r2 := h.dial(t)
	sub, wake := subscribe(t, r1, event.Filter{Type: event.RecordChanged})
	typed, typedWake := subscribe(t, r1, event.Filter{Type: event.RecordChanged, DataType: &otherType})

	id, err := h.local.AddRecord(newRecord("local"))
	if err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, sub, wake, "RECORD_CHANGED for a record added locally", recordEvent(id, event.RecordAdded))
	if e.Record.RecordType != appType {
		t.Fatalf("event record type %v, want %v", e.Record.RecordType, appType)
	}

	id2, err := r2.AddRecord(newRecord("other remote"))
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, wake, "RECORD_CHANGED for a record added by another remote", recordEvent(id2, event.RecordAdded))

	id3, err := r1.AddRecords([]group.NewRecord{{Type: otherType, Expires: filetime.Now().Add(time.Hour), Data: []byte("typed")}})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, wake, "RECORD_CHANGED for the remote's own record", recordEvent(id3[0], event.RecordAdded))
	e = waitEvent(t, typed, typedWake, "RECORD_CHANGED on the typed registration", func(e event.Event) bool { return e.Type == event.RecordChanged })
	if e.Record.RecordID != id3[0] {
		// The typed registration must not have queued the appType records
		// added before: its first event is the otherType one.
		t.Fatalf("registration for type %v got an event for %v (type %v)", otherType, e.Record.RecordID, e.Record.RecordType)
	}

	up := newRecord("changed")
	up.ID = id
	if err := r2.UpdateRecord(up); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, wake, "RECORD_CHANGED (updated)", recordEvent(id, event.RecordUpdated))
	if err := h.local.DeleteRecord(id); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, wake, "RECORD_CHANGED (deleted)", recordEvent(id, event.RecordDeleted))
}

// TestRemotePropertyChangedEvent proves that events other than record
// changes are relayed too: PROPERTY_CHANGED after a change made through
// the Local reaches a Remote's registration.
func TestRemotePropertyChangedEvent(t *testing.T) {
	h := newHost(t)
	r := h.dial(t)
	sub, wake := subscribe(t, r, event.Filter{Type: event.PropertyChanged})
	p, _ := h.local.Properties()
	p.Comment = "new comment"
	if err := h.local.SetProperties(p); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, wake, "PROPERTY_CHANGED", func(e event.Event) bool { return e.Type == event.PropertyChanged })
}

// TestConcurrentRemoteCalls proves that many calls in flight on one
// Remote each get their own response: every goroutine's record id reads
// back its own data.
func TestConcurrentRemoteCalls(t *testing.T) {
	h := newHost(t)
	r := h.dial(t)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	var mu sync.Mutex
	seen := map[uuid.UUID]string{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				data := "w" + string(rune('a'+w)) + "-" + string(rune('a'+i))
				id, err := r.AddRecord(newRecord(data))
				if err != nil {
					errs <- err
					return
				}
				got, err := r.GetRecord(id)
				if err != nil {
					errs <- err
					return
				}
				if got == nil || string(got.Data) != data {
					errs <- errors.New("record " + id.String() + " does not hold " + data)
					return
				}
				mu.Lock()
				seen[id] = data
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != workers*each {
		t.Fatalf("%d distinct ids, want %d", len(seen), workers*each)
	}
	ids, _ := h.local.RecordIDs(nil)
	if len(ids) != workers*each {
		t.Fatalf("local lists %d records, want %d", len(ids), workers*each)
	}
}

// TestClientsAndDetach proves that Clients counts attached processes and
// that Remote.Close detaches: the count goes down and the detached
// callback runs once per client that left; the host keeps working.
func TestClientsAndDetach(t *testing.T) {
	h := newHost(t)
	if n := h.srv.Clients(); n != 0 {
		t.Fatalf("%d clients before any dial", n)
	}
	r1 := h.dial(t)
	r2 := h.dial(t)
	if n := h.srv.Clients(); n != 2 {
		t.Fatalf("%d clients after two dials, want 2", n)
	}
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r1.Lost():
	default:
		t.Fatal("Lost not closed after Close returned")
	}
	if !r1.Closing() {
		t.Fatal("Closing is false after Close")
	}
	waitFor(t, "one client to remain", func() bool { return h.srv.Clients() == 1 })
	waitFor(t, "the detached callback", func() bool { return h.detached.Load() == 1 })
	if _, err := r1.RecordIDs(nil); !errors.Is(err, ErrHostLost) {
		t.Fatalf("call on a closed remote: %v, want ErrHostLost", err)
	}
	if _, err := r2.AddRecord(newRecord("still attached")); err != nil {
		t.Fatalf("the other remote after one left: %v", err)
	}
	if err := r2.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "no clients", func() bool { return h.srv.Clients() == 0 })
	waitFor(t, "the second detached callback", func() bool { return h.detached.Load() == 2 })
	if !r2.Closing() {
		t.Fatal("Closing is false after Close")
	}
	if _, err := h.local.AddRecord(newRecord("host alone")); err != nil {
		t.Fatalf("host after every client left: %v", err)
	}
	if err := r1.Close(); err != nil { // a second Close is harmless
		t.Fatal(err)
	}
	if got := h.detached.Load(); got != 2 {
		t.Fatalf("detached called %d times, want 2", got)
	}
}

// TestServerCloseLosesRemotes proves that closing the server closes every
// Remote's Lost channel (and not as if the remote closed itself), that
// calls afterwards fail with ErrHostLost instead of hanging, that the
// socket file is removed, and that the detached callback is not used for
// clients the server itself dropped.
func TestServerCloseLosesRemotes(t *testing.T) {
	h := newHost(t)
	r1 := h.dial(t)
	r2 := h.dial(t)
	if err := within(t, "Server.Close", h.srv.Close); err != nil {
		t.Fatalf("server close: %v", err)
	}
	for i, r := range []*Remote{r1, r2} {
		select {
		case <-r.Lost():
		case <-time.After(wait):
			t.Fatalf("remote %d: Lost not closed after the server closed", i)
		}
		if r.Closing() {
			t.Fatalf("remote %d reports Closing though the host went away", i)
		}
		err := within(t, "a call after the host went away", func() error { _, err := r.GetRecord(uuid.New()); return err })
		if !errors.Is(err, ErrHostLost) || !errors.Is(err, peererr.ErrServiceNotAvailable) {
			t.Fatalf("remote %d: call after host loss: %v, want ErrHostLost", i, err)
		}
		err = within(t, "an add after the host went away", func() error { _, err := r.AddRecord(newRecord("x")); return err })
		if !errors.Is(err, ErrHostLost) {
			t.Fatalf("remote %d: add after host loss: %v, want ErrHostLost", i, err)
		}
	}
	if h.srv.Clients() != 0 {
		t.Fatalf("%d clients after close", h.srv.Clients())
	}
	if _, err := os.Lstat(h.path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket file after close: %v", err)
	}
	if _, err := Dial(h.path, h.id.PeerName, h.local.E.GroupPeerName()); err == nil {
		t.Fatal("dial succeeded after the server closed")
	}
	if n := h.detached.Load(); n != 0 {
		t.Fatalf("detached called %d times for clients the server dropped", n)
	}
	// The engine was not the server's to close.
	if _, err := h.local.AddRecord(newRecord("host")); err != nil {
		t.Fatalf("local session after server close: %v", err)
	}
	within(t, "Remote.Close after host loss", func() error { return r1.Close() })
}

// TestDialRefusals proves that Dial fails for a wrong identity or group
// (E_ACCESSDENIED, no client counted) and when nobody listens.
func TestDialRefusals(t *testing.T) {
	h := newHost(t)
	group := h.local.E.GroupPeerName()
	for _, c := range []struct{ name, identity, group string }{
		{"wrong identity", "0123456789abcdef0123456789abcdef01234567.Bob", group},
		{"wrong group", h.id.PeerName, "0123456789abcdef0123456789abcdef01234567.other"},
		{"empty", "", ""},
	} {
		r, err := Dial(h.path, c.identity, c.group)
		if err == nil {
			r.Close()
			t.Fatalf("%s: dial succeeded", c.name)
		}
		if !errors.Is(err, peererr.ErrAccessDenied) {
			t.Fatalf("%s: %v, want E_ACCESSDENIED", c.name, err)
		}
	}
	if n := h.srv.Clients(); n != 0 {
		t.Fatalf("%d clients after refused dials", n)
	}
	if _, err := Dial(unusedEndpoint(t), h.id.PeerName, group); err == nil {
		t.Fatal("dial of a missing socket succeeded")
	}
	h.dial(t) // the host still accepts the right one
	if h.detached.Load() != 0 {
		t.Fatal("a refused dial was reported as a client leaving")
	}
}

// rawConn opens a connection to the host's socket that the test writes
// to directly, closed at cleanup.
func rawConn(t *testing.T, h *host) net.Conn {
	t.Helper()
	c, err := rawDial(h.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wantDropped fails unless the server closes c (the read sees the end of
// the stream rather than the deadline).
func wantDropped(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue // whatever was answered before the garbage
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server kept a connection that sent garbage")
		}
		return // EOF or reset: dropped
	}
}

// hello attaches a raw client by hand: it sends the hello on c and reads
// the answer, returning the codec and the client's token.
func hello(t *testing.T, h *host, c net.Conn) (*codec, uint64) {
	t.Helper()
	cc := newCodec(c)
	if err := cc.send(helloMsg(1, h.id.PeerName, h.local.E.GroupPeerName(), protoVersion)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	m, err := cc.recv()
	c.SetReadDeadline(time.Time{})
	welcome, ok := bodyOf[helloResp](m)
	if err != nil || errOf(m) != nil || !ok || welcome.Token == 0 {
		t.Fatalf("hello: %+v, %v", m, err)
	}
	return cc, welcome.Token
}

// helloMsg is a client's first message on a calls connection.
func helloMsg(id uint64, identity, group string, version uint32) *msg {
	return &msg{ID: id, Op: opHello, Body: payload[helloReq]{helloReq{Identity: identity, Group: group, Version: version}}}
}

// eventsMsg is a client's first message on an events connection.
func eventsMsg(token uint64) *msg {
	return &msg{Op: opEvents, Body: payload[eventsReq]{eventsReq{Token: token}}}
}

// gobOf is v gob-encoded, as a fresh encoder sends it.
func gobOf(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// garbage is what a confused or hostile client might send instead of
// msgs; each must end in the server dropping the connection.
func garbage(t *testing.T) map[string][]byte {
	return map[string][]byte{
		"text":             append([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), bytes.Repeat([]byte("x"), 300)...),
		"huge length":      {0xf8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"zeros":            make([]byte, 300),
		"0xff":             bytes.Repeat([]byte{0xff}, 300),
		"gob of a string":  gobOf(t, "hello"),
		"gob of a map":     gobOf(t, map[string]int{"Op": 1}),
		"bad msg field":    gobOf(t, struct{ Op int }{7}),
		"length past data": {0x40, 0x01, 0x02},
	}
}

// TestGarbageBeforeHelloIsDropped proves that a connection whose first
// bytes are not a msg (including a length prefix that promises more than
// is sent) is dropped, counts as no client, and leaves an attached Remote
// and new attachments working.
func TestGarbageBeforeHelloIsDropped(t *testing.T) {
	h := newHost(t)
	r := h.dial(t)
	for name, g := range garbage(t) {
		t.Run(name, func(t *testing.T) {
			if name == "length past data" && !canHalfClose {
				t.Skip("the local endpoint cannot be half-closed here (named pipe): this case runs on POSIX")
			}
			c := rawConn(t, h)
			if _, err := c.Write(g); err != nil {
				t.Fatal(err)
			}
			if name == "length past data" {
				closeWrite(t, c) // the stream ends mid-message
			}
			wantDropped(t, c)
			if n := h.srv.Clients(); n != 1 {
				t.Fatalf("%d clients, want the one remote", n)
			}
			if _, err := r.AddRecord(newRecord(name)); err != nil {
				t.Fatalf("the attached remote after garbage: %v", err)
			}
		})
	}
	h.dial(t)
	if h.detached.Load() != 0 {
		t.Fatal("a connection that never attached was reported as detaching")
	}
}

// TestGarbageAfterHelloDropsClient proves that an attached client that
// sends garbage on its calls connection is dropped (counted out, detached
// reported) and that the other client keeps working.
func TestGarbageAfterHelloDropsClient(t *testing.T) {
	h := newHost(t)
	r := h.dial(t)
	want := int32(0)
	for name, g := range garbage(t) {
		t.Run(name, func(t *testing.T) {
			if name == "length past data" && !canHalfClose {
				t.Skip("the local endpoint cannot be half-closed here (named pipe): this case runs on POSIX")
			}
			c := rawConn(t, h)
			hello(t, h, c)
			if n := h.srv.Clients(); n != 2 {
				t.Fatalf("%d clients after the raw hello, want 2", n)
			}
			if _, err := c.Write(g); err != nil {
				t.Fatal(err)
			}
			if name == "length past data" {
				closeWrite(t, c)
			}
			wantDropped(t, c)
			want++
			waitFor(t, "the bad client to be counted out", func() bool { return h.srv.Clients() == 1 })
			waitFor(t, "the detached callback", func() bool { return h.detached.Load() == want })
			if _, err := r.AddRecord(newRecord(name)); err != nil {
				t.Fatalf("the other remote after garbage: %v", err)
			}
		})
	}
}

// TestTruncatedHelloIsDropped proves that a valid hello cut short by the
// end of the stream is dropped without attaching.
func TestTruncatedHelloIsDropped(t *testing.T) {
	if !canHalfClose {
		t.Skip("the local endpoint cannot be half-closed here (named pipe): this test runs on POSIX")
	}
	h := newHost(t)
	r := h.dial(t)
	whole := gobOf(t, helloMsg(1, h.id.PeerName, h.local.E.GroupPeerName(), protoVersion))
	for _, n := range []int{1, len(whole) / 2, len(whole) - 1} {
		c := rawConn(t, h)
		if _, err := c.Write(whole[:n]); err != nil {
			t.Fatal(err)
		}
		closeWrite(t, c)
		wantDropped(t, c)
		if got := h.srv.Clients(); got != 1 {
			t.Fatalf("hello cut at %d of %d bytes: %d clients, want 1", n, len(whole), got)
		}
	}
	if _, err := r.RecordIDs(nil); err != nil {
		t.Fatal(err)
	}
	// The whole message does attach, so the cuts were what failed.
	c := rawConn(t, h)
	hello(t, h, c)
}

// TestBadFirstMessagesAreRefused proves that the server closes a
// connection whose first msg is an unknown operation, a hello for another
// protocol version, or an events connection with an unknown or already
// used token, without counting a client.
func TestBadFirstMessagesAreRefused(t *testing.T) {
	h := newHost(t)
	r := h.dial(t)
	refuse := func(what string, m *msg) {
		t.Helper()
		c := rawConn(t, h)
		if err := newCodec(c).send(m); err != nil {
			t.Fatal(err)
		}
		wantDropped(t, c)
		if n := h.srv.Clients(); n != 1 {
			t.Fatalf("%s: %d clients, want 1", what, n)
		}
	}
	refuse("unknown operation", &msg{Op: "AddRecord", Body: payload[group.NewRecord]{}})
	refuse("unknown token", eventsMsg(12345))
	refuse("a later protocol version", helloMsg(0, h.id.PeerName, h.local.E.GroupPeerName(), protoVersion+1))

	// A second events connection for an attached client's token.
	c := rawConn(t, h)
	_, token := hello(t, h, c)
	ev := newCodec(rawConn(t, h))
	if err := ev.send(eventsMsg(token)); err != nil {
		t.Fatal(err)
	}
	if m, err := ev.recv(); err != nil || m.Op != opEvents {
		t.Fatalf("the events request was answered %+v, %v; want the subscription's acknowledgement", m, err)
	}
	dup := rawConn(t, h)
	if err := newCodec(dup).send(eventsMsg(token)); err != nil {
		t.Fatal(err)
	}
	wantDropped(t, dup)
	if _, err := r.RecordIDs(nil); err != nil {
		t.Fatal(err)
	}
}

// TestUnknownCallIsAnError proves that an attached client calling an
// operation the host does not know gets an error response (E_FAIL)
// matched to its request id, and stays attached.
func TestUnknownCallIsAnError(t *testing.T) {
	h := newHost(t)
	c := rawConn(t, h)
	cc, _ := hello(t, h, c)
	c.SetReadDeadline(time.Now().Add(wait))
	if err := cc.send(&msg{ID: 41, Op: "no-such-op"}); err != nil {
		t.Fatal(err)
	}
	m, err := cc.recv()
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != 41 || m.Code != peererr.ErrFail.HR || !strings.Contains(m.Text, "no-such-op") {
		t.Fatalf("answer %+v, want id 41 with E_FAIL", m)
	}
	if err := cc.send(&msg{ID: 42, Op: "RecordIDs", Body: payload[*uuid.UUID]{}}); err != nil {
		t.Fatal(err)
	}
	if m, err = cc.recv(); err != nil || m.ID != 42 || m.Code != 0 {
		t.Fatalf("next call: %+v, %v", m, err)
	}
	if n := h.srv.Clients(); n != 1 {
		t.Fatalf("%d clients, want 1", n)
	}
}

// fakeHost is the host's end of the protocol played by the test, to
// drive a Remote through what a real host does not do on demand: answers
// out of order, status pushes, dying in the middle of a call.
type fakeHost struct {
	calls, events *codec
}

// dialFake attaches a Remote to a fake host that answers the hello with
// status and a token, and returns both ends once the events connection
// is up too.
func dialFake(t *testing.T, status uint32) (*Remote, *fakeHost) {
	t.Helper()
	path, ln := fakeListener(t)
	t.Cleanup(func() { ln.Close() })
	const token = 77
	type result struct {
		f   *fakeHost
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f := &fakeHost{}
		c1, err := ln.Accept()
		if err != nil {
			ch <- result{err: err}
			return
		}
		f.calls = newCodec(c1)
		h, err := f.calls.recv()
		hr, ok := helloReq{}, false
		if err == nil {
			hr, ok = bodyOf[helloReq](h)
		}
		if err != nil || h.Op != opHello || !ok || hr.Identity != "me" || hr.Group != "the group" || hr.Version != protoVersion {
			ch <- result{err: errors.New("bad hello")}
			return
		}
		if err := f.calls.send(&msg{ID: h.ID, Body: payload[helloResp]{helloResp{Token: token, Status: status}}}); err != nil {
			ch <- result{err: err}
			return
		}
		c2, err := ln.Accept()
		if err != nil {
			ch <- result{err: err}
			return
		}
		f.events = newCodec(c2)
		if m, err := f.events.recv(); err != nil || m.Op != opEvents || m.Body != (payload[eventsReq]{eventsReq{Token: token}}) {
			ch <- result{err: errors.New("bad events request")}
			return
		}
		if err := f.events.send(&msg{Op: opEvents}); err != nil {
			ch <- result{err: err}
			return
		}
		ch <- result{f: f}
	}()
	r, err := Dial(path, "me", "the group")
	if err != nil {
		t.Fatalf("dial the fake host: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	res := within(t, "the fake host's accept", func() result { return <-ch })
	if res.err != nil {
		t.Fatalf("fake host: %v", res.err)
	}
	t.Cleanup(func() { res.f.calls.conn.Close(); res.f.events.conn.Close() })
	return r, res.f
}

// TestRemoteMatchesResponsesByID proves that a Remote hands each caller
// the response to its own request when the host answers out of order,
// and turns a response's code back into the same error.
func TestRemoteMatchesResponsesByID(t *testing.T) {
	r, f := dialFake(t, 0)
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	type got struct {
		rec *record.Record
		err error
	}
	results := make([]chan got, len(ids))
	for i, id := range ids {
		results[i] = make(chan got, 1)
		go func() {
			rec, err := r.GetRecord(id)
			results[i] <- got{rec, err}
		}()
	}
	var reqs []*msg
	for range ids {
		m := within(t, "a request at the fake host", func() *msg { m, _ := f.calls.recv(); return m })
		if m == nil || m.Op != "GetRecord" {
			t.Fatalf("fake host received %+v", m)
		}
		reqs = append(reqs, m)
	}
	// Answer last first; the one for ids[1] is an error.
	for i := len(reqs) - 1; i >= 0; i-- {
		m := reqs[i]
		id, _ := bodyOf[uuid.UUID](m)
		resp := &msg{ID: m.ID, Body: payload[*record.Record]{&record.Record{ID: id, Data: []byte("data of " + id.String())}}}
		if id == ids[1] {
			resp = respond(&msg{ID: m.ID}, errors.Join(errors.New("gone"), peererr.ErrRecordNotFound))
		}
		if err := f.calls.send(resp); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range ids {
		g := within(t, "a call's result", func() got { return <-results[i] })
		if i == 1 {
			if !errors.Is(g.err, peererr.ErrRecordNotFound) || !strings.Contains(g.err.Error(), "gone") {
				t.Fatalf("call %d: %v, want the host's PEER_E_RECORD_NOT_FOUND", i, g.err)
			}
			continue
		}
		if g.err != nil || g.rec == nil || g.rec.ID != id || string(g.rec.Data) != "data of "+id.String() {
			t.Fatalf("call %d for %v got %+v, %v", i, id, g.rec, g.err)
		}
	}
}

// TestRemoteStatusFromHost proves that LastStatus starts at the status
// the host gave in its hello, follows STATUS_CHANGED events (which are
// also relayed to registrations), and that INCOMING_DATA events reach a
// registration with their data.
func TestRemoteStatusFromHost(t *testing.T) {
	r, f := dialFake(t, group.StatusListening)
	if got := r.LastStatus(); got != group.StatusListening {
		t.Fatalf("LastStatus %#x after hello, want %#x", got, group.StatusListening)
	}
	sub, wake := subscribe(t, r, event.Filter{Type: event.StatusChanged}, event.Filter{Type: event.IncomingData, DataType: &appType})
	both := group.StatusListening | group.StatusHasConnections
	if err := f.events.send(&msg{Op: opEvent, Event: &event.Event{Type: event.StatusChanged, Status: both}}); err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, sub, wake, "STATUS_CHANGED", func(e event.Event) bool { return e.Type == event.StatusChanged })
	if e.Status != both || r.LastStatus() != both {
		t.Fatalf("event status %#x, LastStatus %#x, want %#x", e.Status, r.LastStatus(), both)
	}
	data := bytes.Repeat([]byte{1, 2, 3}, 1000)
	for _, typ := range []uuid.UUID{otherType, appType} {
		ev := &event.Event{Type: event.IncomingData, Data: event.Incoming{ConnectionID: 9, DataType: typ, Data: data}}
		if err := f.events.send(&msg{Op: opEvent, Event: ev}); err != nil {
			t.Fatal(err)
		}
	}
	e = waitEvent(t, sub, wake, "INCOMING_DATA", func(e event.Event) bool { return e.Type == event.IncomingData })
	if e.Data.DataType != appType || e.Data.ConnectionID != 9 || !bytes.Equal(e.Data.Data, data) {
		t.Fatalf("incoming data %+v", e.Data)
	}
	// Status asks the host and keeps what it says.
	go func() {
		if m, err := f.calls.recv(); err == nil && m.Op == "Status" {
			f.calls.send(&msg{ID: m.ID, Body: payload[uint32]{0}})
		}
	}()
	if got := within(t, "Status", r.Status); got != 0 || r.LastStatus() != 0 {
		t.Fatalf("Status %#x, LastStatus %#x, want 0", got, r.LastStatus())
	}
}

// TestRemoteHostDiesMidCall proves that a call in flight when the host
// goes away returns ErrHostLost instead of waiting for ever, and that
// Lost is closed without the Remote counting as closed by its user.
func TestRemoteHostDiesMidCall(t *testing.T) {
	for _, which := range []string{"calls", "events"} {
		t.Run(which+" connection", func(t *testing.T) {
			r, f := dialFake(t, 0)
			errc := make(chan error, 1)
			go func() { _, err := r.AddRecord(newRecord("x")); errc <- err }()
			m := within(t, "the request at the fake host", func() *msg { m, _ := f.calls.recv(); return m })
			if n, ok := bodyOf[group.NewRecord](m); m == nil || m.Op != "AddRecord" || !ok || string(n.Data) != "x" {
				t.Fatalf("fake host received %+v", m)
			}
			if which == "calls" {
				f.calls.conn.Close()
			} else {
				f.events.conn.Close() // the Remote treats either as the host gone
			}
			err := within(t, "the call in flight", func() error { return <-errc })
			if !errors.Is(err, ErrHostLost) {
				t.Fatalf("call in flight: %v, want ErrHostLost", err)
			}
			select {
			case <-r.Lost():
			case <-time.After(wait):
				t.Fatal("Lost not closed")
			}
			if r.Closing() {
				t.Fatal("Closing reports a host loss as the user's Close")
			}
			if r.Ready() {
				t.Fatal("Ready after the host went away")
			}
		})
	}
}

// Bugs these tests found, now fixed; each test below reproduces one.

// childEnv makes the test binary, started again by a test, run the part
// of that test that may crash the process.
const childEnv = "P2P_SESSION_TEST_CHILD"

// TestMalformedCallDoesNotCrashHost proves that a call whose
// payload is missing is answered with an error instead of bringing the
// host process down. It runs the host in a child process, since a
// regression would kill it.
func TestMalformedCallDoesNotCrashHost(t *testing.T) {
	if os.Getenv(childEnv) == "malformed-call" {
		malformedCallChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMalformedCallDoesNotCrashHost$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=malformed-call")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the host process did not survive calls without payload: %v\n%s", err, out)
	}
}

func malformedCallChild(t *testing.T) {
	h := newHost(t)
	c := rawConn(t, h)
	cc, _ := hello(t, h, c)
	c.SetReadDeadline(time.Now().Add(wait))
	for i, op := range []string{"AddRecord", "UpdateRecord", "SetProperties"} {
		id := uint64(10 + i)
		if err := cc.send(&msg{ID: id, Op: op}); err != nil {
			t.Fatal(err)
		}
		m, err := cc.recv()
		if err != nil {
			t.Fatalf("%s without payload: %v", op, err)
		}
		if m.ID != id || m.Code == 0 {
			t.Fatalf("%s without payload answered %+v, want an error", op, m)
		}
	}
	if _, err := h.local.RecordIDs(nil); err != nil {
		t.Fatal(err)
	}
}

// TestServerCloseWithStalledConnection proves that
// Server.Close returns while a process is connected to the socket but
// has not finished its first message.
func TestServerCloseWithStalledConnection(t *testing.T) {
	h := newHost(t)
	c := rawConn(t, h)
	// Accepts are in order: once a later Dial is answered, c was accepted
	// and its goroutine waits for a first message.
	h.dial(t)
	done := make(chan error, 1)
	go func() { done <- h.srv.Close() }()
	select {
	case <-done:
	case <-time.After(wait):
		c.Close() // let Close finish so the test can end
		<-done
		t.Fatal("Server.Close hung on a connection that sent nothing")
	}
}

// TestEventsRightAfterDial proves that a registration made
// on a Remote as soon as Dial returns receives the events of changes made
// after it, as a registration on a Local does.
func TestEventsRightAfterDial(t *testing.T) {
	h := newHost(t)
	for i := range 100 {
		r, err := Dial(h.path, h.id.PeerName, h.local.E.GroupPeerName())
		if err != nil {
			t.Fatal(err)
		}
		wake := make(chan struct{}, 1)
		sub := r.Subscribe([]event.Filter{{Type: event.RecordChanged}}, chanSignaler(wake))
		id, err := h.local.AddRecord(newRecord("right after dial"))
		if err != nil {
			t.Fatal(err)
		}
		waitEvent(t, sub, wake, "RECORD_CHANGED on dial "+strconv.Itoa(i), recordEvent(id, event.RecordAdded))
		sub.Close()
		r.Close()
	}
}

// TestRemotePipelinesSends proves the pipelining of SendData: the first
// send on a connection waits for the host's answer, later ones return at
// once and reach the host in order, a failed one makes the next send wait
// and report the failure, a DISCONNECTED event does the same, and the
// window holds a sender back until the host answers.
func TestRemotePipelinesSends(t *testing.T) {
	r, f := dialFake(t, 0)
	recv := func() *msg {
		m := within(t, "a request at the fake host", func() *msg { m, _ := f.calls.recv(); return m })
		if m == nil || m.Op != opSendData.name {
			t.Fatalf("fake host received %+v, want a send", m)
		}
		return m
	}
	answer := func(m *msg, err error) {
		if err := f.calls.send(respond(&msg{ID: m.ID}, err)); err != nil {
			t.Fatal(err)
		}
	}
	// send runs SendData and reports whether it returned before the host
	// answered anything.
	send := func(conn uint64, data string) chan error {
		done := make(chan error, 1)
		go func() { done <- r.SendData(conn, appType, []byte(data)) }()
		return done
	}
	waiting := func(done chan error, what string) {
		t.Helper()
		select {
		case err := <-done:
			t.Fatalf("%s returned %v before the host answered", what, err)
		case <-time.After(100 * time.Millisecond):
		}
	}

	first := send(7, "first")
	m := recv()
	waiting(first, "the first send")
	answer(m, nil)
	if err := within(t, "the first send", func() error { return <-first }); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := within(t, "a pipelined send", func() error { return r.SendData(7, appType, []byte{byte(i)}) }); err != nil {
			t.Fatalf("pipelined send %d: %v", i, err)
		}
	}
	var piped []*msg
	for i := 1; i <= 3; i++ {
		m := recv()
		if r, _ := bodyOf[sendReq](m); r.Conn != 7 || !bytes.Equal(r.Data, []byte{byte(i)}) {
			t.Fatalf("pipelined send %d arrived as %+v", i, m)
		}
		piped = append(piped, m)
	}
	answer(piped[0], nil)
	answer(piped[1], errors.Join(errors.New("closed"), peererr.ErrConnectionNotFound))
	answer(piped[2], nil)
	// The failure ends pipelining: the next send waits and reports it.
	within(t, "the failure to arrive", func() bool {
		for {
			r.smu.Lock()
			ok := r.sendable[7]
			r.smu.Unlock()
			if !ok {
				return true
			}
			time.Sleep(time.Millisecond)
		}
	})
	next := send(7, "after the failure")
	m = recv()
	waiting(next, "the send after a failure")
	answer(m, errors.Join(errors.New("closed"), peererr.ErrConnectionNotFound))
	if err := within(t, "the send after a failure", func() error { return <-next }); !errors.Is(err, peererr.ErrConnectionNotFound) {
		t.Fatalf("send after a failure: %v, want PEER_E_CONNECTION_NOT_FOUND", err)
	}

	// A DISCONNECTED event ends pipelining on its connection too.
	first = send(8, "first")
	answer(recv(), nil)
	within(t, "the first send on 8", func() error { return <-first })
	ev := &event.Event{Type: event.DirectConnection, Connection: event.ConnectionChange{Status: event.Disconnected, ConnectionID: 8}}
	if err := f.events.send(&msg{Op: opEvent, Event: ev}); err != nil {
		t.Fatal(err)
	}
	within(t, "the DISCONNECTED event to arrive", func() bool {
		for {
			r.smu.Lock()
			ok := r.sendable[8]
			r.smu.Unlock()
			if !ok {
				return true
			}
			time.Sleep(time.Millisecond)
		}
	})
	next = send(8, "after DISCONNECTED")
	m = recv()
	waiting(next, "the send after DISCONNECTED")
	answer(m, nil)
	within(t, "the send after DISCONNECTED", func() error { return <-next })

	// The window: with a large send unanswered, another that does not fit
	// waits for its answer.
	big := string(bytes.Repeat([]byte{'b'}, sendWindow/2))
	bigSent := send(8, big)
	m = recv()
	if err := within(t, "a large send", func() error { return <-bigSent }); err != nil {
		t.Fatal(err)
	}
	held := send(8, big)
	waiting(held, "a send beyond the window")
	answer(m, nil)
	if r, _ := bodyOf[sendReq](recv()); len(r.Data) != len(big) {
		t.Fatalf("held send arrived with %d bytes", len(r.Data))
	}
	if err := within(t, "the held send", func() error { return <-held }); err != nil {
		t.Fatal(err)
	}
}
