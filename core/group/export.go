package group

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"p2p/core/dbfile"
	"p2p/core/peererr"
	"p2p/core/record"
	"p2p/core/store"
)

// importBatch is how many records an import verifies and stores per
// transaction.
const importBatch = 512

// ExportDatabase writes every record of the group (tombstones and the
// group's own records included) to a new file at path, atomically.
func (e *Engine) ExportDatabase(path string) error {
	if e.Closed() {
		return fmt.Errorf("group %s is closed: %w", e.groupName, peererr.ErrInvalidGroup)
	}
	recs, err := e.db.List(store.Query{IncludeDeleted: true})
	if err != nil {
		return fmt.Errorf("export database: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".p2p-export-*")
	if err != nil {
		return fmt.Errorf("export database to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	w, err := dbfile.NewWriter(tmp, e.groupName)
	for _, r := range recs {
		if err != nil {
			break
		}
		err = w.Write(r)
	}
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("export database to %s: %w", path, err)
	}
	return nil
}

// ImportDatabase merges the records of an export file of this group into
// the database, verifying each one as if a member had sent it. It must
// run before the group connects (PEER_E_GROUP_IN_USE otherwise).
func (e *Engine) ImportDatabase(path string) (stored, rejected int, err error) {
	if e.Closed() {
		return 0, 0, fmt.Errorf("group %s is closed: %w", e.groupName, peererr.ErrInvalidGroup)
	}
	if e.Status() != 0 {
		return 0, 0, fmt.Errorf("import database into %s while connected: %w", e.groupName, peererr.ErrGroupInUse)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("import database from %s: %w", path, err)
	}
	defer f.Close()
	rd, err := dbfile.NewReader(f)
	if err != nil {
		return 0, 0, fmt.Errorf("import database from %s: %w", path, err)
	}
	if rd.Group() != e.groupName {
		return 0, 0, fmt.Errorf("import database: file is of group %s, not %s: %w", rd.Group(), e.groupName, peererr.ErrInvalidDatabase)
	}
	batch := make([]*record.Record, 0, importBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		s, r, err := e.Apply(batch, nil)
		stored, rejected = stored+s, rejected+r
		batch = batch[:0]
		return err
	}
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return stored, rejected, fmt.Errorf("import database from %s: %w", path, err)
		}
		if batch = append(batch, r); len(batch) == importBatch {
			if err := flush(); err != nil {
				return stored, rejected, fmt.Errorf("import database: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return stored, rejected, fmt.Errorf("import database: %w", err)
	}
	return stored, rejected, nil
}
