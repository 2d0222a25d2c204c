package directbench

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"p2p/bench/mesh/harness"
)

// The two conditions of the benchmark. Idle: nothing else of the
// benchmark's runs. Loaded: one spinning process per CPU under
// SCHED_IDLE, so that no CPU ever idles (a wake-up then needs no exit from
// the idle state, which on this VM costs tens of microseconds) yet the
// load takes no CPU time from the benchmark's processes, which preempt it
// at once. The library's own work per message is what the loaded
// condition shows: there, p50 is nearly CPU time.

var load = flag.String("direct.load", "both", "conditions to run: idle, loaded or both")

const roleSpin = "spin"

type condition struct {
	name  string
	start func(b *testing.B, dir string) (stop func())
}

func conditions(b *testing.B) []condition {
	idle := condition{"idle", func(*testing.B, string) func() { return func() {} }}
	loaded := condition{"loaded", startLoad}
	switch *load {
	case "idle":
		return []condition{idle}
	case "loaded":
		return []condition{loaded}
	case "both":
		return []condition{idle, loaded}
	}
	b.Fatalf("-direct.load %q: want idle, loaded or both", *load)
	return nil
}

// startLoad starts one spinner per CPU and returns what stops them.
func startLoad(b *testing.B, dir string) func() {
	b.Helper()
	var procs []*harness.Proc
	for i := range runtime.NumCPU() {
		p, err := harness.SpawnSelf(fmt.Sprintf("spin-%d", i), dir, roleSpin)
		if err != nil {
			b.Fatal(err)
		}
		procs = append(procs, p)
		if l, err := p.Read(10 * time.Second); err != nil || l != "spinning" {
			b.Fatalf("spinner: %q %v", l, err)
		}
	}
	return func() {
		for _, p := range procs {
			p.Close()
		}
	}
}

// spin burns one CPU at SCHED_IDLE until stdin closes.
func spin() error {
	runtime.LockOSThread()
	if err := unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0); err != nil {
		return fmt.Errorf("SCHED_IDLE: %w", err)
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Println("spinning")
	for x := uint64(1); ; x = x*6364136223846793005 + 1442695040888963407 {
		if x == 0 {
			fmt.Println(x) // never: keeps the loop from being optimised away
		}
	}
}

// cpuPerRound runs fn (n round trips after the warm-up) and returns the CPU time the given
// processes spent meanwhile, in microseconds per round trip.
func cpuPerRound(n int, fn func(), procs ...*harness.Proc) float64 {
	before := cpuTime(procs)
	fn()
	return float64(cpuTime(procs)-before) / 1e3 / float64(n+warmup)
}

// cpuTime sums the CPU time of every thread of the processes, in
// nanoseconds (/proc/<pid>/task/<tid>/schedstat).
func cpuTime(procs []*harness.Proc) int64 {
	var sum int64
	for _, p := range procs {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", p.Pid()))
		for _, t := range tasks {
			b, err := os.ReadFile(t)
			if err != nil {
				continue
			}
			if f := strings.Fields(string(b)); len(f) > 0 {
				ns, _ := strconv.ParseInt(f[0], 10, 64)
				sum += ns
			}
		}
	}
	return sum
}
