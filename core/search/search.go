// Package search implements the two XML formats of the Peer Grouping
// API's record attributes and record search:
//
//   - the "Record Attribute Schema" page: the pwzAttributes XML of
//     PEER_RECORD, an <attributes> list of typed <attribute name= type=>
//     values (ParseAttributes);
//   - the "Record Search Query Format" page: the pwzCriteria XML of
//     PeerGroupSearchRecords, a <peersearch> tree of <and>, <or> and
//     <clause> elements (Parse, Query.Match).
//
// Where those pages are silent (case, limits, what a missing attribute
// means) this package makes one documented choice, stated beside the code
// that implements it. Everything an outside party controls is bounded, so
// parsing and matching take time and memory linear in what is bounded.
package search

import (
	"strings"
	"unicode"

	"p2p/core/peername"
)

// Limits on attribute documents and search criteria. Microsoft's pages
// state none; these are ours, generous for real use and small enough that
// a hostile record or query cannot make a search expensive. Lengths are in
// UTF-16 code units, the unit of the Windows API.
const (
	// MaxAttributes is the most <attribute> elements one record may carry.
	MaxAttributes = 128
	// MaxNameLength bounds an attribute name (and a clause's attrib).
	MaxNameLength = 256
	// MaxValueLength bounds an attribute value and a clause value (after
	// its escapes are resolved).
	MaxValueLength = 4096
	// MaxCriteriaSize bounds a search criteria document, in bytes of UTF-8.
	MaxCriteriaSize = 64 << 10
	// MaxDepth bounds the nesting of <and>/<or> elements below <peersearch>.
	MaxDepth = 32
	// MaxClauses bounds the <clause> elements of one query.
	MaxClauses = 256
	// MaxOperators bounds the <and>/<or> elements of one query.
	MaxOperators = 256
)

// Names of the attributes the Peer Infrastructure reserves. The "Record
// Attribute Schema" and "Record Search Query Format" pages and PEER_RECORD's
// pwzAttributes list exactly these (peerlastmodificationtime twice): a
// record may not define them, and a search answers them from the record.
const (
	AttrCreatorID        = "peercreatorid"            // string: PEER_RECORD.pwzCreatorId
	AttrLastModifiedBy   = "peerlastmodifiedby"       // string: PEER_RECORD.pwzModifiedById
	AttrCreationTime     = "peercreationtime"         // date: PEER_RECORD.ftCreation
	AttrLastModification = "peerlastmodificationtime" // date: PEER_RECORD.ftLastModified
	AttrRecordID         = "peerrecordid"             // string: PEER_RECORD.id as a GUID string
	AttrRecordType       = "peerrecordtype"           // string: PEER_RECORD.type as a GUID string
)

var reservedNames = [...]string{
	AttrCreatorID, AttrLastModifiedBy, AttrCreationTime,
	AttrLastModification, AttrRecordID, AttrRecordType,
}

// IsReserved reports whether name is one of the reserved attribute names.
// Attribute names compare without regard to case (the pages do not say;
// we fold case so "PeerCreatorId" can neither shadow nor fake the
// reserved attribute).
func IsReserved(name string) bool {
	return reservedIndex(name) >= 0
}

func reservedIndex(name string) int {
	for i, r := range reservedNames {
		if strings.EqualFold(name, r) {
			return i
		}
	}
	return -1
}

// validName checks an attribute name or a clause's attrib. Both schemas
// type it "\c+", and the "Record Attribute Schema" page narrows that:
// "Attribute names must be sequences of alphanumeric characters. Special
// characters like hyphens ("-") and underscores ("_") are not allowed".
// Letters and digits of any script count as alphanumeric.
func validName(name string) bool {
	if name == "" || peername.UTF16Len(name) > MaxNameLength {
		return false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// AttrType is an attribute's declared type: the "type" of an <attribute>
// or of a <clause>.
type AttrType int

// The three types the "Record Attribute Schema" page defines: "int is an
// integer value", "date is a datetime value represented as one of the
// standard formats described at http://www.w3.org/TR/NOTE-datetime",
// "string is a Unicode string value".
const (
	String AttrType = iota + 1
	Int
	Date
)

// String returns the type's name as the XML spells it.
func (t AttrType) String() string {
	switch t {
	case String:
		return "string"
	case Int:
		return "int"
	case Date:
		return "date"
	}
	return "invalid"
}

// parseType maps the XML spelling to an AttrType; the schemas' enumerations
// are case-sensitive, so "String" is not a type.
func parseType(s string) (AttrType, bool) {
	switch s {
	case "string":
		return String, true
	case "int":
		return Int, true
	case "date":
		return Date, true
	}
	return 0, false
}
