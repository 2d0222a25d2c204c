// Package identity is the Identity Manager of the Peer API: the local
// user's peer identities, their keys and certificates, their XML forms
// and the store that keeps them (PeerIdentityCreate, PeerIdentityDelete,
// PeerIdentityGetDefault, PeerIdentityGet/SetFriendlyName,
// PeerIdentityGetXML, PeerIdentityExport/Import, PeerEnumIdentities).
//
// An identity is an Ed25519 key pair with a self-signed X.509
// certificate (subject CN = the peer name, no expiry) that it presents
// in mutual TLS 1.3 (Identity.TLSCertificate; the other side checks it
// with ParseCertificate). Its peer name is the secure form
// "<40 hex digits of SHA-1 of the public key>.<classifier>".
//
// # Errors
//
// As Microsoft's pages for these functions document them: an invalid
// argument (names too long or not XML-safe, malformed XML, a wrong
// export password or a tampered export) is E_INVALIDARG; an unknown
// identity PEER_E_NOT_FOUND; importing an identity already present
// PEER_E_ALREADY_EXISTS; a full store (MaxIdentities)
// PEER_E_TOO_MANY_IDENTITIES; a store the user may not read
// PEER_E_NO_KEY_ACCESS. A damaged identity on disk is
// PEER_E_CERT_STORE_CORRUPTED.
//
// # Identity XML, version "p2p-1"
//
// What PeerIdentityGetXML returns, for an administrator's
// PeerGroupCreateInvitation. Element names follow the PEERIDENTITYINFO
// fragment of the PeerIdentityGetXML page; peer name and friendly name
// are spelled out beside the certificate (IDC):
//
//	<PEERIDENTITYINFO VERSION="p2p-1">
//	<PEERNAME>…</PEERNAME>
//	<FRIENDLYNAME>…</FRIENDLYNAME>
//	<IDC xmlns:dt="urn:schemas-microsoft-com:datatypes" dt:dt="bin.base64">base64 DER</IDC>
//	</PEERIDENTITYINFO>
//
// # Export XML, version "p2p-1"
//
// What PeerIdentityExport returns, after the PEERIDENTITYEXPORT fragment
// of its page:
//
//	<PEERIDENTITYEXPORT VERSION="p2p-1">
//	<PEERNAME>…</PEERNAME>
//	<KDF ALGORITHM="argon2id" TIME="3" MEMORY="65536" THREADS="2" SALT="base64, 16 bytes"></KDF>
//	<DATA ALGORITHM="AES-256-GCM" NONCE="base64, 12 bytes" xmlns:dt="urn:schemas-microsoft-com:datatypes" dt:dt="bin.base64">base64 ciphertext</DATA>
//	</PEERIDENTITYEXPORT>
//
// The AES-256 key is Argon2id(password as UTF-8, SALT, TIME passes,
// MEMORY KiB, THREADS lanes). The plaintext is a version byte (1), the
// 32-byte Ed25519 seed, the friendly name (2-byte big-endian length,
// UTF-8) and the certificate DER. The additional authenticated data is
// "p2p-identity-export-v1\x00", the peer name (2-byte length, UTF-8),
// "argon2id\x00", TIME and MEMORY (4 bytes big-endian each), THREADS (1
// byte), the salt and "AES-256-GCM": no field can change undetected.
// Import refuses KDF costs above MaxKDFTime, MaxKDFMemoryKiB and
// MaxKDFThreads.
//
// Both documents are one line (shown on several here for reading), with
// text escaped as encoding/xml's EscapeText does and padded standard
// base64. Parsers accept exactly what this package writes, byte for byte
// apart from white space around the document, at most MaxDocumentSize
// bytes. Windows' own documents (VERSION="1.0", RSA certificates, PFX)
// are refused.
//
// # Store layout
//
//	<dir>/.lock                   exclusive lock of every change
//	<dir>/default                 authority of the default identity
//	<dir>/<authority>/key.pem     PKCS #8 private key, mode 0600
//	<dir>/<authority>/identity.xml  identity XML (names and certificate)
//	<dir>/.tmp-*, <authority>/.tmp-*  in-flight writes
//
// Directories are mode 0700 and named by the 40 hex digits of the
// authority, never by the peer name, whose classifier may hold any
// character; so one key holds one identity. New identities are written
// in a temporary directory and renamed into place; files are replaced by
// renaming a flushed temporary file over them; deleted identities are
// renamed away before removal. Temporary entries found under the lock
// belong to crashed writers and are removed when a store is opened.
package identity
