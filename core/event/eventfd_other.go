//go:build unix && !linux

package event

import "golang.org/x/sys/unix"

// isEventFD is false where the OS has no eventfd.
func isEventFD(int, *unix.Stat_t) bool { return false }
