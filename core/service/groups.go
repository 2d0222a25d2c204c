package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"p2p/core/filelock"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/groupconfig"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// open registers a group of this process, hosting or attaching; create
// makes it when this process hosts a new group, open reopens it. Opens and
// closes of one group in this process run one at a time (busyLocked), so
// the process never attaches to a host of its own that is being made or
// closed.
func (s *Service) open(id *identity.Identity, groupName string, make opener) (*Group, error) {
	key := groupKey(id.PeerName, groupName)
	s.mu.Lock()
	s.waitIdleLocked(key)
	if err := s.checkOpen(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if sh := s.groups[key]; sh != nil {
		// The reference is taken under s.mu, so releaseIfIdle (which
		// removes the group under s.mu first) cannot close it under us.
		if g, err := sh.handle(); err == nil {
			s.mu.Unlock()
			return g, nil
		}
		delete(s.groups, key) // closed by a failed takeover: start afresh
	}
	done := s.busyLocked(key)
	s.mu.Unlock()
	defer done()
	sh := s.newShared(id, groupName)
	if err := sh.hostOrAttach(make); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.mu.Unlock()
		sh.shutdown()
		s.mu.Lock()
		return nil, fmt.Errorf("runtime closed: %w", peererr.ErrNotInitialized)
	}
	s.groups[key] = sh
	return sh.handle()
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
	err = s.checkOpen()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	e, err := group.Create(id, props, func(g string) string { return s.dbPath(id, g) })
	if err != nil {
		return nil, err
	}
	// The new group is hosted here: it takes the lock of its new
	// directory, which nobody else can know yet. If it fails before the
	// engine was handed over, it is discarded here; after, host did.
	used := false
	g, err := s.open(id, e.GroupPeerName(), func() (*group.Engine, bool, error) { used = true; return e, true, nil })
	if err != nil && !used {
		e.Discard()
	}
	return g, err
}

// OpenGroup opens a group the identity (the default one if empty) created
// or joined before. It is offline unless another handle, here or in
// another process, connected it.
func (s *Service) OpenGroup(identityName, groupName string) (*Group, error) {
	if _, _, err := peername.Parse(groupName); err != nil {
		return nil, fmt.Errorf("open group: %w", err)
	}
	id, err := s.identity(identityName)
	if err != nil {
		return nil, fmt.Errorf("open group: %w", err)
	}
	path := s.dbPath(id, groupName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open group %s for %s: %w", groupName, id.PeerName, peererr.ErrNotFound)
	}
	return s.open(id, groupName, func() (*group.Engine, bool, error) {
		e, err := group.Open(id, path)
		if err == nil && e.GroupPeerName() != groupName {
			e.Close()
			return nil, false, fmt.Errorf("open group %s: database holds %s: %w", groupName, e.GroupPeerName(), peererr.ErrInvalidDatabase)
		}
		return e, false, err
	})
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
	g, err = s.open(id, inv.GroupPeerName, s.joiner(id, inv.GroupPeerName, func(dbPath func(string) string) (*group.Engine, error) {
		return group.Join(id, inv, invitationXML, dbPath)
	}))
	return g, false, err
}

// joiner is the opener of a group the identity joins: under the group's
// host lock it joins with join, unless another process of the user joined
// the group meanwhile, when it opens that.
func (s *Service) joiner(id *identity.Identity, groupName string, join func(dbPath func(string) string) (*group.Engine, error)) opener {
	return func() (*group.Engine, bool, error) {
		path := s.dbPath(id, groupName)
		if _, err := os.Stat(path); err == nil {
			e, err := group.Open(id, path)
			return e, false, err
		}
		e, err := join(func(string) string { return path })
		return e, true, err
	}
}

// PasswordJoinGroup prepares the identity (the default one if empty) to
// join a password group with a password invitation; the first Connect
// proves the password to a member and obtains the credential. If the
// identity is already a member, the group is opened and alreadyMember is
// true.
func (s *Service) PasswordJoinGroup(identityName, invitationXML, password string) (g *Group, alreadyMember bool, err error) {
	id, err := s.identity(identityName)
	if err != nil {
		return nil, false, fmt.Errorf("join group: %w", err)
	}
	inv, err := invitation.Parse(invitationXML)
	if err != nil {
		return nil, false, fmt.Errorf("join group: %w", err)
	}
	if err := inv.Verify(filetime.Now()); err != nil {
		return nil, false, fmt.Errorf("join group: %w", err)
	}
	if inv.AuthScheme != group.AuthPassword || len(inv.Roles) != 1 {
		return nil, false, fmt.Errorf("join group: not a password invitation: %w", peererr.ErrInvalidArg)
	}
	if _, err := os.Stat(s.dbPath(id, inv.GroupPeerName)); err == nil {
		g, err := s.OpenGroup(id.PeerName, inv.GroupPeerName)
		return g, err == nil, err
	}
	g, err = s.open(id, inv.GroupPeerName, s.joiner(id, inv.GroupPeerName, func(dbPath func(string) string) (*group.Engine, error) {
		return group.PasswordJoin(id, inv, invitationXML, password, dbPath)
	}))
	return g, false, err
}

// DeleteGroup removes the identity's local data of a group. As the
// PeerGroupDelete page says, this process's handles on it become invalid;
// while another process uses it, it fails with PEER_E_GROUP_IN_USE.
func (s *Service) DeleteGroup(identityName, groupName string) error {
	if _, _, err := peername.Parse(groupName); err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	id, err := s.identity(identityName)
	if err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	key := groupKey(id.PeerName, groupName)
	s.mu.Lock()
	s.waitIdleLocked(key)
	sh := s.groups[key]
	done := s.retireLocked(key)
	s.mu.Unlock()
	if sh != nil {
		sh.shutdown()
	}
	defer done()
	dir := filepath.Dir(s.dbPath(id, groupName))
	if _, err := os.Stat(filepath.Join(dir, "group.db")); err != nil {
		return fmt.Errorf("delete group %s: %w", groupName, peererr.ErrNotFound)
	}
	lock, err := s.newShared(id, groupName).tryLock()
	if errors.Is(err, filelock.ErrLocked) {
		return fmt.Errorf("delete group %s: another process has it open: %w", groupName, peererr.ErrGroupInUse)
	}
	if err != nil {
		return fmt.Errorf("delete group %s: %w", groupName, err)
	}
	defer lock.Close() // closed already unless the removal failed
	if err := removeGroupFiles(dir, lock); err != nil {
		return fmt.Errorf("delete group %s: %w", groupName, err)
	}
	return nil
}

// removeGroupFiles removes the folder dir of a group whose host lock is
// held through lock: everything but the lock first, so that no process can
// open a half-deleted group meanwhile; then the lock file while it is
// still held (filelock.Open allows that on Windows too); then, with the
// lock closed, the folder. A file that another process has open
// for a moment (PeerEnumGroups reading the database in another process)
// cannot be removed on Windows, so each removal is retried for a while.
func removeGroupFiles(dir string, lock *os.File) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, ent := range entries {
		if ent.Name() != "host.lock" {
			if err := retryRemove(func() error { return os.RemoveAll(filepath.Join(dir, ent.Name())) }); err != nil {
				return err
			}
		}
	}
	if err := retryRemove(func() error { return os.Remove(lock.Name()) }); err != nil {
		return err
	}
	lock.Close()
	return retryRemove(func() error { return os.RemoveAll(dir) })
}

// retryRemove retries remove for up to two seconds while it fails, for
// files another process holds open briefly.
func retryRemove(remove func() error) error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := remove()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ExportConfig writes the configuration of g's member (its identity,
// sealed with password, and its credentials in the group) for
// PeerGroupImportConfig on another machine.
func (s *Service) ExportConfig(g *Group, password string) (string, error) {
	sess, err := g.sh.session()
	if err != nil {
		return "", err
	}
	cfg, err := sess.Config()
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
	// "PEER_E_ALREADY_EXISTS: A peer group configuration already exists,
	// and fOverwrite is set to false" (PeerGroupImportConfig function,
	// p2p.h), whether or not the group is open; only an overwrite cares.
	if _, err := os.Stat(s.dbPath(id, cfg.GroupPeerName)); err == nil && !overwrite {
		return "", "", fmt.Errorf("import configuration: group %s exists: %w", cfg.GroupPeerName, peererr.ErrAlreadyExists)
	}
	if sh := s.lookup(groupKey(id.PeerName, cfg.GroupPeerName)); sh != nil {
		return "", "", fmt.Errorf("import configuration: group %s is open: %w", cfg.GroupPeerName, peererr.ErrGroupInUse)
	}
	sh := s.newShared(id, cfg.GroupPeerName)
	lock, err := sh.tryLock()
	if errors.Is(err, filelock.ErrLocked) {
		return "", "", fmt.Errorf("import configuration: group %s is open: %w", cfg.GroupPeerName, peererr.ErrGroupInUse)
	}
	if err != nil {
		return "", "", fmt.Errorf("import configuration: %w", err)
	}
	defer lock.Close()
	path := s.dbPath(id, cfg.GroupPeerName)
	if _, err := os.Stat(path); err == nil {
		if !overwrite {
			return "", "", fmt.Errorf("import configuration: group %s exists: %w", cfg.GroupPeerName, peererr.ErrAlreadyExists)
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
				return "", "", fmt.Errorf("import configuration: %w", err)
			}
		}
	}
	e, err := group.ImportConfig(id, cfg, path)
	if err != nil {
		os.Remove(path)
		return "", "", err
	}
	e.Close()
	return id.PeerName, cfg.GroupPeerName, nil
}
