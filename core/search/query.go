package search

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"p2p/core/peererr"
	"p2p/core/peername"
)

// Query is a parsed search criteria document. It is immutable and safe
// for concurrent use.
type Query struct {
	root *node
}

// compareOp is a clause's compare attribute.
type compareOp int

// The operators of the "Record Search Query Format" page: "Values for the
// compare attribute are equal, notequal, less, greater, lessorequal, and
// greaterorequal."
const (
	opEqual compareOp = iota + 1
	opNotEqual
	opLess
	opLessOrEqual
	opGreater
	opGreaterOrEqual
)

var compareNames = map[string]compareOp{
	"equal": opEqual, "notequal": opNotEqual,
	"less": opLess, "lessorequal": opLessOrEqual,
	"greater": opGreater, "greaterorequal": opGreaterOrEqual,
}

// node is an <and>, an <or> (kids set) or a <clause> (c set).
type node struct {
	or   bool
	kids []*node
	c    *clause
}

// clause is a parsed <clause>; the value field that Type names is set.
type clause struct {
	attr string
	typ  AttrType
	op   compareOp
	pat  glob   // string equal/notequal: the pattern
	str  string // string ordering: the value with escapes resolved
	num  int64
	date time.Time
}

// Parse parses search criteria, the pwzCriteria of PeerGroupSearchRecords,
// as the "Record Search Query Format" page defines them:
//
//	<peersearch>
//	  <and>
//	    <clause attrib="peercreatorid" type="string" compare="equal">James P*</clause>
//	    <or> ... </or>
//	  </and>
//	</peersearch>
//
// <peersearch> holds exactly one <clause>, <and> or <or> ("The first level
// of nodes after peersearch can have only one element"). <and> and <or>
// hold one or more of the same three, nested to any depth ("Each pair of
// and and or opening and closing tags must include at least one or more
// child nodes"). A clause needs attrib (letters and digits) and type
// (string, int or date); compare defaults to "equal", the schema's
// default, although the page's prose says it "must be provided". Int and
// date values may be surrounded by white space; string values are taken
// as written.
//
// Anything malformed, or past MaxCriteriaSize, MaxDepth, MaxClauses,
// MaxOperators, MaxNameLength or MaxValueLength, wraps
// peererr.ErrInvalidSearch ("The XML search query does not adhere to the
// search query schema specification"). The one exception is a string
// value with a backslash not followed by "*", "?" or "\": that wraps
// peererr.ErrInvalidArg, because the page says PeerGroupSearchRecords
// "returns the error E_INVALIDARG" for it.
func Parse(criteria string) (*Query, error) {
	p := queryParser{}
	root, err := p.parse(criteria)
	if errors.Is(err, errEscape) {
		return nil, fmt.Errorf("search criteria: %v: %w", err, peererr.ErrInvalidArg)
	}
	if err != nil {
		return nil, fmt.Errorf("search criteria: %v: %w", err, peererr.ErrInvalidSearch)
	}
	return &Query{root: root}, nil
}

type queryParser struct {
	x                  *xmlDoc
	clauses, operators int
}

func (p *queryParser) parse(criteria string) (*node, error) {
	if len(criteria) > MaxCriteriaSize {
		return nil, fmt.Errorf("document of %d bytes exceeds %d", len(criteria), MaxCriteriaSize)
	}
	p.x = newXMLDoc(criteria)
	root, err := p.x.root()
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "peersearch" {
		return nil, fmt.Errorf("root element <%s>, want <peersearch>", root.Name.Local)
	}
	if _, err := attrs(root); err != nil {
		return nil, err
	}
	kids, err := p.children(root, 0)
	if err != nil {
		return nil, err
	}
	if len(kids) != 1 {
		return nil, fmt.Errorf("<peersearch> holds %d elements, want exactly one", len(kids))
	}
	return kids[0], p.x.end()
}

// children reads the element content of parent (<peersearch>, <and> or
// <or>) through its end tag; depth is parent's depth below <peersearch>.
func (p *queryParser) children(parent xml.StartElement, depth int) ([]*node, error) {
	var kids []*node
	for {
		t, err := p.x.next()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.CharData:
			if !isSpace(string(t)) {
				return nil, fmt.Errorf("text %q inside <%s>", truncate(string(t)), parent.Name.Local)
			}
		case xml.StartElement:
			n, err := p.element(t, depth+1)
			if err != nil {
				return nil, err
			}
			kids = append(kids, n)
		case xml.EndElement:
			return kids, nil
		}
	}
}

func (p *queryParser) element(se xml.StartElement, depth int) (*node, error) {
	switch se.Name.Local {
	case "and", "or":
		if depth > MaxDepth {
			return nil, fmt.Errorf("nested deeper than %d", MaxDepth)
		}
		if p.operators++; p.operators > MaxOperators {
			return nil, fmt.Errorf("more than %d <and>/<or> elements", MaxOperators)
		}
		if _, err := attrs(se); err != nil {
			return nil, err
		}
		kids, err := p.children(se, depth)
		if err != nil {
			return nil, err
		}
		if len(kids) == 0 {
			return nil, fmt.Errorf("empty <%s>", se.Name.Local)
		}
		return &node{or: se.Name.Local == "or", kids: kids}, nil
	case "clause":
		if p.clauses++; p.clauses > MaxClauses {
			return nil, fmt.Errorf("more than %d clauses", MaxClauses)
		}
		c, err := p.clause(se)
		if err != nil {
			return nil, err
		}
		return &node{c: c}, nil
	}
	return nil, fmt.Errorf("unknown element <%s>", se.Name.Local)
}

func (p *queryParser) clause(se xml.StartElement) (*clause, error) {
	m, err := attrs(se, "attrib", "type", "compare")
	if err != nil {
		return nil, err
	}
	c := &clause{attr: m["attrib"], op: opEqual}
	if !validName(c.attr) {
		return nil, fmt.Errorf("clause attrib %q is not 1 to %d letters and digits", truncate(c.attr), MaxNameLength)
	}
	var ok bool
	if c.typ, ok = parseType(m["type"]); !ok {
		return nil, fmt.Errorf("clause on %q: type %q is not string, int or date", c.attr, truncate(m["type"]))
	}
	if s, set := m["compare"]; set {
		if c.op, ok = compareNames[s]; !ok {
			return nil, fmt.Errorf("clause on %q: unknown compare %q", c.attr, truncate(s))
		}
	}
	v, err := p.x.text()
	if err != nil {
		return nil, err
	}
	if err := c.setValue(v); err != nil {
		return nil, fmt.Errorf("clause on %q: %w", c.attr, err)
	}
	return c, nil
}

func (c *clause) setValue(v string) error {
	var err error
	switch c.typ {
	case Int:
		c.num, err = parseInt(strings.Trim(v, xmlSpace))
		return err
	case Date:
		c.date, err = parseDate(strings.Trim(v, xmlSpace))
		return err
	}
	g, lit, wild, err := compileGlob(v)
	if err != nil {
		return err
	}
	if peername.UTF16Len(lit) > MaxValueLength {
		return fmt.Errorf("value longer than %d", MaxValueLength)
	}
	// A GUID given for peerrecordid or peerrecordtype is written the way
	// those attributes present it, so any form uuid.Parse knows matches.
	if !wild && isGUIDAttr(c.attr) {
		if u, err := uuid.Parse(lit); err == nil {
			lit = guidString(u)
			g = glob{segs: []segment{{{lit: lit}}}}
		}
	}
	c.pat, c.str = g, lit
	return nil
}

// isGUIDAttr reports whether name is a reserved attribute holding a GUID.
func isGUIDAttr(name string) bool {
	return strings.EqualFold(name, AttrRecordID) || strings.EqualFold(name, AttrRecordType)
}

// guidString writes a GUID as StringFromGUID2 does:
// {6B29FC40-CA47-1067-B31D-00DD010662DA}.
func guidString(u uuid.UUID) string {
	return "{" + strings.ToUpper(u.String()) + "}"
}
