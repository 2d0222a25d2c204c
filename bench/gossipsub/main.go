// Command gossipsub is one go-libp2p GossipSub host, driven line by line
// over stdin/stdout by the propagation benchmark of bench/mesh, which runs
// twenty of them in separate processes as the anchor for our record
// flooding. It lives in its own Go module because go-libp2p pins a quic-go
// older than the library's, and the library must not depend on libp2p.
//
// Flags: -transport quic|tcp, -queue N (0: go-libp2p-pubsub's defaults;
// otherwise the peer outbound, validation and subscription queues and the
// validation throttle are N).
//
// On start it prints "addr <multiaddr>". Commands, one answer line each:
//
//	dial <multiaddr>...   connect to these hosts        -> "ok"
//	peers                 peers in the topic's mesh      -> "peers N"
//	expect N              print "done <unix ns>" once N messages from others
//	                      arrived (at once if they already have) -> "ok", later "done ..."
//	publish N SIZE        publish N messages of SIZE bytes as fast as
//	                      Publish returns                 -> "published"
//	count                 messages from others so far    -> "count N"
//	cpu                   user+system CPU seconds so far -> "cpu S"
//	quit
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"
)

const topicName = "bench"

func main() {
	transport := flag.String("transport", "quic", "quic or tcp")
	queue := flag.Int("queue", 0, "outbound, validation and subscription queue size (0: defaults)")
	flag.Parse()
	if err := run(*transport, *queue); err != nil {
		fmt.Fprintln(os.Stderr, "gossipsub:", err)
		os.Exit(1)
	}
}

// out serialises answer lines: the receive loop prints "done" while the
// command loop answers.
type out struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (o *out) println(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, format+"\n", args...)
	o.w.Flush()
}

func run(transport string, queue int) error {
	listen := "/ip4/127.0.0.1/udp/0/quic-v1"
	if transport == "tcp" {
		listen = "/ip4/127.0.0.1/tcp/0"
	} else if transport != "quic" {
		return fmt.Errorf("unknown transport %q", transport)
	}
	h, err := libp2p.New(libp2p.ListenAddrStrings(listen))
	if err != nil {
		return fmt.Errorf("new host: %w", err)
	}
	defer h.Close()
	ctx := context.Background()
	var opts []pubsub.Option
	var subOpts []pubsub.SubOpt
	if queue > 0 {
		// The three queues the brief names, and the cap on messages
		// awaiting signature validation (default 8192), which a loaded
		// machine exceeds during a 10,000-message burst.
		opts = append(opts, pubsub.WithPeerOutboundQueueSize(queue), pubsub.WithValidateQueueSize(queue),
			pubsub.WithValidateThrottle(queue))
		subOpts = append(subOpts, pubsub.WithBufferSize(queue))
	}
	ps, err := pubsub.NewGossipSub(ctx, h, opts...)
	if err != nil {
		return fmt.Errorf("new gossipsub: %w", err)
	}
	topic, err := ps.Join(topicName)
	if err != nil {
		return fmt.Errorf("join topic: %w", err)
	}
	sub, err := topic.Subscribe(subOpts...)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	o := &out{w: bufio.NewWriter(os.Stdout)}
	o.println("addr %s", fullAddr(h))

	var mu sync.Mutex
	received, expect := 0, -1
	go func() {
		for {
			m, err := sub.Next(ctx)
			if err != nil {
				return
			}
			if m.ReceivedFrom == h.ID() && m.GetFrom() == h.ID() {
				continue // our own publication
			}
			mu.Lock()
			received++
			hit := received == expect
			mu.Unlock()
			if hit {
				o.println("done %d", time.Now().UnixNano())
			}
		}
	}()

	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "dial":
			for _, a := range f[1:] {
				ai, err := peer.AddrInfoFromString(a)
				if err != nil {
					return fmt.Errorf("parse %s: %w", a, err)
				}
				if err := h.Connect(ctx, *ai); err != nil {
					return fmt.Errorf("connect %s: %w", a, err)
				}
			}
			o.println("ok")
		case "peers":
			o.println("peers %d", len(topic.ListPeers()))
		case "expect":
			n, _ := strconv.Atoi(arg(f, 1))
			mu.Lock()
			expect = n
			already := received >= n
			mu.Unlock()
			o.println("ok")
			if already {
				o.println("done %d", time.Now().UnixNano())
			}
		case "publish":
			n, _ := strconv.Atoi(arg(f, 1))
			size, _ := strconv.Atoi(arg(f, 2))
			for i := range n {
				// A new buffer each time: Publish keeps the slice.
				buf := make([]byte, max(size, 8))
				binary.BigEndian.PutUint64(buf, uint64(i))
				if err := topic.Publish(ctx, buf); err != nil {
					return fmt.Errorf("publish: %w", err)
				}
			}
			o.println("published")
		case "count":
			mu.Lock()
			n := received
			mu.Unlock()
			o.println("count %d", n)
		case "cpu":
			o.println("cpu %.3f", cpuSeconds())
		case "quit":
			return nil
		default:
			o.println("err unknown command %s", f[0])
		}
	}
	return sc.Err()
}

// cpuSeconds is the user and system CPU time this process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func arg(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// fullAddr is the host's first listen address with its peer id.
func fullAddr(h host.Host) multiaddr.Multiaddr {
	p2p, _ := multiaddr.NewComponent("p2p", h.ID().String())
	return h.Addrs()[0].Encapsulate(p2p)
}
