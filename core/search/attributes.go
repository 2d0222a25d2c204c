package search

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/record"
)

// Attribute is one <attribute> of a record's attribute XML. Exactly one
// of Str, Int and Date holds the value, as Type says; Date is in UTC.
type Attribute struct {
	Name string
	Type AttrType
	Str  string
	Int  int64
	Date time.Time
}

// ParseAttributes parses and validates a record's attribute XML, the
// pwzAttributes of PEER_RECORD, as the "Record Attribute Schema" page
// defines it:
//
//	<attributes>
//	  <attribute name="AuthenticationType" type="string">Kerberos</attribute>
//	  <attribute name="AuthExpires" type="date">2002-01-31</attribute>
//	</attributes>
//
// "" is valid and gives none (a NULL pwzAttributes). The schema makes the
// name and type of an attribute optional; an attribute without either
// means nothing, so we require both. A string value is kept exactly as
// written; int and date values may be surrounded by XML white space. An
// int is a decimal int64 with an optional sign.
//
// Malformed XML, unknown types, unparsable values, names that are not
// alphanumeric, duplicate names (compared without regard to case),
// reserved names and anything past the limits (MaxAttributes,
// MaxNameLength, MaxValueLength, record.MaxAttributesSize) wrap
// peererr.ErrInvalidAttributes, which PeerGroupAddRecord returns when the
// XML "does not comply with the schema specification".
func ParseAttributes(doc string) ([]Attribute, error) {
	if doc == "" {
		return nil, nil
	}
	attrs, err := parseAttributes(doc)
	if err != nil {
		return nil, fmt.Errorf("record attributes: %v: %w", err, peererr.ErrInvalidAttributes)
	}
	return attrs, nil
}

func parseAttributes(doc string) ([]Attribute, error) {
	if len(doc) > record.MaxAttributesSize {
		return nil, fmt.Errorf("document of %d bytes exceeds %d", len(doc), record.MaxAttributesSize)
	}
	x := newXMLDoc(doc)
	root, err := x.root()
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "attributes" {
		return nil, fmt.Errorf("root element <%s>, want <attributes>", root.Name.Local)
	}
	if _, err := attrs(root); err != nil {
		return nil, err
	}
	var list []Attribute
	for {
		t, err := x.next()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.CharData:
			if !isSpace(string(t)) {
				return nil, fmt.Errorf("text %q inside <attributes>", truncate(string(t)))
			}
		case xml.StartElement:
			if len(list) == MaxAttributes {
				return nil, fmt.Errorf("more than %d attributes", MaxAttributes)
			}
			a, err := parseAttribute(x, t)
			if err != nil {
				return nil, err
			}
			for _, b := range list {
				if strings.EqualFold(a.Name, b.Name) {
					return nil, fmt.Errorf("attribute %q defined twice", a.Name)
				}
			}
			list = append(list, a)
		case xml.EndElement:
			return list, x.end()
		}
	}
}

func parseAttribute(x *xmlDoc, se xml.StartElement) (Attribute, error) {
	if se.Name.Local != "attribute" {
		return Attribute{}, fmt.Errorf("element <%s> inside <attributes>", se.Name.Local)
	}
	m, err := attrs(se, "name", "type")
	if err != nil {
		return Attribute{}, err
	}
	a := Attribute{Name: m["name"]}
	if !validName(a.Name) {
		return Attribute{}, fmt.Errorf("attribute name %q is not 1 to %d letters and digits", truncate(a.Name), MaxNameLength)
	}
	if IsReserved(a.Name) {
		return Attribute{}, fmt.Errorf("attribute name %q is reserved", a.Name)
	}
	var ok bool
	if a.Type, ok = parseType(m["type"]); !ok {
		return Attribute{}, fmt.Errorf("attribute %q: type %q is not string, int or date", a.Name, truncate(m["type"]))
	}
	v, err := x.text()
	if err != nil {
		return Attribute{}, err
	}
	if peername.UTF16Len(v) > MaxValueLength {
		return Attribute{}, fmt.Errorf("attribute %q: value longer than %d", a.Name, MaxValueLength)
	}
	if err := a.setValue(v); err != nil {
		return Attribute{}, fmt.Errorf("attribute %q: %v", a.Name, err)
	}
	return a, nil
}

// setValue parses v as a's type.
func (a *Attribute) setValue(v string) error {
	var err error
	switch a.Type {
	case String:
		a.Str = v
	case Int:
		a.Int, err = parseInt(strings.Trim(v, xmlSpace))
	case Date:
		a.Date, err = parseDate(strings.Trim(v, xmlSpace))
	}
	return err
}

// parseInt reads a decimal int64 with an optional sign.
func parseInt(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a 64-bit integer", truncate(s))
	}
	return n, nil
}

// FormatAttributes writes attrs as an attribute document that
// ParseAttributes reads back to the same list (dates at their instant, in
// UTC). It checks the same rules, so what it writes is always valid; an
// empty list gives "". Errors wrap peererr.ErrInvalidAttributes.
func FormatAttributes(attrs []Attribute) (string, error) {
	if len(attrs) == 0 {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("<attributes>")
	for _, a := range attrs {
		var v string
		switch a.Type {
		case String:
			if !isXMLText(a.Str) {
				return "", fmt.Errorf("attribute %q: value is not XML text: %w", a.Name, peererr.ErrInvalidAttributes)
			}
			v = a.Str
		case Int:
			v = strconv.FormatInt(a.Int, 10)
		case Date:
			var err error
			if v, err = formatDate(a.Date); err != nil {
				return "", fmt.Errorf("attribute %q: date %v: %w", a.Name, a.Date, peererr.ErrInvalidAttributes)
			}
		default:
			return "", fmt.Errorf("attribute %q: type %d: %w", a.Name, a.Type, peererr.ErrInvalidAttributes)
		}
		b.WriteString(`<attribute name="`)
		xml.EscapeText(&b, []byte(a.Name))
		b.WriteString(`" type="`)
		b.WriteString(a.Type.String())
		b.WriteString(`">`)
		xml.EscapeText(&b, []byte(v))
		b.WriteString(`</attribute>`)
	}
	b.WriteString("</attributes>")
	doc := b.String()
	// Parsing what we wrote checks names, duplicates, limits and values
	// (e.g. a string that is not valid XML text) with the reader's rules.
	if _, err := ParseAttributes(doc); err != nil {
		return "", err
	}
	return doc, nil
}

// isXMLText reports whether s is valid UTF-8 of characters XML 1.0 allows
// (its Char production), so that it can be written and read back.
func isXMLText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9, r == 0xA, r == 0xD:
		case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// truncate shortens s for an error message.
func truncate(s string) string {
	n := 64
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
