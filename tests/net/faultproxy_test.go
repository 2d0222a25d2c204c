//go:build linux

package net_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A fault lab: each member in a network namespace of its own, linked by
// a veth pair to a hub namespace, where this test's fault proxy reads
// every Ethernet frame from each hub-side end (an AF_PACKET socket) and
// writes it to the end of the member it is addressed to, in user space
// (the kernel may lack netem): UDP datagrams between members can be
// lost, duplicated, reordered, delayed with jitter, cut by a partition or
// by a flapping link. ARP passes untouched; nothing else is forwarded.
//
//	m0 10.77.0.10 ─ h0 ┐
//	m1 10.77.0.11 ─ h1 ┼ hub (the proxy)
//	m2 10.77.0.12 ─ h2 ┘
//
// The namespaces are named p2pfault-<pid>-<n>-<role> and removed when
// the test ends (or by a later run, once the owning process is gone).

// faults is what the proxy does to UDP datagrams between members.
type faults struct {
	Loss      float64       // probability that a datagram is dropped
	Dup       float64       // probability that it is sent twice
	Reorder   float64       // probability that it is held back by ReorderBy, so later ones overtake it
	ReorderBy time.Duration //
	Delay     time.Duration // added to every datagram
	Jitter    time.Duration // plus a uniformly random part up to this
	// Cut, if set, drops every datagram from member from to member to
	// (a partition).
	Cut func(from, to int) bool
	// FlapEvery, if set, takes the whole network down for FlapEvery
	// (from the moment the faults are set), then up for FlapEvery, and so
	// on.
	FlapEvery time.Duration
}

// proxyStats counts what the proxy did.
type proxyStats struct {
	Forwarded, Lost, Cut, Flapped, Duplicated, Reordered, Delayed int64
}

func (s proxyStats) sub(o proxyStats) proxyStats {
	return proxyStats{s.Forwarded - o.Forwarded, s.Lost - o.Lost, s.Cut - o.Cut, s.Flapped - o.Flapped,
		s.Duplicated - o.Duplicated, s.Reordered - o.Reordered, s.Delayed - o.Delayed}
}

func (s proxyStats) String() string {
	return fmt.Sprintf("%d datagrams forwarded, %d lost, %d cut by the partition, %d dropped while the link was down, %d duplicated, %d reordered, %d delayed",
		s.Forwarded, s.Lost, s.Cut, s.Flapped, s.Duplicated, s.Reordered, s.Delayed)
}

// faultProxy is the hub: one packet socket per member link.
type faultProxy struct {
	fds  []int // packet socket of h<i>, by member index
	wg   sync.WaitGroup
	stop atomic.Bool

	mu       sync.Mutex // guards the fields below
	f        faults
	since    time.Time // when f was set (the flapping clock)
	rng      *rand.Rand
	stats    proxyStats
	timers   sync.WaitGroup // delayed sends not yet done
	oversize int64          // frames too large to forward (GSO left on)
}

// memberIP is member i's address in the lab.
func memberIP(i int) string { return fmt.Sprintf("10.77.0.%d", 10+i) }

// newFaultProxy opens a packet socket on each of ifaces in namespace ns
// and starts forwarding.
func newFaultProxy(ns string, ifaces []string) (*faultProxy, error) {
	p := &faultProxy{rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 77)), since: time.Now()}
	err := inNetns(ns, func() error {
		for _, name := range ifaces {
			ifi, err := net.InterfaceByName(name)
			if err != nil {
				return err
			}
			fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
			if err != nil {
				return fmt.Errorf("packet socket: %w", err)
			}
			p.fds = append(p.fds, fd)
			if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
				return fmt.Errorf("bind to %s: %w", name, err)
			}
			tv := unix.Timeval{Usec: 100000} // reads return every 100 ms, to see stop
			if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
				return err
			}
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		}
		return nil
	})
	if err != nil {
		for _, fd := range p.fds {
			unix.Close(fd)
		}
		return nil, err
	}
	for i := range p.fds {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.readLoop(i)
		}()
	}
	return p, nil
}

// inNetns runs fn on an OS thread in network namespace ns; the thread
// ends with it (it stays locked), so no other goroutine runs there.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is dropped when this goroutine ends
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// set changes the faults from now on (and restarts the flapping clock).
func (p *faultProxy) set(f faults) {
	p.mu.Lock()
	p.f, p.since = f, time.Now()
	p.mu.Unlock()
}

func (p *faultProxy) snapshot() proxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// close stops forwarding, waits for the delayed sends and closes the
// sockets.
func (p *faultProxy) close() {
	p.stop.Store(true)
	p.wg.Wait()
	p.timers.Wait()
	for _, fd := range p.fds {
		unix.Close(fd)
	}
}

const (
	etherHeader = 14
	maxFrame    = etherHeader + 1500
)

// readLoop forwards the frames member i sends.
func (p *faultProxy) readLoop(i int) {
	buf := make([]byte, 64<<10)
	for !p.stop.Load() {
		n, from, err := unix.Recvfrom(p.fds[i], buf, 0)
		if err != nil {
			continue // the read timeout, or a transient error
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue // what this proxy wrote
		}
		p.forward(i, buf[:n])
	}
}

// forward decides the fate of one frame from member i.
func (p *faultProxy) forward(i int, frame []byte) {
	if len(frame) < etherHeader {
		return
	}
	switch binary.BigEndian.Uint16(frame[12:14]) {
	case unix.ETH_P_ARP:
		for j := range p.fds {
			if j != i {
				p.send(j, frame)
			}
		}
		return
	case unix.ETH_P_IP:
	default:
		return // IPv6 neighbour discovery and the like: not needed
	}
	ip := frame[etherHeader:]
	if len(ip) < 20 || ip[0]>>4 != 4 {
		return
	}
	dst := net.IP(ip[16:20]).String()
	to := -1
	for j := range p.fds {
		if memberIP(j) == dst {
			to = j
		}
	}
	if to < 0 || to == i {
		return
	}
	if len(frame) > maxFrame {
		p.mu.Lock()
		p.oversize++
		p.mu.Unlock()
		return
	}
	ihl := int(ip[0]&0x0f) * 4
	if ip[9] != unix.IPPROTO_UDP || len(ip) < ihl+8 {
		p.send(to, frame)
		return
	}
	// The checksum of a frame taken from a veth may be left to an offload
	// that never happens; 0 means "none" for UDP over IPv4.
	frame = append([]byte(nil), frame...)
	ip = frame[etherHeader:]
	ip[ihl+6], ip[ihl+7] = 0, 0

	p.mu.Lock()
	f := &p.f
	var drop *int64
	switch {
	case f.Cut != nil && f.Cut(i, to):
		drop = &p.stats.Cut
	case f.FlapEvery > 0 && (time.Since(p.since)/f.FlapEvery)%2 == 0:
		drop = &p.stats.Flapped
	case f.Loss > 0 && p.rng.Float64() < f.Loss:
		drop = &p.stats.Lost
	}
	if drop != nil {
		*drop++
		p.mu.Unlock()
		return
	}
	copies := 1
	if f.Dup > 0 && p.rng.Float64() < f.Dup {
		copies = 2
		p.stats.Duplicated++
	}
	delays := make([]time.Duration, copies)
	for k := range delays {
		d := f.Delay
		if f.Jitter > 0 {
			d += time.Duration(p.rng.Int64N(int64(f.Jitter)))
		}
		if f.Reorder > 0 && p.rng.Float64() < f.Reorder {
			d += f.ReorderBy
			p.stats.Reordered++
		}
		delays[k] = d
		if d > 0 {
			p.stats.Delayed++
		}
	}
	p.stats.Forwarded++
	p.mu.Unlock()
	for _, d := range delays {
		if d == 0 {
			p.send(to, frame)
			continue
		}
		p.timers.Add(1)
		time.AfterFunc(d, func() {
			defer p.timers.Done()
			if !p.stop.Load() {
				p.send(to, frame)
			}
		})
	}
}

func (p *faultProxy) send(j int, frame []byte) {
	unix.Write(p.fds[j], frame)
}

// faultLab is the namespaces of a fault proxy and its members.
type faultLab struct {
	t      *testing.T
	prefix string
	made   []string
	proxy  *faultProxy
}

var faultLabCount atomic.Int32

// newFaultLab builds a lab for n members; it is torn down when the test
// ends.
func newFaultLab(t *testing.T, n int) *faultLab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the fault lab needs root (network namespaces, packet sockets): skipped")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("the fault lab needs ip (apt-get install iproute2): skipped")
	}
	removeStaleNamespaces("p2pfault-")
	l := &faultLab{t: t, prefix: fmt.Sprintf("p2pfault-%d-%d-", os.Getpid(), faultLabCount.Add(1))}
	t.Cleanup(l.teardown)
	hub := l.ns("hub")
	var ifaces []string
	for i := range n {
		m := l.ns(fmt.Sprintf("m%d", i))
		h := fmt.Sprintf("h%d", i)
		l.ip("-n", hub, "link", "add", h, "type", "veth", "peer", "name", "eth0", "netns", m)
		l.ip("-n", hub, "link", "set", h, "up")
		l.ip("-n", m, "addr", "add", memberIP(i)+"/24", "dev", "eth0")
		l.ip("-n", m, "link", "set", "eth0", "up")
		ifaces = append(ifaces, h)
	}
	p, err := newFaultProxy(hub, ifaces)
	if err != nil {
		t.Fatalf("fault proxy: %v", err)
	}
	l.proxy = p
	return l
}

func (l *faultLab) ns(role string) string {
	name := l.prefix + role
	l.ip("netns", "add", name)
	l.made = append(l.made, name)
	l.ip("-n", name, "link", "set", "lo", "up")
	// No IPv6: its neighbour discovery would only be noise here.
	exec.Command("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
		"net.ipv6.conf.default.disable_ipv6=1").Run()
	return name
}

func (l *faultLab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (l *faultLab) teardown() {
	if l.proxy != nil {
		l.proxy.close()
		if l.proxy.oversize > 0 {
			l.t.Errorf("the proxy dropped %d frames larger than the MTU (GSO not turned off?)", l.proxy.oversize)
		}
	}
	for _, ns := range l.made {
		exec.Command("ip", "netns", "del", ns).Run()
	}
}

// startMember starts peer.c as member i of the lab. quic-go's UDP
// segmentation offload is off: the proxy forwards frames one by one.
func (l *faultLab) startMember(dir, name string, i int) *Peer {
	l.t.Helper()
	return startPeerAt(l.t, name, dir+"/"+name, l.prefix+fmt.Sprintf("m%d", i), memberIP(i)+":0", "QUIC_GO_DISABLE_GSO=true")
}
