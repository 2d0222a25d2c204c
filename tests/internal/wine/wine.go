// Package wine runs the library's Windows build under Wine 8 for the
// tests: it finds the Wine test DLL and prefix that `make wine` prepares,
// compiles C and C++ programs with mingw-w64 against them, and runs
// Windows programs under Wine with their own data directory.
package wine

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"p2p/tests/internal/testlib"
)

// The mingw-w64 compilers.
const (
	CC  = "x86_64-w64-mingw32-gcc"
	CXX = "x86_64-w64-mingw32-g++"
)

// Prefix is the Wine prefix of the tests: $P2P_WINEPREFIX, else
// build/wine/prefix. It fails the test, never skips it, when the prefix
// or the Wine test DLL is missing: a run without them must not pass.
func Prefix(t testing.TB) string {
	t.Helper()
	p := os.Getenv("P2P_WINEPREFIX")
	if p == "" {
		p = filepath.Join(testlib.RepoRoot(t), "build", "wine", "prefix")
	}
	if _, err := os.Stat(filepath.Join(p, "drive_c", "windows", "system32", "gowinefix.dll")); err != nil {
		t.Fatalf("no Wine test prefix at %s: run make wine first (%v)", p, err)
	}
	DLL(t)
	return p
}

// DLL is the Wine test build of p2p.dll (build/wine/p2p.dll).
func DLL(t testing.TB) string {
	t.Helper()
	p := filepath.Join(testlib.RepoRoot(t), "build", "wine", "p2p.dll")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: run make wine first (%v)", p, err)
	}
	return p
}

// Dir makes a folder for Windows programs with the Wine test p2p.dll in
// it, where Windows loads it from for a program beside it.
func Dir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(DLL(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p2p.dll"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Compile builds a Windows program in dir with compiler cc (CC or CXX)
// and returns its path. args are the sources and any further flags; the
// repository's p2p.h and tests/c are on the include path.
func Compile(t testing.TB, cc, dir, name string, args ...string) string {
	t.Helper()
	root := testlib.RepoRoot(t)
	out := filepath.Join(dir, name+".exe")
	all := []string{"-O1", "-g", "-Wall", "-Wextra", "-Werror", "-I", root, "-I", filepath.Join(root, "tests", "c"), "-o", out}
	all = append(all, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, cc, all...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(all, " "), err, b)
	}
	return out
}

// Path is a host path as Windows programs under Wine see it (drive Z:).
func Path(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

// Command prepares exe to run under Wine with its own data directory
// home (a host path); env adds variables. ctx kills it when done.
func Command(ctx context.Context, t testing.TB, home, exe string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	wrapper := filepath.Join(testlib.RepoRoot(t), "tests", "windows", "wine-exec")
	cmd := exec.CommandContext(ctx, wrapper, append([]string{exe}, args...)...)
	cmd.Dir = filepath.Dir(exe)
	cmd.Env = append(testlib.Env(Path(home)), "WINEPREFIX="+Prefix(t))
	cmd.Env = append(cmd.Env, env...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Run runs exe under Wine with a time limit and returns its output; the
// test fails with that output if it exits non-zero or overruns.
func Run(t testing.TB, timeout time.Duration, home, exe string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := Command(ctx, t, home, exe, env, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	name := filepath.Base(exe) + " " + strings.Join(args, " ")
	if ctx.Err() != nil {
		t.Fatalf("%s under Wine: killed at the %v time limit\n--- output ---\n%s", name, timeout, out.String())
	}
	if err != nil {
		t.Fatalf("%s under Wine: %v\n--- output ---\n%s", name, err, out.String())
	}
	return out.String()
}
