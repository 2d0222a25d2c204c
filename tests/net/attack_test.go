package net_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runAttacker runs the attacker program and returns its output lines.
func runAttacker(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command(attackerBinary(t), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	done := make(chan struct{})
	var out []byte
	var err error
	go func() {
		out, err = cmd.Output()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("attacker %v did not finish", args)
	}
	t.Logf("attacker %s:\n%s%s", args[len(args)-1], out, stderr.String())
	if err != nil {
		t.Fatalf("attacker %v: %v\n%s", args, err, stderr.String())
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// attempts groups the attacker's output by attempt label.
type attemptResult struct {
	result string // "refused 0x... reason", "welcome ...", "error ..."
	after  string // "frames=0 records=0 streams=0"
}

func parseAttempts(t *testing.T, lines []string) map[string]attemptResult {
	t.Helper()
	out := make(map[string]attemptResult)
	label := ""
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "attempt "):
			label = strings.TrimPrefix(l, "attempt ")
		case strings.HasPrefix(l, "result "):
			r := out[label]
			r.result = strings.TrimPrefix(l, "result ")
			out[label] = r
		case strings.HasPrefix(l, "after "):
			r := out[label]
			r.after = strings.TrimPrefix(l, "after ")
			out[label] = r
		}
	}
	return out
}

// memberAddress is the first address peer p announces (host:port).
func memberAddress(t *testing.T, p *Peer) string {
	t.Helper()
	addrs := strings.Fields(p.OK("addr"))
	if len(addrs) == 0 {
		t.Fatalf("%s announces no address", p.Name)
	}
	return addrs[0]
}

// attackerIdentity makes the attacker's identity in home and returns its
// peer name and identity XML (escaped for peer.c).
func attackerIdentity(t *testing.T, home string) (name, xml string) {
	t.Helper()
	for _, l := range runAttacker(t, "-home", home, "-mode", "identity") {
		if f := strings.SplitN(l, " ", 3); len(f) == 3 && f[0] == "identity" {
			return f[1], f[2]
		}
	}
	t.Fatal("attacker printed no identity")
	return "", ""
}

// writeInvitation stores an invitation from peer.c (escaped) as XML.
func writeInvitation(t *testing.T, escaped string) string {
	t.Helper()
	xml := strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r").Replace(escaped)
	path := filepath.Join(t.TempDir(), "invitation.xml")
	if err := os.WriteFile(path, []byte(xml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNonMemberRefused: a peer with a forged credential (a root signed
// by a key that is not the group's, or the root of a group of its own)
// or with a genuine credential of ANOTHER group is refused at the
// handshake: a Refuse frame, no Welcome, no records, no streams; it
// never appears among the members, and the group keeps working.
func TestNonMemberRefused(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "refuse strangers", 2)
	target := g.Members[1]
	addr := memberAddress(t, target)
	g.Creator().OK("add 10 100")
	converge(t, g.Members, 10, 30*time.Second)

	home := t.TempDir()
	attacker, xml := attackerIdentity(t, home)

	// A second group, whose creator invites the attacker: a genuine
	// credential, but for the wrong group.
	other := startPeers(t, t.TempDir(), "other-creator")[0]
	other.OK("create another group")
	other.OK("connect")
	foreignInv := writeInvitation(t, other.OK("invite %s", xml))

	results := parseAttempts(t, runAttacker(t, "-home", home, "-mode", "forge", "-group", g.Name, "-addr", addr))
	for k, v := range parseAttempts(t, runAttacker(t, "-home", home, "-mode", "foreign",
		"-invitation", foreignInv, "-group", g.Name, "-addr", addr)) {
		results[k] = v
	}
	want := map[string]uint32{
		"forged-root":        hrNotAuthorized, // chain does not verify against the group key
		"own-group-root":     hrNotAuthorized,
		"foreign-credential": hrNotAuthorized,
		"foreign-group-name": hrInvalidGroup, // names a group this member is not in
	}
	for label, hr := range want {
		r, ok := results[label]
		if !ok {
			t.Errorf("attempt %s did not run", label)
			continue
		}
		if !strings.HasPrefix(r.result, "refused ") {
			t.Errorf("attempt %s: %s, want a refusal", label, r.result)
			continue
		}
		got, _ := strconv.ParseUint(strings.Fields(r.result)[1], 0, 32)
		if uint32(got) != hr {
			t.Errorf("attempt %s refused with 0x%08x, want 0x%08x", label, got, hr)
		}
		if r.after != "frames=0 records=0 streams=0" {
			t.Errorf("attempt %s: after the refusal the member sent %s, want nothing", label, r.after)
		}
	}

	for _, p := range g.Members {
		if m := p.OK("members"); strings.Contains(m, attacker) {
			t.Errorf("%s lists the attacker %s as a member: %s", p.Name, attacker, m)
		}
	}
	// The group still works.
	waitAll(t, g.Members, time.Minute, "add 10 100")
	converge(t, g.Members, 40, 30*time.Second)
}

// TestTamperedRecordRejected: a genuine member (the attacker, with a real
// invitation) sends its member record, one valid record, one record
// changed after signing and an update of the valid record changed after
// signing. Every honest member stores the valid record and never the
// tampered ones; honest traffic continues.
func TestTamperedRecordRejected(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "tamper", 2)
	waitAll(t, g.Members, time.Minute, "add 20 100")
	converge(t, g.Members, 60, 30*time.Second)

	home := t.TempDir()
	attacker, xml := attackerIdentity(t, home)
	inv := writeInvitation(t, g.Creator().OK("invite %s", xml))
	target := g.Members[2]
	lines := runAttacker(t, "-home", home, "-mode", "tamper", "-invitation", inv, "-addr", memberAddress(t, target))

	ids := map[string]string{}
	acked := false
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "sent "); ok {
			for _, f := range strings.Fields(rest) {
				if k, v, ok := strings.Cut(f, "="); ok {
					ids[k] = v
				}
			}
		}
		acked = acked || l == "ack"
	}
	if !acked || ids["valid"] == "" || ids["tampered"] == "" {
		t.Fatalf("attacker did not complete: %q", lines)
	}

	// The valid record reaches everyone, unchanged, at version 1.
	converge(t, g.Members, 61, 30*time.Second)
	for _, p := range g.Members {
		got := strings.Fields(p.OK("get %s", ids["valid"]))
		if len(got) != 4 || got[0] != attacker || got[1] != "1" || got[3] != ids["valid-sha256"] {
			t.Errorf("%s holds the valid record as %q, want creator %s, version 1, data sha256 %s",
				p.Name, got, attacker, ids["valid-sha256"])
		}
		p.Fails(hrRecordNotFound, "get %s", ids["tampered"])
		if m := p.OK("members"); !strings.Contains(m, attacker) {
			t.Errorf("%s does not list the genuine (if hostile) member %s: %s", p.Name, attacker, m)
		}
	}
	// Honest traffic continues.
	waitAll(t, g.Members, time.Minute, "add 20 100")
	converge(t, g.Members, 121, 30*time.Second)
}
