package abi

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The export lists: p2p.def (p2p.dll) and libp2p.map (libp2p.so), relative
// to this package, and the built libraries `make build windows` writes.
const (
	defPath = "../../p2p.def"
	mapPath = "../../libp2p.map"
	soPath  = "../../build/libp2p.so"
	dllPath = "../../build/windows/p2p.dll"
	// mingwImplib is mingw-w64's import library of Windows' own P2P.dll:
	// a program linked with -lp2p imports its names.
	mingwImplib = "/usr/x86_64-w64-mingw32/lib/libp2p.a"
)

var exportRe = regexp.MustCompile(`(?m)^//export (Peer[A-Za-z]+)$`)

// goExports lists the //export functions of package main.
func goExports(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range exportRe.FindAllStringSubmatch(string(b), -1) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// namesIn returns the Peer* words of lines that re matches, sorted.
func namesIn(t *testing.T, text string, re *regexp.Regexp) []string {
	t.Helper()
	var out []string
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s differs from the //export functions:\n got  %v\n want %v", what, got, want)
	}
}

// TestExportListsAgree checks that the library's //export functions, the
// two export lists and p2p.h name the same 56 functions.
func TestExportListsAgree(t *testing.T) {
	want := goExports(t)
	if len(want) != 56 {
		t.Fatalf("%d //export functions, want 56", len(want))
	}
	sameList(t, "p2p.def", namesIn(t, readFile(t, defPath), regexp.MustCompile(`(?m)^\s+(Peer[A-Za-z]+)\s*$`)), want)
	sameList(t, "libp2p.map", namesIn(t, readFile(t, mapPath), regexp.MustCompile(`(?m)^\s+(Peer[A-Za-z]+);$`)), want)
	var header []string
	for _, line := range readHeader(t).funcs {
		header = append(header, funcRe.FindStringSubmatch(line)[2])
	}
	slices.Sort(header)
	sameList(t, "p2p.h", header, want)
}

// TestSharedObjectExportsOnlyTheAPI checks the built libp2p.so: SONAME
// libp2p.so.1 and no dynamic symbol but the API (no sqlite3_*, no _cgo_*),
// so a program that also links SQLite gets its own.
func TestSharedObjectExportsOnlyTheAPI(t *testing.T) {
	if _, err := os.Stat(soPath); err != nil {
		t.Fatalf("%s is missing: run make build first (%v)", soPath, err)
	}
	out, err := exec.Command("nm", "-D", "--defined-only", soPath).Output()
	if err != nil {
		t.Fatalf("nm: %v", err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			got = append(got, f[2])
		}
	}
	slices.Sort(got)
	sameList(t, "libp2p.so's dynamic symbols", got, goExports(t))
	dyn, err := exec.Command("readelf", "-d", soPath).Output()
	if err != nil {
		t.Fatalf("readelf: %v", err)
	}
	if !strings.Contains(string(dyn), "Library soname: [libp2p.so.1]") {
		t.Errorf("libp2p.so has no SONAME libp2p.so.1:\n%s", dyn)
	}
}

// TestDLLExportsExactlyTheAPI checks the built p2p.dll: its export table is
// the API and nothing else (no go-sqlite3 callbacks), and it has every
// Grouping and Identity name of the import library of Windows' P2P.dll,
// without which Windows refuses to start a program that imports it.
func TestDLLExportsExactlyTheAPI(t *testing.T) {
	if _, err := exec.LookPath(mingwCC); err != nil {
		t.Skipf("%s not installed: %v", mingwCC, err)
	}
	if _, err := os.Stat(dllPath); err != nil {
		t.Fatalf("%s is missing: run make windows first (%v)", dllPath, err)
	}
	out, err := exec.Command("x86_64-w64-mingw32-objdump", "-p", dllPath).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	_, table, ok := strings.Cut(string(out), "[Ordinal/Name Pointer] Table")
	if !ok {
		t.Fatalf("no export name table in:\n%s", out)
	}
	table, _, _ = strings.Cut(table, "\n\n")
	got := namesIn(t, table, regexp.MustCompile(`(?m)\]\s+(\S+)$`))
	sameList(t, "p2p.dll's exports", got, goExports(t))

	nm, err := exec.Command("x86_64-w64-mingw32-nm", mingwImplib).Output()
	if err != nil {
		t.Fatalf("nm %s: %v", mingwImplib, err)
	}
	api := regexp.MustCompile(`^Peer(Group|Identity|EnumGroups|EnumIdentities|CreatePeerName|FreeData|GetItemCount|GetNextItem|EndEnumeration)`)
	var missing []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(nm), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] != "T" || !api.MatchString(f[2]) || seen[f[2]] {
			continue
		}
		seen[f[2]] = true
		if !slices.Contains(got, f[2]) {
			missing = append(missing, f[2])
		}
	}
	if len(seen) != 56 {
		t.Errorf("%s lists %d Grouping and Identity functions, want 56", mingwImplib, len(seen))
	}
	if len(missing) > 0 {
		t.Errorf("p2p.dll lacks names Windows' import library has: %v", missing)
	}
}

// TestWindowsBuildScriptUsesTheExportList checks that build.ps1, the
// native Windows build, links with p2p.def as `make windows` does (it is
// not run here: no PowerShell).
func TestWindowsBuildScriptUsesTheExportList(t *testing.T) {
	ps := readFile(t, "../../build.ps1")
	mk := readFile(t, "../../Makefile")
	for _, flag := range []string{"-Wl,--export-all-symbols", "-Wl,--exclude-all-symbols", "p2p.def", "--out-implib"} {
		if !strings.Contains(ps, flag) || !strings.Contains(mk, flag) {
			t.Errorf("build.ps1 and the Makefile must both link p2p.dll with %s", flag)
		}
	}
}
