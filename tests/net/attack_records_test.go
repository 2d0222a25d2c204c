package net_test

import (
	"strings"
	"testing"
	"time"
)

// TestAttackRecords: a genuine member (the attacker, with a real
// invitation and its member record stored) sends records no honest
// member would: records of non-members, records changed after signing,
// old versions replayed, and changes to other members' records and to
// the group that its member role does not allow. The member it sends
// them to stores none of them and forwards none; every member keeps its
// database; honest traffic continues.
func TestAttackRecords(t *testing.T) {
	t.Parallel()
	g := newGroup(t, "attack records", 2)
	creator, target := g.Creator(), g.Members[1]
	addr := memberAddress(t, target)

	// The victim's records: one to update, one to delete, one left alone.
	updated := creator.OK("add-text victim: version 1, to be updated")
	deleted := creator.OK("add-text victim: version 1, to be deleted")
	kept := creator.OK("add-text victim: version 1, kept")
	waitAll(t, g.Members, time.Minute, "wait-id %s 45", kept)

	home := t.TempDir()
	attacker, xml := attackerIdentity(t, home)
	inv := writeInvitation(t, creator.OK("invite %s", xml))
	// The attacker joins as an honest member would: its member record.
	runAttacker(t, "-home", home, "-mode", "enroll", "-invitation", inv, "-addr", addr)
	for _, p := range g.Members {
		waitMember(t, p, attacker)
	}
	// It keeps a copy of everything, old versions included.
	captured := capturePath(t)
	runAttacker(t, "-home", home, "-mode", "capture", "-invitation", inv, "-addr", addr, "-out", captured)
	creator.OK("update-text %s victim: version 2", updated)
	creator.OK("delete-id %s", deleted)
	waitAll(t, g.Members, time.Minute, "wait-id %s 45 2", updated)
	guard := newGuard(t, g.Members, target)
	for _, p := range g.Members {
		p.Fails(hrRecordNotFound, "get %s", deleted)
	}

	t.Run("6-non-member-signer", func(t *testing.T) {
		lines := runAttacker(t, "-home", home, "-mode", "outsider", "-invitation", inv, "-addr", addr,
			"-victim", creator.Identity)
		if !hasLine(lines, "ack") {
			t.Fatalf("the member did not acknowledge the records: %q", lines)
		}
		sent := fieldsOf(t, lines, "sent")
		for _, p := range g.Members {
			for _, k := range []string{"unknown-signer", "forged-member", "foreign-member", "impersonated"} {
				p.Fails(hrRecordNotFound, "get %s", sent[k])
			}
			m := p.OK("members")
			for _, o := range strings.Split(sent["outsiders"], ",") {
				if strings.Contains(m, o) {
					t.Errorf("%s lists the outsider %s as a member: %s", p.Name, o, m)
				}
			}
		}
		guard.check(t)
		logAttack(t, "6 records of non-members relayed by a member (no member record, forged chain, other group's chain, victim's name)",
			"none stored or forwarded; state unchanged; traffic flows", "n/a (rejected records are dropped silently)")
	})

	t.Run("7-changed-after-signing", func(t *testing.T) {
		lines := runAttacker(t, "-home", home, "-mode", "tamper", "-invitation", inv, "-addr", addr)
		if !hasLine(lines, "ack") {
			t.Fatalf("the member did not acknowledge the records: %q", lines)
		}
		sent := fieldsOf(t, lines, "sent")
		// The valid record is a member's right: everyone gets it,
		// unchanged, at version 1.
		waitAll(t, g.Members, time.Minute, "wait-id %s 45", sent["valid"])
		for _, p := range g.Members {
			got := strings.Fields(p.OK("get %s", sent["valid"]))
			if len(got) != 4 || got[0] != attacker || got[1] != "1" || got[3] != sent["valid-sha256"] {
				t.Errorf("%s holds the valid record as %q, want creator %s, version 1, data sha256 %s",
					p.Name, got, attacker, sent["valid-sha256"])
			}
			p.Fails(hrRecordNotFound, "get %s", sent["tampered"])
			p.Fails(hrRecordNotFound, "get %s", sent["extended"])
		}
		guard.check(t, sent["valid"])
		guard.before = settle(t, g.Members) // the valid record is part of the group now
		logAttack(t, "7 records changed after signing (data, an update's data, expiry)",
			"rejected, the valid record beside them stored; state unchanged; traffic flows", "n/a (dropped silently)")
	})

	t.Run("8-replayed-old-version", func(t *testing.T) {
		lines := runAttacker(t, "-home", home, "-mode", "replay", "-invitation", inv, "-addr", addr,
			"-records", captured, "-ids", updated+","+deleted)
		if !hasLine(lines, "ack") {
			t.Fatalf("the member did not acknowledge the records: %q", lines)
		}
		if r := fieldsOf(t, lines, "replayed"); r[updated] != "v1" || r[deleted] != "v1" {
			t.Fatalf("replayed %v, want version 1 of both", r)
		}
		for _, p := range g.Members {
			if got := strings.Fields(p.OK("get %s", updated)); len(got) < 2 || got[1] != "2" {
				t.Errorf("%s holds %s as %q after the replay, want version 2", p.Name, updated, got)
			}
			p.Fails(hrRecordNotFound, "get %s", deleted)
		}
		guard.check(t)
		logAttack(t, "8 old versions replayed (v1 of a record now at v2; v1 of a deleted record)",
			"the stored versions win: nothing changes anywhere; traffic flows", "n/a (lose the conflict rule)")
	})

	t.Run("9-change-without-role", func(t *testing.T) {
		lines := runAttacker(t, "-home", home, "-mode", "usurp", "-invitation", inv, "-addr", addr,
			"-records", captured, "-victim", creator.Identity, "-ids", updated+","+kept)
		if !hasLine(lines, "ack") {
			t.Fatalf("the member did not acknowledge the records: %q", lines)
		}
		for _, p := range g.Members {
			if got := strings.Fields(p.OK("get %s", updated)); len(got) < 2 || got[0] != creator.Identity || got[1] != "2" {
				t.Errorf("%s holds %s as %q, want the victim's version 2", p.Name, updated, got)
			}
			if got := strings.Fields(p.OK("get %s", kept)); len(got) < 2 || got[0] != creator.Identity || got[1] != "1" {
				t.Errorf("%s holds %s as %q, want the victim's version 1", p.Name, kept, got)
			}
			if name := p.OK("name"); name != "attack records" {
				t.Errorf("%s: the group is called %q now", p.Name, name)
			}
		}
		guard.check(t)
		logAttack(t, "9 member-role changes to others' data (update, delete, take over as creator, rename group, rewrite presence and member record)",
			"all rejected; state unchanged; traffic flows", "n/a (PEER_E_NOT_AUTHORIZED inside the member, dropped silently)")
	})

	t.Run("10-first-seen-id-hijack", func(t *testing.T) {
		// A member that sees a new record publishes its own under the
		// same id (at version 1 and at a higher version), and squats an
		// id bound to the victim before the victim uses it. Ids are bound
		// to their creator, so every member refuses all three whatever
		// it received first, and all agree on the victim's record.
		target := creator.OK("add-text victim: a new record")
		waitAll(t, g.Members, time.Minute, "wait-id %s 45", target)
		lines := runAttacker(t, "-home", home, "-mode", "hijack", "-invitation", inv, "-addr", addr,
			"-victim", creator.Identity, "-ids", target)
		if !hasLine(lines, "ack") {
			t.Fatalf("the member did not acknowledge the records: %q", lines)
		}
		fresh := fieldsOf(t, lines, "sent")["fresh"]
		for _, p := range g.Members {
			if got := strings.Fields(p.OK("get %s", target)); len(got) < 2 || got[0] != creator.Identity || got[1] != "1" {
				t.Errorf("%s holds %s as %q, want the victim's version 1", p.Name, target, got)
			}
			p.Fails(hrRecordNotFound, "get %s", fresh)
		}
		guard.check(t, target)
		guard.before = settle(t, g.Members)
		logAttack(t, "10 first-seen id hijack (own record under the victim's new id, at v1 and v100; a squatted id bound to the victim)",
			"all refused by every member (ids are bound to their creator); all agree on the victim's record", "n/a (dropped silently)")
	})
}

// waitMember polls until p lists member among the group's members.
func waitMember(t *testing.T, p *Peer, member string) { waitMembership(t, p, member, true) }

// waitNotMember polls until p no longer lists member.
func waitNotMember(t *testing.T, p *Peer, member string) { waitMembership(t, p, member, false) }

func waitMembership(t *testing.T, p *Peer, member string, want bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		m, err := p.Do(time.Minute, "members")
		if err != nil {
			t.Fatalf("%s: members: %v", p.Name, err)
		}
		if strings.Contains(m, member) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: member %s listed=%v, want %v: %s", p.Name, member, !want, want, m)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
