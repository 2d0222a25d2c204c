package mesh

import (
	"math/bits"
	"sync"
)

// Payload buffers of direct messages are recycled by size class, powers
// of two from 1<<minPooledShift to 1<<maxPooledShift bytes: a stream of
// large messages would otherwise be a stream of fresh allocations that the
// collector frees and the runtime hands back to the OS, only to fault the
// pages in again.
const (
	minPooledShift = 12 // 4 KiB; smaller payloads are cheap to allocate
	maxPooledShift = 20 // 1 MiB
)

// payloadPool holds the recycled buffers. Its pools empty themselves
// across garbage collections, so an idle group keeps none.
type payloadPool struct {
	classes [maxPooledShift - minPooledShift + 1]sync.Pool
}

// payloadClass returns the index of the smallest class holding n bytes,
// or -1 when n is not pooled.
func payloadClass(n int) int {
	if n <= 1<<(minPooledShift-1) || n > 1<<maxPooledShift {
		return -1
	}
	return bits.Len(uint(n-1)) - minPooledShift
}

// get returns a buffer of length n, recycled when one of its class is free.
func (p *payloadPool) get(n int) []byte {
	c := payloadClass(n)
	if c < 0 {
		return make([]byte, n)
	}
	if b, ok := p.classes[c].Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, 1<<(c+minPooledShift))
}

// put takes back a buffer from get once nothing refers to it.
func (p *payloadPool) put(b []byte) {
	c := payloadClass(cap(b))
	if c < 0 || cap(b) != 1<<(c+minPooledShift) {
		return
	}
	b = b[:0]
	p.classes[c].Put(&b)
}
