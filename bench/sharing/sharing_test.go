// Package sharing measures what attaching costs: an application attached
// to the process that hosts its group (issue "one group, many
// applications") against the hosting application itself, for AddRecord
// and for SendData, in separate processes measured in the same run.
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/sharing
package sharing

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/mesh"
	"p2p/core/service"

	"p2p/bench/mesh/harness"
)

var recType = uuid.MustParse("2f0d2c3e-8a1b-4c5d-9e6f-7a8b9c0d1e2f")

func TestMain(m *testing.M) {
	if os.Getenv("SHARING_ROLE") != "" {
		os.Exit(member())
	}
	os.Exit(m.Run())
}

// member is one process: it obeys commands on stdin, one answer line each.
func member() int {
	svc, err := service.New(os.Getenv("SHARING_HOME"))
	if err != nil {
		fmt.Println("err", err)
		return 1
	}
	off := false
	svc.SetMeshOptions(mesh.Options{Listen: "127.0.0.1:0", Discovery: &off})
	var g *service.Group
	var received atomic.Int64
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	reply := func(v ...any) { fmt.Println(append([]any{"ok"}, v...)...) }
	for in.Scan() {
		f := strings.SplitN(in.Text(), " ", 2)
		arg := ""
		if len(f) > 1 {
			arg = f[1]
		}
		switch f[0] {
		case "idxml":
			id, _ := svc.Identities().Default()
			fmt.Println("ok " + id.XML())
		case "create":
			g, err = svc.CreateGroup(group.Properties{FriendlyName: "bench"})
			if err == nil {
				_, err = g.Connect(nil)
			}
			reply(g.GroupPeerName(), err)
		case "invite":
			inv, err := g.CreateInvitation(arg, 0, nil)
			if err != nil {
				fmt.Println("err", err)
				continue
			}
			fmt.Println("ok " + inv)
		case "join":
			g, _, err = svc.JoinGroup("", arg)
			if err == nil {
				_, err = g.Connect(nil)
			}
			for err == nil && !g.Ready() {
				time.Sleep(10 * time.Millisecond)
			}
			reg, _ := g.Subscribe([]event.Filter{{Type: event.IncomingData}}, nil)
			go func() {
				for {
					if e, ok := reg.Next(); ok {
						received.Add(int64(len(e.Data.Data)))
					} else {
						time.Sleep(200 * time.Microsecond)
					}
				}
			}()
			id, _ := svc.Identities().Default()
			reply(id.PeerName, err)
		case "open":
			g, err = svc.OpenGroup("", arg)
			reply(g != nil && g.Hosted(), err)
		case "add":
			n, _ := strconv.Atoi(arg)
			data := make([]byte, 1024)
			start := time.Now()
			for i := 0; i < n && err == nil; i++ {
				_, err = g.AddRecord(group.NewRecord{Type: recType, Expires: filetime.Now().Add(time.Hour), Data: data})
			}
			reply(time.Since(start).Seconds(), err)
		case "addpar": // n threads: n records from that many goroutines at once
			var n, threads int
			fmt.Sscan(arg, &n, &threads)
			data := make([]byte, 1024)
			var left atomic.Int64
			left.Store(int64(n))
			var first atomic.Value
			var wg sync.WaitGroup
			start := time.Now()
			for range max(threads, 1) {
				wg.Go(func() {
					for left.Add(-1) >= 0 {
						if _, err := g.AddRecord(group.NewRecord{Type: recType, Expires: filetime.Now().Add(time.Hour), Data: data}); err != nil {
							first.CompareAndSwap(nil, err)
							return
						}
					}
				})
			}
			wg.Wait()
			if err, _ := first.Load().(error); err != nil {
				fmt.Println("err", err)
				continue
			}
			reply(time.Since(start).Seconds())
		case "dopen":
			id, err := g.OpenDirectConnection(arg, netip.AddrPort{})
			deadline := time.Now().Add(10 * time.Second)
			for err == nil && time.Now().Before(deadline) {
				if g.SendData(id, recType, nil) == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			reply(id, err)
		case "send": // id count size
			var id uint64
			var n, size int
			fmt.Sscan(arg, &id, &n, &size)
			data := make([]byte, size)
			start := time.Now()
			for i := 0; i < n && err == nil; i++ {
				err = g.SendData(id, recType, data)
			}
			reply(time.Since(start).Seconds(), err)
		case "wait-bytes": // until received >= n
			n, _ := strconv.ParseInt(arg, 10, 64)
			for received.Load() < n {
				time.Sleep(time.Millisecond)
			}
			reply(received.Load())
		case "exit":
			svc.Close()
			reply()
			return 0
		}
	}
	return 0
}

type proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	in   io.Writer
	out  *bufio.Scanner
	last string // the last answer, after "ok "
}

func start(t testing.TB, role, home string) *proc {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "SHARING_ROLE="+role, "SHARING_HOME="+home, "P2P_DISCOVERY=0")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return &proc{t: t, cmd: cmd, in: in, out: sc}
}

func (p *proc) do(format string, a ...any) []string {
	fmt.Fprintf(p.in, format+"\n", a...)
	if !p.out.Scan() {
		p.t.Fatalf("member ended: %v", p.out.Err())
	}
	f := strings.Fields(p.out.Text())
	if len(f) == 0 || f[0] != "ok" || strings.Contains(p.out.Text(), "(PEER_") || strings.Contains(p.out.Text(), "(E_") {
		p.t.Fatalf("member said %q", p.out.Text())
	}
	p.last = strings.TrimPrefix(p.out.Text(), "ok ")
	return f[1:]
}

func seconds(f []string) float64 {
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func stats(v []float64) (lo, med, hi float64) {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[0], s[len(s)/2], s[len(s)-1]
}

// BenchmarkAttachedVersusHost measures AddRecord (1 KiB records, one by
// one) and SendData (64 KiB messages to a member in a third process) from
// the hosting application and from an attached one, taking turns.
func BenchmarkAttachedVersusHost(b *testing.B) {
	home := b.TempDir()
	host := start(b, "host", home)
	name := host.do("create")[0]
	remote := start(b, "remote", b.TempDir())
	remote.do("idxml")
	xml := remote.last
	host.do("invite %s", xml)
	inv := host.last
	remoteName := remote.do("join %s", inv)[0]
	attached := start(b, "attached", home)
	if attached.do("open %s", name)[0] != "false" {
		b.Fatal("the second application hosts instead of attaching")
	}
	const runs, records, msgs, size = 3, 300, 1000, 64 << 10
	var hostAdd, attAdd, hostSend, attSend []float64
	hostID := host.do("dopen %s", remoteName)[0]
	attID := attached.do("dopen %s", remoteName)[0]
	var total int64
	for r := 0; r < runs; r++ {
		hostAdd = append(hostAdd, records/seconds(host.do("add %d", records)))
		attAdd = append(attAdd, records/seconds(attached.do("add %d", records)))
		for _, s := range []struct {
			p   *proc
			id  string
			out *[]float64
		}{{host, hostID, &hostSend}, {attached, attID, &attSend}} {
			t0 := time.Now()
			s.p.do("send %s %d %d", s.id, msgs, size)
			total += msgs * size
			remote.do("wait-bytes %d", total)
			*s.out = append(*s.out, float64(msgs*size)/time.Since(t0).Seconds()/1e6)
		}
	}
	hl, hm, hh := stats(hostAdd)
	al, am, ah := stats(attAdd)
	b.Logf("AddRecord records/s  host %.0f / %.0f / %.0f   attached %.0f / %.0f / %.0f   ratio %.2f", hl, hm, hh, al, am, ah, am/hm)
	hl, hm, hh = stats(hostSend)
	al, am2, ah := stats(attSend)
	b.Logf("SendData 64 KiB MB/s host %.0f / %.0f / %.0f   attached %.0f / %.0f / %.0f   ratio %.2f", hl, hm, hh, al, am2, ah, am2/hm)
	harness.Summary("AddRecord by an attached application, records/s",
		harness.Summarize(attAdd).Format("%.0f"), "hosting application "+harness.Summarize(hostAdd).Format("%.0f"),
		fmt.Sprintf("%.2f", am/stats3med(hostAdd)), ">= 0.7x", am/stats3med(hostAdd) >= 0.7)
	harness.Summary("SendData 64 KiB by an attached application, MB/s",
		harness.Summarize(attSend).Format("%.0f"), "hosting application "+harness.Summarize(hostSend).Format("%.0f"),
		fmt.Sprintf("%.2f", am2/hm), ">= 0.7x", am2/hm >= 0.7)
	b.ReportMetric(am/stats3med(hostAdd), "addrecord-ratio")
	b.ReportMetric(am2/hm, "senddata-ratio")
	for _, p := range []*proc{attached, remote, host} {
		p.do("exit")
	}
}

func stats3med(v []float64) float64 { _, m, _ := stats(v); return m }

// BenchmarkAttachedThreads measures AddRecord from several attached
// applications at once (4 processes attached to a fifth that hosts the
// group, 2 threads each, 1 KiB records, each call returning once its
// record is durable), whose calls the host's group commit shares
// transactions among, against raw SQLite one-row transactions from as
// many threads in this process (one connection and one each, the faster
// as anchor), taking turns.
func BenchmarkAttachedThreads(b *testing.B) {
	const apps, threads, runs = 4, 2, 3
	records := 1200
	if harness.Quick() {
		records = 400
	}
	home := b.TempDir()
	host := start(b, "host", home)
	name := host.do("create")[0]
	var attached []*proc
	for range apps {
		a := start(b, "attached", home)
		if a.do("open %s", name)[0] != "false" {
			b.Fatal("an application hosts instead of attaching")
		}
		attached = append(attached, a)
	}
	raw1, err := harness.OpenRawSQLite(filepath.Join(b.TempDir(), "raw1.db"), runs*records, 1024, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer raw1.Close()
	rawN, err := harness.OpenRawSQLite(filepath.Join(b.TempDir(), "rawn.db"), runs*records, 1024, apps*threads)
	if err != nil {
		b.Fatal(err)
	}
	defer rawN.Close()
	var ours, r1s, rns, ratios []float64
	for range runs {
		t0 := time.Now()
		for _, a := range attached {
			fmt.Fprintf(a.in, "addpar %d %d\n", records/apps, threads)
		}
		for _, a := range attached {
			if !a.out.Scan() || !strings.HasPrefix(a.out.Text(), "ok") {
				b.Fatalf("attached application: %q %v", a.out.Text(), a.out.Err())
			}
		}
		o := float64(records) / time.Since(t0).Seconds()
		d1, err := raw1.Insert(records, apps*threads)
		if err != nil {
			b.Fatal(err)
		}
		dn, err := rawN.Insert(records, apps*threads)
		if err != nil {
			b.Fatal(err)
		}
		r1, rn := float64(records)/d1.Seconds(), float64(records)/dn.Seconds()
		ours, r1s, rns, ratios = append(ours, o), append(r1s, r1), append(rns, rn), append(ratios, o/max(r1, rn))
	}
	so, s1, sn, sr := harness.Summarize(ours), harness.Summarize(r1s), harness.Summarize(rns), harness.Summarize(ratios)
	b.Logf("AddRecord from %d attached applications x %d threads: %s records/s; raw SQLite %d threads: one connection %s, %d connections %s rows/s; ratio %s",
		apps, threads, so.Format("%.0f"), apps*threads, s1.Format("%.0f"), apps*threads, sn.Format("%.0f"), sr.Format("%.2f"))
	harness.Summary(fmt.Sprintf("AddRecord from %d attached applications x %d threads, records/s", apps, threads), so.Format("%.0f"),
		fmt.Sprintf("raw SQLite one-row tx, %d threads: 1 conn %s, %d conns %s", apps*threads, s1.Format("%.0f"), apps*threads, sn.Format("%.0f")),
		sr.Format("%.2f"), ">= 2.0x", sr.Median >= 2)
	b.ReportMetric(sr.Median, "ratio")
	for _, p := range append(attached, host) {
		p.do("exit")
	}
}
