package search

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// refMatch is the textbook dynamic-programming wildcard matcher over
// code points, the reference the fast matcher is checked against. It
// reads escapes the same way: pattern tokens are (rune, kind).
func refMatch(pattern, s string) bool {
	type tok struct {
		r    rune
		kind byte // 'l' literal, '*', '?'
	}
	var p []tok
	pr := []rune(pattern)
	for i := 0; i < len(pr); i++ {
		switch pr[i] {
		case '\\':
			i++
			p = append(p, tok{pr[i], 'l'})
		case '*', '?':
			p = append(p, tok{kind: byte(pr[i])})
		default:
			p = append(p, tok{pr[i], 'l'})
		}
	}
	t := []rune(s)
	// prev[j]: p[:i] matches t[:j].
	prev := make([]bool, len(t)+1)
	prev[0] = true
	for _, k := range p {
		cur := make([]bool, len(t)+1)
		for j := 0; j <= len(t); j++ {
			switch k.kind {
			case '*':
				cur[j] = prev[j] || (j > 0 && cur[j-1])
			case '?':
				cur[j] = j > 0 && prev[j-1]
			default:
				cur[j] = j > 0 && prev[j-1] && t[j-1] == k.r
			}
		}
		prev = cur
	}
	return prev[len(t)]
}

func mustGlob(t testing.TB, p string) glob {
	t.Helper()
	g, _, _, err := compileGlob(p)
	if err != nil {
		t.Fatalf("compileGlob(%q): %v", p, err)
	}
	return g
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"a", "a", true},
		{"a", "ab", false},
		{"*", "", true},
		{"*", "anything at all", true},
		{"**", "", true},
		{"?", "", false},
		{"?", "é", true},
		{"?", "😀", true},
		{"??", "😀", false},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"*b*", "abc", true},
		{"*d*", "abc", false},
		{"a*c", "ac", true},
		{"a*c", "abbbc", true},
		{"a*c", "abcb", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
		{"ab*ba", "aba", false}, // prefix and suffix may not overlap
		{"ab*ba", "abba", true},
		{"*a?c*", "xxabcxx", true},
		{"*a?c*", "xxacxx", false},
		{"*?", "", false},
		{"*?*", "x", true},
		{"a*?*b", "ab", false},
		{"a*?*b", "axb", true},
		{`\*`, "*", true},
		{`\*`, "a", false},
		{`\?`, "?", true},
		{`\?`, "a", false},
		{`\\`, `\`, true},
		{`*\**`, "a*b", true},
		{`*\**`, "ab", false},
		{"*aab", "aaab", true},
		{"*aab*", "abaab", true},
		{"*a?a*", "aXbaYa", true},
		{"*?b?*", "abc", true},
	}
	for _, tt := range tests {
		if got := mustGlob(t, tt.pattern).match(tt.s); got != tt.want {
			t.Errorf("glob %q on %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
		if got := refMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("reference %q on %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestCompileGlob(t *testing.T) {
	tests := []struct {
		v, lit string
		wild   bool
	}{
		{"", "", false},
		{"plain", "plain", false},
		{`a\*b\?c\\d`, `a*b?c\d`, false},
		{"a*b", "a*b", true},
		{"a?b", "a?b", true},
		{`\\*`, `\*`, true},
	}
	for _, tt := range tests {
		_, lit, wild, err := compileGlob(tt.v)
		if err != nil || lit != tt.lit || wild != tt.wild {
			t.Errorf("compileGlob(%q) = %q, %v, %v; want %q, %v", tt.v, lit, wild, err, tt.lit, tt.wild)
		}
	}
	for _, bad := range []string{`\`, `\a`, `a\`, `\\\`, `\ `} {
		if _, _, _, err := compileGlob(bad); !errors.Is(err, errEscape) {
			t.Errorf("compileGlob(%q) err = %v", bad, err)
		}
	}
}

// TestGlobRandom checks the fast matcher against the reference on random
// patterns and texts over a small alphabet, where matches are common.
func TestGlobRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "é", "😀"}
	pick := func(n int, extra ...string) string {
		var b strings.Builder
		set := append(append([]string(nil), alphabet...), extra...)
		for range rng.IntN(n) {
			b.WriteString(set[rng.IntN(len(set))])
		}
		return b.String()
	}
	for range 20000 {
		p := pick(8, "*", "?", "*", `\*`, `\?`, `\\`)
		s := pick(10, "*", "?", `\`)
		if got, want := mustGlob(t, p).match(s), refMatch(p, s); got != want {
			t.Fatalf("glob %q on %q = %v, reference %v", p, s, got, want)
		}
	}
}

// TestGlobRandomLong does the same with floating segments longer than a
// machine word, so the bit-parallel scan carries across words and uses
// both its dense and its listed masks.
func TestGlobRandomLong(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// Half the segments are only "a" and "?", which a text of mostly "a"
	// often matches; the rest add "b" and other characters.
	seg := func() string {
		var b strings.Builder
		noisy := rng.IntN(2) == 0
		for range 1 + rng.IntN(150) {
			switch x := rng.IntN(20); {
			case x < 6:
				b.WriteByte('?')
			case x < 18 || !noisy:
				b.WriteByte('a')
			case x < 19:
				b.WriteByte('b')
			default:
				b.WriteRune(rune('c' + rng.IntN(200)))
			}
		}
		return b.String()
	}
	matched := 0
	for range 2000 {
		p := "*" + seg() + "*"
		if rng.IntN(2) == 0 {
			p += seg() + "*"
		}
		var b strings.Builder
		for range rng.IntN(400) {
			if rng.IntN(20) == 0 {
				b.WriteByte('b')
			} else {
				b.WriteByte('a')
			}
		}
		s := b.String()
		got, want := mustGlob(t, p).match(s), refMatch(p, s)
		if got != want {
			t.Fatalf("glob %q on %q = %v, reference %v", p, s, got, want)
		}
		if got {
			matched++
		}
	}
	t.Logf("%d of 2000 matched", matched)
	if matched < 100 || matched > 1900 {
		t.Fatalf("%d of 2000 matched: the cases test too little", matched)
	}
}

// TestGlobPathological runs patterns that make backtracking matchers
// exponential (or quadratic) against long texts. The matcher must finish
// each in well under the deadline; a backtracking one would not finish
// at all.
func TestGlobPathological(t *testing.T) {
	long := strings.Repeat("a", 1<<20)
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{strings.Repeat("*a", 2000) + "*b", long, false},
		{strings.Repeat("*a", 2000) + "*", long, true},
		{strings.Repeat("a*", 2000) + "b", long, false},
		{"*" + strings.Repeat("a", 1000) + "b*", long, false},
		{strings.Repeat("*?", 2000) + "b", long, false},
		{strings.Repeat("*a?", 1000) + "*", long, true},
		{"*" + strings.Repeat("a?", 1000) + "c*", long[:1<<16], false},
		{"*" + strings.Repeat("?a", 1000) + "*", long, true},
	}
	for _, tt := range tests {
		start := time.Now()
		if got := mustGlob(t, tt.pattern).match(tt.s); got != tt.want {
			t.Errorf("pattern %.20q...: got %v, want %v", tt.pattern, got, tt.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("pattern %.20q... took %v", tt.pattern, d)
		}
	}
	// The same through the public API at the documented limits: the
	// longest pattern against the longest value, for every clause a query
	// may hold.
	for _, pattern := range []string{
		strings.Repeat("*a", MaxValueLength/2-1) + "*b",
		"*" + strings.Repeat("a?", MaxValueLength/2-2) + "c*",
	} {
		c := cl("v", "string", "", pattern)
		q, err := Parse(ps("<or>" + strings.Repeat(c, (MaxCriteriaSize-100)/len(c)) + "</or>"))
		if err != nil {
			t.Fatal(err)
		}
		attrs := []Attribute{{Name: "v", Type: String, Str: strings.Repeat("a", MaxValueLength)}}
		start := time.Now()
		if q.Match(attrs, nil) {
			t.Fatal("matched")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Match took %v", d)
		}
	}
}

func BenchmarkGlobStars(b *testing.B) {
	g := mustGlob(b, strings.Repeat("*a", MaxValueLength/2-1)+"*b")
	s := strings.Repeat("a", MaxValueLength)
	for b.Loop() {
		g.match(s)
	}
}

// BenchmarkGlobQuestions is the worst case: a long floating segment with
// "?" that almost matches at every position.
func BenchmarkGlobQuestions(b *testing.B) {
	g := mustGlob(b, "*"+strings.Repeat("a?", MaxValueLength/2-2)+"c*")
	s := strings.Repeat("a", MaxValueLength)
	for b.Loop() {
		g.match(s)
	}
}
