// Package windows_test runs the library's Windows build for real under
// Wine 8: C and C++ programs built with mingw-w64 against the Wine test
// DLL (build/wine/p2p.dll), an existing-program build against Windows'
// own import library, and a check that the release DLL carries none of
// the test-only Wine workarounds. `make wine` (part of `make test`)
// prepares the DLL and a fresh Wine prefix first; without them these
// tests fail.
package windows_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"p2p/tests/internal/testlib"
	"p2p/tests/internal/wine"
)

// TestReleaseDLLHasNoWinefix checks that `make windows`'s p2p.dll
// contains nothing of the Wine workarounds (tests/windows/winefix), while
// the Wine test build does (the check can fail).
func TestReleaseDLLHasNoWinefix(t *testing.T) {
	root := testlib.RepoRoot(t)
	markers := []string{"gowinefix.dll", "WSAIoctl_fix", "NtSetInformationFile_fix"}
	release, err := os.ReadFile(filepath.Join(root, "build", "windows", "p2p.dll"))
	if err != nil {
		t.Fatalf("the release DLL: run make windows first (%v)", err)
	}
	test, err := os.ReadFile(wine.DLL(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range markers {
		if bytes.Contains(release, []byte(m)) {
			t.Errorf("the release p2p.dll contains %q", m)
		}
		if !bytes.Contains(test, []byte(m)) {
			t.Errorf("the Wine test DLL lacks %q: this check would not see it", m)
		}
	}
}

// TestCProgramsUnderWine runs the offline flow and every bad call of
// tests/c as Windows programs.
func TestCProgramsUnderWine(t *testing.T) {
	for _, name := range []string{"offline_flow", "bad_calls"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := wine.Dir(t)
			exe := wine.Compile(t, wine.CC, dir, name, "-std=c11", testlib.Source(t, name+".c"), filepath.Join(dir, "p2p.dll"))
			out := wine.Run(t, 3*time.Minute, testlib.Home(t), exe, nil, wine.Path(t.TempDir()))
			if !strings.Contains(out, "PASS "+name) {
				t.Fatalf("%s did not pass under Wine:\n%s", name, out)
			}
			t.Logf("%s", lastLine(out))
		})
	}
}

// TestExistingProgramUnderWine is the drop-in case: a program written for
// Windows' own P2P.dll (the platform's <p2p.h>, linked with mingw-w64's
// -lp2p, which imports "P2P.dll") runs with this library's p2p.dll beside
// it; PeerGroupDelete leaves no folder behind.
func TestExistingProgramUnderWine(t *testing.T) {
	t.Parallel()
	dir := wine.Dir(t)
	exe := wine.Compile(t, wine.CC, dir, "dropin", filepath.Join(testlib.RepoRoot(t), "tests", "windows", "src", "dropin.c"), "-lp2p")
	imports, err := exec.Command("x86_64-w64-mingw32-objdump", "-p", exe).Output()
	if err != nil || !strings.Contains(string(imports), "DLL Name: P2P.dll") {
		t.Fatalf("dropin.exe does not import Windows' P2P.dll: %v\n%s", err, imports)
	}
	home := testlib.Home(t)
	out := wine.Run(t, 2*time.Minute, home, exe, nil)
	if !strings.Contains(out, "PASS dropin") {
		t.Fatalf("dropin did not pass under Wine:\n%s", out)
	}
	left, _ := filepath.Glob(filepath.Join(home, "groups", "*", "*"))
	if len(left) > 0 {
		t.Fatalf("PeerGroupDelete left %v behind", left)
	}
}

// TestCxxProgramUnderWine compiles a C++11 program against p2p.h with
// mingw-w64's g++ and runs it.
func TestCxxProgramUnderWine(t *testing.T) {
	t.Parallel()
	dir := wine.Dir(t)
	exe := wine.Compile(t, wine.CXX, dir, "cxx_client", "-std=c++11",
		filepath.Join(testlib.RepoRoot(t), "tests", "windows", "src", "cxx_client.cpp"), filepath.Join(dir, "p2p.dll"),
		"-static-libgcc", "-static-libstdc++")
	out := wine.Run(t, 2*time.Minute, testlib.Home(t), exe, nil)
	if !strings.Contains(out, "PASS cxx_client") {
		t.Fatalf("cxx_client did not pass under Wine:\n%s", out)
	}
}

// TestEventThreadsUnderWine runs tests/c/event_threads.c as a Windows
// program with Wine's heap warnings on: several threads drain one
// registration at once while records and direct data arrive, and, as
// GroupChat does, a thread-pool wait (RegisterWaitForSingleObject) drains
// it: no two of those callbacks may process events at once, since a drain
// reads every event queued while it runs.
func TestEventThreadsUnderWine(t *testing.T) {
	dir := wine.Dir(t)
	exe := wine.Compile(t, wine.CC, dir, "event_threads", "-std=c11", testlib.Source(t, "event_threads.c"), filepath.Join(dir, "p2p.dll"))
	for _, mode := range []string{"threads", "pool"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			env := []string{"WINEDEBUG=warn+heap", "P2P_LISTEN=127.0.0.1:0", "P2P_DISCOVERY=0"}
			out := wine.Run(t, 3*time.Minute, testlib.Home(t), exe, env, mode)
			if !strings.Contains(out, "PASS event_threads") {
				t.Fatalf("event_threads %s did not pass under Wine:\n%s", mode, out)
			}
			if strings.Contains(out, "err:heap") || strings.Contains(out, "warn:heap") {
				t.Fatalf("Wine reports heap damage:\n%s", out)
			}
			t.Logf("%s", lastLine(out))
		})
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}
