package main

/*
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/peererr"
	"p2p/core/service"
	"p2p/handles"
)

// Groups: their life cycle (create, open, join, connect, close, delete),
// status, properties, time and members.

//export PeerGroupCreate
func PeerGroupCreate(pProperties uintptr, phGroup uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[uintptr](&a, phGroup, "phGroup")
		props := a.properties(pProperties)
		if a.err != nil {
			return a.err
		}
		g, err := svc.CreateGroup(props)
		if errors.Is(err, peererr.ErrClassifierTooLong) {
			// The PeerGroupCreate page documents PEER_E_INVALID_CLASSIFIER
			// for the classifier in pProperties ("PeerGroupCreate function
			// (p2p.h)"); PEER_E_CLASSIFIER_TOO_LONG is not among its codes.
			err = fmt.Errorf("%w: %w", peererr.ErrInvalidClassifier, err)
		}
		if err != nil {
			return err
		}
		return returnGroup(out, g)
	})
}

//export PeerGroupOpen
func PeerGroupOpen(pwzIdentity uintptr, pwzGroupPeerName uintptr, pwzCloud uintptr, phGroup uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[uintptr](&a, phGroup, "phGroup")
		identity := a.str(pwzIdentity, maxName)
		name := a.str(pwzGroupPeerName, maxName)
		a.optStr(pwzCloud, maxName)
		if a.err != nil {
			return a.err
		}
		g, err := svc.OpenGroup(identity, name)
		if err != nil {
			return err
		}
		return returnGroup(out, g)
	})
}

//export PeerGroupJoin
func PeerGroupJoin(pwzIdentity uintptr, pwzInvitation uintptr, pwzCloud uintptr, phGroup uintptr) C.HRESULT {
	return join(pwzIdentity, pwzInvitation, 0, false, pwzCloud, phGroup)
}

//export PeerGroupPasswordJoin
func PeerGroupPasswordJoin(pwzIdentity uintptr, pwzInvitation uintptr, pwzPassword uintptr, pwzCloud uintptr, phGroup uintptr) C.HRESULT {
	return join(pwzIdentity, pwzInvitation, pwzPassword, true, pwzCloud, phGroup)
}

// join is PeerGroupJoin and, withPassword, PeerGroupPasswordJoin:
// PEER_S_ALREADY_A_MEMBER if the identity was a member already.
func join(pwzIdentity, pwzInvitation, pwzPassword uintptr, withPassword bool, pwzCloud, phGroup uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[uintptr](&a, phGroup, "phGroup")
		identity := a.optStr(pwzIdentity, maxName)
		invitation := a.str(pwzInvitation, maxDoc)
		var password string
		if withPassword {
			password = a.str(pwzPassword, maxName)
		}
		a.optStr(pwzCloud, maxName)
		if a.err != nil {
			return a.err
		}
		var g *service.Group
		var member bool
		var err error
		if withPassword {
			g, member, err = svc.PasswordJoinGroup(identity, invitation, password)
		} else {
			g, member, err = svc.JoinGroup(identity, invitation)
		}
		if err != nil {
			return err
		}
		if err := returnGroup(out, g); err != nil {
			return err
		}
		if member {
			return peererr.SAlreadyAMember
		}
		return nil
	})
}

// returnGroup registers a new HGROUP for g into *out.
func returnGroup(out *uintptr, g *service.Group) error {
	return returnHandle(out, handles.Group, g, func() { g.Close() })
}

//export PeerGroupConnect
func PeerGroupConnect(hGroup uintptr) C.HRESULT {
	return connect(hGroup, nil)
}

//export PeerGroupConnectByAddress
func PeerGroupConnectByAddress(hGroup uintptr, cAddresses C.ULONG, pAddresses uintptr) C.HRESULT {
	var addrs []netip.AddrPort
	hr := guard(func() error {
		var a args
		list := ptr[C.PEER_ADDRESS](&a, pAddresses)
		if a.err != nil {
			return a.err
		}
		if cAddresses == 0 || cAddresses > maxConnectAddresses || list == nil {
			return fmt.Errorf("%d addresses: %w", cAddresses, peererr.ErrInvalidArg)
		}
		for _, pa := range unsafe.Slice(list, int(cAddresses)) {
			ap, err := readAddress(&pa)
			if err != nil {
				return err
			}
			addrs = append(addrs, ap)
		}
		return nil
	})
	if hr != 0 {
		if _, err := rt.service(); err != nil { // uninitialised first
			return C.HRESULT(int32(peererr.HResult(err)))
		}
		return hr
	}
	return connect(hGroup, addrs)
}

// maxConnectAddresses bounds one PeerGroupConnectByAddress call.
const maxConnectAddresses = 32

// connect takes a group online, trying addrs first;
// PEER_S_ALREADY_CONNECTED if it was online.
func connect(hGroup uintptr, addrs []netip.AddrPort) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		g := a.group(hGroup)
		if a.err != nil {
			return a.err
		}
		already, err := g.Connect(addrs)
		if err == nil && already {
			return peererr.SAlreadyConnected
		}
		return err
	})
}

//export PeerGroupClose
func PeerGroupClose(hGroup uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		v, err := table.Remove(uint64(hGroup), handles.Group)
		if err != nil {
			return err
		}
		return v.(*service.Group).Close()
	})
}

//export PeerGroupDelete
func PeerGroupDelete(pwzIdentity uintptr, pwzGroupPeerName uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		identity := a.optStr(pwzIdentity, maxName)
		name := a.str(pwzGroupPeerName, maxName)
		if a.err != nil {
			return a.err
		}
		return svc.DeleteGroup(identity, name)
	})
}

//export PeerGroupGetStatus
func PeerGroupGetStatus(hGroup uintptr, pdwStatus uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[uint32](&a, pdwStatus, "pdwStatus")
		g := a.openGroup(hGroup)
		if a.err != nil {
			return a.err
		}
		*out = g.Status()
		return nil
	})
}

//export PeerGroupGetProperties
func PeerGroupGetProperties(hGroup uintptr, ppProperties uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppProperties, "ppProperties")
		g := a.openGroup(hGroup)
		if a.err != nil {
			return a.err
		}
		props, err := g.Properties()
		if err != nil {
			return err
		}
		return returnBlock(out, func(b *cbuf) unsafe.Pointer { return fillProperties(b, &props) })
	})
}

//export PeerGroupSetProperties
func PeerGroupSetProperties(hGroup uintptr, pProperties uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		g := a.group(hGroup)
		props := a.properties(pProperties)
		if a.err != nil {
			return a.err
		}
		return g.SetProperties(props)
	})
}

//export PeerGroupPeerTimeToUniversalTime
func PeerGroupPeerTimeToUniversalTime(hGroup uintptr, pftPeerTime uintptr, pftUniversalTime uintptr) C.HRESULT {
	return convertTime(hGroup, pftPeerTime, pftUniversalTime, (*service.Group).PeerTimeToUniversal)
}

//export PeerGroupUniversalTimeToPeerTime
func PeerGroupUniversalTimeToPeerTime(hGroup uintptr, pftUniversalTime uintptr, pftPeerTime uintptr) C.HRESULT {
	return convertTime(hGroup, pftUniversalTime, pftPeerTime, (*service.Group).UniversalToPeerTime)
}

// convertTime is PeerGroupPeerTimeToUniversalTime and the reverse.
func convertTime(hGroup, pftIn, pftOut uintptr, conv func(*service.Group, filetime.FILETIME) (filetime.FILETIME, error)) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		in := ptr[C.FILETIME](&a, pftIn)
		out := ptr[C.FILETIME](&a, pftOut)
		if a.err == nil && (in == nil || out == nil) {
			a.fail(errNull("FILETIME"))
		}
		g := a.group(hGroup)
		if a.err != nil {
			return a.err
		}
		t, err := conv(g, goFiletime(in))
		if err != nil {
			return err
		}
		putFiletime(out, t)
		return nil
	})
}

//export PeerGroupEnumMembers
func PeerGroupEnumMembers(hGroup uintptr, dwFlags C.DWORD, pwzIdentity uintptr, phPeerEnum uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[uintptr](&a, phPeerEnum, "phPeerEnum")
		g := a.group(hGroup)
		identity := a.optStr(pwzIdentity, maxName)
		if a.err != nil {
			return a.err
		}
		members, err := g.Members(uint32(dwFlags), identity)
		if err != nil {
			return err
		}
		return returnSlice(out, members, fillMember)
	})
}

// properties reads a PEER_GROUP_PROPERTIES argument.
func (a *args) properties(u uintptr) group.Properties {
	p := ptr[C.PEER_GROUP_PROPERTIES](a, u)
	if a.err != nil {
		return group.Properties{}
	}
	props, err := readProperties(p)
	a.fail(err)
	return props
}

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
		arr := b.array(uintptr(n) * C.sizeof_PEER_ADDRESS)
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
