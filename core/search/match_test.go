package search

import (
	"testing"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/record"
)

var (
	testType = uuid.MustParse("6b29fc40-ca47-1067-b31d-00dd010662da")
	testID   = uuid.MustParse("00112233-4455-6677-8899-aabbccddeeff")
)

// testRecord is a record by James Peters, created 2003-01-15 and last
// modified 2003-02-10.
func testRecord() *record.Record {
	return &record.Record{
		Type:         testType,
		ID:           testID,
		Version:      2,
		CreatorID:    "James Peters",
		ModifiedByID: "Ann Lee",
		Created:      filetime.From(date("2003-01-15T08:00:00Z")),
		Modified:     filetime.From(date("2003-02-10T12:30:00.5Z")),
	}
}

const testAttrs = `<attributes>
	<attribute name="filename" type="string">data-01.xml</attribute>
	<attribute name="Size" type="int">1500</attribute>
	<attribute name="AuthExpires" type="date">2002-01-31</attribute>
	<attribute name="note" type="string">50% off * today? C:\temp</attribute>
	<attribute name="empty" type="string"></attribute>
	<attribute name="greek" type="string">Ωμέγα</attribute>
	<attribute name="astral" type="string">a😀</attribute>
	<attribute name="private" type="string">a</attribute>
</attributes>`

func TestMatch(t *testing.T) {
	attrs, err := ParseAttributes(testAttrs)
	if err != nil {
		t.Fatal(err)
	}
	rec := testRecord()
	tests := []struct {
		name, criteria string
		want           bool
	}{
		// The page's examples against a record they describe.
		{"page clause example", pageClauseExample, true},
		{"page and example (fixed)", pageAndExampleFixed, true},
		{"page or example", pageOrExample, true},
		{"page successful example", pageSuccessfulExample, true},
		{"page star clause", ps(pageStarClause), true},
		{"page question clause", ps(pageQuestionClause), true},

		// Reserved attributes come from the record.
		{"creator", ps(cl("peercreatorid", "string", "", "James Peters")), true},
		{"creator other", ps(cl("peercreatorid", "string", "", "Ann Lee")), false},
		{"creator name in other case", ps(cl("PeerCreatorID", "string", "", "James Peters")), true},
		{"modifier", ps(cl("peerlastmodifiedby", "string", "", "Ann Lee")), true},
		{"created before", ps(cl("peercreationtime", "date", "less", "2003-01-31")), true},
		{"created exactly", ps(cl("peercreationtime", "date", "equal", "2003-01-15T09:00+01:00")), true},
		{"created day is not the instant", ps(cl("peercreationtime", "date", "equal", "2003-01-15")), false},
		{"modified fraction", ps(cl("peerlastmodificationtime", "date", "greaterorequal", "2003-02-10T12:30:00.5Z")), true},
		{"modified fraction greater", ps(cl("peerlastmodificationtime", "date", "greater", "2003-02-10T12:30:00.5Z")), false},
		{"record id", ps(cl("peerrecordid", "string", "", "{00112233-4455-6677-8899-AABBCCDDEEFF}")), true},
		{"record id lower case, no braces", ps(cl("peerrecordid", "string", "", "00112233-4455-6677-8899-aabbccddeeff")), true},
		{"record id without hyphens", ps(cl("peerrecordid", "string", "", "00112233445566778899aabbccddeeff")), true},
		{"record id other", ps(cl("peerrecordid", "string", "", "00112233-4455-6677-8899-aabbccddeef0")), false},
		{"record id notequal", ps(cl("peerrecordid", "string", "notequal", "{00112233-4455-6677-8899-aabbccddeef0}")), true},
		{"record id wildcard", ps(cl("peerrecordid", "string", "", "{00112233-*}")), true},
		{"record type", ps(cl("peerrecordtype", "string", "", "6B29FC40-CA47-1067-B31D-00DD010662DA")), true},
		{"reserved name is not read from attrs", ps(cl("peercreatorid", "string", "", "spoof")), false},
		{"reserved with wrong type", ps(cl("peercreationtime", "string", "", "*")), false},

		// Strings.
		{"string equal", ps(cl("filename", "string", "equal", "data-01.xml")), true},
		{"string equal is case-sensitive", ps(cl("filename", "string", "equal", "DATA-01.xml")), false},
		{"attribute name folds case", ps(cl("FILENAME", "string", "equal", "data-01.xml")), true},
		{"string notequal", ps(cl("filename", "string", "notequal", "data-02.xml")), true},
		{"string notequal same", ps(cl("filename", "string", "notequal", "data-01.xml")), false},
		{"notequal pattern", ps(cl("filename", "string", "notequal", "*.xml")), false},
		{"question is one character", ps(cl("filename", "string", "", "data-0?xml")), false},
		{"star alone", ps(cl("filename", "string", "", "*")), true},
		{"star matches empty", ps(cl("empty", "string", "", "*")), true},
		{"empty equals empty", ps(cl("empty", "string", "", "")), true},
		{"empty pattern vs text", ps(cl("filename", "string", "", "")), false},
		{"question needs a character", ps(cl("empty", "string", "", "?")), false},
		{"escaped star is literal", ps(cl("note", "string", "", `50% off \* today\? C:\\temp`)), true},
		{"escaped star does not wildcard", ps(cl("note", "string", "", `50\**`)), false},
		{"escaped question does not wildcard", ps(cl("filename", "string", "", `data-0\?.xml`)), false},
		{"star across spaces", ps(cl("note", "string", "", `*off*today*`)), true},
		{"question matches one non-ASCII character", ps(cl("greek", "string", "", "?μέγ?")), true},
		{"question matches an astral character", ps(cl("astral", "string", "", "a?")), true},
		{"string less", ps(cl("filename", "string", "less", "data-02")), true},
		{"string greater", ps(cl("filename", "string", "greater", "data-01.xml")), false},
		{"string greaterorequal", ps(cl("filename", "string", "greaterorequal", "data-01.xml")), true},
		{"string lessorequal", ps(cl("filename", "string", "lessorequal", "data")), false},
		{"ordering takes wildcards literally", ps(cl("filename", "string", "less", "data*")), false},
		{"ordering is by code unit", ps(cl("filename", "string", "less", "data-01.xmla")), true},
		{"UTF-16 order: astral below U+FFxx", ps(cl("astral", "string", "less", "a\uFF21")), true},
		{"string clause on int", ps(cl("Size", "string", "", "1500")), false},
		{"string notequal on int", ps(cl("Size", "string", "notequal", "x")), false},

		// Ints.
		{"int equal", ps(cl("size", "int", "", "1500")), true},
		{"int equal with sign and spaces", ps(cl("size", "int", "", " +1500 ")), true},
		{"int notequal", ps(cl("size", "int", "notequal", "1500")), false},
		{"int less", ps(cl("size", "int", "less", "1501")), true},
		{"int less equal value", ps(cl("size", "int", "less", "1500")), false},
		{"int lessorequal", ps(cl("size", "int", "lessorequal", "1500")), true},
		{"int greater", ps(cl("size", "int", "greater", "-9223372036854775808")), true},
		{"int greaterorequal", ps(cl("size", "int", "greaterorequal", "1501")), false},
		{"int clause on string", ps(cl("filename", "int", "notequal", "0")), false},

		// Dates.
		{"date equal", ps(cl("AuthExpires", "date", "", "2002-01-31T00:00:00Z")), true},
		{"date equal other zone", ps(cl("AuthExpires", "date", "", "2002-01-30T19:00-05:00")), true},
		{"date greater", ps(cl("AuthExpires", "date", "greater", "2002")), true},
		{"date less", ps(cl("AuthExpires", "date", "less", "2002-01")), false},
		{"date notequal", ps(cl("AuthExpires", "date", "notequal", "2002-01-31T00:00:00.000001Z")), true},
		{"date clause on int", ps(cl("size", "date", "notequal", "2002")), false},

		// Missing attributes.
		{"missing equal", ps(cl("nothere", "string", "", "*")), false},
		{"missing notequal", ps(cl("nothere", "int", "notequal", "1")), false},

		// Logic.
		{"and all true", ps("<and>" + cl("size", "int", "", "1500") + cl("filename", "string", "", "*.xml") + "</and>"), true},
		{"and one false", ps("<and>" + cl("size", "int", "", "1500") + cl("filename", "string", "", "*.txt") + "</and>"), false},
		{"or one true", ps("<or>" + cl("size", "int", "", "1") + cl("filename", "string", "", "*.xml") + "</or>"), true},
		{"or none true", ps("<or>" + cl("size", "int", "", "1") + cl("filename", "string", "", "*.txt") + "</or>"), false},
		{"single-child and", ps("<and>" + cl("size", "int", "", "1500") + "</and>"), true},
		{"single-child or false", ps("<or>" + cl("size", "int", "", "1") + "</or>"), false},
		{"nested", ps("<or><and>" + cl("size", "int", "", "1") + "</and><and><or>" + cl("x", "int", "", "1") +
			cl("peercreatorid", "string", "", "James*") + "</or>" + cl("size", "int", "greater", "1000") + "</and></or>"), true},
		{"deep", ps(nest("and", MaxDepth, nest("or", 0, cl("size", "int", "", "1500")))), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.criteria)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := q.Match(attrs, rec); got != tt.want {
				t.Fatalf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchPageQuestionExample(t *testing.T) {
	// "This clause matches filename values like "data-01.xml" and
	// "data-0B.xml"."
	q, err := Parse(ps(pageQuestionClause))
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]bool{
		"data-01.xml": true, "data-0B.xml": true, "data-0 .xml": true, "data-0é.xml": true,
		"data-0.xml": false, "data-012.xml": false, "Data-01.xml": false, "data-01.xmlx": false,
	} {
		attrs := []Attribute{{Name: "filename", Type: String, Str: v}}
		if got := q.Match(attrs, nil); got != want {
			t.Errorf("%q: Match = %v, want %v", v, got, want)
		}
	}
	// "This clause matches all peercreatorid values with a first name of
	// "James" and a last name starting with "P"."
	q, err = Parse(ps(pageStarClause))
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]bool{
		"James Peters": true, "James P": true, "James Pé*?": true,
		"James peters": false, "Jim Peters": false, " James Peters": false,
	} {
		rec := testRecord()
		rec.CreatorID = v
		if got := q.Match(nil, rec); got != want {
			t.Errorf("%q: Match = %v, want %v", v, got, want)
		}
	}
}

func TestMatchNilRecord(t *testing.T) {
	for _, r := range reservedNames {
		typ := "string"
		if r == AttrCreationTime || r == AttrLastModification {
			typ = "date"
		}
		for _, op := range []string{"equal", "notequal"} {
			v := "*"
			if typ == "date" {
				v = "2000"
			}
			q, err := Parse(ps(cl(r, typ, op, v)))
			if err != nil {
				t.Fatal(err)
			}
			if q.Match(nil, nil) {
				t.Errorf("%s %s matched a nil record", r, op)
			}
			if want := (typ == "string") == (op == "equal"); q.Match(nil, testRecord()) != want {
				t.Errorf("%s %s %s on the test record: want %v", r, op, v, want)
			}
		}
	}
}

func TestCompareUTF16(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "a", -1},
		{"a", "", 1},
		{"abc", "abd", -1},
		{"ab", "abc", -1},
		{"é", "z", 1},
		{"\uFFFD", "😀", 1}, // U+FFFD is one unit FFFD; U+1F600 starts with D83D
		{"\uE000", "😀", 1},
		{"\uD7FF", "😀", -1},
		{"😀", "😁", -1},
		{"\U00010000", "\U0010FFFF", -1},
		{"\xff", "\xfe", 1}, // invalid UTF-8 compares by byte
		{"\xff", "\xff", 0},
	}
	for _, tt := range tests {
		if got := compareUTF16(tt.a, tt.b); got != tt.want {
			t.Errorf("compareUTF16(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := compareUTF16(tt.b, tt.a); got != -tt.want {
			t.Errorf("compareUTF16(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}
