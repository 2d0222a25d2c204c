// Package directbench benchmarks direct connections through the C ABI:
// two processes of bench/direct/c/direct_peer.c, linked against
// build/libp2p.so, against raw quic-go streams and TCP loopback between two
// processes of this test binary (re-executed with a role), all in the same
// run: throughput of 64 KiB messages, round-trip latency of a 64-byte
// ping-pong, and the rate of 100-byte messages one way. The ping-pong has
// a third anchor, bench/direct/cfloor: the same exchange driven from C
// threads woken through an eventfd over a raw quic-go stream, the least
// any C API over quic-go can cost.
package directbench

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"p2p/bench/mesh/harness"
)

var (
	thrN  = flag.Int("direct.thr.n", 0, "64 KiB messages per throughput run (default 8192 = 512 MiB; 1024 with QUICK=1)")
	pingN = flag.Int("direct.ping.n", 0, "round trips per latency run (default 10,000; 2,000 with QUICK=1)")
	rateN = flag.Int("direct.rate.n", 0, "100-byte messages per rate run (default 200,000; 50,000 with QUICK=1)")
	libso = flag.String("direct.lib", "", "directory of libp2p.so and p2p.h (default: the repository's build/)")
	perf  = flag.String("direct.perf", "", "run the C processes under `perf record -g`, writing their profiles into this directory")
)

const (
	thrSize  = 64 << 10
	pingSize = 64
	rateSize = 100
	warmup   = 200 // round trips before the timed ones
)

func TestMain(m *testing.M) {
	switch role := os.Getenv(harness.RoleEnv); role {
	case "":
		os.Exit(m.Run())
	case roleServer:
		exit(runServer(os.Getenv("P2PBENCH_NET")))
	case roleClient:
		exit(runClient())
	case roleSpin:
		exit(spin())
	default:
		exit(fmt.Errorf("unknown role %q", role))
	}
}

func exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func sizes() (thr, ping, rate, runs int) {
	thr, ping, rate, runs = 8192, 10000, 200000, 3
	if harness.Quick() {
		thr, ping, rate = 1024, 2000, 50000
	}
	if *thrN > 0 {
		thr = *thrN
	}
	if *pingN > 0 {
		ping = *pingN
	}
	if *rateN > 0 {
		rate = *rateN
	}
	return
}

// BenchmarkDirect runs the three figures, alternating ours and the anchors
// in each run, in each condition: an idle machine, then one whose CPUs a
// background load keeps busy (load.go), where thread wake-ups are cheap
// and the library's own work per message shows.
func BenchmarkDirect(b *testing.B) {
	thr, ping, rate, runs := sizes()
	dir := b.TempDir()
	peerBin := buildPeer(b, dir)
	floorBin := buildFloor(b, dir)
	for b.Loop() {
		a, z, conn := cPair(b, dir, peerBin)
		qs, qc := rawPair(b, dir, "quic")
		ts, tc := rawPair(b, dir, "tcp")
		fs, fc := floorPair(b, dir, floorBin, "server", pingSize)
		_, ftc := floorPair(b, dir, floorBin, "sink", thrSize)
		for _, cond := range conditions(b) {
			var r results
			stop := cond.start(b, dir)
			for run := range runs {
				o := mbps(thr, cSend(b, a, z, conn, thr, thrSize))
				q := mbps(thr, rawSend(b, qc, qs, thr, thrSize))
				t := mbps(thr, rawSend(b, tc, ts, thr, thrSize))
				f := mbps(thr, floorSend(b, ftc, thr))
				r.oursThr, r.quicThr, r.tcpThr = append(r.oursThr, o), append(r.quicThr, q), append(r.tcpThr, t)
				r.floorThr = append(r.floorThr, f)

				var op50, op99, qp50, qp99, fp50, fp99 float64
				ocpu := cpuPerRound(ping, func() { op50, op99 = cPing(b, a, z, conn, ping) }, a, z)
				qcpu := cpuPerRound(ping, func() { qp50, qp99 = rawPing(b, qc, qs, ping) }, qc, qs)
				fcpu := cpuPerRound(ping, func() { fp50, fp99 = floorPing(b, fc, ping) }, fc, fs)
				r.oursP50, r.oursP99, r.quicP50, r.quicP99 = append(r.oursP50, op50), append(r.oursP99, op99), append(r.quicP50, qp50), append(r.quicP99, qp99)
				r.floorP50, r.floorP99 = append(r.floorP50, fp50), append(r.floorP99, fp99)
				r.oursCPU, r.quicCPU, r.floorCPU = append(r.oursCPU, ocpu), append(r.quicCPU, qcpu), append(r.floorCPU, fcpu)

				or := float64(rate) / cSend(b, a, z, conn, rate, rateSize)
				qr := float64(rate) / rawSend(b, qc, qs, rate, rateSize)
				r.oursRate, r.quicRate = append(r.oursRate, or), append(r.quicRate, qr)

				line := fmt.Sprintf("%s run %d: 64 KiB: ours %.0f MB/s, quic-go %.0f MB/s, TCP %.0f MB/s, C-thread floor %.0f MB/s; "+
					"ping-pong p50/p99: ours %.0f/%.0f us, quic-go %.0f/%.0f us, C-thread floor %.0f/%.0f us; "+
					"CPU per round trip: ours %.0f us, quic-go %.0f us, floor %.0f us; 100 B: ours %.0f msg/s, quic-go %.0f msg/s",
					cond.name, run+1, o, q, t, f, op50, op99, qp50, qp99, fp50, fp99, ocpu, qcpu, fcpu, or, qr)
				b.Log(line)
				fmt.Println("direct", line)
			}
			stop()
			r.report(b, cond.name, thr, ping, rate)
		}
	}
}

func mbps(n int, secs float64) float64 { return float64(n) * thrSize / secs / 1e6 }

// results are one condition's figures, one entry per run.
type results struct {
	oursThr, quicThr, tcpThr, floorThr []float64
	oursP50, oursP99, quicP50, quicP99 []float64
	floorP50, floorP99                 []float64
	oursCPU, quicCPU, floorCPU         []float64
	oursRate, quicRate                 []float64
}

func ratios(x, y []float64) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		out[i] = x[i] / y[i]
	}
	return out
}

func (r *results) report(b *testing.B, cond string, thr, ping, rate int) {
	s := harness.Summarize
	if cond == "idle" {
		b.ReportMetric(s(r.oursThr).Median, "MB/s")
		b.ReportMetric(s(ratios(r.oursThr, r.quicThr)).Median, "thr-ratio")
		b.ReportMetric(s(r.oursP50).Median, "p50-us")
		b.ReportMetric(s(r.oursP99).Median, "p99-us")
		b.ReportMetric(s(r.oursRate).Median, "msg/s")
	}
	b.ReportMetric(s(ratios(r.oursP50, r.floorP50)).Median, cond+"-floor-ratio")
	thrRatio, floorRatio := s(ratios(r.oursThr, r.quicThr)), s(ratios(r.oursP50, r.floorP50))
	harness.Summary(fmt.Sprintf("direct (C ABI, %s): throughput, %d x 64 KiB, MB/s", cond, thr), s(r.oursThr).Format("%.0f"),
		"raw quic-go stream "+s(r.quicThr).Format("%.0f"), thrRatio.Format("%.2f"), "ratio >= 0.90", thrRatio.Median >= 0.9)
	harness.Summary("  same, against TCP loopback, MB/s", s(r.oursThr).Format("%.0f"),
		"TCP "+s(r.tcpThr).Format("%.0f"), s(ratios(r.oursThr, r.tcpThr)).Format("%.2f"), "", false)
	harness.Summary("  same, against the C-thread floor (a C thread sends, one woken through an eventfd takes each), MB/s",
		s(r.oursThr).Format("%.0f"), "floor "+s(r.floorThr).Format("%.0f"), s(ratios(r.oursThr, r.floorThr)).Format("%.2f"), "", false)
	harness.Summary("  C-thread floor against raw quic-go, MB/s", s(r.floorThr).Format("%.0f"),
		"raw quic-go "+s(r.quicThr).Format("%.0f"), s(ratios(r.floorThr, r.quicThr)).Format("%.2f"), "", false)
	harness.Summary(fmt.Sprintf("direct (C ABI, %s): ping-pong 64 B p50 against the C-thread floor, %d round trips, us", cond, ping),
		s(r.oursP50).Format("%.0f"), "floor "+s(r.floorP50).Format("%.0f"), floorRatio.Format("%.2f"), "ratio <= 1.20", floorRatio.Median <= 1.2)
	harness.Summary("  same, p99, us", s(r.oursP99).Format("%.0f"), "floor "+s(r.floorP99).Format("%.0f"),
		s(ratios(r.oursP99, r.floorP99)).Format("%.2f"), "", false)
	harness.Summary("  same, p50 against raw quic-go (no C threads), us", s(r.oursP50).Format("%.0f"),
		"raw quic-go "+s(r.quicP50).Format("%.0f"), s(ratios(r.oursP50, r.quicP50)).Format("%.2f"), "", false)
	harness.Summary("  C-thread floor (eventfd + raw quic-go) p50 against raw quic-go, us", s(r.floorP50).Format("%.0f"),
		"raw quic-go "+s(r.quicP50).Format("%.0f"), s(ratios(r.floorP50, r.quicP50)).Format("%.2f"), "", false)
	harness.Summary("  CPU per round trip, both processes, against the floor, us", s(r.oursCPU).Format("%.0f"),
		"floor "+s(r.floorCPU).Format("%.0f")+", raw quic-go "+s(r.quicCPU).Format("%.0f"),
		s(ratios(r.oursCPU, r.floorCPU)).Format("%.2f"), "", false)
	harness.Summary(fmt.Sprintf("direct (C ABI, %s): %d x 100 B one way, msg/s", cond, rate), s(r.oursRate).Format("%.0f"),
		"raw quic-go, one Write each "+s(r.quicRate).Format("%.0f"), s(ratios(r.oursRate, r.quicRate)).Format("%.2f"),
		">= 100000 msg/s", s(r.oursRate).Median >= 100000)
}

// buildPeer compiles c/direct_peer.c against the built library.
func buildPeer(b *testing.B, dir string) string {
	b.Helper()
	lib := *libso
	if lib == "" {
		lib = filepath.Join("..", "..", "build")
	}
	lib, _ = filepath.Abs(lib)
	if _, err := os.Stat(filepath.Join(lib, "libp2p.so")); err != nil {
		b.Fatalf("no %s/libp2p.so: run `make build` first", lib)
	}
	bin := filepath.Join(dir, "direct_peer")
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	cmd := exec.Command(cc, "-O2", "-std=c11", "-Wall", "-I", lib, "-o", bin, filepath.Join("c", "direct_peer.c"),
		"-L", lib, "-lp2p", "-Wl,-rpath,"+lib)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("compile direct_peer.c: %v\n%s", err, out)
	}
	return bin
}

// buildFloor compiles cfloor, the C-thread floor of the ping-pong.
func buildFloor(b *testing.B, dir string) string {
	b.Helper()
	bin := filepath.Join(dir, "cfloor")
	if out, err := exec.Command("go", "build", "-o", bin, "./cfloor").CombinedOutput(); err != nil {
		b.Fatalf("build cfloor: %v\n%s", err, out)
	}
	return bin
}

// floorPair starts a cfloor server (mode "server" echoes every message,
// "sink" only the last of a send) for size-byte messages and a client
// connected to it.
func floorPair(b *testing.B, dir, bin, mode string, size int) (server, client *harness.Proc) {
	b.Helper()
	var err error
	server, err = harness.Spawn("floor-"+mode, dir, bin, []string{mode, strconv.Itoa(size)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(server.Close)
	l, err := server.Read(30 * time.Second)
	if err != nil || !strings.HasPrefix(l, "addr ") {
		b.Fatalf("floor server: %q %v", l, err)
	}
	client, err = harness.Spawn("floor-client-"+mode, dir, bin, []string{"client", strings.TrimPrefix(l, "addr "), strconv.Itoa(size)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(client.Close)
	return server, client
}

// floorPing runs warm-up and timed round trips on the floor; p50 and p99
// in microseconds.
func floorPing(b *testing.B, client *harness.Proc, n int) (p50, p99 float64) {
	b.Helper()
	ok(b, client, time.Minute, "ping %d", warmup)
	f := strings.Fields(ok(b, client, 10*time.Minute, "ping %d", n))
	return float(b, f[0]), float(b, f[1])
}

// floorSend sends n 64 KiB messages from the floor's C thread to its sink
// and returns the seconds until the last one's echo.
func floorSend(b *testing.B, client *harness.Proc, n int) float64 {
	b.Helper()
	return float(b, ok(b, client, 10*time.Minute, "send %d", n))
}

// ok sends a command and returns the answer after "ok".
func ok(b *testing.B, p *harness.Proc, timeout time.Duration, format string, args ...any) string {
	b.Helper()
	l, err := p.Call(timeout, format, args...)
	if err != nil {
		b.Fatal(err)
	}
	if l != "ok" && !strings.HasPrefix(l, "ok ") {
		b.Fatalf("%s: %q", p.Name, l)
	}
	return strings.TrimPrefix(strings.TrimPrefix(l, "ok"), " ")
}

// readOK reads an answer line and returns what follows "ok".
func readOK(b *testing.B, p *harness.Proc, timeout time.Duration) string {
	b.Helper()
	l, err := p.Read(timeout)
	if err != nil {
		b.Fatal(err)
	}
	if l != "ok" && !strings.HasPrefix(l, "ok ") {
		b.Fatalf("%s: %q", p.Name, l)
	}
	return strings.TrimPrefix(strings.TrimPrefix(l, "ok"), " ")
}

func float(b *testing.B, s string) float64 {
	b.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// cPair starts two C members: a creates the group, z joins it; a opens a
// direct connection to z. It returns both and a's connection id.
func cPair(b *testing.B, dir, bin string) (a, z *harness.Proc, conn string) {
	b.Helper()
	start := func(name string) *harness.Proc {
		path, args := bin, []string(nil)
		if *perf != "" {
			path, args = "perf", []string{"record", "-F", "2000", "-g", "-o", filepath.Join(*perf, name+".perf.data"), "--", bin}
		}
		p, err := harness.Spawn(name, dir, path, args,
			[]string{"P2P_HOME=" + filepath.Join(dir, name), "P2P_LISTEN=127.0.0.1:0", "P2P_DISCOVERY=0"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(p.Close)
		ok(b, p, 30*time.Second, "startup")
		return p
	}
	a, z = start("c-creator"), start("c-joiner")
	ok(b, a, 30*time.Second, "create")
	xml := ok(b, z, 30*time.Second, "identity-xml")
	inv := ok(b, a, 30*time.Second, "invite %s", xml)
	ok(b, z, 30*time.Second, "join %s", inv)
	ok(b, z, 60*time.Second, "wait-connected 60")
	who := ok(b, z, 10*time.Second, "identity")
	conn = ok(b, a, 30*time.Second, "open %s 20", who)
	ok(b, z, 30*time.Second, "accept 20")
	return a, z, conn
}

// cSend has a send n messages of size to z and returns the seconds until
// z acknowledged the last.
func cSend(b *testing.B, a, z *harness.Proc, conn string, n, size int) float64 {
	b.Helper()
	if err := z.Send("recv %d", n); err != nil {
		b.Fatal(err)
	}
	secs := float(b, ok(b, a, 10*time.Minute, "send %s %d %d", conn, n, size))
	if got := readOK(b, z, time.Minute); got != strconv.Itoa(n*size) {
		b.Fatalf("receiver got %s bytes, want %d", got, n*size)
	}
	return secs
}

// cPing runs warm-up and timed 64-byte round trips and returns p50 and
// p99 in microseconds.
func cPing(b *testing.B, a, z *harness.Proc, conn string, n int) (p50, p99 float64) {
	b.Helper()
	if err := z.Send("pong %d", warmup+n); err != nil {
		b.Fatal(err)
	}
	ok(b, a, time.Minute, "ping %s %d %d", conn, warmup, pingSize)
	f := strings.Fields(ok(b, a, 10*time.Minute, "ping %s %d %d", conn, n, pingSize))
	readOK(b, z, time.Minute)
	return float(b, f[0]), float(b, f[1])
}
