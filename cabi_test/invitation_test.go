//go:build linux

package cabi

import (
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestInvitationCalls: PeerGroupCreateInvitation, PeerGroupParseInvitation,
// PeerGroupJoin and PeerGroupIssueCredentials.
func TestInvitationCalls(t *testing.T) {
	run(t, func(c *client) {
		l := c.lib
		c.startup()
		alice := c.identity("alice", "Alice")
		bob := c.identity("bob", "Bob")
		g, name := c.group(alice, "chess", "Chess club")
		var p WStr
		c.ok(l.PeerIdentityGetXML(c.w(bob), &p), "PeerIdentityGetXML(bob)")
		bobXML := c.take(p)

		// An invitation for bob, member role, valid one day.
		before := time.Now()
		expiry := filetime(before.Add(24 * time.Hour))
		roles := c.guidPtr(roleMember)
		var inv WStr
		c.ok(l.PeerGroupCreateInvitation(g, c.w(bobXML), &expiry, 1, roles, &inv), "PeerGroupCreateInvitation")
		invitation := c.take(inv)
		c.check(strings.HasPrefix(invitation, "<"), "invitation %.60q", invitation)
		c.expect(l.PeerGroupCreateInvitation(g, c.w(bobXML), &expiry, 1, roles, nil), eInvalidArg, "PeerGroupCreateInvitation(..., NULL)")
		c.expect(l.PeerGroupCreateInvitation(g, nil, &expiry, 1, roles, &inv), eInvalidArg, "PeerGroupCreateInvitation(g, NULL identity, ...)")
		c.expect(l.PeerGroupCreateInvitation(g, c.w(bobXML), &expiry, 1, nil, &inv), eInvalidArg, "PeerGroupCreateInvitation: 1 role, NULL array")

		// PeerGroupParseInvitation: every field.
		var info *PeerInvitationInfo
		c.ok(l.PeerGroupParseInvitation(c.w(invitation), &info), "PeerGroupParseInvitation")
		c.check(info.Size == 136, "PEER_INVITATION_INFO.dwSize %d", info.Size)
		c.check(str(info.GroupPeerName) == name && str(info.GroupFriendlyName) == "Chess club",
			"group %q %q", str(info.GroupPeerName), str(info.GroupFriendlyName))
		c.check(str(info.IssuerPeerName) == alice && str(info.IssuerFriendlyName) == "Alice",
			"issuer %q %q", str(info.IssuerPeerName), str(info.IssuerFriendlyName))
		c.check(str(info.SubjectPeerName) == bob && str(info.SubjectFriendlyName) == "Bob",
			"subject %q %q", str(info.SubjectPeerName), str(info.SubjectFriendlyName))
		c.check(str(info.CloudName) != "", "no cloud name")
		c.check(info.ValidityEnd == expiry, "validity end %v, want %v", info.ValidityEnd.time(), expiry.time())
		c.check(info.ValidityStart.time().Before(time.Now().Add(time.Second)) && info.ValidityStart.time().After(before.Add(-time.Minute)),
			"validity start %v", info.ValidityStart.time())
		c.check(info.RoleCount == 1 && *info.Roles == roleMember, "roles: %d", info.RoleCount)
		for i, cl := range unsafe.Slice(info.Classifiers, info.ClassifierCount) {
			c.check(str(cl) != "", "classifier %d is empty", i)
		}
		key := info.SubjectPublicKey
		c.check(key != nil && cstr(key.Algorithm.ObjID) == "1.3.101.112" && key.PublicKey.Size == 32,
			"subject key is not an Ed25519 CERT_PUBLIC_KEY_INFO")
		c.check(info.AuthScheme == authGMC, "auth scheme %d", info.AuthScheme)
		bobKey := cnew[CertPublicKeyInfo](c) // a copy that outlives info
		bobKey.Algorithm.ObjID = c.cbytes([]byte("1.3.101.112\x00"))
		bobKey.PublicKey = CryptBitBlob{Size: 32, Data: c.cbytes(bytesAt(key.PublicKey.Data, 32))}
		l.PeerFreeData(unsafe.Pointer(info))

		c.expect(l.PeerGroupParseInvitation(c.w(invitation), nil), eInvalidArg, "PeerGroupParseInvitation(inv, NULL)")
		c.expect(l.PeerGroupParseInvitation(nil, &info), eInvalidArg, "PeerGroupParseInvitation(NULL, &info)")
		c.check(l.PeerGroupParseInvitation(c.w("<not an invitation/>"), &info) < 0, "a non-invitation parsed")
		tampered := strings.Replace(invitation, "Chess club", "Chess clux", 1)
		c.check(tampered != invitation, "the invitation does not carry the friendly name")
		c.check(l.PeerGroupParseInvitation(c.w(tampered), &info) < 0, "a tampered invitation parsed")
		c.check(info == nil, "a failed parse returned data")

		// PeerGroupJoin: an offline handle that is not ready until it connects.
		var gb Handle
		c.expect(l.PeerGroupJoin(c.w(alice), c.w(invitation), nil, &gb), peerEInvitationNotTr, "PeerGroupJoin as alice with bob's invitation")
		c.check(l.PeerGroupJoin(c.w(bob), c.w(tampered), nil, &gb) < 0, "PeerGroupJoin with a tampered invitation succeeded")
		c.expect(l.PeerGroupJoin(c.w(bob), c.w(invitation), nil, nil), eInvalidArg, "PeerGroupJoin(..., NULL)")
		c.ok(l.PeerGroupJoin(c.w(bob), c.w(invitation), nil, &gb), "PeerGroupJoin as bob")
		c.check(gb != 0, "no handle")
		var status uint32
		c.ok(l.PeerGroupGetStatus(gb, &status), "PeerGroupGetStatus(joined)")
		c.check(status == 0, "joined group status %#x", status)
		jp := c.properties(gb)
		c.check(jp.name == name && jp.friendly == "Chess club", "joined group properties %q %q", jp.name, jp.friendly)
		u := filetime(time.Now())
		var pt FileTime
		c.expect(l.PeerGroupUniversalTimeToPeerTime(gb, &u, &pt), peerEGroupNotReady, "peer time before the first connection")
		rec := c.newRecord(GUID{Data1: 1}, "x", "", time.Now().Add(time.Hour))
		var rid GUID
		c.expect(l.PeerGroupAddRecord(gb, rec, &rid), peerEGroupNotReady, "PeerGroupAddRecord before the first connection")
		var again Handle
		c.expect(l.PeerGroupJoin(c.w(bob), c.w(invitation), nil, &again), peerSAlreadyAMember, "PeerGroupJoin again")
		c.check(again != 0, "no handle with PEER_S_ALREADY_A_MEMBER")
		c.ok(l.PeerGroupClose(again), "PeerGroupClose")
		var e Handle
		c.ok(l.PeerEnumGroups(c.w(bob), &e), "PeerEnumGroups(bob)")
		c.check(c.namePairs(e)[name] == "Chess club", "bob's groups do not list the joined group")

		// An invitation that has expired still parses; joining with it fails.
		soon := filetime(time.Now().Add(time.Second))
		c.ok(l.PeerGroupCreateInvitation(g, c.w(bobXML), &soon, 0, nil, &inv), "PeerGroupCreateInvitation, 1 s")
		short := c.take(inv)
		time.Sleep(1500 * time.Millisecond)
		c.ok(l.PeerGroupParseInvitation(c.w(short), &info), "PeerGroupParseInvitation of an expired invitation")
		c.check(info.ValidityEnd == soon && info.RoleCount == 1 && *info.Roles == roleMember,
			"expired invitation: end %v, %d roles (default: member)", info.ValidityEnd.time(), info.RoleCount)
		l.PeerFreeData(unsafe.Pointer(info))

		// PeerGroupIssueCredentials for bob's key: returned, then stored.
		cred := cnew[PeerCredentialInfo](c)
		cred.Size = uint32(unsafe.Sizeof(*cred))
		cred.FriendlyName = c.w("Bobby")
		cred.PublicKey = bobKey
		cred.ValidityStart = filetime(time.Now())
		cred.ValidityEnd = filetime(time.Now().Add(7 * 24 * time.Hour))
		cred.RoleCount = 1
		cred.Roles = roles
		c.ok(l.PeerGroupIssueCredentials(g, c.w(bob), cred, 0, &inv), "PeerGroupIssueCredentials")
		issued := c.take(inv)
		c.ok(l.PeerGroupParseInvitation(c.w(issued), &info), "PeerGroupParseInvitation(issued)")
		c.check(str(info.SubjectPeerName) == bob && str(info.SubjectFriendlyName) == "Bobby" && info.ValidityEnd == cred.ValidityEnd,
			"issued credential for %q (%q) until %v", str(info.SubjectPeerName), str(info.SubjectFriendlyName), info.ValidityEnd.time())
		l.PeerFreeData(unsafe.Pointer(info))
		c.ok(l.PeerGroupIssueCredentials(g, c.w(bob), cred, storeCredentials, nil), "PeerGroupIssueCredentials(STORE)")
		carol := c.identity("carol", "Carol")
		c.expect(l.PeerGroupIssueCredentials(g, c.w(carol), nil, 0, &inv), peerENotFound, "PeerGroupIssueCredentials for a non-member without info")
		cred.Size = 8
		c.expect(l.PeerGroupIssueCredentials(g, c.w(bob), cred, 0, &inv), eInvalidArg, "PeerGroupIssueCredentials with dwSize 8")

		// Handles: a bad HGROUP is E_HANDLE.
		c.ok(l.PeerGroupClose(gb), "PeerGroupClose(gb)")
		for _, bad := range []Handle{0, 0xdeadbeef, gb} {
			c.expect(l.PeerGroupCreateInvitation(bad, c.w(bobXML), nil, 0, nil, &inv), eHandle, "PeerGroupCreateInvitation(bad)")
			c.expect(l.PeerGroupIssueCredentials(bad, c.w(bob), nil, 0, &inv), eHandle, "PeerGroupIssueCredentials(bad)")
		}
		c.ok(l.PeerGroupClose(g), "PeerGroupClose(g)")
	})
}

// TestPasswordCalls: PeerGroupCreatePasswordInvitation,
// PeerGroupPasswordJoin and PeerGroupResumePasswordAuthentication. A
// library built without password groups must say so with exactly
// E_NOTIMPL, after checking its handle; one built with them must do what
// the documentation says.
func TestPasswordCalls(t *testing.T) {
	run(t, func(c *client) {
		l := c.lib
		c.startup()
		alice := c.identity("alice", "Alice")
		bob := c.identity("bob", "Bob")
		g, _ := c.group(alice, "gmconly", "GMC only")
		fd := c.eventfd()
		regs := cnew[PeerGroupEventRegistration](c)
		regs.EventType = evStatusChanged
		var he Handle
		c.ok(l.PeerGroupRegisterEvent(g, Handle(fd), 1, regs, &he), "PeerGroupRegisterEvent")

		// Handles come first: a bad HGROUP is E_HANDLE whatever else is wrong.
		var inv WStr
		var gp Handle
		for _, bad := range []Handle{0, 0xdeadbeef, he} {
			c.expect(l.PeerGroupCreatePasswordInvitation(bad, &inv), eHandle, "PeerGroupCreatePasswordInvitation(bad)")
			c.expect(l.PeerGroupResumePasswordAuthentication(bad, he), eHandle, "PeerGroupResumePasswordAuthentication(bad, he)")
		}
		c.expect(l.PeerGroupResumePasswordAuthentication(g, 0xdeadbeef), peerEEventHandleNF, "PeerGroupResumePasswordAuthentication(g, bad HPEEREVENT)")
		c.expect(l.PeerGroupPasswordJoin(c.w(bob), nil, c.w("pw"), nil, &gp), eInvalidArg, "PeerGroupPasswordJoin(bob, NULL, ...)")
		c.expect(l.PeerGroupPasswordJoin(c.w(bob), c.w("<x/>"), c.w("pw"), nil, nil), eInvalidArg, "PeerGroupPasswordJoin(..., NULL)")

		// A password group.
		props := cnew[PeerGroupProperties](c)
		props.Size = uint32(unsafe.Sizeof(*props))
		props.CreatorPeerName = c.w(alice)
		props.Classifier = c.w("pwgroup")
		props.FriendlyName = c.w("Password group")
		props.AuthenticationSchemes = authPassword | authGMC
		props.GroupPassword = c.w("s3cret pässword")
		props.GroupPasswordRole = roleMember
		var pg Handle
		h := l.PeerGroupCreate(props, &pg)
		if h == eNotImpl {
			t.Logf("password groups are not built in: PeerGroupCreate of one is E_NOTIMPL")
			c.expect(l.PeerGroupCreatePasswordInvitation(g, &inv), eNotImpl, "PeerGroupCreatePasswordInvitation")
			c.expect(l.PeerGroupResumePasswordAuthentication(g, he), eNotImpl, "PeerGroupResumePasswordAuthentication")
			c.expect(l.PeerGroupPasswordJoin(c.w(bob), c.w("<x/>"), c.w("pw"), nil, &gp), eNotImpl, "PeerGroupPasswordJoin")
			return
		}
		c.ok(h, "PeerGroupCreate(password group)")
		p := c.properties(pg)
		c.check(p.schemes == authPassword|authGMC, "schemes %#x", p.schemes)

		// A group without password authentication has no password invitation.
		c.expect(l.PeerGroupCreatePasswordInvitation(g, &inv), peerEInvalidGroupProps, "PeerGroupCreatePasswordInvitation of a GMC-only group")
		c.expect(l.PeerGroupCreatePasswordInvitation(pg, nil), eInvalidArg, "PeerGroupCreatePasswordInvitation(pg, NULL)")
		c.ok(l.PeerGroupCreatePasswordInvitation(pg, &inv), "PeerGroupCreatePasswordInvitation")
		invitation := c.take(inv)
		var info *PeerInvitationInfo
		c.ok(l.PeerGroupParseInvitation(c.w(invitation), &info), "PeerGroupParseInvitation(password invitation)")
		c.check(info.AuthScheme == authPassword && str(info.GroupPeerName) == p.name && str(info.IssuerPeerName) == alice,
			"password invitation: scheme %d group %q issuer %q", info.AuthScheme, str(info.GroupPeerName), str(info.IssuerPeerName))
		c.check(info.RoleCount == 1 && *info.Roles == roleMember, "password invitation roles")
		l.PeerFreeData(unsafe.Pointer(info))

		// PeerGroupJoin refuses a password invitation; PeerGroupPasswordJoin
		// takes it.
		c.check(l.PeerGroupJoin(c.w(bob), c.w(invitation), nil, &gp) < 0, "PeerGroupJoin with a password invitation succeeded")
		c.expect(l.PeerGroupPasswordJoin(c.w(bob), c.w(invitation), nil, nil, &gp), eInvalidArg, "PeerGroupPasswordJoin without a password")
		c.ok(l.PeerGroupPasswordJoin(c.w(bob), c.w(invitation), c.w("s3cret pässword"), nil, &gp), "PeerGroupPasswordJoin")
		c.check(gp != 0, "no handle")
		c.check(c.properties(gp).name == p.name, "joined the wrong group")

		// Nothing failed, so there is no authentication to resume.
		c.check(l.PeerGroupResumePasswordAuthentication(gp, he) < 0, "PeerGroupResumePasswordAuthentication with nothing paused succeeded")
		c.ok(l.PeerGroupClose(gp), "PeerGroupClose(gp)")
		c.ok(l.PeerGroupClose(pg), "PeerGroupClose(pg)")
		c.ok(l.PeerGroupUnregisterEvent(he), "PeerGroupUnregisterEvent")
		c.ok(l.PeerGroupClose(g), "PeerGroupClose(g)")
	})
}
