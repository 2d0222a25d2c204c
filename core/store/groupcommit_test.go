package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"p2p/core/peererr"
	"p2p/core/record"
)

// commitHook installs fn as the writer connection's SQLite commit hook
// (non-zero turns the commit into a rollback).
func commitHook(t *testing.T, db *DB, fn func() int) {
	t.Helper()
	c, err := db.w.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Raw(func(dc any) error {
		dc.(*sqlite3.SQLiteConn).RegisterCommitHook(fn)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// grouped runs the writes concurrently, holding the lead until all are
// queued, then hands it to the first, so that they are committed as one
// group.
func grouped(t *testing.T, db *DB, writes ...func() error) []error {
	t.Helper()
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	db.pendingMu.Lock()
	db.leading = true
	db.pendingMu.Unlock()
	for i, w := range writes {
		wg.Go(func() { errs[i] = w() })
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		db.pendingMu.Lock()
		n := len(db.pending)
		db.pendingMu.Unlock()
		if n == len(writes) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d writes queued", n, len(writes))
		}
		time.Sleep(time.Millisecond)
	}
	db.pendingMu.Lock()
	first := db.pending[0]
	db.pendingMu.Unlock()
	first.wake <- struct{}{}
	wg.Wait()
	return errs
}

// TestGroupCommit: writes queued while another commits are committed
// together in one transaction, each with its own outcome, and every
// record is stored with its own sequence number.
func TestGroupCommit(t *testing.T) {
	db := open(t)
	var commits atomic.Int64
	commitHook(t, db, func() int { commits.Add(1); return 0 })
	recs := make([]*record.Record, 8)
	var writes []func() error
	for i := range recs {
		recs[i] = rec(1, "x")
		writes = append(writes, func() error {
			out, err := db.Put(recs[i])
			if err == nil && !out[0].Applied {
				err = errors.New("not applied")
			}
			return err
		})
	}
	for i, err := range grouped(t, db, writes...) {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if n := commits.Load(); n != 1 {
		t.Fatalf("%d commits for 8 queued writes, want 1", n)
	}
	seqs := map[int64]bool{}
	for _, r := range recs {
		if _, err := db.Get(r.ID); err != nil {
			t.Fatal(err)
		}
		var seq int64
		if err := db.r.QueryRow(`SELECT seq FROM records WHERE id = ?`, r.ID[:]).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		seqs[seq] = true
	}
	if len(seqs) != len(recs) {
		t.Fatalf("%d distinct sequence numbers for %d records", len(seqs), len(recs))
	}
	// Many writers without help: all stored, in fewer commits than writes.
	commits.Store(0)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if _, err := db.Put(rec(1, "y")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n, _ := db.Count(Query{}); n != 8+160 {
		t.Fatalf("%d records, want %d", n, 8+160)
	}
}

// TestGroupCommitFailsAlone: a write whose own work fails is undone and
// fails alone; the others of its group are stored.
func TestGroupCommitFailsAlone(t *testing.T) {
	db := open(t)
	boom := errors.New("boom")
	set := func(k string, fail bool) func() error {
		return func() error {
			return db.write(func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO meta(key, value) VALUES(?, x'01')`, k); err != nil {
					return err
				}
				if fail {
					return boom
				}
				return nil
			})
		}
	}
	errs := grouped(t, db, set("a", false), set("b", true), set("c", false))
	if errs[0] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), boom.Error()) || errs[2] != nil {
		t.Fatalf("errors %v", errs)
	}
	for k, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if _, err := db.Meta(k); (err == nil) != want {
			t.Errorf("meta %s: %v, want present %v", k, err, want)
		}
	}
}

// TestGroupCommitFailsTogether: when the transaction fails (its commit,
// or a write that leaves nothing to undo to), every write in it fails
// and none is stored.
func TestGroupCommitFailsTogether(t *testing.T) {
	db := open(t)
	put := func(r *record.Record) func() error {
		return func() error { _, err := db.Put(r); return err }
	}
	check := func(what string, errs []error, recs ...*record.Record) {
		t.Helper()
		for i, err := range errs {
			if err == nil {
				t.Errorf("%s: write %d succeeded", what, i)
			}
		}
		for _, r := range recs {
			if _, err := db.Get(r.ID); !errors.Is(err, peererr.ErrRecordNotFound) {
				t.Errorf("%s: record stored: %v", what, err)
			}
		}
	}
	// The commit fails.
	commitHook(t, db, func() int { return 1 })
	a, b, c := rec(1, "a"), rec(1, "b"), rec(1, "c")
	check("failed commit", grouped(t, db, put(a), put(b), put(c)), a, b, c)
	check("failed commit, alone", grouped(t, db, put(a)), a)
	commitHook(t, db, nil)
	// A write rolls the whole transaction back, as SQLite does on a full
	// disk: the savepoint is gone and the group cannot go on.
	rollback := func() error {
		return db.write(func(tx *sql.Tx) error {
			tx.Exec(`ROLLBACK`)
			return errors.New("disk full")
		})
	}
	check("rolled back", grouped(t, db, put(a), rollback, put(c)), a, c)
	// The database works on.
	if _, err := db.Put(b); err != nil {
		t.Fatal(err)
	}
}
