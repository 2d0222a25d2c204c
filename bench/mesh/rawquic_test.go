package meshbench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/quic-go/quic-go"

	"p2p/bench/mesh/harness"
)

// The anchor of the catch-up benchmark: raw quic-go (the library's
// version) carrying the same bytes between two processes, with the same
// flow-control windows as core/mesh and Ed25519 certificates as the
// library uses, and nothing else: no verification, no storage.
const (
	roleQUICSend = "quic-send" // listens; on a stream, sends the frames
	roleQUICRecv = "quic-recv" // "fetch <addr> <n> <size>" -> "ok <seconds>"
	alpn         = "p2pbench"
)

// runQUICSend listens on loopback, prints "addr <ip:port>", and for each
// connection sends, on the stream the client opens, the frames it asks
// for: "n size" in its first line, then n frames of a 4-byte length and
// size bytes, through a 64 KiB buffer.
func runQUICSend() error {
	ln, err := harness.ListenQUIC(alpn)
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Printf("addr %s\n", ln.Addr())
	go func() { io.Copy(io.Discard, os.Stdin); ln.Close() }() // exit when the parent closes stdin
	for {
		conn, err := ln.Accept(context.Background())
		if err != nil {
			return nil
		}
		go serveFrames(conn)
	}
}

func serveFrames(conn *quic.Conn) {
	s, err := conn.AcceptStream(context.Background())
	if err != nil {
		return
	}
	var n, size int
	if _, err := fmt.Fscanf(bufio.NewReader(io.LimitReader(s, 64)), "%d %d\n", &n, &size); err != nil {
		s.CancelWrite(1)
		return
	}
	msg := make([]byte, 4+size)
	binary.BigEndian.PutUint32(msg, uint32(size))
	rand.Read(msg[4:])
	bw := bufio.NewWriterSize(s, 64<<10)
	for range n {
		if _, err := bw.Write(msg); err != nil {
			return
		}
	}
	bw.Flush()
	s.Close()
	<-conn.Context().Done()
}

// runQUICRecv answers "fetch <addr> <n> <size>": it dials, asks for n
// frames of size bytes, reads them all and answers the seconds from the
// dial to the last byte.
func runQUICRecv() error {
	return harness.Serve(func(out *harness.Out, f []string) error {
		if f[0] != "fetch" || len(f) != 4 {
			return fmt.Errorf("usage: fetch <addr> <n> <size>")
		}
		n, _ := strconv.Atoi(f[2])
		size, _ := strconv.Atoi(f[3])
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		conn, err := harness.DialQUIC(ctx, f[1], alpn)
		if err != nil {
			return err
		}
		defer conn.CloseWithError(0, "")
		s, err := conn.OpenStreamSync(ctx)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(s, "%d %d\n", n, size); err != nil {
			return err
		}
		br := bufio.NewReaderSize(s, 64<<10)
		buf := make([]byte, size)
		var hdr [4]byte
		for i := range n {
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				return fmt.Errorf("frame %d: %w", i, err)
			}
			if _, err := io.ReadFull(br, buf[:binary.BigEndian.Uint32(hdr[:])]); err != nil {
				return fmt.Errorf("frame %d: %w", i, err)
			}
		}
		out.Println("ok %.4f", time.Since(start).Seconds())
		return nil
	})
}
