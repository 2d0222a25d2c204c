package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/uuid"

	"p2p/core/peererr"
)

// TestDamagedDatabaseCodes damages a page of a database's records and
// checks that every call that meets it says PEER_E_INVALID_DATABASE, and
// that no write is made to a database found damaged (issue 13 item 4).
func TestDamagedDatabaseCodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	db, err := Open(path, group)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uuid.UUID
	for i := range 400 {
		r := rec(1, fmt.Sprintf("%0400d", i))
		if _, err := db.Put(r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	// Overwrite a page in the middle of the file (pages of 4 KiB) while
	// the database is open (its page cache is small), as a failing disk
	// would.
	damage := func() {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fi, _ := f.Stat()
		page := fi.Size() / 4096 / 2
		junk := make([]byte, 4096)
		for i := range junk {
			junk[i] = byte(i*7 + 3)
		}
		if _, err := f.WriteAt(junk, page*4096); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Checkpoint(); err != nil { // the records are in the file, not the log
		t.Fatal(err)
	}
	damage()
	want := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, peererr.ErrInvalidDatabase) {
			t.Errorf("%s: %v, want PEER_E_INVALID_DATABASE", what, err)
		}
	}
	met := 0
	for _, id := range ids {
		if _, err := db.Get(id); err != nil {
			want("Get", err)
			met++
		}
	}
	if met == 0 {
		t.Fatal("no Get met the damaged page")
	}
	_, err = db.IDs(Query{})
	t.Logf("%d of %d Gets met the damage; IDs: %v", met, len(ids), err)
	if err != nil {
		want("IDs", err)
	}
	want("IntegrityCheck", db.IntegrityCheck())
	_, err = db.Put(rec(1, "after the damage"))
	want("Put to a database found damaged", err)
	db.Close()

	// Opened again, the damaged file is refused at once.
	if db, err := Open(path, group); err == nil {
		db.Close()
		t.Fatal("a damaged database opened")
	} else {
		want("Open of a damaged database", err)
	}
}

// TestClosedDatabaseCode: a read racing the database's close (the last
// PeerGroupClose) is PEER_E_INVALID_GROUP, as a write is, not
// PEER_E_INVALID_DATABASE.
func TestClosedDatabaseCode(t *testing.T) {
	db := open(t)
	r := rec(1, "x")
	if _, err := db.Put(r); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for what, err := range map[string]error{
		"Get":  func() error { _, err := db.Get(r.ID); return err }(),
		"IDs":  func() error { _, err := db.IDs(Query{}); return err }(),
		"List": func() error { _, err := db.List(Query{}); return err }(),
	} {
		if !errors.Is(err, peererr.ErrInvalidGroup) {
			t.Errorf("%s after close: %v, want PEER_E_INVALID_GROUP", what, err)
		}
	}
}

// TestOutOfDescriptorsCode: running out of file descriptors is
// HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES), not an access problem.
func TestOutOfDescriptorsCode(t *testing.T) {
	err := mapOSErr(&os.PathError{Op: "open", Path: "x", Err: syscall.EMFILE})
	if !errors.Is(err, peererr.ErrTooManyOpenFiles) {
		t.Fatalf("EMFILE: %v", err)
	}
	if got := peererr.HResult(fmt.Errorf("open: %w", syscall.ENFILE)); got != peererr.ErrTooManyOpenFiles.HR {
		t.Fatalf("ENFILE: %#x", got)
	}
}
