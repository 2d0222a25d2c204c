// Package meshbench holds the multi-process benchmarks of the group
// mesh: propagation of a burst of records to twenty members (against
// go-libp2p-pubsub GossipSub), catch-up of a new member on a large group
// (against raw quic-go carrying the same bytes), and the memory of an
// online member. Every member is its own process: the test binary
// re-executes itself with a role in $P2PBENCH_ROLE and is driven over
// stdin/stdout lines (see member_test.go).
package meshbench

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"p2p/bench/mesh/harness"
)

func TestMain(m *testing.M) {
	switch role := os.Getenv(harness.RoleEnv); role {
	case "":
		os.Exit(m.Run())
	case roleMember:
		exit(runMember())
	case roleQUICSend:
		exit(runQUICSend())
	case roleQUICRecv:
		exit(runQUICRecv())
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

// spawnMember starts a member process with its own data directory under
// dir, listening on loopback with LAN discovery off.
func spawnMember(b *testing.B, dir, name string) *harness.Proc {
	b.Helper()
	p, err := harness.SpawnSelf(name, dir, roleMember,
		"P2P_HOME="+filepath.Join(dir, name), "P2P_LISTEN=127.0.0.1:0", "P2P_DISCOVERY=0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	return p
}

// call sends a command to a member and returns the words after "ok".
func call(b *testing.B, p *harness.Proc, timeout time.Duration, format string, args ...any) []string {
	b.Helper()
	l, err := p.Call(timeout, format, args...)
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(l)
	if len(f) == 0 || f[0] != "ok" {
		b.Fatalf("%s: unexpected answer %q to %q", p.Name, l, fmt.Sprintf(format, args...))
	}
	return f[1:]
}

// invite has the member in slot of inviter invite joiner, who joins
// (offline) and returns its slot.
func invite(b *testing.B, inviter *harness.Proc, slot string, joiner *harness.Proc) string {
	b.Helper()
	xml := call(b, joiner, 30*time.Second, "identity")[0]
	inv := call(b, inviter, 30*time.Second, "invite %s %s", slot, xml)[0]
	return call(b, joiner, 30*time.Second, "join %s", inv)[0]
}

// waitDone reads each process's output until its "done" line and returns
// when the last arrived.
func waitDone(b *testing.B, procs []*harness.Proc, timeout time.Duration) time.Time {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for _, p := range procs {
		for {
			l, err := p.Read(time.Until(deadline))
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(l, "done") {
				break
			}
		}
	}
	return time.Now()
}

// pick returns k distinct random elements of xs (all of them if fewer).
func pick[T any](xs []T, k int) []T {
	idx := rand.Perm(len(xs))
	out := make([]T, 0, k)
	for _, i := range idx[:min(k, len(xs))] {
		out = append(out, xs[i])
	}
	return out
}

var runsFlag = flag.Int("runs", 3, "how many times each benchmark repeats its measurement")

// runs is how many times each benchmark repeats its measurement.
func runs() int { return max(*runsFlag, 1) }
