package group

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/password"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// Property flags, as PEER_GROUP_PROPERTY_FLAGS.
const (
	FlagMemberDataOptional uint32 = 0x1
	FlagDisablePresence    uint32 = 0x2
	FlagDeferExpiration    uint32 = 0x4
	knownFlags                    = FlagMemberDataOptional | FlagDisablePresence | FlagDeferExpiration
)

// Authentication schemes, as PEER_GROUP_AUTHENTICATION_SCHEME.
const (
	AuthGMC      uint32 = 0x1
	AuthPassword uint32 = 0x2
)

// Lifetimes from the PEER_GROUP_PROPERTIES page: member data lives 8
// hours to 10 years (28 days by default, 0 meaning as long as the
// member's credential); presence 300 s by default and never less.
const (
	MinMemberDataLifetime     = 8 * 60 * 60
	MaxMemberDataLifetime     = 10 * 365 * 24 * 60 * 60
	DefaultMemberDataLifetime = 2419200
	DefaultPresenceLifetime   = 300
	DefaultCloud              = "global"
)

// Properties mirrors PEER_GROUP_PROPERTIES.
type Properties struct {
	Flags              uint32    `json:"flags"`
	Cloud              string    `json:"cloud"`
	Classifier         string    `json:"classifier"`
	GroupPeerName      string    `json:"groupPeerName"`
	CreatorPeerName    string    `json:"creatorPeerName"`
	FriendlyName       string    `json:"friendlyName"`
	Comment            string    `json:"comment"`
	MemberDataLifetime uint32    `json:"memberDataLifetime"`
	PresenceLifetime   uint32    `json:"presenceLifetime"`
	AuthSchemes        uint32    `json:"authSchemes"`
	PasswordRole       uuid.UUID `json:"passwordRole"`
	// Verifier is how members check the group password (password
	// groups only); only members ever see it.
	Verifier *password.Verifier `json:"verifier,omitempty"`
	// Password is input only (PeerGroupCreate, PeerGroupSetProperties): it
	// is never stored or sent in clear, and never returned.
	Password string `json:"-"`
}

// withDefaults fills the fields the documentation gives defaults for.
func (p Properties) withDefaults() Properties {
	if p.Cloud == "" {
		p.Cloud = DefaultCloud
	}
	if p.PresenceLifetime == 0 {
		p.PresenceLifetime = DefaultPresenceLifetime
	}
	if p.AuthSchemes == 0 {
		p.AuthSchemes = AuthGMC
	}
	if p.AuthSchemes&AuthPassword != 0 && p.PasswordRole == uuid.Nil {
		p.PasswordRole = credential.RoleMember
	}
	return p
}

// validate checks the settable fields; every failure wraps
// PEER_E_INVALID_GROUP_PROPERTIES unless the documentation names a more
// precise code.
func (p *Properties) validate() error {
	bad := func(what string) error {
		return fmt.Errorf("group properties: %s: %w", what, peererr.ErrInvalidGroupProperties)
	}
	if p.Flags&^knownFlags != 0 {
		return bad(fmt.Sprintf("unknown flags %#x", p.Flags&^knownFlags))
	}
	if err := peername.CheckClassifier(p.Classifier); err != nil {
		return err
	}
	if peername.UTF16Len(p.Cloud) > peername.MaxFriendlyName {
		return bad("cloud name too long")
	}
	if err := peername.CheckFriendlyName(p.FriendlyName); err != nil {
		return err
	}
	if peername.UTF16Len(p.Comment) > peername.MaxFriendlyName {
		return bad("comment too long")
	}
	if l := p.MemberDataLifetime; l != 0 && (l < MinMemberDataLifetime || l > MaxMemberDataLifetime) {
		return bad(fmt.Sprintf("member data lifetime %d s outside 8 hours..10 years", l))
	}
	if p.PresenceLifetime < DefaultPresenceLifetime {
		return bad(fmt.Sprintf("presence lifetime %d s below 300 s", p.PresenceLifetime))
	}
	if p.AuthSchemes&^(AuthGMC|AuthPassword) != 0 {
		return bad(fmt.Sprintf("unknown authentication schemes %#x", p.AuthSchemes))
	}
	if p.AuthSchemes&AuthPassword != 0 {
		if p.PasswordRole != credential.RoleMember && p.PasswordRole != credential.RoleAdmin {
			return bad("password role must be the member or administrator role")
		}
	}
	return nil
}

// setPassword turns the password the caller gave into the stored
// verifier; a password group needs one, kept from before if no new
// password is given.
func (p *Properties) setPassword(prev *password.Verifier) error {
	switch {
	case p.Password != "":
		v, err := password.New(p.Password, password.Default)
		if err != nil {
			return err
		}
		p.Verifier = v
	case prev != nil:
		p.Verifier = prev
	}
	p.Password = ""
	if p.AuthSchemes&AuthPassword == 0 {
		p.Verifier = nil
		return nil
	}
	if p.Verifier == nil {
		return fmt.Errorf("a password group needs a password: %w", peererr.ErrPasswordDoesNotMeetPolicy)
	}
	return nil
}

func (p *Properties) marshal() []byte {
	b, _ := json.Marshal(p)
	return b
}

func unmarshalProperties(b []byte) (*Properties, error) {
	var p Properties
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode group properties: %v: %w", err, peererr.ErrInvalidRecord)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("decode group properties: %v: %w", err, peererr.ErrInvalidRecord)
	}
	return &p, nil
}
