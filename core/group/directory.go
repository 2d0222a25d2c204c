package group

import (
	"crypto/ed25519"
	"sort"

	"p2p/core/credential"
	"p2p/core/invitation"
)

// KnownMember is a member whose identity key this member knows: from its
// member record, or from the credential chain of the invitation this
// member joined with. A directory (the DHT) is searched for these, and
// what it returns is believed only if signed by that key.
type KnownMember struct {
	PeerName string
	Key      ed25519.PublicKey
}

// KnownMembers lists the members this member knows the key of, itself
// left out, the likeliest to be online first: those with a live presence
// record, then those the invitation it joined with names (its issuer,
// then the issuer's issuers up to the creator), then every other member,
// by peer name.
func (e *Engine) KnownMembers() []KnownMember {
	var out []KnownMember
	seen := map[string]bool{e.id.PeerName: true}
	add := func(name string, key ed25519.PublicKey) {
		if !seen[name] && len(key) == ed25519.PublicKeySize {
			seen[name] = true
			out = append(out, KnownMember{PeerName: name, Key: key})
		}
	}
	var chain credential.Chain
	if b, err := e.db.Meta(metaInvitation); err == nil {
		if inv, err := invitation.Parse(string(b)); err == nil {
			chain = inv.IssuerChain
			if inv.AuthScheme == invitation.AuthGMC && len(inv.Credential) > 1 {
				chain = inv.Credential[1:]
			}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	present := make([]string, 0, len(e.presence))
	for name := range e.presence {
		present = append(present, name)
	}
	sort.Strings(present)
	for _, name := range present {
		if m := e.members[name]; m != nil && m.Chain.Leaf() != nil {
			add(name, m.Chain.Leaf().Subject.Key)
		}
	}
	for _, c := range chain {
		add(c.Subject.PeerName, c.Subject.Key)
	}
	rest := make([]string, 0, len(e.members))
	for name := range e.members {
		rest = append(rest, name)
	}
	sort.Strings(rest)
	for _, name := range rest {
		if leaf := e.members[name].Chain.Leaf(); leaf != nil {
			add(name, leaf.Subject.Key)
		}
	}
	return out
}
