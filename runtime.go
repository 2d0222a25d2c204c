package main

/*
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"sync/atomic"

	"p2p/core/peererr"
	"p2p/core/service"
	"p2p/handles"
)

// The runtime: PeerGroupStartup, PeerGroupShutdown and what lives between
// them.

//export PeerGroupStartup
func PeerGroupStartup(wVersionRequested C.WORD, pVersionData uintptr) C.HRESULT {
	return guard(func() error {
		var a args
		data := required[C.PEER_VERSION_DATA](&a, pVersionData, "pVersionData")
		if a.err != nil {
			return a.err
		}
		req := uint16(wVersionRequested)
		// MAKEWORD(major, minor): compare major (low byte), then minor.
		if req&0xFF < 1 {
			return fmt.Errorf("version %#x: %w", req, peererr.ErrUnsupportedVersion)
		}
		use := req
		if req&0xFF > versionHighest&0xFF || req&0xFF == versionHighest&0xFF && req>>8 > versionHighest>>8 {
			use = versionHighest
		}
		data.wVersion = C.WORD(use)
		data.wHighestVersion = C.WORD(versionHighest)
		return rt.startup()
	})
}

//export PeerGroupShutdown
func PeerGroupShutdown() C.HRESULT {
	return guard(rt.shutdown)
}

// PeerGroupHandlePowerEvent has no published prototype (see p2p.h): it
// takes a PBT_* power event.
//
//export PeerGroupHandlePowerEvent
func PeerGroupHandlePowerEvent(dwPowerEvent C.DWORD) C.HRESULT {
	return call(func(svc *service.Service) error { return svc.HandlePowerEvent(uint32(dwPowerEvent)) })
}

// versionHighest is the highest version PeerGroupStartup offers:
// PEER_GROUP_VERSION, MAKEWORD(1, 1).
const versionHighest = 0x0101

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
	mu   sync.Mutex // serialises startup and shutdown; guards refs
	refs int
	// svc is the service while refs > 0. Every call reads it, without mu.
	svc atomic.Pointer[service.Service]
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
		r.svc.Store(svc)
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
	svc := r.svc.Swap(nil)
	r.mu.Unlock()
	for _, v := range table.RemoveAll() {
		switch c := v.(type) {
		case interface{ Close() error }: // groups, enumerations
			c.Close()
		case interface{ Close() }: // event registrations
			c.Close()
		}
	}
	return svc.Close()
}

// service returns the running service or PEER_E_NOT_INITIALIZED.
func (r *runtimeState) service() (*service.Service, error) {
	if svc := r.svc.Load(); svc != nil {
		return svc, nil
	}
	return nil, peererr.ErrNotInitialized
}
