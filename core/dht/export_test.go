package dht

import (
	"crypto/rand"

	"golang.org/x/crypto/chacha20poly1305"
)

// SealPlain seals a plaintext of any content in the slot, as an insider
// who knows the group's secret could.
func (s *Slot) SealPlain(plain []byte) []byte {
	aead, _ := chacha20poly1305.NewX(s.seal)
	out := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plain)+aead.Overhead())
	rand.Read(out)
	return aead.Seal(out, out, plain, s.Target[:])
}

// SignedMessage is what the member's identity signs.
func (s *Slot) SignedMessage(signed []byte) []byte { return s.signedMessage(signed) }

const (
	PlainSize  = plainSize
	SignedSize = signedSize
)

// LastSeq is the highest sequence number the group published with.
func (g *Group) LastSeq() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lastSeq
}
