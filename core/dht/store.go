package dht

import (
	"container/list"
	"sync"

	"github.com/anacrolix/dht/v2/bep44"
)

// store is a bep44.Store that holds at most max items, dropping the
// least recently stored first. anacrolix/dht keeps the items a node puts
// (and, were it not read-only, those others put to it) in its Store; its
// default store grows without bound.
type store struct {
	max int

	mu    sync.Mutex // guards the fields below
	items map[bep44.Target]*list.Element
	order list.List // of *bep44.Item, least recently stored first
}

var _ bep44.Store = (*store)(nil)

func newStore(max int) *store {
	return &store{max: max, items: make(map[bep44.Target]*list.Element)}
}

func (s *store) Put(i *bep44.Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := i.Target()
	if e, ok := s.items[t]; ok {
		s.order.Remove(e)
	}
	s.items[t] = s.order.PushBack(i)
	for len(s.items) > s.max {
		oldest := s.order.Remove(s.order.Front()).(*bep44.Item)
		delete(s.items, oldest.Target())
	}
	return nil
}

func (s *store) Get(t bep44.Target) (*bep44.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.items[t]
	if !ok {
		return nil, bep44.ErrItemNotFound
	}
	return e.Value.(*bep44.Item), nil
}

func (s *store) Del(t bep44.Target) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.items[t]; ok {
		s.order.Remove(e)
		delete(s.items, t)
	}
	return nil
}

// Len is how many items the store holds.
func (s *store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}
