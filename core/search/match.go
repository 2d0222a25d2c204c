package search

import (
	"cmp"
	"strings"
	"unicode/utf8"

	"p2p/core/record"
)

// Match reports whether a record with these attributes satisfies q.
// Reserved attribute names are answered from rec (which may be nil: then
// they are missing): peercreatorid and peerlastmodifiedby are strings,
// peercreationtime and peerlastmodificationtime dates, and peerrecordid
// and peerrecordtype strings holding the GUID as
// {6B29FC40-CA47-1067-B31D-00DD010662DA}.
//
// A clause holds only when the record has the attribute (names compare
// without regard to case), the attribute has the clause's type, and the
// comparison is true. A missing attribute or a type mismatch makes every
// clause on it false, notequal included: there is no value to differ
// from. The page does not say; this is the rule of SQL's NULL.
//
// Comparisons: ints as int64, dates as instants, strings case-sensitively
// in UTF-16 code-unit order (as wcscmp orders the Windows strings). For
// equal and notequal a string value is a pattern with the wildcards "*"
// and "?"; for the ordering operators it is plain text, escapes resolved.
func (q *Query) Match(attrs []Attribute, rec *record.Record) bool {
	return q.root.eval(attrs, rec)
}

func (n *node) eval(attrs []Attribute, rec *record.Record) bool {
	if n.c != nil {
		return n.c.eval(attrs, rec)
	}
	for _, k := range n.kids {
		if k.eval(attrs, rec) == n.or {
			return n.or
		}
	}
	return !n.or
}

func (c *clause) eval(attrs []Attribute, rec *record.Record) bool {
	a, ok := lookup(c.attr, attrs, rec)
	if !ok || a.Type != c.typ {
		return false
	}
	switch c.typ {
	case Int:
		return c.op.holds(cmp.Compare(a.Int, c.num))
	case Date:
		return c.op.holds(a.Date.Compare(c.date))
	}
	switch c.op {
	case opEqual:
		return c.pat.match(a.Str)
	case opNotEqual:
		return !c.pat.match(a.Str)
	}
	return c.op.holds(compareUTF16(a.Str, c.str))
}

// holds reports whether a comparison result (-1, 0, +1 for the record's
// value against the clause's) satisfies op.
func (op compareOp) holds(r int) bool {
	switch op {
	case opEqual:
		return r == 0
	case opNotEqual:
		return r != 0
	case opLess:
		return r < 0
	case opLessOrEqual:
		return r <= 0
	case opGreater:
		return r > 0
	case opGreaterOrEqual:
		return r >= 0
	}
	return false
}

// lookup finds the attribute a clause names: a reserved one from rec,
// any other from attrs.
func lookup(name string, attrs []Attribute, rec *record.Record) (Attribute, bool) {
	if i := reservedIndex(name); i >= 0 {
		if rec == nil {
			return Attribute{}, false
		}
		switch reservedNames[i] {
		case AttrCreatorID:
			return Attribute{Type: String, Str: rec.CreatorID}, true
		case AttrLastModifiedBy:
			return Attribute{Type: String, Str: rec.ModifiedByID}, true
		case AttrCreationTime:
			return Attribute{Type: Date, Date: rec.Created.Time()}, true
		case AttrLastModification:
			return Attribute{Type: Date, Date: rec.Modified.Time()}, true
		case AttrRecordID:
			return Attribute{Type: String, Str: guidString(rec.ID)}, true
		case AttrRecordType:
			return Attribute{Type: String, Str: guidString(rec.Type)}, true
		}
	}
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return Attribute{}, false
}

// compareUTF16 compares a and b as sequences of UTF-16 code units. That
// differs from code-point order only where a character above U+FFFF
// (a surrogate pair, D800-DBFF first) meets one in E000-FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, wa := utf8.DecodeRuneInString(a)
		rb, wb := utf8.DecodeRuneInString(b)
		switch {
		case a[:wa] == b[:wb]:
			a, b = a[wa:], b[wb:]
			continue
		case ra == rb: // two invalid UTF-8 bytes: byte order
			return strings.Compare(a[:wa], b[:wb])
		}
		if c := cmp.Compare(firstUnit(ra), firstUnit(rb)); c != 0 {
			return c
		}
		return cmp.Compare(ra, rb)
	}
	return cmp.Compare(len(a), len(b))
}

// firstUnit is the first UTF-16 code unit of r.
func firstUnit(r rune) rune {
	if r < 0x10000 {
		return r
	}
	return 0xD800 + (r-0x10000)>>10
}
