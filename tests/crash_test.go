package tests

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the driver of the integrity checks

	"p2p/tests/internal/testlib"
)

// crashRecords is how many records crash_writer would add if left alone.
const crashRecords = 10000

// TestCrashDuringWrites kills a process with SIGKILL while it adds records
// one by one (tests/c/crash_writer.c), at three random points, and then
// requires that every record whose PeerGroupAddRecord had returned S_OK is
// there when the group is reopened through the library, and that the
// SQLite database passes PRAGMA integrity_check both as the crash left it
// and after the library reopened it.
func TestCrashDuringWrites(t *testing.T) {
	t.Parallel()
	bin := testlib.CompileC(t, "crash_writer", testlib.Source(t, "crash_writer.c"))
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	t.Logf("kill points drawn with seed %d", seed)
	// One kill point in each third of [500, 8000): early, middle, late. The
	// writer cannot run more than a pipe buffer (~1300 lines) ahead of
	// this reader, so it is always killed before it finishes.
	ranges := [][2]int{{500, 2500}, {2500, 5000}, {5000, 8000}}
	for _, r := range ranges {
		killAt := r[0] + rng.IntN(r[1]-r[0])
		t.Run(fmt.Sprintf("kill-after-%d", killAt), func(t *testing.T) {
			t.Parallel()
			crashAndVerify(t, bin, killAt)
		})
	}
}

func crashAndVerify(t *testing.T, bin string, killAt int) {
	home := testlib.Home(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := testlib.Command(ctx, home, bin, "write", fmt.Sprint(crashRecords))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start crash_writer: %v", err)
	}

	// Read the acknowledgements; kill the writer once killAt have arrived,
	// then keep what was already in the pipe: those were acknowledged too.
	var identity, group string
	var acked []string
	done, killed := false, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "GROUP "):
			if f := strings.Fields(line); len(f) == 3 {
				identity, group = f[1], f[2]
			}
		case strings.HasPrefix(line, "ID "):
			acked = append(acked, line)
		case line == "DONE":
			done = true
		default:
			t.Errorf("crash_writer: %s", line)
		}
		if !killed && len(acked) >= killAt {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatalf("kill crash_writer: %v", err)
			}
			killed = true
		}
	}
	if err := sc.Err(); err != nil && err != io.EOF {
		t.Fatalf("read crash_writer: %v", err)
	}
	werr := cmd.Wait()
	switch {
	case done:
		t.Fatalf("crash_writer finished all %d records before the kill at %d", crashRecords, killAt)
	case !killed:
		t.Fatalf("crash_writer stopped after %d acknowledgements, before the kill at %d: %v\n%s", len(acked), killAt, werr, stderr.String())
	case werr == nil:
		t.Fatalf("crash_writer exited normally after being killed")
	case identity == "" || group == "":
		t.Fatalf("crash_writer printed no GROUP line")
	}
	t.Logf("killed after %d acknowledged records (the kill was due at %d)", len(acked), killAt)

	// (b, first) The database exactly as the crash left it, on a copy.
	db := dbPath(t, home, identity, group)
	integrityCheck(t, copyDatabase(t, db), "as the crash left it (copy)")

	// (a) Every acknowledged record, through the library.
	ids := filepath.Join(t.TempDir(), "acked.txt")
	if err := os.WriteFile(ids, []byte(strings.Join(acked, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := testlib.Run(t, home, 2*time.Minute, bin, "verify", identity, group, ids)
	if !strings.Contains(out, fmt.Sprintf("VERIFIED %d ", len(acked))) {
		t.Fatalf("verify did not confirm %d records:\n%s", len(acked), out)
	}
	t.Logf("crash_writer verify: %s", strings.TrimSpace(out))

	// (b) The database after the library reopened and wrote to it.
	integrityCheck(t, db, "after reopening")
}

// dbPath is where the library keeps a group's database:
// $P2P_HOME/groups/<identity authority>/<group authority>/group.db.
func dbPath(t *testing.T, home, identity, group string) string {
	t.Helper()
	ia, _, _ := strings.Cut(identity, ".")
	ga, _, _ := strings.Cut(group, ".")
	p := filepath.Join(home, "groups", ia, ga, "group.db")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("group database: %v", err)
	}
	return p
}

// copyDatabase copies a database with its WAL and shared-memory files.
func copyDatabase(t *testing.T, db string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "group.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(db + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// integrityCheck opens a database with SQLite directly and requires
// PRAGMA integrity_check to answer "ok".
func integrityCheck(t *testing.T, path, when string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		t.Fatalf("integrity_check %s: %v", when, err)
	}
	defer rows.Close()
	var result []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		result = append(result, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("integrity_check %s: %v", when, err)
	}
	if len(result) != 1 || result[0] != "ok" {
		t.Fatalf("integrity_check %s: %q", when, result)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&n); err != nil || n == 0 {
		t.Fatalf("%s: the database has no schema (%d objects, %v)", when, n, err)
	}
}
