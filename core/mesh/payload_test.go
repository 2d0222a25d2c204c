package mesh

import "testing"

func TestPayloadPoolClasses(t *testing.T) {
	var p payloadPool
	for _, tc := range []struct{ n, cap int }{
		{0, 0}, {100, 100}, {2048, 2048}, // small: allocated as asked
		{2049, 4096}, {4096, 4096}, {4097, 8192}, {64 << 10, 64 << 10}, {64<<10 + 20, 128 << 10},
		{1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1}, // beyond the largest class
	} {
		b := p.get(tc.n)
		if len(b) != tc.n || cap(b) != tc.cap {
			t.Errorf("get(%d): len %d cap %d, want cap %d", tc.n, len(b), cap(b), tc.cap)
		}
		p.put(b)
	}
	p.put(make([]byte, 5000)) // not a class size: dropped, never handed out short
	for range 100 {
		if b := p.get(4097); cap(b) != 8192 {
			t.Fatalf("get(4097) returned cap %d", cap(b))
		}
	}
}
