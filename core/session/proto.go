package session

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/group"
	"p2p/core/groupconfig"
	"p2p/core/peererr"
	"p2p/core/record"
)

// Between a host and the processes attached to it, each attached process
// holds two connections to the host's local socket: one for calls
// (request, response, matched by ID, several in flight) and one on which
// the host pushes the group's events. Keeping events apart means a
// process that reads its events slowly slows only its events, never its
// calls. Messages are gob-encoded msg values; only the fields an
// operation uses are set.

// msg is one request, response or event.
type msg struct {
	ID   uint64
	Op   string
	Code uint32 // response: the HRESULT (0, or a success or error code)
	Text string // response: the error's text

	S1, S2 string
	U1     uint32
	N1     uint64
	FT     uint64
	UUID   uuid.UUID
	Type   *uuid.UUID
	IDs    []uuid.UUID
	Roles  []uuid.UUID
	Data   []byte
	Addrs  []netip.AddrPort

	New     *group.NewRecord
	News    []group.NewRecord
	Rec     *record.Record
	Props   *group.Properties
	Cred    *group.CredentialInfo
	Members []group.Member
	Conns   []group.Connection
	Config  *groupconfig.Config
	Event   *event.Event
	Bool    bool
}

// Operations.
const (
	opHello              = "hello"  // calls connection: S1 identity, S2 group, U1 protocol version
	opEvents             = "events" // events connection: N1 the token the hello answer gave; the host answers with an empty opEvents once subscribed
	opEvent              = "event"  // host to client on the events connection
	opSend               = "send"   // SendData: N1 connection, UUID type, Data; run in order, pipelined by the client
	opDirectClose        = "dclose" // CloseDirectConnection: N1 connection; ordered after the sends before it
	protoVersion  uint32 = 3
)

// orderedQueue bounds the sends and closes a host holds for one client
// before it stops reading that client's calls.
const orderedQueue = 1024

// codec reads and writes msgs on one connection.
type codec struct {
	conn net.Conn
	wmu  sync.Mutex
	bw   *bufio.Writer
	enc  *gob.Encoder
	dec  *gob.Decoder
}

func newCodec(c net.Conn) *codec {
	bw := bufio.NewWriterSize(c, 64<<10)
	return &codec{conn: c, bw: bw, enc: gob.NewEncoder(bw), dec: gob.NewDecoder(bufio.NewReaderSize(c, 64<<10))}
}

func (c *codec) send(m *msg) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.enc.Encode(m); err != nil {
		return err
	}
	return c.bw.Flush()
}

func (c *codec) recv() (*msg, error) {
	var m msg
	if err := c.dec.Decode(&m); err != nil {
		return nil, err
	}
	return &m, nil
}

// errOf turns a response's code back into an error that wraps the same
// table entry, so errors.Is and HResult work across the process boundary.
func errOf(m *msg) error {
	if m.Code == 0 {
		return nil
	}
	c := peererr.FromHR(m.Code)
	if c.Success() {
		return c
	}
	return fmt.Errorf("%s: %w", m.Text, c)
}

// respond fills a response from an operation's error.
func respond(m *msg, err error) *msg {
	m.Code = peererr.HResult(err)
	if err != nil && !errors.Is(err, io.EOF) {
		m.Text = err.Error()
	}
	return m
}
