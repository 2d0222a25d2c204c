// Package service is the library's runtime for one user: the data
// directory, the identity store and the groups this process has open. It
// is what PeerGroupStartup creates and the last PeerGroupShutdown closes,
// and the entry point for Go programs.
package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/mesh"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// Options configure a Service. The zero Options are the defaults; the C
// layer fills them from the environment, core never reads it.
type Options struct {
	// Mesh is how the groups this process hosts go online.
	Mesh mesh.Options
}

// Service is the runtime of one data directory. It is safe for concurrent
// use.
type Service struct {
	home string
	ids  *identity.Store

	// wg owns the goroutines the service starts for its groups: takeover
	// watchers (shared.watch) and releases (releaseIfIdle); Close waits
	// for them.
	wg sync.WaitGroup

	mu          sync.Mutex
	groups      map[string]*shared       // by identity and group
	busy        map[string]chan struct{} // groups being opened or closed, each closed when done
	meshOptions mesh.Options
	closed      bool
}

// New opens the runtime on the data directory home with the default
// Options.
func New(home string) (*Service, error) { return Open(home, Options{}) }

// Open opens the runtime on the data directory home, creating it (private
// to the user) if needed. Separate directories are separate users.
func Open(home string, o Options) (*Service, error) {
	if abs, err := filepath.Abs(home); err == nil {
		home = abs
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", home, err)
	}
	ids, err := identity.OpenStore(filepath.Join(home, "identities"))
	if err != nil {
		return nil, fmt.Errorf("open identity store: %w", err)
	}
	return &Service{home: home, ids: ids, groups: make(map[string]*shared), busy: make(map[string]chan struct{}),
		meshOptions: o.Mesh}, nil
}

// Home is the data directory.
func (s *Service) Home() string { return s.home }

// Identities is the identity store.
func (s *Service) Identities() *identity.Store { return s.ids }

// SetMeshOptions changes Options.Mesh for the groups this process hosts
// from now on (tests use it to listen on loopback only).
func (s *Service) SetMeshOptions(o mesh.Options) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meshOptions = o
}

func (s *Service) meshOpts() mesh.Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meshOptions
}

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

// groupKey names a group of an identity in the process's table.
func groupKey(identityName, groupName string) string { return identityName + "\x00" + groupName }

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
		name, friendly, err := group.Describe(path)
		if err != nil {
			continue
		}
		out = append(out, NamePair{PeerName: name, FriendlyName: friendly})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PeerName < out[j].PeerName })
	return out, nil
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

// Close closes every group of this process: hosted groups are handed to
// their attached processes, attachments are dropped. Handles stay valid
// as values but fail on use.
func (s *Service) Close() error {
	s.mu.Lock()
	groups := s.groups
	s.groups = make(map[string]*shared)
	s.closed = true
	s.mu.Unlock()
	var errs []error
	for _, sh := range groups {
		errs = append(errs, sh.shutdown())
	}
	// Groups being opened, closed or released finish; then nothing of
	// the service runs any more.
	s.mu.Lock()
	for key := range s.busy {
		s.waitIdleLocked(key)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return errors.Join(errs...)
}

// goRun runs fn on a goroutine the service owns (Close waits for it).
func (s *Service) goRun(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

func (s *Service) checkOpen() error {
	if s.closed {
		return fmt.Errorf("runtime closed: %w", peererr.ErrNotInitialized)
	}
	return nil
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
	if err := checkPeerNameClassifier(classifier); err != nil {
		return "", err
	}
	return peername.Secure(id.PublicKey(), classifier), nil
}

// CreateUnsecuredPeerName returns "0.<classifier>".
func (s *Service) CreateUnsecuredPeerName(classifier string) (string, error) {
	if err := checkPeerNameClassifier(classifier); err != nil {
		return "", err
	}
	if classifier == "" {
		return "", fmt.Errorf("unsecured peer name needs a classifier: %w", peererr.ErrInvalidArg)
	}
	return peername.Unsecured(classifier), nil
}

// checkPeerNameClassifier checks a PeerCreatePeerName classifier. That
// page documents only E_INVALIDARG for a bad parameter ("PeerCreatePeerName
// function (p2p.h)"), so a classifier over 149 characters is E_INVALIDARG;
// peername's precise code stays in the chain for Go callers.
func checkPeerNameClassifier(classifier string) error {
	if err := peername.CheckClassifier(classifier); err != nil {
		return fmt.Errorf("create peer name: %w: %w", peererr.ErrInvalidArg, err)
	}
	return nil
}
