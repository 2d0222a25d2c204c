package group

import (
	"crypto/ed25519"
	"fmt"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/groupconfig"
	"p2p/core/identity"
	"p2p/core/peererr"
	"p2p/core/record"
)

// Config returns this member's configuration of the group, for
// PeerGroupExportConfig.
func (e *Engine) Config() (*groupconfig.Config, error) {
	if e.Closed() {
		return nil, fmt.Errorf("group %s is closed: %w", e.groupName, peererr.ErrInvalidGroup)
	}
	if len(e.Chain()) == 0 {
		return nil, fmt.Errorf("group %s: no credential yet: %w", e.groupName, peererr.ErrGroupNotReady)
	}
	chain, err := e.Chain().MarshalBinary()
	if err != nil {
		return nil, err
	}
	cfg := &groupconfig.Config{GroupPeerName: e.groupName, GroupKey: e.groupKey, Chain: chain, Ready: e.Ready()}
	if inv, err := e.db.Meta(metaInvitation); err == nil {
		cfg.Invitation = string(inv)
	}
	if b, err := e.db.Meta(metaProps); err == nil {
		cfg.Props = b
	}
	for _, rid := range []uuid.UUID{propertiesRecordID(e.groupName), MemberRecordID(e.groupName, e.id.PeerName)} {
		if r, err := e.db.Get(rid); err == nil {
			b, _ := r.MarshalBinary()
			cfg.Records = append(cfg.Records, b)
		}
	}
	return cfg, nil
}

// ImportConfig recreates a member's group database from an exported
// configuration; the records it lacks arrive when it connects.
func ImportConfig(id *identity.Identity, cfg *groupconfig.Config, path string) (*Engine, error) {
	chain, err := credential.ParseChain(cfg.Chain)
	if err != nil {
		return nil, fmt.Errorf("import configuration: %w", err)
	}
	leaf := chain.Leaf()
	if leaf.Subject.PeerName != id.PeerName || !leaf.Subject.Key.Equal(id.PublicKey()) {
		return nil, fmt.Errorf("import configuration: credential is not this identity's: %w", peererr.ErrInvalidCredential)
	}
	key := ed25519.PublicKey(cfg.GroupKey)
	if err := chain.Verify(cfg.GroupPeerName, key, leaf.NotBefore); err != nil {
		return nil, fmt.Errorf("import configuration: %w", err)
	}
	e, err := newEngine(id, cfg.GroupPeerName, key, chain, path)
	if err != nil {
		return nil, err
	}
	meta := map[string][]byte{
		metaIdentity: []byte(id.PeerName), metaGroupName: []byte(cfg.GroupPeerName),
		metaGroupKey: key, metaChain: cfg.Chain, metaReady: {0},
	}
	if cfg.Ready {
		meta[metaReady] = []byte{1}
	}
	if cfg.Invitation != "" {
		meta[metaInvitation] = []byte(cfg.Invitation)
	}
	var recs []*record.Record
	if len(cfg.Props) > 0 {
		if _, err := unmarshalProperties(cfg.Props); err != nil {
			e.Close()
			return nil, fmt.Errorf("import configuration: %w", err)
		}
		meta[metaProps] = cfg.Props
	}
	for _, b := range cfg.Records {
		var r record.Record
		if err := r.UnmarshalBinary(b); err != nil {
			e.Close()
			return nil, fmt.Errorf("import configuration: %w", err)
		}
		recs = append(recs, &r)
		if r.Type == PropertiesType {
			meta[metaProps] = r.Data
		}
	}
	if _, ok := meta[metaProps]; !ok {
		e.Close()
		return nil, fmt.Errorf("import configuration: no group properties: %w", peererr.ErrInvalidArg)
	}
	if err := e.db.SetMeta(meta); err != nil {
		e.Close()
		return nil, err
	}
	e.ready = cfg.Ready
	if err := e.loadState(); err != nil {
		e.Close()
		return nil, err
	}
	if _, _, err := e.Apply(recs, nil); err != nil {
		e.Close()
		return nil, err
	}
	e.start()
	return e, nil
}
