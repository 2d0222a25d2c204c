package main

/*
#cgo CFLAGS: -I${SRCDIR}
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"
	"unsafe"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/invitation"
	"p2p/core/peererr"
	"p2p/core/record"
	"p2p/core/service"
)

// ed25519OID names the key algorithm in CERT_PUBLIC_KEY_INFO (RFC 8410).
const ed25519OID = "1.3.101.112"

// --- small conversions ---

func wp(p *uint16) *C.WCHAR { return (*C.WCHAR)(unsafe.Pointer(p)) }

func u16(p *C.WCHAR) *uint16 { return (*uint16)(unsafe.Pointer(p)) }

// goGUID converts a Windows GUID (Data1..3 little-endian in memory) to a
// uuid.UUID (RFC 4122 byte order).
func goGUID(g *C.GUID) uuid.UUID {
	w := (*[16]byte)(unsafe.Pointer(g))
	var u uuid.UUID
	binary.BigEndian.PutUint32(u[0:], binary.LittleEndian.Uint32(w[0:]))
	binary.BigEndian.PutUint16(u[4:], binary.LittleEndian.Uint16(w[4:]))
	binary.BigEndian.PutUint16(u[6:], binary.LittleEndian.Uint16(w[6:]))
	copy(u[8:], w[8:])
	return u
}

func putGUID(g *C.GUID, u uuid.UUID) {
	w := (*[16]byte)(unsafe.Pointer(g))
	binary.LittleEndian.PutUint32(w[0:], binary.BigEndian.Uint32(u[0:]))
	binary.LittleEndian.PutUint16(w[4:], binary.BigEndian.Uint16(u[4:]))
	binary.LittleEndian.PutUint16(w[6:], binary.BigEndian.Uint16(u[6:]))
	copy(w[8:], u[8:])
}

func goFiletime(f *C.FILETIME) filetime.FILETIME {
	return filetime.Join(uint32(f.dwLowDateTime), uint32(f.dwHighDateTime))
}

func putFiletime(f *C.FILETIME, t filetime.FILETIME) {
	lo, hi := t.Split()
	f.dwLowDateTime, f.dwHighDateTime = C.DWORD(lo), C.DWORD(hi)
}

// goBytes copies cb bytes at p, refusing more than max with tooBig.
func goBytes(p unsafe.Pointer, cb uint32, max int, tooBig *peererr.Code) ([]byte, error) {
	v, err := cBytes(p, cb, max, tooBig)
	if v == nil {
		return nil, err
	}
	return append([]byte(nil), v...), nil
}

// cBytes is goBytes without the copy: the application's own memory, valid
// only until the call returns. For callees that copy what they keep
// before returning (SendData frames the message at once), it saves a copy
// of every message.
func cBytes(p unsafe.Pointer, cb uint32, max int, tooBig *peererr.Code) ([]byte, error) {
	if cb == 0 {
		return nil, nil
	}
	if int64(cb) > int64(max) {
		return nil, fmt.Errorf("%d bytes exceed %d: %w", cb, max, tooBig)
	}
	if p == nil {
		return nil, fmt.Errorf("NULL data with %d bytes: %w", cb, peererr.ErrInvalidArg)
	}
	return unsafe.Slice((*byte)(p), cb), nil
}

// setPtr writes a pointer to an application's out parameter.
func setPtr(out unsafe.Pointer, p unsafe.Pointer) { *(*unsafe.Pointer)(out) = p }

// setHandle writes a handle value to an application's out parameter.
func setHandle(out unsafe.Pointer, h uint64) { *(*uintptr)(out) = uintptr(h) }

// --- records ---

func fillRecord(b *cbuf, r *record.Record) unsafe.Pointer {
	p := (*C.PEER_RECORD)(b.take(C.sizeof_PEER_RECORD))
	p.dwSize = C.sizeof_PEER_RECORD
	putGUID(&p._type, r.Type)
	putGUID(&p.id, r.ID)
	p.dwVersion = C.DWORD(r.Version)
	p.dwFlags = C.DWORD(r.Flags)
	p.pwzCreatorId = wp(b.wstr(r.CreatorID))
	p.pwzModifiedById = wp(b.wstr(r.ModifiedByID))
	p.pwzAttributes = wp(b.optWstr(r.Attributes))
	putFiletime(&p.ftCreation, r.Created)
	putFiletime(&p.ftExpiration, r.Expires)
	putFiletime(&p.ftLastModified, r.Modified)
	p.securityData.cbData = C.ULONG(len(r.Signature))
	p.securityData.pbData = (*C.BYTE)(b.bytes(r.Signature))
	p.data.cbData = C.ULONG(len(r.Data))
	p.data.pbData = (*C.BYTE)(b.bytes(r.Data))
	return unsafe.Pointer(p)
}

// readNewRecord reads the caller's PEER_RECORD for Add/UpdateRecord.
func readNewRecord(p *C.PEER_RECORD) (group.NewRecord, error) {
	if p == nil {
		return group.NewRecord{}, fmt.Errorf("NULL record: %w", peererr.ErrInvalidArg)
	}
	if p.dwSize != C.sizeof_PEER_RECORD {
		return group.NewRecord{}, fmt.Errorf("record dwSize %d: %w", p.dwSize, peererr.ErrInvalidArg)
	}
	data, err := goBytes(unsafe.Pointer(p.data.pbData), uint32(p.data.cbData), record.MaxDataSize, peererr.ErrMaxRecordSizeExceeded)
	if err != nil {
		return group.NewRecord{}, err
	}
	attrs, err := optString(u16(p.pwzAttributes), maxDoc)
	if err != nil {
		// Malformed UTF-16 is E_INVALIDARG like every other string (design.md,
		// "The C ABI contract"); PEER_E_INVALID_ATTRIBUTES is for the XML.
		return group.NewRecord{}, fmt.Errorf("attributes: %w", err)
	}
	return group.NewRecord{
		ID: goGUID(&p.id), Type: goGUID(&p._type), Flags: uint32(p.dwFlags),
		Attributes: attrs, Expires: goFiletime(&p.ftExpiration), Data: data,
	}, nil
}

// --- group properties ---

func readProperties(p *C.PEER_GROUP_PROPERTIES) (group.Properties, error) {
	var out group.Properties
	if p == nil {
		return out, fmt.Errorf("NULL properties: %w", peererr.ErrInvalidArg)
	}
	if p.dwSize != C.sizeof_PEER_GROUP_PROPERTIES {
		return out, fmt.Errorf("properties dwSize %d: %w", p.dwSize, peererr.ErrInvalidArg)
	}
	var err error
	read := func(dst *string, src *C.WCHAR) {
		if err == nil {
			*dst, err = optString(u16(src), maxName)
		}
	}
	read(&out.Cloud, p.pwzCloud)
	read(&out.Classifier, p.pwzClassifier)
	read(&out.GroupPeerName, p.pwzGroupPeerName)
	read(&out.CreatorPeerName, p.pwzCreatorPeerName)
	read(&out.FriendlyName, p.pwzFriendlyName)
	read(&out.Comment, p.pwzComment)
	read(&out.Password, p.pwzGroupPassword)
	if err != nil {
		return out, err
	}
	out.Flags = uint32(p.dwFlags)
	out.MemberDataLifetime = uint32(p.ulMemberDataLifetime)
	out.PresenceLifetime = uint32(p.ulPresenceLifetime)
	out.AuthSchemes = uint32(p.dwAuthenticationSchemes)
	out.PasswordRole = goGUID(&p.groupPasswordRole)
	return out, nil
}

func fillProperties(b *cbuf, pr *group.Properties) unsafe.Pointer {
	p := (*C.PEER_GROUP_PROPERTIES)(b.take(C.sizeof_PEER_GROUP_PROPERTIES))
	p.dwSize = C.sizeof_PEER_GROUP_PROPERTIES
	p.dwFlags = C.DWORD(pr.Flags)
	p.pwzCloud = wp(b.optWstr(pr.Cloud))
	p.pwzClassifier = wp(b.optWstr(pr.Classifier))
	p.pwzGroupPeerName = wp(b.wstr(pr.GroupPeerName))
	p.pwzCreatorPeerName = wp(b.optWstr(pr.CreatorPeerName))
	p.pwzFriendlyName = wp(b.optWstr(pr.FriendlyName))
	p.pwzComment = wp(b.optWstr(pr.Comment))
	p.ulMemberDataLifetime = C.ULONG(pr.MemberDataLifetime)
	p.ulPresenceLifetime = C.ULONG(pr.PresenceLifetime)
	p.dwAuthenticationSchemes = C.DWORD(pr.AuthSchemes)
	putGUID(&p.groupPasswordRole, pr.PasswordRole)
	return unsafe.Pointer(p)
}

// --- public keys, credentials, invitations ---

// fillPublicKey lays out a CERT_PUBLIC_KEY_INFO for an Ed25519 key.
func fillPublicKey(b *cbuf, key []byte) *C.CERT_PUBLIC_KEY_INFO {
	if len(key) == 0 {
		return nil
	}
	p := (*C.CERT_PUBLIC_KEY_INFO)(b.take(C.sizeof_CERT_PUBLIC_KEY_INFO))
	oid := b.bytes(append([]byte(ed25519OID), 0))
	p.Algorithm.pszObjId = (*C.char)(oid)
	p.PublicKey.cbData = C.DWORD(len(key))
	p.PublicKey.pbData = (*C.BYTE)(b.bytes(key))
	return p
}

// readPublicKey reads an Ed25519 key from a CERT_PUBLIC_KEY_INFO.
func readPublicKey(p *C.CERT_PUBLIC_KEY_INFO) ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("NULL public key: %w", peererr.ErrInvalidCredentialInfo)
	}
	if p.Algorithm.pszObjId != nil {
		if oid := C.GoStringN(p.Algorithm.pszObjId, C.int(len(ed25519OID)+1)); oid != ed25519OID && oid != ed25519OID+"\x00" {
			return nil, fmt.Errorf("key algorithm %q is not Ed25519: %w", oid, peererr.ErrInvalidCredentialInfo)
		}
	}
	return goBytes(unsafe.Pointer(p.PublicKey.pbData), uint32(p.PublicKey.cbData), 32, peererr.ErrInvalidCredentialInfo)
}

func fillRoles(b *cbuf, roles []uuid.UUID) *C.GUID {
	if len(roles) == 0 {
		return nil
	}
	p := b.take(uintptr(len(roles)) * C.sizeof_GUID)
	if !b.measuring {
		arr := unsafe.Slice((*C.GUID)(p), len(roles))
		for i, r := range roles {
			putGUID(&arr[i], r)
		}
	}
	return (*C.GUID)(p)
}

func readRoles(p *C.GUID, n uint32) ([]uuid.UUID, error) {
	if n == 0 {
		return nil, nil
	}
	if n > 16 {
		return nil, fmt.Errorf("%d roles: %w", n, peererr.ErrInvalidArg)
	}
	if p == nil {
		return nil, fmt.Errorf("NULL roles: %w", peererr.ErrInvalidArg)
	}
	var out []uuid.UUID
	for _, g := range unsafe.Slice(p, n) {
		out = append(out, goGUID(&g))
	}
	return out, nil
}

func fillCredential(b *cbuf, c *credential.Credential) *C.PEER_CREDENTIAL_INFO {
	p := (*C.PEER_CREDENTIAL_INFO)(b.take(C.sizeof_PEER_CREDENTIAL_INFO))
	p.dwSize = C.sizeof_PEER_CREDENTIAL_INFO
	p.pwzFriendlyName = wp(b.optWstr(c.Subject.FriendlyName))
	p.pPublicKey = fillPublicKey(b, c.Subject.Key)
	p.pwzIssuerPeerName = wp(b.optWstr(c.IssuerPeerName))
	p.pwzIssuerFriendlyName = wp(b.optWstr(c.IssuerFriendlyName))
	putFiletime(&p.ftValidityStart, c.NotBefore)
	putFiletime(&p.ftValidityEnd, c.NotAfter)
	p.cRoles = C.ULONG(len(c.Roles))
	p.pRoles = fillRoles(b, c.Roles)
	return p
}

func readCredentialInfo(p *C.PEER_CREDENTIAL_INFO) (*group.CredentialInfo, error) {
	if p == nil {
		return nil, nil
	}
	if p.dwSize != C.sizeof_PEER_CREDENTIAL_INFO {
		return nil, fmt.Errorf("credential info dwSize %d: %w", p.dwSize, peererr.ErrInvalidArg)
	}
	name, err := optString(u16(p.pwzFriendlyName), maxName)
	if err != nil {
		return nil, err
	}
	key, err := readPublicKey(p.pPublicKey)
	if err != nil {
		return nil, err
	}
	roles, err := readRoles(p.pRoles, uint32(p.cRoles))
	if err != nil {
		return nil, err
	}
	return &group.CredentialInfo{FriendlyName: name, PublicKey: key, Roles: roles,
		NotBefore: goFiletime(&p.ftValidityStart), NotAfter: goFiletime(&p.ftValidityEnd)}, nil
}

func fillInvitationInfo(b *cbuf, inv *invitation.Invitation) unsafe.Pointer {
	p := (*C.PEER_INVITATION_INFO)(b.take(C.sizeof_PEER_INVITATION_INFO))
	p.dwSize = C.sizeof_PEER_INVITATION_INFO
	p.dwFlags = C.DWORD(inv.Flags)
	p.pwzCloudName = wp(b.optWstr(inv.Cloud))
	p.dwScope = C.DWORD(inv.Scope)
	p.dwCloudFlags = C.DWORD(inv.CloudFlags)
	p.pwzGroupPeerName = wp(b.wstr(inv.GroupPeerName))
	p.pwzIssuerPeerName = wp(b.optWstr(inv.IssuerPeerName))
	p.pwzSubjectPeerName = wp(b.optWstr(inv.SubjectPeerName))
	p.pwzGroupFriendlyName = wp(b.optWstr(inv.GroupFriendlyName))
	p.pwzIssuerFriendlyName = wp(b.optWstr(inv.IssuerFriendlyName))
	p.pwzSubjectFriendlyName = wp(b.optWstr(inv.SubjectFriendlyName))
	putFiletime(&p.ftValidityStart, inv.NotBefore)
	putFiletime(&p.ftValidityEnd, inv.NotAfter)
	p.cRoles = C.ULONG(len(inv.Roles))
	p.pRoles = fillRoles(b, inv.Roles)
	p.cClassifiers = C.ULONG(len(inv.Classifiers))
	if n := len(inv.Classifiers); n > 0 {
		arr := b.take(uintptr(n) * 8)
		strs := make([]*uint16, n)
		for i, c := range inv.Classifiers {
			strs[i] = b.wstr(c)
		}
		if !b.measuring {
			copy(unsafe.Slice((**C.WCHAR)(arr), n), *(*[]*C.WCHAR)(unsafe.Pointer(&strs)))
		}
		p.ppwzClassifiers = (*C.PWSTR)(arr)
	}
	p.pSubjectPublicKey = fillPublicKey(b, inv.SubjectKey)
	p.authScheme = C.PEER_GROUP_AUTHENTICATION_SCHEME(inv.AuthScheme)
	return unsafe.Pointer(p)
}

// --- addresses and members ---

// PEER_ADDRESS carries the platform's AF_INET6 on output; both it and
// Windows' value 23 are accepted on input.
const (
	afInet6        = syscall.AF_INET6
	windowsAFInet6 = 23
)

func fillAddress(a *C.PEER_ADDRESS, ap netip.AddrPort) {
	a.dwSize = C.sizeof_PEER_ADDRESS
	sin := (*[28]byte)(unsafe.Pointer(&a.sin6))
	binary.LittleEndian.PutUint16(sin[0:], afInet6)
	binary.BigEndian.PutUint16(sin[2:], ap.Port())
	ip := ap.Addr().As16()
	copy(sin[8:24], ip[:])
}

func readAddress(a *C.PEER_ADDRESS) (netip.AddrPort, error) {
	if a.dwSize != C.sizeof_PEER_ADDRESS {
		return netip.AddrPort{}, fmt.Errorf("address dwSize %d: %w", a.dwSize, peererr.ErrInvalidArg)
	}
	sin := (*[28]byte)(unsafe.Pointer(&a.sin6))
	if fam := binary.LittleEndian.Uint16(sin[0:]); fam != afInet6 && fam != windowsAFInet6 {
		return netip.AddrPort{}, fmt.Errorf("address family %d is not AF_INET6: %w", fam, peererr.ErrInvalidAddress)
	}
	ip := netip.AddrFrom16([16]byte(sin[8:24])).Unmap()
	port := binary.BigEndian.Uint16(sin[2:])
	if port == 0 || !ip.IsValid() || ip.IsUnspecified() {
		return netip.AddrPort{}, fmt.Errorf("address %s port %d: %w", ip, port, peererr.ErrInvalidAddress)
	}
	return netip.AddrPortFrom(ip, port), nil
}

func fillMember(b *cbuf, m *group.Member) unsafe.Pointer {
	p := (*C.PEER_MEMBER)(b.take(C.sizeof_PEER_MEMBER))
	p.dwSize = C.sizeof_PEER_MEMBER
	if m.Present {
		p.dwFlags = C.DWORD(group.MemberFlagPresent)
	}
	p.pwzIdentity = wp(b.wstr(m.PeerName))
	p.pwzAttributes = wp(b.optWstr(m.Attributes))
	p.ullNodeId = C.ULONGLONG(m.NodeID)
	p.cAddresses = C.ULONG(len(m.Addresses))
	if n := len(m.Addresses); n > 0 {
		arr := b.take(uintptr(n) * C.sizeof_PEER_ADDRESS)
		if !b.measuring {
			for i, ap := range m.Addresses {
				fillAddress(&unsafe.Slice((*C.PEER_ADDRESS)(arr), n)[i], ap)
			}
		}
		p.pAddresses = (*C.PEER_ADDRESS)(arr)
	}
	if m.Credential != nil {
		p.pCredentialInfo = fillCredential(b, m.Credential)
	}
	return unsafe.Pointer(p)
}

func fillNamePair(b *cbuf, n service.NamePair) unsafe.Pointer {
	p := (*C.PEER_NAME_PAIR)(b.take(C.sizeof_PEER_NAME_PAIR))
	p.dwSize = C.sizeof_PEER_NAME_PAIR
	p.pwzPeerName = wp(b.wstr(n.PeerName))
	p.pwzFriendlyName = wp(b.optWstr(n.FriendlyName))
	return unsafe.Pointer(p)
}

// --- events ---

// eventUnion is where PEER_GROUP_EVENT_DATA's union starts.
const eventUnion = 8

func fillEvent(b *cbuf, e *event.Event) unsafe.Pointer {
	base := b.take(C.sizeof_PEER_GROUP_EVENT_DATA)
	p := (*C.PEER_GROUP_EVENT_DATA)(base)
	p.eventType = C.PEER_GROUP_EVENT_TYPE(e.Type)
	u := unsafe.Add(base, eventUnion)
	switch e.Type {
	case event.StatusChanged:
		*(*C.DWORD)(u) = C.DWORD(e.Status)
	case event.RecordChanged:
		r := (*C.PEER_EVENT_RECORD_CHANGE_DATA)(u)
		r.dwSize = C.sizeof_PEER_EVENT_RECORD_CHANGE_DATA
		r.changeType = C.PEER_RECORD_CHANGE_TYPE(e.Record.Change)
		putGUID(&r.recordId, e.Record.RecordID)
		putGUID(&r.recordType, e.Record.RecordType)
	case event.DirectConnection, event.NeighborConnection:
		c := (*C.PEER_EVENT_CONNECTION_CHANGE_DATA)(u)
		c.dwSize = C.sizeof_PEER_EVENT_CONNECTION_CHANGE_DATA
		c.status = C.PEER_CONNECTION_STATUS(e.Connection.Status)
		c.ullConnectionId = C.ULONGLONG(e.Connection.ConnectionID)
		c.ullNodeId = C.ULONGLONG(e.Connection.NodeID)
		c.ullNextConnectionId = C.ULONGLONG(e.Connection.NextConnectionID)
		c.hrConnectionFailedReason = C.HRESULT(int32(e.Connection.FailedReason))
	case event.IncomingData:
		d := (*C.PEER_EVENT_INCOMING_DATA)(u)
		d.dwSize = C.sizeof_PEER_EVENT_INCOMING_DATA
		d.ullConnectionId = C.ULONGLONG(e.Data.ConnectionID)
		putGUID(&d._type, e.Data.DataType)
		d.data.cbData = C.ULONG(len(e.Data.Data))
		d.data.pbData = (*C.BYTE)(b.bytes(e.Data.Data))
	case event.MemberChanged:
		m := (*C.PEER_EVENT_MEMBER_CHANGE_DATA)(u)
		m.dwSize = C.sizeof_PEER_EVENT_MEMBER_CHANGE_DATA
		m.changeType = C.PEER_MEMBER_CHANGE_TYPE(e.Member.Change)
		m.pwzIdentity = wp(b.optWstr(e.Member.Identity))
	case event.ConnectionFailed, event.AuthenticationFailed:
		*(*C.HRESULT)(u) = C.HRESULT(int32(e.Reason))
	}
	return base
}

func fillConnection(b *cbuf, c group.Connection) unsafe.Pointer {
	p := (*C.PEER_CONNECTION_INFO)(b.take(C.sizeof_PEER_CONNECTION_INFO))
	p.dwSize = C.sizeof_PEER_CONNECTION_INFO
	p.dwFlags = C.DWORD(c.Flags)
	p.ullConnectionId = C.ULONGLONG(c.ConnectionID)
	p.ullNodeId = C.ULONGLONG(c.NodeID)
	p.pwzPeerId = wp(b.optWstr(c.PeerName))
	if c.Address.IsValid() {
		fillAddress(&p.address, c.Address)
	}
	return unsafe.Pointer(p)
}
