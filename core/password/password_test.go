package password

import (
	"errors"
	"testing"

	"p2p/core/peererr"
)

var cheap = Params{Time: 1, MemoryKiB: 64, Lanes: 1}

func TestProof(t *testing.T) {
	v, err := New("s3cret", cheap)
	if err != nil {
		t.Fatal(err)
	}
	session, nonce := []byte("session"), []byte("nonce")
	good := Proof(Derive("s3cret", v.Salt, v.Params), session, nonce, "joiner.x")
	if !v.CheckProof(good, session, nonce, "joiner.x") {
		t.Fatal("right password refused")
	}
	for name, p := range map[string][]byte{
		"wrong password": Proof(Derive("S3cret", v.Salt, v.Params), session, nonce, "joiner.x"),
		"other session":  Proof(Derive("s3cret", v.Salt, v.Params), []byte("other"), nonce, "joiner.x"),
		"other nonce":    Proof(Derive("s3cret", v.Salt, v.Params), session, []byte("n2"), "joiner.x"),
		"other joiner":   Proof(Derive("s3cret", v.Salt, v.Params), session, nonce, "someone.x"),
		"truncated":      good[:31],
	} {
		if v.CheckProof(p, session, nonce, "joiner.x") {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestPolicy(t *testing.T) {
	for _, pw := range []string{"", string(make([]rune, 256))} {
		if _, err := New(pw, cheap); !errors.Is(err, peererr.ErrPasswordDoesNotMeetPolicy) {
			t.Errorf("password of %d runes: %v", len([]rune(pw)), err)
		}
	}
	if (Params{Time: 1, MemoryKiB: 1 << 30, Lanes: 1}).Check() == nil {
		t.Error("absurd memory cost accepted")
	}
}
