package group_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"p2p/core/event"
	"p2p/core/group"
	"p2p/core/peererr"
)

func TestExportImportDatabase(t *testing.T) {
	w := newWorld(t)
	alice, bob := w.identity("Alice"), w.identity("Bob")
	a := w.create(alice, group.Properties{FriendlyName: "original"})
	keep := add(t, a, newRec("keep"))
	upd := add(t, a, newRec("v1"))
	if err := a.UpdateRecord(group.NewRecord{ID: upd, Type: appType, Expires: expiresIn(time.Hour), Data: []byte("v2")}); err != nil {
		t.Fatal(err)
	}
	del := add(t, a, newRec("gone"))
	if err := a.DeleteRecord(del); err != nil {
		t.Fatal(err)
	}
	p := a.Properties()
	p.FriendlyName = "renamed"
	if err := a.SetProperties(p); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "export.db")
	if err := a.ExportDatabase(file); err != nil {
		t.Fatal(err)
	}
	// Export is atomic: no temporary files left beside it.
	if ents, _ := os.ReadDir(filepath.Dir(file)); len(ents) != 1 {
		t.Errorf("export left %d entries", len(ents))
	}

	b := w.join(a, bob, 0)
	sub := b.Subscribe([]event.Filter{{Type: event.RecordChanged}, {Type: event.PropertyChanged}, {Type: event.MemberChanged}}, nil)
	defer sub.Close()
	stored, rejected, err := b.ImportDatabase(file)
	if err != nil || rejected != 0 {
		t.Fatalf("import: stored %d rejected %d err %v", stored, rejected, err)
	}
	// Alice's member record, the properties, 3 records (one a tombstone).
	if stored != 5 {
		t.Errorf("stored %d, want 5", stored)
	}
	if r, err := b.GetRecord(upd); err != nil || string(r.Data) != "v2" || r.Version != 2 {
		t.Errorf("updated record: %+v %v", r, err)
	}
	if _, err := b.GetRecord(keep); err != nil {
		t.Error(err)
	}
	if _, err := b.GetRecord(del); !errors.Is(err, peererr.ErrRecordNotFound) {
		t.Errorf("deleted record: %v", err)
	}
	if tomb, err := group.StoreOf(b).Get(del); err != nil || !tomb.Deleted() {
		t.Errorf("tombstone not imported: %v %v", tomb, err)
	}
	if b.Properties().FriendlyName != "renamed" {
		t.Errorf("properties %+v", b.Properties())
	}
	if !b.IsMember(alice.PeerName) {
		t.Error("alice unknown after import")
	}
	// Events as for records from a neighbour: alice joined, the
	// properties, two records added; no event for a tombstone of a
	// record never seen.
	counts := map[event.Type]int{}
	for {
		ev, ok := sub.Next()
		if !ok {
			break
		}
		counts[ev.Type]++
		if ev.Type == event.RecordChanged && ev.Record.Change != event.RecordAdded {
			t.Errorf("record event %+v", ev)
		}
	}
	if counts[event.RecordChanged] != 2 || counts[event.PropertyChanged] != 1 || counts[event.MemberChanged] != 1 {
		t.Errorf("events %v", counts)
	}

	// Importing again stores nothing.
	before := snapshot(t, b)
	stored, rejected, err = b.ImportDatabase(file)
	if err != nil || stored != 0 || rejected != 0 {
		t.Errorf("second import: %d %d %v", stored, rejected, err)
	}
	if !sameSnapshot(before, snapshot(t, b)) {
		t.Error("second import changed the database")
	}

	// Importing into the exporting group itself is harmless too.
	before = snapshot(t, a)
	if stored, _, err := a.ImportDatabase(file); err != nil || stored != 0 {
		t.Errorf("import into the source: %d %v", stored, err)
	}
	if !sameSnapshot(before, snapshot(t, a)) {
		t.Error("self import changed the database")
	}
}

func TestImportDatabaseRefusals(t *testing.T) {
	w := newWorld(t)
	alice := w.identity("Alice")
	a := w.create(alice, group.Properties{})
	other := w.create(alice, group.Properties{})
	add(t, other, newRec("other group's"))
	file := filepath.Join(t.TempDir(), "other.db")
	if err := other.ExportDatabase(file); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, a)
	_, _, err := a.ImportDatabase(file)
	wantCode(t, err, peererr.ErrInvalidDatabase)
	if !sameSnapshot(before, snapshot(t, a)) {
		t.Error("foreign import changed the database")
	}

	// Missing and garbage files fail without change.
	if _, _, err := a.ImportDatabase(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("import of a missing file succeeded")
	}
	garbage := filepath.Join(t.TempDir(), "garbage")
	os.WriteFile(garbage, []byte("this is not an export"), 0o600)
	if _, _, err := a.ImportDatabase(garbage); err == nil {
		t.Error("import of garbage succeeded")
	}
	// A truncated export fails, keeping what it could verify or nothing,
	// never a partial record.
	own := filepath.Join(t.TempDir(), "own.db")
	add(t, a, newRec("x"))
	if err := a.ExportDatabase(own); err != nil {
		t.Fatal(err)
	}
	before = snapshot(t, a)
	b, _ := os.ReadFile(own)
	os.WriteFile(own, b[:len(b)-7], 0o600)
	if _, _, err := a.ImportDatabase(own); err == nil {
		t.Error("import of a truncated file succeeded")
	}
	if !sameSnapshot(before, snapshot(t, a)) {
		t.Error("truncated import changed the database")
	}

	// While connected: PEER_E_GROUP_IN_USE (the PeerGroupImportDatabase page).
	a.SetStatus(group.StatusListening)
	_, _, err = a.ImportDatabase(own)
	wantCode(t, err, peererr.ErrGroupInUse)
	a.SetStatus(0)

	// Export to a directory that does not exist fails.
	if err := a.ExportDatabase(filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")); err == nil {
		t.Error("export into a missing directory succeeded")
	}
}
