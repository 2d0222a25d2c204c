package search

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// The "Special Characters" table of the "Record Search Query Format" page:
//
//	*    "matches 0-n characters of any value, including whitespace and
//	     nonalphanumeric characters"
//	?    "matches any single character"
//	\*   "matches an asterisk character"
//	\?   "matches a question mark character"
//	\\   "matches a single backslash character"
//
// "An invalid sequence is any sequence that contains a "\" (backslash)
// character not immediately followed by either an "*" (asterisk)
// character, a "?" (question mark) character, or another "\" (backslash)
// character", for which PeerGroupSearchRecords "returns the error
// E_INVALIDARG". A character is a Unicode code point.

var errEscape = errors.New(`backslash not followed by "*", "?" or "\"`)

// piece is one step of a segment: a literal string, or (lit == "") one
// character matched by "?".
type piece struct{ lit string }

// segment is the part of a pattern between two stars: fixed-length.
type segment []piece

// glob is a compiled clause value. A pattern without a star is one
// segment that must match the whole text; with stars, the first segment
// is anchored at the start, the last at the end, and the ones between
// float.
//
// Matching is greedy: each floating segment takes its leftmost
// occurrence, which is never worse than a later one, so nothing is
// backtracked across stars. The time is O(len(text) + len(pattern)) when
// segments are plain text (strings.Index is linear) and at most
// O(len(text) * len(pattern)) when they contain "?"; never exponential.
type glob struct {
	segs []segment
}

// compileGlob resolves the escapes of a clause value. It returns the
// pattern, the literal text the value stands for when read without
// wildcards (used by the ordering comparisons), and whether the value
// holds any unescaped wildcard.
func compileGlob(v string) (g glob, lit string, wild bool, err error) {
	var all, cur strings.Builder
	seg := segment{}
	flush := func() {
		if cur.Len() > 0 {
			seg = append(seg, piece{lit: cur.String()})
			cur.Reset()
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\\':
			if i+1 == len(v) || (v[i+1] != '*' && v[i+1] != '?' && v[i+1] != '\\') {
				return glob{}, "", false, errEscape
			}
			i++
			cur.WriteByte(v[i])
			all.WriteByte(v[i])
		case '*':
			wild = true
			all.WriteByte(c)
			flush() // "**" leaves an empty segment, which matches at once

			g.segs = append(g.segs, seg)
			seg = segment{}
		case '?':
			wild = true
			all.WriteByte(c)
			flush()
			seg = append(seg, piece{})
		default:
			cur.WriteByte(c)
			all.WriteByte(c)
		}
	}
	flush()
	g.segs = append(g.segs, seg)
	return g, all.String(), wild, nil
}

// match reports whether the whole of s matches g.
func (g glob) match(s string) bool {
	first := g.segs[0]
	if len(g.segs) == 1 {
		end, ok := first.matchAt(s, 0)
		return ok && end == len(s)
	}
	pos, ok := first.matchAt(s, 0)
	if !ok {
		return false
	}
	// The last segment matches a fixed number of characters, so where it
	// must start is known: that many characters back from the end.
	last := g.segs[len(g.segs)-1]
	start := len(s)
	for range last.chars() {
		if start <= pos {
			return false
		}
		_, w := utf8.DecodeLastRuneInString(s[:start])
		start -= w
	}
	if start < pos {
		return false
	}
	if end, ok := last.matchAt(s, start); !ok || end != len(s) {
		return false
	}
	rest := s[pos:start]
	for _, seg := range g.segs[1 : len(g.segs)-1] {
		end, ok := seg.find(rest)
		if !ok {
			return false
		}
		rest = rest[end:]
	}
	return true
}

// chars is the number of characters seg matches.
func (seg segment) chars() int {
	n := 0
	for _, p := range seg {
		if p.lit == "" {
			n++
		} else {
			n += utf8.RuneCountInString(p.lit)
		}
	}
	return n
}

// matchAt matches seg against s from byte i and returns where it ends.
func (seg segment) matchAt(s string, i int) (int, bool) {
	for _, p := range seg {
		if p.lit == "" {
			if i >= len(s) {
				return 0, false
			}
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
			continue
		}
		if !strings.HasPrefix(s[i:], p.lit) {
			return 0, false
		}
		i += len(p.lit)
	}
	return i, true
}

// find returns the end of the leftmost match of seg in s.
func (seg segment) find(s string) (int, bool) {
	if len(seg) == 0 {
		return 0, true
	}
	lead := seg[0].lit
	for i := 0; i <= len(s); {
		if lead != "" {
			j := strings.Index(s[i:], lead)
			if j < 0 {
				return 0, false
			}
			i += j
		}
		if end, ok := seg.matchAt(s, i); ok {
			return end, true
		}
		if i == len(s) {
			break
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return 0, false
}
