package group

import (
	"errors"

	"github.com/google/uuid"

	"p2p/core/store"
)

// A Writer makes the engine's writes on behalf of one call of an
// application, named by a request id: the database keeps the id and the
// call's answer in the transaction of the write, so a call tried again
// with the same id (an attached application does that when the process
// hosting its group went away without answering) is answered as the
// first time and applied once. The zero request id means no request: each
// call is a write of its own.
type Writer struct {
	e   *Engine
	req uuid.UUID
}

// For returns the writes of the call req.
func (e *Engine) For(req uuid.UUID) Writer { return Writer{e: e, req: req} }

// request is what the store keeps of the call, with its answer.
func (w Writer) request(answer []byte) *store.Request {
	if w.req == uuid.Nil {
		return nil
	}
	return &store.Request{ID: w.req, Answer: answer}
}

// answered reports whether err says the write's request was applied
// before, and what it answered then.
func answered(err error) ([]byte, bool) {
	var a *store.Answered
	if errors.As(err, &a) {
		return a.Answer, true
	}
	return nil, false
}
