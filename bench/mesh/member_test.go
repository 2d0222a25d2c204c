package meshbench

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"time"

	"github.com/google/uuid"

	"p2p/bench/mesh/harness"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/mesh"
	"p2p/core/service"
)

// roleMember is a group member in its own process, on the pure-Go core
// (core/service), with its data directory in $P2P_HOME. It holds any
// number of groups, each in a numbered slot. Commands (answers "ok ..."):
//
//	identity                          -> ok <escaped identity XML>
//	create                            -> ok <slot>   (created and online)
//	invite <slot> <escaped XML>       -> ok <escaped invitation>
//	join <escaped invitation>         -> ok <slot>   (joined, offline)
//	connect <slot> [addr...]          -> ok          (Connect, trying addrs first)
//	addr <slot>                       -> ok <ip:port>
//	wait-ready <slot> <seconds>       -> ok
//	neighbors <slot>                  -> ok <n>
//	add <slot> <type> <n> <size> <batch> -> ok <seconds>  (AddRecord if batch is 1, else AddRecords)
//	expect <slot> <type> <n>          -> ok, later "done <slot> <seconds since expect>"
//	                                     once n records of type arrived from the network
//	count <slot> <type>               -> ok <n>
//	stats <slot>                      -> ok <node counters>
//	rss                               -> ok <bytes>
//	cpu                               -> ok <user+system CPU seconds so far>
//	free                              -> ok (runtime/debug.FreeOSMemory)
//	profile <path> | profile stop     -> ok (CPU profile of this process; with
//	                                     P2PBENCH_TRACE=1 also an execution trace, <path>.trace)
const roleMember = "member"

type memberState struct {
	svc    *service.Service
	groups []*service.Group
	prof   *os.File
	trace  *os.File
}

func runMember() error {
	home := os.Getenv("P2P_HOME")
	svc, err := service.New(home)
	if err != nil {
		return err
	}
	defer svc.Close()
	off := false
	svc.SetMeshOptions(mesh.Options{Listen: "127.0.0.1:0", Discovery: &off})
	st := &memberState{svc: svc}
	return harness.Serve(st.handle)
}

func (st *memberState) slot(f []string, i int) (*service.Group, error) {
	if i >= len(f) {
		return nil, fmt.Errorf("missing slot")
	}
	n, err := strconv.Atoi(f[i])
	if err != nil || n < 0 || n >= len(st.groups) {
		return nil, fmt.Errorf("bad slot %q", f[i])
	}
	return st.groups[n], nil
}

func (st *memberState) node(g *service.Group) (*mesh.Node, error) {
	e := g.Engine()
	if e == nil {
		return nil, fmt.Errorf("group not hosted here")
	}
	n, ok := e.Network().(*mesh.Node)
	if !ok || n == nil {
		return nil, fmt.Errorf("group offline")
	}
	return n, nil
}

func (st *memberState) handle(out *harness.Out, f []string) error {
	switch f[0] {
	case "identity":
		id, err := st.svc.Identities().Default()
		if err != nil {
			return err
		}
		out.Println("ok %s", harness.Escape(id.XML()))
	case "create":
		g, err := st.svc.CreateGroup(group.Properties{FriendlyName: "bench"})
		if err != nil {
			return err
		}
		if _, err := g.Connect(nil); err != nil {
			return err
		}
		st.groups = append(st.groups, g)
		out.Println("ok %d", len(st.groups)-1)
	case "invite":
		g, err := st.slot(f, 1)
		if err != nil {
			return err
		}
		xml, err := harness.Unescape(arg(f, 2))
		if err != nil {
			return err
		}
		inv, err := g.CreateInvitation(xml, 0, nil)
		if err != nil {
			return err
		}
		out.Println("ok %s", harness.Escape(inv))
	case "join":
		inv, err := harness.Unescape(arg(f, 1))
		if err != nil {
			return err
		}
		g, _, err := st.svc.JoinGroup("", inv)
		if err != nil {
			return err
		}
		st.groups = append(st.groups, g)
		out.Println("ok %d", len(st.groups)-1)
	case "connect":
		g, err := st.slot(f, 1)
		if err != nil {
			return err
		}
		var addrs []netip.AddrPort
		for _, a := range f[2:] {
			ap, err := netip.ParseAddrPort(a)
			if err != nil {
				return err
			}
			addrs = append(addrs, ap)
		}
		if _, err := g.Connect(addrs); err != nil {
			return err
		}
		out.Println("ok")
	case "addr":
		g, err := st.slot(f, 1)
		if err != nil {
			return err
		}
		n, err := st.node(g)
		if err != nil {
			return err
		}
		a := n.Addresses()
		if len(a) == 0 {
			return fmt.Errorf("no address")
		}
		out.Println("ok %s", a[0])
	case "wait-ready":
		g, err := st.slot(f, 1)
		if err != nil {
			return err
		}
		secs, _ := strconv.ParseFloat(arg(f, 2), 64)
		deadline := time.Now().Add(time.Duration(secs * float64(time.Second)))
		for !g.Ready() {
			if time.Now().After(deadline) {
				return fmt.Errorf("not ready after %vs", secs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		out.Println("ok")
	case "neighbors":
		g, err := st.slot(f, 1)
		if err != nil {
			return err
		}
		n, err := st.node(g)
		if err != nil {
			return err
		}
		out.Println("ok %d", len(n.Neighbors()))
	case "add":
		g, err := st.slot(f, 1)
		if err != nil {
			return err
		}
		typ, err := uuid.Parse(arg(f, 2))
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(arg(f, 3))
		size, _ := strconv.Atoi(arg(f, 4))
		batch, _ := strconv.Atoi(arg(f, 5))
		secs, err := addRecords(g, typ, n, size, max(batch, 1))
		if err != nil {
			return err
		}
		out.Println("ok %.3f", secs)
	case "expect":
		g, err := st.slot(f, 1)
		if err != nil {
			return err
		}
		typ, err := uuid.Parse(arg(f, 2))
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(arg(f, 3))
		start := time.Now()
		// Counting rows of 100,000 costs milliseconds, so the watcher
		// counts only once the node has received at least n records.
		var base int64
		if nd, err := st.node(g); err == nil {
			base = nd.Stats().ReceivedRecords.Load()
		}
		out.Println("ok")
		go func() {
			for {
				if g.Closed() {
					return
				}
				if nd, err := st.node(g); err == nil && nd.Stats().ReceivedRecords.Load()-base >= int64(n) && count(g, typ) >= n {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			out.Println("done %s %.3f", arg(f, 1), time.Since(start).Seconds())
		}()
	case "count":
		g, err := st.slot(f, 1)
		if err != nil {
			return err
		}
		typ, err := uuid.Parse(arg(f, 2))
		if err != nil {
			return err
		}
		out.Println("ok %d", count(g, typ))
	case "stats":
		g, err := st.slot(f, 1)
		if err != nil {
			return err
		}
		n, err := st.node(g)
		if err != nil {
			return err
		}
		s := n.Stats()
		out.Println("ok received=%d duplicates=%d rejected=%d flood-dropped=%d syncs=%d neighbours=%d",
			s.ReceivedRecords.Load(), s.DuplicateRecords.Load(), s.RejectedRecords.Load(), s.FloodDropped.Load(), s.SyncsCompleted.Load(), len(n.Neighbors()))
	case "rss":
		rss, err := harness.RSS()
		if err != nil {
			return err
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		out.Println("ok %d heap-inuse=%d heap-idle-released=%d sys=%d", rss, ms.HeapInuse, ms.HeapReleased, ms.Sys)
	case "cpu":
		out.Println("ok %.3f", harness.CPUSeconds())
	case "free":
		debug.FreeOSMemory()
		out.Println("ok")
	case "profile":
		if arg(f, 1) == "stop" {
			if st.prof != nil {
				pprof.StopCPUProfile()
				st.prof.Close()
				st.prof = nil
			}
			if st.trace != nil {
				trace.Stop()
				st.trace.Close()
				st.trace = nil
			}
			out.Println("ok")
			return nil
		}
		pf, err := os.Create(arg(f, 1))
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			pf.Close()
			return err
		}
		st.prof = pf
		if os.Getenv("P2PBENCH_TRACE") == "1" { // an execution trace beside the profile
			tf, err := os.Create(arg(f, 1) + ".trace")
			if err != nil {
				return err
			}
			if err := trace.Start(tf); err != nil {
				tf.Close()
				return err
			}
			st.trace = tf
		}
		out.Println("ok")
	default:
		return fmt.Errorf("unknown command")
	}
	return nil
}

// addRecords publishes n records of size random bytes, one AddRecord each
// if batch is 1, else AddRecords of batch records, and returns the time
// it took.
func addRecords(g *service.Group, typ uuid.UUID, n, size, batch int) (float64, error) {
	data := make([]byte, size)
	rand.Read(data)
	expires := filetime.Now().Add(24 * time.Hour)
	start := time.Now()
	for done := 0; done < n; {
		k := min(batch, n-done)
		if k == 1 {
			if _, err := g.AddRecord(group.NewRecord{Type: typ, Expires: expires, Data: data}); err != nil {
				return 0, err
			}
		} else {
			recs := make([]group.NewRecord, k)
			for i := range recs {
				recs[i] = group.NewRecord{Type: typ, Expires: expires, Data: data}
			}
			if _, err := g.AddRecords(recs); err != nil {
				return 0, err
			}
		}
		done += k
	}
	return time.Since(start).Seconds(), nil
}

func count(g *service.Group, typ uuid.UUID) int {
	e := g.Engine()
	if e == nil {
		return 0
	}
	n, _ := e.CountRecords(typ, true)
	return n
}

func arg(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}
