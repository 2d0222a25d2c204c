package mesh

import (
	"errors"
	"time"
)

// DropAndDefer closes every neighbour connection of n and defers every
// dial for d, as if the machine had slept with its connections going
// stale: only Resume (or d passing) makes it dial again.
func (n *Node) DropAndDefer(d time.Duration) {
	n.mu.Lock()
	for _, c := range n.candidates {
		c.next = time.Now().Add(d)
	}
	n.mu.Unlock()
	for _, nb := range n.neighborList() {
		nb.close(errors.New("test: dropped"))
	}
}
