// Package password is how a password group checks its password without
// ever storing or sending it: the group keeps a verifier (an Argon2id key
// of the password under a random salt) that only members see, and a
// joiner proves it knows the password with an HMAC under that key, bound
// to the TLS session and to a fresh challenge, sent only to a member that
// has proved its own membership. An observer sees neither; a non-member
// can only guess online, against a rate limit.
package password

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"golang.org/x/crypto/argon2"

	"p2p/core/peererr"
	"p2p/core/peername"
)

// Params are the Argon2id costs of a verifier.
type Params struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory"`
	Lanes     uint8  `json:"lanes"`
}

// Default costs: RFC 9106's second recommended option (64 MiB).
var Default = Params{Time: 3, MemoryKiB: 64 * 1024, Lanes: 2}

// Check bounds the costs a peer may ask a joiner to pay.
func (p Params) Check() error {
	if p.Time < 1 || p.Time > 16 || p.Lanes < 1 || p.Lanes > 16 || p.MemoryKiB < 8*uint32(p.Lanes) || p.MemoryKiB > 256*1024 {
		return fmt.Errorf("password key derivation parameters out of bounds: %w", peererr.ErrInvalidArg)
	}
	return nil
}

// Verifier is what a group stores instead of its password.
type Verifier struct {
	Salt   []byte `json:"salt"`
	Params Params `json:"params"`
	Key    []byte `json:"key"`
}

// MaxLength bounds a password, in UTF-16 units, like other strings.
const MaxLength = 255

// New makes the verifier of a password. An empty or over-long password
// does not meet the policy.
func New(password string, p Params) (*Verifier, error) {
	if n := peername.UTF16Len(password); n == 0 || n > MaxLength {
		return nil, fmt.Errorf("password of %d characters: %w", n, peererr.ErrPasswordDoesNotMeetPolicy)
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return &Verifier{Salt: salt, Params: p, Key: Derive(password, salt, p)}, nil
}

// Derive computes the key of a password under a salt.
func Derive(password string, salt []byte, p Params) []byte {
	return argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Lanes, 32)
}

// Proof binds knowledge of key to one TLS session (its exported keying
// material), one challenge nonce and the joiner's identity.
func Proof(key, session, nonce []byte, joiner string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("p2p-password-proof-v1\x00"))
	m.Write(session)
	m.Write(nonce)
	m.Write([]byte(joiner))
	return m.Sum(nil)
}

// CheckProof reports, in constant time, whether proof was made with the
// verifier's key for this session, nonce and joiner.
func (v *Verifier) CheckProof(proof, session, nonce []byte, joiner string) bool {
	return hmac.Equal(proof, Proof(v.Key, session, nonce, joiner))
}
