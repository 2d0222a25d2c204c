package main

/*
#cgo CFLAGS: -I${SRCDIR}
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/peererr"
	"p2p/core/service"
	"p2p/handles"
)

// This file holds every exported function of p2p.h and nothing else: each
// one checks and converts its arguments, calls the core and converts the
// results. Out parameters are cleared first, so a bad out pointer is found
// before any work is done.

func hr(code uint32) C.HRESULT { return C.HRESULT(int32(code)) }

// cGUID drops the const of an LPCGUID argument, for reading.
func cGUID(p C.LPCGUID) *C.GUID { return (*C.GUID)(unsafe.Pointer(p)) }

// errNull is the error of a required pointer argument that is NULL.
func errNull(what string) error { return fmt.Errorf("%s is NULL: %w", what, peererr.ErrInvalidArg) }

// groupOf resolves an HGROUP.
func groupOf(h uintptr) (*service.Group, error) {
	v, err := table.Get(uint64(h), handles.Group)
	if err != nil {
		return nil, err
	}
	return v.(*service.Group), nil
}

// returnString marshals s into *out.
func returnString(out *C.PWSTR, s string) error {
	p, err := marshalString(s)
	if err != nil {
		return err
	}
	*out = C.PWSTR(unsafe.Pointer(p))
	return nil
}

// returnEnum stores an enumeration handle into *out.
func returnEnum(out *C.HPEERENUM, h uint64, err error) error {
	if err != nil {
		return err
	}
	setHandle(unsafe.Pointer(out), h)
	return nil
}

// ---- Common calls ----

//export PeerFreeData
func PeerFreeData(pvData uintptr) {
	defer func() { recover() }()
	freeBlock(pvData)
}

//export PeerGetItemCount
func PeerGetItemCount(hPeerEnum uintptr, pCount uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pCount := argPtr[C.ULONG](&args, pCount)
		if args.err != nil {
			return args.err
		}
		if pCount == nil {
			return errNull("pCount")
		}
		*pCount = 0
		v, err := table.Get(uint64(hPeerEnum), handles.Enum)
		if err != nil {
			return err
		}
		*pCount = C.ULONG(v.(*enumeration).remaining())
		return nil
	}))
}

//export PeerGetNextItem
func PeerGetNextItem(hPeerEnum uintptr, pCount uintptr, pppvItems uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pCount := argPtr[C.ULONG](&args, pCount)
		pppvItems := argPtr[*C.PVOID](&args, pppvItems)
		if args.err != nil {
			return args.err
		}
		if pCount == nil || pppvItems == nil {
			return errNull("pCount or pppvItems")
		}
		*pppvItems = nil
		want := int(*pCount)
		*pCount = 0
		v, err := table.Get(uint64(hPeerEnum), handles.Enum)
		if err != nil {
			return err
		}
		p, n, err := v.(*enumeration).take(want)
		if err != nil {
			return err
		}
		*pppvItems = (*C.PVOID)(p)
		*pCount = C.ULONG(n)
		return nil
	}))
}

//export PeerEndEnumeration
func PeerEndEnumeration(hPeerEnum uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		_, err := table.Remove(uint64(hPeerEnum), handles.Enum)
		return err
	}))
}

// ---- Startup and shutdown ----

//export PeerGroupStartup
func PeerGroupStartup(wVersionRequested C.WORD, pVersionData uintptr) C.HRESULT {
	return hr(guard(func() error {
		var args ptrArgs
		pVersionData := argPtr[C.PEER_VERSION_DATA](&args, pVersionData)
		if args.err != nil {
			return args.err
		}
		if pVersionData == nil {
			return errNull("pVersionData")
		}
		req := uint16(wVersionRequested)
		// MAKEWORD(major, minor): compare major (low byte), then minor.
		if req&0xFF < 1 {
			return fmt.Errorf("version %#x: %w", req, peererr.ErrUnsupportedVersion)
		}
		use := req
		if req&0xFF > versionHighest&0xFF || req&0xFF == versionHighest&0xFF && req>>8 > versionHighest>>8 {
			use = versionHighest
		}
		pVersionData.wVersion = C.WORD(use)
		pVersionData.wHighestVersion = C.WORD(versionHighest)
		return rt.startup()
	}))
}

//export PeerGroupShutdown
func PeerGroupShutdown() C.HRESULT {
	return hr(guard(rt.shutdown))
}

// ---- Group lifecycle ----

//export PeerGroupCreate
func PeerGroupCreate(pProperties uintptr, phGroup uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pProperties := argPtr[C.PEER_GROUP_PROPERTIES](&args, pProperties)
		phGroup := argPtr[C.HGROUP](&args, phGroup)
		if args.err != nil {
			return args.err
		}
		if phGroup == nil {
			return errNull("phGroup")
		}
		setHandle(unsafe.Pointer(phGroup), 0)
		props, err := readProperties(pProperties)
		if err != nil {
			return err
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
		return returnGroup(phGroup, g)
	}))
}

// returnGroup registers a new HGROUP for g.
func returnGroup(out *C.HGROUP, g *service.Group) error {
	h, err := table.New(handles.Group, g)
	if err != nil {
		g.Close()
		return err
	}
	setHandle(unsafe.Pointer(out), h)
	return nil
}

//export PeerGroupOpen
func PeerGroupOpen(pwzIdentity uintptr, pwzGroupPeerName uintptr, pwzCloud uintptr, phGroup uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		pwzGroupPeerName := argPtr[C.WCHAR](&args, pwzGroupPeerName)
		pwzCloud := argPtr[C.WCHAR](&args, pwzCloud)
		phGroup := argPtr[C.HGROUP](&args, phGroup)
		if args.err != nil {
			return args.err
		}
		if phGroup == nil {
			return errNull("phGroup")
		}
		setHandle(unsafe.Pointer(phGroup), 0)
		id, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		name, err := goString(u16(pwzGroupPeerName), maxName)
		if err != nil {
			return err
		}
		if _, err := optString(u16(pwzCloud), maxName); err != nil {
			return err
		}
		g, err := svc.OpenGroup(id, name)
		if err != nil {
			return err
		}
		return returnGroup(phGroup, g)
	}))
}

//export PeerGroupJoin
func PeerGroupJoin(pwzIdentity uintptr, pwzInvitation uintptr, pwzCloud uintptr, phGroup uintptr) C.HRESULT {
	var already bool
	code := call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		pwzInvitation := argPtr[C.WCHAR](&args, pwzInvitation)
		pwzCloud := argPtr[C.WCHAR](&args, pwzCloud)
		phGroup := argPtr[C.HGROUP](&args, phGroup)
		if args.err != nil {
			return args.err
		}
		if phGroup == nil {
			return errNull("phGroup")
		}
		setHandle(unsafe.Pointer(phGroup), 0)
		id, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		inv, err := goString(u16(pwzInvitation), maxDoc)
		if err != nil {
			return err
		}
		if _, err := optString(u16(pwzCloud), maxName); err != nil {
			return err
		}
		g, isMember, err := svc.JoinGroup(id, inv)
		if err != nil {
			return err
		}
		already = isMember
		return returnGroup(phGroup, g)
	})
	if code == peererr.SOK && already {
		code = peererr.SAlreadyAMember.HR
	}
	return hr(code)
}

//export PeerGroupPasswordJoin
func PeerGroupPasswordJoin(pwzIdentity uintptr, pwzInvitation uintptr, pwzPassword uintptr, pwzCloud uintptr, phGroup uintptr) C.HRESULT {
	var already bool
	code := call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		pwzInvitation := argPtr[C.WCHAR](&args, pwzInvitation)
		pwzPassword := argPtr[C.WCHAR](&args, pwzPassword)
		pwzCloud := argPtr[C.WCHAR](&args, pwzCloud)
		phGroup := argPtr[C.HGROUP](&args, phGroup)
		if args.err != nil {
			return args.err
		}
		if phGroup == nil {
			return errNull("phGroup")
		}
		setHandle(unsafe.Pointer(phGroup), 0)
		id, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		inv, err := goString(u16(pwzInvitation), maxDoc)
		if err != nil {
			return err
		}
		password, err := goString(u16(pwzPassword), maxName)
		if err != nil {
			return err
		}
		if _, err := optString(u16(pwzCloud), maxName); err != nil {
			return err
		}
		g, isMember, err := svc.PasswordJoinGroup(id, inv, password)
		if err != nil {
			return err
		}
		already = isMember
		return returnGroup(phGroup, g)
	})
	if code == peererr.SOK && already {
		code = peererr.SAlreadyAMember.HR
	}
	return hr(code)
}

//export PeerGroupConnect
func PeerGroupConnect(hGroup uintptr) C.HRESULT {
	return hr(connect(hGroup, nil))
}

//export PeerGroupConnectByAddress
func PeerGroupConnectByAddress(hGroup uintptr, cAddresses C.ULONG, pAddresses uintptr) C.HRESULT {
	var addrs []netip.AddrPort
	code := guard(func() error {
		var args ptrArgs
		pAddresses := argPtr[C.PEER_ADDRESS](&args, pAddresses)
		if args.err != nil {
			return args.err
		}
		if cAddresses == 0 || cAddresses > maxConnectAddresses || pAddresses == nil {
			return fmt.Errorf("%d addresses: %w", cAddresses, peererr.ErrInvalidArg)
		}
		for _, a := range unsafe.Slice(pAddresses, int(cAddresses)) {
			ap, err := readAddress(&a)
			if err != nil {
				return err
			}
			addrs = append(addrs, ap)
		}
		return nil
	})
	if code != peererr.SOK {
		if _, err := rt.service(); err != nil {
			return hr(peererr.HResult(err))
		}
		return hr(code)
	}
	return hr(connect(hGroup, addrs))
}

// maxConnectAddresses bounds one PeerGroupConnectByAddress call.
const maxConnectAddresses = 32

// connect takes a group online; PEER_S_ALREADY_CONNECTED if it was.
func connect(hGroup uintptr, addrs []netip.AddrPort) uint32 {
	already := false
	code := call(func(svc *service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		already, err = g.Connect(addrs)
		return err
	})
	if code == peererr.SOK && already {
		code = peererr.SAlreadyConnected.HR
	}
	return code
}

//export PeerGroupClose
func PeerGroupClose(hGroup uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		v, err := table.Remove(uint64(hGroup), handles.Group)
		if err != nil {
			return err
		}
		return v.(*service.Group).Close()
	}))
}

//export PeerGroupDelete
func PeerGroupDelete(pwzIdentity uintptr, pwzGroupPeerName uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		pwzGroupPeerName := argPtr[C.WCHAR](&args, pwzGroupPeerName)
		if args.err != nil {
			return args.err
		}
		id, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		name, err := goString(u16(pwzGroupPeerName), maxName)
		if err != nil {
			return err
		}
		return svc.DeleteGroup(id, name)
	}))
}

//export PeerGroupGetStatus
func PeerGroupGetStatus(hGroup uintptr, pdwStatus uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pdwStatus := argPtr[C.DWORD](&args, pdwStatus)
		if args.err != nil {
			return args.err
		}
		if pdwStatus == nil {
			return errNull("pdwStatus")
		}
		*pdwStatus = 0
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		if g.Closed() { // deleted under this handle
			return peererr.ErrInvalidGroup
		}
		*pdwStatus = C.DWORD(g.Status())
		return nil
	}))
}

//export PeerGroupGetProperties
func PeerGroupGetProperties(hGroup uintptr, ppProperties uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		ppProperties := argPtr[C.PPEER_GROUP_PROPERTIES](&args, ppProperties)
		if args.err != nil {
			return args.err
		}
		if ppProperties == nil {
			return errNull("ppProperties")
		}
		*ppProperties = nil
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		if g.Closed() {
			return peererr.ErrInvalidGroup
		}
		props, err := g.Properties()
		if err != nil {
			return err
		}
		p, err := marshal(func(b *cbuf) unsafe.Pointer { return fillProperties(b, &props) })
		if err != nil {
			return err
		}
		*ppProperties = C.PPEER_GROUP_PROPERTIES(p)
		return nil
	}))
}

//export PeerGroupSetProperties
func PeerGroupSetProperties(hGroup uintptr, pProperties uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pProperties := argPtr[C.PEER_GROUP_PROPERTIES](&args, pProperties)
		if args.err != nil {
			return args.err
		}
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		props, err := readProperties(pProperties)
		if err != nil {
			return err
		}
		return g.SetProperties(props)
	}))
}

//export PeerGroupPeerTimeToUniversalTime
func PeerGroupPeerTimeToUniversalTime(hGroup uintptr, pftPeerTime uintptr, pftUniversalTime uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pftPeerTime := argPtr[C.FILETIME](&args, pftPeerTime)
		pftUniversalTime := argPtr[C.FILETIME](&args, pftUniversalTime)
		if args.err != nil {
			return args.err
		}
		return convertTime(hGroup, pftPeerTime, pftUniversalTime, (*service.Group).PeerTimeToUniversal)
	}))
}

//export PeerGroupUniversalTimeToPeerTime
func PeerGroupUniversalTimeToPeerTime(hGroup uintptr, pftUniversalTime uintptr, pftPeerTime uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pftUniversalTime := argPtr[C.FILETIME](&args, pftUniversalTime)
		pftPeerTime := argPtr[C.FILETIME](&args, pftPeerTime)
		if args.err != nil {
			return args.err
		}
		return convertTime(hGroup, pftUniversalTime, pftPeerTime, (*service.Group).UniversalToPeerTime)
	}))
}

func convertTime(hGroup uintptr, in, out *C.FILETIME, conv func(*service.Group, filetime.FILETIME) (filetime.FILETIME, error)) error {
	if in == nil || out == nil {
		return errNull("FILETIME")
	}
	g, err := groupOf(hGroup)
	if err != nil {
		return err
	}
	t, err := conv(g, goFiletime(in))
	if err != nil {
		return err
	}
	putFiletime(out, t)
	return nil
}

// ---- Invitations and credentials ----

//export PeerGroupCreateInvitation
func PeerGroupCreateInvitation(hGroup uintptr, pwzIdentityInfo uintptr, pftExpiration uintptr, cRoles C.ULONG, pRoles uintptr, ppwzInvitation uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pwzIdentityInfo := argPtr[C.WCHAR](&args, pwzIdentityInfo)
		pftExpiration := argPtr[C.FILETIME](&args, pftExpiration)
		pRoles := argPtr[C.GUID](&args, pRoles)
		ppwzInvitation := argPtr[C.PWSTR](&args, ppwzInvitation)
		if args.err != nil {
			return args.err
		}
		if ppwzInvitation == nil {
			return errNull("ppwzInvitation")
		}
		*ppwzInvitation = nil
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		info, err := goString(u16(pwzIdentityInfo), maxDoc)
		if err != nil {
			return err
		}
		roles, err := readRoles(cGUID(pRoles), uint32(cRoles))
		if err != nil {
			return err
		}
		var exp filetime.FILETIME
		if pftExpiration != nil {
			if exp = goFiletime(pftExpiration); exp == 0 {
				return fmt.Errorf("expiration 0: %w", peererr.ErrInvalidArg)
			}
		}
		xml, err := g.CreateInvitation(info, exp, roles)
		if err != nil {
			return err
		}
		return returnString(ppwzInvitation, xml)
	}))
}

//export PeerGroupCreatePasswordInvitation
func PeerGroupCreatePasswordInvitation(hGroup uintptr, ppwzInvitation uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		ppwzInvitation := argPtr[C.PWSTR](&args, ppwzInvitation)
		if args.err != nil {
			return args.err
		}
		if ppwzInvitation == nil {
			return errNull("ppwzInvitation")
		}
		*ppwzInvitation = nil
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		xml, err := g.CreatePasswordInvitation()
		if err != nil {
			return err
		}
		return returnString(ppwzInvitation, xml)
	}))
}

//export PeerGroupResumePasswordAuthentication
func PeerGroupResumePasswordAuthentication(hGroup uintptr, hPeerEventHandle uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		if _, err := eventOf(hPeerEventHandle, false); err != nil {
			return err
		}
		return g.ResumePasswordAuthentication()
	}))
}

//export PeerGroupParseInvitation
func PeerGroupParseInvitation(pwzInvitation uintptr, ppInvitationInfo uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pwzInvitation := argPtr[C.WCHAR](&args, pwzInvitation)
		ppInvitationInfo := argPtr[C.PPEER_INVITATION_INFO](&args, ppInvitationInfo)
		if args.err != nil {
			return args.err
		}
		if ppInvitationInfo == nil {
			return errNull("ppInvitationInfo")
		}
		*ppInvitationInfo = nil
		doc, err := goString(u16(pwzInvitation), maxDoc)
		if err != nil {
			return err
		}
		inv, err := invitation.Parse(doc)
		if err != nil {
			return err
		}
		// An out-of-date invitation still parses; an altered one does not.
		if err := inv.Verify(filetime.Now()); err != nil && !errors.Is(err, peererr.ErrInvalidTimePeriod) {
			return err
		}
		p, err := marshal(func(b *cbuf) unsafe.Pointer { return fillInvitationInfo(b, inv) })
		if err != nil {
			return err
		}
		*ppInvitationInfo = C.PPEER_INVITATION_INFO(p)
		return nil
	}))
}

//export PeerGroupIssueCredentials
func PeerGroupIssueCredentials(hGroup uintptr, pwzSubjectIdentity uintptr, pCredentialInfo uintptr, dwFlags C.DWORD, ppwzInvitation uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pwzSubjectIdentity := argPtr[C.WCHAR](&args, pwzSubjectIdentity)
		pCredentialInfo := argPtr[C.PEER_CREDENTIAL_INFO](&args, pCredentialInfo)
		ppwzInvitation := argPtr[C.PWSTR](&args, ppwzInvitation)
		if args.err != nil {
			return args.err
		}
		if ppwzInvitation != nil {
			*ppwzInvitation = nil
		}
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		subject, err := goString(u16(pwzSubjectIdentity), maxName)
		if err != nil {
			return err
		}
		info, err := readCredentialInfo(pCredentialInfo)
		if err != nil {
			return err
		}
		xml, err := g.IssueCredentials(subject, info, uint32(dwFlags))
		if err != nil {
			return err
		}
		if ppwzInvitation == nil {
			return nil
		}
		return returnString(ppwzInvitation, xml)
	}))
}

//export PeerGroupExportConfig
func PeerGroupExportConfig(hGroup uintptr, pwzPassword uintptr, ppwzXML uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzPassword := argPtr[C.WCHAR](&args, pwzPassword)
		ppwzXML := argPtr[C.PWSTR](&args, ppwzXML)
		if args.err != nil {
			return args.err
		}
		if ppwzXML == nil {
			return errNull("ppwzXML")
		}
		*ppwzXML = nil
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		password, err := goString(u16(pwzPassword), maxName)
		if err != nil {
			return err
		}
		xml, err := svc.ExportConfig(g, password)
		if err != nil {
			return err
		}
		return returnString(ppwzXML, xml)
	}))
}

//export PeerGroupImportConfig
func PeerGroupImportConfig(pwzXML uintptr, pwzPassword uintptr, fOverwrite C.WINBOOL, ppwzIdentity uintptr, ppwzGroup uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzXML := argPtr[C.WCHAR](&args, pwzXML)
		pwzPassword := argPtr[C.WCHAR](&args, pwzPassword)
		ppwzIdentity := argPtr[C.PWSTR](&args, ppwzIdentity)
		ppwzGroup := argPtr[C.PWSTR](&args, ppwzGroup)
		if args.err != nil {
			return args.err
		}
		if ppwzIdentity == nil || ppwzGroup == nil {
			return errNull("ppwzIdentity or ppwzGroup")
		}
		*ppwzIdentity, *ppwzGroup = nil, nil
		doc, err := goString(u16(pwzXML), maxDoc)
		if err != nil {
			return err
		}
		password, err := goString(u16(pwzPassword), maxName)
		if err != nil {
			return err
		}
		id, grp, err := svc.ImportConfig(doc, password, fOverwrite != 0)
		if err != nil {
			return err
		}
		if err := returnString(ppwzIdentity, id); err != nil {
			return err
		}
		if err := returnString(ppwzGroup, grp); err != nil {
			freeData(unsafe.Pointer(*ppwzIdentity))
			*ppwzIdentity = nil
			return err
		}
		return nil
	}))
}

// ---- Members and connections ----

//export PeerGroupEnumMembers
func PeerGroupEnumMembers(hGroup uintptr, dwFlags C.DWORD, pwzIdentity uintptr, phPeerEnum uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		phPeerEnum := argPtr[C.HPEERENUM](&args, phPeerEnum)
		if args.err != nil {
			return args.err
		}
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		id, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		members, err := g.Members(uint32(dwFlags), id)
		if err != nil {
			return err
		}
		h, err := sliceEnum(members, func(b *cbuf, m group.Member) unsafe.Pointer { return fillMember(b, &m) })
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerGroupOpenDirectConnection
func PeerGroupOpenDirectConnection(hGroup uintptr, pwzIdentity uintptr, pAddress uintptr, pullConnectionId uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		pAddress := argPtr[C.PEER_ADDRESS](&args, pAddress)
		pullConnectionId := argPtr[C.ULONGLONG](&args, pullConnectionId)
		if args.err != nil {
			return args.err
		}
		if pullConnectionId == nil {
			return errNull("pullConnectionId")
		}
		*pullConnectionId = 0
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		peer, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		var addr netip.AddrPort
		if pAddress != nil {
			if addr, err = readAddress(pAddress); err != nil {
				return err
			}
		}
		id, err := g.OpenDirectConnection(peer, addr)
		if err != nil {
			return err
		}
		*pullConnectionId = C.ULONGLONG(id)
		return nil
	}))
}

//export PeerGroupCloseDirectConnection
func PeerGroupCloseDirectConnection(hGroup uintptr, ullConnectionId C.ULONGLONG) C.HRESULT {
	return hr(call(func(*service.Service) error {
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		return g.CloseDirectConnection(uint64(ullConnectionId))
	}))
}

//export PeerGroupEnumConnections
func PeerGroupEnumConnections(hGroup uintptr, dwFlags C.DWORD, phPeerEnum uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		phPeerEnum := argPtr[C.HPEERENUM](&args, phPeerEnum)
		if args.err != nil {
			return args.err
		}
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		conns, err := g.Connections(uint32(dwFlags))
		if err != nil {
			return err
		}
		h, err := sliceEnum(conns, fillConnection)
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerGroupSendData
func PeerGroupSendData(hGroup uintptr, ullConnectionId C.ULONGLONG, pType uintptr, cbData C.ULONG, pvData uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pType := argPtr[C.GUID](&args, pType)
		pvData := argPtr[byte](&args, pvData)
		if args.err != nil {
			return args.err
		}
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		if pType == nil {
			return errNull("pType")
		}
		// Not copied: the message is framed (Local) or encoded (attached)
		// before SendData returns.
		data, err := cBytes(unsafe.Pointer(pvData), uint32(cbData), group.MaxData, peererr.ErrInvalidArg)
		if err != nil {
			return err
		}
		return g.SendData(uint64(ullConnectionId), goGUID(cGUID(pType)), data)
	}))
}

// ---- Events ----

// maxRegistrations bounds one PeerGroupRegisterEvent call.
const maxRegistrations = 64

//export PeerGroupRegisterEvent
func PeerGroupRegisterEvent(hGroup uintptr, hEvent uintptr, cEventRegistration C.DWORD, pEventRegistrations uintptr, phPeerEvent uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pEventRegistrations := argPtr[C.PEER_GROUP_EVENT_REGISTRATION](&args, pEventRegistrations)
		phPeerEvent := argPtr[C.HPEEREVENT](&args, phPeerEvent)
		if args.err != nil {
			return args.err
		}
		if phPeerEvent == nil {
			return errNull("phPeerEvent")
		}
		setHandle(unsafe.Pointer(phPeerEvent), 0)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		if g.Closed() {
			return peererr.ErrInvalidGroup
		}
		n := int(cEventRegistration)
		if n == 0 || n > maxRegistrations || pEventRegistrations == nil {
			return fmt.Errorf("%d event registrations: %w", n, peererr.ErrInvalidArg)
		}
		var filters []event.Filter
		for _, r := range unsafe.Slice(pEventRegistrations, n) {
			f := event.Filter{Type: event.Type(r.eventType)}
			if !f.Type.Valid() {
				return fmt.Errorf("event type %d: %w", r.eventType, peererr.ErrInvalidArg)
			}
			if r.pType != nil {
				t := goGUID(r.pType)
				f.DataType = &t
			}
			filters = append(filters, f)
		}
		sig, err := event.NewHandleSignaler(hEvent)
		if err != nil {
			return err
		}
		sub, err := g.Subscribe(filters, sig)
		if err != nil {
			return err
		}
		h, err := table.New(handles.Event, sub)
		if err != nil {
			sub.Close()
			return err
		}
		setHandle(unsafe.Pointer(phPeerEvent), h)
		return nil
	}))
}

// eventOf resolves an HPEEREVENT; an unknown one is
// PEER_E_EVENT_HANDLE_NOT_FOUND, as the API documents.
func eventOf(h uintptr, remove bool) (*service.Registration, error) {
	get := table.Get
	if remove {
		get = table.Remove
	}
	v, err := get(uint64(h), handles.Event)
	if err != nil {
		return nil, fmt.Errorf("event handle: %w", peererr.ErrEventHandleNotFound)
	}
	return v.(*service.Registration), nil
}

//export PeerGroupUnregisterEvent
func PeerGroupUnregisterEvent(hPeerEvent uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		sub, err := eventOf(hPeerEvent, true)
		if err != nil {
			return err
		}
		sub.Close()
		return nil
	}))
}

//export PeerGroupGetEventData
func PeerGroupGetEventData(hPeerEvent uintptr, ppEventData uintptr) C.HRESULT {
	noData := false
	code := call(func(*service.Service) error {
		var args ptrArgs
		ppEventData := argPtr[C.PPEER_GROUP_EVENT_DATA](&args, ppEventData)
		if args.err != nil {
			return args.err
		}
		if ppEventData == nil {
			return errNull("ppEventData")
		}
		*ppEventData = nil
		sub, err := eventOf(hPeerEvent, false)
		if err != nil {
			return err
		}
		e, ok := sub.Next()
		if !ok {
			noData = true
			return nil
		}
		p, err := marshal(func(b *cbuf) unsafe.Pointer { return fillEvent(b, &e) })
		e.Release() // copied into C memory: its data buffer may be reused
		if err != nil {
			return err
		}
		*ppEventData = C.PPEER_GROUP_EVENT_DATA(p)
		return nil
	})
	if code == peererr.SOK && noData {
		code = peererr.SNoEventData.HR
	}
	return hr(code)
}

// ---- Records ----

//export PeerGroupAddRecord
func PeerGroupAddRecord(hGroup uintptr, pRecord uintptr, pRecordId uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pRecord := argPtr[C.PEER_RECORD](&args, pRecord)
		pRecordId := argPtr[C.GUID](&args, pRecordId)
		if args.err != nil {
			return args.err
		}
		if pRecordId == nil {
			return errNull("pRecordId")
		}
		putGUID(pRecordId, uuid.Nil)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		n, err := readNewRecord(pRecord)
		if err != nil {
			return err
		}
		id, err := g.AddRecord(n)
		if err != nil {
			return err
		}
		putGUID(pRecordId, id)
		return nil
	}))
}

//export PeerGroupUpdateRecord
func PeerGroupUpdateRecord(hGroup uintptr, pRecord uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pRecord := argPtr[C.PEER_RECORD](&args, pRecord)
		if args.err != nil {
			return args.err
		}
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		n, err := readNewRecord(pRecord)
		if err != nil {
			return err
		}
		return g.UpdateRecord(n)
	}))
}

//export PeerGroupDeleteRecord
func PeerGroupDeleteRecord(hGroup uintptr, pRecordId uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pRecordId := argPtr[C.GUID](&args, pRecordId)
		if args.err != nil {
			return args.err
		}
		if pRecordId == nil {
			return errNull("pRecordId")
		}
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		return g.DeleteRecord(goGUID(cGUID(pRecordId)))
	}))
}

//export PeerGroupGetRecord
func PeerGroupGetRecord(hGroup uintptr, pRecordId uintptr, ppRecord uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pRecordId := argPtr[C.GUID](&args, pRecordId)
		ppRecord := argPtr[C.PPEER_RECORD](&args, ppRecord)
		if args.err != nil {
			return args.err
		}
		if pRecordId == nil || ppRecord == nil {
			return errNull("pRecordId or ppRecord")
		}
		*ppRecord = nil
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		r, err := g.GetRecord(goGUID(cGUID(pRecordId)))
		if err != nil {
			return err
		}
		p, err := marshal(func(b *cbuf) unsafe.Pointer { return fillRecord(b, r) })
		if err != nil {
			return err
		}
		*ppRecord = C.PPEER_RECORD(p)
		return nil
	}))
}

// recordEnum enumerates records by id, reading each when it is taken.
func recordEnum(g *service.Group, ids []uuid.UUID) (uint64, error) {
	return newEnum(len(ids), func(i int) (filler, bool) {
		r, err := g.GetRecord(ids[i])
		if err != nil {
			return nil, false
		}
		return func(b *cbuf) unsafe.Pointer { return fillRecord(b, r) }, true
	})
}

//export PeerGroupEnumRecords
func PeerGroupEnumRecords(hGroup uintptr, pRecordType uintptr, phPeerEnum uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pRecordType := argPtr[C.GUID](&args, pRecordType)
		phPeerEnum := argPtr[C.HPEERENUM](&args, phPeerEnum)
		if args.err != nil {
			return args.err
		}
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		var typ *uuid.UUID
		if pRecordType != nil {
			t := goGUID(cGUID(pRecordType))
			typ = &t
		}
		ids, err := g.RecordIDs(typ)
		if err != nil {
			return err
		}
		h, err := recordEnum(g, ids)
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerGroupSearchRecords
func PeerGroupSearchRecords(hGroup uintptr, pwzCriteria uintptr, phPeerEnum uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pwzCriteria := argPtr[C.WCHAR](&args, pwzCriteria)
		phPeerEnum := argPtr[C.HPEERENUM](&args, phPeerEnum)
		if args.err != nil {
			return args.err
		}
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		criteria, err := goString(u16(pwzCriteria), maxDoc)
		if err != nil {
			return err
		}
		ids, err := g.SearchRecords(criteria)
		if err != nil {
			return err
		}
		h, err := recordEnum(g, ids)
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerGroupExportDatabase
func PeerGroupExportDatabase(hGroup uintptr, pwzFilePath uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pwzFilePath := argPtr[C.WCHAR](&args, pwzFilePath)
		if args.err != nil {
			return args.err
		}
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		path, err := goString(u16(pwzFilePath), maxName)
		if err != nil {
			return err
		}
		return g.ExportDatabase(path)
	}))
}

//export PeerGroupImportDatabase
func PeerGroupImportDatabase(hGroup uintptr, pwzFilePath uintptr) C.HRESULT {
	return hr(call(func(*service.Service) error {
		var args ptrArgs
		pwzFilePath := argPtr[C.WCHAR](&args, pwzFilePath)
		if args.err != nil {
			return args.err
		}
		g, err := groupOf(hGroup)
		if err != nil {
			return err
		}
		path, err := goString(u16(pwzFilePath), maxName)
		if err != nil {
			return err
		}
		return g.ImportDatabase(path)
	}))
}

// ---- Identity Manager ----

//export PeerIdentityCreate
func PeerIdentityCreate(pwzClassifier uintptr, pwzFriendlyName uintptr, hCryptProv C.HCRYPTPROV, ppwzIdentity uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzClassifier := argPtr[C.WCHAR](&args, pwzClassifier)
		pwzFriendlyName := argPtr[C.WCHAR](&args, pwzFriendlyName)
		ppwzIdentity := argPtr[C.PWSTR](&args, ppwzIdentity)
		if args.err != nil {
			return args.err
		}
		if ppwzIdentity == nil {
			return errNull("ppwzIdentity")
		}
		*ppwzIdentity = nil
		if hCryptProv != 0 {
			return fmt.Errorf("identities are Ed25519 keys; CryptoAPI providers are not used: %w", peererr.ErrNotImpl)
		}
		classifier, err := optString(u16(pwzClassifier), maxName)
		if err != nil {
			return err
		}
		friendly, err := optString(u16(pwzFriendlyName), maxName)
		if err != nil {
			return err
		}
		id, err := svc.Identities().Create(classifier, friendly)
		if err != nil {
			return err
		}
		return returnString(ppwzIdentity, id.PeerName)
	}))
}

//export PeerIdentityGetFriendlyName
func PeerIdentityGetFriendlyName(pwzIdentity uintptr, ppwzFriendlyName uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		ppwzFriendlyName := argPtr[C.PWSTR](&args, ppwzFriendlyName)
		if args.err != nil {
			return args.err
		}
		if ppwzFriendlyName == nil {
			return errNull("ppwzFriendlyName")
		}
		*ppwzFriendlyName = nil
		id, err := identityArg(svc, pwzIdentity)
		if err != nil {
			return err
		}
		return returnString(ppwzFriendlyName, id.FriendlyName)
	}))
}

// identityArg resolves a required identity peer name argument.
func identityArg(svc *service.Service, p C.PCWSTR) (*identity.Identity, error) {
	name, err := goString(u16(p), maxName)
	if err != nil {
		return nil, err
	}
	return svc.Identities().Get(name)
}

//export PeerIdentitySetFriendlyName
func PeerIdentitySetFriendlyName(pwzIdentity uintptr, pwzFriendlyName uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		pwzFriendlyName := argPtr[C.WCHAR](&args, pwzFriendlyName)
		if args.err != nil {
			return args.err
		}
		name, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		// "Specify NULL or an empty string to reset a friendly name to the
		// default value" (PeerIdentitySetFriendlyName function, p2p.h).
		friendly, err := optString(u16(pwzFriendlyName), maxName)
		if err != nil {
			return err
		}
		return svc.Identities().SetFriendlyName(name, friendly)
	}))
}

//export PeerIdentityGetCryptKey
func PeerIdentityGetCryptKey(pwzIdentity uintptr, phCryptProv uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		phCryptProv := argPtr[C.HCRYPTPROV](&args, phCryptProv)
		if args.err != nil {
			return args.err
		}
		if phCryptProv == nil {
			return errNull("phCryptProv")
		}
		*phCryptProv = 0
		if _, err := identityArg(svc, pwzIdentity); err != nil {
			return err
		}
		return fmt.Errorf("identity keys are Ed25519, not CryptoAPI keys: %w", peererr.ErrNotImpl)
	}))
}

//export PeerIdentityDelete
func PeerIdentityDelete(pwzIdentity uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		if args.err != nil {
			return args.err
		}
		name, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		return svc.DeleteIdentity(name)
	}))
}

//export PeerEnumIdentities
func PeerEnumIdentities(phPeerEnum uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		phPeerEnum := argPtr[C.HPEERENUM](&args, phPeerEnum)
		if args.err != nil {
			return args.err
		}
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		ids, err := svc.Identities().List()
		if err != nil {
			return err
		}
		pairs := make([]service.NamePair, len(ids))
		for i, id := range ids {
			pairs[i] = service.NamePair{PeerName: id.PeerName, FriendlyName: id.FriendlyName}
		}
		h, err := sliceEnum(pairs, fillNamePair)
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerEnumGroups
func PeerEnumGroups(pwzIdentity uintptr, phPeerEnum uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		phPeerEnum := argPtr[C.HPEERENUM](&args, phPeerEnum)
		if args.err != nil {
			return args.err
		}
		if phPeerEnum == nil {
			return errNull("phPeerEnum")
		}
		setHandle(unsafe.Pointer(phPeerEnum), 0)
		name, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		groups, err := svc.Groups(name)
		if err != nil {
			return err
		}
		h, err := sliceEnum(groups, fillNamePair)
		return returnEnum(phPeerEnum, h, err)
	}))
}

//export PeerCreatePeerName
func PeerCreatePeerName(pwzIdentity uintptr, pwzClassifier uintptr, ppwzPeerName uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		pwzClassifier := argPtr[C.WCHAR](&args, pwzClassifier)
		ppwzPeerName := argPtr[C.PWSTR](&args, ppwzPeerName)
		if args.err != nil {
			return args.err
		}
		if ppwzPeerName == nil {
			return errNull("ppwzPeerName")
		}
		*ppwzPeerName = nil
		if pwzIdentity == nil && pwzClassifier == nil {
			return errNull("both pwzIdentity and pwzClassifier")
		}
		classifier, err := optString(u16(pwzClassifier), maxName)
		if err != nil {
			return err
		}
		var name string
		if pwzIdentity == nil {
			name, err = svc.CreateUnsecuredPeerName(classifier)
		} else {
			var idName string
			if idName, err = goString(u16(pwzIdentity), maxName); err != nil {
				return err
			}
			name, err = svc.CreatePeerName(idName, classifier, pwzClassifier == nil)
		}
		if err != nil {
			return err
		}
		return returnString(ppwzPeerName, name)
	}))
}

//export PeerIdentityGetXML
func PeerIdentityGetXML(pwzIdentity uintptr, ppwzIdentityXML uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		ppwzIdentityXML := argPtr[C.PWSTR](&args, ppwzIdentityXML)
		if args.err != nil {
			return args.err
		}
		if ppwzIdentityXML == nil {
			return errNull("ppwzIdentityXML")
		}
		*ppwzIdentityXML = nil
		name, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		id, err := identityOf(svc, name)
		if err != nil {
			return err
		}
		return returnString(ppwzIdentityXML, id.XML())
	}))
}

// identityOf resolves an identity argument: NULL or "" is the default
// identity.
func identityOf(svc *service.Service, name string) (*identity.Identity, error) {
	if name == "" {
		return svc.Identities().Default()
	}
	return svc.Identities().Get(name)
}

// PeerIdentityGetCert has no published prototype (see p2p.h): it returns
// the identity's certificate in one PEER_DATA.
//
//export PeerIdentityGetCert
func PeerIdentityGetCert(pwzIdentity uintptr, ppCertificate uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		ppCertificate := argPtr[C.PPEER_DATA](&args, ppCertificate)
		if args.err != nil {
			return args.err
		}
		if ppCertificate == nil {
			return errNull("ppCertificate")
		}
		*ppCertificate = nil
		name, err := optString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		id, err := identityOf(svc, name)
		if err != nil {
			return err
		}
		p, err := marshal(func(b *cbuf) unsafe.Pointer {
			d := (*C.PEER_DATA)(b.take(C.sizeof_PEER_DATA))
			d.cbData = C.ULONG(len(id.CertDER))
			d.pbData = (*C.BYTE)(b.bytes(id.CertDER))
			return unsafe.Pointer(d)
		})
		if err != nil {
			return err
		}
		*ppCertificate = C.PPEER_DATA(p)
		return nil
	}))
}

// PeerGroupHandlePowerEvent has no published prototype (see p2p.h): it
// takes a PBT_* power event.
//
//export PeerGroupHandlePowerEvent
func PeerGroupHandlePowerEvent(dwPowerEvent C.DWORD) C.HRESULT {
	return hr(call(func(svc *service.Service) error { return svc.HandlePowerEvent(uint32(dwPowerEvent)) }))
}

//export PeerIdentityExport
func PeerIdentityExport(pwzIdentity uintptr, pwzPassword uintptr, ppwzExportXML uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzIdentity := argPtr[C.WCHAR](&args, pwzIdentity)
		pwzPassword := argPtr[C.WCHAR](&args, pwzPassword)
		ppwzExportXML := argPtr[C.PWSTR](&args, ppwzExportXML)
		if args.err != nil {
			return args.err
		}
		if ppwzExportXML == nil {
			return errNull("ppwzExportXML")
		}
		*ppwzExportXML = nil
		name, err := goString(u16(pwzIdentity), maxName)
		if err != nil {
			return err
		}
		password, err := goString(u16(pwzPassword), maxName)
		if err != nil {
			return err
		}
		xml, err := svc.Identities().Export(name, password)
		if err != nil {
			return err
		}
		return returnString(ppwzExportXML, xml)
	}))
}

//export PeerIdentityImport
func PeerIdentityImport(pwzImportXML uintptr, pwzPassword uintptr, ppwzIdentity uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		pwzImportXML := argPtr[C.WCHAR](&args, pwzImportXML)
		pwzPassword := argPtr[C.WCHAR](&args, pwzPassword)
		ppwzIdentity := argPtr[C.PWSTR](&args, ppwzIdentity)
		if args.err != nil {
			return args.err
		}
		if ppwzIdentity == nil {
			return errNull("ppwzIdentity")
		}
		*ppwzIdentity = nil
		doc, err := goString(u16(pwzImportXML), maxDoc)
		if err != nil {
			return err
		}
		password, err := goString(u16(pwzPassword), maxName)
		if err != nil {
			return err
		}
		id, err := svc.Identities().Import(doc, password)
		if err != nil {
			return err
		}
		return returnString(ppwzIdentity, id.PeerName)
	}))
}

//export PeerIdentityGetDefault
func PeerIdentityGetDefault(ppwzPeerName uintptr) C.HRESULT {
	return hr(call(func(svc *service.Service) error {
		var args ptrArgs
		ppwzPeerName := argPtr[C.PWSTR](&args, ppwzPeerName)
		if args.err != nil {
			return args.err
		}
		if ppwzPeerName == nil {
			return errNull("ppwzPeerName")
		}
		*ppwzPeerName = nil
		id, err := svc.Identities().Default()
		if err != nil {
			return err
		}
		return returnString(ppwzPeerName, id.PeerName)
	}))
}
