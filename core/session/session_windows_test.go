package session

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// The Windows local endpoint: a named pipe that admits only the user.

// rawDial connects to a host's pipe without the protocol.
func rawDial(name string) (net.Conn, error) {
	timeout := 2 * time.Second
	return winio.DialPipe(name, &timeout)
}

// canHalfClose: a byte-mode named pipe cannot be half-closed, so the
// cases that end the stream mid-message run on POSIX only.
const canHalfClose = false

func closeWrite(t *testing.T, c net.Conn) { t.Fatal("closeWrite on a named pipe") }

// fakeListener listens where a test plays the host itself.
func fakeListener(t *testing.T) (string, net.Listener) {
	name, err := Endpoint(filepath.Join(t.TempDir(), "fake"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := listenLocal(name)
	if err != nil {
		t.Fatal(err)
	}
	return name, ln
}

// unusedEndpoint is an endpoint nobody listens on.
func unusedEndpoint(t *testing.T) string {
	name, err := Endpoint(filepath.Join(t.TempDir(), "nobody"))
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// TestPipeName proves that the endpoint is a local named pipe whose name
// is stable for a group directory, the same for spellings of one path and
// different for different directories.
func TestPipeName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "group")
	p, err := Endpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p, `\\.\pipe\p2p-`) || len(p) != len(`\\.\pipe\p2p-`)+40 {
		t.Fatalf("endpoint %q is not \\\\.\\pipe\\p2p-<40 hex>", p)
	}
	for _, same := range []string{strings.ToUpper(dir), dir + `\`, filepath.Join(dir, "x", "..")} {
		if q, err := Endpoint(same); err != nil || q != p {
			t.Fatalf("Endpoint(%q) = %q, %v; want %q", same, q, err, p)
		}
	}
	seen := map[string]bool{p: true}
	for i := range 200 {
		q, err := Endpoint(filepath.Join(dir, strings.Repeat("d", i%7+1), string(rune('a'+i%26)), string(rune('a'+i/26))))
		if err != nil {
			t.Fatal(err)
		}
		if seen[q] {
			t.Fatalf("two directories share the pipe %s", q)
		}
		seen[q] = true
	}
}

// TestPipeIsPrivate proves that the host's pipe has a protected DACL with
// one entry, for the current user, and that user as its owner.
func TestPipeIsPrivate(t *testing.T) {
	h := newHost(t)
	c, err := rawDial(h.path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sd, err := windows.GetSecurityInfo(windows.Handle(c.(interface{ Fd() uintptr }).Fd()), windows.SE_KERNEL_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatalf("security of %s: %v", h.path, err)
	}
	me, err := currentUserSID()
	if err != nil {
		t.Fatal(err)
	}
	owner, _, err := sd.Owner()
	if err != nil || !owner.Equals(me) {
		t.Fatalf("owner %v (%v), want %v", owner, err, me)
	}
	sddl := sd.String()
	// Windows reports the generic right granted (GA) as the file rights it
	// maps to (FA); Wine keeps GA.
	fa, ga := "D:P(A;;FA;;;"+me.String()+")", "D:P(A;;GA;;;"+me.String()+")"
	if !(strings.Contains(sddl, fa) || strings.Contains(sddl, ga)) || strings.Count(sddl, "(A;") != 1 {
		t.Fatalf("pipe security %s, want only %s", sddl, fa)
	}
}

// TestPipeCannotBeSquatted proves that a second listener on a live
// host's pipe name fails (the first instance is created with
// FILE_FLAG_FIRST_PIPE_INSTANCE), and that the name is free again once
// the host has closed.
func TestPipeCannotBeSquatted(t *testing.T) {
	if underWine() {
		t.Skip("Wine 8 does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE (Windows refuses the second instance); a client still refuses a host of another user (checkPipeProcess)")
	}
	h := newHost(t)
	if ln, err := listenLocal(h.path); err == nil {
		ln.Close()
		t.Fatal("a second listener took a live host's pipe")
	}
	h.srv.Close()
	ln, err := listenLocal(h.path)
	if err != nil {
		t.Fatalf("listen after the host closed: %v", err)
	}
	ln.Close()
}

// underWine reports whether the test runs under Wine (its ntdll exports
// wine_get_version).
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
