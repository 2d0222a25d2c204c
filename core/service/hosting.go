package service

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"p2p/core/filelock"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/peererr"
	"p2p/core/session"
)

// One group, many applications. The first process to open a group for an
// identity hosts it: it holds host.lock in the group's directory, runs
// the engine and serves a local socket. Other processes of the same user
// attach to that socket. The operating system releases the lock when the
// host dies, so an attached process that sees its connection drop takes
// the lock, reopens the group from its durable database, goes back online
// if the group was online, and serves the others; they re-attach to it.

const (
	// attachTimeout bounds how long opening waits for a host that holds
	// the lock but does not answer yet (it is starting, or dying).
	attachTimeout = 5 * time.Second
	retryEvery    = 25 * time.Millisecond
)

// takeoverDelay is zero but in tests that close during a takeover.
var takeoverDelay time.Duration

// shared is one group of one identity as this process sees it: hosted
// here (local, server and lock set) or attached to another process
// (remote set). Every handle of this process on the group shares it.
type shared struct {
	svc   *Service
	key   string
	id    *identity.Identity
	group string
	dir   string
	log   *slog.Logger

	mu        sync.Mutex
	cond      *sync.Cond
	sess      session.Session
	local     *session.Local
	server    *session.Server
	remote    *session.Remote
	lock      *os.File
	switching bool // a takeover is in progress
	refs      int  // this process's open handles
	regs      map[*Registration]struct{}
	closed    bool
}

func (s *Service) newShared(id *identity.Identity, groupName string) *shared {
	sh := &shared{svc: s, key: groupKey(id.PeerName, groupName), id: id, group: groupName,
		dir: filepath.Dir(s.dbPath(id, groupName)), regs: make(map[*Registration]struct{}),
		log: slog.Default().With("group", groupName, "identity", id.PeerName)}
	sh.cond = sync.NewCond(&sh.mu)
	return sh
}

// tryLock takes the group's host lock if no live process holds it.
func (sh *shared) tryLock() (*os.File, error) {
	if err := os.MkdirAll(sh.dir, 0o700); err != nil {
		return nil, err
	}
	f, err := filelock.Open(filepath.Join(sh.dir, "host.lock"))
	if err != nil {
		return nil, err
	}
	if err := filelock.TryLock(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// opener opens the engine of a group this process is about to host,
// under the group's host lock. fresh reports a group it has just made
// (created or joined): if hosting then fails, its files are removed, so
// that a failed PeerGroupCreate or PeerGroupJoin leaves nothing behind.
type opener func() (e *group.Engine, fresh bool, err error)

// reopen opens the group's existing database.
func (sh *shared) reopen() (*group.Engine, bool, error) {
	e, err := group.Open(sh.id, filepath.Join(sh.dir, "group.db"))
	return e, false, err
}

// hostOrAttach makes this process the group's host (opening the engine
// with open) if nobody hosts it, else attaches to the host. It retries
// while the lock holder is not answering yet.
func (sh *shared) hostOrAttach(open opener) error {
	sock, err := session.Endpoint(sh.dir)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(attachTimeout)
	for {
		f, err := sh.tryLock()
		if err == nil {
			return sh.host(f, sock, open)
		}
		if !errors.Is(err, filelock.ErrLocked) {
			return fmt.Errorf("lock group %s: %w", sh.group, err)
		}
		r, err := session.Dial(sock, sh.id.PeerName, sh.group)
		if err == nil {
			sh.mu.Lock()
			sh.sess, sh.remote = r, r
			sh.mu.Unlock()
			sh.svc.goRun(func() { sh.watch(r) })
			return nil
		}
		if errors.Is(err, peererr.ErrAccessDenied) || time.Now().After(deadline) {
			return fmt.Errorf("attach to the process hosting %s: %v: %w", sh.group, err, peererr.ErrGroupInUse)
		}
		time.Sleep(retryEvery)
	}
}

// host opens the engine under the lock and serves it.
func (sh *shared) host(lock *os.File, sock string, open opener) error {
	e, fresh, err := open()
	if err != nil {
		sh.abandon(lock, fresh)
		return err
	}
	local := &session.Local{E: e, Mesh: sh.svc.meshOpts()}
	srv, err := session.Listen(sock, local, sh.id.PeerName, sh.detached)
	if err != nil {
		if fresh {
			e.Discard()
		} else {
			e.Close()
		}
		sh.abandon(lock, fresh)
		return err
	}
	sh.mu.Lock()
	sh.sess, sh.local, sh.server, sh.remote, sh.lock = local, local, srv, nil, lock
	sh.mu.Unlock()
	return nil
}

// abandon releases the host lock after hosting failed; a group this
// process was making (fresh) is removed first, under the lock.
func (sh *shared) abandon(lock *os.File, fresh bool) {
	if fresh {
		if err := removeGroupFiles(sh.dir, lock); err != nil {
			sh.log.Warn("remove a group that could not be made", "err", err)
		}
	}
	lock.Close()
}

// watch takes the group over if the host goes away while this process
// still uses it.
func (sh *shared) watch(r *session.Remote) {
	<-r.Lost()
	if r.Closing() {
		return
	}
	sh.mu.Lock()
	if sh.closed || sh.remote != r {
		sh.mu.Unlock()
		return
	}
	sh.switching = true
	sh.mu.Unlock()
	time.Sleep(takeoverDelay)
	wasOnline := r.LastStatus() != 0
	sh.log.Info("host process went away; taking over", "was_online", wasOnline)
	err := sh.hostOrAttach(sh.reopen)
	sh.mu.Lock()
	if err == nil && sh.local != nil && wasOnline {
		local := sh.local
		sh.mu.Unlock()
		if _, cerr := local.Connect(nil); cerr != nil {
			sh.log.Error("go back online after takeover", "err", cerr)
		}
		sh.mu.Lock()
	}
	if err != nil {
		sh.log.Error("take over the group", "err", err)
		sh.closed = true
	} else {
		for reg := range sh.regs {
			reg.moveTo(sh.sess)
		}
	}
	sh.switching = false
	sh.cond.Broadcast()
	sh.mu.Unlock()
}

// session returns the current session, waiting out a takeover.
func (sh *shared) session() (session.Session, error) { return sh.sessionAfter(nil) }

// sessionAfter returns the current session once it is not lost, the
// session a call found its host gone in: it waits until a takeover has
// replaced it (or closed the group).
func (sh *shared) sessionAfter(lost session.Session) (session.Session, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for sh.switching || lost != nil && sh.sess == lost && !sh.closed {
		sh.cond.Wait()
	}
	if sh.closed || sh.sess == nil {
		return nil, fmt.Errorf("group %s is closed: %w", sh.group, peererr.ErrInvalidGroup)
	}
	return sh.sess, nil
}

// detached is the host's notice that an attached process left: with no
// handle here either, the group closes. It runs on the server's own
// goroutine, which closing the server waits for, so the release happens
// on another.
func (sh *shared) detached() {
	sh.mu.Lock()
	idle := sh.refs == 0 && !sh.closed
	sh.mu.Unlock()
	if idle {
		sh.svc.goRun(func() { sh.svc.releaseIfIdle(sh) })
	}
}

// idle reports whether nothing uses the group any more: no handle here
// and, when hosting, no attached process.
func (sh *shared) idle() bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.refs == 0 && (sh.server == nil || sh.server.Clients() == 0)
}

// shutdown stops using the group in this process: a host stops serving
// (its attached processes take over) and closes the engine; an attached
// process detaches.
func (sh *shared) shutdown() error {
	sh.mu.Lock()
	// A takeover in progress finishes first: what it attaches to or
	// hosts is then closed here rather than left running.
	for sh.switching {
		sh.cond.Wait()
	}
	if sh.closed {
		sh.mu.Unlock()
		return nil
	}
	sh.closed = true
	server, local, remote, lock := sh.server, sh.local, sh.remote, sh.lock
	regs := sh.regs
	sh.regs = map[*Registration]struct{}{}
	sh.cond.Broadcast()
	sh.mu.Unlock()
	for reg := range regs {
		reg.Close()
	}
	var errs []error
	if server != nil {
		errs = append(errs, server.Close())
	}
	if local != nil {
		errs = append(errs, local.Close())
	}
	if remote != nil {
		errs = append(errs, remote.Close())
	}
	if lock != nil {
		errs = append(errs, lock.Close()) // closing releases the lock
	}
	return errors.Join(errs...)
}

// releaseIfIdle closes a group nothing uses any more.
func (s *Service) releaseIfIdle(sh *shared) {
	s.mu.Lock()
	if s.groups[sh.key] != sh || !sh.idle() {
		s.mu.Unlock()
		return
	}
	done := s.retireLocked(sh.key)
	s.mu.Unlock()
	sh.shutdown()
	done()
}

// retireLocked takes a group out of the table while it shuts down and
// marks it busy until the returned function is called. s.mu must be held.
func (s *Service) retireLocked(key string) (done func()) {
	delete(s.groups, key)
	return s.busyLocked(key)
}

// busyLocked marks a group as being opened or closed by this process:
// other opens, closes and deletes of it wait (waitIdleLocked) until the
// returned function is called. s.mu must be held and the group idle.
func (s *Service) busyLocked(key string) (done func()) {
	ch := make(chan struct{})
	s.busy[key] = ch
	return func() {
		s.mu.Lock()
		delete(s.busy, key)
		s.mu.Unlock()
		close(ch)
	}
}

// waitIdleLocked waits, releasing s.mu meanwhile, until no open or close
// of the group is under way in this process. s.mu must be held.
func (s *Service) waitIdleLocked(key string) {
	for s.busy[key] != nil {
		ch := s.busy[key]
		s.mu.Unlock()
		<-ch
		s.mu.Lock()
	}
}

// lookup returns the process's shared group, if open.
func (s *Service) lookup(key string) *shared {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groups[key]
}
