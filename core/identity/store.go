package identity

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"p2p/core/filelock"
	"p2p/core/peererr"
	"p2p/core/peername"
)

// MaxIdentities is how many identities one store holds before Create,
// Import and Default fail with PEER_E_TOO_MANY_IDENTITIES. Windows has
// such a limit but does not document its value; its guidance ("About the
// Identity Manager API") is that a user has a few identities and that
// applications delete the temporary ones they make. 1024 is far above
// that, and keeps List, which reads every identity, quick.
const MaxIdentities = 1024

// Names inside the store directory (see the package documentation).
const (
	keyFile      = "key.pem"
	infoFile     = "identity.xml"
	defaultFile  = "default"
	lockFileName = ".lock"
	tmpPrefix    = ".tmp-"
)

// Store is the identity store of one user: a directory holding one
// subdirectory per identity. It is safe for concurrent use by goroutines
// and by several processes sharing the directory: every change is made
// under an exclusive lock on the directory's lock file and lands with an
// atomic rename, so readers never see half an identity and a crash never
// leaves one.
type Store struct {
	dir string
	// mu serialises this Store's own changes before they take the file
	// lock, which is what excludes other Store values and processes.
	mu sync.Mutex

	// Knobs tests lower; OpenStore sets the real values.
	maxIdentities   int
	kdf             kdfParams
	maxKDFMemoryKiB uint32
}

// OpenStore opens the identity store in dir ($P2P_HOME/identities),
// creating the directory with mode 0700 if it is missing, and removes
// what writers that crashed left behind.
func OpenStore(dir string) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("open identity store: no directory: %w", peererr.ErrInvalidArg)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fsErr("open identity store", err)
	}
	s := &Store{dir: dir, maxIdentities: MaxIdentities, kdf: defaultKDF(), maxKDFMemoryKiB: MaxKDFMemoryKiB}
	if err := s.locked(s.clean); err != nil {
		return nil, fmt.Errorf("open identity store: %w", err)
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Create makes a new identity with a fresh key pair (PeerIdentityCreate).
// An empty friendly name means the peer name, as the PeerIdentityCreate
// page documents. Invalid names: E_INVALIDARG; a full store:
// PEER_E_TOO_MANY_IDENTITIES.
func (s *Store) Create(classifier, friendlyName string) (*Identity, error) {
	if err := checkClassifier(classifier); err != nil {
		return nil, fmt.Errorf("create identity: %w", err)
	}
	if err := checkFriendlyName(friendlyName); err != nil {
		return nil, fmt.Errorf("create identity: %w", err)
	}
	id, err := newIdentity(classifier, friendlyName)
	if err != nil {
		return nil, fmt.Errorf("create identity: %w", err)
	}
	err = s.locked(func() error {
		if err := s.checkRoom(); err != nil {
			return err
		}
		return s.writeNew(id)
	})
	if err != nil {
		return nil, fmt.Errorf("create identity: %w", err)
	}
	return id, nil
}

// Get returns the identity named peerName. A name that is not a peer
// name: E_INVALIDARG; no such identity: PEER_E_NOT_FOUND, the code the
// PeerIdentityGetFriendlyName, SetFriendlyName, Delete and Export pages
// document. A damaged identity: PEER_E_CERT_STORE_CORRUPTED.
func (s *Store) Get(peerName string) (*Identity, error) {
	id, err := s.get(peerName)
	if err != nil {
		return nil, fmt.Errorf("get identity: %w", err)
	}
	return id, nil
}

func (s *Store) get(peerName string) (*Identity, error) {
	authority, err := lookupAuthority(peerName)
	if err != nil {
		return nil, err
	}
	id, err := s.load(authority)
	if err != nil {
		return nil, err
	}
	if id.PeerName != peerName {
		return nil, fmt.Errorf("identity %q: %w", peerName, peererr.ErrNotFound)
	}
	return id, nil
}

// List returns every identity, sorted by peer name (PeerEnumIdentities).
// Damaged identities, which Get reports, are left out.
func (s *Store) List() ([]*Identity, error) {
	names, err := s.authorities()
	if err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	ids := make([]*Identity, 0, len(names))
	for _, a := range names {
		id, err := s.load(a)
		if errors.Is(err, peererr.ErrNotFound) || errors.Is(err, peererr.ErrCertStoreCorrupted) {
			continue // deleted meanwhile, or unusable
		}
		if err != nil {
			return nil, fmt.Errorf("list identities: %w", err)
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].PeerName < ids[j].PeerName })
	return ids, nil
}

// Delete removes the identity and its key (PeerIdentityDelete). Checking
// that it has no groups (PEER_E_GROUPS_EXIST) is the caller's job. No
// such identity: PEER_E_NOT_FOUND. If it was the default identity, the
// next Default makes a new one.
func (s *Store) Delete(peerName string) error {
	err := s.locked(func() error {
		id, err := s.get(peerName)
		if err != nil {
			return err
		}
		a := peername.Authority(id.PublicKey())
		// Rename first: readers then see the identity whole or not at all,
		// and a crash mid-removal leaves only a temporary name to clean.
		doomed := filepath.Join(s.dir, tmpPrefix+"deleted-"+a)
		if err := os.RemoveAll(doomed); err != nil {
			return fsErr("remove", err)
		}
		if err := os.Rename(filepath.Join(s.dir, a), doomed); err != nil {
			return fsErr("remove", err)
		}
		if cur, err := os.ReadFile(filepath.Join(s.dir, defaultFile)); err == nil && strings.TrimSpace(string(cur)) == a {
			if err := os.Remove(filepath.Join(s.dir, defaultFile)); err != nil {
				return fsErr("forget default", err)
			}
		}
		if err := syncDir(s.dir); err != nil {
			return fsErr("remove", err)
		}
		return fsErr("remove", os.RemoveAll(doomed))
	})
	if err != nil {
		return fmt.Errorf("delete identity: %w", err)
	}
	return nil
}

// SetFriendlyName changes an identity's friendly name
// (PeerIdentitySetFriendlyName); an empty name resets it to the default,
// the peer name, as that page documents. Too long: E_INVALIDARG; no such
// identity: PEER_E_NOT_FOUND.
func (s *Store) SetFriendlyName(peerName, name string) error {
	if err := checkFriendlyName(name); err != nil {
		return fmt.Errorf("set friendly name: %w", err)
	}
	err := s.locked(func() error {
		id, err := s.get(peerName)
		if err != nil {
			return err
		}
		if name == "" {
			name = id.PeerName
		}
		dir := filepath.Join(s.dir, peername.Authority(id.PublicKey()))
		return writeAtomic(dir, infoFile, []byte(encodeInfo(id.PeerName, name, id.CertDER)))
	})
	if err != nil {
		return fmt.Errorf("set friendly name: %w", err)
	}
	return nil
}

// Default returns the user's default identity (PeerIdentityGetDefault),
// creating it, with an empty classifier, on first use. Every Store and
// process on the directory gets the same one, even when they race on
// first use.
func (s *Store) Default() (*Identity, error) {
	if id, err := s.readDefault(); err == nil || !errors.Is(err, peererr.ErrNotFound) {
		return id, wrapErr("default identity", err)
	}
	var id *Identity
	err := s.locked(func() error {
		var err error
		if id, err = s.readDefault(); !errors.Is(err, peererr.ErrNotFound) {
			return err
		}
		if err := s.checkRoom(); err != nil {
			return err
		}
		if id, err = newIdentity("", ""); err != nil {
			return err
		}
		// The pointer first: a crash between the two leaves it dangling,
		// which readDefault treats as no default yet.
		a := peername.Authority(id.PublicKey())
		if err := writeAtomic(s.dir, defaultFile, []byte(a+"\n")); err != nil {
			return err
		}
		return s.writeNew(id)
	})
	if err != nil {
		return nil, fmt.Errorf("default identity: %w", err)
	}
	return id, nil
}

// Export returns the identity with its private key as export XML sealed
// with password (PeerIdentityExport). The page only forbids a NULL
// password, so the empty password is allowed. No such identity:
// PEER_E_NOT_FOUND.
func (s *Store) Export(peerName, password string) (string, error) {
	id, err := s.get(peerName)
	if err != nil {
		return "", fmt.Errorf("export identity: %w", err)
	}
	doc, err := encodeExport(id, password, s.kdf)
	if err != nil {
		return "", fmt.Errorf("export identity %q: %w", peerName, err)
	}
	return doc, nil
}

// Import adds the identity in export XML sealed with password
// (PeerIdentityImport). As that page documents: malformed XML, a wrong
// password or a tampered document give E_INVALIDARG, an identity already
// here (the same key) PEER_E_ALREADY_EXISTS. A full store:
// PEER_E_TOO_MANY_IDENTITIES.
func (s *Store) Import(doc, password string) (*Identity, error) {
	id, err := decodeExport(doc, password, s.maxKDFMemoryKiB)
	if err != nil {
		return nil, fmt.Errorf("import identity: %w", err)
	}
	if err := s.Add(id); err != nil {
		return nil, fmt.Errorf("import identity: %w", err)
	}
	return id, nil
}

// Add stores an identity obtained with Unseal. One already here (the same
// key): PEER_E_ALREADY_EXISTS; a full store: PEER_E_TOO_MANY_IDENTITIES.
func (s *Store) Add(id *Identity) error {
	return s.locked(func() error {
		if err := s.checkRoom(); err != nil && !s.exists(id) {
			return err
		}
		return s.writeNew(id)
	})
}

// Unseal decodes an export document with its password without adding the
// identity to the store, for callers that carry an identity inside their
// own documents (PeerGroupImportConfig). Errors are Import's.
func (s *Store) Unseal(doc, password string) (*Identity, error) {
	id, err := decodeExport(doc, password, s.maxKDFMemoryKiB)
	if err != nil {
		return nil, fmt.Errorf("unseal identity: %w", err)
	}
	return id, nil
}

// locked runs fn holding the store's exclusive lock.
func (s *Store) locked(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(filepath.Join(s.dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fsErr("lock store", err)
	}
	defer f.Close()
	if err := filelock.Lock(f); err != nil {
		return fsErr("lock store", err)
	}
	defer filelock.Unlock(f) // closing the file releases it anyway
	return fn()
}

// clean removes temporary entries. Called under the lock, which every
// writer holds while its temporaries exist: any found are a crashed
// writer's.
func (s *Store) clean() error {
	if err := removeTemps(s.dir); err != nil {
		return err
	}
	names, err := s.authorities()
	if err != nil {
		return err
	}
	for _, a := range names {
		if err := removeTemps(filepath.Join(s.dir, a)); err != nil {
			return err
		}
	}
	return nil
}

// removeTemps removes the entries of dir named with tmpPrefix.
func removeTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fsErr("clean", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fsErr("clean", err)
			}
		}
	}
	return nil
}

// authorities lists the identity directories' names.
func (s *Store) authorities() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fsErr("read store", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && isAuthority(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// checkRoom fails with PEER_E_TOO_MANY_IDENTITIES when the store is full.
func (s *Store) checkRoom() error {
	names, err := s.authorities()
	if err != nil {
		return err
	}
	if len(names) >= s.maxIdentities {
		return fmt.Errorf("%d identities: %w", len(names), peererr.ErrTooManyIdentities)
	}
	return nil
}

// exists reports whether an identity with id's key is stored.
func (s *Store) exists(id *Identity) bool {
	_, err := os.Lstat(filepath.Join(s.dir, peername.Authority(id.PublicKey())))
	return err == nil
}

// writeNew stores a new identity: its files are written and flushed in a
// temporary directory that is then renamed into place. An identity with
// the same key already stored: PEER_E_ALREADY_EXISTS.
func (s *Store) writeNew(id *Identity) error {
	if s.exists(id) {
		return fmt.Errorf("identity %q: %w", id.PeerName, peererr.ErrAlreadyExists)
	}
	der, err := x509.MarshalPKCS8PrivateKey(id.Key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	tmp, err := os.MkdirTemp(s.dir, tmpPrefix) // mode 0700
	if err != nil {
		return fsErr("store identity", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := writeNewFile(filepath.Join(tmp, keyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return err
	}
	if err := writeNewFile(filepath.Join(tmp, infoFile), []byte(id.XML())); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return fsErr("store identity", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, peername.Authority(id.PublicKey()))); err != nil {
		return fsErr("store identity", err)
	}
	done = true
	return fsErr("store identity", syncDir(s.dir))
}

// load reads the identity stored under authority. Missing:
// PEER_E_NOT_FOUND; unreadable: PEER_E_NO_KEY_ACCESS; inconsistent or
// garbled: PEER_E_CERT_STORE_CORRUPTED.
func (s *Store) load(authority string) (*Identity, error) {
	dir := filepath.Join(s.dir, authority)
	doc, err := os.ReadFile(filepath.Join(dir, infoFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("identity %s: %w", authority, peererr.ErrNotFound)
	}
	if err != nil {
		return nil, fsErr("read identity", err)
	}
	info, err := parseInfo(string(doc))
	if err != nil {
		return nil, corrupted(authority, err)
	}
	if peername.Authority(info.PublicKey) != authority {
		return nil, corrupted(authority, errors.New("stored under another key's name"))
	}
	p, err := os.ReadFile(filepath.Join(dir, keyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("identity %s: %w", authority, peererr.ErrNotFound) // deleted meanwhile
	}
	if err != nil {
		return nil, fsErr("read identity key", err)
	}
	key, err := parseKey(p)
	if err != nil {
		return nil, corrupted(authority, err)
	}
	if !info.PublicKey.Equal(key.Public()) {
		return nil, corrupted(authority, errors.New("key does not match certificate"))
	}
	return fromParts(info, info.FriendlyName, key), nil
}

// readDefault returns the default identity, or PEER_E_NOT_FOUND if there
// is none yet (no pointer, a garbled one, or one to a deleted identity).
func (s *Store) readDefault() (*Identity, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, defaultFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no default identity: %w", peererr.ErrNotFound)
	}
	if err != nil {
		return nil, fsErr("read default identity", err)
	}
	a := strings.TrimSpace(string(b))
	if !isAuthority(a) {
		return nil, fmt.Errorf("default identity pointer %q: %w", a, peererr.ErrNotFound)
	}
	return s.load(a)
}

// parseKey reads a PEM PKCS #8 Ed25519 private key.
func parseKey(p []byte) (ed25519.PrivateKey, error) {
	block, rest := pem.Decode(p)
	if block == nil || block.Type != "PRIVATE KEY" || len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("key file is not one PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%T is not an Ed25519 key", k)
	}
	return key, nil
}

// lookupAuthority checks a peer name given to Get and returns the
// directory it would be stored under.
func lookupAuthority(peerName string) (string, error) {
	a, _, err := peername.Parse(peerName)
	if err != nil {
		return "", fmt.Errorf("%w: %w", peererr.ErrInvalidArg, err)
	}
	if a == "0" {
		return "", fmt.Errorf("identity %q: unsecured names are no identity's: %w", peerName, peererr.ErrNotFound)
	}
	return a, nil
}

// isAuthority reports whether name is 40 lower-case hex digits.
func isAuthority(name string) bool {
	if len(name) != peername.AuthorityLen {
		return false
	}
	for _, c := range name {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// writeNewFile creates path (mode 0600), writes data and flushes it.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fsErr("write", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return fsErr("write", err)
}

// writeAtomic replaces dir/name with data: a flushed temporary file in the
// same directory renamed over it, then the directory flushed.
func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, tmpPrefix) // mode 0600
	if err != nil {
		return fsErr("write", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fsErr("write", err)
	}
	return fsErr("write", syncDir(dir))
}

// fsErr wraps a file-system error; a refused access becomes
// PEER_E_NO_KEY_ACCESS, which the Identity Manager pages document for
// "access to the peer identity or peer group keys is denied".
func fsErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%s: %w: %w", op, peererr.ErrNoKeyAccess, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// corrupted reports a damaged stored identity.
func corrupted(authority string, err error) error {
	return fmt.Errorf("identity %s: %w: %v", authority, peererr.ErrCertStoreCorrupted, err)
}

// wrapErr adds context to a non-nil error.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
