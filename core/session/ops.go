package session

import (
	"fmt"
	"net/netip"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/groupconfig"
	"p2p/core/peererr"
	"p2p/core/record"
)

// The attached-process protocol is the Session interface itself: every
// method but Subscribe, Close and WithRequest is an operation of the same
// name, with one request type and one response type, defined here once.
// A Remote calls an operation with op.call; the Server runs the handler
// define registered. TestOperationsMatchSession checks the table against
// the interface, so adding a method means adding its line here.

// handler runs one operation on the host's session.
type handler struct {
	run func(s Session, body any) (any, error)
	// ordered operations run one at a time, in the order they came, on
	// the host (the client pipelines SendData); the others run at once.
	ordered bool
}

// handlers are the operations by name.
var handlers = map[string]handler{}

// op is an operation with request type Req and response type Resp.
type op[Req, Resp any] struct{ name string }

// define registers the operation name, run on the host as run does.
func define[Req, Resp any](name string, run func(s Session, req Req) (Resp, error)) op[Req, Resp] {
	return defineOrdered(name, false, run)
}

func defineOrdered[Req, Resp any](name string, ordered bool, run func(s Session, req Req) (Resp, error)) op[Req, Resp] {
	if _, dup := handlers[name]; dup {
		panic("session: operation " + name + " defined twice")
	}
	register[Req]()
	register[Resp]()
	handlers[name] = handler{ordered: ordered, run: func(s Session, body any) (any, error) {
		req, ok := body.(payload[Req])
		if !ok {
			return nil, errNoPayload
		}
		resp, err := run(s, req.V)
		return payload[Resp]{resp}, err
	}}
	return op[Req, Resp]{name}
}

// errNoPayload answers a call that lacks the value it operates on.
var errNoPayload = fmt.Errorf("call without its payload: %w", peererr.ErrInvalidArg)

// call runs the operation in the host through r and returns its response.
func (o op[Req, Resp]) call(r *Remote, req Req) (Resp, error) {
	var zero Resp
	m, err := r.call(&msg{Op: o.name, Req: r.req, Body: payload[Req]{req}})
	if err != nil {
		return zero, err
	}
	if m.Body == nil {
		return zero, nil // an answer with nothing more to say
	}
	resp, ok := bodyOf[Resp](m)
	if !ok {
		return zero, fmt.Errorf("%s: an answer of the wrong type %T: %w", o.name, m.Body, peererr.ErrUnexpected)
	}
	return resp, nil
}

// none is the request or response of an operation that has none (gob
// encodes no struct without an exported field).
type none struct{ Nothing bool }

// Requests of the operations that take more than one argument.
type (
	invitationReq struct {
		IdentityXML string
		Expires     filetime.FILETIME
		Roles       []uuid.UUID
	}
	issueReq struct {
		Subject string
		Info    *group.CredentialInfo
		Flags   uint32
	}
	membersReq struct {
		Flags    uint32
		PeerName string
	}
	openReq struct {
		PeerName string
		Addr     netip.AddrPort
	}
	sendReq struct {
		Conn uint64
		Type uuid.UUID
		Data []byte
	}
)

// The operations, in the order of the Session interface.
var (
	opStatus = define("Status", func(s Session, _ none) (uint32, error) { return s.Status(), nil })
	opReady  = define("Ready", func(s Session, _ none) (bool, error) { return s.Ready(), nil })

	opProperties    = define("Properties", func(s Session, _ none) (group.Properties, error) { return s.Properties() })
	opSetProperties = define("SetProperties", func(s Session, p group.Properties) (none, error) { return none{}, s.SetProperties(p) })

	opAddRecord      = define("AddRecord", func(s Session, n group.NewRecord) (uuid.UUID, error) { return s.AddRecord(n) })
	opAddRecords     = define("AddRecords", func(s Session, ns []group.NewRecord) ([]uuid.UUID, error) { return s.AddRecords(ns) })
	opUpdateRecord   = define("UpdateRecord", func(s Session, n group.NewRecord) (none, error) { return none{}, s.UpdateRecord(n) })
	opDeleteRecord   = define("DeleteRecord", func(s Session, id uuid.UUID) (none, error) { return none{}, s.DeleteRecord(id) })
	opGetRecord      = define("GetRecord", func(s Session, id uuid.UUID) (*record.Record, error) { return s.GetRecord(id) })
	opRecordIDs      = define("RecordIDs", func(s Session, typ *uuid.UUID) ([]uuid.UUID, error) { return s.RecordIDs(typ) })
	opSearchRecords  = define("SearchRecords", func(s Session, criteria string) ([]uuid.UUID, error) { return s.SearchRecords(criteria) })
	opExportDatabase = define("ExportDatabase", func(s Session, path string) (none, error) { return none{}, s.ExportDatabase(path) })
	opImportDatabase = define("ImportDatabase", func(s Session, path string) (none, error) { return none{}, s.ImportDatabase(path) })
	opChangeSeq      = define("ChangeSeq", func(s Session, _ none) (uint64, error) { return s.ChangeSeq() })
	opChanges        = define("Changes", func(s Session, after uint64) ([]event.Event, error) { return s.Changes(after) })

	opCreateInvitation = define("CreateInvitation", func(s Session, r invitationReq) (string, error) {
		return s.CreateInvitation(r.IdentityXML, r.Expires, r.Roles)
	})
	opIssueCredentials = define("IssueCredentials", func(s Session, r issueReq) (string, error) {
		return s.IssueCredentials(r.Subject, r.Info, r.Flags)
	})
	opCreatePasswordInvitation = define("CreatePasswordInvitation", func(s Session, _ none) (string, error) {
		return s.CreatePasswordInvitation()
	})
	opResumePasswordAuthentication = define("ResumePasswordAuthentication", func(s Session, _ none) (none, error) {
		return none{}, s.ResumePasswordAuthentication()
	})
	opMembers             = define("Members", func(s Session, r membersReq) ([]group.Member, error) { return s.Members(r.Flags, r.PeerName) })
	opConfig              = define("Config", func(s Session, _ none) (*groupconfig.Config, error) { return s.Config() })
	opPeerTimeToUniversal = define("PeerTimeToUniversal", func(s Session, t filetime.FILETIME) (filetime.FILETIME, error) {
		return s.PeerTimeToUniversal(t)
	})
	opUniversalToPeerTime = define("UniversalToPeerTime", func(s Session, t filetime.FILETIME) (filetime.FILETIME, error) {
		return s.UniversalToPeerTime(t)
	})

	opConnect              = define("Connect", func(s Session, addrs []netip.AddrPort) (bool, error) { return s.Connect(addrs) })
	opConnections          = define("Connections", func(s Session, flags uint32) ([]group.Connection, error) { return s.Connections(flags) })
	opOpenDirectConnection = define("OpenDirectConnection", func(s Session, r openReq) (uint64, error) {
		return s.OpenDirectConnection(r.PeerName, r.Addr)
	})
	opSendData = defineOrdered("SendData", true, func(s Session, r sendReq) (none, error) {
		return none{}, s.SendData(r.Conn, r.Type, r.Data)
	})
	opCloseDirectConnection = defineOrdered("CloseDirectConnection", true, func(s Session, id uint64) (none, error) {
		return none{}, s.CloseDirectConnection(id)
	})
)
