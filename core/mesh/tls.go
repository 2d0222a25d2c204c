package mesh

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/identity"
	"p2p/core/peererr"
	"p2p/core/wire"
)

// Both sides of a connection present their identity certificate in TLS
// 1.3. Certificates are self-signed, so the TLS layer checks only that
// each one is a well-formed identity certificate; membership is proved
// next, by a credential chain bound to the certificate's key.

func (n *Node) tlsConfig() *tls.Config {
	return &tls.Config{
		Certificates:          []tls.Certificate{n.e.Identity().TLSCertificate()},
		MinVersion:            tls.VersionTLS13,
		NextProtos:            []string{wire.ALPN},
		InsecureSkipVerify:    true, // identity certificates are self-signed; see VerifyPeerCertificate
		VerifyPeerCertificate: verifyIdentityCert,
		ServerName:            "p2p-group",
	}
}

func (n *Node) serverTLS() *tls.Config {
	c := n.tlsConfig()
	c.ClientAuth = tls.RequireAnyClientCert
	return c
}

func verifyIdentityCert(raw [][]byte, _ [][]*x509.Certificate) error {
	if len(raw) != 1 {
		return errors.New("want exactly one identity certificate")
	}
	_, err := identity.ParseCertificate(raw[0])
	return err
}

// peerIdentity returns the identity behind the certificate the peer
// presented.
func peerIdentity(state tls.ConnectionState) (*identity.Info, error) {
	if len(state.PeerCertificates) != 1 {
		return nil, fmt.Errorf("no identity certificate: %w", peererr.ErrConnectionNotAuthenticated)
	}
	return identity.ParseCertificate(state.PeerCertificates[0].Raw)
}

// checkMembership verifies that chain makes the certificate's identity a
// member of the group now.
func (n *Node) checkMembership(peer *identity.Info, chainBytes []byte) (credential.Chain, error) {
	chain, err := credential.ParseChain(chainBytes)
	if err != nil {
		return nil, fmt.Errorf("credential: %v: %w", err, peererr.ErrInvalidCredential)
	}
	if err := chain.Verify(n.e.GroupPeerName(), n.e.GroupKey(), filetime.Now()); err != nil {
		return nil, err
	}
	leaf := chain.Leaf()
	if leaf.Subject.PeerName != peer.PeerName || !leaf.Subject.Key.Equal(peer.PublicKey) {
		return nil, fmt.Errorf("credential of %s presented by %s: %w", leaf.Subject.PeerName, peer.PeerName, peererr.ErrInvalidCredential)
	}
	return chain, nil
}
