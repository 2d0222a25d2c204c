package peererr

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestTableMatchesHeader checks every code against the project's p2p.h,
// the header C programs compile against: a code with a wrong value or a
// name the header lacks would hand C callers a value they cannot test.
func TestTableMatchesHeader(t *testing.T) {
	src, err := os.ReadFile("../../p2p.h")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]uint32{}
	for _, m := range regexp.MustCompile(`#define (\w+) \(\(HRESULT\)0x([0-9A-Fa-f]{8})L\)`).FindAllStringSubmatch(string(src), -1) {
		v, _ := strconv.ParseUint(m[2], 16, 32)
		defined[m[1]] = uint32(v)
	}
	checked, win32 := 0, 0
	for _, c := range All() {
		v, ok := defined[c.Name]
		if !ok {
			if strings.HasPrefix(c.Name, "HRESULT_FROM_WIN32(") {
				win32++ // built from a Win32 code, which p2p.h defines
			}
			continue
		}
		checked++
		if v != c.HR {
			t.Errorf("%s is 0x%08X in the table, 0x%08X in p2p.h", c.Name, c.HR, v)
		}
	}
	if checked+win32 != len(All()) {
		t.Errorf("only %d of %d codes are defined in p2p.h (and %d built from Win32 codes)", checked, len(All()), win32)
	}
}

// TestCodesUnique: two entries with one value would make FromHR ambiguous.
func TestCodesUnique(t *testing.T) {
	byHR, byName := map[uint32]string{}, map[string]bool{}
	for _, c := range All() {
		if prev, ok := byHR[c.HR]; ok {
			t.Errorf("0x%08X is both %s and %s", c.HR, prev, c.Name)
		}
		if byName[c.Name] {
			t.Errorf("%s appears twice", c.Name)
		}
		byHR[c.HR], byName[c.Name] = c.Name, true
		if c.Success() != strings.HasPrefix(c.Name, "PEER_S_") {
			t.Errorf("%s: Success() = %v", c.Name, c.Success())
		}
	}
}

// TestHResult maps wrapped codes and the standard library's errors.
func TestHResult(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want uint32
	}{
		{nil, SOK},
		{ErrRecordNotFound, ErrRecordNotFound.HR},
		{fmt.Errorf("get record x: %w", ErrRecordNotFound), ErrRecordNotFound.HR},
		{fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", ErrNotAuthorized)), ErrNotAuthorized.HR},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), ErrTimeout.HR},
		{&fs.PathError{Op: "write", Path: "db", Err: syscall.ENOSPC}, ErrDiskFull.HR},
		{fmt.Errorf("open: %w", fs.ErrNotExist), ErrFileNotFound.HR},
		{fmt.Errorf("open: %w", fs.ErrPermission), ErrAccessDenied.HR},
		{errors.New("something else"), ErrFail.HR},
	} {
		if got := HResult(tc.err); got != tc.want {
			t.Errorf("HResult(%v) = 0x%08X, want 0x%08X", tc.err, got, tc.want)
		}
	}
}

// TestFromHR returns the table's own value, so that errors.Is works on an
// error that crossed a process or the network, and keeps unknown values.
func TestFromHR(t *testing.T) {
	for _, c := range All() {
		if FromHR(c.HR) != c {
			t.Errorf("FromHR(0x%08X) is not %s", c.HR, c.Name)
		}
	}
	u := FromHR(0x8063FFFF)
	if u.HR != 0x8063FFFF || HResult(u) != 0x8063FFFF || u.Success() {
		t.Errorf("unknown code: %+v", u)
	}
	if got := ErrInvalidArg.Error(); got != "invalid argument (E_INVALIDARG)" {
		t.Errorf("Error() = %q", got)
	}
}
