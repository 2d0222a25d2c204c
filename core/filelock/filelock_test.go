package filelock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestExclusiveAndReleasedOnDeath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	if os.Getenv("FILELOCK_HOLD") != "" {
		f, _ := os.OpenFile(os.Getenv("FILELOCK_HOLD"), os.O_RDWR|os.O_CREATE, 0o600)
		if err := Lock(f); err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Hour)
	}
	a, _ := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	b, _ := os.OpenFile(path, os.O_RDWR, 0o600)
	defer a.Close()
	defer b.Close()
	if err := TryLock(a); err != nil {
		t.Fatal(err)
	}
	if err := TryLock(b); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open got the lock: %v", err)
	}
	Unlock(a)
	if err := TryLock(b); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	Unlock(b)

	// A holder that is killed releases the lock.
	cmd := exec.Command(os.Args[0], "-test.run=TestExclusiveAndReleasedOnDeath")
	cmd.Env = append(os.Environ(), "FILELOCK_HOLD="+path)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	out.Read(buf)
	if err := TryLock(a); !errors.Is(err, ErrLocked) {
		t.Fatalf("lock held by a child was free: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if err := TryLock(a); err != nil {
		t.Fatalf("lock of a killed holder not released: %v", err)
	}
}
