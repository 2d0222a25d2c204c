package service_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/mesh"
	"p2p/core/service"
)

// These tests run several processes of one user on one group: the test
// binary re-executes itself as a child that opens the group and obeys
// commands on stdin, one answer line per command.

var shareType = uuid.MustParse("9c0e7b5e-5b8f-4d43-8f59-2f3c3e1a0b11")

func TestMain(m *testing.M) {
	if os.Getenv("SHARE_CHILD") != "" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

func child() int {
	svc, err := service.New(os.Getenv("SHARE_HOME"))
	if err != nil {
		fmt.Println("err", err)
		return 1
	}
	off := false
	svc.SetMeshOptions(mesh.Options{Listen: "127.0.0.1:0", Discovery: &off})
	g, err := svc.OpenGroup("", os.Getenv("SHARE_GROUP"))
	if err != nil {
		fmt.Println("err", err)
		return 1
	}
	reg, _ := g.Subscribe([]event.Filter{{Type: event.RecordChanged}, {Type: event.StatusChanged}}, nil)
	fmt.Println("ok", g.Hosted())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch f[0] {
		case "add":
			id, err := g.AddRecord(group.NewRecord{Type: shareType, Expires: filetime.Now().Add(time.Hour), Data: []byte("x")})
			fmt.Println("ok", id, err)
		case "count":
			ids, err := g.RecordIDs(&shareType)
			fmt.Println("ok", len(ids), err)
		case "status":
			fmt.Println("ok", g.Status(), g.Hosted())
		case "connect":
			_, err := g.Connect(nil)
			fmt.Println("ok", err)
		case "event": // wait for an event of a type, up to 10 s
			deadline := time.Now().Add(10 * time.Second)
			got := false
			for !got && time.Now().Before(deadline) {
				if e, ok := reg.Next(); ok && fmt.Sprint(uint32(e.Type)) == f[1] {
					got = true
				} else if !ok {
					time.Sleep(10 * time.Millisecond)
				}
			}
			fmt.Println("ok", got)
		case "close":
			g.Close()
			fmt.Println("ok")
		case "exit":
			svc.Close()
			fmt.Println("ok")
			return 0
		}
	}
	return 0
}

type proc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func start(t *testing.T, home, groupName string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SHARE_CHILD=1", "SHARE_HOME="+home, "SHARE_GROUP="+groupName, "P2P_DISCOVERY=0")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p.expect(t, "ok")
	return p
}

func (p *proc) expect(t *testing.T, prefix string) string {
	t.Helper()
	if !p.out.Scan() {
		t.Fatalf("child ended: %v", p.out.Err())
	}
	line := p.out.Text()
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("child said %q, want %q...", line, prefix)
	}
	return line
}

func (p *proc) do(t *testing.T, cmd string) string {
	t.Helper()
	fmt.Fprintln(p.in, cmd)
	return p.expect(t, "ok")
}

// newShared creates a group in home with the test process as its first
// host, then hands it over to children.
func sharedGroup(t *testing.T) (home, name string) {
	home = t.TempDir()
	svc, err := service.New(home)
	if err != nil {
		t.Fatal(err)
	}
	g, err := svc.CreateGroup(group.Properties{FriendlyName: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	name = g.GroupPeerName()
	g.Close()
	svc.Close()
	return home, name
}

func TestApplicationsShareOneGroup(t *testing.T) {
	home, name := sharedGroup(t)
	a := start(t, home, name)
	b := start(t, home, name)
	if !strings.Contains(a.do(t, "status"), "true") || strings.Contains(b.do(t, "status"), "true") {
		t.Fatal("the first process must host, the second attach")
	}
	// 1. A record added by one application is visible to the other, with
	// an event.
	a.do(t, "add")
	if got := b.do(t, "count"); !strings.HasPrefix(got, "ok 1 ") {
		t.Fatalf("attached process sees %q", got)
	}
	if got := b.do(t, "event 3"); got != "ok true" {
		t.Fatal("no RECORD_CHANGED in the attached process")
	}
	b.do(t, "add")
	if got := a.do(t, "event 3"); got != "ok true" {
		t.Fatal("no RECORD_CHANGED in the host for the attached process's record")
	}
	// 2. Offline until one connects; then both are online and told so.
	if !strings.HasPrefix(b.do(t, "status"), "ok 0 ") {
		t.Fatal("group online before any Connect")
	}
	b.do(t, "connect")
	if got := a.do(t, "event 1"); got != "ok true" {
		t.Fatal("host got no STATUS_CHANGED when the attached process connected")
	}
	if got := b.do(t, "event 1"); got != "ok true" {
		t.Fatal("attached process got no STATUS_CHANGED")
	}
	// 5. The host dies; the other takes over within 5 s, online again,
	// with every acknowledged record.
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := b.do(t, "status")
		if st == "ok 1 true" || st == "ok 3 true" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no takeover within 5 s: %q", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := b.do(t, "count"); !strings.HasPrefix(got, "ok 2 ") {
		t.Fatalf("after takeover: %q", got)
	}
	// A new application attaches to the new host and is online at once.
	c := start(t, home, name)
	if got := c.do(t, "status"); got != "ok 1 false" && got != "ok 3 false" {
		t.Fatalf("late application: %q", got)
	}
	c.do(t, "exit")
	b.do(t, "exit")
}
