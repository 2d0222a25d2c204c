package main

/*
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/invitation"
	"p2p/core/peererr"
	"p2p/core/service"
)

// Invitations, credentials and the exported group configuration.

//export PeerGroupCreateInvitation
func PeerGroupCreateInvitation(hGroup uintptr, pwzIdentityInfo uintptr, pftExpiration uintptr, cRoles C.ULONG, pRoles uintptr, ppwzInvitation uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppwzInvitation, "ppwzInvitation")
		g := a.group(hGroup)
		info := a.str(pwzIdentityInfo, maxDoc)
		roles := a.roles(pRoles, uint32(cRoles))
		expires := a.expiration(pftExpiration)
		if a.err != nil {
			return a.err
		}
		xml, err := g.CreateInvitation(info, expires, roles)
		return returnString(out, xml, err)
	})
}

//export PeerGroupCreatePasswordInvitation
func PeerGroupCreatePasswordInvitation(hGroup uintptr, ppwzInvitation uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppwzInvitation, "ppwzInvitation")
		g := a.group(hGroup)
		if a.err != nil {
			return a.err
		}
		xml, err := g.CreatePasswordInvitation()
		return returnString(out, xml, err)
	})
}

//export PeerGroupResumePasswordAuthentication
func PeerGroupResumePasswordAuthentication(hGroup uintptr, hPeerEventHandle uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		g := a.group(hGroup)
		a.event(hPeerEventHandle)
		if a.err != nil {
			return a.err
		}
		return g.ResumePasswordAuthentication()
	})
}

//export PeerGroupParseInvitation
func PeerGroupParseInvitation(pwzInvitation uintptr, ppInvitationInfo uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppInvitationInfo, "ppInvitationInfo")
		doc := a.str(pwzInvitation, maxDoc)
		if a.err != nil {
			return a.err
		}
		inv, err := invitation.Parse(doc)
		if err != nil {
			return err
		}
		// An out-of-date invitation still parses; an altered one does not.
		if err := inv.Verify(filetime.Now()); err != nil && !errors.Is(err, peererr.ErrInvalidTimePeriod) {
			return err
		}
		return returnBlock(out, func(b *cbuf) unsafe.Pointer { return fillInvitationInfo(b, inv) })
	})
}

//export PeerGroupIssueCredentials
func PeerGroupIssueCredentials(hGroup uintptr, pwzSubjectIdentity uintptr, pCredentialInfo uintptr, dwFlags C.DWORD, ppwzInvitation uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := ptr[unsafe.Pointer](&a, ppwzInvitation) // optional
		clearOut(&a, out)
		g := a.group(hGroup)
		subject := a.str(pwzSubjectIdentity, maxName)
		info := a.credentialInfo(pCredentialInfo)
		if a.err != nil {
			return a.err
		}
		xml, err := g.IssueCredentials(subject, info, uint32(dwFlags))
		if err != nil || out == nil {
			return err
		}
		return returnString(out, xml, nil)
	})
}

//export PeerGroupExportConfig
func PeerGroupExportConfig(hGroup uintptr, pwzPassword uintptr, ppwzXML uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppwzXML, "ppwzXML")
		g := a.group(hGroup)
		password := a.str(pwzPassword, maxName)
		if a.err != nil {
			return a.err
		}
		xml, err := svc.ExportConfig(g, password)
		return returnString(out, xml, err)
	})
}

//export PeerGroupImportConfig
func PeerGroupImportConfig(pwzXML uintptr, pwzPassword uintptr, fOverwrite C.WINBOOL, ppwzIdentity uintptr, ppwzGroup uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		identityOut := required[unsafe.Pointer](&a, ppwzIdentity, "ppwzIdentity")
		groupOut := required[unsafe.Pointer](&a, ppwzGroup, "ppwzGroup")
		clearOut(&a, identityOut)
		clearOut(&a, groupOut)
		doc := a.str(pwzXML, maxDoc)
		password := a.str(pwzPassword, maxName)
		if a.err != nil {
			return a.err
		}
		identity, name, err := svc.ImportConfig(doc, password, fOverwrite != 0)
		if err != nil {
			return err
		}
		if err := returnString(identityOut, identity, nil); err != nil {
			return err
		}
		if err := returnString(groupOut, name, nil); err != nil {
			freeData(*identityOut)
			*identityOut = nil
			return err
		}
		return nil
	})
}

// expiration reads an optional FILETIME argument; 0 is E_INVALIDARG.
func (a *args) expiration(u uintptr) filetime.FILETIME {
	p := ptr[C.FILETIME](a, u)
	if a.err != nil || p == nil {
		return 0
	}
	t := goFiletime(p)
	if t == 0 {
		a.fail(fmt.Errorf("expiration 0: %w", peererr.ErrInvalidArg))
	}
	return t
}

// roles reads an array of n role GUIDs.
func (a *args) roles(u uintptr, n uint32) []uuid.UUID {
	p := ptr[C.GUID](a, u)
	if a.err != nil {
		return nil
	}
	roles, err := readRoles(p, n)
	a.fail(err)
	return roles
}

// credentialInfo reads an optional PEER_CREDENTIAL_INFO argument.
func (a *args) credentialInfo(u uintptr) *group.CredentialInfo {
	p := ptr[C.PEER_CREDENTIAL_INFO](a, u)
	if a.err != nil {
		return nil
	}
	info, err := readCredentialInfo(p)
	a.fail(err)
	return info
}

// ed25519OID names the key algorithm in CERT_PUBLIC_KEY_INFO (RFC 8410).
const ed25519OID = "1.3.101.112"

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
	p := b.array(uintptr(len(roles)) * C.sizeof_GUID)
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
		arr := b.array(uintptr(n) * 8)
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
