// Package bench holds the benchmarks `make bench` runs. Each measures its
// anchor (the raw thing the library is built on) in the same run and
// reports the ratio, because absolute figures on shared machines are
// noise.
package bench

import (
	"crypto/rand"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3"

	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
)

var (
	addRecordN     = flag.Int("addrecord.n", 2000, "records per run and side of BenchmarkAddRecord")
	addRecordRuns  = flag.Int("addrecord.runs", 3, "runs of BenchmarkAddRecord (min / median / max)")
	addRecordChunk = flag.Int("addrecord.chunk", 100, "records each side writes before the other takes its turn")
	addRecordDir   = flag.String("addrecord.dir", "", "directory for the databases (default: a temporary directory)")
)

const recordSize = 1024

// BenchmarkAddRecord measures how many records per second Engine.AddRecord
// sustains (one 1 KiB record per call, sequential, signed, one durable
// transaction each) against raw SQLite inserts of the same rows into the
// same schema with the same pragmas (WAL, synchronous=FULL, one
// transaction per row, mattn/go-sqlite3 through database/sql).
//
// Both sides write in the same run, taking turns every few records, so a
// change of background disk load hits both alike. It reports, over the
// runs, the medians as "records/s" (ours) and "raw-records/s", the min
// and max of each, and "ratio": the median of the runs' ours/raw.
func BenchmarkAddRecord(b *testing.B) {
	n, runs := max(*addRecordN, 1), max(*addRecordRuns, 1)
	var ours, raw, ratios []float64
	for b.Loop() {
		ours, raw, ratios = ours[:0], raw[:0], ratios[:0]
		for range runs {
			o, r := addRecordRun(b, n)
			ours, raw, ratios = append(ours, o), append(raw, r), append(ratios, o/r)
		}
	}
	slices.Sort(ours)
	slices.Sort(raw)
	slices.Sort(ratios)
	med := func(s []float64) float64 { return s[len(s)/2] }
	b.ReportMetric(med(ours), "records/s")
	b.ReportMetric(ours[0], "min-records/s")
	b.ReportMetric(ours[len(ours)-1], "max-records/s")
	b.ReportMetric(med(raw), "raw-records/s")
	b.ReportMetric(raw[0], "raw-min-records/s")
	b.ReportMetric(raw[len(raw)-1], "raw-max-records/s")
	b.ReportMetric(med(ratios), "ratio")
	b.Logf("AddRecord, %d records of %d B per run and side, %d runs (min / median / max): ours %.0f / %.0f / %.0f records/s, raw SQLite %.0f / %.0f / %.0f rows/s, ratio %.2f / %.2f / %.2f",
		n, recordSize, len(ours), ours[0], med(ours), ours[len(ours)-1], raw[0], med(raw), raw[len(raw)-1],
		ratios[0], med(ratios), ratios[len(ratios)-1])
}

// addRecordRun sets up both sides in fresh databases, then has them
// write n records each, taking turns, and returns each side's rate.
func addRecordRun(b *testing.B, n int) (ours, raw float64) {
	b.Helper()
	dir := b.TempDir()
	if *addRecordDir != "" {
		var err error
		if dir, err = os.MkdirTemp(*addRecordDir, "addrecord-"); err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	e := newBenchEngine(b, dir)
	defer e.Close()
	r := newRawDB(b, filepath.Join(dir, "raw.db"), n)
	defer r.close()
	typ := uuid.New()
	data := randomBytes(recordSize)
	expires := filetime.Now().Add(24 * time.Hour)
	var tOurs, tRaw time.Duration
	for done := 0; done < n; {
		k := min(*addRecordChunk, n-done)
		start := time.Now()
		for range k {
			if _, err := e.AddRecord(group.NewRecord{Type: typ, Expires: expires, Data: data}); err != nil {
				b.Fatal(err)
			}
		}
		mid := time.Now()
		r.insert(b, done, k)
		tOurs, tRaw = tOurs+mid.Sub(start), tRaw+time.Since(mid)
		done += k
	}
	return float64(n) / tOurs.Seconds(), float64(n) / tRaw.Seconds()
}

// newBenchEngine creates an identity and a group in dir.
func newBenchEngine(b *testing.B, dir string) *group.Engine {
	b.Helper()
	ids, err := identity.OpenStore(filepath.Join(dir, "identities"))
	if err != nil {
		b.Fatal(err)
	}
	id, err := ids.Create("", "bench")
	if err != nil {
		b.Fatal(err)
	}
	e, err := group.Create(id, group.Properties{FriendlyName: "bench"}, func(string) string {
		return filepath.Join(dir, "group.db")
	})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// rawSchema is core/store's schema (meta and records tables, the same
// columns and indexes).
const rawSchema = `
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
`

type rawRow struct {
	id, typ, data, sig, hash []byte
	creator                  string
	created, expires         int64
	seq                      int64
}

// rawDB is the anchor: a database opened with core/store's pragmas and
// schema, and n rows prepared beforehand.
type rawDB struct {
	db   *sql.DB
	ins  *sql.Stmt
	rows []rawRow
}

func newRawDB(b *testing.B, path string, n int) *rawDB {
	b.Helper()
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_cache_size", "-2048")
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(rawSchema); err != nil {
		b.Fatal(err)
	}
	ins, err := db.Prepare(`INSERT INTO records(id, type, version, flags, creator, modifier, attributes,
		created, expires, modified, data, signature, hash, seq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		b.Fatal(err)
	}
	typ := uuid.New()
	creator := fmt.Sprintf("%x.", randomBytes(20)) // a peer name's length
	now := int64(filetime.Now())
	rows := make([]rawRow, n)
	for i := range rows {
		id := uuid.New()
		rows[i] = rawRow{id: id[:], typ: typ[:], data: randomBytes(recordSize), sig: randomBytes(64),
			hash: randomBytes(32), creator: creator, created: now, expires: now + 864_000_000_000, seq: int64(i + 1)}
	}
	return &rawDB{db: db, ins: ins, rows: rows}
}

// insert writes rows[from:from+k], one transaction each.
func (r *rawDB) insert(b *testing.B, from, k int) {
	for _, row := range r.rows[from : from+k] {
		tx, err := r.db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Stmt(r.ins).Exec(row.id, row.typ, 1, 0, row.creator, row.creator, "",
			row.created, row.expires, row.created, row.data, row.sig, row.hash, row.seq); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

func (r *rawDB) close() {
	r.ins.Close()
	r.db.Close()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
