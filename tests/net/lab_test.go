package net_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// A lab of network namespaces in which members sit behind NATs, the way
// they do at home:
//
//	            198.51.100.0/24 ("the Internet": a bridge in namespace inet)
//	   .10 public        .11 nat-a           .12 nat-b           .13 nat-c
//	                     10.0.1.1            10.0.2.1            10.0.3.1
//	                     10.0.1.2 host-a     10.0.2.2 host-b     10.0.3.2 host-c
//
// nat-a and nat-b masquerade (Linux keeps the source port when it is
// free: endpoint-independent mapping, the common home NAT); nat-c
// masquerades with --random-fully (a new random port for every
// destination: a port-randomising, "symmetric" NAT). Each NAT drops
// unsolicited inbound packets, as home routers' firewalls do. Every
// address is inside namespaces the lab creates; the namespaces are named
// p2pnat-<pid>-<n>-<role> and removed when the test ends (and, if a run
// was killed, by the next run, whose pid check finds the owner gone).

// lab is one set of namespaces.
type lab struct {
	t      *testing.T
	prefix string
	made   []string
}

var labCount atomic.Int32

// labHosts are the namespaces a member can run in, with the address it
// listens on.
var labHosts = map[string]string{
	"public": "198.51.100.10",
	"host-a": "10.0.1.2",
	"host-b": "10.0.2.2",
	"host-c": "10.0.3.2",
}

// natOf names each NAT'd host's router and its public address.
var natOf = map[string]struct{ router, public string }{
	"host-a": {"nat-a", "198.51.100.11"},
	"host-b": {"nat-b", "198.51.100.12"},
	"host-c": {"nat-c", "198.51.100.13"},
}

// requireLab skips the test unless it can build network namespaces.
func requireLab(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the NAT lab needs root (network namespaces and iptables): skipped")
	}
	for _, tool := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the NAT lab needs %s (apt-get install iproute2 iptables): skipped", tool)
		}
	}
}

// newLab builds the lab; it is torn down when the test ends.
func newLab(t *testing.T) *lab {
	t.Helper()
	requireLab(t)
	removeStaleNamespaces("p2pnat-")
	l := &lab{t: t, prefix: fmt.Sprintf("p2pnat-%d-%d-", os.Getpid(), labCount.Add(1))}
	t.Cleanup(l.teardown)
	inet := l.ns("inet")
	l.ip("-n", inet, "link", "add", "br0", "type", "bridge")
	l.ip("-n", inet, "link", "set", "br0", "up")
	attach := func(ns, addr string) {
		port := "p-" + strings.TrimPrefix(ns, l.prefix)
		if len(port) > 15 {
			port = port[:15]
		}
		l.ip("-n", inet, "link", "add", port, "type", "veth", "peer", "name", "wan", "netns", ns)
		l.ip("-n", inet, "link", "set", port, "master", "br0", "up")
		l.ip("-n", ns, "addr", "add", addr+"/24", "dev", "wan")
		l.ip("-n", ns, "link", "set", "wan", "up")
	}
	attach(l.ns("public"), labHosts["public"])
	for i, h := range []string{"host-a", "host-b", "host-c"} {
		nat := natOf[h]
		router, host := l.ns(nat.router), l.ns(h)
		attach(router, nat.public)
		lanNet := fmt.Sprintf("10.0.%d", i+1)
		l.ip("-n", router, "link", "add", "lan", "type", "veth", "peer", "name", "lan", "netns", host)
		l.ip("-n", router, "addr", "add", lanNet+".1/24", "dev", "lan")
		l.ip("-n", router, "link", "set", "lan", "up")
		l.ip("-n", host, "addr", "add", labHosts[h]+"/24", "dev", "lan")
		l.ip("-n", host, "link", "set", "lan", "up")
		l.ip("-n", host, "route", "add", "default", "via", lanNet+".1")
		l.exec(router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
		masq := []string{"-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE"}
		if h == "host-c" {
			masq = append(masq, "--random-fully")
		}
		l.exec(router, "iptables", masq...)
		// The firewall of a home router: nothing unsolicited comes in.
		l.exec(router, "iptables", "-A", "INPUT", "-i", "wan", "-m", "conntrack", "--ctstate", "NEW,INVALID", "-j", "DROP")
		l.exec(router, "iptables", "-A", "FORWARD", "-i", "wan", "-m", "conntrack", "--ctstate", "NEW,INVALID", "-j", "DROP")
	}
	return l
}

// ns creates namespace role (with its loopback up) and returns its name.
func (l *lab) ns(role string) string {
	name := l.prefix + role
	l.ip("netns", "add", name)
	l.made = append(l.made, name)
	l.ip("-n", name, "link", "set", "lo", "up")
	return name
}

// name is the namespace of a role.
func (l *lab) name(role string) string { return l.prefix + role }

func (l *lab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// exec runs a command in namespace ns.
func (l *lab) exec(ns, cmd string, args ...string) {
	l.t.Helper()
	full := append([]string{"netns", "exec", ns, cmd}, args...)
	if out, err := exec.Command("ip", full...).CombinedOutput(); err != nil {
		l.t.Fatalf("%s %s in %s: %v\n%s", cmd, strings.Join(args, " "), ns, err, out)
	}
}

// teardown removes every namespace the lab made (their veths go with
// them).
func (l *lab) teardown() {
	for _, ns := range l.made {
		exec.Command("ip", "netns", "del", ns).Run()
	}
}

// removeStaleNamespaces removes the namespaces named prefix<pid>-... of
// labs whose test process is gone (a run killed before its cleanup).
func removeStaleNamespaces(prefix string) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], prefix) {
			continue
		}
		parts := strings.SplitN(f[0], "-", 3)
		pid, err := strconv.Atoi(parts[1])
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue
		}
		exec.Command("ip", "netns", "del", f[0]).Run()
	}
}

// startMember starts peer.c on host (a key of labHosts) with its own
// data directory under dir.
func (l *lab) startMember(dir, name, host string, env ...string) *Peer {
	l.t.Helper()
	return startPeerAt(l.t, name, filepath.Join(dir, name), l.name(host), labHosts[host]+":0", env...)
}
