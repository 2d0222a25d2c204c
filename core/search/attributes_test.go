package search

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"p2p/core/peererr"
	"p2p/core/record"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// The example of the "Record Attribute Schema" page, verbatim: its last
// line opens <attributes> where it means to close it.
const attrPageExample = `<attributes>
  <attribute name="AuthenticationType" type="string">Kerberos</attribute><attribute name="AuthExpires" type="date">2002-01-31</attribute>
<attributes>`

func TestParseAttributesValid(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []Attribute
	}{
		{"empty string", "", nil},
		{"empty element", "<attributes/>", nil},
		{"empty pair", "<attributes></attributes>", nil},
		{"page example, closed", strings.TrimSuffix(attrPageExample, "<attributes>") + "</attributes>", []Attribute{
			{Name: "AuthenticationType", Type: String, Str: "Kerberos"},
			{Name: "AuthExpires", Type: Date, Date: date("2002-01-31T00:00:00Z")},
		}},
		{"declaration, comments, namespaces",
			`<?xml version="1.0" encoding="utf-16"?><!-- c --><attributes xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="urn:x">` +
				`<!-- c --><attribute name="n" type="int"> -42 </attribute><?pi x?></attributes><!-- tail -->`,
			[]Attribute{{Name: "n", Type: Int, Int: -42}}},
		{"string kept verbatim", `<attributes><attribute name="s" type="string">  a &amp; b&#x9;&lt;c&gt; <![CDATA[<x>]]> </attribute></attributes>`,
			[]Attribute{{Name: "s", Type: String, Str: "  a & b\t<c> <x> "}}},
		{"empty string value", `<attributes><attribute name="s" type="string"/></attributes>`,
			[]Attribute{{Name: "s", Type: String}}},
		{"int limits", `<attributes><attribute name="a" type="int">9223372036854775807</attribute><attribute name="b" type="int">-9223372036854775808</attribute><attribute name="c" type="int">+7</attribute></attributes>`,
			[]Attribute{{Name: "a", Type: Int, Int: 1<<63 - 1}, {Name: "b", Type: Int, Int: -1 << 63}, {Name: "c", Type: Int, Int: 7}}},
		{"date forms", `<attributes>` +
			`<attribute name="y" type="date">1997</attribute>` +
			`<attribute name="m" type="date">1997-07</attribute>` +
			`<attribute name="d" type="date">1997-07-16</attribute>` +
			`<attribute name="hm" type="date">1997-07-16T19:20+01:00</attribute>` +
			`<attribute name="hms" type="date">1997-07-16T19:20:30+01:00</attribute>` +
			`<attribute name="frac" type="date">1997-07-16T19:20:30.45+01:00</attribute>` +
			`<attribute name="z" type="date">1997-07-16T19:20:30Z</attribute></attributes>`,
			[]Attribute{
				{Name: "y", Type: Date, Date: date("1997-01-01T00:00:00Z")},
				{Name: "m", Type: Date, Date: date("1997-07-01T00:00:00Z")},
				{Name: "d", Type: Date, Date: date("1997-07-16T00:00:00Z")},
				{Name: "hm", Type: Date, Date: date("1997-07-16T18:20:00Z")},
				{Name: "hms", Type: Date, Date: date("1997-07-16T18:20:30Z")},
				{Name: "frac", Type: Date, Date: date("1997-07-16T18:20:30.45Z")},
				{Name: "z", Type: Date, Date: date("1997-07-16T19:20:30Z")},
			}},
		{"unicode letters and digits in names", `<attributes><attribute name="Größe٣" type="int">3</attribute></attributes>`,
			[]Attribute{{Name: "Größe٣", Type: Int, Int: 3}}},
		{"reserved name as a prefix only", `<attributes><attribute name="peercreatoridx" type="string">x</attribute></attributes>`,
			[]Attribute{{Name: "peercreatoridx", Type: String, Str: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAttributes(tt.doc)
			if err != nil {
				t.Fatalf("ParseAttributes: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseAttributesInvalid(t *testing.T) {
	many := func(n int) string {
		var b strings.Builder
		b.WriteString("<attributes>")
		for i := range n {
			b.WriteString(`<attribute name="a` + strings.Repeat("x", i) + `" type="int">1</attribute>`)
		}
		return b.String() + "</attributes>"
	}
	attr := func(name, typ, v string) string {
		return `<attributes><attribute name="` + name + `" type="` + typ + `">` + v + `</attribute></attributes>`
	}
	tests := []struct{ name, doc string }{
		{"page example verbatim", attrPageExample},
		{"white space only", "  "},
		{"not XML", "attributes"},
		{"wrong root", "<attribute/>"},
		{"two roots", "<attributes/><attributes/>"},
		{"text after root", "<attributes/>x"},
		{"unclosed", "<attributes>"},
		{"mismatched end", "<attributes></attribute>"},
		{"text in list", "<attributes>x</attributes>"},
		{"unknown element", "<attributes><attr/></attributes>"},
		{"attribute on root", `<attributes a="1"/>`},
		{"doctype", `<!DOCTYPE attributes><attributes/>`},
		{"entity declaration", `<!DOCTYPE a [<!ENTITY e "x">]><attributes><attribute name="a" type="string">&e;</attribute></attributes>`},
		{"undeclared entity", attr("a", "string", "&e;")},
		{"no name", `<attributes><attribute type="int">1</attribute></attributes>`},
		{"no type", `<attributes><attribute name="a">1</attribute></attributes>`},
		{"empty name", attr("", "int", "1")},
		{"hyphen in name", attr("a-b", "int", "1")},
		{"underscore in name", attr("a_b", "int", "1")},
		{"space in name", attr("a b", "int", "1")},
		{"name too long", attr(strings.Repeat("n", MaxNameLength+1), "int", "1")},
		{"unknown type", attr("a", "float", "1")},
		{"type case", attr("a", "String", "1")},
		{"extra XML attribute", `<attributes><attribute name="a" type="int" x="1">1</attribute></attributes>`},
		{"repeated XML attribute", `<attributes><attribute name="a" type="int" name="b">1</attribute></attributes>`},
		{"namespaced XML attribute", `<attributes xmlns:p="urn:p"><attribute p:name="a" type="int">1</attribute></attributes>`},
		{"element in value", attr("a", "string", "<b/>")},
		{"bad int", attr("a", "int", "12a")},
		{"empty int", attr("a", "int", "")},
		{"hex int", attr("a", "int", "0x10")},
		{"int overflow", attr("a", "int", "9223372036854775808")},
		{"bad date", attr("a", "date", "2002-02-30")},
		{"date without zone", attr("a", "date", "2002-01-31T10:00")},
		{"value too long", attr("a", "string", strings.Repeat("v", MaxValueLength+1))},
		{"value too long in UTF-16", attr("a", "string", strings.Repeat("😀", MaxValueLength/2+1))},
		{"duplicate name", `<attributes><attribute name="a" type="int">1</attribute><attribute name="a" type="string">x</attribute></attributes>`},
		{"duplicate name in other case", `<attributes><attribute name="Color" type="int">1</attribute><attribute name="cOLOR" type="int">1</attribute></attributes>`},
		{"too many", many(MaxAttributes + 1)},
		{"document too large", attr("a", "string", "x") + strings.Repeat(" ", record.MaxAttributesSize)},
		{"invalid UTF-8", attr("a", "string", "\xff")},
	}
	for _, r := range reservedNames {
		tests = append(tests,
			struct{ name, doc string }{"reserved " + r, attr(r, "string", "x")},
			struct{ name, doc string }{"reserved upper " + r, attr(strings.ToUpper(r), "string", "x")})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAttributes(tt.doc)
			if !errors.Is(err, peererr.ErrInvalidAttributes) {
				t.Fatalf("ParseAttributes = %+v, %v; want ErrInvalidAttributes", got, err)
			}
		})
	}
	// The limits themselves are allowed.
	if got, err := ParseAttributes(many(MaxAttributes)); err != nil || len(got) != MaxAttributes {
		t.Fatalf("%d attributes: %d, %v", MaxAttributes, len(got), err)
	}
	if _, err := ParseAttributes(attr(strings.Repeat("n", MaxNameLength), "string", strings.Repeat("😀", MaxValueLength/2))); err != nil {
		t.Fatalf("longest name and value: %v", err)
	}
}

func TestFormatAttributes(t *testing.T) {
	in := []Attribute{
		{Name: "s", Type: String, Str: " <a> & \"b\"\r\n\t'c' "},
		{Name: "i", Type: Int, Int: -1 << 63},
		{Name: "d", Type: Date, Date: date("2009-11-10T23:00:00.1234567Z")},
		{Name: "e", Type: String},
	}
	doc, err := FormatAttributes(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseAttributes(doc)
	if err != nil {
		t.Fatalf("ParseAttributes(%q): %v", doc, err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip of %q:\n got %+v\nwant %+v", doc, out, in)
	}
	if doc, err := FormatAttributes(nil); doc != "" || err != nil {
		t.Fatalf("FormatAttributes(nil) = %q, %v", doc, err)
	}
	for _, bad := range [][]Attribute{
		{{Name: "a-b", Type: Int}},
		{{Name: "peercreatorid", Type: String}},
		{{Name: "a", Type: 0}},
		{{Name: "a", Type: String, Str: "\x00"}},
		{{Name: "a", Type: String, Str: "\xff"}},
		{{Name: "a", Type: Date, Date: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{{Name: "a", Type: Int}, {Name: "A", Type: Int}},
	} {
		if doc, err := FormatAttributes(bad); !errors.Is(err, peererr.ErrInvalidAttributes) {
			t.Errorf("FormatAttributes(%+v) = %q, %v; want ErrInvalidAttributes", bad, doc, err)
		}
	}
}

func TestIsReserved(t *testing.T) {
	for _, n := range []string{"peerlastmodifiedby", "peercreatorid", "peerlastmodificationtime",
		"peerrecordid", "peerrecordtype", "peercreationtime", "PeerCreatorID"} {
		if !IsReserved(n) {
			t.Errorf("IsReserved(%q) = false", n)
		}
	}
	for _, n := range []string{"", "peer", "peercreator", "creatorid", "peerrecordids"} {
		if IsReserved(n) {
			t.Errorf("IsReserved(%q) = true", n)
		}
	}
}
