//go:build linux

package cabi

import (
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestGroupCalls: create, open, close, delete, status, properties, peer
// time and configuration export/import.
func TestGroupCalls(t *testing.T) {
	run(t, func(c *client) {
		l := c.lib
		c.startup()
		alice := c.identity("alice", "Alice")

		// PeerGroupCreate: the argument checks, then a group.
		props := cnew[PeerGroupProperties](c)
		var g Handle
		c.expect(l.PeerGroupCreate(nil, &g), eInvalidArg, "PeerGroupCreate(NULL, &g)")
		c.expect(l.PeerGroupCreate(props, nil), eInvalidArg, "PeerGroupCreate(props, NULL)")
		props.Size = 88 // a pre-Vista size
		props.CreatorPeerName = c.w(alice)
		c.expect(l.PeerGroupCreate(props, &g), eInvalidArg, "PeerGroupCreate with dwSize 88")
		props.Size = uint32(unsafe.Sizeof(*props))
		props.Classifier = c.w("chess")
		props.FriendlyName = c.w("Chess club")
		props.Comment = c.w("Tuesdays")
		props.Flags = 1 // PEER_MEMBER_DATA_OPTIONAL
		props.MemberDataLifetime = 86400
		props.PresenceLifetime = 600
		props.FriendlyName = c.u16([]uint16{'C', 0xDC00})
		c.expect(l.PeerGroupCreate(props, &g), eInvalidArg, "PeerGroupCreate: friendly name with a lone surrogate")
		c.check(g == 0, "a failed create returned a handle")
		props.FriendlyName = c.w("Chess club")
		c.ok(l.PeerGroupCreate(props, &g), "PeerGroupCreate")
		c.check(g != 0, "no handle")
		p := c.properties(g)
		name := p.name
		c.check(len(name) == 46 && strings.HasSuffix(name, ".chess") && isHex(name[:40]), "group peer name %q", name)
		want := props2{creator: alice, classifier: "chess", friendly: "Chess club", comment: "Tuesdays", flags: 1,
			schemes: authGMC, memberLifetime: 86400, presenceLifetime: 600}
		want.check(c, p)
		c.check(p.cloud != "", "no cloud name")

		// PeerGroupGetStatus: offline.
		var status uint32 = 99
		c.ok(l.PeerGroupGetStatus(g, &status), "PeerGroupGetStatus")
		c.check(status == 0, "status %#x of a new group, want 0", status)
		c.expect(l.PeerGroupGetStatus(g, nil), eInvalidArg, "PeerGroupGetStatus(g, NULL)")

		// PeerGroupSetProperties: new names read back; the peer name stays.
		var gp *PeerGroupProperties
		c.ok(l.PeerGroupGetProperties(g, &gp), "PeerGroupGetProperties")
		set := cnew[PeerGroupProperties](c)
		*set = *gp
		set.FriendlyName = c.w("Chess & Go club")
		set.Comment = c.w("Tuesdays <and> Thursdays")
		c.ok(l.PeerGroupSetProperties(g, set), "PeerGroupSetProperties")
		l.PeerFreeData(unsafe.Pointer(gp))
		want.friendly, want.comment = "Chess & Go club", "Tuesdays <and> Thursdays"
		want.check(c, c.properties(g))
		c.check(c.properties(g).name == name, "the group peer name changed")
		set.Size = 4
		c.expect(l.PeerGroupSetProperties(g, set), eInvalidArg, "PeerGroupSetProperties with dwSize 4")
		c.expect(l.PeerGroupSetProperties(g, nil), eInvalidArg, "PeerGroupSetProperties(g, NULL)")
		c.expect(l.PeerGroupGetProperties(g, nil), eInvalidArg, "PeerGroupGetProperties(g, NULL)")

		// A NULL creator is the default identity (PEER_GROUP_PROPERTIES page:
		// "If this structure member is NULL, the implementation uses the
		// identity obtained from PeerIdentityGetDefault").
		var def WStr
		c.ok(l.PeerIdentityGetDefault(&def), "PeerIdentityGetDefault")
		defName := c.take(def)
		props.CreatorPeerName = nil
		props.Classifier = c.w("defaultcreator")
		var gd Handle
		c.ok(l.PeerGroupCreate(props, &gd), "PeerGroupCreate with a NULL creator")
		c.check(c.properties(gd).creator == defName, "creator %q, want the default identity %q", c.properties(gd).creator, defName)
		c.ok(l.PeerGroupClose(gd), "PeerGroupClose")

		// Peer time: the creator's group is ready; the conversions round-trip.
		now := time.Now().Truncate(time.Microsecond)
		u := filetime(now)
		var pt, back FileTime
		c.ok(l.PeerGroupUniversalTimeToPeerTime(g, &u, &pt), "PeerGroupUniversalTimeToPeerTime")
		c.ok(l.PeerGroupPeerTimeToUniversalTime(g, &pt, &back), "PeerGroupPeerTimeToUniversalTime")
		c.check(back == u, "round trip %v -> %v -> %v", u.time(), pt.time(), back.time())
		c.check(pt.time().Sub(now).Abs() < time.Hour, "peer time %v far from %v", pt.time(), now)
		c.expect(l.PeerGroupUniversalTimeToPeerTime(g, nil, &pt), eInvalidArg, "PeerGroupUniversalTimeToPeerTime(g, NULL, &t)")
		c.expect(l.PeerGroupPeerTimeToUniversalTime(g, &pt, nil), eInvalidArg, "PeerGroupPeerTimeToUniversalTime(g, &t, NULL)")

		// PeerGroupOpen: more handles on the same group, each closing alone.
		var h1, h2 Handle
		c.ok(l.PeerGroupOpen(c.w(alice), c.w(name), nil, &h1), "PeerGroupOpen")
		c.ok(l.PeerGroupOpen(c.w(alice), c.w(name), nil, &h2), "PeerGroupOpen again")
		c.check(h1 != h2 && h1 != g && h1 != 0, "handles %x %x %x are not distinct", g, h1, h2)
		c.ok(l.PeerGroupClose(h1), "PeerGroupClose(h1)")
		want.check(c, c.properties(h2))
		c.ok(l.PeerGroupClose(h2), "PeerGroupClose(h2)")
		c.expect(l.PeerGroupClose(h2), eHandle, "PeerGroupClose twice")
		c.expect(l.PeerGroupGetStatus(h2, &status), eHandle, "PeerGroupGetStatus(closed handle)")
		want.check(c, c.properties(g))
		c.expect(l.PeerGroupOpen(c.w(alice), c.w(strings.Repeat("1", 40)+".nogroup"), nil, &h1), peerENotFound, "PeerGroupOpen(unknown group)")
		c.expect(l.PeerGroupOpen(c.w(alice), c.w(name), nil, nil), eInvalidArg, "PeerGroupOpen(..., NULL)")
		c.expect(l.PeerGroupOpen(c.w(alice), nil, nil, &h1), eInvalidArg, "PeerGroupOpen(alice, NULL, ...)")

		// Configuration export and import: here it already exists.
		var xml, id, grp WStr
		c.ok(l.PeerGroupExportConfig(g, c.w("config pw"), &xml), "PeerGroupExportConfig")
		config := c.take(xml)
		c.check(strings.HasPrefix(config, "<"), "config %.60q", config)
		c.expect(l.PeerGroupExportConfig(g, c.w("pw"), nil), eInvalidArg, "PeerGroupExportConfig(g, pw, NULL)")
		c.expect(l.PeerGroupImportConfig(c.w(config), c.w("config pw"), false, &id, &grp), peerEAlreadyExists, "PeerGroupImportConfig without overwrite")
		c.check(id == nil && grp == nil, "a failed import returned names")
		c.check(l.PeerGroupImportConfig(c.w(config), c.w("wrong"), true, &id, &grp) < 0, "PeerGroupImportConfig with a wrong password succeeded")
		c.expect(l.PeerGroupImportConfig(c.w(config), c.w("config pw"), false, nil, &grp), eInvalidArg, "PeerGroupImportConfig(..., NULL, &g)")

		// PeerGroupDelete of an open group succeeds, and "all handles
		// associated with that group immediately become invalid"
		// (PeerGroupDelete function, p2p.h, Remarks).
		c.ok(l.PeerGroupOpen(c.w(alice), c.w(name), nil, &h1), "PeerGroupOpen")
		c.ok(l.PeerGroupDelete(c.w(alice), c.w(name)), "PeerGroupDelete of an open group")
		for _, h := range []Handle{g, h1} {
			invalid := func(code HRESULT, what string) {
				c.Helper()
				c.should(code < 0, "%s on a handle to a deleted group = %v, want a failure", what, code)
			}
			var e, he Handle
			var rid GUID
			invalid(l.PeerGroupGetProperties(h, &gp), "PeerGroupGetProperties")
			invalid(l.PeerGroupGetStatus(h, &status), "PeerGroupGetStatus")
			invalid(l.PeerGroupSetProperties(h, set), "PeerGroupSetProperties")
			invalid(l.PeerGroupAddRecord(h, c.newRecord(GUID{Data1: 9}, "x", "", time.Now().Add(time.Hour)), &rid), "PeerGroupAddRecord")
			invalid(l.PeerGroupEnumRecords(h, nil, &e), "PeerGroupEnumRecords")
			invalid(l.PeerGroupEnumMembers(h, 0, nil, &e), "PeerGroupEnumMembers")
			invalid(l.PeerGroupExportConfig(h, c.w("pw"), &xml), "PeerGroupExportConfig")
			invalid(l.PeerGroupUniversalTimeToPeerTime(h, &u, &pt), "PeerGroupUniversalTimeToPeerTime")
			reg := cnew[PeerGroupEventRegistration](c)
			reg.EventType = evRecordChanged
			invalid(l.PeerGroupRegisterEvent(h, Handle(c.eventfd()), 1, reg, &he), "PeerGroupRegisterEvent")
		}
		c.expect(l.PeerGroupOpen(c.w(alice), c.w(name), nil, &h2), peerENotFound, "PeerGroupOpen after the delete")
		c.expect(l.PeerGroupDelete(c.w(alice), c.w(name)), peerENotFound, "PeerGroupDelete twice")
		t.Logf("PeerGroupClose of handles to a deleted group: %v, %v", l.PeerGroupClose(g), l.PeerGroupClose(h1))

		// The exported configuration brings it back; delete it closed.
		c.ok(l.PeerGroupImportConfig(c.w(config), c.w("config pw"), false, &id, &grp), "PeerGroupImportConfig of a deleted group")
		c.check(c.take(id) == alice && c.take(grp) == name, "imported config names")
		c.expect(l.PeerGroupImportConfig(c.w(config), c.w("config pw"), false, &id, &grp), peerEAlreadyExists, "PeerGroupImportConfig again")
		c.ok(l.PeerGroupImportConfig(c.w(config), c.w("config pw"), true, &id, &grp), "PeerGroupImportConfig with overwrite")
		c.check(c.take(id) == alice && c.take(grp) == name, "imported config names")
		c.ok(l.PeerGroupOpen(c.w(alice), c.w(name), nil, &h1), "PeerGroupOpen of the imported group")
		want.check(c, c.properties(h1))
		c.ok(l.PeerGroupClose(h1), "PeerGroupClose")
		c.ok(l.PeerGroupDelete(c.w(alice), c.w(name)), "PeerGroupDelete of a closed group")
		c.expect(l.PeerGroupOpen(c.w(alice), c.w(name), nil, &h1), peerENotFound, "PeerGroupOpen after the delete")

		// Every group call refuses a handle that is not an open HGROUP.
		var e Handle
		c.ok(l.PeerEnumIdentities(&e), "PeerEnumIdentities")
		defer l.PeerEndEnumeration(e)
		for _, bad := range []Handle{0, 0xdeadbeef, h1, e} {
			c.expect(l.PeerGroupClose(bad), eHandle, "PeerGroupClose(bad)")
			c.expect(l.PeerGroupGetStatus(bad, &status), eHandle, "PeerGroupGetStatus(bad)")
			c.expect(l.PeerGroupGetProperties(bad, &gp), eHandle, "PeerGroupGetProperties(bad)")
			c.expect(l.PeerGroupSetProperties(bad, set), eHandle, "PeerGroupSetProperties(bad)")
			c.expect(l.PeerGroupUniversalTimeToPeerTime(bad, &u, &pt), eHandle, "PeerGroupUniversalTimeToPeerTime(bad)")
			c.expect(l.PeerGroupPeerTimeToUniversalTime(bad, &pt, &u), eHandle, "PeerGroupPeerTimeToUniversalTime(bad)")
			c.expect(l.PeerGroupExportConfig(bad, c.w("pw"), &xml), eHandle, "PeerGroupExportConfig(bad)")
		}
	})
}

// props2 is what TestGroupCalls expects of a group's properties.
type props2 struct {
	creator, classifier, friendly, comment string
	flags, schemes                         uint32
	memberLifetime, presenceLifetime       uint32
}

func (w props2) check(c *client, p props) {
	c.Helper()
	c.check(p.creator == w.creator && p.classifier == w.classifier && p.friendly == w.friendly && p.comment == w.comment,
		"properties: creator %q classifier %q friendly %q comment %q; want %q %q %q %q",
		p.creator, p.classifier, p.friendly, p.comment, w.creator, w.classifier, w.friendly, w.comment)
	c.check(p.flags == w.flags && p.schemes == w.schemes && p.memberLifetime == w.memberLifetime &&
		p.presenceLifetime == w.presenceLifetime && !p.hasPassword,
		"properties: flags %#x schemes %#x lifetimes %d/%d password %v; want %#x %#x %d/%d",
		p.flags, p.schemes, p.memberLifetime, p.presenceLifetime, p.hasPassword,
		w.flags, w.schemes, w.memberLifetime, w.presenceLifetime)
}
