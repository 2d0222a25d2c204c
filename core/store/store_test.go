package store

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/record"
)

const group = "0123456789abcdef0123456789abcdef01234567.g"

func open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "g.db"), group)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func rec(version uint32, data string) *record.Record {
	now := filetime.Now()
	return &record.Record{Type: uuid.New(), ID: uuid.New(), Version: version, CreatorID: "a.b", ModifiedByID: "a.b",
		Created: now, Modified: now, Expires: now.Add(3600e9), Data: []byte(data), Signature: []byte{1}}
}

func TestPutGetConflict(t *testing.T) {
	db := open(t)
	r := rec(2, "v2")
	out, err := db.Put(r)
	if err != nil || !out[0].Applied || out[0].Prev != nil {
		t.Fatalf("first put: %+v %v", out, err)
	}
	older := r.Clone()
	older.Version, older.Data = 1, []byte("v1")
	out, err = db.Put(older)
	if err != nil || out[0].Applied {
		t.Fatalf("older version must lose: %+v %v", out, err)
	}
	got, err := db.Get(r.ID)
	if err != nil || string(got.Data) != "v2" {
		t.Fatalf("get: %+v %v", got, err)
	}
	newer := r.Clone()
	newer.Version, newer.Data = 3, []byte("v3")
	out, _ = db.Put(newer)
	if !out[0].Applied || string(out[0].Prev.Data) != "v2" {
		t.Fatalf("newer version must win and report the previous: %+v", out)
	}
	if _, err := db.Get(uuid.New()); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Fatalf("missing record: %v", err)
	}
}

func TestListQueryAndExpire(t *testing.T) {
	db := open(t)
	live := rec(1, "live")
	gone := rec(1, "gone")
	gone.Expires = filetime.Now().Add(-1)
	dead := rec(2, "")
	dead.Flags = record.FlagDeleted
	if _, err := db.Put(live, gone, dead); err != nil {
		t.Fatal(err)
	}
	all, _ := db.List(Query{IncludeDeleted: true})
	if len(all) != 3 {
		t.Fatalf("want 3 records, got %d", len(all))
	}
	visible, _ := db.List(Query{LiveAt: filetime.Now()})
	if len(visible) != 1 || visible[0].ID != live.ID {
		t.Fatalf("live query: %+v", visible)
	}
	typed, _ := db.IDs(Query{Type: &live.Type})
	if len(typed) != 1 {
		t.Fatalf("type query: %v", typed)
	}
	expired, err := db.Expire(filetime.Now())
	if err != nil || len(expired) != 1 || expired[0].ID != gone.ID {
		t.Fatalf("expire: %+v %v", expired, err)
	}
	if n, _ := db.Count(Query{IncludeDeleted: true}); n != 2 {
		t.Fatalf("after expiry %d records", n)
	}
	if err := db.IntegrityCheck(); err != nil {
		t.Fatal(err)
	}
}

func TestMetaAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	db, err := Open(path, group)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetMeta(map[string][]byte{"k": []byte("v")}); err != nil {
		t.Fatal(err)
	}
	r := rec(1, "x")
	db.Put(r)
	db.Close()
	if _, err := db.Meta("k"); err == nil {
		t.Fatal("closed database still answers")
	}
	db, err = Open(path, group)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Meta("k"); err != nil || string(v) != "v" {
		t.Fatalf("meta after reopen: %q %v", v, err)
	}
	if _, err := db.Meta("missing"); !errors.Is(err, peererr.ErrNotFound) {
		t.Fatalf("missing meta: %v", err)
	}
	if _, err := db.Get(r.ID); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	a, _ := Open(path, group)
	b, _ := Open(path, group)
	defer a.Close()
	defer b.Close()
	var wg sync.WaitGroup
	for _, db := range []*DB{a, b, a, b} {
		wg.Add(1)
		go func(db *DB) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := db.Put(rec(1, "c")); err != nil {
					t.Error(err)
					return
				}
			}
		}(db)
	}
	wg.Wait()
	if n, _ := a.Count(Query{}); n != 200 {
		t.Fatalf("want 200 records, got %d", n)
	}
}

func TestNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := writeFile(path, []byte("this is not sqlite, just some text that is long enough to be a header.....")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, group); !errors.Is(err, peererr.ErrInvalidDatabase) {
		t.Fatalf("junk file: %v", err)
	}
}
