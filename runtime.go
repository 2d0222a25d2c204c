package main

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"

	"p2p/core/peererr"
	"p2p/core/service"
	"p2p/handles"
)

// Version numbers of PeerGroupStartup: MAKEWORD(major, minor).
const (
	versionHighest = 0x0101 // PEER_GROUP_VERSION, 1.1
	versionLowest  = 0x0001 // 1.0
)

// The runtime singleton and the handle table: the only package-level
// state of the library.
var (
	rt      runtimeState
	table   handles.Table  // HGROUP, HPEEREVENT, HPEERENUM
	allocs  handles.Allocs // blocks PeerFreeData may free
	logOnce sync.Once
)

// runtimeState counts PeerGroupStartup calls and holds the service while
// the count is positive.
type runtimeState struct {
	mu   sync.Mutex
	refs int
	svc  *service.Service
}

func (r *runtimeState) startup() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refs == 0 {
		s, err := readSettings(getenv)
		if err != nil {
			return fmt.Errorf("startup: %v: %w", err, peererr.ErrCannotStartService)
		}
		logOnce.Do(func() { setupLogging(s) })
		svc, err := service.Open(s.home, s.service)
		if err != nil {
			return fmt.Errorf("startup: %v: %w", err, peererr.ErrCannotStartService)
		}
		r.svc = svc
	}
	r.refs++
	return nil
}

// shutdown drops one Startup; the last one closes every handle of the
// process and the service.
func (r *runtimeState) shutdown() error {
	r.mu.Lock()
	if r.refs == 0 {
		r.mu.Unlock()
		return peererr.ErrNotInitialized
	}
	r.refs--
	if r.refs > 0 {
		r.mu.Unlock()
		return nil
	}
	svc := r.svc
	r.svc = nil
	r.mu.Unlock()
	for _, v := range table.RemoveAll() {
		if c, ok := v.(interface{ Close() error }); ok {
			c.Close()
		}
	}
	return svc.Close()
}

// service returns the running service or PEER_E_NOT_INITIALIZED.
func (r *runtimeState) service() (*service.Service, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.svc == nil {
		return nil, peererr.ErrNotInitialized
	}
	return r.svc, nil
}

// guard runs one exported function: it turns a memory fault on a bad
// application pointer into E_POINTER and any other panic into
// E_UNEXPECTED, so nothing crosses into C, and maps the result to an
// HRESULT.
func guard(fn func() error) (hr uint32) {
	prev := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(prev)
	defer func() {
		if p := recover(); p != nil {
			hr = panicHR(p)
		}
	}()
	err := fn()
	if err != nil {
		slog.Debug("call failed", "err", err)
	}
	return peererr.HResult(err)
}

// call is guard for functions that need PeerGroupStartup first: before
// it they fail with PEER_E_NOT_INITIALIZED.
func call(fn func(svc *service.Service) error) uint32 {
	return guard(func() error {
		svc, err := rt.service()
		if err != nil {
			return err
		}
		return fn(svc)
	})
}

// panicHR classifies a recovered panic.
func panicHR(p any) uint32 {
	if e, ok := p.(error); ok {
		var re interface{ Addr() uintptr }
		if errors.As(e, &re) || strings.Contains(e.Error(), "invalid memory address") {
			slog.Debug("fault on application pointer", "err", e)
			return peererr.ErrPointer.HR
		}
	}
	slog.Error("panic in library call", "panic", p, "stack", string(debug.Stack()))
	return peererr.ErrUnexpected.HR
}
