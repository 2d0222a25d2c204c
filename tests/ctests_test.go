// Package tests runs C client programs (tests/c) against the built
// library, each with its own data directory: the offline flow, the bad
// calls, a crash test of the record database, and a Windows compile check
// of the same sources. `make test` builds the library first; without it
// these tests fail with "run make build first".
package tests

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"p2p/tests/internal/testlib"
)

// TestOfflineFlow runs the whole offline life of identities, groups and
// records through the C API (tests/c/offline_flow.c).
func TestOfflineFlow(t *testing.T) {
	t.Parallel()
	bin := testlib.CompileC(t, "offline_flow", testlib.Source(t, "offline_flow.c"))
	out := testlib.Run(t, testlib.Home(t), 2*time.Minute, bin, t.TempDir())
	if !strings.Contains(out, "PASS offline_flow") {
		t.Fatalf("offline_flow did not report PASS:\n%s", out)
	}
	t.Logf("offline_flow: %d steps passed", strings.Count(out, "\nok   ")+1)
}

// badCallsRe is the summary line bad_calls prints.
var badCallsRe = regexp.MustCompile(`(?m)^PASS bad_calls: (\d+) bad calls`)

// TestBadCalls makes every kind of wrong call (tests/c/bad_calls.c) and
// requires the documented HRESULT for each, no crash, and intact data
// afterwards.
func TestBadCalls(t *testing.T) {
	t.Parallel()
	bin := testlib.CompileC(t, "bad_calls", testlib.Source(t, "bad_calls.c"))
	out := testlib.Run(t, testlib.Home(t), 2*time.Minute, bin, t.TempDir())
	m := badCallsRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("bad_calls did not report its count:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 60 {
		t.Fatalf("bad_calls made %d bad calls, want at least 60:\n%s", n, out)
	}
	t.Logf("bad_calls: %s bad calls, all with the expected HRESULT", m[1])
}

// TestWindowsCompile compiles the C sources for Windows x64 with
// mingw-w64 (to objects, no link), -Wall -Wextra -Werror, against the
// repository's p2p.h: the same programs must build there.
func TestWindowsCompile(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"offline_flow.c", "bad_calls.c", "crash_writer.c", "event_threads.c"} {
		t.Run(src, func(t *testing.T) {
			t.Parallel()
			testlib.CompileWindowsObject(t, testlib.Source(t, src))
		})
	}
}

// TestEventThreadsUnderElectricFence runs tests/c/event_threads.c: four
// threads drain one event registration at once while another member's
// records and direct messages arrive, every event checked once and
// intact, under Electric Fence, which puts each heap block against an
// inaccessible page: once with the guard after each block (a write past a
// returned structure or string faults), once before it, and with freed
// blocks kept inaccessible (a use after PeerFreeData faults). The library
// turns a fault in its own call into E_POINTER, which the program reports
// as a failure.
func TestEventThreadsUnderElectricFence(t *testing.T) {
	t.Parallel()
	const efence = "/usr/lib/libefence.so.0"
	if _, err := os.Stat(efence); err != nil {
		t.Fatalf("%s is missing (Debian package electric-fence; make test installs it): %v", efence, err)
	}
	bin := testlib.CompileC(t, "event_threads", testlib.Source(t, "event_threads.c"))
	for _, mode := range []struct{ name, env string }{
		{"overruns and uses after free", "EF_PROTECT_FREE=1"},
		{"underruns", "EF_PROTECT_BELOW=1"},
	} {
		cmd := testlib.Command(context.Background(), testlib.Home(t), bin, "threads")
		cmd.Env = append(cmd.Env, "LD_PRELOAD="+efence, "EF_ALLOW_MALLOC_0=1", mode.env,
			"P2P_LISTEN=127.0.0.1:0", "P2P_DISCOVERY=0")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "PASS event_threads") || !strings.Contains(string(out), "Electric Fence") {
			t.Fatalf("event_threads under Electric Fence (%s): %v\n%s", mode.name, err, out)
		}
		t.Logf("%s: %s", mode.name, lastLine(string(out)))
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}
