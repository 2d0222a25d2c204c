package event

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

type countSig struct{ n atomic.Int64 }

func (c *countSig) Signal() error { c.n.Add(1); return nil }

func TestFiltersAndOrder(t *testing.T) {
	var b Bus
	typ := uuid.New()
	all := b.Subscribe([]Filter{{Type: RecordChanged}}, nil)
	one := b.Subscribe([]Filter{{Type: RecordChanged, DataType: &typ}}, nil)
	for i := 0; i < 3; i++ {
		b.Publish(Event{Type: RecordChanged, Record: RecordChange{RecordType: typ, Change: uint32(i)}})
		b.Publish(Event{Type: RecordChanged, Record: RecordChange{RecordType: uuid.New()}})
	}
	b.Publish(Event{Type: StatusChanged})
	if all.Len() != 6 || one.Len() != 3 {
		t.Fatalf("queued %d and %d, want 6 and 3", all.Len(), one.Len())
	}
	for i := 0; i < 3; i++ {
		e, ok := one.Next()
		if !ok || e.Record.Change != uint32(i) {
			t.Fatalf("event %d out of order: %+v", i, e)
		}
	}
	if _, ok := one.Next(); ok {
		t.Fatal("drained queue returned an event")
	}
}

func TestNoSignalAfterClose(t *testing.T) {
	var b Bus
	sig := &countSig{}
	s := b.Subscribe([]Filter{{Type: StatusChanged}}, sig)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				b.Publish(Event{Type: StatusChanged})
				s.Next() // read, so the next event signals again
			}
		}
	}()
	time.Sleep(10 * time.Millisecond)
	s.Close()
	after := sig.n.Load()
	time.Sleep(10 * time.Millisecond)
	close(stop)
	wg.Wait()
	if sig.n.Load() != after {
		t.Fatalf("signalled %d times after Close", sig.n.Load()-after)
	}
}

func TestSignalOncePerRead(t *testing.T) {
	var b Bus
	sig := &countSig{}
	s := b.Subscribe([]Filter{{Type: StatusChanged}}, sig)
	want := func(n int64) {
		t.Helper()
		if got := sig.n.Load(); got != n {
			t.Fatalf("%d signals, want %d", got, n)
		}
	}
	for i := 0; i < 3; i++ {
		b.Publish(Event{Type: StatusChanged})
	}
	want(1) // unread: one signal covers all three
	s.Next()
	b.Publish(Event{Type: StatusChanged})
	want(2) // read since the signal: signal again
	for _, ok := s.Next(); ok; _, ok = s.Next() {
	}
	b.Publish(Event{Type: StatusChanged})
	want(3)
	if s.Len() != 1 {
		t.Fatalf("%d events queued, want 1", s.Len())
	}
}

func TestDataBackPressure(t *testing.T) {
	var b Bus
	s := b.Subscribe([]Filter{{Type: IncomingData}}, nil)
	big := make([]byte, MaxQueuedData/2)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for i := 0; i < 2; i++ {
		if err := b.PublishData(ctx, Event{Type: IncomingData, Data: Incoming{Data: big}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.PublishData(ctx, Event{Type: IncomingData, Data: Incoming{Data: big}}); err == nil {
		t.Fatal("a full queue accepted more data")
	}
	done := make(chan error)
	go func() {
		done <- b.PublishData(context.Background(), Event{Type: IncomingData, Data: Incoming{Data: big}})
	}()
	s.Next() // room again
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
