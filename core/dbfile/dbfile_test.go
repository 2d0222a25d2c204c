package dbfile

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/uuid"

	"p2p/core/filetime"
	"p2p/core/peererr"
	"p2p/core/record"
)

const group = "0123456789abcdef0123456789abcdef01234567.g"

func export(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, group)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		r := &record.Record{Type: uuid.New(), ID: uuid.New(), Version: 1, CreatorID: "a.b", ModifiedByID: "a.b",
			Created: filetime.Now(), Modified: filetime.Now(), Expires: filetime.Forever, Data: bytes.Repeat([]byte{byte(i)}, i)}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAll(b []byte) (int, error) {
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func TestRoundTrip(t *testing.T) {
	b := export(t, 50)
	n, err := readAll(b)
	if err != nil || n != 50 {
		t.Fatalf("read %d records, err %v", n, err)
	}
	r, _ := NewReader(bytes.NewReader(b))
	if r.Group() != group {
		t.Fatalf("group %q", r.Group())
	}
}

func TestTruncatedAndGarbage(t *testing.T) {
	b := export(t, 5)
	for _, cut := range []int{0, 3, len(magic), len(magic) + 5, len(b) / 2, len(b) - 1} {
		if _, err := readAll(b[:cut]); !errors.Is(err, peererr.ErrInvalidDatabase) {
			t.Errorf("cut at %d: got %v", cut, err)
		}
	}
	if _, err := readAll(append(bytes.Clone(b), 0)); !errors.Is(err, peererr.ErrInvalidDatabase) {
		t.Errorf("trailing byte: got %v", err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add(export(f, 0))
	f.Add(export(f, 3))
	f.Add([]byte("P2PGRPDB\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		readAll(b) // must not panic or allocate beyond the bounds
	})
}
