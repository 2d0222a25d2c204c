//go:build unix

package service_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// hostEndpointIsPrivate checks a host's Unix socket: mode 0600 in a
// folder closed to others, and unreachable for another user.
func hostEndpointIsPrivate(t *testing.T, sock string) {
	t.Helper()
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %s: %v %v, want a 0600 socket", sock, fi, err)
	}
	if fi, _ := os.Stat(filepath.Dir(sock)); fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("%s is open to others: %v", filepath.Dir(sock), fi.Mode().Perm())
	}
	if os.Getuid() == 0 {
		// Another user cannot even reach the socket.
		cmd := exec.Command("sh", "-c", "exec 3<>/dev/null; cat < "+sock)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "ermission denied") {
			t.Fatalf("user 65534 reached the socket: %v %s", err, out)
		}
	}
}
