package identity

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"p2p/core/peererr"
	"p2p/core/peername"
)

// Environment of the helper process TestDefaultRaceProcesses starts: the
// test binary itself, which then only calls Default and prints the name.
const (
	helperDirEnv   = "P2P_IDENTITY_TEST_HELPER_DIR"
	helperStartEnv = "P2P_IDENTITY_TEST_HELPER_START"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		os.Exit(helperDefault(dir, os.Getenv(helperStartEnv)))
	}
	os.Exit(m.Run())
}

// helperDefault waits for the agreed start time, then opens the store and
// prints its default identity's peer name.
func helperDefault(dir, start string) int {
	ns, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad start time:", err)
		return 2
	}
	time.Sleep(time.Until(time.Unix(0, ns)))
	s, err := OpenStore(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	id, err := s.Default()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(id.PeerName)
	return 0
}

func TestCreateGet(t *testing.T) {
	s := newTestStore(t)
	id := mustCreate(t, s, "chat", "Alice")
	if id.PeerName != peername.Secure(id.PublicKey(), "chat") || id.Classifier != "chat" || id.FriendlyName != "Alice" {
		t.Fatalf("created %+v", id)
	}
	got, err := s.Get(id.PeerName)
	if err != nil {
		t.Fatal(err)
	}
	sameIdentity(t, id, got)

	// PeerIdentityCreate: a NULL friendly name means the peer name.
	def := mustCreate(t, s, "", "")
	if def.FriendlyName != def.PeerName || !strings.HasSuffix(def.PeerName, ".") {
		t.Fatalf("default friendly name %q for %q", def.FriendlyName, def.PeerName)
	}
	got, err = s.Get(def.PeerName)
	if err != nil {
		t.Fatal(err)
	}
	sameIdentity(t, def, got)
}

func TestCreateLimits(t *testing.T) {
	s := newTestStore(t)
	emoji := "😀" // two UTF-16 units
	ok := [][2]string{
		{strings.Repeat("c", 149), ""},
		{strings.Repeat(emoji, 74) + "c", ""},
		{"", strings.Repeat("f", 255)},
		{"", strings.Repeat(emoji, 127) + "f"},
		{"sp ace/slash\\..dots", "tab\tnewline\n<xml>&amp;"},
	}
	for _, c := range ok {
		id := mustCreate(t, s, c[0], c[1])
		got, err := s.Get(id.PeerName)
		if err != nil {
			t.Fatal(err)
		}
		sameIdentity(t, id, got)
	}
	bad := [][2]string{
		{strings.Repeat("c", 150), ""},
		{strings.Repeat(emoji, 75), ""},
		{"ctl\x01", ""},
		{"bad\xff", ""},
		{"", strings.Repeat("f", 256)},
		{"", strings.Repeat(emoji, 128)},
		{"", "ctl\x01"},
		{"", "nonchar\uFFFF"},
	}
	for _, c := range bad {
		_, err := s.Create(c[0], c[1])
		wantCode(t, fmt.Sprintf("Create(%q, %q)", c[0], c[1]), err, peererr.ErrInvalidArg)
	}
	if _, err := s.Create(strings.Repeat("c", 150), ""); !errors.Is(err, peererr.ErrClassifierTooLong) {
		t.Fatalf("too-long classifier: %v does not carry PEER_E_CLASSIFIER_TOO_LONG", err)
	}
	ids, _ := s.List()
	if len(ids) != len(ok) {
		t.Fatalf("%d identities after failed creates, want %d", len(ids), len(ok))
	}
}

func TestGetUnknown(t *testing.T) {
	s := newTestStore(t)
	id := mustCreate(t, s, "chat", "")
	authority := peername.Authority(id.PublicKey())
	for _, name := range []string{
		strings.Repeat("ab", 20) + ".chat", // well formed, never created
		authority + ".chap",                // right key, other classifier
		authority,                          // no classifier part
		"0.chat",                           // unsecured
	} {
		_, err := s.Get(name)
		wantCode(t, "Get "+name, err, peererr.ErrNotFound)
	}
	for _, name := range []string{"", "garbage", strings.ToUpper(authority) + ".chat", authority + ".a\x01", authority + "." + strings.Repeat("x", 300)} {
		_, err := s.Get(name)
		wantCode(t, "Get "+name, err, peererr.ErrInvalidArg)
	}
}

func TestListSorted(t *testing.T) {
	s := newTestStore(t)
	want := map[string]bool{}
	for i := range 6 {
		want[mustCreate(t, s, fmt.Sprint("c", i), "").PeerName] = true
	}
	ids, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(want) {
		t.Fatalf("%d identities, want %d", len(ids), len(want))
	}
	for i, id := range ids {
		if !want[id.PeerName] {
			t.Fatalf("unexpected %q", id.PeerName)
		}
		if i > 0 && ids[i-1].PeerName >= id.PeerName {
			t.Fatalf("not sorted: %q before %q", ids[i-1].PeerName, id.PeerName)
		}
	}
}

func TestDelete(t *testing.T) {
	s := newTestStore(t)
	keep := mustCreate(t, s, "keep", "")
	gone := mustCreate(t, s, "gone", "")
	if err := s.Delete(gone.PeerName); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(gone.PeerName)
	wantCode(t, "Get deleted", err, peererr.ErrNotFound)
	wantCode(t, "Delete again", s.Delete(gone.PeerName), peererr.ErrNotFound)
	wantCode(t, "Delete other classifier", s.Delete(peername.Authority(keep.PublicKey())+".x"), peererr.ErrNotFound)
	wantCode(t, "Delete garbage", s.Delete("garbage"), peererr.ErrInvalidArg)
	ids, _ := s.List()
	if len(ids) != 1 || ids[0].PeerName != keep.PeerName {
		t.Fatalf("left %v", ids)
	}
	entries, _ := os.ReadDir(s.Dir())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) || e.Name() == peername.Authority(gone.PublicKey()) {
			t.Fatalf("left behind %s", e.Name())
		}
	}
}

func TestSetFriendlyName(t *testing.T) {
	s := newTestStore(t)
	id := mustCreate(t, s, "chat", "Alice")
	if err := s.SetFriendlyName(id.PeerName, "Alice <Smith> & co"); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenStore(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Get(id.PeerName)
	if err != nil {
		t.Fatal(err)
	}
	if got.FriendlyName != "Alice <Smith> & co" || string(got.CertDER) != string(id.CertDER) || !got.Key.Equal(id.Key) {
		t.Fatalf("after set: %+v", got)
	}
	// PeerIdentitySetFriendlyName: empty resets to the peer name.
	if err := s.SetFriendlyName(id.PeerName, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(id.PeerName); got.FriendlyName != id.PeerName {
		t.Fatalf("reset gave %q", got.FriendlyName)
	}
	wantCode(t, "too long", s.SetFriendlyName(id.PeerName, strings.Repeat("x", 256)), peererr.ErrInvalidArg)
	wantCode(t, "unknown", s.SetFriendlyName(strings.Repeat("ab", 20)+".chat", "x"), peererr.ErrNotFound)
	if got, _ := s.Get(id.PeerName); got.FriendlyName != id.PeerName {
		t.Fatalf("failed set changed the name to %q", got.FriendlyName)
	}
}

func TestPersistenceAcrossStores(t *testing.T) {
	dir := t.TempDir()
	s1, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := mustCreate(t, s1, "one", "A")
	b := mustCreate(t, s2, "two", "B")
	for _, s := range []*Store{s1, s2} {
		ids, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 2 {
			t.Fatalf("%d identities", len(ids))
		}
		for _, want := range []*Identity{a, b} {
			got, err := s.Get(want.PeerName)
			if err != nil {
				t.Fatal(err)
			}
			sameIdentity(t, want, got)
		}
	}
	if err := s2.Delete(a.PeerName); err != nil {
		t.Fatal(err)
	}
	_, err = s1.Get(a.PeerName)
	wantCode(t, "deleted through the other store", err, peererr.ErrNotFound)
}

func TestTooManyIdentities(t *testing.T) {
	s := newTestStore(t)
	s.maxIdentities = 3
	var ids []*Identity
	for range 3 {
		ids = append(ids, mustCreate(t, s, "", ""))
	}
	_, err := s.Create("", "")
	wantCode(t, "Create beyond the limit", err, peererr.ErrTooManyIdentities)
	_, err = s.Default()
	wantCode(t, "Default beyond the limit", err, peererr.ErrTooManyIdentities)

	// Importing one already here still says it exists.
	doc, err := s.Export(ids[0].PeerName, "pw")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Import(doc, "pw")
	wantCode(t, "Import existing into a full store", err, peererr.ErrAlreadyExists)
	other := newTestStore(t)
	foreign := mustCreate(t, other, "f", "")
	fdoc, _ := other.Export(foreign.PeerName, "pw")
	_, err = s.Import(fdoc, "pw")
	wantCode(t, "Import new into a full store", err, peererr.ErrTooManyIdentities)

	if err := s.Delete(ids[0].PeerName); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, "", "")
	if MaxIdentities < 100 {
		t.Fatalf("MaxIdentities %d is not sane", MaxIdentities)
	}
}

func TestDefault(t *testing.T) {
	s := newTestStore(t)
	mustCreate(t, s, "other", "") // an existing identity is not the default
	d1, err := s.Default()
	if err != nil {
		t.Fatal(err)
	}
	d2, err := s.Default()
	if err != nil {
		t.Fatal(err)
	}
	sameIdentity(t, d1, d2)
	s2, _ := OpenStore(s.Dir())
	d3, err := s2.Default()
	if err != nil {
		t.Fatal(err)
	}
	sameIdentity(t, d1, d3)
	if got, err := s.Get(d1.PeerName); err != nil || got.PeerName != d1.PeerName {
		t.Fatalf("default not gettable: %v", err)
	}
	// Deleting the default: the next Default makes a new one.
	if err := s.Delete(d1.PeerName); err != nil {
		t.Fatal(err)
	}
	d4, err := s2.Default()
	if err != nil {
		t.Fatal(err)
	}
	if d4.PeerName == d1.PeerName {
		t.Fatal("deleted default came back")
	}
	// A pointer left dangling by a crash is no default.
	if err := os.WriteFile(filepath.Join(s.Dir(), defaultFile), []byte(strings.Repeat("ab", 20)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d5, err := s.Default()
	if err != nil || d5.PeerName == d4.PeerName {
		t.Fatalf("dangling pointer: %v, %q", err, d5.PeerName)
	}
}

// TestDefaultRace races first use of Default between goroutines (sharing
// one Store and with Stores of their own) and between processes: all
// must end up with one and the same default identity.
func TestDefaultRace(t *testing.T) {
	dir := t.TempDir()
	const procs, goroutines = 4, 8
	start := time.Now().Add(500 * time.Millisecond)
	cmds := make([]*exec.Cmd, procs)
	outs := make([]strings.Builder, procs)
	for i := range cmds {
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), helperDirEnv+"="+dir, helperStartEnv+"="+strconv.FormatInt(start.UnixNano(), 10))
		c.Stdout, c.Stderr = &outs[i], &outs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = c
	}
	shared, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, goroutines)
	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			s := shared
			if i%2 == 1 {
				if s, errs[i] = OpenStore(dir); errs[i] != nil {
					return
				}
			}
			time.Sleep(time.Until(start))
			id, err := s.Default()
			if err != nil {
				errs[i] = err
				return
			}
			names[i] = id.PeerName
		})
	}
	wg.Wait()
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper %d: %v: %s", i, err, outs[i].String())
		}
		names = append(names, strings.TrimSpace(outs[i].String()))
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		if n != names[0] {
			t.Fatalf("several defaults: %q", names)
		}
	}
	ids, err := shared.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0].PeerName != names[0] {
		t.Fatalf("store holds %d identities after the race", len(ids))
	}
}

func TestConcurrentCreateRespectsLimit(t *testing.T) {
	s := newTestStore(t)
	s.maxIdentities = 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	made := 0
	for range 12 {
		wg.Go(func() {
			st, err := OpenStore(s.Dir())
			if err != nil {
				t.Error(err)
				return
			}
			st.maxIdentities = 5
			if _, err := st.Create("", ""); err == nil {
				mu.Lock()
				made++
				mu.Unlock()
			} else if !errors.Is(err, peererr.ErrTooManyIdentities) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	ids, _ := s.List()
	if made != 5 || len(ids) != 5 {
		t.Fatalf("made %d, stored %d, want 5", made, len(ids))
	}
}

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes")
	}
	dir := filepath.Join(t.TempDir(), "identities")
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	id := mustCreate(t, s, "m", "")
	if err := s.SetFriendlyName(id.PeerName, "new"); err != nil {
		t.Fatal(err)
	}
	d, _ := s.Default()
	for _, x := range []*Identity{id, d} {
		idDir := filepath.Join(dir, peername.Authority(x.PublicKey()))
		for path, want := range map[string]os.FileMode{
			dir: 0o700, idDir: 0o700,
			filepath.Join(idDir, keyFile):  0o600,
			filepath.Join(idDir, infoFile): 0o600,
		} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
			}
		}
	}
}

func TestCleansTemporaries(t *testing.T) {
	s := newTestStore(t)
	id := mustCreate(t, s, "t", "")
	idDir := filepath.Join(s.Dir(), peername.Authority(id.PublicKey()))
	// What a writer killed mid-way leaves: a half-built identity
	// directory, a half-written file, a half-removed identity.
	half := filepath.Join(s.Dir(), tmpPrefix+"123")
	os.Mkdir(half, 0o700)
	os.WriteFile(filepath.Join(half, keyFile), []byte("-----BEGIN"), 0o600)
	os.WriteFile(filepath.Join(idDir, tmpPrefix+"456"), []byte("<PEERIDENT"), 0o600)
	os.Mkdir(filepath.Join(s.Dir(), tmpPrefix+"deleted-"+strings.Repeat("0", 40)), 0o700)

	ids, err := s.List() // readers ignore them
	if err != nil || len(ids) != 1 {
		t.Fatalf("List with temporaries: %d, %v", len(ids), err)
	}
	if _, err := OpenStore(s.Dir()); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{s.Dir(), idDir} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				t.Errorf("left %s in %s", e.Name(), dir)
			}
		}
	}
	got, err := s.Get(id.PeerName)
	if err != nil {
		t.Fatal(err)
	}
	sameIdentity(t, id, got)
}

func TestCorruptedIdentity(t *testing.T) {
	s := newTestStore(t)
	good := mustCreate(t, s, "good", "")
	bad := mustCreate(t, s, "bad", "")
	badDir := filepath.Join(s.Dir(), peername.Authority(bad.PublicKey()))
	other, _ := newIdentity("x", "")
	for name, damage := range map[string]func(){
		"garbled xml": func() { os.WriteFile(filepath.Join(badDir, infoFile), []byte("<junk"), 0o600) },
		"other key": func() {
			os.WriteFile(filepath.Join(badDir, infoFile), []byte(bad.XML()), 0o600)
			der, _ := os.ReadFile(filepath.Join(s.Dir(), peername.Authority(good.PublicKey()), keyFile))
			os.WriteFile(filepath.Join(badDir, keyFile), der, 0o600)
		},
		"other identity's xml": func() { os.WriteFile(filepath.Join(badDir, infoFile), []byte(other.XML()), 0o600) },
		"garbled key": func() {
			os.WriteFile(filepath.Join(badDir, infoFile), []byte(bad.XML()), 0o600)
			os.WriteFile(filepath.Join(badDir, keyFile), []byte("junk"), 0o600)
		},
	} {
		damage()
		_, err := s.Get(bad.PeerName)
		wantCode(t, name, err, peererr.ErrCertStoreCorrupted)
		ids, err := s.List()
		if err != nil || len(ids) != 1 || ids[0].PeerName != good.PeerName {
			t.Fatalf("%s: List gave %d, %v", name, len(ids), err)
		}
	}
}

func TestNoKeyAccess(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs POSIX permissions that bind the user")
	}
	s := newTestStore(t)
	id := mustCreate(t, s, "k", "")
	key := filepath.Join(s.Dir(), peername.Authority(id.PublicKey()), keyFile)
	os.Chmod(key, 0)
	defer os.Chmod(key, 0o600)
	_, err := s.Get(id.PeerName)
	wantCode(t, "unreadable key", err, peererr.ErrNoKeyAccess)
}

func TestOpenStoreErrors(t *testing.T) {
	_, err := OpenStore("")
	wantCode(t, "empty dir", err, peererr.ErrInvalidArg)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := OpenStore(filepath.Join(file, "sub")); err == nil {
		t.Fatal("store under a file opened")
	}
}
