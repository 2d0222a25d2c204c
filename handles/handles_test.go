package handles

import (
	"errors"
	"sync"
	"testing"

	"p2p/core/peererr"
)

func TestTypedAndStale(t *testing.T) {
	var tb Table
	g, err := tb.New(Group, "group")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := tb.New(Event, "event")
	if v, err := tb.Get(g, Group); err != nil || v != "group" {
		t.Fatalf("get: %v %v", v, err)
	}
	if _, err := tb.Get(g, Event); !errors.Is(err, peererr.ErrHandle) {
		t.Fatalf("wrong kind accepted: %v", err)
	}
	if _, err := tb.Get(e, Group); !errors.Is(err, peererr.ErrHandle) {
		t.Fatalf("wrong kind accepted: %v", err)
	}
	for _, bad := range []uint64{0, 1, 0xdeadbeef, g + 1, g ^ 1<<40} {
		if _, err := tb.Get(bad, Group); !errors.Is(err, peererr.ErrHandle) {
			t.Fatalf("forged handle %#x accepted", bad)
		}
	}
	if _, err := tb.Remove(g, Group); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Get(g, Group); !errors.Is(err, peererr.ErrHandle) {
		t.Fatal("closed handle accepted")
	}
	if _, err := tb.Remove(g, Group); !errors.Is(err, peererr.ErrHandle) {
		t.Fatal("double close accepted")
	}
	g2, _ := tb.New(Group, "again")
	if g2 == g {
		t.Fatal("handle value reused")
	}
	if vals := tb.RemoveAll(); len(vals) != 2 || tb.Len() != 0 {
		t.Fatalf("RemoveAll: %v", vals)
	}
}

func TestConcurrent(t *testing.T) {
	var tb Table
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				h, err := tb.New(Enum, j)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := tb.Remove(h, Enum); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if tb.Len() != 0 {
		t.Fatalf("%d handles left", tb.Len())
	}
}

func TestAllocs(t *testing.T) {
	var a Allocs
	a.Add(0x1000)
	if a.Take(0x2000) || !a.Take(0x1000) || a.Take(0x1000) {
		t.Fatal("Allocs must free a block once and ignore unknown pointers")
	}
}
