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
// member can be reached.
type presenceData struct {
	NodeID    uint64           `json:"node"`
	Addresses []netip.AddrPort `json:"addrs"`
}

func decodePresence(b []byte) (*presenceData, bool) {
	var p presenceData
	if err := json.Unmarshal(b, &p); err != nil || len(p.Addresses) > 32 {
		return nil, false
	}
	return &p, true
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
	p := e.Properties()
	if p.Flags&FlagDisablePresence != 0 {
		return nil
	}
	b, _ := json.Marshal(presenceData{NodeID: nodeID, Addresses: addrs})
	exp := filetime.Now().Add(time.Duration(p.PresenceLifetime) * time.Second)
	return e.writeSystemFlags(PresenceType, presenceRecordID(e.groupName, e.id.PeerName), b, exp, record.FlagAutoRefresh)
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
	return e.storeLocal(r)
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
