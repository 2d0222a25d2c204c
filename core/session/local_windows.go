package session

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// On Windows the host listens on a named pipe: Unix permission bits and
// uids mean nothing there. The pipe's security descriptor admits only the
// current user's SID, its first instance is created with
// FILE_FLAG_FIRST_PIPE_INSTANCE, so nobody can hold the name before the
// host, remote clients are rejected, and each side checks that the process
// at the other end runs as the same user.

// Endpoint is where the host of the group whose data is in groupDir
// listens: on Windows the named pipe \\.\pipe\p2p-<40 hex digits>, a hash
// of the current user's SID and the group directory (absolute, case-folded
// as Windows paths are), so that each user and each group has its own.
func Endpoint(groupDir string) (string, error) {
	sid, err := currentUserSID()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(groupDir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(sid.String() + "\x00" + strings.ToLower(filepath.Clean(abs))))
	return `\\.\pipe\p2p-` + hex.EncodeToString(sum[:20]), nil
}

// listenLocal creates the named pipe with a DACL that grants the current
// user, and nobody else, access (owner the same user).
func listenLocal(name string) (net.Listener, error) {
	sid, err := currentUserSID()
	if err != nil {
		return nil, err
	}
	s := sid.String()
	sd, err := windows.SecurityDescriptorFromString("O:" + s + "D:P(A;;GA;;;" + s + ")")
	if err != nil {
		return nil, fmt.Errorf("pipe security descriptor: %w", err)
	}
	return listenPipe(name, sd)
}

// dialLocal opens the host's pipe and checks that the host runs as the
// current user.
func dialLocal(name string) (net.Conn, error) {
	timeout := 2 * time.Second
	c, err := winio.DialPipe(name, &timeout)
	if err != nil {
		return nil, err
	}
	if err := checkPipeProcess(c, windows.GetNamedPipeServerProcessId); err != nil {
		c.Close()
		return nil, fmt.Errorf("host of %s: %w", name, err)
	}
	return c, nil
}

// checkPeer refuses a client process that runs as another user (the DACL
// already keeps it out; this holds even if the DACL were wrong).
func checkPeer(c net.Conn) error {
	return checkPipeProcess(c, windows.GetNamedPipeClientProcessId)
}

// removeEndpoint has nothing to remove: a pipe ends with its last handle.
func removeEndpoint(string) {}

// checkPipeProcess finds the process at the other end of the pipe c with
// processID (the client's or the server's) and refuses it unless its
// token's user is the current user.
func checkPipeProcess(c net.Conn, processID func(windows.Handle, *uint32) error) error {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return errors.New("not a named pipe")
	}
	var pid uint32
	if err := processID(windows.Handle(f.Fd()), &pid); err != nil {
		return fmt.Errorf("find the process at the other end: %w", err)
	}
	ph, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return fmt.Errorf("open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(ph)
	var tok windows.Token
	if err := windows.OpenProcessToken(ph, windows.TOKEN_QUERY, &tok); err != nil {
		return fmt.Errorf("token of process %d: %w", pid, err)
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return fmt.Errorf("user of process %d: %w", pid, err)
	}
	me, err := currentUserSID()
	if err != nil {
		return err
	}
	if !u.User.Sid.Equals(me) {
		return fmt.Errorf("process %d runs as %s, not %s", pid, u.User.Sid, me)
	}
	return nil
}

// currentUserSID is the user of this process's token.
func currentUserSID() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("current user: %w", err)
	}
	return u.User.Sid, nil
}
