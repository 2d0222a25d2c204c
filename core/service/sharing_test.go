package service_test

import (
	"bufio"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	"go.uber.org/goleak"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/mesh"
	"p2p/core/peererr"
	"p2p/core/service"
	"p2p/core/session"
)

// These tests run several processes of one user on one group: the test
// binary re-executes itself as a child that opens the group and obeys
// commands on stdin, one answer line per command.

var shareType = uuid.MustParse("9c0e7b5e-5b8f-4d43-8f59-2f3c3e1a0b11")

func TestMain(m *testing.M) {
	if os.Getenv("SHARE_CHILD") != "" {
		os.Exit(child())
	}
	// No goroutine of the service may outlive the tests (go-winio's I/O
	// completion goroutine on Windows lives as long as the process).
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/Microsoft/go-winio.ioCompletionProcessor"))
}

func child() int {
	svc, err := service.New(os.Getenv("SHARE_HOME"))
	if err != nil {
		fmt.Println("err", err)
		return 1
	}
	if d, err := time.ParseDuration(os.Getenv("SHARE_SLOW_TAKEOVER")); err == nil {
		service.SlowTakeovers(d)
	}
	off := false
	svc.SetMeshOptions(mesh.Options{Listen: "127.0.0.1:0", Discovery: &off})
	g, err := svc.OpenGroup("", os.Getenv("SHARE_GROUP"))
	if err != nil {
		fmt.Println("err", err)
		return 1
	}
	reg, _ := g.Subscribe([]event.Filter{{Type: event.RecordChanged}, {Type: event.StatusChanged}}, nil)
	// A second registration whose signaler, like a Win32 event handle,
	// must not be closed before the registration is.
	sig := &closableSignaler{signals: make(chan struct{}, 1)}
	sreg, _ := g.Subscribe([]event.Filter{{Type: event.RecordChanged}}, sig)
	// A third collects every RECORD_CHANGED of the test type (write-bg,
	// seen).
	seen := collectAdded(g)
	var written chan string
	fmt.Println("ok", g.Hosted())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch f[0] {
		case "add":
			id, err := g.AddRecord(group.NewRecord{Type: shareType, Expires: filetime.Now().Add(time.Hour), Data: []byte("x")})
			fmt.Println("ok", id, err)
		case "count":
			ids, err := g.RecordIDs(&shareType)
			fmt.Println("ok", len(ids), err)
		case "status":
			fmt.Println("ok", g.Status(), g.Hosted())
		case "connect":
			_, err := g.Connect(nil)
			fmt.Println("ok", err)
		case "event": // wait for an event of a type, up to 10 s
			deadline := time.Now().Add(10 * time.Second)
			got := false
			for !got && time.Now().Before(deadline) {
				if e, ok := reg.Next(); ok && fmt.Sprint(uint32(e.Type)) == f[1] {
					got = true
				} else if !ok {
					time.Sleep(10 * time.Millisecond)
				}
			}
			fmt.Println("ok", got)
		case "signalled": // drain the second registration, then wait up to 10 s for a signal
			for _, ok := sreg.Next(); ok; _, ok = sreg.Next() {
			}
			select {
			case <-sig.signals:
				fmt.Println("ok", !sig.closed.Load())
			case <-time.After(10 * time.Second):
				fmt.Println("ok false: no signal in 10 s")
			}
		case "delete": // delete the record with id f[1]
			id, _ := uuid.Parse(f[1])
			err := g.DeleteRecord(id)
			fmt.Println("ok", peererr.HResult(err))
		case "write-bg": // add records tagged tag-0 ... tag-(n-1) in the background
			n, _ := strconv.Atoi(f[2])
			written = make(chan string, 1)
			go func(tag string) {
				var acked []string
				failed := 0
				for i := range n {
					data := fmt.Sprintf("%s-%d", tag, i)
					if _, err := g.AddRecord(group.NewRecord{Type: shareType, Expires: filetime.Now().Add(time.Hour), Data: []byte(data)}); err != nil {
						failed++
						fmt.Fprintln(os.Stderr, "WRITEFAIL", err)
					} else {
						acked = append(acked, data)
					}
				}
				written <- fmt.Sprintf("ok acked=%s failed=%d", strings.Join(acked, ","), failed)
			}(f[1])
			fmt.Println("ok")
		case "write-wait":
			fmt.Println(<-written)
		case "seen": // the ids of every record the events said was added, once quiet for a second
			fmt.Println("ok", seen.wait(time.Second))
		case "close":
			g.Close()
			fmt.Println("ok")
		case "exit":
			svc.Close()
			fmt.Println("ok")
			return 0
		}
	}
	return 0
}

// added collects the ids of the records of shareType that RECORD_CHANGED
// events report added.
type added struct {
	mu   sync.Mutex
	ids  []string
	last time.Time
}

func collectAdded(g *service.Group) *added {
	a := &added{last: time.Now()}
	reg, _ := g.Subscribe([]event.Filter{{Type: event.RecordChanged, DataType: &shareType}}, nil)
	go func() {
		for {
			e, ok := reg.Next()
			if !ok {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if e.Record.Change == event.RecordAdded {
				a.mu.Lock()
				a.ids = append(a.ids, e.Record.RecordID.String())
				a.last = time.Now()
				a.mu.Unlock()
			}
		}
	}()
	return a
}

// wait returns the ids seen, once no event came for quiet.
func (a *added) wait(quiet time.Duration) string {
	for {
		a.mu.Lock()
		idle := time.Since(a.last)
		a.mu.Unlock()
		if idle >= quiet {
			break
		}
		time.Sleep(quiet - idle)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.ids, ",")
}

// closableSignaler records signals; once closed, signalling fails, as
// SetEvent on a closed handle does.
type closableSignaler struct {
	signals chan struct{}
	closed  atomic.Bool
}

func (s *closableSignaler) Signal() error {
	if s.closed.Load() {
		return errors.New("signalled after Close")
	}
	select {
	case s.signals <- struct{}{}:
	default:
	}
	return nil
}

func (s *closableSignaler) Close() error { s.closed.Store(true); return nil }

type proc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func start(t *testing.T, home, groupName string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SHARE_CHILD=1", "SHARE_HOME="+home, "SHARE_GROUP="+groupName, "P2P_DISCOVERY=0")
	cmd.Env = append(cmd.Env, env...)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p.expect(t, "ok")
	return p
}

func (p *proc) expect(t *testing.T, prefix string) string {
	t.Helper()
	if !p.out.Scan() {
		t.Fatalf("child ended: %v", p.out.Err())
	}
	line := p.out.Text()
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("child said %q, want %q...", line, prefix)
	}
	return line
}

func (p *proc) do(t *testing.T, cmd string) string {
	t.Helper()
	fmt.Fprintln(p.in, cmd)
	return p.expect(t, "ok")
}

// newShared creates a group in home with the test process as its first
// host, then hands it over to children.
func sharedGroup(t *testing.T) (home, name string) {
	home = t.TempDir()
	svc, err := service.New(home)
	if err != nil {
		t.Fatal(err)
	}
	g, err := svc.CreateGroup(group.Properties{FriendlyName: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	name = g.GroupPeerName()
	g.Close()
	svc.Close()
	return home, name
}

// hostAndAttached starts two processes on a new shared group: a, which
// hosts it, and b, attached to a.
func hostAndAttached(t *testing.T) (home, name string, a, b *proc) {
	home, name = sharedGroup(t)
	a = start(t, home, name)
	b = start(t, home, name)
	if !strings.Contains(a.do(t, "status"), "true") || strings.Contains(b.do(t, "status"), "true") {
		t.Fatal("the first process must host, the second attach")
	}
	return home, name, a, b
}

// TestOnlyAttachedCallsKeepAnswers: a write of an attached application
// keeps its request's answer in the database, so that a new host answers
// it again rather than apply it twice if the old one went away
// (TestTakeoversLoseNothing); a first attempt in the hosting process
// keeps none, since nothing can ask again.
func TestOnlyAttachedCallsKeepAnswers(t *testing.T) {
	home, _, a, b := hostAndAttached(t)
	for range 3 {
		a.do(t, "add")
	}
	for range 2 {
		b.do(t, "add")
	}
	dbs, _ := filepath.Glob(filepath.Join(home, "groups", "*", "*", "group.db"))
	if len(dbs) != 1 {
		t.Fatalf("group databases %v", dbs)
	}
	db, err := sql.Open("sqlite3", "file:"+dbs[0]+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var records, answers int
	if err := db.QueryRow(`SELECT COUNT(*) FROM records WHERE type = ?`, shareType[:]).Scan(&records); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM requests`).Scan(&answers); err != nil {
		t.Fatal(err)
	}
	if records != 5 || answers != 2 {
		t.Errorf("%d records and %d kept answers, want 5 records and the attached process's 2 answers", records, answers)
	}
}

func TestApplicationsShareOneGroup(t *testing.T) {
	home, name, a, b := hostAndAttached(t)
	// 1. A record added by one application is visible to the other, with
	// an event.
	a.do(t, "add")
	if got := b.do(t, "count"); !strings.HasPrefix(got, "ok 1 ") {
		t.Fatalf("attached process sees %q", got)
	}
	if got := b.do(t, "event 3"); got != "ok true" {
		t.Fatal("no RECORD_CHANGED in the attached process")
	}
	b.do(t, "add")
	if got := a.do(t, "event 3"); got != "ok true" {
		t.Fatal("no RECORD_CHANGED in the host for the attached process's record")
	}
	// 2. Offline until one connects; then both are online and told so.
	if !strings.HasPrefix(b.do(t, "status"), "ok 0 ") {
		t.Fatal("group online before any Connect")
	}
	b.do(t, "connect")
	if got := a.do(t, "event 1"); got != "ok true" {
		t.Fatal("host got no STATUS_CHANGED when the attached process connected")
	}
	if got := b.do(t, "event 1"); got != "ok true" {
		t.Fatal("attached process got no STATUS_CHANGED")
	}
	// 5. The host dies; the other takes over within 5 s, online again,
	// with every acknowledged record.
	a.cmd.Process.Kill() // SIGKILL; TerminateProcess on Windows
	a.cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := b.do(t, "status")
		if st == "ok 1 true" || st == "ok 3 true" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no takeover within 5 s: %q", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := b.do(t, "count"); !strings.HasPrefix(got, "ok 2 ") {
		t.Fatalf("after takeover: %q", got)
	}
	// Its registrations still signal: the takeover moved them to new
	// subscriptions without closing the application's signaler.
	b.do(t, "add")
	if got := b.do(t, "signalled"); got != "ok true" {
		t.Fatalf("a registration after the takeover: %q", got)
	}
	// A new application attaches to the new host and is online at once.
	c := start(t, home, name)
	if got := c.do(t, "status"); got != "ok 1 false" && got != "ok 3 false" {
		t.Fatalf("late application: %q", got)
	}
	c.do(t, "exit")
	b.do(t, "exit")
}

// 7. The host's endpoint is the user's alone (hostEndpointIsPrivate: a
// 0600 socket on POSIX, a named pipe whose DACL admits only the user on
// Windows), and another data directory (another user) never attaches to it.
func TestHostSocketIsPrivate(t *testing.T) {
	home, name := sharedGroup(t)
	a := start(t, home, name)
	defer a.do(t, "exit")
	var lock string
	filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "host.lock" {
			lock = p
		}
		return nil
	})
	endpoint, err := session.Endpoint(filepath.Dir(lock))
	if lock == "" || err != nil {
		t.Fatalf("no host lock in the data directory: %v", err)
	}
	hostEndpointIsPrivate(t, endpoint)
	// The same identity and group in another data directory is hosted
	// there, not attached to this host.
	svc, err := service.New(home)
	if err != nil {
		t.Fatal(err)
	}
	g, err := svc.OpenGroup("", name)
	if err != nil {
		t.Fatal(err)
	}
	if g.Hosted() {
		t.Fatal("a second process of the same user hosts instead of attaching")
	}
	cfg, err := svc.ExportConfig(g, "pw")
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	svc.Close()
	other, _ := service.New(t.TempDir())
	defer other.Close()
	who, _, err := other.ImportConfig(cfg, "pw", false)
	if err != nil {
		t.Fatal(err)
	}
	og, err := other.OpenGroup(who, name)
	if err != nil {
		t.Fatal(err)
	}
	defer og.Close()
	if !og.Hosted() {
		t.Fatal("another data directory attached to this user's host")
	}
}

// sharedMember is a member whose group has a hosting application and a
// second, attached one (its own runtime on the same data directory), both
// online with another member, the sender.
type sharedMember struct {
	sender, host, attached *service.Group
	senderName, name       string // peer names of the sender and of the member
	deadline               time.Time
}

func newSharedMember(t *testing.T) *sharedMember {
	t.Helper()
	off := false
	opts := mesh.Options{Listen: "127.0.0.1:0", Discovery: &off}
	senderSvc, _ := service.New(t.TempDir())
	t.Cleanup(func() { senderSvc.Close() })
	senderSvc.SetMeshOptions(opts)
	sg, err := senderSvc.CreateGroup(group.Properties{})
	if err != nil {
		t.Fatal(err)
	}
	sg.Connect(nil)
	home := t.TempDir()
	host, _ := service.New(home)
	t.Cleanup(func() { host.Close() })
	host.SetMeshOptions(opts)
	id, _ := host.Identities().Default()
	inv, err := sg.CreateInvitation(id.XML(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	hg, _, err := host.JoinGroup("", inv)
	if err != nil {
		t.Fatal(err)
	}
	hg.Connect(nil)
	app, _ := service.New(home)
	t.Cleanup(func() { app.Close() })
	ag, err := app.OpenGroup("", hg.GroupPeerName())
	if err != nil {
		t.Fatal(err)
	}
	if ag.Hosted() {
		t.Fatal("second runtime hosts the group too")
	}
	senderID, _ := senderSvc.Identities().Default()
	m := &sharedMember{sender: sg, host: hg, attached: ag, senderName: senderID.PeerName, name: id.PeerName,
		deadline: time.Now().Add(20 * time.Second)}
	for !hg.Ready() && time.Now().Before(m.deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return m
}

// next waits for the next event of reg that keep accepts.
func (m *sharedMember) next(t *testing.T, reg *service.Registration, what string, keep func(event.Event) bool) event.Event {
	t.Helper()
	for time.Now().Before(m.deadline) {
		if e, ok := reg.Next(); ok {
			if keep(e) {
				return e
			}
			continue
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no %s", what)
	panic("unreachable")
}

// 4. Data sent over a direct connection reaches every application of the
// receiving member that registered for INCOMING_DATA.
func TestIncomingDataReachesAttachedApplications(t *testing.T) {
	m := newSharedMember(t)
	regHost, _ := m.host.Subscribe([]event.Filter{{Type: event.IncomingData}}, nil)
	regApp, _ := m.attached.Subscribe([]event.Filter{{Type: event.IncomingData}}, nil)
	connID, err := m.sender.OpenDirectConnection(m.name, netip.AddrPort{})
	if err != nil {
		t.Fatal(err)
	}
	var sent bool
	for !sent && time.Now().Before(m.deadline) {
		sent = m.sender.SendData(connID, shareType, []byte("to every application")) == nil
		time.Sleep(20 * time.Millisecond)
	}
	for name, reg := range map[string]*service.Registration{"host": regHost, "attached": regApp} {
		m.next(t, reg, "INCOMING_DATA at the "+name+" application", func(e event.Event) bool {
			return string(e.Data.Data) == "to every application"
		})
	}
}

// An attached application's SendData calls (pipelined through the host)
// arrive whole, once and in order, and once the other side closes the
// connection its sends fail with PEER_E_CONNECTION_NOT_FOUND.
func TestAttachedApplicationSendsInOrder(t *testing.T) {
	m := newSharedMember(t)
	regApp, _ := m.attached.Subscribe([]event.Filter{{Type: event.DirectConnection}}, nil)
	regSender, _ := m.sender.Subscribe([]event.Filter{{Type: event.DirectConnection}, {Type: event.IncomingData}}, nil)
	connID, err := m.attached.OpenDirectConnection(m.senderName, netip.AddrPort{})
	if err != nil {
		t.Fatal(err)
	}
	e := m.next(t, regApp, "DIRECT_CONNECTION at the attached application", func(e event.Event) bool {
		return e.Connection.ConnectionID == connID
	})
	if e.Connection.Status != event.Connected {
		t.Fatalf("direct connection status %d, want CONNECTED", e.Connection.Status)
	}
	const n = 2000
	for i := range n {
		data := make([]byte, 8+i%3000)
		binary.BigEndian.PutUint64(data, uint64(i))
		if err := m.attached.SendData(connID, shareType, data); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	var theirs uint64
	for i := range n {
		e := m.next(t, regSender, fmt.Sprintf("message %d at the sender", i), func(e event.Event) bool {
			if e.Type == event.DirectConnection && e.Connection.Status == event.Connected {
				theirs = e.Connection.ConnectionID
			}
			return e.Type == event.IncomingData
		})
		if got := binary.BigEndian.Uint64(e.Data.Data); got != uint64(i) || len(e.Data.Data) != 8+i%3000 {
			t.Fatalf("message %d arrived as number %d with %d bytes", i, got, len(e.Data.Data))
		}
	}
	if err := m.sender.CloseDirectConnection(theirs); err != nil {
		t.Fatal(err)
	}
	for err == nil && time.Now().Before(m.deadline) {
		err = m.attached.SendData(connID, shareType, []byte("after the close"))
		time.Sleep(5 * time.Millisecond)
	}
	if !errors.Is(err, peererr.ErrConnectionNotFound) {
		t.Fatalf("send after the peer closed: %v, want PEER_E_CONNECTION_NOT_FOUND", err)
	}
}

// TestTakeoversLoseNothing: three applications of one user share a group
// and all write records while the hosting one is killed, twice (issue 13
// items 2 and 3). The survivor, which had the group open throughout,
// gets a RECORD_CHANGED for every record in the database, including the
// ones the killed hosts committed and the ones made before it moved to a
// new host; every S_OK is one record in the database, and a survivor's
// error means no record was committed.
func TestTakeoversLoseNothing(t *testing.T) {
	for round := range 3 { // each round has its own timing: more chances to catch a loss
		t.Run(fmt.Sprint("round ", round), takeoversLoseNothing)
	}
}

func takeoversLoseNothing(t *testing.T) {
	home, name := sharedGroup(t)
	procs := []*proc{start(t, home, name), start(t, home, name), start(t, home, name)}
	const n = 120
	for i, p := range procs {
		p.do(t, fmt.Sprintf("write-bg %c %d", 'a'+i, n))
	}
	// Kill the host, wait for another to take over, kill that one.
	alive := procs
	for kill := 0; kill < 2; kill++ {
		time.Sleep(150 * time.Millisecond)
		var host *proc
		deadline := time.Now().Add(10 * time.Second)
		for host == nil {
			for _, p := range alive {
				if strings.HasSuffix(p.do(t, "status"), " true") {
					host = p
				}
			}
			if host == nil && time.Now().After(deadline) {
				t.Fatalf("no process hosts the group after kill %d", kill)
			}
		}
		host.cmd.Process.Kill()
		host.cmd.Wait()
		alive = slices.DeleteFunc(slices.Clone(alive), func(p *proc) bool { return p == host })
	}
	survivor := alive[0]
	tag := string(rune('a' + slices.Index(procs, survivor)))
	res := strings.Fields(survivor.do(t, "write-wait"))
	acked := strings.Split(strings.TrimPrefix(res[1], "acked="), ",")
	if res[2] != "failed=0" || len(acked) != n {
		t.Errorf("the survivor's writes: %d acknowledged, %s; want all %d acknowledged", len(acked), res[2], n)
	}
	seen := map[string]bool{}
	for _, id := range strings.Split(strings.TrimPrefix(survivor.do(t, "seen"), "ok "), ",") {
		if seen[id] {
			t.Errorf("RECORD_CHANGED twice for %s", id)
		}
		seen[id] = true
	}
	survivor.do(t, "exit")

	// The database as it is now: every record once, each with an event.
	svc, err := service.New(home)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	g, err := svc.OpenGroup("", name)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ids, err := g.RecordIDs(&shareType)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	missed := 0
	for _, id := range ids {
		r, err := g.GetRecord(id)
		if err != nil {
			t.Fatal(err)
		}
		stored[string(r.Data)]++
		if !seen[id.String()] {
			missed++
		}
	}
	if missed > 0 {
		t.Errorf("the survivor got no RECORD_CHANGED for %d of the %d records", missed, len(ids))
	}
	for data, k := range stored {
		if k != 1 {
			t.Errorf("%s is stored %d times", data, k)
		}
	}
	for _, data := range acked {
		if stored[data] != 1 {
			t.Errorf("the survivor's acknowledged %s is not stored", data)
		}
	}
	mine := 0
	for data := range stored {
		if strings.HasPrefix(data, tag+"-") {
			mine++
		}
	}
	if mine != len(acked) {
		t.Errorf("%d of the survivor's records are stored, it acknowledged %d", mine, len(acked))
	}
	t.Logf("%d records stored, %d with an event at the survivor; the survivor acknowledged %d of %d", len(ids), len(ids)-missed, len(acked), n)
}

// TestDeleteOnceAcrossProcesses: applications in three processes delete
// the same record at the same moment: exactly one is told S_OK, the
// others PEER_E_RECORD_NOT_FOUND (issue 13 item 1, across processes).
func TestDeleteOnceAcrossProcesses(t *testing.T) {
	home, name := sharedGroup(t)
	procs := []*proc{start(t, home, name), start(t, home, name), start(t, home, name)}
	for round := range 20 {
		id := strings.Fields(procs[round%3].do(t, "add"))[1]
		for _, p := range procs {
			fmt.Fprintln(p.in, "delete "+id)
		}
		ok := 0
		for _, p := range procs {
			switch got := p.expect(t, "ok"); got {
			case "ok 0":
				ok++
			case fmt.Sprint("ok ", peererr.ErrRecordNotFound.HR):
			default:
				t.Fatalf("round %d: delete answered %q", round, got)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d of 3 concurrent deletes said S_OK, want 1", round, ok)
		}
	}
	for _, p := range procs {
		p.do(t, "exit")
	}
}

// TestCloseDuringTakeover: the host of a group exits, and another
// application exits while it is taking over (its takeover is slowed to
// half a second to be sure), then attaches to the third, the new host. It
// exits promptly: what a takeover attaches to or hosts while the runtime
// closes is closed too, not left running for Service.Close to wait on
// forever.
func TestCloseDuringTakeover(t *testing.T) {
	home, name := sharedGroup(t)
	host, b := start(t, home, name), start(t, home, name)
	slow := start(t, home, name, "SHARE_SLOW_TAKEOVER=500ms")
	host.do(t, "exit")
	time.Sleep(100 * time.Millisecond) // b hosts; slow is taking over
	if !strings.HasSuffix(b.do(t, "status"), " true") {
		t.Fatal("the second application does not host the group after the first exited")
	}
	fmt.Fprintln(slow.in, "exit")
	hung := time.AfterFunc(20*time.Second, func() { slow.cmd.Process.Kill() })
	defer hung.Stop()
	if !slow.out.Scan() {
		t.Fatal("an application closing during a takeover did not exit within 20 s")
	}
	b.do(t, "exit")
}
