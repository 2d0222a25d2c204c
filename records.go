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

	"p2p/core/group"
	"p2p/core/peererr"
	"p2p/core/record"
	"p2p/core/service"
)

// Records: the group's replicated database.

//export PeerGroupAddRecord
func PeerGroupAddRecord(hGroup uintptr, pRecord uintptr, pRecordId uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[C.GUID](&a, pRecordId, "pRecordId")
		g := a.group(hGroup)
		n := a.record(pRecord)
		if a.err != nil {
			return a.err
		}
		id, err := g.AddRecord(n)
		if err != nil {
			return err
		}
		putGUID(out, id)
		return nil
	})
}

//export PeerGroupUpdateRecord
func PeerGroupUpdateRecord(hGroup uintptr, pRecord uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		g := a.group(hGroup)
		n := a.record(pRecord)
		if a.err != nil {
			return a.err
		}
		return g.UpdateRecord(n)
	})
}

//export PeerGroupDeleteRecord
func PeerGroupDeleteRecord(hGroup uintptr, pRecordId uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		id := required[C.GUID](&a, pRecordId, "pRecordId")
		g := a.group(hGroup)
		if a.err != nil {
			return a.err
		}
		return g.DeleteRecord(goGUID(id))
	})
}

//export PeerGroupGetRecord
func PeerGroupGetRecord(hGroup uintptr, pRecordId uintptr, ppRecord uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		id := required[C.GUID](&a, pRecordId, "pRecordId")
		out := out[unsafe.Pointer](&a, ppRecord, "ppRecord")
		g := a.group(hGroup)
		if a.err != nil {
			return a.err
		}
		r, err := g.GetRecord(goGUID(id))
		if err != nil {
			return err
		}
		return returnBlock(out, func(b *cbuf) unsafe.Pointer { return fillRecord(b, r) })
	})
}

//export PeerGroupEnumRecords
func PeerGroupEnumRecords(hGroup uintptr, pRecordType uintptr, phPeerEnum uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[uintptr](&a, phPeerEnum, "phPeerEnum")
		g := a.group(hGroup)
		typ := a.optGUID(pRecordType)
		if a.err != nil {
			return a.err
		}
		ids, err := g.RecordIDs(typ)
		if err != nil {
			return err
		}
		return returnRecords(out, g, ids)
	})
}

//export PeerGroupSearchRecords
func PeerGroupSearchRecords(hGroup uintptr, pwzCriteria uintptr, phPeerEnum uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		out := out[uintptr](&a, phPeerEnum, "phPeerEnum")
		g := a.group(hGroup)
		criteria := a.str(pwzCriteria, maxDoc)
		if a.err != nil {
			return a.err
		}
		ids, err := g.SearchRecords(criteria)
		if err != nil {
			return err
		}
		return returnRecords(out, g, ids)
	})
}

//export PeerGroupExportDatabase
func PeerGroupExportDatabase(hGroup uintptr, pwzFilePath uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		g := a.group(hGroup)
		path := a.str(pwzFilePath, maxName)
		if a.err != nil {
			return a.err
		}
		return g.ExportDatabase(path)
	})
}

//export PeerGroupImportDatabase
func PeerGroupImportDatabase(hGroup uintptr, pwzFilePath uintptr) C.HRESULT {
	return call(func(*service.Service) error {
		var a args
		g := a.group(hGroup)
		path := a.str(pwzFilePath, maxName)
		if a.err != nil {
			return a.err
		}
		return g.ImportDatabase(path)
	})
}

// returnRecords enumerates records by id into *out, reading each when it
// is taken.
func returnRecords(out *uintptr, g *service.Group, ids []uuid.UUID) error {
	return returnEnum(out, len(ids), func(i int) (filler, error) {
		r, err := g.GetRecord(ids[i])
		if errors.Is(err, peererr.ErrRecordNotFound) {
			return nil, nil // deleted or expired since the enumeration began
		}
		if err != nil {
			return nil, err
		}
		return func(b *cbuf) unsafe.Pointer { return fillRecord(b, r) }, nil
	})
}

// optGUID reads an optional GUID argument.
func (a *args) optGUID(u uintptr) *uuid.UUID {
	p := ptr[C.GUID](a, u)
	if a.err != nil || p == nil {
		return nil
	}
	id := goGUID(p)
	return &id
}

// record reads the PEER_RECORD argument of Add/UpdateRecord.
func (a *args) record(u uintptr) group.NewRecord {
	p := ptr[C.PEER_RECORD](a, u)
	if a.err != nil {
		return group.NewRecord{}
	}
	n, err := readNewRecord(p)
	a.fail(err)
	return n
}

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
