// Package filetime converts between time.Time and Windows FILETIME values:
// 100-nanosecond intervals since 1601-01-01 UTC, the clock of every time
// field in the API and of the records stored on disk and on the wire.
package filetime

import "time"

// epochDelta is the number of 100-ns intervals between 1601-01-01 and
// 1970-01-01.
const epochDelta = 116444736000000000

// Forever is the latest time the library stores: 9999-12-31 UTC. Windows
// calls a lifetime of a thousand years "infinite"; both fit below it.
const Forever FILETIME = 2650466880000000000

// FILETIME is a Windows time value.
type FILETIME uint64

// From converts t to a FILETIME, truncating to 100 ns. Times before 1601
// give 0.
func From(t time.Time) FILETIME {
	sec := t.Unix()
	const minSec = -epochDelta / 1e7
	if sec < minSec {
		return 0
	}
	return FILETIME(uint64(sec-minSec)*1e7 + uint64(t.Nanosecond()/100))
}

// Time converts f to a UTC time.Time.
func (f FILETIME) Time() time.Time {
	sec := int64(f/1e7) - epochDelta/1e7
	return time.Unix(sec, int64(f%1e7)*100).UTC()
}

// Now is the current time as a FILETIME.
func Now() FILETIME { return From(time.Now()) }

// Add returns f moved by d, saturating instead of wrapping.
func (f FILETIME) Add(d time.Duration) FILETIME {
	ticks := int64(d / 100)
	switch {
	case ticks < 0 && uint64(-ticks) > uint64(f):
		return 0
	case ticks > 0 && uint64(ticks) > ^uint64(0)-uint64(f):
		return FILETIME(^uint64(0))
	}
	return FILETIME(int64(f) + ticks)
}

// Split returns the low and high DWORDs of the C struct.
func (f FILETIME) Split() (low, high uint32) { return uint32(f), uint32(f >> 32) }

// Join builds a FILETIME from the C struct's DWORDs.
func Join(low, high uint32) FILETIME { return FILETIME(uint64(high)<<32 | uint64(low)) }
