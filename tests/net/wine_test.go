package net_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"p2p/tests/internal/wine"
)

// Members across the real Windows boundary: peer.c built with mingw-w64
// against the Wine test DLL runs under Wine 8 (`make wine` prepares the
// DLL and the prefix) beside peer.c built for Linux, over loopback.

// wineTools is peer.exe with the Wine test p2p.dll beside it, built once.
var wineTools struct {
	once sync.Once
	exe  string
	err  error
}

func winePeerBinary(t *testing.T) string {
	t.Helper()
	dll := wine.DLL(t)
	wineTools.once.Do(func() {
		dir := filepath.Join(tools.dir, "wine")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			wineTools.err = err
			return
		}
		b, err := os.ReadFile(dll)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "p2p.dll"), b, 0o755)
		}
		if err != nil {
			wineTools.err = err
			return
		}
		exe := filepath.Join(dir, "peer.exe")
		cmd := exec.Command(wine.CC, "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-I", repoRoot(t),
			filepath.Join("peer", "peer.c"), "-o", exe, filepath.Join(dir, "p2p.dll"), "-Wl,-Bstatic", "-lpthread")
		if b, err := cmd.CombinedOutput(); err != nil {
			wineTools.err = fmt.Errorf("compile peer.c for Windows: %v\n%s", err, b)
			return
		}
		wineTools.exe = exe
	})
	if wineTools.err != nil {
		t.Fatal(wineTools.err)
	}
	return wineTools.exe
}

// StartWinePeer starts peer.exe under Wine with data directory home.
func StartWinePeer(t *testing.T, name, home string) *Peer {
	t.Helper()
	exe := winePeerBinary(t)
	cmd := exec.Command(filepath.Join(repoRoot(t), "tests", "windows", "wine-exec"), exe)
	cmd.Dir = filepath.Dir(exe)
	cmd.Env = append(filteredEnv(), "WINEPREFIX="+wine.Prefix(t), "P2P_HOME="+wine.Path(home),
		"P2P_LISTEN=127.0.0.1:0", "P2P_DISCOVERY=0", "P2P_LOG=info", "P2P_DHT=0")
	return startCommand(t, name, home, cmd)
}

// startKind starts a peer on Linux or under Wine.
func startKind(t *testing.T, onWine bool, name, home string) *Peer {
	t.Helper()
	if onWine {
		p := StartWinePeer(t, name, home)
		p.Identity = p.OKWithin(2*time.Minute, "startup %s", name)
		return p
	}
	p := StartPeer(t, name, home)
	p.Identity = p.OK("startup %s", name)
	return p
}

// TestWineOnlineFlows runs the online life of two members where one or
// both are Windows programs under Wine: create, invite, join, connect, a
// record each way seen through the event HANDLE (a Win32 event under
// Wine), a direct connection with 200 checked messages each way, close.
func TestWineOnlineFlows(t *testing.T) {
	for _, c := range []struct {
		name                  string
		creatorWine, joinWine bool
	}{
		{"wine creates, linux joins", true, false},
		{"linux creates, wine joins", false, true},
		{"wine creates, wine joins", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a := startKind(t, c.creatorWine, "alice", filepath.Join(dir, "alice"))
			b := startKind(t, c.joinWine, "bob", filepath.Join(dir, "bob"))
			a.OK("create Windows flow")
			a.OK("connect")
			invite(t, a, b)
			b.OK("connect")
			b.OKWithin(2*time.Minute, "wait-ready 90")

			a.OK("add-text hello from alice")
			got := strings.SplitN(b.OKWithin(time.Minute, "wait-record 45"), " ", 3)
			if len(got) != 3 || got[1] != a.Identity || got[2] != "hello from alice" {
				t.Fatalf("bob got %q, want alice's record", got)
			}
			b.OK("add-text hello from bob")
			got = strings.SplitN(a.OKWithin(time.Minute, "wait-record 45"), " ", 3)
			if len(got) != 3 || got[1] != b.Identity || got[2] != "hello from bob" {
				t.Fatalf("alice got %q, want bob's record", got)
			}

			ab, ba := openDirect(t, a, b)
			const n = 200
			a.OK("send-bg %d %d %d skew 1", ab, n, 64<<10)
			b.OK("send-bg %d %d %d skew 2", ba, n, 64<<10)
			for i, r := range waitAll(t, []*Peer{a, b}, 3*time.Minute, "recv %d 150", n) {
				if got := field(t, r, "got"); got != n {
					t.Fatalf("%s received %d messages, want %d", []string{"alice", "bob"}[i], got, n)
				}
			}
			waitAll(t, []*Peer{a, b}, time.Minute, "send-wait 30")
			a.OK("direct-close %d", ab)
			b.OK("wait-direct %d disconnected 30", ba)
			a.OK("close")
			b.OK("close")
		})
	}
}

// TestWineSharedGroupTakeover: two Windows applications of one user
// under Wine share a group over the host's named pipe, with a Linux
// member online; the hosting application is killed and the other takes
// the group over: it goes back online and records still flow both ways.
func TestWineSharedGroupTakeover(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	home := filepath.Join(dir, "user")
	host := startKind(t, true, "host", home)
	name := host.OK("create Shared under Wine")
	host.OK("connect")
	friend := startKind(t, false, "friend", filepath.Join(dir, "friend"))
	invite(t, host, friend)
	friend.OK("connect")
	friend.OKWithin(2*time.Minute, "wait-ready 90")

	app := StartWinePeer(t, "app", home)
	if id := app.OKWithin(2*time.Minute, "startup app"); id != host.Identity {
		t.Fatalf("the second application has identity %s, want the user's %s", id, host.Identity)
	}
	app.OK("open %s", name) // attaches to the host over the named pipe
	friend.OK("add-text before the kill")
	for _, p := range []*Peer{host, app} {
		got := strings.SplitN(p.OKWithin(time.Minute, "wait-record 45"), " ", 3)
		if len(got) != 3 || got[2] != "before the kill" {
			t.Fatalf("%s got %q, want the friend's record", p.Name, got)
		}
	}

	host.Kill()
	start := time.Now()
	friend.OK("add-text after the kill")
	got := strings.SplitN(app.OKWithin(2*time.Minute, "wait-record 60"), " ", 3)
	if len(got) != 3 || got[2] != "after the kill" {
		t.Fatalf("after the takeover the application got %q", got)
	}
	// wait-record also looks once more when it gives up waiting for the
	// event HANDLE: a record found that late was queued unsignalled.
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("the record's event came %v after the kill: its HANDLE was not signalled", d)
	}
	t.Logf("the friend's record reached the new host %v after the kill", time.Since(start).Round(time.Millisecond))
	app.OK("add-text from the new host")
	got = strings.SplitN(friend.OKWithin(2*time.Minute, "wait-record 90"), " ", 3)
	if len(got) != 3 || got[2] != "from the new host" {
		t.Fatalf("the friend got %q from the new host", got)
	}
}
