//go:build !windows

package identity

import "os"

// syncDir flushes a directory's entries (a rename or a new file in it) to
// disk, so a crash after an atomic rename cannot bring back the old name.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
