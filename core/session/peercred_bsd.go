//go:build unix && !linux

package session

import "net"

// checkPeer relies on the socket's file permissions (mode 0600 in a
// private directory) where the OS does not report the peer's user simply.
func checkPeer(net.Conn) error { return nil }
