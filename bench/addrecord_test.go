// Package bench holds the benchmarks `make bench` runs. Each measures its
// anchor (the raw thing the library is built on) in the same run and
// reports the ratio, because absolute figures on shared machines are
// noise.
package bench

import (
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"p2p/bench/mesh/harness"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
)

var (
	addRecordN     = flag.Int("addrecord.n", 2000, "records per run and side of BenchmarkAddRecord")
	addRecordRuns  = flag.Int("addrecord.runs", 3, "runs of BenchmarkAddRecord (min / median / max)")
	addRecordChunk = flag.Int("addrecord.chunk", 100, "records each side writes before the other takes its turn")
	addRecordDir   = flag.String("addrecord.dir", "", "directory for the databases (default: a temporary directory)")
	addThreads     = flag.Int("addrecord.threads", 8, "threads of BenchmarkAddRecordThreads")
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
	r, err := harness.OpenRawSQLite(filepath.Join(dir, "raw.db"), n, recordSize, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
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
		took, err := r.Insert(k, 1)
		if err != nil {
			b.Fatal(err)
		}
		tOurs, tRaw = tOurs+mid.Sub(start), tRaw+took
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

// BenchmarkAddRecordThreads measures AddRecord from several threads of
// one application at once (8 by default; one 1 KiB record per call,
// each call returning once its record is durable), which group commit
// lets share transactions, against raw SQLite one-row transactions from
// as many threads, in two forms: the threads taking turns for one
// connection (as core/store's writer does) and one connection each
// (contending for SQLite's write lock). The anchor is the faster of the
// two in each run. Both sides take turns in chunks, as in
// BenchmarkAddRecord.
func BenchmarkAddRecordThreads(b *testing.B) {
	n, runs, threads := max(*addRecordN, 1), max(*addRecordRuns, 1), max(*addThreads, 1)
	var ours, raw1, rawN, rawG, rawGC, rawGS, ratios, gcRatios, gsRatios []float64
	for b.Loop() {
		for range runs {
			o, r1, rn, rg, rgc, rgs := addRecordThreadsRun(b, n, threads)
			ours, raw1, rawN, rawG, rawGC, rawGS = append(ours, o), append(raw1, r1), append(rawN, rn), append(rawG, rg), append(rawGC, rgc), append(rawGS, rgs)
			ratios = append(ratios, o/max(r1, rn))
			gcRatios = append(gcRatios, rgc/max(r1, rn))
			gsRatios = append(gsRatios, rgs/max(r1, rn))
		}
	}
	so, s1, sn, sr := harness.Summarize(ours), harness.Summarize(raw1), harness.Summarize(rawN), harness.Summarize(ratios)
	sg, sgc, sgs := harness.Summarize(rawG), harness.Summarize(rawGC), harness.Summarize(rawGS)
	b.ReportMetric(so.Median, "records/s")
	b.ReportMetric(max(s1.Median, sn.Median), "raw-records/s")
	b.ReportMetric(sr.Median, "ratio")
	b.Logf("AddRecord from %d threads, %d records per run and side, %d runs (min / median / max): ours %s records/s; raw SQLite one connection %s, %d connections %s rows/s; ratio to the faster %s",
		threads, n, runs, so.Format("%.0f"), s1.Format("%.0f"), threads, sn.Format("%.0f"), sr.Format("%.2f"))
	harness.Summary(fmt.Sprintf("AddRecord from %d threads, 1 KiB, records/s", threads), so.Format("%.0f"),
		fmt.Sprintf("raw SQLite one-row tx, %d threads: 1 conn %s, %d conns %s", threads, s1.Format("%.0f"), threads, sn.Format("%.0f")),
		sr.Format("%.2f"), ">= 2.0x", sr.Median >= 2)
	harness.Summary(fmt.Sprintf("  (for scale: raw SQLite, %d rows a transaction from one thread, the most %d writers can share), rows/s", threads, threads),
		sg.Format("%.0f"), "-", fmt.Sprintf("%.2f of raw one-row", sg.Median/max(s1.Median, sn.Median)), "", false)
	harness.Summary(fmt.Sprintf("  group-commit floor: raw SQLite, %d threads each waiting for its row's commit, commits shared (ours against it %s), rows/s", threads, harness.Summarize(ratiosOf(ours, rawGC)).Format("%.2f")),
		sgc.Format("%.0f"), "-", harness.Summarize(gcRatios).Format("%.2f")+" of raw one-row", "", false)
	harness.Summary(fmt.Sprintf("  signed group-commit floor: the same, each writer signing its row first (ours against it %s), rows/s", harness.Summarize(ratiosOf(ours, rawGS)).Format("%.2f")),
		sgs.Format("%.0f"), "-", harness.Summarize(gsRatios).Format("%.2f")+" of raw one-row", "", false)
}

// ratiosOf divides a by b, element by element.
func ratiosOf(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] / b[i]
	}
	return out
}

// addRecordThreadsRun sets up an engine and five raw databases (one
// connection, threads connections, one for transactions of threads rows
// from one thread, one for threads writers sharing commits, and one for
// threads writers that sign, then share commits) and has each write n
// records, in turns; it returns the six rates.
func addRecordThreadsRun(b *testing.B, n, threads int) (ours, raw1, rawN, rawGrouped, rawGC, rawGS float64) {
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
	r1, err := harness.OpenRawSQLite(filepath.Join(dir, "raw1.db"), n, recordSize, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer r1.Close()
	rn, err := harness.OpenRawSQLite(filepath.Join(dir, "rawn.db"), n, recordSize, threads)
	if err != nil {
		b.Fatal(err)
	}
	defer rn.Close()
	rg, err := harness.OpenRawSQLite(filepath.Join(dir, "rawg.db"), n, recordSize, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer rg.Close()
	rgc, err := harness.OpenRawSQLite(filepath.Join(dir, "rawgc.db"), n, recordSize, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer rgc.Close()
	rgs, err := harness.OpenRawSQLite(filepath.Join(dir, "rawgs.db"), n, recordSize, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer rgs.Close()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	typ := uuid.New()
	data := randomBytes(recordSize)
	expires := filetime.Now().Add(24 * time.Hour)
	var tOurs, t1, tn, tg, tgc, tgs time.Duration
	chunk := max(*addRecordChunk, threads)
	for done := 0; done < n; {
		k := min(chunk, n-done)
		start := time.Now()
		var left atomic.Int64
		left.Store(int64(k))
		var wg sync.WaitGroup
		for range threads {
			wg.Go(func() {
				for left.Add(-1) >= 0 {
					if _, err := e.AddRecord(group.NewRecord{Type: typ, Expires: expires, Data: data}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		tOurs += time.Since(start)
		d1, err := r1.Insert(k, threads)
		if err != nil {
			b.Fatal(err)
		}
		dn, err := rn.Insert(k, threads)
		if err != nil {
			b.Fatal(err)
		}
		dg, err := rg.InsertBatched(k, threads)
		if err != nil {
			b.Fatal(err)
		}
		dgc, err := rgc.InsertGrouped(k, threads)
		if err != nil {
			b.Fatal(err)
		}
		dgs, err := rgs.InsertGroupedSigned(k, threads, key)
		if err != nil {
			b.Fatal(err)
		}
		t1, tn, tg, tgc, tgs = t1+d1, tn+dn, tg+dg, tgc+dgc, tgs+dgs
		done += k
	}
	if b.Failed() {
		b.FailNow()
	}
	count, err := e.CountRecords(typ, false)
	if err != nil || count != n {
		b.Fatalf("%d records stored, want %d (%v)", count, n, err)
	}
	return float64(n) / tOurs.Seconds(), float64(n) / t1.Seconds(), float64(n) / tn.Seconds(), float64(n) / tg.Seconds(), float64(n) / tgc.Seconds(), float64(n) / tgs.Seconds()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
