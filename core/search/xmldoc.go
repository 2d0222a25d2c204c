package search

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// xmlDoc walks one XML document token by token for the two small
// grammars of this package. It accepts what both pages' examples use (an
// XML declaration, namespace declarations, comments, processing
// instructions, entity and character references, CDATA) and refuses
// DOCTYPE declarations, undeclared entities and anything after the root.
type xmlDoc struct {
	d *xml.Decoder
}

func newXMLDoc(doc string) *xmlDoc {
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	// The text reached us already decoded (the C API takes UTF-16), so an
	// encoding="utf-16" or any other label in the declaration is moot.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	return &xmlDoc{d: d}
}

// next returns the next token, copied so it outlives the following call.
func (x *xmlDoc) next() (xml.Token, error) {
	t, err := x.d.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if _, ok := t.(xml.Directive); ok {
		return nil, errors.New("DOCTYPE and other directives are not allowed")
	}
	return xml.CopyToken(t), nil
}

// root skips the prolog and returns the root element's start tag.
func (x *xmlDoc) root() (xml.StartElement, error) {
	for {
		t, err := x.next()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if !isSpace(string(t)) {
				return xml.StartElement{}, errors.New("text before the root element")
			}
		}
	}
}

// end checks that only comments, processing instructions and white space
// follow the root element.
func (x *xmlDoc) end() error {
	for {
		t, err := x.d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return errors.New("more than one root element")
		case xml.CharData:
			if !isSpace(string(t)) {
				return errors.New("text after the root element")
			}
		case xml.Directive:
			return errors.New("directive after the root element")
		}
	}
}

// text reads the character content of the element whose start tag was
// just read, through its end tag. A child element is an error: both
// schemas give <attribute> and <clause> simple content, and the search
// page warns that tags inside a clause "result in an error".
func (x *xmlDoc) text() (string, error) {
	var b strings.Builder
	for {
		t, err := x.next()
		if err != nil {
			return "", err
		}
		switch t := t.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			return "", fmt.Errorf("element <%s> inside a value", t.Name.Local)
		case xml.EndElement:
			return b.String(), nil
		}
	}
}

// attrs returns the XML attributes of a start tag by local name, refusing
// any not in allowed, duplicates and namespaced ones. Namespace
// declarations (xmlns, xmlns:xs as in the pages' examples) are skipped.
func attrs(se xml.StartElement, allowed ...string) (map[string]string, error) {
	m := make(map[string]string, len(se.Attr))
	for _, a := range se.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		if a.Name.Space != "" || !contains(allowed, a.Name.Local) {
			return nil, fmt.Errorf("unexpected XML attribute %q on <%s>", a.Name.Local, se.Name.Local)
		}
		if _, dup := m[a.Name.Local]; dup {
			return nil, fmt.Errorf("XML attribute %q repeated on <%s>", a.Name.Local, se.Name.Local)
		}
		m[a.Name.Local] = a.Value
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// isSpace reports whether s is only XML white space.
func isSpace(s string) bool {
	return strings.Trim(s, xmlSpace) == ""
}

const xmlSpace = " \t\r\n"
