package search

import (
	"errors"
	"strings"
	"testing"

	"p2p/core/peererr"
)

// The examples of the "Record Search Query Format" page, verbatim.
const (
	// The <and> example; its second date, 2003-02-328, is not a date.
	pageAndExample = `<?xml version="1.0" encoding="utf-8" ?> 
<peersearch xmlns:xs="http://www.w3.org/2001/XMLSchema">
   <and>
      <clause attrib="peercreatorid" type="string" compare="equal">James Peters</clause>
      <or>
         <clause attrib="peerlastmodificationtime" type="date" compare="greater">2003-01-31</clause>
         <clause attrib="peercreationtime" type="date" compare="less">2003-02-328</clause>
      </or>
   </and>
</peersearch>`
	pageClauseExample = `<?xml version="1.0" encoding="utf-8" ?> 
<peersearch xmlns:xs="http://www.w3.org/2001/XMLSchema">
   <clause attrib="peercreatorid" type="string" compare="equal">James Peters</clause>
</peersearch>`
	pageOrExample = `<?xml version="1.0" encoding="utf-8" ?> 
<peersearch xmlns:xs="http://www.w3.org/2001/XMLSchema">
   <or>
      <clause attrib="peercreatorid" type="string" compare="equal">James Peters</clause>
      <and>
         <clause attrib="peerlastmodificationtime" type="date" compare="greater">2003-01-31</clause>
         <clause attrib="peerlastmodificationtime" type="date" compare="less">2003-02-28</clause>
      </and>
   </or>
</peersearch>`
	// "The following search query is incorrect".
	pageIncorrectExample = `<?xml version="1.0" encoding="utf-8" ?> 
<peersearch xmlns:xs="http://www.w3.org/2001/XMLSchema">
   <clause attrib="peercreatorid" type="string" compare="equal">James Peters</clause>
   <and>
      <clause attrib="peerlastmodificationtime" type="date" compare="greater">2003-01-31</clause>
      <clause attrib="peerlastmodificationtime" type="date" compare="less">2003-02-28</clause>
   </and>
</peersearch>`
	// "The following example shows you the successful query".
	pageSuccessfulExample = `<?xml version="1.0" encoding="utf-8" ?> 
<peersearch xmlns:xs="http://www.w3.org/2001/XMLSchema">
    <and>
      <clause attrib="peercreatorid" type="string" compare="equal">James Peters</clause>
      <and>
         <clause attrib="peerlastmodificationtime" type="date" compare="greater">2003-01-31</clause>
         <clause attrib="peerlastmodificationtime" type="date" compare="less">2003-02-28</clause>
      </and>
   </and>
</peersearch>`
	// The clauses of the "Special Characters" table.
	pageStarClause     = `<clause attrib="peercreatorid" type="string" compare="equal">James P*</clause>`
	pageQuestionClause = `<clause attrib="filename" type="string" compare="equal">data-0?.xml</clause>`
)

// pageAndExampleFixed is pageAndExample with the date it means.
var pageAndExampleFixed = strings.Replace(pageAndExample, "2003-02-328", "2003-02-28", 1)

func ps(body string) string { return "<peersearch>" + body + "</peersearch>" }

func cl(attrib, typ, compare, v string) string {
	s := `<clause attrib="` + attrib + `" type="` + typ + `"`
	if compare != "" {
		s += ` compare="` + compare + `"`
	}
	return s + ">" + v + "</clause>"
}

func nest(op string, depth int, inner string) string {
	return strings.Repeat("<"+op+">", depth) + inner + strings.Repeat("</"+op+">", depth)
}

func TestParseValid(t *testing.T) {
	tests := map[string]string{
		"page and example, date fixed": pageAndExampleFixed,
		"page clause example":          pageClauseExample,
		"page or example":              pageOrExample,
		"page successful example":      pageSuccessfulExample,
		"page star clause":             ps(pageStarClause),
		"page question clause":         ps(pageQuestionClause),
		"compare defaults to equal":    ps(cl("a", "int", "", "1")),
		"every compare": ps("<and>" + cl("a", "int", "equal", "1") + cl("a", "int", "notequal", "1") +
			cl("a", "int", "less", "1") + cl("a", "int", "lessorequal", "1") +
			cl("a", "int", "greater", "1") + cl("a", "int", "greaterorequal", "1") + "</and>"),
		"one child in and":          ps("<and>" + cl("a", "int", "", "1") + "</and>"),
		"empty string value":        ps(cl("a", "string", "", "")),
		"self-closed string clause": ps(`<clause attrib="a" type="string"/>`),
		"escapes":                   ps(cl("a", "string", "", `\*\?\\`)),
		"white space around int":    ps(cl("a", "int", "", "\n 12\t")),
		"default namespace":         `<peersearch xmlns="urn:x">` + cl("a", "int", "", "1") + `</peersearch>`,
		"comments and PIs":          `<!--c--><peersearch><!--c--><or><?p?>` + cl("a", "int", "", "1<!--c-->2") + `</or></peersearch><!--c-->`,
		"deepest nesting":           ps(nest("and", MaxDepth, cl("a", "int", "", "1"))),
		"most clauses":              ps("<or>" + strings.Repeat(cl("a", "int", "", "1"), MaxClauses) + "</or>"),
		"longest value":             ps(cl("a", "string", "", strings.Repeat(`\*`, MaxValueLength))),
		"unicode attrib":            ps(cl("Größe", "int", "", "1")),
		"utf-16 declaration":        `<?xml version="1.0" encoding="UTF-16"?>` + ps(cl("a", "int", "", "1")),
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(doc); err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	ok := cl("a", "int", "", "1")
	tests := map[string]string{
		"page and example verbatim (bad date)": pageAndExample,
		"page incorrect example":               pageIncorrectExample,
		"empty":                                "",
		"not XML":                              "peersearch",
		"white space":                          " ",
		"wrong root":                           `<search>` + ok + `</search>`,
		"root is a clause":                     ok,
		"empty peersearch":                     ps(""),
		"self-closed peersearch":               "<peersearch/>",
		"two children":                         ps(ok + ok),
		"text in peersearch":                   ps("x" + ok),
		"attribute on peersearch":              `<peersearch a="1">` + ok + `</peersearch>`,
		"two roots":                            ps(ok) + ps(ok),
		"text after root":                      ps(ok) + "x",
		"unclosed":                             "<peersearch>" + ok,
		"doctype":                              "<!DOCTYPE peersearch>" + ps(ok),
		"undeclared entity":                    ps(cl("a", "string", "", "&x;")),
		"empty and":                            ps("<and></and>"),
		"self-closed or":                       ps("<or/>"),
		"text in and":                          ps("<and>x" + ok + "</and>"),
		"attribute on or":                      ps(`<or x="1">` + ok + `</or>`),
		"unknown operator":                     ps("<not>" + ok + "</not>"),
		"unknown element":                      ps("<and><clauses/></and>"),
		"and inside clause":                    ps(`<clause attrib="a" type="string"><and>` + ok + `</and></clause>`),
		"missing attrib":                       ps(`<clause type="int">1</clause>`),
		"missing type":                         ps(`<clause attrib="a">1</clause>`),
		"empty attrib":                         ps(cl("", "int", "", "1")),
		"hyphen in attrib":                     ps(cl("a-b", "int", "", "1")),
		"attrib too long":                      ps(cl(strings.Repeat("a", MaxNameLength+1), "int", "", "1")),
		"unknown type":                         ps(cl("a", "bool", "", "1")),
		"type case":                            ps(cl("a", "Int", "", "1")),
		"unknown compare":                      ps(cl("a", "int", "like", "1")),
		"compare case":                         ps(cl("a", "int", "Equal", "1")),
		"empty compare":                        ps(`<clause attrib="a" type="int" compare="">1</clause>`),
		"extra XML attribute":                  ps(`<clause attrib="a" type="int" x="y">1</clause>`),
		"repeated XML attribute":               ps(`<clause attrib="a" type="int" type="int">1</clause>`),
		"bad int":                              ps(cl("a", "int", "", "1.5")),
		"empty int":                            ps(cl("a", "int", "", "")),
		"bad date":                             ps(cl("a", "date", "", "yesterday")),
		"value too long":                       ps(cl("a", "string", "", strings.Repeat("v", MaxValueLength+1))),
		"too deep":                             ps(nest("or", MaxDepth+1, ok)),
		"too many clauses":                     ps("<or>" + strings.Repeat(ok, MaxClauses+1) + "</or>"),
		"too many operators":                   ps("<or>" + strings.Repeat("<and>"+ok+"</and>", MaxOperators) + "</or>"),
		"too large":                            ps(ok) + strings.Repeat(" ", MaxCriteriaSize),
		"invalid UTF-8":                        ps(cl("a", "string", "", "\xff")),
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			q, err := Parse(doc)
			if !errors.Is(err, peererr.ErrInvalidSearch) {
				t.Fatalf("Parse = %v, %v; want ErrInvalidSearch", q, err)
			}
		})
	}
}

// The page: "If the character sequence is not valid, the
// PeerGroupSearchRecords function returns the error E_INVALIDARG."
func TestParseInvalidEscape(t *testing.T) {
	for _, v := range []string{`\`, `a\`, `\a`, `\n`, `\\\`, `James\ P*`, `\&amp;`} {
		q, err := Parse(ps(cl("a", "string", "equal", v)))
		if !errors.Is(err, peererr.ErrInvalidArg) || errors.Is(err, peererr.ErrInvalidSearch) {
			t.Errorf("value %q: Parse = %v, %v; want ErrInvalidArg alone", v, q, err)
		}
		if peererr.HResult(err) != peererr.ErrInvalidArg.HR {
			t.Errorf("value %q: HRESULT %#x", v, peererr.HResult(err))
		}
	}
}
