package store

import "context"

// Checkpoint moves the write-ahead log into the database file (tests
// that damage the file need the records there).
func (db *DB) Checkpoint() error {
	_, err := db.w.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}
