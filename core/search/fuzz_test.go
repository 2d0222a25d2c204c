package search

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"p2p/core/peererr"
)

// Seeds shared by the fuzz targets: every example of the two pages, and
// edge cases of each rule.
var (
	attrSeeds = []string{
		"",
		attrPageExample,
		strings.TrimSuffix(attrPageExample, "<attributes>") + "</attributes>",
		testAttrs,
		"<attributes/>",
		`<?xml version="1.0" encoding="utf-16"?><attributes xmlns:xs="http://www.w3.org/2001/XMLSchema"><!--c--></attributes>`,
		`<attributes><attribute name="a" type="int">-9223372036854775808</attribute><attribute name="b" type="date">9999-12-31T23:59:59.9999999+01:00</attribute></attributes>`,
		`<attributes><attribute name="s" type="string"><![CDATA[*?\]]>&#xD;&amp;</attribute></attributes>`,
		`<attributes><attribute name="peercreatorid" type="string">x</attribute></attributes>`,
		`<attributes><attribute name="a" type="string">1</attribute><attribute name="A" type="int">1</attribute></attributes>`,
		`<!DOCTYPE a [<!ENTITY e "x">]><attributes/>`,
		`<attributes><attribute name="a-b" type="float">x</attribute>`,
	}
	criteriaSeeds = []string{
		pageAndExample,
		pageAndExampleFixed,
		pageClauseExample,
		pageOrExample,
		pageIncorrectExample,
		pageSuccessfulExample,
		ps(pageStarClause),
		ps(pageQuestionClause),
		ps(cl("peerrecordid", "string", "", "00112233-4455-6677-8899-aabbccddeeff")),
		ps(cl("peerlastmodifiedby", "string", "notequal", `\*\?\\*`)),
		ps(cl("size", "int", "lessorequal", " +1500 ")),
		ps(cl("AuthExpires", "date", "greaterorequal", "2002-01-31T00:00:00.5-05:00")),
		ps(cl("a", "string", "", `bad\escape`)),
		ps(nest("and", MaxDepth, cl("size", "int", "", "1500"))),
		ps(nest("or", MaxDepth+1, cl("size", "int", "", "1500"))),
		ps("<or/>"),
		ps(`<clause attrib="a" type="string"><and/></clause>`),
		`<peersearch xmlns="urn:x"><!--c--><and>` + cl("filename", "string", "less", "data*") + `</and></peersearch>`,
	}
)

func FuzzParseAttributes(f *testing.F) {
	for _, s := range attrSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		attrs, err := ParseAttributes(doc)
		if err != nil {
			if !errors.Is(err, peererr.ErrInvalidAttributes) {
				t.Fatalf("error %v does not wrap ErrInvalidAttributes", err)
			}
			return
		}
		if len(attrs) > MaxAttributes {
			t.Fatalf("%d attributes", len(attrs))
		}
		for i, a := range attrs {
			if !validName(a.Name) || IsReserved(a.Name) {
				t.Fatalf("accepted name %q", a.Name)
			}
			if a.Type == String && (utf16Len(a.Str) > MaxValueLength || !utf8.ValidString(a.Str)) {
				t.Fatalf("accepted value %q", a.Str)
			}
			for _, b := range attrs[:i] {
				if strings.EqualFold(a.Name, b.Name) {
					t.Fatalf("accepted duplicate %q", a.Name)
				}
			}
		}
		// What was read can be written and reads back the same.
		out, err := FormatAttributes(attrs)
		if err != nil {
			t.Fatalf("FormatAttributes(%+v): %v", attrs, err)
		}
		back, err := ParseAttributes(out)
		if err != nil || !reflect.DeepEqual(back, attrs) {
			t.Fatalf("round trip through %q: %+v, %v; want %+v", out, back, err, attrs)
		}
	})
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func FuzzParse(f *testing.F) {
	for _, s := range criteriaSeeds {
		f.Add(s)
	}
	attrs, err := ParseAttributes(testAttrs)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, criteria string) {
		q, err := Parse(criteria)
		if err != nil {
			search, arg := errors.Is(err, peererr.ErrInvalidSearch), errors.Is(err, peererr.ErrInvalidArg)
			if search == arg {
				t.Fatalf("error %v wraps ErrInvalidSearch %v, ErrInvalidArg %v", err, search, arg)
			}
			return
		}
		if first := q.Match(attrs, testRecord()); q.Match(attrs, testRecord()) != first {
			t.Fatal("Match is not deterministic")
		}
		q.Match(nil, nil)
	})
}

// FuzzMatch parses criteria and attributes and checks Match against
// properties that hold whatever the query: wrapping it in <and> or <or>
// changes nothing; and, for a clause built on each attribute with value
// v, the operators agree with each other and with independent
// references (the dynamic-programming wildcard matcher, UTF-16 order
// computed by encoding, strconv).
func FuzzMatch(f *testing.F) {
	for i, c := range criteriaSeeds {
		f.Add(c, attrSeeds[i%len(attrSeeds)], "data-0?.xml")
	}
	f.Add(pageClauseExample, testAttrs, "*")
	f.Add(ps(pageStarClause), testAttrs, `50% off \* today\? C:\\temp`)
	f.Add(pageOrExample, testAttrs, "1500")
	f.Add(pageSuccessfulExample, testAttrs, "2002-01-31")
	f.Add(ps(pageQuestionClause), testAttrs, "a\U0001F600")
	f.Fuzz(func(t *testing.T, criteria, attrDoc, v string) {
		attrs, err := ParseAttributes(attrDoc)
		if err != nil {
			return
		}
		rec := testRecord()
		if q, err := Parse(criteria); err == nil {
			got := q.Match(attrs, rec)
			if inner, ok := peersearchContent(criteria); ok {
				for _, op := range []string{"and", "or"} {
					w, err := Parse(ps("<" + op + ">" + inner + "</" + op + ">"))
					if err == nil && w.Match(attrs, rec) != got {
						t.Fatalf("<%s> around the query changed Match from %v", op, got)
					}
				}
			}
		}
		if !isXMLText(v) {
			return
		}
		for _, a := range attrs {
			checkClauses(t, a, v)
		}
	})
}

// peersearchContent returns what lies between <peersearch ...> and
// </peersearch>, if the document is simple enough to cut there.
func peersearchContent(doc string) (string, bool) {
	i := strings.Index(doc, "<peersearch")
	j := strings.LastIndex(doc, "</peersearch>")
	if i < 0 || j < i {
		return "", false
	}
	k := strings.IndexByte(doc[i:j], '>')
	if k < 0 {
		return "", false
	}
	return doc[i+k+1 : j], true
}

var ops = []string{"equal", "notequal", "less", "lessorequal", "greater", "greaterorequal"}

// checkClauses matches a clause of every operator, with value v, against
// attribute a.
func checkClauses(t *testing.T, a Attribute, v string) {
	var esc strings.Builder
	if err := escapeText(&esc, v); err != nil {
		return
	}
	res := map[string]bool{}
	for _, op := range ops {
		q, err := Parse(ps(cl(a.Name, a.Type.String(), op, esc.String())))
		if err != nil {
			return // v is not a value of this type
		}
		res[op] = q.Match([]Attribute{a}, nil)
		// Any other type never matches.
		for _, other := range []AttrType{String, Int, Date} {
			if other == a.Type {
				continue
			}
			if q, err := Parse(ps(cl(a.Name, other.String(), op, esc.String()))); err == nil && q.Match([]Attribute{a}, nil) {
				t.Fatalf("a %v clause matched %v attribute %+v", other, a.Type, a)
			}
		}
	}
	if res["equal"] == res["notequal"] {
		t.Fatalf("%+v, %q: equal and notequal both %v", a, v, res["equal"])
	}
	// The ordering operators form a consistent order.
	less, greater := res["less"], res["greater"]
	eq := !less && !greater
	if less && greater {
		t.Fatalf("%+v, %q: less and greater", a, v)
	}
	if res["lessorequal"] != (less || eq) || res["greaterorequal"] != (greater || eq) {
		t.Fatalf("%+v, %q: inconsistent %v", a, v, res)
	}
	switch a.Type {
	case String:
		if want := refMatch(v, a.Str); res["equal"] != want {
			t.Fatalf("%q equal %q = %v, reference %v", a.Str, v, res["equal"], want)
		}
		_, lit, _, _ := compileGlob(v)
		want := slices.Compare(utf16.Encode([]rune(a.Str)), utf16.Encode([]rune(lit)))
		if less != (want < 0) || greater != (want > 0) {
			t.Fatalf("%q vs %q: less %v greater %v, UTF-16 order %d", a.Str, lit, less, greater, want)
		}
	case Int:
		n, err := strconv.ParseInt(strings.Trim(v, " \t\r\n"), 10, 64)
		if err != nil {
			t.Fatalf("clause value %q accepted as int: %v", v, err)
		}
		if res["equal"] != (a.Int == n) || less != (a.Int < n) || greater != (a.Int > n) {
			t.Fatalf("%d vs %d: %v", a.Int, n, res)
		}
	case Date:
		if res["equal"] != eq {
			t.Fatalf("%v vs %q: equal %v, yet neither less nor greater is %v", a.Date, v, res["equal"], eq)
		}
	}
}

// escapeText writes v as XML character data, refusing what XML cannot
// carry.
func escapeText(b *strings.Builder, v string) error {
	if !isXMLText(v) {
		return errors.New("not XML text")
	}
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")
	b.WriteString(r.Replace(v))
	return nil
}

// FuzzGlob checks the wildcard matcher against the dynamic-programming
// reference on any pattern and text.
func FuzzGlob(f *testing.F) {
	f.Add("James P*", "James Peters")
	f.Add("data-0?.xml", "data-0B.xml")
	f.Add(`\*\?\\`, `*?\`)
	f.Add("*a*a*a*a*a*b", strings.Repeat("a", 100))
	f.Add("*a?a?a?c*", "aaaaaaaaaaaaaaaaac")
	f.Add("ab*ba", "aba")
	f.Add("*?é?*", "xé😀y")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		g, _, _, err := compileGlob(pattern)
		if err != nil || !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		if got, want := g.match(s), refMatch(pattern, s); got != want {
			t.Fatalf("glob %q on %q = %v, reference %v", pattern, s, got, want)
		}
	})
}
