//go:build linux

package cabi

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// Record types of the tests (application GUIDs).
var (
	typeA = GUID{0x6b1f0a52, 0x37c4, 0x4d21, [8]byte{0x9e, 0x10, 0x43, 0x41, 0x42, 0x49, 0x00, 0x41}}
	typeB = GUID{0x6b1f0a52, 0x37c4, 0x4d21, [8]byte{0x9e, 0x10, 0x43, 0x41, 0x42, 0x49, 0x00, 0x42}}
	typeZ = GUID{0x6b1f0a52, 0x37c4, 0x4d21, [8]byte{0x9e, 0x10, 0x43, 0x41, 0x42, 0x49, 0x00, 0x5a}}
)

// attrs is a record's attribute document with an int n and a string name.
func attrs(n int, name string) string {
	return `<attributes><attribute name="n" type="int">` + strconv.Itoa(n) + `</attribute>` +
		`<attribute name="name" type="string">` + name + `</attribute></attributes>`
}

// TestRecordCalls: add, get, update, delete, enumerate, search, and
// export/import of the record database.
func TestRecordCalls(t *testing.T) {
	run(t, func(c *client) {
		l := c.lib
		c.startup()
		alice := c.identity("alice", "Alice")
		g, _ := c.group(alice, "records", "Records")
		day := time.Now().Add(24 * time.Hour)

		// PeerGroupAddRecord fills id, version, creator, times, signature.
		var r1 GUID
		before := time.Now().Add(-time.Second)
		c.ok(l.PeerGroupAddRecord(g, c.newRecord(typeA, "hello", attrs(7, "alpha"), day), &r1), "PeerGroupAddRecord")
		c.check(r1 != GUID{}, "no record id")
		var rec *PeerRecord
		c.ok(l.PeerGroupGetRecord(g, &r1, &rec), "PeerGroupGetRecord")
		c.check(rec.Size == 128 && rec.ID == r1 && rec.Type == typeA && rec.Version == 1 && rec.Flags == 0,
			"record: size %d id %v type %v version %d flags %#x", rec.Size, rec.ID, rec.Type, rec.Version, rec.Flags)
		c.check(string(bytesAt(rec.Data.Data, rec.Data.Size)) == "hello", "data %q", bytesAt(rec.Data.Data, rec.Data.Size))
		c.check(str(rec.CreatorID) == alice && str(rec.ModifiedByID) == alice, "creator %q modifier %q", str(rec.CreatorID), str(rec.ModifiedByID))
		c.check(strings.Contains(str(rec.Attributes), `name="name"`), "attributes %q", str(rec.Attributes))
		c.check(rec.SecurityData.Size > 0 && rec.SecurityData.Data != nil, "no signature")
		c.check(rec.Expiration == filetime(day), "expiration %v, want %v", rec.Expiration.time(), day)
		c.check(rec.Creation.time().After(before) && !rec.LastModified.time().Before(rec.Creation.time()),
			"creation %v, last modified %v", rec.Creation.time(), rec.LastModified.time())
		l.PeerFreeData(unsafe.Pointer(rec))

		// Argument checks.
		bad := c.newRecord(typeA, "x", "", day)
		var id GUID
		c.expect(l.PeerGroupAddRecord(g, nil, &id), eInvalidArg, "PeerGroupAddRecord(g, NULL, &id)")
		c.expect(l.PeerGroupAddRecord(g, bad, nil), eInvalidArg, "PeerGroupAddRecord(g, r, NULL)")
		bad.Size = 120
		c.expect(l.PeerGroupAddRecord(g, bad, &id), eInvalidArg, "PeerGroupAddRecord with dwSize 120")
		bad.Size = 128
		bad.Expiration = filetime(time.Now().Add(-time.Hour))
		c.expect(l.PeerGroupAddRecord(g, bad, &id), peerEInvalidRecExp, "PeerGroupAddRecord that expired an hour ago")
		bad.Expiration = filetime(day)
		bad.Attributes = c.w("<attributes><attribute name='n' type='int'>not a number</attribute></attributes>")
		c.expect(l.PeerGroupAddRecord(g, bad, &id), peerEInvalidAttributes, "PeerGroupAddRecord with an int attribute 'not a number'")
		bad.Attributes = c.u16([]uint16{'<', 0xD83D, '>'})
		c.expect(l.PeerGroupAddRecord(g, bad, &id), eInvalidArg, "PeerGroupAddRecord: attributes with a lone surrogate")
		bad.Attributes = nil
		bad.Data = PeerData{Size: 61 << 20, Data: c.alloc(61 << 20)}
		c.expect(l.PeerGroupAddRecord(g, bad, &id), hr(0x80630304), "PeerGroupAddRecord of 61 MB (PEER_E_MAX_RECORD_SIZE_EXCEEDED)")
		c.expect(l.PeerGroupGetRecord(g, nil, &rec), eInvalidArg, "PeerGroupGetRecord(g, NULL, &r)")
		c.expect(l.PeerGroupGetRecord(g, &r1, nil), eInvalidArg, "PeerGroupGetRecord(g, id, NULL)")
		missing := GUID{Data1: 0x1234}
		c.expect(l.PeerGroupGetRecord(g, &missing, &rec), peerERecordNotFound, "PeerGroupGetRecord(unknown id)")
		c.check(rec == nil, "a failed get returned a record")

		// PeerGroupUpdateRecord: found by id; the version goes up.
		up := c.newRecord(typeA, "hello again", attrs(8, "alpha"), day)
		up.ID = r1
		c.ok(l.PeerGroupUpdateRecord(g, up), "PeerGroupUpdateRecord")
		c.ok(l.PeerGroupGetRecord(g, &r1, &rec), "PeerGroupGetRecord")
		c.check(rec.Version == 2 && string(bytesAt(rec.Data.Data, rec.Data.Size)) == "hello again", "after update: version %d data %q",
			rec.Version, bytesAt(rec.Data.Data, rec.Data.Size))
		l.PeerFreeData(unsafe.Pointer(rec))
		up.ID = missing
		c.expect(l.PeerGroupUpdateRecord(g, up), peerERecordNotFound, "PeerGroupUpdateRecord(unknown id)")
		c.expect(l.PeerGroupUpdateRecord(g, nil), eInvalidArg, "PeerGroupUpdateRecord(g, NULL)")

		// Two more records, then enumerate all and by type.
		var r2, r3 GUID
		c.ok(l.PeerGroupAddRecord(g, c.newRecord(typeA, "second", attrs(3, "beta"), day), &r2), "PeerGroupAddRecord(r2)")
		c.ok(l.PeerGroupAddRecord(g, c.newRecord(typeB, "third", attrs(12, "gamma"), day), &r3), "PeerGroupAddRecord(r3)")
		c.check(r1 != r2 && r2 != r3 && r1 != r3, "record ids repeat")
		enum := func(typ *GUID) map[GUID]string {
			var e Handle
			c.ok(l.PeerGroupEnumRecords(g, typ, &e), "PeerGroupEnumRecords")
			return c.records(e)
		}
		all := enum(nil)
		c.check(len(all) == 3 && all[r1] == "hello again" && all[r2] == "second" && all[r3] == "third", "all records %v", all)
		c.check(len(enum(c.guidPtr(typeA))) == 2, "type A records")
		c.check(len(enum(c.guidPtr(typeB))) == 1, "type B records")
		c.check(len(enum(c.guidPtr(typeZ))) == 0, "records of an unused type")
		var e Handle
		c.expect(l.PeerGroupEnumRecords(g, nil, nil), eInvalidArg, "PeerGroupEnumRecords(g, NULL, NULL)")

		// PeerGroupSearchRecords.
		search := func(q string) map[GUID]string {
			c.Helper()
			var e Handle
			c.ok(l.PeerGroupSearchRecords(g, c.w(q), &e), "PeerGroupSearchRecords("+q+")")
			return c.records(e)
		}
		clause := func(attr, typ, cmp, v string) string {
			return `<clause attrib="` + attr + `" type="` + typ + `" compare="` + cmp + `">` + v + `</clause>`
		}
		q := search(`<peersearch>` + clause("n", "int", "greater", "5") + `</peersearch>`)
		c.check(len(q) == 2 && q[r1] != "" && q[r3] != "", "n > 5: %v", q)
		q = search(`<peersearch><and>` + clause("n", "int", "greater", "5") + clause("name", "string", "equal", "g*") + `</and></peersearch>`)
		c.check(len(q) == 1 && q[r3] != "", "n > 5 and name = g*: %v", q)
		q = search(`<peersearch><or>` + clause("name", "string", "equal", "alpha") + clause("name", "string", "equal", "?eta") + `</or></peersearch>`)
		c.check(len(q) == 2 && q[r1] != "" && q[r2] != "", "name = alpha or ?eta: %v", q)
		q = search(`<peersearch>` + clause("name", "string", "equal", "delta") + `</peersearch>`)
		c.check(len(q) == 0, "name = delta: %v", q)
		c.expect(l.PeerGroupSearchRecords(g, c.w("<peersearch><clause>"), &e), peerEInvalidSearch, "PeerGroupSearchRecords(malformed XML)")
		c.expect(l.PeerGroupSearchRecords(g, c.w(`<peersearch>`+clause("n", "int", "sideways", "1")+`</peersearch>`), &e),
			peerEInvalidSearch, "PeerGroupSearchRecords(compare=sideways)")
		c.expect(l.PeerGroupSearchRecords(g, nil, &e), eInvalidArg, "PeerGroupSearchRecords(g, NULL, &e)")
		c.expect(l.PeerGroupSearchRecords(g, c.u16([]uint16{'<', 0xDC00}), &e), eInvalidArg, "PeerGroupSearchRecords: lone surrogate")

		// PeerGroupDeleteRecord: gone from get, enumerations and searches.
		c.ok(l.PeerGroupDeleteRecord(g, &r2), "PeerGroupDeleteRecord")
		c.expect(l.PeerGroupGetRecord(g, &r2, &rec), peerERecordNotFound, "PeerGroupGetRecord after the delete")
		c.expect(l.PeerGroupDeleteRecord(g, &r2), peerERecordNotFound, "PeerGroupDeleteRecord twice")
		c.expect(l.PeerGroupDeleteRecord(g, nil), eInvalidArg, "PeerGroupDeleteRecord(g, NULL)")
		c.check(len(enum(nil)) == 2 && len(enum(c.guidPtr(typeA))) == 1, "records after the delete")
		up.ID = r2
		c.expect(l.PeerGroupUpdateRecord(g, up), peerERecordNotFound, "PeerGroupUpdateRecord of a deleted record")

		// Export the database; bob's offline copy imports it.
		bob := c.identity("bob", "Bob")
		var p, inv WStr
		c.ok(l.PeerIdentityGetXML(c.w(bob), &p), "PeerIdentityGetXML(bob)")
		c.ok(l.PeerGroupCreateInvitation(g, p, nil, 0, nil, &inv), "PeerGroupCreateInvitation(bob)")
		l.PeerFreeData(unsafe.Pointer(p))
		var gb Handle
		c.ok(l.PeerGroupJoin(c.w(bob), inv, nil, &gb), "PeerGroupJoin(bob)")
		l.PeerFreeData(unsafe.Pointer(inv))
		path := filepath.Join(c.TempDir(), "records ü.db")
		c.ok(l.PeerGroupExportDatabase(g, c.w(path)), "PeerGroupExportDatabase")
		c.expect(l.PeerGroupExportDatabase(g, nil), eInvalidArg, "PeerGroupExportDatabase(g, NULL)")
		c.ok(l.PeerGroupImportDatabase(gb, c.w(path)), "PeerGroupImportDatabase into bob's copy")
		c.ok(l.PeerGroupEnumRecords(gb, nil, &e), "PeerGroupEnumRecords(bob)")
		got := c.records(e)
		c.check(len(got) == 2 && got[r1] == "hello again" && got[r3] == "third", "bob's records after the import: %v", got)
		c.expect(l.PeerGroupGetRecord(gb, &r2, &rec), peerERecordNotFound, "the deleted record in bob's copy")
		c.check(l.PeerGroupImportDatabase(gb, c.w(filepath.Join(c.TempDir(), "missing.db"))) < 0, "import of a missing file succeeded")
		c.expect(l.PeerGroupImportDatabase(gb, nil), eInvalidArg, "PeerGroupImportDatabase(g, NULL)")
		other, _ := c.group(alice, "other", "Other")
		c.check(l.PeerGroupImportDatabase(other, c.w(path)) < 0, "another group imported this group's database")

		// Every record call refuses a bad HGROUP.
		c.ok(l.PeerGroupClose(other), "PeerGroupClose(other)")
		for _, h := range []Handle{0, 0xdeadbeef, other} {
			c.expect(l.PeerGroupAddRecord(h, up, &id), eHandle, "PeerGroupAddRecord(bad)")
			c.expect(l.PeerGroupUpdateRecord(h, up), eHandle, "PeerGroupUpdateRecord(bad)")
			c.expect(l.PeerGroupDeleteRecord(h, &r1), eHandle, "PeerGroupDeleteRecord(bad)")
			c.expect(l.PeerGroupGetRecord(h, &r1, &rec), eHandle, "PeerGroupGetRecord(bad)")
			c.expect(l.PeerGroupEnumRecords(h, nil, &e), eHandle, "PeerGroupEnumRecords(bad)")
			c.expect(l.PeerGroupSearchRecords(h, c.w("<peersearch/>"), &e), eHandle, "PeerGroupSearchRecords(bad)")
			c.expect(l.PeerGroupExportDatabase(h, c.w(path)), eHandle, "PeerGroupExportDatabase(bad)")
			c.expect(l.PeerGroupImportDatabase(h, c.w(path)), eHandle, "PeerGroupImportDatabase(bad)")
		}
		c.ok(l.PeerGroupClose(gb), "PeerGroupClose(gb)")
		c.ok(l.PeerGroupClose(g), "PeerGroupClose(g)")
	})
}
