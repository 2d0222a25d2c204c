package meshbench

import (
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"p2p/bench/mesh/harness"
	"p2p/core/sig"
)

var (
	catchN       = flag.Int("catchup.n", 0, "records in the group a new member catches up on (default 100,000; 20,000 with QUICK=1)")
	catchSize    = flag.Int("catchup.size", 1024, "bytes of data per record")
	catchWire    = flag.Int("catchup.wire", 1229, "bytes per record the raw quic-go anchor sends (~1.2 KiB: data, signature, ids)")
	catchGroups  = flag.Int("catchup.groups", 10, "further small online groups the memory figure opens")
	catchIdle    = flag.Duration("catchup.idle", 5*time.Second, "idle time before each RSS reading")
	catchProfile = flag.String("catchup.profile", "", "write the CPU profile of the last run's new member here (and the member it catches up from's beside it, .creator)")
)

const (
	rssTarget      = 150 << 20 // bytes, a member holding the large group online
	perGroupTarget = 5 << 20   // bytes, each further idle online group
)

// BenchmarkCatchUp: a new member joins a group of 100,000 records of
// 1 KiB held by one online member (separate processes); the time from its
// Connect until it holds them all. The anchor, measured in the same run:
// raw quic-go carrying the same number of ~1.2 KiB frames between two
// processes, dial included. Every record is verified (Ed25519) and
// stored on receipt. The second anchor, measured in each run: the
// verification floor, verifying the same number of signatures alone in
// batches on every core (core/sig), which no member that checks what it
// receives can beat; one crypto/ed25519.Verify per record is printed
// for scale.
//
// Memory, in the same processes: the new member's RSS (VmRSS) after
// catch-up and a few idle seconds, against the RSS it had with the group
// open but offline; then it joins further small groups (100 records each,
// online, one neighbour each) and the RSS increase per group (both
// readings after a forced GC and debug.FreeOSMemory).
func BenchmarkCatchUp(b *testing.B) {
	n := *catchN
	if n == 0 {
		n = 100000
		if harness.Quick() {
			n = 20000
		}
	}
	dir := b.TempDir()
	for b.Loop() {
		creator := spawnMember(b, dir, "catchup-creator")
		slot := call(b, creator, 30*time.Second, "create")[0]
		typ := uuid.New()
		seed := call(b, creator, 10*time.Minute, "add %s %s %d %d 1000", slot, typ, n, *catchSize)[0]
		b.Logf("seeded %d records of %d B in %s s (AddRecords, batches of 1000)", n, *catchSize, seed)

		sender, err := harness.SpawnSelf("catchup-quic-send", dir, roleQUICSend)
		if err != nil {
			b.Fatal(err)
		}
		defer sender.Close()
		l, err := sender.Read(30 * time.Second)
		if err != nil {
			b.Fatal(err)
		}
		quicAddr := strings.TrimPrefix(l, "addr ")

		var ours, raw, ratio, rss, offline, perGroup []float64
		var singleFloor, batchFloor, floorRatio, storeSecs, cpuFloor, cpuRatio, cpuRaw []float64
		for run := range runs() {
			last := run == runs()-1
			o, mem := catchUpOurs(b, dir, run, creator, slot, typ, n, last && *catchProfile != "")
			r := catchUpRaw(b, dir, run, quicAddr, n)
			fs, fb, verifyCPU := verifyFloor(n, *catchWire)
			st, storeCPU, readCPU := storeFloor(b, dir, run, n)
			// What no member can skip, as CPU time spread over every core:
			// verifying the signatures, storing the rows, and reading them
			// at the member that sends them (moving the bytes left out).
			cf := (verifyCPU + storeCPU + readCPU) / float64(runtime.GOMAXPROCS(0))
			ours, raw, ratio = append(ours, o), append(raw, r), append(ratio, o/r)
			singleFloor, batchFloor, floorRatio = append(singleFloor, fs), append(batchFloor, fb), append(floorRatio, o/fb)
			storeSecs = append(storeSecs, st)
			cpuFloor, cpuRatio, cpuRaw = append(cpuFloor, cf), append(cpuRatio, o/cf), append(cpuRaw, cf/r)
			rss, offline, perGroup = append(rss, mem.rss), append(offline, mem.offline), append(perGroup, mem.perGroup)
			line := fmt.Sprintf("run %d: ours %.2f s, raw quic-go %.3f s, ratio %.1f; verification floor %.2f s (one by one %.2f s), ratio %.2f; raw SQLite storing the rows %.2f s; CPU floor %.2f s (verify %.2f + store %.2f + read %.2f CPU-s), ratio %.2f; RSS %.1f MB (offline %.1f MB), %.2f MB per further group",
				run+1, o, r, o/r, fb, fs, o/fb, st, cf, verifyCPU, storeCPU, readCPU, o/cf, mem.rss/1e6, mem.offline/1e6, mem.perGroup/1e6)
			b.Log(line)
			fmt.Println("catch-up", line)
		}
		so, sr, sx := harness.Summarize(ours), harness.Summarize(raw), harness.Summarize(ratio)
		sb, ss, sf := harness.Summarize(batchFloor), harness.Summarize(singleFloor), harness.Summarize(floorRatio)
		b.ReportMetric(so.Median, "s")
		b.ReportMetric(sr.Median, "raw-s")
		b.ReportMetric(sx.Median, "ratio")
		b.ReportMetric(sb.Median, "floor-s")
		b.ReportMetric(sf.Median, "floor-ratio")
		b.Logf("Ed25519 verification of %d messages of %d B on %d cores: batches %s s, one by one %s s",
			n, *catchWire, runtime.GOMAXPROCS(0), sb.Format("%.2f"), ss.Format("%.2f"))
		harness.Summary(fmt.Sprintf("catch-up: new member, %d x %d B, every record verified, s", n, *catchSize), so.Format("%.2f"),
			"raw quic-go same bytes "+sr.Format("%.3f"), sx.Format("%.1f"), "ratio <= 5.0", sx.Median <= 5)
		harness.Summary("  same, against verifying its signatures alone (batches, every core)", so.Format("%.2f"),
			"verification floor "+sb.Format("%.2f"), sf.Format("%.2f"), "ratio <= 1.3", sf.Median <= 1.3)
		harness.Summary(fmt.Sprintf("  (for scale: one crypto/ed25519.Verify per record, %d cores), s", runtime.GOMAXPROCS(0)),
			ss.Format("%.2f"), "-", "-", "", false)
		harness.Summary(fmt.Sprintf("  (for scale: raw SQLite storing the %d rows, %d a transaction), s", n, storeFloorTx),
			harness.Summarize(storeSecs).Format("%.2f"), "-", "-", "", false)
		harness.Summary(fmt.Sprintf("  CPU floor: CPU time of verifying (batches), storing and reading (raw SQLite) the rows, over %d cores, s (it is %s raw quic-go)", runtime.GOMAXPROCS(0), harness.Summarize(cpuRaw).Format("%.1f")),
			so.Format("%.2f"), "CPU floor "+harness.Summarize(cpuFloor).Format("%.2f"), harness.Summarize(cpuRatio).Format("%.2f"), "", false)
		mb := func(xs []float64) harness.Stats {
			s := harness.Summarize(xs)
			return harness.Stats{Min: s.Min / 1e6, Median: s.Median / 1e6, Max: s.Max / 1e6}
		}
		sm, sf, sg := mb(rss), mb(offline), mb(perGroup)
		b.ReportMetric(sm.Median, "rss-MB")
		b.ReportMetric(sg.Median, "per-group-MB")
		harness.Summary(fmt.Sprintf("memory: RSS online with %d records, MB", n), sm.Format("%.1f"),
			"same process, group offline "+sf.Format("%.1f"), fmt.Sprintf("%.2f of target", sm.Median*1e6/rssTarget),
			"< 150 MB", sm.Median*1e6 < rssTarget)
		harness.Summary(fmt.Sprintf("memory: RSS per further idle online group (%d groups), MB", *catchGroups), sg.Format("%.2f"),
			"-", fmt.Sprintf("%.2f of target", sg.Median*1e6/perGroupTarget), "< 5 MB", sg.Median*1e6 < perGroupTarget)
	}
}

type memFigures struct{ rss, offline, perGroup float64 }

// catchUpOurs starts a new member, joins it to the group, and times its
// catch-up from Connect; then it takes the memory figures.
func catchUpOurs(b *testing.B, dir string, run int, creator *harness.Proc, slot string, typ uuid.UUID, n int, profile bool) (float64, memFigures) {
	b.Helper()
	j := spawnMember(b, dir, fmt.Sprintf("catchup-joiner-%d", run))
	defer j.Close()
	js := invite(b, creator, slot, j)
	var mem memFigures
	mem.offline = rssOf(b, j)
	if profile {
		call(b, j, 10*time.Second, "profile %s", *catchProfile)
		call(b, creator, 10*time.Second, "profile %s.creator", *catchProfile)
	}
	call(b, j, 10*time.Second, "expect %s %s %d", js, typ, n)
	call(b, j, 30*time.Second, "connect %s", js)
	l, err := j.Read(10 * time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(l)
	if len(f) != 3 || f[0] != "done" {
		b.Fatalf("joiner: %q", l)
	}
	secs, _ := strconv.ParseFloat(f[2], 64)
	if profile {
		call(b, j, 10*time.Second, "profile stop")
		call(b, creator, 10*time.Second, "profile stop")
		b.Logf("CPU profiles of the new member and the creator: %s, %s.creator", *catchProfile, *catchProfile)
	}
	b.Logf("new member: %s", strings.Join(call(b, j, 10*time.Second, "stats %s", js), " "))

	time.Sleep(*catchIdle)
	mem.rss = rssOf(b, j)
	// The per-group figure compares two readings taken after a forced GC
	// that returns free memory to the OS, so the Go scavenger's timing
	// does not blur a difference of a few hundred kilobytes.
	call(b, j, 30*time.Second, "free")
	time.Sleep(time.Second)
	base := rssOf(b, j)
	// Further small groups, each created by the creator with 100 records,
	// joined and online with one neighbour.
	small := uuid.New()
	for range *catchGroups {
		cs := call(b, creator, 30*time.Second, "create")[0]
		call(b, creator, 30*time.Second, "add %s %s 100 %d 100", cs, small, *catchSize)
		gs := invite(b, creator, cs, j)
		call(b, j, 10*time.Second, "expect %s %s 100", gs, small)
		call(b, j, 30*time.Second, "connect %s", gs)
		if _, err := j.Read(time.Minute); err != nil { // done
			b.Fatal(err)
		}
	}
	time.Sleep(*catchIdle)
	call(b, j, 30*time.Second, "free")
	time.Sleep(time.Second)
	after := rssOf(b, j)
	mem.perGroup = (after - base) / float64(*catchGroups)
	return secs, mem
}

// rssOf asks a member for its VmRSS in bytes.
func rssOf(b *testing.B, p *harness.Proc) float64 {
	b.Helper()
	f := call(b, p, 10*time.Second, "rss")
	v, _ := strconv.ParseFloat(f[0], 64)
	b.Logf("%s: RSS %.1f MB (%s)", p.Name, v/1e6, strings.Join(f[1:], " "))
	return v
}

// catchUpRaw has a fresh receiver process fetch n frames of the anchor's
// size from the sender over raw quic-go.
func catchUpRaw(b *testing.B, dir string, run int, addr string, n int) float64 {
	b.Helper()
	r, err := harness.SpawnSelf(fmt.Sprintf("catchup-quic-recv-%d", run), dir, roleQUICRecv)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	f := call(b, r, 5*time.Minute, "fetch %s %d %d", addr, n, *catchWire)
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// storeFloorTx is the transaction size of storeFloor.
const storeFloorTx = 1000

// storeFloor is the seconds raw SQLite takes to store n rows of the
// catch-up's size with core/store's schema and pragmas, storeFloorTx rows
// a transaction, from one thread: the least storing what a catch-up
// receives costs on this disk. It also returns the CPU time that storing
// took, and the CPU time of reading the rows back (as the member that
// sends them reads them).
func storeFloor(b *testing.B, dir string, run, n int) (secs, storeCPU, readCPU float64) {
	b.Helper()
	path := filepath.Join(dir, fmt.Sprintf("store-floor-%d.db", run))
	r, err := harness.OpenRawSQLite(path, n, *catchSize, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(path)
	defer r.Close()
	c0 := cpuTime()
	d, err := r.InsertBatched(n, storeFloorTx)
	if err != nil {
		b.Fatal(err)
	}
	c1 := cpuTime()
	if got, err := r.ReadAll(); err != nil || got != n {
		b.Fatalf("raw SQLite read %d rows, want %d: %v", got, n, err)
	}
	return d.Seconds(), (c1 - c0).Seconds(), (cpuTime() - c1).Seconds()
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// verifyFloor is the seconds to Ed25519-verify n messages of size bytes,
// all signed by one member as a catch-up's records are, on every core:
// one crypto/ed25519.Verify each (single), and in batches of the size
// core/group checks (core/sig, ZIP 215; batch), which is the least any
// member that checks every record it receives needs; and the CPU time
// the batches took.
func verifyFloor(n, size int) (single, batch, batchCPU float64) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	const distinct = 1024
	msgs, sigs := make([][]byte, distinct), make([][]byte, distinct)
	for i := range msgs {
		msgs[i] = make([]byte, size)
		rand.Read(msgs[i])
		sigs[i] = ed25519.Sign(priv, msgs[i])
	}
	workers := runtime.GOMAXPROCS(0)
	onCores := func(fn func(w int)) float64 {
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { fn(w) })
		}
		wg.Wait()
		return time.Since(start).Seconds()
	}
	single = onCores(func(w int) {
		for i := w; i < n; i += workers {
			ed25519.Verify(pub, msgs[i%distinct], sigs[i%distinct])
		}
	})
	const chunk = 128 // core/group's verifyChunk
	var bad atomic.Int64
	c0 := cpuTime()
	batch = onCores(func(w int) {
		var b sig.Batch
		for c := w * chunk; c < n; c += workers * chunk {
			b.Reset()
			for i := c; i < min(c+chunk, n); i++ {
				b.Add(pub, msgs[i%distinct], sigs[i%distinct])
			}
			for _, ok := range b.Verify() {
				if !ok {
					bad.Add(1)
				}
			}
		}
	})
	batchCPU = (cpuTime() - c0).Seconds()
	if bad.Load() != 0 {
		panic("verifyFloor: a good signature failed")
	}
	return single, batch, batchCPU
}
