// Package abi checks the public C header p2p.h: its HRESULT codes against
// the Go table in core/peererr and against the Windows SDK's values (as
// golang.org/x/sys/windows carries them), its functions against the Windows
// prototypes, and, through check.sh, its structure layouts and prototypes
// against mingw-w64's copy of the Windows header.
package abi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"p2p/core/peererr"
)

// headerPath is the public header, relative to this package.
const headerPath = "../../p2p.h"

// mingwCC is the cross compiler check.sh needs.
const mingwCC = "x86_64-w64-mingw32-gcc"

var (
	defineRe  = regexp.MustCompile(`^#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)(\(|\s+|$)(.*)$`)
	hresultRe = regexp.MustCompile(`^\(\(HRESULT\)(0x[0-9A-Fa-f]{8})L\)$`)
	integerRe = regexp.MustCompile(`^([0-9]+)L?$`)
	peerRe    = regexp.MustCompile(`^PEER_[ES]_`)
	win32Re   = regexp.MustCompile(`^HRESULT_FROM_WIN32\(([A-Z_][A-Z0-9_]*)\)$`)
	funcRe    = regexp.MustCompile(`^(HRESULT|VOID)\s+(Peer[A-Za-z]+)\s*\((.*)\);$`)
	xsysRe    = regexp.MustCompile(`^\s*((?:PEER_[ES]_|E_|S_OK)[A-Z0-9_]*)\s+Handle\s*=\s*(0x[0-9A-Fa-f]+|0)\s*$`)
)

// header is what the tests read from p2p.h.
type header struct {
	// defines maps each #define'd name to its replacement text, or to
	// "(" for a function-like macro.
	defines map[string]string
	// codes maps each name defined as ((HRESULT)0x........L) to its value.
	codes map[string]uint32
	// funcs holds the function declarations, one a line, in order.
	funcs []string
}

// readHeader parses p2p.h. A PEER_E_/PEER_S_ define in any other form than
// ((HRESULT)0x........L), or a code defined twice with different text, is
// an error, so that no code can hide from the checks.
func readHeader(t *testing.T) *header {
	t.Helper()
	src, err := os.ReadFile(headerPath)
	if err != nil {
		t.Fatalf("read header: %v", err)
	}
	h := &header{defines: map[string]string{}, codes: map[string]uint32{}}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if m := funcRe.FindStringSubmatch(line); m != nil {
			h.funcs = append(h.funcs, line)
			continue
		}
		m := defineRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, text := m[1], strings.TrimSpace(m[3])
		if m[2] == "(" {
			text = "("
		}
		// Other macros may differ between #if branches; codes may not.
		if old, dup := h.defines[name]; dup && old != text && (hresultRe.MatchString(old) || peerRe.MatchString(name)) {
			t.Errorf("p2p.h:%d: %s defined twice, as %q and %q", n, name, old, text)
		}
		h.defines[name] = text
		hm := hresultRe.FindStringSubmatch(text)
		switch {
		case hm != nil:
			v, err := strconv.ParseUint(hm[1], 0, 32)
			if err != nil {
				t.Fatalf("p2p.h:%d: %s: %v", n, name, err)
			}
			h.codes[name] = uint32(v)
		case peerRe.MatchString(name):
			t.Errorf("p2p.h:%d: %s is not written as ((HRESULT)0x........L): %q", n, name, text)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scan header: %v", err)
	}
	return h
}

// value returns the HRESULT the header gives a peererr name: a code
// #define, or HRESULT_FROM_WIN32(ERROR_X) computed from the header's
// ERROR_X.
func (h *header) value(name string) (uint32, error) {
	if v, ok := h.codes[name]; ok {
		return v, nil
	}
	m := win32Re.FindStringSubmatch(name)
	if m == nil {
		return 0, errors.New("not defined as ((HRESULT)0x........L)")
	}
	if h.defines["HRESULT_FROM_WIN32"] != "(" {
		return 0, errors.New("no HRESULT_FROM_WIN32 macro")
	}
	im := integerRe.FindStringSubmatch(h.defines[m[1]])
	if im == nil {
		return 0, fmt.Errorf("%s is not an integer #define", m[1])
	}
	x, err := strconv.ParseUint(im[1], 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", m[1], err)
	}
	return 0x80070000 | uint32(x), nil
}

// TestCodesMatchPeererr checks that every code of the Go table is in the
// header with the same value, and every PEER_E_/PEER_S_ code of the header
// is in the Go table.
func TestCodesMatchPeererr(t *testing.T) {
	h := readHeader(t)
	all := peererr.All()
	inTable := map[string]uint32{}
	for _, c := range all {
		inTable[c.Name] = c.HR
		v, err := h.value(c.Name)
		switch {
		case err != nil:
			t.Errorf("peererr %s (%#08x): p2p.h: %v", c.Name, c.HR, err)
		case v != c.HR:
			t.Errorf("%s: p2p.h says %#08x, peererr says %#08x", c.Name, v, c.HR)
		}
	}
	peer := 0
	for name, v := range h.codes {
		if !peerRe.MatchString(name) {
			continue
		}
		peer++
		hr, ok := inTable[name]
		switch {
		case !ok:
			t.Errorf("p2p.h defines %s (%#08x), peererr has no such code", name, v)
		case hr != v:
			t.Errorf("%s: p2p.h says %#08x, peererr says %#08x", name, v, hr)
		}
	}
	t.Logf("%d peererr codes found in p2p.h; p2p.h defines %d PEER_E_/PEER_S_ codes", len(all), peer)
	if peer < 87 {
		t.Errorf("p2p.h defines %d PEER_E_/PEER_S_ codes, want at least the 87 of the reference", peer)
	}
}

// TestCodesMatchWindowsSDK checks the header's codes against the values
// golang.org/x/sys/windows generated from the Windows SDK's winerror.h, a
// source independent of both the header and peererr: every PEER_E_/PEER_S_
// code there must be in the header with the same value, and so must the
// generic E_* codes the header shares with it.
func TestCodesMatchWindowsSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("golang.org/x/sys is not in the module cache (%v)", err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "windows", "zerrors_windows.go"))
	if err != nil {
		t.Fatalf("read x/sys/windows codes: %v", err)
	}
	h := readHeader(t)
	sdkPeer, shared := 0, 0
	for line := range strings.Lines(string(src)) {
		m := xsysRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := m[1]
		want, err := strconv.ParseUint(m[2], 0, 32)
		if err != nil {
			t.Fatalf("x/sys %s: %v", name, err)
		}
		got, ok := h.codes[name]
		if peerRe.MatchString(name) {
			sdkPeer++
			if !ok {
				t.Errorf("the Windows SDK defines %s (%#08x), p2p.h does not", name, want)
				continue
			}
		}
		if !ok {
			continue
		}
		shared++
		if uint64(got) != want {
			t.Errorf("%s: p2p.h says %#08x, the Windows SDK %#08x", name, got, want)
		}
	}
	t.Logf("%d codes compared with the Windows SDK's (%d PEER_E_/PEER_S_)", shared, sdkPeer)
	if sdkPeer < 80 {
		t.Errorf("found only %d PEER_ codes in x/sys/windows: the parser is out of date", sdkPeer)
	}
}

// appendixA holds the 54 prototypes of the reference's appendix A, as the
// Windows header writes them (without WINAPI).
const appendixA = `
VOID PeerFreeData (LPCVOID pvData);
HRESULT PeerGetItemCount (HPEERENUM hPeerEnum, ULONG *pCount);
HRESULT PeerGetNextItem (HPEERENUM hPeerEnum, ULONG *pCount, PVOID **pppvItems);
HRESULT PeerEndEnumeration (HPEERENUM hPeerEnum);
HRESULT PeerGroupStartup (WORD wVersionRequested, PPEER_VERSION_DATA pVersionData);
HRESULT PeerGroupShutdown ();
HRESULT PeerGroupCreate (PPEER_GROUP_PROPERTIES pProperties, HGROUP *phGroup);
HRESULT PeerGroupOpen (PCWSTR pwzIdentity, PCWSTR pwzGroupPeerName, PCWSTR pwzCloud, HGROUP *phGroup);
HRESULT PeerGroupJoin (PCWSTR pwzIdentity, PCWSTR pwzInvitation, PCWSTR pwzCloud, HGROUP *phGroup);
HRESULT PeerGroupConnect (HGROUP hGroup);
HRESULT PeerGroupClose (HGROUP hGroup);
HRESULT PeerGroupDelete (PCWSTR pwzIdentity, PCWSTR pwzGroupPeerName);
HRESULT PeerGroupCreateInvitation (HGROUP hGroup, PCWSTR pwzIdentityInfo, FILETIME *pftExpiration, ULONG cRoles, const GUID *pRoles, PWSTR *ppwzInvitation);
HRESULT PeerGroupParseInvitation (PCWSTR pwzInvitation, PPEER_INVITATION_INFO *ppInvitationInfo);
HRESULT PeerGroupGetStatus (HGROUP hGroup, DWORD *pdwStatus);
HRESULT PeerGroupGetProperties (HGROUP hGroup, PPEER_GROUP_PROPERTIES *ppProperties);
HRESULT PeerGroupSetProperties (HGROUP hGroup, PPEER_GROUP_PROPERTIES pProperties);
HRESULT PeerGroupEnumMembers (HGROUP hGroup, DWORD dwFlags, PCWSTR pwzIdentity, HPEERENUM *phPeerEnum);
HRESULT PeerGroupOpenDirectConnection (HGROUP hGroup, PCWSTR pwzIdentity, PPEER_ADDRESS pAddress, ULONGLONG *pullConnectionId);
HRESULT PeerGroupCloseDirectConnection (HGROUP hGroup, ULONGLONG ullConnectionId);
HRESULT PeerGroupEnumConnections (HGROUP hGroup, DWORD dwFlags, HPEERENUM *phPeerEnum);
HRESULT PeerGroupSendData (HGROUP hGroup, ULONGLONG ullConnectionId, const GUID *pType, ULONG cbData, PVOID pvData);
HRESULT PeerGroupRegisterEvent (HGROUP hGroup, HANDLE hEvent, DWORD cEventRegistration, PEER_GROUP_EVENT_REGISTRATION *pEventRegistrations, HPEEREVENT *phPeerEvent);
HRESULT PeerGroupUnregisterEvent (HPEEREVENT hPeerEvent);
HRESULT PeerGroupGetEventData (HPEEREVENT hPeerEvent, PPEER_GROUP_EVENT_DATA *ppEventData);
HRESULT PeerGroupGetRecord (HGROUP hGroup, const GUID *pRecordId, PPEER_RECORD *ppRecord);
HRESULT PeerGroupAddRecord (HGROUP hGroup, PPEER_RECORD pRecord, GUID *pRecordId);
HRESULT PeerGroupUpdateRecord (HGROUP hGroup, PPEER_RECORD pRecord);
HRESULT PeerGroupDeleteRecord (HGROUP hGroup, const GUID *pRecordId);
HRESULT PeerGroupEnumRecords (HGROUP hGroup, const GUID *pRecordType, HPEERENUM *phPeerEnum);
HRESULT PeerGroupSearchRecords (HGROUP hGroup, PCWSTR pwzCriteria, HPEERENUM *phPeerEnum);
HRESULT PeerGroupExportDatabase (HGROUP hGroup, PCWSTR pwzFilePath);
HRESULT PeerGroupImportDatabase (HGROUP hGroup, PCWSTR pwzFilePath);
HRESULT PeerGroupIssueCredentials (HGROUP hGroup, PCWSTR pwzSubjectIdentity, PEER_CREDENTIAL_INFO *pCredentialInfo, DWORD dwFlags, PWSTR *ppwzInvitation);
HRESULT PeerGroupExportConfig (HGROUP hGroup, PCWSTR pwzPassword, PWSTR *ppwzXML);
HRESULT PeerGroupImportConfig (PCWSTR pwzXML, PCWSTR pwzPassword, WINBOOL fOverwrite, PWSTR *ppwzIdentity, PWSTR *ppwzGroup);
HRESULT PeerGroupPeerTimeToUniversalTime (HGROUP hGroup, FILETIME *pftPeerTime, FILETIME *pftUniversalTime);
HRESULT PeerGroupUniversalTimeToPeerTime (HGROUP hGroup, FILETIME *pftUniversalTime, FILETIME *pftPeerTime);
HRESULT PeerGroupPasswordJoin (PCWSTR pwzIdentity, PCWSTR pwzInvitation, PCWSTR pwzPassword, PCWSTR pwzCloud, HGROUP *phGroup);
HRESULT PeerGroupConnectByAddress (HGROUP hGroup, ULONG cAddresses, PPEER_ADDRESS pAddresses);
HRESULT PeerGroupCreatePasswordInvitation (HGROUP hGroup, PWSTR *ppwzInvitation);
HRESULT PeerGroupResumePasswordAuthentication (HGROUP hGroup, HPEEREVENT hPeerEventHandle);
HRESULT PeerIdentityCreate (PCWSTR pwzClassifier, PCWSTR pwzFriendlyName, HCRYPTPROV hCryptProv, PWSTR *ppwzIdentity);
HRESULT PeerIdentityGetFriendlyName (PCWSTR pwzIdentity, PWSTR *ppwzFriendlyName);
HRESULT PeerIdentitySetFriendlyName (PCWSTR pwzIdentity, PCWSTR pwzFriendlyName);
HRESULT PeerIdentityGetCryptKey (PCWSTR pwzIdentity, HCRYPTPROV *phCryptProv);
HRESULT PeerIdentityDelete (PCWSTR pwzIdentity);
HRESULT PeerEnumIdentities (HPEERENUM *phPeerEnum);
HRESULT PeerEnumGroups (PCWSTR pwzIdentity, HPEERENUM *phPeerEnum);
HRESULT PeerCreatePeerName (PCWSTR pwzIdentity, PCWSTR pwzClassifier, PWSTR *ppwzPeerName);
HRESULT PeerIdentityGetXML (PCWSTR pwzIdentity, PWSTR *ppwzIdentityXML);
HRESULT PeerIdentityExport (PCWSTR pwzIdentity, PCWSTR pwzPassword, PWSTR *ppwzExportXML);
HRESULT PeerIdentityImport (PCWSTR pwzImportXML, PCWSTR pwzPassword, PWSTR *ppwzIdentity);
HRESULT PeerIdentityGetDefault (PWSTR *ppwzPeerName);
`

var tokenRe = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*|\S`)

// normalize spells a prototype as space-separated tokens, with an empty
// parameter list written (void) as the header does.
func normalize(proto string) string {
	s := strings.Join(tokenRe.FindAllString(proto, -1), " ")
	return strings.Replace(s, "( )", "( void )", 1)
}

// undocumented are the two functions P2P.dll exports without a published
// prototype (mingw-w64's import library lists them): p2p.h declares them
// as the library defines them (see the comments there and the README).
const undocumented = `
HRESULT PeerGroupHandlePowerEvent(DWORD dwPowerEvent);
HRESULT PeerIdentityGetCert(PCWSTR pwzIdentity, PPEER_DATA *ppCertificate);
`

// TestFunctionsMatchAppendixA checks that the header declares exactly the
// 54 functions of the reference, with the same return and parameter types
// and names, and the two undocumented exports.
func TestFunctionsMatchAppendixA(t *testing.T) {
	h := readHeader(t)
	want := map[string]string{}
	for line := range strings.Lines(appendixA + undocumented) {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		m := funcRe.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("appendix line does not parse: %q", line)
		}
		want[m[2]] = normalize(line)
	}
	if len(want) != 56 {
		t.Fatalf("appendix A and the undocumented exports list %d functions, want 56", len(want))
	}
	seen := map[string]bool{}
	for _, line := range h.funcs {
		name := funcRe.FindStringSubmatch(line)[2]
		if seen[name] {
			t.Errorf("p2p.h declares %s twice", name)
		}
		seen[name] = true
		w, ok := want[name]
		switch {
		case !ok:
			t.Errorf("p2p.h declares %s, which is not in appendix A", name)
		case normalize(line) != w:
			t.Errorf("%s:\n p2p.h:    %s\n appendix: %s", name, normalize(line), w)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("p2p.h does not declare %s", name)
		}
	}
	if len(h.funcs) != 56 {
		t.Errorf("p2p.h declares %d functions, want 56", len(h.funcs))
	}
}

// TestNormalize pins the prototype comparison: spacing does not matter,
// types do.
func TestNormalize(t *testing.T) {
	a := normalize("HRESULT PeerGroupShutdown ();")
	b := normalize("HRESULT PeerGroupShutdown(void);")
	if a != b {
		t.Errorf("() and (void) differ: %q vs %q", a, b)
	}
	if normalize("HRESULT F(ULONG *p);") != normalize("HRESULT F (ULONG*p) ;") {
		t.Error("spacing changes the normal form")
	}
	if normalize("HRESULT F(const GUID *p);") == normalize("HRESULT F(GUID *p);") {
		t.Error("const is lost")
	}
}

var (
	assertCountRe = regexp.MustCompile(`layout_asserts\.h: (\d+) static asserts against mingw-w64's`)
	summaryRe     = regexp.MustCompile(`(?m)^\d+ checks: \d+ passed, 0 failed`)
)

// TestCheckScript runs check.sh, the compile-time ABI checks against
// mingw-w64's Windows header; it is skipped only when mingw-w64 is absent.
func TestCheckScript(t *testing.T) {
	if _, err := exec.LookPath(mingwCC); err != nil {
		t.Skipf("%s not installed: %v", mingwCC, err)
	}
	cmd := exec.Command("bash", "check.sh")
	out, err := cmd.CombinedOutput()
	t.Logf("check.sh output:\n%s", out)
	if err != nil {
		t.Fatalf("check.sh: %v", err)
	}
	m := assertCountRe.FindSubmatch(out)
	if m == nil {
		t.Fatal("check.sh printed no assert count")
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		t.Fatalf("assert count: %v", err)
	}
	if n < 156 {
		t.Errorf("layout_asserts.h holds %d asserts against Windows' header, want at least 156", n)
	}
	if !summaryRe.Match(out) {
		t.Error("check.sh printed no summary with 0 failed")
	}
}
