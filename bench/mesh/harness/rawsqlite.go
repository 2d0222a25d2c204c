package harness

import (
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3"

	"p2p/core/filetime"
	"p2p/core/store"
)

// RawSQLite is the anchor of the AddRecord benchmarks: a database with
// core/store's schema and pragmas (WAL, synchronous=FULL, immediate
// transactions) through mattn/go-sqlite3 and database/sql, and rows of
// a record's size prepared beforehand, inserted one per transaction.
type RawSQLite struct {
	db   *sql.DB
	ins  *sql.Stmt
	rows []rawRow
	next atomic.Int64 // index of the next row to insert
}

type rawRow struct {
	id, typ, data, sig, hash []byte
	creator                  string
	created, expires         int64
	seq                      int64
}

// OpenRawSQLite creates the anchor's database at path with n rows of
// size bytes of data ready, using at most conns connections (1: threads
// take turns for the one connection, as core/store's writer does; more:
// they contend for SQLite's write lock).
func OpenRawSQLite(path string, n, size, conns int) (*RawSQLite, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_cache_size", "-2048")
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if _, err := db.Exec(store.Schema); err != nil { // the library's own tables and indexes
		db.Close()
		return nil, err
	}
	ins, err := db.Prepare(`INSERT INTO records(id, type, version, flags, creator, modifier, attributes,
		created, expires, modified, data, signature, hash, seq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		db.Close()
		return nil, err
	}
	typ := uuid.New()
	creator := fmt.Sprintf("%x.", randomBytes(20)) // a peer name's length
	now := int64(filetime.Now())
	rows := make([]rawRow, n)
	for i := range rows {
		id := uuid.New()
		rows[i] = rawRow{id: id[:], typ: typ[:], data: randomBytes(size), sig: randomBytes(64),
			hash: randomBytes(32), creator: creator, created: now, expires: now + 864_000_000_000, seq: int64(i + 1)}
	}
	return &RawSQLite{db: db, ins: ins, rows: rows}, nil
}

// Insert writes the next k rows, one transaction each, from threads
// goroutines, and returns how long it took.
func (r *RawSQLite) Insert(k, threads int) (time.Duration, error) {
	return r.fromThreads(k, threads, r.insert)
}

// fromThreads has threads goroutines take the next k rows in turn and
// write each with write; it returns how long that took and the first
// error.
func (r *RawSQLite) fromThreads(k, threads int, write func(*rawRow) error) (time.Duration, error) {
	end := r.next.Load() + int64(k)
	if end > int64(len(r.rows)) {
		return 0, fmt.Errorf("raw SQLite: %d rows prepared, %d wanted", len(r.rows), end)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	start := time.Now()
	for range max(threads, 1) {
		wg.Go(func() {
			for {
				i := r.next.Add(1) - 1
				if i >= end {
					r.next.Add(-1)
					return
				}
				if err := write(&r.rows[i]); err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), first
}

// InsertBatched writes the next k rows from one goroutine, perTx rows a
// transaction, and returns how long it took.
func (r *RawSQLite) InsertBatched(k, perTx int) (time.Duration, error) {
	from := r.next.Load()
	if from+int64(k) > int64(len(r.rows)) {
		return 0, fmt.Errorf("raw SQLite: %d rows prepared, %d wanted", len(r.rows), from+int64(k))
	}
	start := time.Now()
	for lo := from; lo < from+int64(k); lo += int64(perTx) {
		tx, err := r.db.Begin()
		if err != nil {
			return 0, err
		}
		ins := tx.Stmt(r.ins)
		for i := lo; i < min(lo+int64(perTx), from+int64(k)); i++ {
			row := &r.rows[i]
			if _, err := insertRow(ins, row); err != nil {
				tx.Rollback()
				return 0, err
			}
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	r.next.Add(int64(k))
	return time.Since(start), nil
}

// InsertGrouped writes the next k rows from threads goroutines, each
// waiting until its own row is committed before it takes the next, with
// the simplest group commit: a writer that finds no commit running
// becomes the leader and commits every row queued by then in one
// transaction, again and again while rows are queued. It is what writers
// that each wait for their commit can get from sharing commits on this
// disk, with nothing else to do between commits (no signing, no engine).
func (r *RawSQLite) InsertGrouped(k, threads int) (time.Duration, error) {
	g := &rawGroupCommit{r: r}
	return r.fromThreads(k, threads, g.insert)
}

// InsertGroupedSigned is InsertGrouped with the one piece of work
// AddRecord cannot leave out: each writer signs its row's data with key
// (Ed25519, as every record is signed) before it queues the row. It is
// the floor for writers that each sign, then wait for their commit.
func (r *RawSQLite) InsertGroupedSigned(k, threads int, key ed25519.PrivateKey) (time.Duration, error) {
	g := &rawGroupCommit{r: r, sign: key}
	return r.fromThreads(k, threads, g.insert)
}

// rawGroupCommit is InsertGrouped's group commit.
type rawGroupCommit struct {
	r       *RawSQLite
	sign    ed25519.PrivateKey // if set, each writer signs its row first
	mu      sync.Mutex         // guards pending and leading
	pending []*rawWrite
	leading bool
}

type rawWrite struct {
	row  *rawRow
	err  error
	done chan struct{} // closed once committed (or failed)
}

func (g *rawGroupCommit) insert(row *rawRow) error {
	if g.sign != nil {
		copy(row.sig, ed25519.Sign(g.sign, row.data))
	}
	w := &rawWrite{row: row, done: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, w)
	if g.leading {
		g.mu.Unlock()
		<-w.done
		return w.err
	}
	g.leading = true
	for len(g.pending) > 0 {
		batch := g.pending
		g.pending = nil
		g.mu.Unlock()
		err := g.r.commit(batch)
		for _, b := range batch {
			b.err = err
			close(b.done)
		}
		g.mu.Lock()
	}
	g.leading = false
	g.mu.Unlock()
	return w.err
}

// commit inserts a batch's rows in one transaction.
func (r *RawSQLite) commit(batch []*rawWrite) error {
	tx, err := r.db.Begin()
	if err != nil {
		return err
	}
	ins := tx.Stmt(r.ins)
	for _, w := range batch {
		row := w.row
		if _, err := insertRow(ins, row); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// insertRow inserts row with ins, the prepared INSERT.
func insertRow(ins *sql.Stmt, row *rawRow) (sql.Result, error) {
	return ins.Exec(row.id, row.typ, 1, 0, row.creator, row.creator, "",
		row.created, row.expires, row.created, row.data, row.sig, row.hash, row.seq)
}

func (r *RawSQLite) insert(row *rawRow) error {
	tx, err := r.db.Begin()
	if err != nil {
		return err
	}
	if _, err := insertRow(tx.Stmt(r.ins), row); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ReadAll reads every row back, each column into memory, as a member
// reads the records it sends; it returns how many rows it read.
func (r *RawSQLite) ReadAll() (int, error) {
	rows, err := r.db.Query(`SELECT id, type, version, flags, creator, modifier, attributes,
		created, expires, modified, data, signature FROM records ORDER BY id`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, typ, data, sig []byte
		var version, flags, created, expires, modified int64
		var creator, modifier, attrs string
		if err := rows.Scan(&id, &typ, &version, &flags, &creator, &modifier, &attrs, &created, &expires, &modified, &data, &sig); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// Close closes the database.
func (r *RawSQLite) Close() {
	r.ins.Close()
	r.db.Close()
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
