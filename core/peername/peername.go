// Package peername builds and checks peer names, the identifiers the
// Windows API gives identities and groups: "<40 hex digits>.<classifier>"
// for a secure name, the hex being the SHA-1 of the owner's public key, and
// "0.<classifier>" for an unsecured one.
package peername

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"p2p/core/peererr"
)

// Limits from the Windows documentation, in UTF-16 code units.
const (
	MaxClassifier   = 149 // classifier of an identity or group
	MaxGroupName    = 137 // group peer name
	MaxPeerName     = 256 // identity peer name, creator id
	MaxFriendlyName = 255 // friendly names and comments
	AuthorityLen    = 40  // hex digits of a secure name's authority
)

// Authority returns the 40 lower-case hex digits that name the owner of a
// public key: the SHA-1 of the key's bytes.
func Authority(publicKey []byte) string {
	sum := sha1.Sum(publicKey)
	return hex.EncodeToString(sum[:])
}

// Secure returns the secure peer name of publicKey with the classifier.
func Secure(publicKey []byte, classifier string) string {
	return Authority(publicKey) + "." + classifier
}

// Unsecured returns the unsecured peer name "0.<classifier>".
func Unsecured(classifier string) string { return "0." + classifier }

// CheckClassifier validates a classifier: any Unicode text of at most
// MaxClassifier UTF-16 units without control characters, as the Windows
// documentation allows. The empty classifier is valid.
func CheckClassifier(classifier string) error {
	if UTF16Len(classifier) > MaxClassifier {
		return fmt.Errorf("classifier of %d units: %w", UTF16Len(classifier), peererr.ErrClassifierTooLong)
	}
	for _, r := range classifier {
		if r == utf8.RuneError || r < ' ' || r == 0x7f {
			return fmt.Errorf("classifier %q: %w", classifier, peererr.ErrInvalidClassifier)
		}
	}
	return nil
}

// Parse splits a peer name into its authority ("0" for an unsecured name)
// and classifier, or fails with PEER_E_INVALID_PEER_NAME. A secure name
// may omit ".classifier"; an unsecured one may not.
func Parse(name string) (authority, classifier string, err error) {
	a, c, ok := strings.Cut(name, ".")
	if (!ok && a == "0") || UTF16Len(name) > MaxPeerName {
		return "", "", fmt.Errorf("peer name %q: %w", name, peererr.ErrInvalidPeerName)
	}
	if a != "0" {
		if len(a) != AuthorityLen || strings.ToLower(a) != a {
			return "", "", fmt.Errorf("peer name %q: %w", name, peererr.ErrInvalidPeerName)
		}
		if _, err := hex.DecodeString(a); err != nil {
			return "", "", fmt.Errorf("peer name %q: %w", name, peererr.ErrInvalidPeerName)
		}
	}
	if err := CheckClassifier(c); err != nil {
		return "", "", fmt.Errorf("peer name %q: %w", name, peererr.ErrInvalidPeerName)
	}
	return a, c, nil
}

// CheckFriendlyName validates a friendly name or comment: at most
// MaxFriendlyName UTF-16 units.
func CheckFriendlyName(name string) error {
	if UTF16Len(name) > MaxFriendlyName {
		return fmt.Errorf("friendly name of %d units: %w", UTF16Len(name), peererr.ErrInvalidFriendlyName)
	}
	return nil
}

// UTF16Len is the length of s in UTF-16 code units, the unit in which the
// Windows API states its limits.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
