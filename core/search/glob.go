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
// backtracked across stars and the time is never exponential. Anchored
// segments are compared once. A floating segment of plain text is found
// with strings.Index, in linear time; one with "?" by a bit-parallel
// scan (shiftAnd) in O(len(text) * ceil(chars/64)). So a whole match
// takes O(len(text) + len(pattern)) for patterns made of text and stars,
// and at most O(len(text) * len(pattern) / 64) with "?" in the middle.
type glob struct {
	segs []segment
	// scan[i] finds segs[i] when it floats and holds a "?"; else nil.
	scan []*shiftAnd
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
	g.scan = make([]*shiftAnd, len(g.segs))
	for i := 1; i < len(g.segs)-1; i++ {
		g.scan[i] = newShiftAnd(g.segs[i])
	}
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
	for i := 1; i < len(g.segs)-1; i++ {
		var end int
		var ok bool
		if g.scan[i] != nil {
			end, ok = g.scan[i].find(rest)
		} else {
			end, ok = g.segs[i].find(rest)
		}
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

// find returns the end of the leftmost match in s of seg, which holds
// no "?": it is empty or one piece of text.
func (seg segment) find(s string) (int, bool) {
	if len(seg) == 0 {
		return 0, true
	}
	i := strings.Index(s, seg[0].lit)
	if i < 0 {
		return 0, false
	}
	return i + len(seg[0].lit), true
}

// shiftAnd finds a fixed-length segment with "?" in it by the Shift-And
// algorithm: bit i of the state says whether the segment's first i+1
// characters match the text ending at the current character, and one
// step is a shift and a mask, a word at a time. The mask of a text
// character is the "?" positions plus that character's own positions:
// kept as a bitset for characters at many positions and as a list for
// the rest, so memory stays O(chars) while a step costs O(chars/64).
type shiftAnd struct {
	n     int      // characters in the segment
	any   []uint64 // positions of "?"
	dense map[rune][]uint64
	list  map[rune][]int
}

func newShiftAnd(seg segment) *shiftAnd {
	pos := map[rune][]int{}
	n := 0
	var anyPos []int
	for _, p := range seg {
		if p.lit == "" {
			anyPos = append(anyPos, n)
			n++
			continue
		}
		for _, r := range p.lit {
			pos[r] = append(pos[r], n)
			n++
		}
	}
	if len(anyPos) == 0 {
		return nil // plain text: strings.Index does better
	}
	words := (n + 63) / 64
	m := &shiftAnd{n: n, any: bits(words, anyPos), dense: map[rune][]uint64{}, list: map[rune][]int{}}
	for r, ps := range pos {
		if len(ps) > words {
			m.dense[r] = bits(words, ps)
		} else {
			m.list[r] = ps
		}
	}
	return m
}

func bits(words int, pos []int) []uint64 {
	b := make([]uint64, words)
	for _, p := range pos {
		b[p/64] |= 1 << (p % 64)
	}
	return b
}

// find returns the end of the leftmost match in s. All matches are n
// characters long, so the first to end is also the first to start.
func (m *shiftAnd) find(s string) (int, bool) {
	words := len(m.any)
	shifted := make([]uint64, words)
	state := make([]uint64, words)
	last, lastBit := (m.n-1)/64, uint64(1)<<((m.n-1)%64)
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w
		carry := uint64(1) // a match may start at every character
		for j, b := range state {
			shifted[j] = b<<1 | carry
			carry = b >> 63
		}
		if d, ok := m.dense[r]; ok {
			for j := range state {
				state[j] = shifted[j] & (m.any[j] | d[j])
			}
		} else {
			for j := range state {
				state[j] = shifted[j] & m.any[j]
			}
			for _, p := range m.list[r] {
				state[p/64] |= shifted[p/64] & (1 << (p % 64))
			}
		}
		if state[last]&lastBit != 0 {
			return i, true
		}
	}
	return 0, false
}
