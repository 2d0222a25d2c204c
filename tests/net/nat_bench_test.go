package net_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNATBench is the NAT benchmark of make bench (bench/run.sh sets
// P2P_NAT_BENCH=1; plain test runs skip it). In the NAT lab, with members
// keeping one neighbour each (P2P_DEGREE=1, so no connection exists before
// it is measured), each of three runs opens from A:
//
//   - a direct connection to Q, a second public member: a direct dial;
//   - one to B, behind the other port-preserving NAT: a hole punch;
//   - one to C, behind the port-randomising NAT: a punch that fails, then
//     a relay through P;
//
// and sends 64 KiB messages to B (punched, direct) and to C (relayed):
// connection times against the direct dial, relayed throughput against
// direct. Relays are left unthrottled (P2P_RELAY_RATE) for the throughput.
func TestNATBench(t *testing.T) {
	if os.Getenv("P2P_NAT_BENCH") != "1" {
		t.Skip("a benchmark: bench/run.sh runs it (P2P_NAT_BENCH=1)")
	}
	requireLab(t)
	runs, msgs := 3, 2048 // 128 MiB per throughput run
	if os.Getenv("QUICK") == "1" {
		msgs = 512
	}
	var dial, punch, relay, direct, relayed []float64
	for run := range runs {
		t.Run(fmt.Sprint(run), func(t *testing.T) {
			l := newLab(t)
			env := []string{"P2P_DEGREE=1", "P2P_RELAY_RATE=4294967296", "P2P_LOG=warn"}
			peers := natGroup(t, l, env...)
			a, b, c := peers[1], peers[2], peers[3]
			q := l.startMember(t.TempDir(), "Q", "public", env...)
			q.Identity = q.OK("startup Q")
			invite(t, peers[0], q)
			q.OK("connect")
			q.OK("wait-ready 45")
			for _, p := range []*Peer{a, b, c} {
				p.OK("wait-count 0 1") // members settle
			}
			_, _, ms := openPair(t, a, q)
			dial = append(dial, ms)
			ab, _, ms := openPair(t, a, b)
			punch = append(punch, ms)
			if p := a.OK("path %d", ab); !strings.HasPrefix(p, "direct") {
				t.Fatalf("A -> B: %s, want direct", p)
			}
			ac, _, ms := openPair(t, a, c)
			relay = append(relay, ms)
			if p := a.OK("path %d", ac); !strings.HasPrefix(p, "relayed") {
				t.Fatalf("A -> C: %s, want relayed", p)
			}
			for _, to := range []struct {
				p   *Peer
				id  uint64
				out *[]float64
			}{{b, ab, &direct}, {c, ac, &relayed}} {
				recv := to.p.Send("recv %d 120", msgs)
				a.OKWithin(3*time.Minute, "send %d %d 65536 fixed", to.id, msgs)
				out, err := to.p.Await(recv, 3*time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				mbs := float64(field(t, out, "bytes")) / 1e6 / (float64(field(t, out, "ms")) / 1e3)
				*to.out = append(*to.out, mbs)
			}
		})
	}
	if t.Failed() {
		return
	}
	med := func(v []float64) float64 { s := slices.Clone(v); slices.Sort(s); return s[len(s)/2] }
	mmm := func(v []float64, unit string) string {
		s := slices.Clone(v)
		slices.Sort(s)
		return fmt.Sprintf("%.0f / %.0f / %.0f %s", s[0], s[len(s)/2], s[len(s)-1], unit)
	}
	// The direct dial is a QUIC handshake and the group's own exchanges;
	// the punch adds its round trips through P and the probes.
	punchVerdict := "met"
	if med(punch) > 2*med(dial)+3 {
		punchVerdict = "missed"
	}
	fmt.Printf("SUMMARY|NAT lab: time to a punched connection (A -> B)|%s|direct dial %s|%.1fx (median)|3 RTT + a handshake|%s\n",
		mmm(punch, "ms"), mmm(dial, "ms"), med(punch)/max(med(dial), 0.5), punchVerdict)
	fmt.Printf("SUMMARY|NAT lab: time to a relayed connection (A -> C, punch first)|%s|direct dial %s|%.1fx (median)|every pair connected|met\n",
		mmm(relay, "ms"), mmm(dial, "ms"), med(relay)/max(med(dial), 0.5))
	ratio := med(relayed) / med(direct)
	verdict := "met"
	if ratio < 0.5 {
		verdict = "missed"
	}
	fmt.Printf("SUMMARY|NAT lab: relayed throughput, 64 KiB messages|%s|punched direct %s|%.2fx (median)|>= 0.5x|%s\n",
		mmm(relayed, "MB/s"), mmm(direct, "MB/s"), ratio, verdict)
}
