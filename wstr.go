package main

import (
	"fmt"
	"unicode/utf16"
	"unsafe"

	"p2p/core/peererr"
)

// Longest strings read from the application, in UTF-16 units, before a
// missing terminator or an absurd length is refused with E_INVALIDARG.
// The documented limits (peer names, friendly names...) are checked
// further in with their own codes.
const (
	maxName = 4 << 10  // names, classifiers, passwords, paths
	maxDoc  = 64 << 20 // XML documents: invitations, attributes, criteria
)

// goString reads a required NUL-terminated UTF-16 string of at most max
// units. NULL, an over-long string and malformed UTF-16 (an unpaired
// surrogate) give E_INVALIDARG.
func goString(p *uint16, max int) (string, error) {
	if p == nil {
		return "", fmt.Errorf("NULL string: %w", peererr.ErrInvalidArg)
	}
	return readWString(p, max)
}

// optString is goString for an optional argument: NULL gives "".
func optString(p *uint16, max int) (string, error) {
	if p == nil {
		return "", nil
	}
	return readWString(p, max)
}

func readWString(p *uint16, max int) (string, error) {
	n := 0
	for ; ; n++ {
		if n > max {
			return "", fmt.Errorf("string longer than %d units or unterminated: %w", max, peererr.ErrInvalidArg)
		}
		if *(*uint16)(unsafe.Add(unsafe.Pointer(p), n*2)) == 0 {
			break
		}
	}
	units := unsafe.Slice(p, n)
	for i := 0; i < n; i++ {
		switch u := units[i]; {
		case u >= 0xD800 && u < 0xDC00:
			if i+1 >= n || units[i+1] < 0xDC00 || units[i+1] >= 0xE000 {
				return "", fmt.Errorf("unpaired surrogate at %d: %w", i, peererr.ErrInvalidArg)
			}
			i++
		case u >= 0xDC00 && u < 0xE000:
			return "", fmt.Errorf("unpaired surrogate at %d: %w", i, peererr.ErrInvalidArg)
		}
	}
	return string(utf16.Decode(units)), nil
}
