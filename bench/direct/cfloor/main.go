//go:build linux

// Command cfloor is the floor of the direct benchmark's ping-pong: the
// least any C API over quic-go can do. Each side runs its loop on a thread
// that C created, as an application does: the thread waits on an eventfd
// that a Go reader goroutine signals, takes the message through one call
// into Go and sends through another, which writes to a raw quic-go stream.
// No framing, event queue or handles: what remains is the cost of crossing
// between a C thread and Go's scheduler, which p2p's own figure cannot go
// below.
//
//	cfloor server <size>          prints "addr <ip:port>", then echoes
//	                              size-byte messages on one stream
//	cfloor sink <size>            the same, but echoes only marked messages
//	cfloor client <addr> <size>   commands on stdin: ping <n>
//	                              -> ok <p50 us> <p99 us> <mean us>
//	                              send <n> (to a sink: n messages, the
//	                              last marked, until its echo)
//	                              -> ok <seconds>
//
// The sink and send are the floor of the throughput figure: a C thread
// sends through one call into Go each, and the receiving C thread takes
// each message through one call, woken through the eventfd.
package main

/*
#include <stdint.h>
#include "cfloor.h"
*/
import "C"

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/quic-go/quic-go"
	"golang.org/x/sys/unix"

	"p2p/bench/mesh/harness"
)

const alpn = "p2pbench-floor"

// side is one end: its stream, the messages its reader received and the
// eventfd that tells the C thread about them.
var side struct {
	stream *quic.Stream
	efd    int
	mu     sync.Mutex
	queue  [][]byte
	closed bool

	lastSend time.Time // when floorSend last queued a small message (its caller's thread only)
}

// floorTake copies the oldest received message into p and returns its
// length: 0 when there is none, -1 once the stream has closed.
//
//export floorTake
func floorTake(p *C.char, n C.int) C.int {
	side.mu.Lock()
	defer side.mu.Unlock()
	if len(side.queue) == 0 {
		if side.closed {
			return -1
		}
		return 0
	}
	m := side.queue[0]
	side.queue = side.queue[1:]
	c := copy(unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)), m)
	buffers.Put(&m)
	return C.int(c)
}

// buffers recycles received messages once taken, so that receiving costs
// no allocation per message.
var buffers sync.Pool

// floorSend writes n bytes at p to the stream. A large message goes
// through quic-go's Write, which returns once it has taken every byte
// into its frames, so the C memory is written without a copy into Go's.
// A small one is queued at once (TryWriteAll) and, after a pause of
// 60 us, followed by a yield so that the connection's sender runs now,
// as the library does (core/mesh, direct.send).
//
//export floorSend
func floorSend(p *C.char, n C.int) {
	b := unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
	if n <= 8<<10 && side.stream.TryWriteAll(b) == nil {
		now := time.Now()
		idle := now.Sub(side.lastSend) > 60*time.Microsecond
		side.lastSend = now
		if idle {
			runtime.Gosched()
		}
		return
	}
	side.stream.Write(b)
}

// receive queues each size-byte message and signals the eventfd.
func receive(size int) {
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	for {
		var m []byte
		if b, ok := buffers.Get().(*[]byte); ok {
			m = *b
		} else {
			m = make([]byte, size)
		}
		_, err := io.ReadFull(side.stream, m)
		side.mu.Lock()
		if err != nil {
			side.closed = true
		} else {
			side.queue = append(side.queue, m)
		}
		side.mu.Unlock()
		unix.Write(side.efd, one)
		if err != nil {
			return
		}
	}
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cfloor:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return err
	}
	side.efd = efd
	switch {
	case len(args) == 2 && (args[0] == "server" || args[0] == "sink"):
		size, _ := strconv.Atoi(args[1])
		return serve(size, args[0] == "sink")
	case len(args) == 3 && args[0] == "client":
		size, _ := strconv.Atoi(args[2])
		return client(args[1], size)
	}
	return fmt.Errorf("usage: cfloor server <size> | cfloor sink <size> | cfloor client <addr> <size>")
}

func serve(size int, sink bool) error {
	ln, err := harness.ListenQUIC(alpn)
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Printf("addr %s\n", ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	conn, err := ln.Accept(context.Background())
	if err != nil {
		return err
	}
	if side.stream, err = conn.AcceptStream(context.Background()); err != nil {
		return err
	}
	go receive(size)
	if sink {
		C.cfloor_sink(C.int(side.efd), C.int(size))
	} else {
		C.cfloor_pong(C.int(side.efd), C.int(size))
	}
	return nil
}

func client(addr string, size int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := harness.DialQUIC(ctx, addr, alpn)
	if err != nil {
		return err
	}
	if side.stream, err = conn.OpenStreamSync(ctx); err != nil {
		return err
	}
	go receive(size)
	return harness.Serve(func(out *harness.Out, f []string) error {
		if len(f) != 2 || (f[0] != "ping" && f[0] != "send") {
			return fmt.Errorf("usage: ping <n> | send <n>")
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 1 {
			return fmt.Errorf("bad count %q", f[1])
		}
		if f[0] == "send" {
			var ns C.uint64_t
			if done := C.cfloor_blast(C.int(side.efd), C.int(size), C.long(n), &ns); done != C.long(n) {
				return fmt.Errorf("%d of %d messages: the stream closed or the thread did not start", done, n)
			}
			out.Println("ok %.6f", float64(ns)/1e9)
			return nil
		}
		rtt := make([]uint64, n)
		if done := C.cfloor_ping(C.int(side.efd), C.int(size), C.long(n), (*C.uint64_t)(unsafe.Pointer(&rtt[0]))); done != C.long(n) {
			return fmt.Errorf("%d of %d round trips: the stream closed or the thread did not start", done, n)
		}
		us := make([]float64, n)
		sum := 0.0
		for i, v := range rtt {
			us[i] = float64(v) / 1e3
			sum += us[i]
		}
		slices.Sort(us)
		out.Println("ok %.1f %.1f %.1f", us[n/2], us[n*99/100], sum/float64(n))
		return nil
	})
}
