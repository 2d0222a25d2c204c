package harness

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"time"

	"github.com/quic-go/quic-go"
)

// The raw quic-go anchors of the benchmarks use what core/mesh uses: its
// flow-control windows and Ed25519 certificates, and nothing else.

// QUICConfig has core/mesh's windows (core/mesh/node.go quicConfig).
func QUICConfig() *quic.Config {
	return &quic.Config{
		MaxIdleTimeout:                 30 * time.Second,
		InitialStreamReceiveWindow:     1 << 20,
		MaxStreamReceiveWindow:         16 << 20,
		InitialConnectionReceiveWindow: 2 << 20,
		MaxConnectionReceiveWindow:     32 << 20,
	}
}

// ListenQUIC listens on a loopback port for an anchor's server, with a
// throwaway certificate and core/mesh's windows.
func ListenQUIC(alpn string) (*quic.Listener, error) {
	cert, err := selfSigned()
	if err != nil {
		return nil, err
	}
	return quic.ListenAddr("127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{alpn}}, QUICConfig())
}

// DialQUIC connects an anchor's client to a ListenQUIC server.
func DialQUIC(ctx context.Context, addr, alpn string) (*quic.Conn, error) {
	return quic.DialAddr(ctx, addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{alpn}}, QUICConfig())
}

// selfSigned is a throwaway Ed25519 certificate for an anchor's server.
func selfSigned() (tls.Certificate, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}, nil
}
