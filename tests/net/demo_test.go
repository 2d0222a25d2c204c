package net_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemo builds and runs examples/demo: three member processes must
// each see the three records, within 20 s, and the program exit 0.
func TestDemo(t *testing.T) {
	t.Parallel()
	peerBinary(t) // checks that the library was built
	lib := buildDir(t)
	bin := filepath.Join(t.TempDir(), "demo")
	src := filepath.Join(repoRoot(t), "examples", "demo", "demo.c")
	cc := exec.Command("gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-I", lib, src, "-o", bin,
		"-L", lib, "-lp2p", "-Wl,-rpath,"+lib)
	if out, err := cc.CombinedOutput(); err != nil {
		t.Fatalf("compile demo.c: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = filteredEnv()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	t.Logf("demo output (%v):\n%s", took.Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	if took > 20*time.Second {
		t.Errorf("demo took %v, want under 20 s", took)
	}
	text := string(out)
	for _, who := range []string{"alice", "bob", "carol"} {
		if !strings.Contains(text, "["+who+"] my database holds 3 records:") {
			t.Errorf("%s did not list 3 records", who)
		}
	}
	if !strings.Contains(text, "every member saw every record") {
		t.Error("the demo did not report success")
	}
}
