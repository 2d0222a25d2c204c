//go:build !linux

package session

import "net"

// checkPeer relies on the socket's file permissions (and, on Windows, the
// user profile's access control) where the OS does not report the peer's
// user simply.
func checkPeer(net.Conn) error { return nil }
