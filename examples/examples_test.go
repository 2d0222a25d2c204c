// Package examples runs the small example programs (C, Python and C#)
// against the built library, each with a data directory of its own, and
// checks what they print. The C# one needs Mono (make test installs it).
package examples

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// buildDir is the repository's build/ directory; a missing library fails
// the test (a run without it must not pass).
func buildDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(filepath.Dir(wd), "build")
	for _, f := range []string{"libp2p.so", "p2p.h"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("%s is missing: run make build first (%v)", filepath.Join(dir, f), err)
		}
	}
	return dir
}

// run runs a program with a fresh P2P_HOME (plus extra environment) and
// returns its output, failing the test if it fails or takes over a minute.
func run(t *testing.T, extraEnv []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	home := filepath.Join(t.TempDir(), "home")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "P2P_HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(append(env, "P2P_HOME="+home), extraEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// expectLines requires each pattern to match a line of out.
func expectLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(`(?m)^` + p + `$`).MatchString(out) {
			t.Errorf("no line matches %q in:\n%s", p, out)
		}
	}
}

// peerName matches a secure peer name with the given classifier.
func peerName(classifier string) string { return `[0-9a-f]{40}\.` + classifier }

func TestCHello(t *testing.T) {
	t.Parallel()
	build := buildDir(t)
	bin := filepath.Join(t.TempDir(), "hello")
	args := []string{"-std=c11", "-Wall", "-Wextra", "-Werror", "-I", build, filepath.Join("c", "hello.c"),
		"-L", build, "-lp2p", "-Wl,-rpath," + build, "-o", bin}
	if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	out := run(t, nil, bin)
	expectLines(t, out, "identity: "+peerName("hello"), "group: "+peerName("greetings"),
		"record: version 1, 13 bytes: Hello, group!", "signed by: "+peerName("hello"), "done")
}

func TestPythonHello(t *testing.T) {
	t.Parallel()
	buildDir(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to run the Python example (Debian package python3): %v", err)
	}
	// The package from the source tree (tests/pkg/python.sh runs the same
	// example against the installed package).
	pkg, err := filepath.Abs(filepath.Join("..", "bindings", "python"))
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, []string{"PYTHONPATH=" + pkg, "PYTHONDONTWRITEBYTECODE=1"}, python, filepath.Join("python", "hello.py"))
	expectLines(t, out, "identity: "+peerName("hello"), "group: "+peerName("greetings"),
		"event: record [0-9a-f-]{36} added", "record: version 1, 17 bytes: Hello, group! ✓",
		"signed by: "+peerName("hello"), "as expected: PEER_E_NOT_FOUND", `p2p \d+\.\d+\.\d+`, "done")
}

// TestCSharpExample compiles examples/csharp/Example.cs with Mono's mcs,
// together with the P2P.Net sources (bindings/dotnet/src), and runs it with
// mono, which finds libp2p.so through LD_LIBRARY_PATH.
func TestCSharpExample(t *testing.T) {
	t.Parallel()
	build := buildDir(t)
	mcs, err1 := exec.LookPath("mcs")
	mono, err2 := exec.LookPath("mono")
	if err1 != nil || err2 != nil {
		t.Fatal("Mono is needed to run the C# example (make test installs it): " +
			"apt-get install -y --no-install-recommends mono-mcs mono-runtime")
	}
	exe := filepath.Join(t.TempDir(), "Example.exe")
	sources, err := filepath.Glob(filepath.Join("..", "bindings", "dotnet", "src", "*.cs"))
	if err != nil || len(sources) == 0 {
		t.Fatalf("the P2P.Net sources are missing: %v", err)
	}
	args := append([]string{"-out:" + exe, filepath.Join("csharp", "Example.cs")}, sources...)
	if out, err := exec.Command(mcs, args...).CombinedOutput(); err != nil {
		t.Fatalf("mcs: %v\n%s", err, out)
	}
	out := run(t, []string{"LD_LIBRARY_PATH=" + build}, mono, exe)
	expectLines(t, out, "identity: "+peerName("hello"), "friendly name round trip: same",
		"event: record [0-9a-f-]{36} Added",
		"record [0-9a-f-]{36}: type 9f6a7c10-5b1e-4d7e-a12c-68656c6c6f21, version 1: Hello, group!",
		"signed by: "+peerName("hello"), "as expected: PEER_E_NOT_FOUND", "done")
}
