package directbench

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"p2p/bench/mesh/harness"
)

// The anchors: one byte stream between two processes, a quic-go stream
// (the library's quic-go, with core/mesh's flow-control windows and an
// Ed25519 certificate) or a TCP connection. Each test starts with a
// 24-byte header (mode, n, size); messages are size bytes, one Write each.
//
//	sink: the client writes n messages; the server reads them all and
//	      answers one byte.
//	echo: n times, the client writes a message and the server writes it
//	      back.
const (
	roleServer = "raw-server" // $P2PBENCH_NET quic|tcp; prints "addr <ip:port>"
	roleClient = "raw-client" // connect <net> <addr> | send <n> <size> | ping <n> <size>
	alpn       = "p2pbench"
	modeSink   = 1
	modeEcho   = 2
)

// runServer accepts one connection (one stream for QUIC) and serves tests
// on it until it closes; it exits when stdin closes.
func runServer(network string) error {
	var accept func() (io.ReadWriteCloser, error)
	var addr net.Addr
	switch network {
	case "quic":
		ln, err := harness.ListenQUIC(alpn)
		if err != nil {
			return err
		}
		defer ln.Close()
		addr = ln.Addr()
		accept = func() (io.ReadWriteCloser, error) {
			conn, err := ln.Accept(context.Background())
			if err != nil {
				return nil, err
			}
			return conn.AcceptStream(context.Background())
		}
	case "tcp":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		addr = ln.Addr()
		accept = func() (io.ReadWriteCloser, error) { return ln.Accept() }
	default:
		return fmt.Errorf("unknown network %q", network)
	}
	fmt.Printf("addr %s\n", addr)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	for {
		s, err := accept()
		if err != nil {
			return err
		}
		go serve(s)
	}
}

func serve(s io.ReadWriteCloser) {
	defer s.Close()
	var hdr [24]byte
	for {
		if _, err := io.ReadFull(s, hdr[:]); err != nil {
			return
		}
		mode, n, size := binary.BigEndian.Uint64(hdr[:]), int(binary.BigEndian.Uint64(hdr[8:])), int(binary.BigEndian.Uint64(hdr[16:]))
		buf := make([]byte, size)
		switch mode {
		case modeSink:
			if _, err := io.CopyN(io.Discard, s, int64(n*size)); err != nil {
				return
			}
			if _, err := s.Write([]byte{1}); err != nil {
				return
			}
		case modeEcho:
			for range n {
				if _, err := io.ReadFull(s, buf); err != nil {
					return
				}
				if _, err := s.Write(buf); err != nil {
					return
				}
			}
		default:
			return
		}
	}
}

// runClient serves the parent's commands on one connection.
func runClient() error {
	var s io.ReadWriteCloser
	return harness.Serve(func(out *harness.Out, f []string) error {
		switch f[0] {
		case "connect":
			if len(f) != 3 {
				return fmt.Errorf("usage: connect <net> <addr>")
			}
			var err error
			s, err = dial(f[1], f[2])
			if err != nil {
				return err
			}
			out.Println("ok")
		case "send", "ping":
			if s == nil || len(f) != 3 {
				return fmt.Errorf("not connected, or usage: %s <n> <size>", f[0])
			}
			n, _ := strconv.Atoi(f[1])
			size, _ := strconv.Atoi(f[2])
			if f[0] == "send" {
				secs, err := sink(s, n, size)
				if err != nil {
					return err
				}
				out.Println("ok %.6f", secs)
				return nil
			}
			p50, p99, mean, err := echo(s, n, size)
			if err != nil {
				return err
			}
			out.Println("ok %.1f %.1f %.1f", p50, p99, mean)
		default:
			return fmt.Errorf("unknown command")
		}
		return nil
	})
}

func dial(network, addr string) (io.ReadWriteCloser, error) {
	if network == "tcp" {
		return net.Dial("tcp", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := harness.DialQUIC(ctx, addr, alpn)
	if err != nil {
		return nil, err
	}
	return conn.OpenStreamSync(ctx)
}

func header(mode uint64, n, size int) []byte {
	var h [24]byte
	binary.BigEndian.PutUint64(h[:], mode)
	binary.BigEndian.PutUint64(h[8:], uint64(n))
	binary.BigEndian.PutUint64(h[16:], uint64(size))
	return h[:]
}

// sink writes n messages of size bytes, one Write each, and returns the
// seconds until the server acknowledged the last.
func sink(s io.ReadWriter, n, size int) (float64, error) {
	msg := make([]byte, size)
	start := time.Now()
	if _, err := s.Write(header(modeSink, n, size)); err != nil {
		return 0, err
	}
	for range n {
		if _, err := s.Write(msg); err != nil {
			return 0, err
		}
	}
	var ack [1]byte
	if _, err := io.ReadFull(s, ack[:]); err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}

// echo runs n round trips and returns p50, p99 and mean in microseconds.
func echo(s io.ReadWriter, n, size int) (p50, p99, mean float64, err error) {
	msg := make([]byte, size)
	if _, err := s.Write(header(modeEcho, n, size)); err != nil {
		return 0, 0, 0, err
	}
	rtt := make([]float64, n)
	sum := 0.0
	for i := range n {
		start := time.Now()
		if _, err := s.Write(msg); err != nil {
			return 0, 0, 0, err
		}
		if _, err := io.ReadFull(s, msg); err != nil {
			return 0, 0, 0, err
		}
		rtt[i] = float64(time.Since(start).Nanoseconds()) / 1e3
		sum += rtt[i]
	}
	slices.Sort(rtt)
	return rtt[n/2], rtt[n*99/100], sum / float64(n), nil
}

// rawPair starts a server and a connected client over network.
func rawPair(b *testing.B, dir, network string) (server, client *harness.Proc) {
	b.Helper()
	server, err := harness.SpawnSelf("raw-server-"+network, dir, roleServer, "P2PBENCH_NET="+network)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(server.Close)
	l, err := server.Read(30 * time.Second)
	if err != nil {
		b.Fatal(err)
	}
	client, err = harness.SpawnSelf("raw-client-"+network, dir, roleClient)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(client.Close)
	ok(b, client, 30*time.Second, "connect %s %s", network, strings.TrimPrefix(l, "addr "))
	return server, client
}

// rawSend times n messages of size one way.
func rawSend(b *testing.B, client, _ *harness.Proc, n, size int) float64 {
	b.Helper()
	return float(b, ok(b, client, 10*time.Minute, "send %d %d", n, size))
}

// rawPing runs warm-up and timed round trips; p50 and p99 in microseconds.
func rawPing(b *testing.B, client, _ *harness.Proc, n int) (p50, p99 float64) {
	b.Helper()
	ok(b, client, time.Minute, "ping %d %d", warmup, pingSize)
	f := strings.Fields(ok(b, client, 10*time.Minute, "ping %d %d", n, pingSize))
	return float(b, f[0]), float(b, f[1])
}
