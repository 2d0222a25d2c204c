// Package testlib is what the C client tests share: finding the repository
// and the built library, compiling a C program against it, giving each
// program its own data directory, and running programs with a time limit.
package testlib

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// MinGW is the cross compiler of the Windows compile checks.
const MinGW = "x86_64-w64-mingw32-gcc"

// CFlags are the warnings every C test program compiles with, on every
// compiler: a warning is a test failure.
var CFlags = []string{"-std=c11", "-Wall", "-Wextra", "-Werror"}

// RepoRoot returns the root of the p2p module, found by walking up from
// the working directory to the go.mod that declares it.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module p2p\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the p2p module root above the working directory")
		}
		dir = parent
	}
}

// BuildDir returns the directory holding the built library and its
// header. It fails the test, never skips it, when the library is missing:
// a test run without the library must not pass.
func BuildDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "build")
	for _, f := range []string{libraryName(), "p2p.h"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("%s is missing: run make build first (%v)", filepath.Join(dir, f), err)
		}
	}
	return dir
}

func libraryName() string {
	switch runtime.GOOS {
	case "windows":
		return "p2p.dll"
	case "darwin":
		return "libp2p.dylib"
	}
	return "libp2p.so"
}

// Source returns the path of a C source of tests/c.
func Source(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(RepoRoot(t), "tests", "c", name)
}

// CompileC compiles C sources (with tests/c on the include path) into an
// executable linked against the built library, which it finds at run time
// through an rpath. It returns the executable's path.
func CompileC(t testing.TB, name string, sources ...string) string {
	t.Helper()
	build := BuildDir(t)
	out := filepath.Join(t.TempDir(), name)
	args := append([]string{}, CFlags...)
	args = append(args, "-O1", "-g", "-pthread", "-I", build, "-I", filepath.Join(RepoRoot(t), "tests", "c"), "-o", out)
	args = append(args, sources...)
	args = append(args, "-L", build, "-lp2p", "-Wl,-rpath,"+build)
	runCompiler(t, "gcc", args)
	return out
}

// CompileWindowsObject compiles one C source for Windows x64 with the
// mingw-w64 cross compiler into an object file (no link), against the
// repository's p2p.h. It skips the test only when the compiler is missing.
func CompileWindowsObject(t testing.TB, source string) string {
	t.Helper()
	if _, err := exec.LookPath(MinGW); err != nil {
		t.Skipf("%s not installed (Debian package gcc-mingw-w64-x86-64): %v", MinGW, err)
	}
	root := RepoRoot(t)
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(source), ".c")+".o")
	args := append([]string{}, CFlags...)
	args = append(args, "-c", "-I", root, "-I", filepath.Join(root, "tests", "c"), "-o", out, source)
	runCompiler(t, MinGW, args)
	return out
}

func runCompiler(t testing.TB, cc string, args []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cc, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
}

// Home makes an empty data directory for one test program: a P2P_HOME of
// its own, so programs never share identities or groups by accident.
func Home(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "p2phome")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatalf("make P2P_HOME: %v", err)
	}
	return dir
}

// Env is the environment of a test program: this process's, with
// P2P_HOME replaced by home.
func Env(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "P2P_HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "P2P_HOME="+home)
}

// Command prepares bin with args to run with its own P2P_HOME; ctx ends
// the process (SIGKILL) when it is done.
func Command(ctx context.Context, home, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = Env(home)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Run runs bin with args and its own P2P_HOME, with a time limit, and
// returns everything it printed. It fails the test, showing that output,
// if the program exits non-zero, is killed or overruns the limit.
func Run(t testing.TB, home string, timeout time.Duration, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := Command(ctx, home, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	name := filepath.Base(bin) + " " + strings.Join(args, " ")
	if ctx.Err() != nil {
		t.Fatalf("%s: killed at the %v time limit\n--- output ---\n%s", name, timeout, out.String())
	}
	if err != nil {
		t.Fatalf("%s: %v\n--- output ---\n%s", name, err, out.String())
	}
	return out.String()
}
