package tests

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"p2p/tests/internal/testlib"
)

// pythonRanRe is the summary line of Python's unittest.
var pythonRanRe = regexp.MustCompile(`(?m)^Ran (\d+) tests? in `)

// TestPython runs tests/python/test_p2p.py, the ctypes tests of the
// library through bindings/python/p2p.py (and raw ctypes), against the
// built library with a data directory of its own. It fails, never skips,
// when python3 or the library is missing.
func TestPython(t *testing.T) {
	t.Parallel()
	testlib.BuildDir(t) // fails with "run make build first" without the library
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to test the Python bindings (Debian package python3): %v", err)
	}
	script := filepath.Join(testlib.RepoRoot(t), "tests", "python", "test_p2p.py")
	out := testlib.Run(t, testlib.Home(t), 3*time.Minute, python, script, "-v")
	m := pythonRanRe.FindStringSubmatch(out)
	if m == nil || !regexp.MustCompile(`(?m)^OK$`).MatchString(out) {
		t.Fatalf("test_p2p.py did not report success:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 16 {
		t.Fatalf("test_p2p.py ran %d tests, want at least 16:\n%s", n, out)
	}
	t.Logf("test_p2p.py: %s Python tests passed", m[1])
}

// TestPythonTwoProcesses runs tests/python/two_process.py: two Python
// processes, each with its own data directory, create, invite, join,
// connect, publish and read each other's records after RECORD_CHANGED,
// then exchange 200 messages of up to 1 MiB each way over a direct
// connection, try the bad inputs and close it.
func TestPythonTwoProcesses(t *testing.T) {
	t.Parallel()
	testlib.BuildDir(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to test the Python bindings (Debian package python3): %v", err)
	}
	script := filepath.Join(testlib.RepoRoot(t), "tests", "python", "two_process.py")
	out := testlib.Run(t, testlib.Home(t), 4*time.Minute, python, script, "200")
	if !regexp.MustCompile(`(?m)^two-process flow OK$`).MatchString(out) {
		t.Fatalf("two_process.py did not report success:\n%s", out)
	}
	t.Logf("two_process.py:\n%s", out)
}
