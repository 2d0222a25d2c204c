package filetime

import (
	"testing"
	"time"
)

// TestKnownValues pins the conversion to values Windows documents: the
// Unix epoch is 116444736000000000 and Forever is 9999-12-31.
func TestKnownValues(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want FILETIME
	}{
		{time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Unix(0, 0), 116444736000000000},
		{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 125911584000000000},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), Forever},
		{time.Unix(0, 250), 116444736000000002}, // truncated to 100 ns
	} {
		if got := From(tc.t); got != tc.want {
			t.Errorf("From(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
	if got := From(time.Date(1600, 12, 31, 23, 59, 59, 0, time.UTC)); got != 0 {
		t.Errorf("a time before 1601 gives %d, want 0", got)
	}
}

// TestRoundTrip: Time inverts From to 100 ns, and the C struct's two
// DWORDs rebuild the value.
func TestRoundTrip(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(1601, 1, 1, 0, 0, 0, 100, time.UTC),
		time.Date(2026, 11, 29, 5, 22, 53, 123456700, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC),
	} {
		f := From(tm)
		if !f.Time().Equal(tm) {
			t.Errorf("%v -> %d -> %v", tm, f, f.Time())
		}
		if lo, hi := f.Split(); Join(lo, hi) != f {
			t.Errorf("Split/Join of %d gives %d", f, Join(lo, hi))
		}
	}
	if now := Now().Time(); time.Since(now) > time.Second || time.Since(now) < 0 {
		t.Errorf("Now() is %v", now)
	}
}

// TestAddSaturates: durations past either end clamp instead of wrapping,
// so an expiry computed from a huge lifetime stays in the future.
func TestAddSaturates(t *testing.T) {
	f := From(time.Unix(0, 0))
	if got := f.Add(time.Hour); got != f+36000000000 {
		t.Errorf("Add(1h) = %d", got)
	}
	if got := f.Add(-time.Hour); got != f-36000000000 {
		t.Errorf("Add(-1h) = %d", got)
	}
	if got := FILETIME(10).Add(-time.Microsecond * 2); got != 0 {
		t.Errorf("below zero gives %d, want 0", got)
	}
	max := FILETIME(^uint64(0))
	if got := (max - 5).Add(time.Microsecond); got != max {
		t.Errorf("past the top gives %d, want %d", got, max)
	}
	if got := Forever.Add(1<<63 - 1); got <= Forever {
		t.Errorf("Forever + max duration = %d, not later than Forever", got)
	}
}
