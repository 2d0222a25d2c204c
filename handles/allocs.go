package handles

import "sync"

// Allocs is the set of memory blocks the library has handed to the
// application and not yet freed: PeerFreeData frees only a block listed
// here, so a pointer the library never returned, or one freed twice, is
// ignored instead of corrupting the heap. The zero Allocs is ready to use.
type Allocs struct {
	mu   sync.Mutex
	live map[uintptr]struct{}
}

// Add records a block returned to the application.
func (a *Allocs) Add(p uintptr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.live == nil {
		a.live = make(map[uintptr]struct{})
	}
	a.live[p] = struct{}{}
}

// Take removes p and reports whether it was a live block.
func (a *Allocs) Take(p uintptr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.live[p]
	delete(a.live, p)
	return ok
}

// Len reports how many blocks are live.
func (a *Allocs) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.live)
}
