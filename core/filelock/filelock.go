// Package filelock takes exclusive advisory locks on files: flock on
// POSIX, LockFileEx on Windows. The operating system releases a lock when
// its holder dies, so a killed process never leaves a stale lock behind.
// Locks belong to the open file, so two opens of one file exclude each
// other even inside one process.
package filelock

import (
	"errors"
	"os"
)

// ErrLocked is returned by TryLock when another holder has the lock.
var ErrLocked = errors.New("file is locked by another holder")

// Open opens (creating if needed, mode 0600) a file to lock. On Windows it
// is opened with FILE_SHARE_DELETE, so the file can be removed while it is
// held (a group's folder can be deleted under its lock); on POSIX that
// needs nothing special.
func Open(path string) (*os.File, error) { return open(path) }

// Lock waits for an exclusive lock on f.
func Lock(f *os.File) error { return lock(f, true) }

// TryLock takes an exclusive lock on f if it is free, else ErrLocked.
func TryLock(f *os.File) error { return lock(f, false) }

// Unlock releases the lock.
func Unlock(f *os.File) error { return unlock(f) }
