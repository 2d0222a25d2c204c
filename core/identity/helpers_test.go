package identity

import (
	"testing"

	"p2p/core/peererr"
)

// cheapKDF keeps Argon2 fast in tests; the real parameters are checked
// by TestDefaultKDFParameters.
var cheapKDF = kdfParams{Time: 1, MemoryKiB: 64, Threads: 1}

// newTestStore opens a store in a fresh directory with a cheap KDF.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.kdf = cheapKDF
	return s
}

// mustCreate creates an identity or fails the test.
func mustCreate(t testing.TB, s *Store, classifier, friendly string) *Identity {
	t.Helper()
	id, err := s.Create(classifier, friendly)
	if err != nil {
		t.Fatalf("Create(%q, %q): %v", classifier, friendly, err)
	}
	return id
}

// wantCode fails unless err maps to code's HRESULT at the C boundary.
func wantCode(t testing.TB, what string, err error, code *peererr.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code.Name)
	}
	if hr := peererr.HResult(err); hr != code.HR {
		t.Fatalf("%s: HRESULT %#x (%v), want %s", what, hr, err, code.Name)
	}
}

// sameIdentity fails unless a and b are the same identity in every field.
func sameIdentity(t testing.TB, a, b *Identity) {
	t.Helper()
	if a.PeerName != b.PeerName || a.Classifier != b.Classifier || a.FriendlyName != b.FriendlyName ||
		!a.Key.Equal(b.Key) || string(a.CertDER) != string(b.CertDER) {
		t.Fatalf("identities differ:\n%+v\n%+v", a, b)
	}
}
