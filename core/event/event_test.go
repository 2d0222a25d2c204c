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
	want(1) // still draining: the drain reads it, no second signal
	for _, ok := s.Next(); ok; _, ok = s.Next() {
	}
	b.Publish(Event{Type: StatusChanged})
	want(2) // drained: the next event signals
	if s.Len() != 1 {
		t.Fatalf("%d events queued, want 1", s.Len())
	}
}

// TestNoEventLostBetweenDrains races publishers against a consumer that
// drains on each signal, as applications do: every event published is
// read, however the drains and the signals interleave.
func TestNoEventLostBetweenDrains(t *testing.T) {
	var b Bus
	sig := make(chanSig, 1)
	s := b.Subscribe([]Filter{{Type: StatusChanged}}, sig)
	const publishers, each = 4, 5000
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for range publishers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					b.Publish(Event{Type: StatusChanged})
				}
			}()
		}
		wg.Wait()
	}()
	read := 0
	drain := func() {
		for _, ok := s.Next(); ok; _, ok = s.Next() {
			read++
		}
	}
	for read < publishers*each {
		select {
		case <-sig:
			drain()
		case <-time.After(5 * time.Second):
			<-done
			t.Fatalf("no signal for 5 s with %d of %d events read and %d queued", read, publishers*each, s.Len())
		}
	}
	<-done
	drain()
	if read != publishers*each {
		t.Fatalf("read %d events, want %d", read, publishers*each)
	}
}

// chanSig signals by a non-blocking send, as an auto-reset event or an
// eventfd coalesces signals.
type chanSig chan struct{}

func (c chanSig) Signal() error {
	select {
	case c <- struct{}{}:
	default:
	}
	return nil
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

// A leased data buffer goes back to its owner exactly once, after the
// publisher and every subscription that queued the event are done with it.
func TestLeasedDataReturnsOnceAllReleased(t *testing.T) {
	var b Bus
	ctx := context.Background()
	var freed atomic.Int32
	buf := []byte("payload")
	publish := func() {
		e := NewIncomingData(7, uuid.Nil, buf[:3], buf, func(got []byte) {
			if &got[0] != &buf[0] {
				t.Error("freed a buffer other than the leased one")
			}
			freed.Add(1)
		})
		if err := b.PublishData(ctx, e); err != nil {
			t.Fatal(err)
		}
	}

	publish() // nobody registered: returned at once
	if freed.Load() != 1 {
		t.Fatalf("without subscribers: freed %d times, want 1", freed.Load())
	}

	data := []Filter{{Type: IncomingData}}
	s1, s2 := b.Subscribe(data, nil), b.Subscribe(data, nil)
	publish()
	e1, _ := s1.Next()
	if string(e1.Data.Data) != "pay" || e1.Data.ConnectionID != 7 {
		t.Fatalf("delivered %+v", e1.Data)
	}
	e1.Release()
	e1.Release() // a second release of the same event is a no-op
	if freed.Load() != 1 {
		t.Fatal("freed while a subscription still holds the event")
	}
	if e1.Data.Data != nil {
		t.Fatal("a released event still shows its data")
	}
	e2, _ := s2.Next()
	e2.Release()
	if freed.Load() != 2 {
		t.Fatalf("after both releases: freed %d times, want 2", freed.Load())
	}

	publish() // queued on both; closing them releases it
	s1.Close()
	s2.Close()
	if freed.Load() != 3 {
		t.Fatalf("after closing the subscriptions: freed %d times, want 3", freed.Load())
	}
}
