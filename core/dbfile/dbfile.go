// Package dbfile is the file format of PeerGroupExportDatabase and
// PeerGroupImportDatabase: a header naming the group, then every record in
// its signed binary form. Records are verified one by one on import, so
// the file needs no protection of its own; it can only be imported into
// the group it names.
package dbfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"p2p/core/peererr"
	"p2p/core/peername"
	"p2p/core/record"
)

// magic starts every file; the last byte is the format version.
var magic = []byte("P2PGRPDB\x00\x01")

// maxRecordBytes bounds one encoded record: the largest data payload plus
// room for the other fields.
const maxRecordBytes = record.MaxDataSize + record.MaxAttributesSize + 8<<10

// Writer writes an export file.
type Writer struct {
	w *bufio.Writer
}

// NewWriter starts an export of group's records to w.
func NewWriter(w io.Writer, group string) (*Writer, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.Write(magic)
	writeChunk(bw, []byte(group))
	return &Writer{w: bw}, bw.Flush()
}

// Write appends one record.
func (w *Writer) Write(r *record.Record) error {
	b, err := r.MarshalBinary()
	if err != nil {
		return err
	}
	writeChunk(w.w, b)
	return nil
}

// Close ends the file with an empty chunk, so truncation is detected, and
// flushes it.
func (w *Writer) Close() error {
	writeChunk(w.w, nil)
	return w.w.Flush()
}

func writeChunk(w *bufio.Writer, b []byte) {
	var n [binary.MaxVarintLen64]byte
	w.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))])
	w.Write(b)
}

// Reader reads an export file.
type Reader struct {
	r     *bufio.Reader
	group string
	done  bool
}

// NewReader checks the header of an export file and returns a Reader
// positioned at its first record. Errors wrap PEER_E_INVALID_DATABASE.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != string(magic) {
		return nil, fmt.Errorf("not a group database export: %w", peererr.ErrInvalidDatabase)
	}
	g, err := readChunk(br, 3*peername.MaxPeerName)
	if err != nil || len(g) == 0 {
		return nil, fmt.Errorf("export header: %w", peererr.ErrInvalidDatabase)
	}
	return &Reader{r: br, group: string(g)}, nil
}

// Group is the peer name of the group the file belongs to.
func (r *Reader) Group() string { return r.group }

// Next returns the next record, or io.EOF after the last one. A file cut
// short or holding a malformed record fails with PEER_E_INVALID_DATABASE.
func (r *Reader) Next() (*record.Record, error) {
	if r.done {
		return nil, io.EOF
	}
	b, err := readChunk(r.r, maxRecordBytes)
	if err != nil {
		return nil, fmt.Errorf("export file: %v: %w", err, peererr.ErrInvalidDatabase)
	}
	if len(b) == 0 {
		r.done = true
		if _, err := r.r.ReadByte(); err != io.EOF {
			return nil, fmt.Errorf("export file: data after the end: %w", peererr.ErrInvalidDatabase)
		}
		return nil, io.EOF
	}
	var rec record.Record
	if err := rec.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("export file: %v: %w", err, peererr.ErrInvalidDatabase)
	}
	return &rec, nil
}

func readChunk(r *bufio.Reader, max int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if n > uint64(max) {
		return nil, fmt.Errorf("chunk of %d bytes exceeds %d", n, max)
	}
	// Grow with the data actually present, not with the claimed length.
	b, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil || uint64(len(b)) != n {
		return nil, io.ErrUnexpectedEOF
	}
	return b, nil
}
