//go:build unix

package session

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The POSIX local endpoint: a Unix socket (mode 0600, in a private
// directory).

// rawDial connects to a host's socket without the protocol.
func rawDial(path string) (net.Conn, error) { return net.Dial("unix", path) }

// canHalfClose: a Unix socket can end its side of the stream.
const canHalfClose = true

// closeWrite ends the client's side of the stream, leaving it readable.
func closeWrite(t *testing.T, c net.Conn) { c.(*net.UnixConn).CloseWrite() }

// fakeListener listens where a test plays the host itself.
func fakeListener(t *testing.T) (string, net.Listener) {
	path := filepath.Join(t.TempDir(), "fake.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	return path, ln
}

// unusedEndpoint is an endpoint nobody listens on.
func unusedEndpoint(t *testing.T) string { return filepath.Join(t.TempDir(), "nobody.sock") }

// TestSocketIsPrivate proves that the socket Listen creates is a socket
// only its owner may open (mode 0600).
func TestSocketIsPrivate(t *testing.T) {
	h := newHost(t)
	fi, err := os.Lstat(h.path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("%s is not a socket: %v", h.path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("socket mode %#o, want 0600", perm)
	}
	if h.srv.Path() != h.path {
		t.Fatalf("Path() = %q, want %q", h.srv.Path(), h.path)
	}
}

// maxSocketPath is the longest socket path SocketPath may return: it
// promises less than 100 bytes, which fits sockaddr_un on every Unix
// (104 bytes on the BSDs and macOS, 108 on Linux, with the NUL).
const maxSocketPath = 99

// TestSocketPathShortDir proves that a group directory whose socket path
// fits gets its socket inside the directory itself.
func TestSocketPathShortDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "g")
	p, err := Endpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "host.sock"); p != want {
		t.Fatalf("Endpoint(%q) = %q, want %q", dir, p, want)
	}
	// Just at the limit: 99 bytes still in the directory, 100 moved (to
	// a temporary directory of the test's, not the machine's).
	t.Setenv("TMPDIR", t.TempDir())
	base := t.TempDir()
	if len(base) > 60 {
		t.Skipf("temporary directory %s too long to build paths at the limit", base)
	}
	for _, n := range []int{99, 100} {
		d := base + "/" + strings.Repeat("d", n-len(base)-len("/host.sock")-1)
		p, err := Endpoint(d)
		if err != nil {
			t.Fatal(err)
		}
		inDir := p == filepath.Join(d, "host.sock")
		if inDir != (n < 100) || len(p) > maxSocketPath {
			t.Fatalf("path of %d bytes gave %q (%d bytes, in the directory: %v)", n, p, len(p), inDir)
		}
	}
}

// TestSocketPathLongDir proves that a group directory too deep for a
// socket address gets a short, stable path in a private per-user
// directory under the temporary directory, distinct per group directory,
// on which a host can listen and be dialled.
func TestSocketPathLongDir(t *testing.T) {
	tmp := t.TempDir()
	if len(tmp) > 50 {
		t.Skipf("temporary directory %s too long for a short socket path under it", tmp)
	}
	t.Setenv("TMPDIR", tmp) // os.TempDir on Unix
	long := filepath.Join(t.TempDir(), strings.Repeat("a", 60), strings.Repeat("b", 60), "group")
	p, err := Endpoint(long)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) > maxSocketPath {
		t.Fatalf("socket path %q is %d bytes long", p, len(p))
	}
	if strings.HasPrefix(p, long) {
		t.Fatalf("socket path %q is inside the too-long directory", p)
	}
	if !strings.HasPrefix(p, tmp+string(filepath.Separator)) {
		t.Fatalf("socket path %q is not under the temporary directory %s", p, tmp)
	}
	fi, err := os.Lstat(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory %s: mode %v, want a 0700 directory", filepath.Dir(p), fi.Mode())
	}
	again, err := Endpoint(long)
	if err != nil || again != p {
		t.Fatalf("second SocketPath = %q, %v; want the same %q", again, err, p)
	}
	seen := map[string]string{p: long}
	for i := range 1000 {
		d := long + strconv.Itoa(i)
		other, err := Endpoint(d)
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := seen[other]; ok {
			t.Fatalf("%s and %s share the socket path %s", prev, d, other)
		}
		seen[other] = d
	}

	// It works as a socket address.
	h := newHost(t)
	srv, err := Listen(p, h.local, h.id.PeerName, nil)
	if err != nil {
		t.Fatalf("listen on %s: %v", p, err)
	}
	t.Cleanup(func() { srv.Close() })
	r, err := Dial(p, h.id.PeerName, h.local.E.GroupPeerName())
	if err != nil {
		t.Fatalf("dial %s: %v", p, err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := r.RecordIDs(nil); err != nil {
		t.Fatal(err)
	}
}

// TestSocketPathRefusesSharedDir proves that SocketPath refuses a socket
// directory that other users could reach (group- or world-accessible, or
// a symbolic link someone planted), instead of using it.
func TestSocketPathRefusesSharedDir(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("c", 120))
	sockDir := func(tmp string) string { return filepath.Join(tmp, "p2p-"+strconv.Itoa(os.Getuid())) }

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if err := os.Mkdir(sockDir(tmp), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sockDir(tmp), 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if p, err := Endpoint(long); err == nil {
		t.Fatalf("SocketPath used the shared directory: %q", p)
	}

	tmp2 := t.TempDir()
	t.Setenv("TMPDIR", tmp2)
	target := t.TempDir()
	if err := os.Chmod(target, 0o700); err != nil { // private, but reached through a link
		t.Fatal(err)
	}
	if err := os.Symlink(target, sockDir(tmp2)); err != nil {
		t.Fatal(err)
	}
	if p, err := Endpoint(long); err == nil {
		t.Fatalf("SocketPath followed a symbolic link: %q", p)
	}
}

// TestListenReplacesStaleFile proves that Listen takes over a path where
// a previous host left something behind: a regular file, or the socket of
// a host that died without removing it.
func TestListenReplacesStaleFile(t *testing.T) {
	h := newHost(t)
	for _, c := range []struct {
		name  string
		stale func(t *testing.T, path string)
	}{
		{"regular file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("stale"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"dead socket", func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			ln.(*net.UnixListener).SetUnlinkOnClose(false) // as when a host is killed
			ln.Close()
			if _, err := net.Dial("unix", path); err == nil {
				t.Fatal("the dead socket still accepts")
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "host.sock")
			c.stale(t, path)
			if _, err := os.Lstat(path); err != nil {
				t.Fatalf("no stale file: %v", err)
			}
			srv, err := Listen(path, h.local, h.id.PeerName, nil)
			if err != nil {
				t.Fatalf("listen over a stale %s: %v", c.name, err)
			}
			t.Cleanup(func() { srv.Close() })
			if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
				t.Fatalf("after listen: %v, %v", fi, err)
			}
			r, err := Dial(path, h.id.PeerName, h.local.E.GroupPeerName())
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			t.Cleanup(func() { r.Close() })
			if _, err := r.RecordIDs(nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}
