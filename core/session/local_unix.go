//go:build unix

package session

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// Endpoint is where the host of the group whose data is in groupDir
// listens: on POSIX a Unix socket in that directory (private to the user)
// when the path fits the socket address limit, else in a private
// directory of the user's under the temporary directory, named by a hash
// of groupDir.
func Endpoint(groupDir string) (string, error) {
	p := filepath.Join(groupDir, "host.sock")
	if len(p) < 100 {
		return p, nil
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("p2p-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("socket directory %s is not private", dir)
	}
	sum := sha256.Sum256([]byte(groupDir))
	return filepath.Join(dir, hex.EncodeToString(sum[:12])+".sock"), nil
}

// listenLocal listens on a Unix socket at path that only the owner may
// open (mode 0600; the peer's user is also checked on every accept where
// the OS reports it).
func listenLocal(path string) (net.Listener, error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	return ln, nil
}

func dialLocal(path string) (net.Conn, error) { return net.Dial("unix", path) }

// removeEndpoint removes a socket a host left behind: a new host replaces
// it (it holds the group's host lock, so no live host owns it), and a
// host that stops removes its own.
func removeEndpoint(path string) { os.Remove(path) }
