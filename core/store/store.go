// Package store keeps one group database: the records of one group as seen
// by one identity, plus that member's configuration, in SQLite (WAL mode,
// full synchronous commits). Every change is a transaction, so a crash or a
// kill at any instant leaves a database that opens, passes
// PRAGMA integrity_check and holds every change whose call returned.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	sqlite3 "github.com/mattn/go-sqlite3"

	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/record"
)

// Schema creates the tables and indexes of a database (every statement
// IF NOT EXISTS). The benchmarks' raw SQLite anchor uses it too, so that
// it inserts into the same table with the same indexes.
const Schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
	id         BLOB NOT NULL UNIQUE,
	type       BLOB NOT NULL,
	version    INTEGER NOT NULL,
	flags      INTEGER NOT NULL,
	creator    TEXT NOT NULL,
	modifier   TEXT NOT NULL,
	attributes TEXT NOT NULL,
	created    INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	modified   INTEGER NOT NULL,
	data       BLOB NOT NULL,
	signature  BLOB NOT NULL,
	hash       BLOB NOT NULL,
	seq        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_type ON records(type);
CREATE INDEX IF NOT EXISTS records_expires ON records(expires);
CREATE INDEX IF NOT EXISTS records_seq ON records(seq);
CREATE TABLE IF NOT EXISTS requests (
	id     BLOB PRIMARY KEY,
	answer BLOB NOT NULL,
	at     INTEGER NOT NULL
) WITHOUT ROWID;
`

const recordColumns = `id, type, version, flags, creator, modifier, attributes, created, expires, modified, data, signature`

// DB is one open group database. It is safe for concurrent use, and
// several processes may open the same file.
type DB struct {
	damaged atomic.Bool // a call met a damaged file: writes are refused

	path  string
	group string  // group peer name, bound into record hashes
	w     *sql.DB // the single writer connection
	r     *sql.DB // readers

	mu       sync.Mutex // serialises write transactions of this process and Close
	putStmt  *sql.Stmt
	newStmt  *sql.Stmt // inserts a record unless its id is stored
	getStmt  *sql.Stmt // on the writer, for reads inside write transactions
	askStmt  *sql.Stmt // looks up a request's answer
	keepStmt *sql.Stmt // keeps a request's answer
	seq      int64     // the highest change sequence in the current transaction, 0 until read (mu)
	closeErr error
	closed   bool

	pendingMu sync.Mutex
	pending   []*writeReq // writes waiting to be committed, oldest first
	leading   bool        // a caller is committing the writes queued
}

// Open opens or creates the database at path for the group named
// groupPeerName. The file and its directory are private to the user.
func Open(path, groupPeerName string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
		f.Close()
	} else {
		return nil, fmt.Errorf("open database %s: %w", path, mapOSErr(err))
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_cache_size", "-2048") // KiB: small caches keep an idle group cheap
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	w, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %v: %w", err, peererr.ErrDbinitializationFailed)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	db := &DB{path: path, group: groupPeerName, w: w}
	if err := db.init(); err != nil {
		w.Close()
		if created {
			Remove(path) // a database this call made and could not set up
		}
		return nil, err
	}
	q.Set("_query_only", "1")
	q.Del("_txlock")
	db.r, err = sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database readers: %v: %w", err, peererr.ErrDbinitializationFailed)
	}
	db.r.SetMaxOpenConns(4)
	db.r.SetMaxIdleConns(1)
	return db, nil
}

func (db *DB) init() error {
	ctx := context.Background()
	if _, err := db.w.ExecContext(ctx, Schema); err != nil {
		return fmt.Errorf("create schema in %s: %w", db.path, db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	// A damaged file is refused here, with its code, rather than half
	// used: quick_check reads every page (about 0.13 s for 100,000
	// records of 1 KiB).
	var check string
	if err := db.w.QueryRowContext(ctx, `PRAGMA quick_check(1)`).Scan(&check); err != nil {
		return fmt.Errorf("check %s: %w", db.path, db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	if check != "ok" {
		return fmt.Errorf("check %s: %s: %w", db.path, check, peererr.ErrInvalidDatabase)
	}
	var err error
	db.putStmt, err = db.w.PrepareContext(ctx, `INSERT INTO records(`+recordColumns+`, hash, seq)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET type=excluded.type, version=excluded.version, flags=excluded.flags,
		creator=excluded.creator, modifier=excluded.modifier, attributes=excluded.attributes,
		created=excluded.created, expires=excluded.expires, modified=excluded.modified,
		data=excluded.data, signature=excluded.signature, hash=excluded.hash, seq=excluded.seq`)
	if err != nil {
		return fmt.Errorf("prepare: %v: %w", err, peererr.ErrInvalidDatabase)
	}
	db.newStmt, err = db.w.PrepareContext(ctx, `INSERT INTO records(`+recordColumns+`, hash, seq)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("prepare: %v: %w", err, peererr.ErrInvalidDatabase)
	}
	db.getStmt, err = db.w.PrepareContext(ctx, `SELECT `+recordColumns+` FROM records WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("prepare: %v: %w", err, peererr.ErrInvalidDatabase)
	}
	db.askStmt, err = db.w.PrepareContext(ctx, `SELECT answer FROM requests WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("prepare: %v: %w", err, peererr.ErrInvalidDatabase)
	}
	db.keepStmt, err = db.w.PrepareContext(ctx, `INSERT INTO requests(id, answer, at) VALUES(?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("prepare: %v: %w", err, peererr.ErrInvalidDatabase)
	}
	return nil
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database. It is idempotent.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return db.closeErr
	}
	db.closed = true
	db.putStmt.Close()
	db.newStmt.Close()
	db.getStmt.Close()
	db.askStmt.Close()
	db.keepStmt.Close()
	db.closeErr = errors.Join(db.r.Close(), db.w.Close())
	return db.closeErr
}

// Meta returns the configuration value stored under key, or
// PEER_E_NOT_FOUND.
func (db *DB) Meta(key string) ([]byte, error) {
	var v []byte
	err := db.r.QueryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("meta %q: %w", key, peererr.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("meta %q: %w", key, db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	return v, nil
}

// SetMeta stores configuration values in one transaction.
func (db *DB) SetMeta(kv map[string][]byte) error {
	return db.write(func(tx *sql.Tx) error {
		for k, v := range kv {
			if v == nil {
				v = []byte{}
			}
			if _, err := tx.Exec(`INSERT INTO meta(key, value) VALUES(?, ?)
				ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return fmt.Errorf("set meta %q: %w", k, err)
			}
		}
		return nil
	})
}

// Outcome says what Put did with one record.
type Outcome struct {
	Applied bool           // the record replaced what was stored (or was new)
	Seq     uint64         // the change sequence number the write took, if applied
	Prev    *record.Record // what was stored before, nil if nothing
	Refused error          // why the accept function refused it, if it did
}

// Put stores each record unless the database already holds the same
// record in a version that wins the conflict rule, all in one transaction
// (a group commit), and reports per record what happened.
func (db *DB) Put(recs ...*record.Record) ([]Outcome, error) { return db.PutIf(nil, recs...) }

// PutIf is Put with a policy: accept, if not nil, sees what is stored
// under each record's id (nil if nothing) inside the transaction and may
// refuse the new version.
func (db *DB) PutIf(accept func(prev, next *record.Record) error, recs ...*record.Record) ([]Outcome, error) {
	return db.PutFor(nil, accept, recs...)
}

// PutFor is PutIf on behalf of an application request (nil: none): if
// the database has answered req before, nothing is stored and the error
// is an *Answered with that answer; else the records are stored and req
// with them, in the same transaction.
func (db *DB) PutFor(req *Request, accept func(prev, next *record.Record) error, recs ...*record.Record) ([]Outcome, error) {
	// Hashed here, by each caller, rather than by whichever caller leads
	// the group commit (see write).
	hashes := make([][32]byte, len(recs))
	for i, r := range recs {
		hashes[i] = r.Hash(db.group)
	}
	return db.putFor(req, accept, recs, hashes)
}

// PutHashed is PutIf for records whose hashes (record.Hash, for this
// group) the caller has already computed; hashes[i] is recs[i]'s.
func (db *DB) PutHashed(accept func(prev, next *record.Record) error, recs []*record.Record, hashes [][32]byte) ([]Outcome, error) {
	if len(hashes) != len(recs) {
		return nil, fmt.Errorf("put: %d records, %d hashes: %w", len(recs), len(hashes), peererr.ErrInvalidArg)
	}
	return db.putFor(nil, accept, recs, hashes)
}

func (db *DB) putFor(req *Request, accept func(prev, next *record.Record) error, recs []*record.Record, hashes [][32]byte) ([]Outcome, error) {
	out := make([]Outcome, len(recs))
	err := db.write(func(tx *sql.Tx) error {
		if err := db.checkRequest(tx, req); err != nil {
			return err
		}
		var put, get *sql.Stmt
		if err := db.readSeq(tx); err != nil {
			return err
		}
		stored, err := storedIDs(tx, recs)
		if err != nil {
			return err
		}
		var ins *sql.Stmt
		for i, r := range recs {
			if stored == nil && accept == nil {
				// Most writes of a few records are new records: insert
				// unless the id is stored, and compare only if it is.
				if ins == nil {
					ins = tx.Stmt(db.newStmt)
				}
				res, err := ins.Exec(db.rowArgs(r, hashes[i])...)
				if err != nil {
					return fmt.Errorf("store record %s: %w", r.ID, err)
				}
				if n, _ := res.RowsAffected(); n == 1 {
					db.seq++
					out[i].Applied, out[i].Seq = true, uint64(db.seq)
					continue
				}
			}
			if put == nil {
				put, get = tx.Stmt(db.putStmt), tx.Stmt(db.getStmt)
			}
			var prev *record.Record
			if stored == nil || stored[r.ID] {
				if prev, err = scanRecord(get.QueryRow(r.ID[:])); err != nil && !errors.Is(err, peererr.ErrRecordNotFound) {
					return err
				}
			}
			if out[i], err = db.putOver(put, r, hashes[i], prev, accept); err != nil {
				return err
			}
			if out[i].Applied && stored != nil {
				stored[r.ID] = true // a later version in the same call sees this one
			}
		}
		return db.keepRequest(tx, req)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Modify changes one record atomically: inside a write transaction it
// reads what is stored under id (nil if nothing) and stores what change
// makes of it, so that no other write comes between the read and the
// write: two deletes of one record cannot both succeed, and an update
// cannot undo a delete. If change returns an error, nothing is stored and
// Modify returns that error.
func (db *DB) Modify(id uuid.UUID, change func(cur *record.Record) (*record.Record, error)) (Outcome, error) {
	return db.ModifyFor(nil, id, change)
}

// ModifyFor is Modify on behalf of an application request (see PutFor).
func (db *DB) ModifyFor(req *Request, id uuid.UUID, change func(cur *record.Record) (*record.Record, error)) (Outcome, error) {
	var out Outcome
	err := db.write(func(tx *sql.Tx) error {
		if err := db.checkRequest(tx, req); err != nil {
			return err
		}
		if err := db.readSeq(tx); err != nil {
			return err
		}
		cur, err := scanRecord(tx.Stmt(db.getStmt).QueryRow(id[:]))
		if err != nil && !errors.Is(err, peererr.ErrRecordNotFound) {
			return err
		}
		next, err := change(cur)
		if err != nil {
			return err
		}
		if out, err = db.putOver(tx.Stmt(db.putStmt), next, next.Hash(db.group), cur, nil); err != nil {
			return err
		}
		return db.keepRequest(tx, req)
	})
	if err != nil {
		return Outcome{}, err
	}
	return out, nil
}

// readSeq reads the change sequence once per transaction (which holds
// the write lock): it is shared by every process writing this file.
func (db *DB) readSeq(tx *sql.Tx) error {
	if db.seq == 0 {
		if err := tx.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM records`).Scan(&db.seq); err != nil {
			return fmt.Errorf("read sequence: %w", err)
		}
	}
	return nil
}

// rowArgs are the columns of r as the put and insert statements take
// them, with h (r.Hash) and the next change sequence.
func (db *DB) rowArgs(r *record.Record, h [32]byte) []any {
	return []any{r.ID[:], r.Type[:], r.Version, r.Flags, r.CreatorID, r.ModifiedByID,
		r.Attributes, int64(r.Created), int64(r.Expires), int64(r.Modified),
		nonNil(r.Data), nonNil(r.Signature), h[:], db.seq + 1}
}

// putOver stores r with put (the put statement of the transaction) over
// prev (what is stored under its id, nil if nothing) unless prev wins the
// conflict rule or accept refuses r.
func (db *DB) putOver(put *sql.Stmt, r *record.Record, h [32]byte, prev *record.Record, accept func(prev, next *record.Record) error) (Outcome, error) {
	out := Outcome{Prev: prev}
	if prev != nil && record.Compare(r, prev) <= 0 {
		return out, nil
	}
	if accept != nil {
		if out.Refused = accept(prev, r); out.Refused != nil {
			return out, nil
		}
	}
	if _, err := put.Exec(db.rowArgs(r, h)...); err != nil {
		return out, fmt.Errorf("store record %s: %w", r.ID, err)
	}
	db.seq++
	out.Applied, out.Seq = true, uint64(db.seq)
	return out, nil
}

// lookupChunk is how many ids storedIDs asks about in one query.
const lookupChunk = 500

// storedIDs returns which of recs' ids are stored, asked in a few
// queries rather than one per record (nil for a few records, which are
// looked up one by one).
func storedIDs(tx *sql.Tx, recs []*record.Record) (map[[16]byte]bool, error) {
	if len(recs) < 16 {
		return nil, nil
	}
	stored := make(map[[16]byte]bool)
	args := make([]any, 0, lookupChunk)
	for lo := 0; lo < len(recs); lo += lookupChunk {
		args = args[:0]
		for _, r := range recs[lo:min(lo+lookupChunk, len(recs))] {
			args = append(args, r.ID[:])
		}
		rows, err := tx.Query(`SELECT id FROM records WHERE id IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("look up records: %w", err)
		}
		for rows.Next() {
			var id []byte
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up records: %w", err)
			}
			if len(id) == 16 {
				stored[[16]byte(id)] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("look up records: %w", err)
		}
	}
	return stored, nil
}

// Get returns the stored record with that id, tombstones included, or
// PEER_E_RECORD_NOT_FOUND.
func (db *DB) Get(id uuid.UUID) (*record.Record, error) {
	r, err := scanRecord(db.r.QueryRow(`SELECT `+recordColumns+` FROM records WHERE id = ?`, id[:]))
	if err != nil {
		return nil, fmt.Errorf("get record %s: %w", id, db.noted(err))
	}
	return r, nil
}

// Query selects records for List and IDs.
type Query struct {
	Type           *uuid.UUID // only this type
	Types          []uuid.UUID
	ExcludeTypes   []uuid.UUID // none of these types
	IncludeDeleted bool        // tombstones too
	LiveAt         filetime.FILETIME
}

func (q Query) where() (string, []any) {
	cond := "1=1"
	var args []any
	if q.Type != nil {
		cond += " AND type = ?"
		args = append(args, q.Type[:])
	}
	if len(q.Types) > 0 {
		cond += " AND type IN (" + placeholders(len(q.Types)) + ")"
		for _, t := range q.Types {
			args = append(args, t[:])
		}
	}
	if len(q.ExcludeTypes) > 0 {
		cond += " AND type NOT IN (" + placeholders(len(q.ExcludeTypes)) + ")"
		for _, t := range q.ExcludeTypes {
			args = append(args, t[:])
		}
	}
	if !q.IncludeDeleted {
		cond += fmt.Sprintf(" AND flags & %d = 0", record.FlagDeleted)
	}
	if q.LiveAt != 0 {
		cond += " AND expires > ?"
		args = append(args, int64(q.LiveAt))
	}
	return cond, args
}

// List returns the records the query selects, in insertion order.
func (db *DB) List(q Query) ([]*record.Record, error) {
	cond, args := q.where()
	rows, err := db.r.Query(`SELECT `+recordColumns+` FROM records WHERE `+cond+` ORDER BY rowid`, args...)
	if err != nil {
		return nil, fmt.Errorf("list records: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	defer rows.Close()
	var out []*record.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, db.noted(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list records: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	return out, nil
}

// IDs returns the ids of the records the query selects, in insertion
// order, so a large result can be fetched a few at a time.
func (db *DB) IDs(q Query) ([]uuid.UUID, error) {
	cond, args := q.where()
	rows, err := db.r.Query(`SELECT id FROM records WHERE `+cond+` ORDER BY rowid`, args...)
	if err != nil {
		return nil, fmt.Errorf("list record ids: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("list record ids: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
		}
		id, err := uuid.FromBytes(b)
		if err != nil {
			return nil, fmt.Errorf("record id %x: %w", b, peererr.ErrInvalidDatabase)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list record ids: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	return out, nil
}

// Expire removes the records (tombstones included) whose expiry is at or
// before now and returns them.
func (db *DB) Expire(now filetime.FILETIME) ([]*record.Record, error) {
	var expired []*record.Record
	err := db.write(func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT `+recordColumns+` FROM records WHERE expires <= ?`, int64(now))
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				rows.Close()
				return err
			}
			expired = append(expired, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.Exec(`DELETE FROM records WHERE expires <= ?`, int64(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("expire records: %w", err)
	}
	return expired, nil
}

// NextExpiry returns the earliest expiry among stored records.
func (db *DB) NextExpiry() (filetime.FILETIME, bool, error) {
	var v sql.NullInt64
	if err := db.r.QueryRow(`SELECT MIN(expires) FROM records`).Scan(&v); err != nil {
		return 0, false, fmt.Errorf("next expiry: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	return filetime.FILETIME(v.Int64), v.Valid, nil
}

// Count returns how many records the query selects.
func (db *DB) Count(q Query) (int, error) {
	cond, args := q.where()
	var n int
	if err := db.r.QueryRow(`SELECT COUNT(*) FROM records WHERE `+cond, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count records: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	return n, nil
}

// IntegrityCheck runs PRAGMA integrity_check and fails unless SQLite
// answers "ok".
func (db *DB) IntegrityCheck() error {
	var res string
	if err := db.r.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s: %w", res, peererr.ErrInvalidDatabase)
	}
	return nil
}

// writeReq is one write waiting to be committed.
type writeReq struct {
	fn   func(tx *sql.Tx) error
	err  error
	done bool          // committed or failed; set before wake
	wake chan struct{} // done, or the caller is to commit the next group
}

// maxGroup bounds how many writes one transaction commits together.
const maxGroup = 256

// write runs fn in an immediate transaction of this process's writer and
// returns once that transaction is durable (or failed).
//
// Writes that arrive while another commits are committed together (group
// commit): each caller queues its write; one caller at a time, the
// leader, takes every queued write (up to maxGroup) and commits them in
// one transaction, one fsync for all, then wakes their callers and hands
// the lead to the oldest write still queued, if any. Each write of a
// group runs inside its own savepoint, so one whose fn fails is undone
// alone and fails alone; if the transaction itself fails (begin, commit,
// or a savepoint that cannot be undone), every write in it fails. A nil
// error means the write is durable.
func (db *DB) write(fn func(tx *sql.Tx) error) error {
	if db.damaged.Load() {
		return fmt.Errorf("write refused: %w", errDamaged)
	}
	req := &writeReq{fn: fn, wake: make(chan struct{}, 1)}
	db.pendingMu.Lock()
	db.pending = append(db.pending, req)
	lead := !db.leading
	db.leading = true
	db.pendingMu.Unlock()
	if !lead {
		<-req.wake
		if req.done {
			return req.err
		}
	}
	// Leading: req is the oldest queued write, so the group holds it.
	db.pendingMu.Lock()
	n := min(len(db.pending), maxGroup)
	group := db.pending[:n:n]
	db.pending = db.pending[n:]
	db.pendingMu.Unlock()
	db.mu.Lock()
	db.commitLocked(group)
	db.mu.Unlock()
	db.pendingMu.Lock()
	var next *writeReq
	if len(db.pending) > 0 {
		next = db.pending[0]
	} else {
		db.leading = false
	}
	db.pendingMu.Unlock()
	for _, r := range group[1:] {
		r.wake <- struct{}{}
	}
	if next != nil {
		next.wake <- struct{}{}
	}
	return req.err
}

// commitLocked runs a group of writes in one transaction and sets each
// one's outcome.
func (db *DB) commitLocked(group []*writeReq) {
	finish := func(err error) {
		for _, r := range group {
			if r.err == nil {
				r.err = err
			}
			r.done = true
		}
	}
	if db.closed {
		finish(fmt.Errorf("database %s is closed: %w", db.path, peererr.ErrInvalidGroup))
		return
	}
	tx, err := db.w.Begin()
	if err != nil {
		finish(fmt.Errorf("begin: %w", db.mapErr(err, peererr.ErrDatabaseAccessdenied)))
		return
	}
	db.seq = 0 // read again: another process may have written since
	if len(group) == 1 {
		if err := group[0].fn(tx); err != nil {
			tx.Rollback()
			finish(db.mapErr(err, peererr.ErrInvalidDatabase))
			return
		}
	} else {
		for _, r := range group {
			if err := runSavepoint(tx, r.fn); err != nil {
				r.err = db.mapErr(err, peererr.ErrInvalidDatabase)
				if !errors.Is(err, errSavepoint) {
					continue
				}
				tx.Rollback()
				finish(r.err)
				return
			}
		}
	}
	if err := tx.Commit(); err != nil {
		finish(fmt.Errorf("commit: %w", db.mapErr(err, peererr.ErrInvalidDatabase)))
		return
	}
	finish(nil) // the errors of writes undone alone stay
}

// errSavepoint marks a failure to undo one write of a group, after which
// the transaction's state is unknown and the whole group fails.
var errSavepoint = errors.New("savepoint")

// runSavepoint runs fn inside a savepoint, undoing what it did if it
// fails.
func runSavepoint(tx *sql.Tx, fn func(tx *sql.Tx) error) error {
	if _, err := tx.Exec(`SAVEPOINT w`); err != nil {
		return fmt.Errorf("%w: %v", errSavepoint, err)
	}
	ferr := fn(tx)
	if ferr != nil {
		// A failure SQLite already rolled the whole transaction back for
		// (a full disk, I/O) leaves no savepoint to return to.
		if _, err := tx.Exec(`ROLLBACK TO w`); err != nil {
			return fmt.Errorf("%w: %v after %w", errSavepoint, err, ferr)
		}
	}
	if _, err := tx.Exec(`RELEASE w`); err != nil {
		return fmt.Errorf("%w: %v", errSavepoint, err)
	}
	return ferr
}

type scanner interface{ Scan(dest ...any) error }

func scanRecord(s scanner) (*record.Record, error) {
	var (
		id, typ, data, sig         []byte
		r                          record.Record
		created, expires, modified int64
	)
	err := s.Scan(&id, &typ, &r.Version, &r.Flags, &r.CreatorID, &r.ModifiedByID, &r.Attributes,
		&created, &expires, &modified, &data, &sig)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, peererr.ErrRecordNotFound
	}
	if err != nil {
		return nil, mapSQLErr(err, peererr.ErrInvalidDatabase)
	}
	if len(id) != 16 || len(typ) != 16 {
		return nil, fmt.Errorf("stored record with malformed id: %w", peererr.ErrInvalidDatabase)
	}
	copy(r.ID[:], id)
	copy(r.Type[:], typ)
	r.Created, r.Expires, r.Modified = filetime.FILETIME(created), filetime.FILETIME(expires), filetime.FILETIME(modified)
	if len(data) > 0 {
		r.Data = data
	}
	if len(sig) > 0 {
		r.Signature = sig
	}
	return &r, nil
}

// mapSQLErr gives SQLite failures their HRESULT: a full disk, a busy or
// read-only database, or else def. Errors that already carry a code keep it.
func mapSQLErr(err error, def *peererr.Code) error {
	var c *peererr.Code
	var a *Answered
	if errors.As(err, &c) || errors.As(err, &a) {
		return err
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch {
		case se.SystemErrno == syscall.EMFILE || se.SystemErrno == syscall.ENFILE:
			return fmt.Errorf("%v: %w", err, peererr.ErrTooManyOpenFiles)
		case se.Code == sqlite3.ErrFull:
			return fmt.Errorf("%v: %w", err, peererr.ErrDiskFull)
		case se.Code == sqlite3.ErrReadonly, se.Code == sqlite3.ErrPerm, se.Code == sqlite3.ErrCantOpen, se.Code == sqlite3.ErrAuth:
			return fmt.Errorf("%v: %w", err, peererr.ErrDatabaseAccessdenied)
		case se.Code == sqlite3.ErrCorrupt, se.Code == sqlite3.ErrNotADB:
			return fmt.Errorf("%v: %w", err, errDamaged)
		}
	}
	if err.Error() == "sql: database is closed" { // database/sql's unexported errDBClosed
		return fmt.Errorf("%v: %w", err, peererr.ErrInvalidGroup)
	}
	return fmt.Errorf("%v: %w", err, mapOSErr(err))
}

// errDamaged is PEER_E_INVALID_DATABASE for a file SQLite finds damaged:
// a write refuses the database once a call has met one (DB.damaged).
var errDamaged = fmt.Errorf("the database file is damaged: %w", peererr.ErrInvalidDatabase)

// mapOSErr gives the failure of a file operation its HRESULT: out of file
// descriptors, disk full or refused, else PEER_E_DATABASE_ACCESSDENIED.
func mapOSErr(err error) error {
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return peererr.ErrTooManyOpenFiles
	case errors.Is(err, syscall.ENOSPC):
		return peererr.ErrDiskFull
	}
	return peererr.ErrDatabaseAccessdenied
}

// mapErr is mapSQLErr for a call on db, noting a damaged file.
func (db *DB) mapErr(err error, def *peererr.Code) error { return db.noted(mapSQLErr(err, def)) }

// noted returns err, having noted that the file is damaged if it says so.
func (db *DB) noted(err error) error {
	if errors.Is(err, errDamaged) {
		db.damaged.Store(true)
	}
	return err
}

func placeholders(n int) string {
	s := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			s = append(s, ',')
		}
		s = append(s, '?')
	}
	return string(s)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Digests calls fn with the id and digest of every stored record, for
// reconciliation.
func (db *DB) Digests(fn func(id, hash []byte)) error {
	rows, err := db.r.Query(`SELECT id, hash FROM records`)
	if err != nil {
		return fmt.Errorf("read digests: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	defer rows.Close()
	for rows.Next() {
		var id, hash []byte
		if err := rows.Scan(&id, &hash); err != nil {
			return fmt.Errorf("read digests: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
		}
		fn(id, hash)
	}
	return rows.Err()
}

// WithRange calls fn with every record whose id is at least lower and
// below upper (compared as bytes; an empty upper has no limit), in id
// order; fn returning false stops the walk.
func (db *DB) WithRange(lower, upper []byte, fn func(*record.Record) bool) error {
	q := `SELECT ` + recordColumns + ` FROM records WHERE id >= ?`
	args := []any{nonNil(lower)}
	if len(upper) != 0 {
		q += ` AND id < ?`
		args = append(args, upper)
	}
	rows, err := db.r.Query(q+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("read records: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return err
		}
		if !fn(r) {
			return nil
		}
	}
	return rows.Err()
}

// Remove deletes the database at path with its WAL and shared-memory
// files, and its folder if that is then empty: what Open made, for a
// group whose creation failed. The database must be closed.
func Remove(path string) error {
	var errs []error
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	os.Remove(filepath.Dir(path)) // only if empty
	return errors.Join(errs...)
}

// A Change is a record's latest change as the change sequence orders
// them: what Changes reports.
type Change struct {
	ID, Type uuid.UUID
	Version  uint32
	Deleted  bool
	Seq      uint64
}

// Changes lists, in sequence order, the records whose latest change came
// after the sequence number after (at most limit of them): for an
// application that missed the events of those changes.
func (db *DB) Changes(after uint64, limit int) ([]Change, error) {
	rows, err := db.r.Query(`SELECT id, type, version, flags, seq FROM records WHERE seq > ? ORDER BY seq LIMIT ?`, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var id, typ []byte
		var c Change
		var flags uint32
		if err := rows.Scan(&id, &typ, &c.Version, &flags, &c.Seq); err != nil {
			return nil, fmt.Errorf("list changes: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
		}
		if len(id) != 16 || len(typ) != 16 {
			return nil, fmt.Errorf("list changes: a malformed row: %w", peererr.ErrInvalidDatabase)
		}
		c.ID, c.Type, c.Deleted = uuid.UUID(id), uuid.UUID(typ), flags&record.FlagDeleted != 0
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list changes: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	return out, nil
}

// LastChange is the sequence number of the latest change stored.
func (db *DB) LastChange() (uint64, error) {
	var seq uint64
	if err := db.r.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM records`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read the change sequence: %w", db.mapErr(err, peererr.ErrInvalidDatabase))
	}
	return seq, nil
}

// A Request is one call of an application that a write carries, so that
// the write is applied once however often the call is tried (an attached
// application tries again when the process hosting its group went away
// without answering): the database keeps, in the transaction of the
// write, the request's id and the answer the call gave.
type Request struct {
	ID     uuid.UUID
	Answer []byte // what to answer the call with if it is tried again
}

// Answered is the error of a write whose request the database has
// answered before: the write was applied then, and Answer is what the
// call answered.
type Answered struct{ Answer []byte }

func (a *Answered) Error() string { return "the request was applied before" }

// requestLifetime is how long the answer to a request is kept: far longer
// than any takeover takes.
const requestLifetime = 24 * time.Hour

// checkRequest fails with *Answered if the database answered r before
// (nil: no request).
func (db *DB) checkRequest(tx *sql.Tx, r *Request) error {
	if r == nil {
		return nil
	}
	var answer []byte
	err := tx.Stmt(db.askStmt).QueryRow(r.ID[:]).Scan(&answer)
	switch {
	case err == nil:
		return &Answered{Answer: answer}
	case errors.Is(err, sql.ErrNoRows):
		return nil
	}
	return fmt.Errorf("look up request %s: %w", r.ID, mapSQLErr(err, peererr.ErrInvalidDatabase))
}

// keepRequest keeps r's answer, in the write's transaction (nil: no
// request).
func (db *DB) keepRequest(tx *sql.Tx, r *Request) error {
	if r == nil {
		return nil
	}
	if _, err := tx.Stmt(db.keepStmt).Exec(r.ID[:], nonNil(r.Answer), time.Now().Unix()); err != nil {
		return fmt.Errorf("record request %s: %w", r.ID, err)
	}
	return nil
}

// ForgetRequests drops the answers kept longer than their lifetime.
func (db *DB) ForgetRequests() error {
	return db.write(func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM requests WHERE at < ?`, time.Now().Add(-requestLifetime).Unix())
		return err
	})
}
