package group

import (
	"encoding/json"
	"net/netip"
	"time"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/invitation"
	"p2p/core/record"
	"p2p/core/store"
)

// presenceData is the payload of a presence record: where an online
// member can be reached. Addresses are every address worth dialling (all
// candidates'); members that know NAT traversal also publish their
// candidates with their kinds and whether they relay for others. Older
// members read Addresses only.
type presenceData struct {
	NodeID     uint64           `json:"node"`
	Addresses  []netip.AddrPort `json:"addrs"`
	Candidates []Candidate      `json:"cands,omitempty"`
	Relay      bool             `json:"relay,omitempty"`
}

// maxPresenceAddresses bounds the addresses and candidates of a presence
// record.
const maxPresenceAddresses = 32

func decodePresence(b []byte) (*presenceData, bool) {
	var p presenceData
	if err := json.Unmarshal(b, &p); err != nil || len(p.Addresses) > maxPresenceAddresses || len(p.Candidates) > maxPresenceAddresses {
		return nil, false
	}
	return &p, true
}

// Candidate kinds: how a member learned an address of its own.
const (
	CandidateHost      = "host"      // an address of one of its interfaces
	CandidateMapped    = "mapped"    // a port mapping on its gateway (UPnP-IGD, NAT-PMP)
	CandidateReflexive = "reflexive" // where members it connected to saw its packets come from
)

// Candidate is an address where a member may be reached, and how it
// learned it.
type Candidate struct {
	Addr netip.AddrPort `json:"a"`
	Kind string         `json:"k"`
}

// Presence is what a member publishes while online.
type Presence struct {
	NodeID     uint64
	Addresses  []netip.AddrPort // every address to dial, in order of preference
	Candidates []Candidate      // the same addresses with their kinds
	Relay      bool             // it relays for other members
}

// loadPresence reads the live presence records.
func (e *Engine) loadPresence() error {
	recs, err := e.db.List(store.Query{Type: &PresenceType, LiveAt: filetime.Now()})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if p, ok := decodePresence(r.Data); ok {
			e.presence[r.CreatorID] = p
		}
	}
	return nil
}

// presenceChanged updates the presence table for a stored or expired
// presence record and raises MEMBER_CHANGED CONNECTED or DISCONNECTED.
func (e *Engine) presenceChanged(r *record.Record, gone bool) {
	p, ok := decodePresence(r.Data)
	live := ok && !gone && !r.Deleted()
	e.mu.Lock()
	_, was := e.presence[r.CreatorID]
	if live {
		e.presence[r.CreatorID] = p
	} else {
		delete(e.presence, r.CreatorID)
	}
	e.mu.Unlock()
	switch {
	case live && !was:
		e.RaiseMember(event.MemberConnected, r.CreatorID)
	case !live && was:
		e.RaiseMember(event.MemberDisconnected, r.CreatorID)
	}
}

// PresenceRefresh is how often an online member renews its presence
// record: half its lifetime, so it never lapses while the member is up.
func (e *Engine) PresenceRefresh() time.Duration {
	p := e.Properties()
	return time.Duration(p.PresenceLifetime) * time.Second / 2
}

// PublishPresence announces that this member is online at addrs, unless
// the group disables presence. The record refreshes itself while online
// (PEER_RECORD_FLAG_AUTOREFRESH) and lapses after the presence lifetime
// if the member vanishes.
func (e *Engine) PublishPresence(nodeID uint64, addrs []netip.AddrPort) error {
	return e.PublishPresenceInfo(Presence{NodeID: nodeID, Addresses: addrs})
}

// PublishPresenceInfo is PublishPresence with the member's candidates
// and relay setting.
func (e *Engine) PublishPresenceInfo(pr Presence) error {
	p := e.Properties()
	if p.Flags&FlagDisablePresence != 0 {
		return nil
	}
	if len(pr.Addresses) > maxPresenceAddresses {
		pr.Addresses = pr.Addresses[:maxPresenceAddresses]
	}
	if len(pr.Candidates) > maxPresenceAddresses {
		pr.Candidates = pr.Candidates[:maxPresenceAddresses]
	}
	b, _ := json.Marshal(presenceData(pr))
	exp := filetime.Now().Add(time.Duration(p.PresenceLifetime) * time.Second)
	return e.writeSystemFlags(PresenceType, presenceRecordID(e.groupName, e.id.PeerName), b, exp, record.FlagAutoRefresh, nil)
}

// WithdrawPresence replaces this member's presence record with a
// tombstone, so the others see it leave at once.
func (e *Engine) WithdrawPresence() error {
	id := presenceRecordID(e.groupName, e.id.PeerName)
	cur, err := e.db.Get(id)
	if err != nil || cur.Deleted() {
		return nil
	}
	r := cur.Clone()
	r.Version++
	r.Flags = record.FlagDeleted
	r.Modified = later(filetime.Now(), cur.Modified)
	r.Data = nil
	r.Sign(e.groupName, e.id.Key)
	return e.storeLocal(r, nil)
}

// Candidates are addresses where other members may be: those in the
// invitation this member joined with and those in live presence records
// of other members.
func (e *Engine) Candidates() []netip.AddrPort {
	var out []netip.AddrPort
	if b, err := e.db.Meta(metaInvitation); err == nil {
		if inv, err := invitation.Parse(string(b)); err == nil {
			out = append(out, inv.Addresses...)
		}
	}
	e.mu.Lock()
	for name, p := range e.presence {
		if name != e.id.PeerName {
			out = append(out, p.Addresses...)
		}
	}
	e.mu.Unlock()
	return out
}

// presenceOf reports a member's node id and addresses if it is online.
func (e *Engine) presenceOf(peerName string) (uint64, []netip.AddrPort, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if peerName == e.id.PeerName && e.status == 0 {
		return 0, nil, false
	}
	p, ok := e.presence[peerName]
	if !ok {
		return 0, nil, false
	}
	return p.NodeID, p.Addresses, true
}

// MemberPresence returns what an online member published: its node id,
// addresses, candidates and whether it relays.
func (e *Engine) MemberPresence(peerName string) (Presence, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.presence[peerName]
	if !ok || peerName == e.id.PeerName {
		return Presence{}, false
	}
	return Presence{NodeID: p.NodeID, Addresses: p.Addresses, Candidates: p.Candidates, Relay: p.Relay}, true
}

// PresentMembers lists the other members online now, by peer name.
func (e *Engine) PresentMembers() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.presence))
	for name := range e.presence {
		if name != e.id.PeerName {
			out = append(out, name)
		}
	}
	return out
}
