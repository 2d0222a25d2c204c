package event

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// isEventFD reports whether fd is an eventfd (an anonymous inode named
// "[eventfd]").
func isEventFD(fd int, _ *unix.Stat_t) bool {
	target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	return err == nil && target == "anon_inode:[eventfd]"
}
