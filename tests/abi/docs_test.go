package abi

import (
	"regexp"
	"strings"
	"testing"
)

// docCodeRe matches an HRESULT name a doc comment may list.
var docCodeRe = regexp.MustCompile(`\b(S_OK|E_[A-Z]+|PEER_[ES]_[A-Z_]+|HRESULT_FROM_WIN32\([A-Z_]+\))`)

// TestEveryFunctionIsDocumented checks that each of the 56 prototypes of
// p2p.h follows a comment that names the function and lists the HRESULTs
// it returns ("Returns ..."), each of them a code the header defines: the
// header is the reference a C programmer reads.
func TestEveryFunctionIsDocumented(t *testing.T) {
	h := readHeader(t)
	lines := strings.Split(readFile(t, headerPath), "\n")
	documented := 0
	for i, line := range lines {
		m := funcRe.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		name := m[2]
		if i == 0 || !strings.HasSuffix(strings.TrimSpace(lines[i-1]), "*/") {
			t.Errorf("%s: no comment right above its prototype", name)
			continue
		}
		start := i - 1
		for start > 0 && !strings.HasPrefix(strings.TrimSpace(lines[start]), "/*") {
			start--
		}
		doc := strings.Join(lines[start:i], "\n")
		if !strings.Contains(doc, name) {
			t.Errorf("%s: its comment does not name it", name)
		}
		if name != "PeerFreeData" && !strings.Contains(doc, "Returns") && !strings.Contains(doc, "same results") {
			t.Errorf("%s: its comment does not say what it returns", name)
		}
		for _, c := range docCodeRe.FindAllString(doc, -1) {
			if _, ok := h.defines[c]; !ok && !strings.HasPrefix(c, "HRESULT_FROM_WIN32(") {
				t.Errorf("%s: its comment names %s, which p2p.h does not define", name, c)
			}
		}
		documented++
	}
	if documented != 56 {
		t.Errorf("%d prototypes found, want 56", documented)
	}
}
