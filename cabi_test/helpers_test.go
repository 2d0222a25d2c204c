//go:build linux

package cabi

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Each test body runs in a child process: the test binary again, with
// -test.run naming that test and these variables set. The child loads the
// library once, with its own P2P_HOME (the library reads it from the
// environment the process started with), and writes the names of the
// functions it called to a file the parent collects.
const (
	envChild  = "CABI_CHILD"  // the test the child runs
	envLib    = "P2P_LIB"     // the library to load (default: build/libp2p.so)
	envCalled = "CABI_CALLED" // where the child writes the functions it called
)

// called collects, in the parent, the functions the children called; TestMain
// compares it with the functions of p2p.h after a full run.
var called struct {
	sync.Mutex
	names map[string]bool
}

func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv(envChild) != "" || code != 0 || !fullRun() {
		os.Exit(code)
	}
	// Every function of p2p.h must have been called by some test.
	want, err := headerFunctions()
	if err != nil {
		fmt.Println("FAIL: coverage:", err)
		os.Exit(1)
	}
	var missing []string
	for _, n := range want {
		if !called.names[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		fmt.Printf("FAIL: coverage: %d of the %d functions of p2p.h were never called: %s\n",
			len(missing), len(want), strings.Join(missing, ", "))
		os.Exit(1)
	}
	fmt.Printf("coverage: all %d functions of p2p.h were called\n", len(want))
	os.Exit(code)
}

// fullRun reports whether no -test.run or -test.skip narrowed the run, so
// that the coverage check is meaningful.
func fullRun() bool {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.run") || strings.HasPrefix(a, "-test.skip") {
			return false
		}
	}
	return true
}

// repoRoot is the directory of go.mod above this package.
func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Dir(wd)
}

// libPath returns the library to load: $P2P_LIB, else build/libp2p.so.
// A missing library fails the test: a run without it must not pass.
func libPath(t testing.TB) string {
	t.Helper()
	p := os.Getenv(envLib)
	if p == "" {
		p = filepath.Join(repoRoot(), "build", "libp2p.so")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: run make build first (%v)", p, err)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// headerPath is the public header shipped next to the library.
func headerPath() string {
	if p := os.Getenv(envLib); p != "" {
		if h := filepath.Join(filepath.Dir(p), "p2p.h"); fileExists(h) {
			return h
		}
	}
	return filepath.Join(repoRoot(), "build", "p2p.h")
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

var funcDecl = regexp.MustCompile(`(?m)^(?:HRESULT|VOID) (Peer\w+)\s*\(`)

// headerFunctions parses the names of the functions p2p.h declares.
func headerFunctions() ([]string, error) {
	b, err := os.ReadFile(headerPath())
	if err != nil {
		return nil, fmt.Errorf("read the header: %w (run make build first)", err)
	}
	var names []string
	for _, m := range funcDecl.FindAllStringSubmatch(string(b), -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return names, nil
}

var codeDef = regexp.MustCompile(`(?m)^#define ((?:PEER_[ES]|E)_\w+|S_OK) \(\(HRESULT\)(0x[0-9A-Fa-f]+)L\)`)

// hresultNames maps each HRESULT p2p.h defines to its name.
var hresultNames = sync.OnceValue(func() map[HRESULT]string {
	m := map[HRESULT]string{}
	b, err := os.ReadFile(headerPath())
	if err != nil {
		return m
	}
	for _, d := range codeDef.FindAllStringSubmatch(string(b), -1) {
		v, _ := strconv.ParseUint(d[2], 0, 32)
		m[HRESULT(int32(uint32(v)))] = d[1]
	}
	return m
})

// String names an HRESULT the way p2p.h does, with its value.
func (h HRESULT) String() string {
	if n, ok := hresultNames()[h]; ok {
		return fmt.Sprintf("%s (%#08x)", n, uint32(h))
	}
	return fmt.Sprintf("%#08x", uint32(h))
}

// HRESULT values the tests compare with (p2p.h).
var (
	sOK                    = hr(0)
	eNotImpl               = hr(0x80004001)
	ePointer               = hr(0x80004003)
	eHandle                = hr(0x80070006)
	eInvalidArg            = hr(0x80070057)
	peerENotFound          = hr(0x80070490)
	peerEAlreadyExists     = hr(0x800700B7)
	peerENotInitialized    = hr(0x80630002)
	peerEGroupsExist       = hr(0x80630204)
	peerERecordNotFound    = hr(0x80630301)
	peerEEventHandleNF     = hr(0x80630501)
	peerEInvalidSearch     = hr(0x80630601)
	peerEInvalidAttributes = hr(0x80630602)
	peerEInvalidGroupProps = hr(0x80632040)
	peerEUnsupportedVer    = hr(0x80632090)
	peerEGroupNotReady     = hr(0x80632091)
	peerEConnectionNF      = hr(0x80630103)
	peerEConnectSelf       = hr(0x80630106)
	peerEInvalidAddress    = hr(0x80637007)
	peerEInvalidRecExp     = hr(0x80632080)
	peerEInvitationNotTr   = hr(0x80630701)
	peerSNoEventData       = hr(0x00630002)
	peerSAlreadyConnected  = hr(0x00632000)
	peerSAlreadyAMember    = hr(0x00630006)
)

// hr converts a code as p2p.h writes it to an HRESULT.
func hr(v uint32) HRESULT { return HRESULT(int32(v)) }

// Event types, flags and enumerated values of p2p.h.
const (
	version11 = 0x0101 // PEER_GROUP_VERSION, MAKEWORD(1, 1)

	evStatusChanged      = 1
	evPropertyChanged    = 2
	evRecordChanged      = 3
	evDirectConnection   = 4
	evNeighborConnection = 5
	evIncomingData       = 6
	evMemberChanged      = 8

	recordAdded   = 1
	recordUpdated = 2
	recordDeleted = 3

	statusListening      = 1
	statusHasConnections = 2

	connNeighbor = 1
	connDirect   = 2

	peerConnected    = 1
	peerDisconnected = 2

	authGMC      = 1
	authPassword = 2

	memberPresent = 1

	storeCredentials = 1
)

// Role GUIDs (p2p.h, PEER_GROUP_ROLE_*).
var (
	roleMember = GUID{0xf12dc4c7, 0x0857, 0x4ca0, [8]byte{0x93, 0xfc, 0xb1, 0xbb, 0x19, 0xa3, 0xd8, 0xc2}}
)

// run runs body in a child process of its own (see envChild) and fails t
// if the child fails, crashes or overruns; in the child it runs body.
func run(t *testing.T, body func(c *client)) {
	if os.Getenv(envChild) != "" {
		if os.Getenv(envChild) != t.Name() {
			t.Skipf("the child process runs only %s", os.Getenv(envChild))
		}
		lib, err := Open(libPath(t))
		if err != nil {
			t.Fatal(err)
		}
		c := &client{T: t, lib: lib}
		defer func() {
			_ = os.WriteFile(os.Getenv(envCalled), []byte(strings.Join(lib.Called(), "\n")), 0o600)
		}()
		t.Cleanup(c.freeAll)
		body(c)
		return
	}

	t.Parallel()
	lib := libPath(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	calledFile := filepath.Join(dir, "called")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1", "-test.timeout=4m")
	cmd.Env = append(withoutVars(os.Environ(), "P2P_HOME", envChild, envLib, envCalled),
		"P2P_HOME="+home, envChild+"="+t.Name(), envLib+"="+lib, envCalled+"="+calledFile, "TMPDIR="+dir)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("child for %s killed at the time limit\n%s", t.Name(), out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("child for %s failed: %v\n%s", t.Name(), err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "helpers_test.go") || strings.Contains(l, "_test.go:") {
			t.Log(l)
		}
	}
	b, err := os.ReadFile(calledFile)
	if err != nil {
		t.Fatalf("child for %s wrote no list of called functions: %v", t.Name(), err)
	}
	called.Lock()
	defer called.Unlock()
	if called.names == nil {
		called.names = map[string]bool{}
	}
	for _, n := range strings.Fields(string(b)) {
		called.names[n] = true
	}
}

func withoutVars(env []string, names ...string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(names, k)
	})
}

// client is what a test body uses: the library, the test, and the C memory
// its arguments live in (freed when the test ends).
type client struct {
	*testing.T
	lib   *Lib
	mu    sync.Mutex
	arena []unsafe.Pointer
}

func (c *client) freeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.arena {
		Free(p)
	}
	c.arena = nil
}

// alloc returns n zeroed bytes of C memory, freed when the test ends.
func (c *client) alloc(n int) unsafe.Pointer {
	p := Alloc(n)
	c.mu.Lock()
	c.arena = append(c.arena, p)
	c.mu.Unlock()
	return p
}

// w returns s as a NUL-terminated UTF-16 string in C memory.
func (c *client) w(s string) WStr { return c.u16(utf16.Encode([]rune(s))) }

// u16 returns raw UTF-16 units (unpaired surrogates allowed), NUL added.
func (c *client) u16(units []uint16) WStr {
	p := c.alloc(2 * (len(units) + 1))
	copy(unsafe.Slice((*uint16)(p), len(units)+1), units)
	return WStr(p)
}

// cbytes returns a copy of b in C memory.
func (c *client) cbytes(b []byte) unsafe.Pointer {
	p := c.alloc(len(b))
	copy(unsafe.Slice((*byte)(p), len(b)), b)
	return p
}

// cnew returns a zeroed T in C memory, for structures that hold pointers
// to other C memory or that the library must be able to keep.
func cnew[T any](c *client) *T {
	var zero T
	return (*T)(c.alloc(int(unsafe.Sizeof(zero))))
}

// str decodes a NUL-terminated UTF-16 string ("" for NULL).
func str(p WStr) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*uint16)(unsafe.Add(unsafe.Pointer(p), 2*n)) != 0 {
		n++
	}
	return string(utf16.Decode(unsafe.Slice((*uint16)(p), n)))
}

// cstr decodes a NUL-terminated 8-bit C string.
func cstr(p unsafe.Pointer) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

// bytesAt copies n bytes of C memory.
func bytesAt(p unsafe.Pointer, n uint32) []byte {
	if n == 0 {
		return nil
	}
	return append([]byte(nil), unsafe.Slice((*byte)(p), n)...)
}

// ok requires S_OK.
func (c *client) ok(h HRESULT, what string) {
	c.Helper()
	if h != sOK {
		c.Fatalf("%s = %v, want S_OK", what, h)
	}
}

// expect requires exactly want.
func (c *client) expect(h, want HRESULT, what string) {
	c.Helper()
	if h != want {
		c.Fatalf("%s = %v, want %v", what, h, want)
	}
}

// check fails the test with the message when cond is false.
func (c *client) check(cond bool, format string, args ...any) {
	c.Helper()
	if !cond {
		c.Fatalf(format, args...)
	}
}

// should reports a failure without stopping the test when cond is false.
func (c *client) should(cond bool, format string, args ...any) {
	c.Helper()
	if !cond {
		c.Errorf(format, args...)
	}
}

// take frees a returned string after decoding it.
func (c *client) take(p WStr) string {
	s := str(p)
	c.lib.PeerFreeData(unsafe.Pointer(p))
	return s
}

// startup calls PeerGroupStartup(1.1) and, at the end of the test,
// PeerGroupShutdown.
func (c *client) startup() {
	c.Helper()
	var v PeerVersionData
	c.ok(c.lib.PeerGroupStartup(version11, &v), "PeerGroupStartup")
	c.Cleanup(func() { c.lib.PeerGroupShutdown() })
}

// identity creates an identity and returns its peer name.
func (c *client) identity(classifier, friendly string) string {
	c.Helper()
	var p WStr
	c.ok(c.lib.PeerIdentityCreate(c.w(classifier), c.w(friendly), 0, &p), "PeerIdentityCreate("+classifier+")")
	return c.take(p)
}

// group creates a group of creator with the classifier and returns its
// handle and peer name.
func (c *client) group(creator, classifier, friendly string) (Handle, string) {
	c.Helper()
	props := cnew[PeerGroupProperties](c)
	props.Size = uint32(unsafe.Sizeof(*props))
	props.CreatorPeerName = c.w(creator)
	props.Classifier = c.w(classifier)
	props.FriendlyName = c.w(friendly)
	var g Handle
	c.ok(c.lib.PeerGroupCreate(props, &g), "PeerGroupCreate("+classifier+")")
	c.check(g != 0, "PeerGroupCreate: S_OK with no handle")
	return g, c.properties(g).name
}

// props is the part of PEER_GROUP_PROPERTIES the tests compare.
type props struct {
	name, creator, classifier, friendly, comment, cloud string
	flags, schemes, memberLifetime, presenceLifetime    uint32
	hasPassword                                         bool
}

// properties reads a group's properties.
func (c *client) properties(g Handle) props {
	c.Helper()
	var p *PeerGroupProperties
	c.ok(c.lib.PeerGroupGetProperties(g, &p), "PeerGroupGetProperties")
	defer c.lib.PeerFreeData(unsafe.Pointer(p))
	c.check(p.Size == uint32(unsafe.Sizeof(*p)), "PEER_GROUP_PROPERTIES.dwSize %d", p.Size)
	return props{
		name: str(p.GroupPeerName), creator: str(p.CreatorPeerName), classifier: str(p.Classifier),
		friendly: str(p.FriendlyName), comment: str(p.Comment), cloud: str(p.Cloud),
		flags: p.Flags, schemes: p.AuthenticationSchemes, memberLifetime: p.MemberDataLifetime,
		presenceLifetime: p.PresenceLifetime, hasPassword: p.GroupPassword != nil,
	}
}

// items takes every item of an enumeration, 2 at a time, and ends it; each
// item is passed to f before the array is freed.
func (c *client) items(e Handle, f func(item unsafe.Pointer)) int {
	c.Helper()
	total := 0
	for {
		var arr unsafe.Pointer
		n := uint32(2)
		c.ok(c.lib.PeerGetNextItem(e, &n, &arr), "PeerGetNextItem")
		if n == 0 {
			c.check(arr == nil, "PeerGetNextItem: no items but an array")
			break
		}
		for _, it := range unsafe.Slice((*unsafe.Pointer)(arr), n) {
			f(it)
		}
		total += int(n)
		c.lib.PeerFreeData(arr)
	}
	c.ok(c.lib.PeerEndEnumeration(e), "PeerEndEnumeration")
	return total
}

// namePairs takes a PEER_NAME_PAIR enumeration as peer name -> friendly name.
func (c *client) namePairs(e Handle) map[string]string {
	c.Helper()
	m := map[string]string{}
	c.items(e, func(it unsafe.Pointer) {
		p := (*PeerNamePair)(it)
		c.check(p.Size == uint32(unsafe.Sizeof(*p)), "PEER_NAME_PAIR.dwSize %d", p.Size)
		m[str(p.PeerName)] = str(p.FriendlyName)
	})
	return m
}

// records takes a PEER_RECORD enumeration as record id -> data.
func (c *client) records(e Handle) map[GUID]string {
	c.Helper()
	m := map[GUID]string{}
	c.items(e, func(it unsafe.Pointer) {
		r := (*PeerRecord)(it)
		c.check(r.Size == uint32(unsafe.Sizeof(*r)), "PEER_RECORD.dwSize %d", r.Size)
		m[r.ID] = string(bytesAt(r.Data.Data, r.Data.Size))
	})
	return m
}

// ---- time ----

// ftEpochOffset is the FILETIME of 1970-01-01 UTC.
const ftEpochOffset = 116444736000000000

func filetime(t time.Time) FileTime {
	v := uint64(t.UnixNano()/100) + ftEpochOffset
	return FileTime{Low: uint32(v), High: uint32(v >> 32)}
}

func (f FileTime) u64() uint64 { return uint64(f.High)<<32 | uint64(f.Low) }

func (f FileTime) time() time.Time {
	return time.Unix(0, int64(f.u64()-ftEpochOffset)*100).UTC()
}

// ---- records ----

// newRecord fills a PEER_RECORD in C memory.
func (c *client) newRecord(typ GUID, data, attrs string, expires time.Time) *PeerRecord {
	r := cnew[PeerRecord](c)
	r.Size = uint32(unsafe.Sizeof(*r))
	r.Type = typ
	if attrs != "" {
		r.Attributes = c.w(attrs)
	}
	r.Expiration = filetime(expires)
	r.Data = PeerData{Size: uint32(len(data)), Data: c.cbytes([]byte(data))}
	return r
}

// guidPtr returns g in C memory.
func (c *client) guidPtr(g GUID) *GUID {
	p := cnew[GUID](c)
	*p = g
	return p
}

func (g GUID) String() string {
	return fmt.Sprintf("{%08x-%04x-%04x-%x-%x}", g.Data1, g.Data2, g.Data3, g.Data4[:2], g.Data4[2:])
}

// ---- events ----

// eventFD is an eventfd the library signals (the POSIX HANDLE of
// PeerGroupRegisterEvent).
type eventFD int

func (c *client) eventfd() eventFD {
	c.Helper()
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		c.Fatalf("eventfd: %v", err)
	}
	c.Cleanup(func() { unix.Close(fd) })
	return eventFD(fd)
}

// wait waits up to d for the descriptor to be signalled and drains it,
// returning the counter (how many signals) or 0 on timeout.
func (fd eventFD) wait(d time.Duration) uint64 {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left < 0 {
			left = 0
		}
		n, err := unix.Poll(pfd, int(left/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if n <= 0 {
			return 0
		}
		var buf [8]byte
		if _, err := unix.Read(int(fd), buf[:]); err != nil {
			return 0
		}
		return *(*uint64)(unsafe.Pointer(&buf))
	}
}

// event is a copy of the parts of one PEER_GROUP_EVENT_DATA the tests read.
type event struct {
	typ          int32
	status       uint32
	change       int32
	recordID     GUID
	recordType   GUID
	connStatus   int32
	connectionID uint64
	dataType     GUID
	data         string
	identity     string
}

// nextEvent returns the next queued event of he, waiting on fd up to d.
func (c *client) nextEvent(he Handle, fd eventFD, d time.Duration) (event, bool) {
	c.Helper()
	deadline := time.Now().Add(d)
	for {
		var p *PeerGroupEventData
		h := c.lib.PeerGroupGetEventData(he, &p)
		if h == sOK {
			c.check(p != nil, "PeerGroupGetEventData: S_OK with no data")
			e := event{typ: p.EventType}
			switch p.EventType {
			case evStatusChanged:
				e.status = p.Status()
			case evRecordChanged:
				r := p.RecordChange()
				c.check(r.Size == uint32(unsafe.Sizeof(*r)), "record change dwSize %d", r.Size)
				e.change, e.recordID, e.recordType = r.ChangeType, r.RecordID, r.RecordType
			case evDirectConnection, evNeighborConnection:
				cc := p.ConnectionChange()
				e.connStatus, e.connectionID = cc.Status, cc.ConnectionID
			case evIncomingData:
				in := p.IncomingData()
				e.connectionID, e.dataType, e.data = in.ConnectionID, in.Type, string(bytesAt(in.Data.Data, in.Data.Size))
			case evMemberChanged:
				m := p.MemberChange()
				e.change, e.identity = m.ChangeType, str(m.Identity)
			}
			c.lib.PeerFreeData(unsafe.Pointer(p))
			return e, true
		}
		c.expect(h, peerSNoEventData, "PeerGroupGetEventData")
		c.check(p == nil, "PEER_S_NO_EVENT_DATA with data")
		left := time.Until(deadline)
		if left <= 0 {
			return event{}, false
		}
		fd.wait(min(left, 200*time.Millisecond))
	}
}

// waitEvent returns the first event for which match is true, within d,
// discarding others.
func (c *client) waitEvent(he Handle, fd eventFD, d time.Duration, what string, match func(event) bool) event {
	c.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		e, ok := c.nextEvent(he, fd, time.Until(deadline))
		if ok && match(e) {
			return e
		}
	}
	c.Fatalf("no %s event within %v", what, d)
	return event{}
}

// eventually retries f until it returns true or d passes.
func eventually(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
