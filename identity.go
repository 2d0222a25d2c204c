package main

/*
#define P2P_NO_PROTOTYPES
#include "p2p.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"p2p/core/identity"
	"p2p/core/peererr"
	"p2p/core/service"
)

// The Identity Manager: identities, their groups and peer names.

//export PeerIdentityCreate
func PeerIdentityCreate(pwzClassifier uintptr, pwzFriendlyName uintptr, hCryptProv C.HCRYPTPROV, ppwzIdentity uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppwzIdentity, "ppwzIdentity")
		if a.err == nil && hCryptProv != 0 {
			a.fail(fmt.Errorf("identities are Ed25519 keys; CryptoAPI providers are not used: %w", peererr.ErrNotImpl))
		}
		classifier := a.optStr(pwzClassifier, maxName)
		friendly := a.optStr(pwzFriendlyName, maxName)
		if a.err != nil {
			return a.err
		}
		id, err := svc.Identities().Create(classifier, friendly)
		if err != nil {
			return err
		}
		return returnString(out, id.PeerName, nil)
	})
}

//export PeerIdentityGetDefault
func PeerIdentityGetDefault(ppwzPeerName uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppwzPeerName, "ppwzPeerName")
		if a.err != nil {
			return a.err
		}
		id, err := svc.Identities().Default()
		if err != nil {
			return err
		}
		return returnString(out, id.PeerName, nil)
	})
}

//export PeerIdentityGetFriendlyName
func PeerIdentityGetFriendlyName(pwzIdentity uintptr, ppwzFriendlyName uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppwzFriendlyName, "ppwzFriendlyName")
		name := a.str(pwzIdentity, maxName)
		if a.err != nil {
			return a.err
		}
		id, err := svc.Identities().Get(name)
		if err != nil {
			return err
		}
		return returnString(out, id.FriendlyName, nil)
	})
}

//export PeerIdentitySetFriendlyName
func PeerIdentitySetFriendlyName(pwzIdentity uintptr, pwzFriendlyName uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		name := a.str(pwzIdentity, maxName)
		// "Specify NULL or an empty string to reset a friendly name to the
		// default value" (PeerIdentitySetFriendlyName function, p2p.h).
		friendly := a.optStr(pwzFriendlyName, maxName)
		if a.err != nil {
			return a.err
		}
		return svc.Identities().SetFriendlyName(name, friendly)
	})
}

//export PeerIdentityGetXML
func PeerIdentityGetXML(pwzIdentity uintptr, ppwzIdentityXML uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppwzIdentityXML, "ppwzIdentityXML")
		name := a.optStr(pwzIdentity, maxName)
		if a.err != nil {
			return a.err
		}
		id, err := identityOrDefault(svc, name)
		if err != nil {
			return err
		}
		return returnString(out, id.XML(), nil)
	})
}

// PeerIdentityGetCert has no published prototype (see p2p.h): it returns
// the identity's certificate in one PEER_DATA.
//
//export PeerIdentityGetCert
func PeerIdentityGetCert(pwzIdentity uintptr, ppCertificate uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppCertificate, "ppCertificate")
		name := a.optStr(pwzIdentity, maxName)
		if a.err != nil {
			return a.err
		}
		id, err := identityOrDefault(svc, name)
		if err != nil {
			return err
		}
		return returnBlock(out, func(b *cbuf) unsafe.Pointer {
			d := (*C.PEER_DATA)(b.take(C.sizeof_PEER_DATA))
			d.cbData = C.ULONG(len(id.CertDER))
			d.pbData = (*C.BYTE)(b.bytes(id.CertDER))
			return unsafe.Pointer(d)
		})
	})
}

// identityOrDefault resolves an identity argument: NULL or "" is the
// default identity.
func identityOrDefault(svc *service.Service, name string) (*identity.Identity, error) {
	if name == "" {
		return svc.Identities().Default()
	}
	return svc.Identities().Get(name)
}

//export PeerIdentityExport
func PeerIdentityExport(pwzIdentity uintptr, pwzPassword uintptr, ppwzExportXML uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppwzExportXML, "ppwzExportXML")
		name := a.str(pwzIdentity, maxName)
		password := a.str(pwzPassword, maxName)
		if a.err != nil {
			return a.err
		}
		xml, err := svc.Identities().Export(name, password)
		return returnString(out, xml, err)
	})
}

//export PeerIdentityImport
func PeerIdentityImport(pwzImportXML uintptr, pwzPassword uintptr, ppwzIdentity uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppwzIdentity, "ppwzIdentity")
		doc := a.str(pwzImportXML, maxDoc)
		password := a.str(pwzPassword, maxName)
		if a.err != nil {
			return a.err
		}
		id, err := svc.Identities().Import(doc, password)
		if err != nil {
			return err
		}
		return returnString(out, id.PeerName, nil)
	})
}

//export PeerIdentityDelete
func PeerIdentityDelete(pwzIdentity uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		name := a.str(pwzIdentity, maxName)
		if a.err != nil {
			return a.err
		}
		return svc.DeleteIdentity(name)
	})
}

//export PeerIdentityGetCryptKey
func PeerIdentityGetCryptKey(pwzIdentity uintptr, phCryptProv uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out[uintptr](&a, phCryptProv, "phCryptProv")
		name := a.str(pwzIdentity, maxName)
		if a.err != nil {
			return a.err
		}
		if _, err := svc.Identities().Get(name); err != nil {
			return err
		}
		return fmt.Errorf("identity keys are Ed25519, not CryptoAPI keys: %w", peererr.ErrNotImpl)
	})
}

//export PeerEnumIdentities
func PeerEnumIdentities(phPeerEnum uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[uintptr](&a, phPeerEnum, "phPeerEnum")
		if a.err != nil {
			return a.err
		}
		ids, err := svc.Identities().List()
		if err != nil {
			return err
		}
		pairs := make([]service.NamePair, len(ids))
		for i, id := range ids {
			pairs[i] = service.NamePair{PeerName: id.PeerName, FriendlyName: id.FriendlyName}
		}
		return returnSlice(out, pairs, fillNamePair)
	})
}

//export PeerEnumGroups
func PeerEnumGroups(pwzIdentity uintptr, phPeerEnum uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[uintptr](&a, phPeerEnum, "phPeerEnum")
		name := a.str(pwzIdentity, maxName)
		if a.err != nil {
			return a.err
		}
		groups, err := svc.Groups(name)
		if err != nil {
			return err
		}
		return returnSlice(out, groups, fillNamePair)
	})
}

//export PeerCreatePeerName
func PeerCreatePeerName(pwzIdentity uintptr, pwzClassifier uintptr, ppwzPeerName uintptr) C.HRESULT {
	return call(func(svc *service.Service) error {
		var a args
		out := out[unsafe.Pointer](&a, ppwzPeerName, "ppwzPeerName")
		if a.err == nil && pwzIdentity == 0 && pwzClassifier == 0 {
			a.fail(errNull("both pwzIdentity and pwzClassifier"))
		}
		classifier := a.optStr(pwzClassifier, maxName)
		if pwzIdentity == 0 {
			if a.err != nil {
				return a.err
			}
			name, err := svc.CreateUnsecuredPeerName(classifier)
			return returnString(out, name, err)
		}
		identity := a.str(pwzIdentity, maxName)
		if a.err != nil {
			return a.err
		}
		name, err := svc.CreatePeerName(identity, classifier, pwzClassifier == 0)
		return returnString(out, name, err)
	})
}

func fillNamePair(b *cbuf, n *service.NamePair) unsafe.Pointer {
	p := (*C.PEER_NAME_PAIR)(b.take(C.sizeof_PEER_NAME_PAIR))
	p.dwSize = C.sizeof_PEER_NAME_PAIR
	p.pwzPeerName = wp(b.wstr(n.PeerName))
	p.pwzFriendlyName = wp(b.optWstr(n.FriendlyName))
	return unsafe.Pointer(p)
}
