package session

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/google/uuid"

	"p2p/core/event"
	"p2p/core/peererr"
)

// Between a host and the processes attached to it, each attached process
// holds two connections to the host's local endpoint: one for calls
// (request, answer, matched by ID, several in flight) and one on which
// the host pushes the group's events. Keeping events apart means a
// process that reads its events slowly slows only its events, never its
// calls.
//
// Messages are gob-encoded msg values. A call names a Session method
// (Op) and carries that operation's typed request in Body; its answer
// carries the typed response, or an HRESULT and the error's text. The
// operations are defined once, in ops.go, from the Session interface.

// msg is one call, answer or event.
type msg struct {
	ID uint64
	Op string
	// Req is the application's request id for the call: a write the group
	// has applied under it is not applied again (an attached process
	// tries a call again when its host went away without answering).
	Req  uuid.UUID
	Code uint32 // answer: the HRESULT (0, or a success or error code)
	Text string // answer: the error's text
	// Body is the call's request or the answer's response: a payload of
	// the operation's type.
	Body  any
	Event *event.Event // events connection: one event
}

// payload carries one typed value in msg.Body; gob knows each instance
// by its type (registered with the operation that uses it).
type payload[T any] struct{ V T }

// register makes a payload type known to gob (once per type).
func register[T any]() { gob.Register(payload[T]{}) }

// The first messages of a connection, and the events.
const (
	opHello  = "hello"  // calls connection: helloReq; the answer is a helloResp
	opEvents = "events" // events connection: eventsReq; the host answers with an empty opEvents once subscribed
	opEvent  = "event"  // host to client on the events connection
)

// protoVersion is the local protocol's version, which the hello checks.
const protoVersion uint32 = 4

// helloReq opens a calls connection.
type helloReq struct {
	Identity, Group string
	Version         uint32
}

// helloResp accepts it: the token for the events connection and the
// group's status.
type helloResp struct {
	Token  uint64
	Status uint32
}

// eventsReq opens the events connection of the client with the token.
type eventsReq struct{ Token uint64 }

func init() {
	register[helloReq]()
	register[helloResp]()
	register[eventsReq]()
}

// orderedQueue bounds the sends and closes a host holds for one client
// before it stops reading that client's calls.
const orderedQueue = 1024

// codec reads and writes msgs on one connection.
type codec struct {
	conn net.Conn
	wmu  sync.Mutex // one message at a time
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

// bodyOf returns the value of a message's payload of type T.
func bodyOf[T any](m *msg) (T, bool) {
	p, ok := m.Body.(payload[T])
	return p.V, ok
}

// errOf turns an answer's code back into an error that wraps the same
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

// respond fills an answer from an operation's error.
func respond(m *msg, err error) *msg {
	m.Code = peererr.HResult(err)
	if err != nil && !errors.Is(err, io.EOF) {
		m.Text = err.Error()
	}
	return m
}
