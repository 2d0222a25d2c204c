package peername

import (
	"errors"
	"strings"
	"testing"

	"p2p/core/peererr"
)

// TestSecureNames: the authority is the SHA-1 of the key in lower-case
// hex, and Parse takes back what Secure builds.
func TestSecureNames(t *testing.T) {
	key := []byte("an example public key")
	name := Secure(key, "chat")
	a, c, err := Parse(name)
	if err != nil || a != Authority(key) || c != "chat" || len(a) != AuthorityLen {
		t.Fatalf("Parse(%q) = %q, %q, %v", name, a, c, err)
	}
	if Authority(key) == Authority([]byte("another key")) {
		t.Fatal("two keys share an authority")
	}
	if a, c, err := Parse(Authority(key)); err != nil || a != Authority(key) || c != "" {
		t.Errorf("a secure name without classifier: %q, %q, %v", a, c, err)
	}
	if a, c, err := Parse(Unsecured("x")); err != nil || a != "0" || c != "x" {
		t.Errorf("an unsecured name: %q, %q, %v", a, c, err)
	}
}

// TestParseRefuses every malformed name with PEER_E_INVALID_PEER_NAME.
func TestParseRefuses(t *testing.T) {
	auth := Authority([]byte("k"))
	for _, name := range []string{
		"",
		"0",                          // unsecured needs a classifier
		auth[:39] + ".x",             // short authority
		auth + "0.x",                 // long authority
		strings.ToUpper(auth) + ".x", // upper-case hex
		"g" + auth[1:] + ".x",        // not hex
		auth + ".a\x01b",             // control character in the classifier
		auth + "." + strings.Repeat("c", MaxClassifier+1),
		auth + ".\xff", // invalid UTF-8
		strings.Repeat("0", MaxPeerName+1),
	} {
		if _, _, err := Parse(name); !errors.Is(err, peererr.ErrInvalidPeerName) {
			t.Errorf("Parse(%q): %v, want PEER_E_INVALID_PEER_NAME", name, err)
		}
	}
}

// TestLimitsInUTF16Units: the documented limits count UTF-16 units, so a
// character outside the BMP counts twice.
func TestLimitsInUTF16Units(t *testing.T) {
	if n := UTF16Len("a\u00e9\U0001F600"); n != 4 {
		t.Errorf("UTF16Len = %d, want 4", n)
	}
	if err := CheckClassifier(strings.Repeat("c", MaxClassifier)); err != nil {
		t.Errorf("a classifier at the limit: %v", err)
	}
	long := strings.Repeat("c", MaxClassifier-1) + "\U0001F600"
	if err := CheckClassifier(long); !errors.Is(err, peererr.ErrClassifierTooLong) {
		t.Errorf("a classifier one unit over: %v", err)
	}
	if err := CheckClassifier("tab\there"); !errors.Is(err, peererr.ErrInvalidClassifier) {
		t.Errorf("a classifier with a tab: %v", err)
	}
	if err := CheckFriendlyName(strings.Repeat("\u00e9", MaxFriendlyName)); err != nil {
		t.Errorf("a friendly name at the limit: %v", err)
	}
	if err := CheckFriendlyName(strings.Repeat("\U0001F600", MaxFriendlyName/2+1)); !errors.Is(err, peererr.ErrInvalidFriendlyName) {
		t.Errorf("a friendly name over the limit: %v", err)
	}
}
