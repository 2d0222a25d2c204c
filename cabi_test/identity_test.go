//go:build linux

package cabi

import (
	"crypto/ed25519"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// TestStartupCalls: PeerGroupStartup and PeerGroupShutdown, the version
// negotiation and the reference count.
func TestStartupCalls(t *testing.T) {
	run(t, func(c *client) {
		l := c.lib
		var e Handle
		var v PeerVersionData
		c.expect(l.PeerEnumIdentities(&e), peerENotInitialized, "PeerEnumIdentities before startup")
		c.expect(l.PeerGroupShutdown(), peerENotInitialized, "PeerGroupShutdown before startup")
		c.expect(l.PeerGroupHandlePowerEvent(pbtResumeAutomatic), peerENotInitialized, "PeerGroupHandlePowerEvent before startup")
		var cert *PeerData
		c.expect(l.PeerIdentityGetCert(nil, &cert), peerENotInitialized, "PeerIdentityGetCert before startup")
		c.expect(l.PeerGroupStartup(version11, nil), eInvalidArg, "PeerGroupStartup(1.1, NULL)")
		c.expect(l.PeerGroupStartup(0x0100, &v), peerEUnsupportedVer, "PeerGroupStartup(MAKEWORD(0, 1))")

		v = PeerVersionData{0xffff, 0xffff}
		c.ok(l.PeerGroupStartup(version11, &v), "PeerGroupStartup(1.1)")
		c.check(v.Version == version11 && v.HighestVersion == version11, "version %#x highest %#x", v.Version, v.HighestVersion)
		c.ok(l.PeerGroupStartup(0x0001, &v), "PeerGroupStartup(1.0)")
		c.check(v.Version == 0x0001 && v.HighestVersion == version11, "1.0: version %#x highest %#x", v.Version, v.HighestVersion)
		c.ok(l.PeerGroupStartup(0x0703, &v), "PeerGroupStartup(3.7)")
		c.check(v.Version == version11, "3.7: version %#x, want the highest, 1.1", v.Version)

		// Every power event is accepted; a resume with no group online
		// has nothing to redial (TestPowerEventRedials online).
		for _, ev := range []uint32{pbtSuspend, pbtResumeSuspend, pbtResumeAutomatic, 0xdead} {
			c.ok(l.PeerGroupHandlePowerEvent(ev), fmt.Sprintf("PeerGroupHandlePowerEvent(%#x)", ev))
		}

		c.ok(l.PeerGroupShutdown(), "PeerGroupShutdown 1 of 3")
		c.ok(l.PeerGroupShutdown(), "PeerGroupShutdown 2 of 3")
		c.ok(l.PeerEnumIdentities(&e), "PeerEnumIdentities with one startup left")
		c.ok(l.PeerEndEnumeration(e), "PeerEndEnumeration")
		c.ok(l.PeerGroupShutdown(), "PeerGroupShutdown 3 of 3")
		c.expect(l.PeerEnumIdentities(&e), peerENotInitialized, "PeerEnumIdentities after the last shutdown")
		c.expect(l.PeerGroupShutdown(), peerENotInitialized, "a fourth PeerGroupShutdown")

		// The last shutdown closes every handle of the process.
		c.ok(l.PeerGroupStartup(version11, &v), "PeerGroupStartup again")
		c.ok(l.PeerEnumIdentities(&e), "PeerEnumIdentities")
		c.ok(l.PeerGroupShutdown(), "PeerGroupShutdown")
		c.ok(l.PeerGroupStartup(version11, &v), "PeerGroupStartup again")
		var n uint32
		c.expect(l.PeerGetItemCount(e, &n), eHandle, "PeerGetItemCount of an enumeration from before the shutdown")
		c.ok(l.PeerGroupShutdown(), "PeerGroupShutdown")
	})
}

// TestEnumerationCalls: PeerGetItemCount, PeerGetNextItem,
// PeerEndEnumeration and PeerFreeData.
func TestEnumerationCalls(t *testing.T) {
	run(t, func(c *client) {
		l := c.lib
		c.startup()
		for i := 0; i < 5; i++ {
			c.identity("enum", "Enumerated")
		}
		var e Handle
		c.ok(l.PeerEnumIdentities(&e), "PeerEnumIdentities")
		c.check(e != 0, "no enumeration handle")
		var n uint32
		c.ok(l.PeerGetItemCount(e, &n), "PeerGetItemCount")
		c.check(n == 5, "PeerGetItemCount = %d, want 5", n)

		var arr unsafe.Pointer
		n = 2
		c.ok(l.PeerGetNextItem(e, &n, &arr), "PeerGetNextItem(2)")
		c.check(n == 2 && arr != nil, "took %d items", n)
		first := unsafe.Slice((*unsafe.Pointer)(arr), n)
		for _, it := range first {
			p := (*PeerNamePair)(it)
			c.check(p.Size == 24 && strings.HasSuffix(str(p.PeerName), ".enum") && str(p.FriendlyName) == "Enumerated",
				"item: size %d name %q friendly %q", p.Size, str(p.PeerName), str(p.FriendlyName))
		}
		l.PeerFreeData(arr) // one free releases the array and the items
		c.ok(l.PeerGetItemCount(e, &n), "PeerGetItemCount")
		c.check(n == 3, "%d left after taking 2, want 3", n)

		n = 100
		c.ok(l.PeerGetNextItem(e, &n, &arr), "PeerGetNextItem(100)")
		c.check(n == 3, "took %d of the last 3", n)
		l.PeerFreeData(arr)
		n = 10
		c.ok(l.PeerGetNextItem(e, &n, &arr), "PeerGetNextItem at the end")
		c.check(n == 0 && arr == nil, "at the end: %d items, array %p", n, arr)
		c.ok(l.PeerGetItemCount(e, &n), "PeerGetItemCount at the end")
		c.check(n == 0, "count at the end %d", n)

		c.expect(l.PeerGetItemCount(e, nil), eInvalidArg, "PeerGetItemCount(e, NULL)")
		c.expect(l.PeerGetNextItem(e, nil, &arr), eInvalidArg, "PeerGetNextItem(e, NULL, &items)")
		c.expect(l.PeerGetNextItem(e, &n, nil), eInvalidArg, "PeerGetNextItem(e, &n, NULL)")
		c.ok(l.PeerEndEnumeration(e), "PeerEndEnumeration")
		c.expect(l.PeerEndEnumeration(e), eHandle, "PeerEndEnumeration twice")
		c.expect(l.PeerGetItemCount(e, &n), eHandle, "PeerGetItemCount after the end")
		c.expect(l.PeerGetNextItem(e, &n, &arr), eHandle, "PeerGetNextItem after the end")
		for _, bad := range []Handle{0, 1, 0xdeadbeef, ^Handle(0)} {
			c.expect(l.PeerGetItemCount(bad, &n), eHandle, "PeerGetItemCount(bad handle)")
			c.expect(l.PeerEndEnumeration(bad), eHandle, "PeerEndEnumeration(bad handle)")
		}

		// A group handle is not an enumeration handle.
		me := c.identity("owner", "Owner")
		g, _ := c.group(me, "enumgroup", "Group")
		c.expect(l.PeerGetItemCount(g, &n), eHandle, "PeerGetItemCount(HGROUP)")
		c.expect(l.PeerEndEnumeration(g), eHandle, "PeerEndEnumeration(HGROUP)")

		// PeerFreeData ignores NULL, twice-freed and foreign pointers.
		var name WStr
		c.ok(l.PeerIdentityGetDefault(&name), "PeerIdentityGetDefault")
		l.PeerFreeData(unsafe.Pointer(name))
		l.PeerFreeData(unsafe.Pointer(name))
		l.PeerFreeData(nil)
		l.PeerFreeData(unsafe.Pointer(c.w("not the library's")))
		c.ok(l.PeerIdentityGetDefault(&name), "PeerIdentityGetDefault after odd frees")
		c.check(len(c.take(name)) > 40, "default identity name")
	})
}

// TestIdentityCalls: the Identity Manager.
func TestIdentityCalls(t *testing.T) {
	run(t, func(c *client) {
		l := c.lib
		var p WStr
		c.expect(l.PeerIdentityCreate(c.w("x"), nil, 0, &p), peerENotInitialized, "PeerIdentityCreate before startup")
		c.startup()

		// PeerIdentityCreate: <40 hex>.<classifier>; the friendly name
		// defaults to the peer name.
		alice := c.identity("alice", "Alice Ünïcödé 日本 😀")
		c.check(len(alice) == 46 && strings.HasSuffix(alice, ".alice") && isHex(alice[:40]), "peer name %q", alice)
		c.ok(l.PeerIdentityCreate(nil, nil, 0, &p), "PeerIdentityCreate(NULL, NULL)")
		anon := c.take(p)
		c.check(len(anon) == 41 && anon[40] == '.', "unclassified peer name %q", anon)
		c.expect(l.PeerIdentityCreate(c.w("x"), nil, 0, nil), eInvalidArg, "PeerIdentityCreate(..., NULL)")
		c.expect(l.PeerIdentityCreate(c.w("x"), nil, 1, &p), eNotImpl, "PeerIdentityCreate with a CryptoAPI provider")
		c.expect(l.PeerIdentityCreate(c.u16([]uint16{'a', 0xD800, 'b'}), nil, 0, &p), eInvalidArg, "classifier with an unpaired surrogate")
		c.check(p == nil, "a failed create returned a name")

		// Friendly names.
		c.ok(l.PeerIdentityGetFriendlyName(c.w(alice), &p), "PeerIdentityGetFriendlyName")
		c.check(c.take(p) == "Alice Ünïcödé 日本 😀", "friendly name round trip")
		c.ok(l.PeerIdentityGetFriendlyName(c.w(anon), &p), "PeerIdentityGetFriendlyName(anon)")
		c.check(c.take(p) == anon, "default friendly name is not the peer name")
		c.ok(l.PeerIdentitySetFriendlyName(c.w(alice), c.w("Alice 2")), "PeerIdentitySetFriendlyName")
		c.ok(l.PeerIdentityGetFriendlyName(c.w(alice), &p), "PeerIdentityGetFriendlyName")
		c.check(c.take(p) == "Alice 2", "friendly name after set")
		c.ok(l.PeerIdentitySetFriendlyName(c.w(anon), c.w("Anon")), "PeerIdentitySetFriendlyName(anon)")
		c.ok(l.PeerIdentitySetFriendlyName(c.w(anon), nil), "PeerIdentitySetFriendlyName(anon, NULL)")
		c.ok(l.PeerIdentityGetFriendlyName(c.w(anon), &p), "PeerIdentityGetFriendlyName")
		c.check(c.take(p) == anon, "NULL did not reset the friendly name")
		c.expect(l.PeerIdentitySetFriendlyName(c.w(alice), c.u16([]uint16{0xDC00})), eInvalidArg, "friendly name: lone low surrogate")
		c.expect(l.PeerIdentitySetFriendlyName(nil, c.w("x")), eInvalidArg, "PeerIdentitySetFriendlyName(NULL, ...)")
		c.expect(l.PeerIdentityGetFriendlyName(c.w(alice), nil), eInvalidArg, "PeerIdentityGetFriendlyName(..., NULL)")
		unknown := strings.Repeat("0", 40) + ".nobody"
		c.expect(l.PeerIdentityGetFriendlyName(c.w(unknown), &p), peerENotFound, "PeerIdentityGetFriendlyName(unknown)")

		// PeerIdentityGetCryptKey: keys are Ed25519, not CryptoAPI.
		prov := uintptr(7)
		c.expect(l.PeerIdentityGetCryptKey(c.w(alice), &prov), eNotImpl, "PeerIdentityGetCryptKey")
		c.check(prov == 0, "PeerIdentityGetCryptKey left %d in its output", prov)
		c.expect(l.PeerIdentityGetCryptKey(c.w(alice), nil), eInvalidArg, "PeerIdentityGetCryptKey(..., NULL)")
		c.expect(l.PeerIdentityGetCryptKey(c.w(unknown), &prov), peerENotFound, "PeerIdentityGetCryptKey(unknown)")

		// PeerIdentityGetXML names the identity; NULL is the default one.
		c.ok(l.PeerIdentityGetXML(c.w(alice), &p), "PeerIdentityGetXML")
		xml := c.take(p)
		c.check(strings.HasPrefix(xml, "<") && strings.Contains(xml, alice), "identity XML %.100q", xml)
		var def WStr
		c.ok(l.PeerIdentityGetDefault(&def), "PeerIdentityGetDefault")
		defName := c.take(def)
		c.ok(l.PeerIdentityGetDefault(&def), "PeerIdentityGetDefault again")
		c.check(c.take(def) == defName, "the default identity changed")
		c.ok(l.PeerIdentityGetXML(nil, &p), "PeerIdentityGetXML(NULL)")
		c.check(strings.Contains(c.take(p), defName), "PeerIdentityGetXML(NULL) is not the default identity's")
		c.expect(l.PeerIdentityGetDefault(nil), eInvalidArg, "PeerIdentityGetDefault(NULL)")

		// PeerIdentityGetCert: the identity's X.509 certificate, whose
		// Ed25519 key is the one its peer name is the SHA-1 of.
		var cert *PeerData
		c.ok(l.PeerIdentityGetCert(c.w(alice), &cert), "PeerIdentityGetCert")
		c.check(certKeyName(c, cert) == alice[:40], "PeerIdentityGetCert: not alice's key")
		c.ok(l.PeerIdentityGetCert(nil, &cert), "PeerIdentityGetCert(NULL)")
		c.check(certKeyName(c, cert) == defName[:40], "PeerIdentityGetCert(NULL) is not the default identity's")
		c.expect(l.PeerIdentityGetCert(c.w(alice), nil), eInvalidArg, "PeerIdentityGetCert(..., NULL)")
		sentinel := Alloc(16) // C memory: the output must be reset, not left
		defer Free(sentinel)
		cert = (*PeerData)(sentinel)
		c.expect(l.PeerIdentityGetCert(c.w(unknown), &cert), peerENotFound, "PeerIdentityGetCert(unknown)")
		c.check(cert == nil, "a failed PeerIdentityGetCert left %p in its output", cert)

		// PeerCreatePeerName.
		c.ok(l.PeerCreatePeerName(c.w(alice), c.w("svc"), &p), "PeerCreatePeerName(alice, svc)")
		c.check(c.take(p) == alice[:40]+".svc", "secure peer name")
		c.ok(l.PeerCreatePeerName(nil, c.w("svc"), &p), "PeerCreatePeerName(NULL, svc)")
		c.check(c.take(p) == "0.svc", "unsecured peer name")
		c.expect(l.PeerCreatePeerName(nil, nil, &p), eInvalidArg, "PeerCreatePeerName(NULL, NULL)")
		c.expect(l.PeerCreatePeerName(c.w(alice), c.w("svc"), nil), eInvalidArg, "PeerCreatePeerName(..., NULL)")

		// PeerEnumIdentities lists alice, anon and the default identity.
		var e Handle
		c.ok(l.PeerEnumIdentities(&e), "PeerEnumIdentities")
		ids := c.namePairs(e)
		c.check(len(ids) == 3 && ids[alice] == "Alice 2" && ids[anon] == anon && ids[defName] != "", "identities %v", ids)
		c.expect(l.PeerEnumIdentities(nil), eInvalidArg, "PeerEnumIdentities(NULL)")

		// PeerEnumGroups: none, then the one alice creates.
		c.ok(l.PeerEnumGroups(c.w(alice), &e), "PeerEnumGroups")
		c.check(len(c.namePairs(e)) == 0, "alice has groups before creating one")
		g, gname := c.group(alice, "club", "Club")
		c.ok(l.PeerEnumGroups(c.w(alice), &e), "PeerEnumGroups")
		groups := c.namePairs(e)
		c.check(len(groups) == 1 && groups[gname] == "Club", "alice's groups %v", groups)
		c.expect(l.PeerEnumGroups(c.w(alice), nil), eInvalidArg, "PeerEnumGroups(..., NULL)")

		// Export and import (with the private key, under a password).
		c.ok(l.PeerIdentityExport(c.w(anon), c.w("pässword"), &p), "PeerIdentityExport")
		exported := c.take(p)
		c.check(strings.HasPrefix(exported, "<") && len(exported) > 100, "export %.80q", exported)
		c.expect(l.PeerIdentityImport(c.w(exported), c.w("pässword"), &p), peerEAlreadyExists, "PeerIdentityImport of an existing identity")
		c.check(p == nil, "a failed import returned a name")
		c.expect(l.PeerIdentityExport(c.w(anon), nil, &p), eInvalidArg, "PeerIdentityExport without a password")

		// PeerIdentityDelete: refused while groups exist, then done.
		c.expect(l.PeerIdentityDelete(c.w(alice)), peerEGroupsExist, "PeerIdentityDelete with a group")
		c.ok(l.PeerIdentityDelete(c.w(anon)), "PeerIdentityDelete(anon)")
		c.expect(l.PeerIdentityDelete(c.w(anon)), peerENotFound, "PeerIdentityDelete twice")
		c.expect(l.PeerIdentityDelete(nil), eInvalidArg, "PeerIdentityDelete(NULL)")
		c.check(l.PeerIdentityImport(c.w(exported), c.w("wrong"), &p) < 0, "import with a wrong password succeeded")
		c.ok(l.PeerIdentityImport(c.w(exported), c.w("pässword"), &p), "PeerIdentityImport after the delete")
		c.check(c.take(p) == anon, "imported identity has another name")
		c.ok(l.PeerIdentityGetFriendlyName(c.w(anon), &p), "friendly name of the imported identity")
		c.check(c.take(p) == anon, "imported friendly name")

		c.ok(l.PeerGroupClose(g), "PeerGroupClose")
		c.ok(l.PeerGroupDelete(c.w(alice), c.w(gname)), "PeerGroupDelete")
		c.ok(l.PeerIdentityDelete(c.w(alice)), "PeerIdentityDelete once the group is gone")
	})
}

// Power events of PeerGroupHandlePowerEvent (PBT_* of WM_POWERBROADCAST).
const (
	pbtSuspend         = 0x4
	pbtResumeSuspend   = 0x7
	pbtResumeAutomatic = 0x12
)

// certKeyName parses a PeerIdentityGetCert result, frees it and returns the
// hex SHA-1 of its Ed25519 public key (the authority of the peer name).
func certKeyName(c *client, d *PeerData) string {
	if d == nil || d.Data == nil || d.Size == 0 {
		c.check(false, "PeerIdentityGetCert returned no data")
		return ""
	}
	der := append([]byte(nil), unsafe.Slice((*byte)(d.Data), d.Size)...)
	c.lib.PeerFreeData(unsafe.Pointer(d))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		c.check(false, "PeerIdentityGetCert: %v", err)
		return ""
	}
	key, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok {
		c.check(false, "PeerIdentityGetCert: key %T is not Ed25519", cert.PublicKey)
		return ""
	}
	sum := sha1.Sum(key)
	return hex.EncodeToString(sum[:])
}

func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdefABCDEF") == ""
}
