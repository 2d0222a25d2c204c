// Package service is the library's runtime for one user: the data
// directory, the identity store and the groups this process has open. It
// is what PeerGroupStartup creates and the last PeerGroupShutdown closes,
// and the entry point for Go programs.
package service

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/groupconfig"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/mesh"
	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/store"
)

// DefaultHome is the data directory: $P2P_HOME if set; else
// $XDG_DATA_HOME/p2p (default ~/.local/share/p2p) on POSIX and
// %LOCALAPPDATA%\p2p on Windows. Separate directories are separate users.
func DefaultHome() (string, error) {
	if h := os.Getenv("P2P_HOME"); h != "" {
		return h, nil
	}
	if runtime.GOOS == "windows" {
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "p2p"), nil
		}
	} else if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "p2p"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the data directory: %w", err)
	}
	if runtime.GOOS == "windows" {
		return filepath.Join(home, "AppData", "Local", "p2p"), nil
	}
	return filepath.Join(home, ".local", "share", "p2p"), nil
}

// Service is the runtime of one data directory. It is safe for concurrent
// use.
type Service struct {
	home string
	ids  *identity.Store

	mu          sync.Mutex
	engines     map[string]*shared // by identity and group
	meshOptions mesh.Options
	closed      bool
}

type shared struct {
	e    *group.Engine
	refs int
}

// New opens the runtime on the data directory home, creating it (private
// to the user) if needed.
func New(home string) (*Service, error) {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", home, err)
	}
	ids, err := identity.OpenStore(filepath.Join(home, "identities"))
	if err != nil {
		return nil, fmt.Errorf("open identity store: %w", err)
	}
	return &Service{home: home, ids: ids, engines: make(map[string]*shared)}, nil
}

// Home is the data directory.
func (s *Service) Home() string { return s.home }

// Identities is the identity store.
func (s *Service) Identities() *identity.Store { return s.ids }

// identity resolves an identity peer name, the default identity if empty.
func (s *Service) identity(name string) (*identity.Identity, error) {
	if name == "" {
		return s.ids.Default()
	}
	return s.ids.Get(name)
}

// groupDir is where the databases of one identity's groups live: named by
// the identity's key authority, never by the free-form classifier.
func (s *Service) groupDir(id *identity.Identity) string {
	a, _, _ := peername.Parse(id.PeerName)
	return filepath.Join(s.home, "groups", a)
}

func (s *Service) dbPath(id *identity.Identity, groupName string) string {
	a, _, _ := peername.Parse(groupName)
	return filepath.Join(s.groupDir(id), a, "group.db")
}

func engineKey(identityName, groupName string) string { return identityName + "\x00" + groupName }

// Group is one handle on an open group: an HGROUP. Several handles on the
// same identity and group share one engine; closing a handle closes only
// it, and the engine closes with its last handle.
type Group struct {
	*group.Engine
	svc  *Service
	key  string
	once sync.Once
}

// Close releases this handle.
func (g *Group) Close() error {
	var err error
	g.once.Do(func() { err = g.svc.release(g.key, g.Engine) })
	return err
}

func (s *Service) handle(key string, sh *shared) *Group {
	sh.refs++
	return &Group{Engine: sh.e, svc: s, key: key}
}

func (s *Service) release(key string, e *group.Engine) error {
	s.mu.Lock()
	sh := s.engines[key]
	if sh == nil || sh.e != e { // deleted or shut down under this handle
		s.mu.Unlock()
		return nil
	}
	sh.refs--
	if sh.refs > 0 {
		s.mu.Unlock()
		return nil
	}
	delete(s.engines, key)
	s.mu.Unlock()
	return sh.e.Close()
}

func (s *Service) checkOpen() error {
	if s.closed {
		return fmt.Errorf("runtime closed: %w", peererr.ErrNotInitialized)
	}
	return nil
}

// CreateGroup creates a group; props.CreatorPeerName names the creating
// identity (the default identity if empty), which becomes its first
// administrator. The group is offline.
func (s *Service) CreateGroup(props group.Properties) (*Group, error) {
	id, err := s.identity(props.CreatorPeerName)
	if err != nil {
		return nil, fmt.Errorf("create group: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	e, err := group.Create(id, props, func(g string) string { return s.dbPath(id, g) })
	if err != nil {
		return nil, err
	}
	key := engineKey(id.PeerName, e.GroupPeerName())
	sh := &shared{e: e}
	s.engines[key] = sh
	return s.handle(key, sh), nil
}

// OpenGroup opens a group the identity (the default one if empty) created
// or joined before. The group is offline until connected, unless another
// handle of this process already connected it.
func (s *Service) OpenGroup(identityName, groupName string) (*Group, error) {
	if _, _, err := peername.Parse(groupName); err != nil {
		return nil, fmt.Errorf("open group: %w", err)
	}
	id, err := s.identity(identityName)
	if err != nil {
		return nil, fmt.Errorf("open group: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	key := engineKey(id.PeerName, groupName)
	if sh := s.engines[key]; sh != nil {
		return s.handle(key, sh), nil
	}
	path := s.dbPath(id, groupName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open group %s for %s: %w", groupName, id.PeerName, peererr.ErrNotFound)
	}
	e, err := group.Open(id, path)
	if err != nil {
		return nil, err
	}
	if e.GroupPeerName() != groupName {
		e.Close()
		return nil, fmt.Errorf("open group %s: database holds %s: %w", groupName, e.GroupPeerName(), peererr.ErrInvalidDatabase)
	}
	sh := &shared{e: e}
	s.engines[key] = sh
	return s.handle(key, sh), nil
}

// JoinGroup prepares the identity (the default one if empty) to join the
// group of an invitation issued to it. If it is already a member, the
// group is opened instead and alreadyMember is true.
func (s *Service) JoinGroup(identityName, invitationXML string) (g *Group, alreadyMember bool, err error) {
	id, err := s.identity(identityName)
	if err != nil {
		return nil, false, fmt.Errorf("join group: %w", err)
	}
	inv, err := invitation.Parse(invitationXML)
	if err != nil {
		return nil, false, fmt.Errorf("join group: %w", err)
	}
	if err := inv.VerifyFor(id.PeerName, filetime.Now()); err != nil {
		return nil, false, fmt.Errorf("join group: %w", err)
	}
	if _, err := os.Stat(s.dbPath(id, inv.GroupPeerName)); err == nil {
		g, err := s.OpenGroup(id.PeerName, inv.GroupPeerName)
		return g, err == nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return nil, false, err
	}
	e, err := group.Join(id, inv, invitationXML, func(g string) string { return s.dbPath(id, g) })
	if err != nil {
		return nil, false, err
	}
	key := engineKey(id.PeerName, e.GroupPeerName())
	sh := &shared{e: e}
	s.engines[key] = sh
	return s.handle(key, sh), false, nil
}

// DeleteGroup removes the identity's local data of a group. As the
// PeerGroupDelete page says, handles still open on it become invalid.
func (s *Service) DeleteGroup(identityName, groupName string) error {
	if _, _, err := peername.Parse(groupName); err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	id, err := s.identity(identityName)
	if err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := engineKey(id.PeerName, groupName)
	if sh := s.engines[key]; sh != nil {
		delete(s.engines, key)
		sh.e.Close()
	}
	dir := filepath.Dir(s.dbPath(id, groupName))
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("delete group %s: %w", groupName, peererr.ErrNotFound)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("delete group %s: %w", groupName, err)
	}
	return nil
}

// NamePair is a PEER_NAME_PAIR: a peer name and its friendly name.
type NamePair struct {
	PeerName, FriendlyName string
}

// Groups lists the groups the identity has created or joined.
func (s *Service) Groups(identityName string) ([]NamePair, error) {
	id, err := s.identity(identityName)
	if err != nil {
		return nil, fmt.Errorf("enum groups: %w", err)
	}
	entries, err := os.ReadDir(s.groupDir(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("enum groups: %w", err)
	}
	var out []NamePair
	for _, ent := range entries {
		path := filepath.Join(s.groupDir(id), ent.Name(), "group.db")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		name, friendly, err := describeGroup(path)
		if err != nil {
			continue
		}
		out = append(out, NamePair{PeerName: name, FriendlyName: friendly})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PeerName < out[j].PeerName })
	return out, nil
}

// describeGroup reads a group's name and friendly name from its database.
func describeGroup(path string) (name, friendly string, err error) {
	db, err := store.Open(path, "")
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	n, err := db.Meta("group")
	if err != nil {
		return "", "", err
	}
	return string(n), group.FriendlyNameIn(db, string(n)), nil
}

// DeleteIdentity deletes an identity and its keys; it fails with
// PEER_E_GROUPS_EXIST while the identity still has groups.
func (s *Service) DeleteIdentity(name string) error {
	id, err := s.ids.Get(name)
	if err != nil {
		return fmt.Errorf("delete identity: %w", err)
	}
	groups, err := s.Groups(id.PeerName)
	if err != nil {
		return err
	}
	if len(groups) > 0 {
		return fmt.Errorf("delete identity %s: %d groups: %w", name, len(groups), peererr.ErrGroupsExist)
	}
	return s.ids.Delete(id.PeerName)
}

// Close closes every group engine of this process. Handles stay valid as
// values but fail on use.
func (s *Service) Close() error {
	s.mu.Lock()
	engines := s.engines
	s.engines = make(map[string]*shared)
	s.closed = true
	s.mu.Unlock()
	var errs []error
	for _, sh := range engines {
		errs = append(errs, sh.e.Close())
	}
	return errors.Join(errs...)
}

// CreatePeerName builds a secure peer name from an identity's key and a
// classifier; with useIdentityName it returns the identity's own peer
// name (the classifier argument was NULL).
func (s *Service) CreatePeerName(identityName, classifier string, useIdentityName bool) (string, error) {
	id, err := s.ids.Get(identityName)
	if err != nil {
		return "", fmt.Errorf("create peer name: %w", err)
	}
	if useIdentityName {
		return id.PeerName, nil
	}
	if err := peername.CheckClassifier(classifier); err != nil {
		return "", err
	}
	return peername.Secure(id.PublicKey(), classifier), nil
}

// CreateUnsecuredPeerName returns "0.<classifier>".
func (s *Service) CreateUnsecuredPeerName(classifier string) (string, error) {
	if err := peername.CheckClassifier(classifier); err != nil {
		return "", err
	}
	if classifier == "" {
		return "", fmt.Errorf("unsecured peer name needs a classifier: %w", peererr.ErrInvalidArg)
	}
	return peername.Unsecured(classifier), nil
}

// ExportConfig writes the configuration of g's member (its identity,
// sealed with password, and its credentials in the group) for
// PeerGroupImportConfig on another machine.
func (s *Service) ExportConfig(g *Group, password string) (string, error) {
	cfg, err := g.Config()
	if err != nil {
		return "", err
	}
	id := g.Identity()
	sealed, err := s.ids.Export(id.PeerName, password)
	if err != nil {
		return "", fmt.Errorf("export configuration: %w", err)
	}
	return groupconfig.Encode(sealed, cfg, id.Key)
}

// ImportConfig installs an exported configuration: the identity (if this
// machine lacks it) and the group. An existing group is replaced only
// with overwrite, else PEER_E_ALREADY_EXISTS.
func (s *Service) ImportConfig(doc, password string, overwrite bool) (identityName, groupName string, err error) {
	d, err := groupconfig.Parse(doc)
	if err != nil {
		return "", "", err
	}
	id, err := s.ids.Unseal(d.IdentityExport, password)
	if err == nil {
		if err = s.ids.Add(id); errors.Is(err, peererr.ErrAlreadyExists) {
			err = nil // this machine has the identity already
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("import configuration: %w", err)
	}
	cfg, err := d.Config(id.PublicKey())
	if err != nil {
		return "", "", err
	}
	if _, _, err := peername.Parse(cfg.GroupPeerName); err != nil {
		return "", "", fmt.Errorf("import configuration: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return "", "", err
	}
	path := s.dbPath(id, cfg.GroupPeerName)
	if _, err := os.Stat(path); err == nil {
		if !overwrite {
			return "", "", fmt.Errorf("import configuration: group %s exists: %w", cfg.GroupPeerName, peererr.ErrAlreadyExists)
		}
		if s.engines[engineKey(id.PeerName, cfg.GroupPeerName)] != nil {
			return "", "", fmt.Errorf("import configuration: group %s is open: %w", cfg.GroupPeerName, peererr.ErrGroupInUse)
		}
		if err := os.RemoveAll(filepath.Dir(path)); err != nil {
			return "", "", fmt.Errorf("import configuration: %w", err)
		}
	}
	e, err := group.ImportConfig(id, cfg, path)
	if err != nil {
		os.RemoveAll(filepath.Dir(path))
		return "", "", err
	}
	e.Close()
	return id.PeerName, cfg.GroupPeerName, nil
}

// Connect takes the group online (PeerGroupConnect), first trying the
// given member addresses (PeerGroupConnectByAddress). If it is online
// already it reports so and only adds the addresses.
func (s *Service) Connect(g *Group, addrs []netip.AddrPort) (alreadyConnected bool, err error) {
	if g.Closed() {
		return false, fmt.Errorf("connect: %w", peererr.ErrInvalidGroup)
	}
	if n, ok := g.Network().(*mesh.Node); ok {
		n.AddAddresses(addrs)
		return true, nil
	}
	s.mu.Lock()
	opts := s.meshOptions
	s.mu.Unlock()
	_, err = mesh.Start(g.Engine, addrs, opts)
	if group.IsAlreadyConnected(err) {
		if n, ok := g.Network().(*mesh.Node); ok {
			n.AddAddresses(addrs)
		}
		return true, nil
	}
	return false, err
}

// SetMeshOptions changes how groups connected later go online (tests use
// it to listen on loopback only).
func (s *Service) SetMeshOptions(o mesh.Options) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meshOptions = o
}

// Connection flags, as PEER_CONNECTION_FLAGS.
const (
	ConnectionNeighbor uint32 = 0x1
	ConnectionDirect   uint32 = 0x2
)

// Connection is one PEER_CONNECTION_INFO.
type Connection struct {
	Flags        uint32
	ConnectionID uint64
	NodeID       uint64
	PeerName     string
	Address      netip.AddrPort
}

// Connections lists the group's neighbour and/or direct connections
// (flags: ConnectionNeighbor, ConnectionDirect; 0 means both).
func (g *Group) Connections(flags uint32) ([]Connection, error) {
	if flags&^(ConnectionNeighbor|ConnectionDirect) != 0 {
		return nil, fmt.Errorf("connection flags %#x: %w", flags, peererr.ErrInvalidArg)
	}
	if g.Closed() {
		return nil, fmt.Errorf("enum connections: %w", peererr.ErrInvalidGroup)
	}
	if flags == 0 {
		flags = ConnectionNeighbor | ConnectionDirect
	}
	n, ok := g.Network().(*mesh.Node)
	if !ok {
		return nil, nil
	}
	var out []Connection
	if flags&ConnectionNeighbor != 0 {
		for _, nb := range n.Neighbors() {
			out = append(out, Connection{Flags: ConnectionNeighbor, ConnectionID: nb.ConnectionID,
				NodeID: nb.NodeID, PeerName: nb.PeerName, Address: nb.Address})
		}
	}
	if flags&ConnectionDirect != 0 {
		for _, d := range n.Directs() {
			out = append(out, Connection{Flags: ConnectionDirect, ConnectionID: d.ConnectionID,
				NodeID: d.NodeID, PeerName: d.PeerName, Address: d.Address})
		}
	}
	return out, nil
}

// node returns the group's network, or PEER_E_GROUP_NOT_READY offline.
func (g *Group) node() (*mesh.Node, error) {
	if g.Closed() {
		return nil, fmt.Errorf("group closed: %w", peererr.ErrInvalidGroup)
	}
	n, ok := g.Network().(*mesh.Node)
	if !ok {
		return nil, fmt.Errorf("group %s is not connected: %w", g.GroupPeerName(), peererr.ErrGroupNotReady)
	}
	return n, nil
}

// OpenDirectConnection starts a direct connection to a member, at addr if
// it is valid; the outcome arrives as a DIRECT_CONNECTION event.
func (g *Group) OpenDirectConnection(peerName string, addr netip.AddrPort) (uint64, error) {
	n, err := g.node()
	if err != nil {
		return 0, err
	}
	return n.OpenDirect(peerName, addr)
}

// SendData sends one message on a direct or neighbour connection.
func (g *Group) SendData(connectionID uint64, typ uuid.UUID, data []byte) error {
	n, err := g.node()
	if err != nil {
		return fmt.Errorf("send data: %v: %w", err, peererr.ErrConnectionNotFound)
	}
	return n.SendData(connectionID, typ, data)
}

// CloseDirectConnection closes a direct connection.
func (g *Group) CloseDirectConnection(connectionID uint64) error {
	n, err := g.node()
	if err != nil {
		return fmt.Errorf("close direct connection: %v: %w", err, peererr.ErrConnectionNotFound)
	}
	return n.CloseDirect(connectionID)
}
