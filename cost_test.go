//go:build linux

package main

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"unsafe"

	"github.com/google/uuid"
	"golang.org/x/sys/unix"

	"p2p/core/event"
	"p2p/core/group"
	"p2p/core/service"
	"p2p/handles"
)

// The C layer's own cost per message, without the cgo crossings and the
// network (bench/direct measures those): an INCOMING_DATA event published
// on a registration's queue, as a direct connection's reader does, then
// read as an application does on each signal: PeerGroupGetEventData,
// PeerFreeData, and PeerGroupGetEventData again until
// PEER_S_NO_EVENT_DATA.

// costGroup starts the runtime on a fresh data directory with an offline
// group and returns the group and its HGROUP.
func costGroup(tb testing.TB) (*service.Group, uintptr) {
	tb.Helper()
	tb.Setenv("P2P_HOME", tb.TempDir())
	version := new([4]byte)
	if hr := PeerGroupStartup(0x0101, uintptr(unsafe.Pointer(version))); hr != 0 {
		tb.Fatalf("PeerGroupStartup: %#x", uint32(hr))
	}
	tb.Cleanup(func() { PeerGroupShutdown() })
	svc, err := rt.service()
	if err != nil {
		tb.Fatal(err)
	}
	id, err := svc.Identities().Create("", "cost")
	if err != nil {
		tb.Fatal(err)
	}
	g, err := svc.CreateGroup(group.Properties{CreatorPeerName: id.PeerName, Classifier: "cost"})
	if err != nil {
		tb.Fatal(err)
	}
	h, err := table.New(handles.Group, g)
	if err != nil {
		tb.Fatal(err)
	}
	return g, uintptr(h)
}

// costRegistration registers for INCOMING_DATA on an eventfd and returns
// the HPEEREVENT.
func costRegistration(tb testing.TB, hGroup uintptr) uintptr {
	tb.Helper()
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { unix.Close(efd) })
	reg := new([16]byte) // PEER_GROUP_EVENT_REGISTRATION {INCOMING_DATA, NULL}
	reg[0] = byte(event.IncomingData)
	out := new(uintptr)
	if hr := PeerGroupRegisterEvent(hGroup, uintptr(efd), 1, uintptr(unsafe.Pointer(reg)), uintptr(unsafe.Pointer(out))); hr != 0 {
		tb.Fatalf("PeerGroupRegisterEvent: %#x", uint32(hr))
	}
	return *out
}

// BenchmarkEventCost publishes one INCOMING_DATA event per iteration and
// reads it as an application does.
func BenchmarkEventCost(b *testing.B) {
	for _, size := range []int{64, 64 << 10} {
		b.Run(sizeName(size), func(b *testing.B) {
			g, hg := costGroup(b)
			he := costRegistration(b, hg)
			bus := g.Engine().Bus()
			data := make([]byte, size)
			typ := uuid.New()
			free := func([]byte) {}
			out := new(uintptr)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := bus.PublishData(context.Background(), event.NewIncomingData(1, typ, data, data, free)); err != nil {
					b.Fatal(err)
				}
				if hr := PeerGroupGetEventData(he, uintptr(unsafe.Pointer(out))); hr != 0 || *out == 0 {
					b.Fatalf("PeerGroupGetEventData: %#x", uint32(hr))
				}
				PeerFreeData(*out)
				if hr := PeerGroupGetEventData(he, uintptr(unsafe.Pointer(out))); uint32(hr) != 0x00630002 {
					b.Fatalf("PeerGroupGetEventData on an empty queue: %#x", uint32(hr))
				}
			}
			runtime.KeepAlive(out)
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
