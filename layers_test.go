package main

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
)

// TestLayers checks the import rules between the layers, for Linux and
// for Windows builds: the C layer (this package) reaches the network only
// through service and group, and the database is the group engine's
// own, so no package of core but group imports core/store (the mesh
// reads and writes records through its engine interface).
func TestLayers(t *testing.T) {
	for _, goos := range []string{"linux", "windows"} {
		ctx := build.Default
		ctx.GOOS, ctx.CgoEnabled = goos, true
		imports := func(dir string, tests bool) []string {
			pkg, err := ctx.ImportDir(dir, 0)
			if err != nil {
				if _, ok := err.(*build.NoGoError); ok {
					return nil
				}
				t.Fatalf("%s (%s): %v", dir, goos, err)
			}
			out := pkg.Imports
			if tests {
				out = slices.Concat(out, pkg.TestImports, pkg.XTestImports)
			}
			return out
		}

		for _, p := range imports(".", false) {
			if slices.Contains([]string{"p2p/core/mesh", "p2p/core/wire", "p2p/core/session"}, p) {
				t.Errorf("%s: package main imports %s; the C layer goes through service and group", goos, p)
			}
		}

		err := filepath.WalkDir("core", func(dir string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if dir == filepath.Join("core", "group") || dir == filepath.Join("core", "store") {
				return nil
			}
			if slices.Contains(imports(dir, true), "p2p/core/store") {
				t.Errorf("%s: %s imports p2p/core/store; only core/group may", goos, filepath.ToSlash(dir))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
