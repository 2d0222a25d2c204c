#!/usr/bin/env bash
# check.sh - ABI checks of our p2p.h against Windows' own, as mingw-w64
# ships it (<p2p.h>, x86_64-w64-mingw32). Everything is compile-time, so
# no Windows and no Wine are needed.
#
#  (a) layout_asserts.h holds against mingw-w64's <p2p.h>: the numbers are
#      Windows'.
#  (b) negative controls: the same asserts fail against a pre-Vista
#      configuration of that header, and our header refuses base types of
#      the wrong width.
#  (c) the asserts hold against our p2p.h with mingw-w64 (C99, C11, C++11).
#  (d) ... and with the native gcc (C99, C11) and g++ (C++11).
#  (e) our 56 prototypes (the 54 of the Windows header and the two P2P.dll
#      exports it leaves undeclared), redeclared after mingw-w64's (our header's
#      coexistence mode), match them; negative controls prove that a wrong
#      parameter type, a dropped const and any changed prototype fail.
#  (f) every PEER_E_*/PEER_S_* that mingw-w64 defines has our value (the
#      PNRP codes we leave out are listed).
#  (g) the role GUIDs work by value in C and C++ with no GUID library.
#
# Prints one line per check and a summary; exits 1 if any check failed and
# 77 (skipped) if x86_64-w64-mingw32-gcc is missing. Installs nothing.
# Compilers: MINGW_CC, MINGW_CXX, HOST_CC, HOST_CXX (defaults below).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
MINGW_CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
MINGW_CXX=${MINGW_CXX:-x86_64-w64-mingw32-g++}
HOST_CC=${HOST_CC:-gcc}
HOST_CXX=${HOST_CXX:-g++}

if ! command -v "$MINGW_CC" >/dev/null 2>&1; then
    echo "SKIP: $MINGW_CC not found; install gcc-mingw-w64-x86-64 and mingw-w64-x86-64-dev to run the ABI checks" >&2
    exit 77
fi
have_mingw_cxx=0
if command -v "$MINGW_CXX" >/dev/null 2>&1; then have_mingw_cxx=1; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/log

passed=0
failed=0
skipped=0
ok() { printf 'ok    %s\n' "$1"; passed=$((passed + 1)); }
skip() { printf 'skip  %s\n' "$1"; skipped=$((skipped + 1)); }
fail() {
    printf 'FAIL  %s\n' "$1"
    failed=$((failed + 1))
    if [[ -s $log ]]; then sed 's/^/      | /' "$log" | head -n 30 || true; fi
}

# expect_ok NAME CMD...: the command must succeed.
expect_ok() {
    local name=$1
    shift
    if "$@" >"$log" 2>&1; then ok "$name"; else fail "$name"; fi
}

# expect_error NAME PATTERN CMD...: the command must fail, and its output
# must match PATTERN (so that it failed for the intended reason).
expect_error() {
    local name=$1 pattern=$2
    shift 2
    if "$@" >"$log" 2>&1; then
        : >"$log"
        fail "$name (compiled, but must not)"
    elif grep -Eq -- "$pattern" "$log"; then
        ok "$name"
    else
        fail "$name (failed without matching /$pattern/)"
    fi
}

strict=(-Wall -Wextra -Werror -pedantic)
win7=(-D_WIN32_WINNT=0x0601)
# Our header is reached only through -iquote, so #include <p2p.h> always
# means mingw-w64's.
ours=(-iquote "$root" -iquote "$here")

# ---- translation units ----

cat >"$work/platform.c" <<'EOF'
#include <winsock2.h>
#include <windows.h>
#include <p2p.h>
#define ABI_PLATFORM_P2P_H
#include "layout_asserts.h"
EOF

cat >"$work/ours.c" <<'EOF'
#include "p2p.h"
#include "p2p.h" /* idempotent */
#include "layout_asserts.h"
EOF
cp "$work/ours.c" "$work/ours.cc"

cat >"$work/coexist.c" <<'EOF'
#include <winsock2.h>
#include <windows.h>
#include <p2p.h>
#include "p2p.h"
EOF
cp "$work/coexist.c" "$work/coexist.cc"

# A foreign windows-types header with a 64-bit DWORD (as naive LP64 ports
# write it): our header must refuse it.
cat >"$work/wide.c" <<'EOF'
#define _MINWINDEF_
typedef unsigned char BYTE;
typedef BYTE *PBYTE;
typedef unsigned short WORD;
typedef unsigned long DWORD;
typedef unsigned long ULONG;
typedef int BOOL;
typedef void *PVOID;
typedef void *HANDLE;
typedef char *LPSTR;
typedef unsigned long long ULONGLONG;
#include "p2p.h"
#include "layout_asserts.h"
EOF

cat >"$work/guid_a.c" <<'EOF'
#include "p2p.h"
#include <string.h>
int same_as_member(const GUID *g);
/* The three role GUIDs as bytes in memory (Data1..3 little-endian). */
static const unsigned char want[3][16] = {
    {0x27, 0x71, 0x38, 0x04, 0x56, 0xaa, 0x0a, 0x45, 0x8c, 0xe5, 0x4f, 0x56, 0x5c, 0x67, 0x90, 0xf4},
    {0xc7, 0xc4, 0x2d, 0xf1, 0x57, 0x08, 0xa0, 0x4c, 0x93, 0xfc, 0xb1, 0xbb, 0x19, 0xa3, 0xd8, 0xc2},
    {0x89, 0xfd, 0x70, 0x43, 0x18, 0xdc, 0xfb, 0x4c, 0x8d, 0xbf, 0x98, 0x53, 0xa8, 0xa9, 0xf9, 0x05},
};
int main(void) {
    GUID roles[3] = {PEER_GROUP_ROLE_ADMIN, PEER_GROUP_ROLE_MEMBER, PEER_GROUP_ROLE_INVITING_MEMBER};
    PEER_GROUP_PROPERTIES props;
    int i;
    memset(&props, 0, sizeof props);
    props.groupPasswordRole = PEER_GROUP_ROLE_MEMBER;
    for (i = 0; i < 3; i++) {
        if (memcmp(&roles[i], want[i], 16) != 0) return 10 + i;
    }
    if (!same_as_member(&props.groupPasswordRole)) return 20;
    if (!same_as_member(&PEER_GROUP_ROLE_MEMBER)) return 21;
    return 0;
}
EOF
cat >"$work/guid_b.c" <<'EOF'
#include "p2p.h"
#include <string.h>
int same_as_member(const GUID *g);
int same_as_member(const GUID *g) { return memcmp(g, &PEER_GROUP_ROLE_MEMBER, sizeof *g) == 0; }
EOF
cp "$work/guid_a.c" "$work/guid_a.cc"
cp "$work/guid_b.c" "$work/guid_b.cc"

# ---- (a) the asserts are Windows' numbers ----

expect_ok "(a) layout_asserts.h vs mingw-w64 <p2p.h>, C11" \
    "$MINGW_CC" -std=c11 "${strict[@]}" -iquote "$here" -fsyntax-only "$work/platform.c"
expect_ok "(a) layout_asserts.h vs mingw-w64 <p2p.h>, C99" \
    "$MINGW_CC" -std=c99 "${strict[@]}" -iquote "$here" -fsyntax-only "$work/platform.c"
if ((have_mingw_cxx)); then
    cp "$work/platform.c" "$work/platform.cc"
    expect_ok "(a) layout_asserts.h vs mingw-w64 <p2p.h>, C++11" \
        "$MINGW_CXX" -std=c++11 "${strict[@]}" -iquote "$here" -fsyntax-only "$work/platform.cc"
else
    skip "(a) C++11 vs mingw-w64 <p2p.h>: $MINGW_CXX not installed"
fi

# ---- (b) negative controls ----

expect_error "(b) negative control: pre-Vista <p2p.h> (_WIN32_WINNT=0x0501) fails the size asserts" \
    'static assertion failed: "size_PEER_GROUP_PROPERTIES"' \
    "$MINGW_CC" -std=c11 -D_WIN32_WINNT=0x0501 -iquote "$here" -fsyntax-only "$work/platform.c"
expect_error "(b) negative control: our p2p.h refuses a 64-bit DWORD from another header" \
    'dword_is_4_bytes' \
    "$HOST_CC" -std=c11 "${ours[@]}" -fsyntax-only "$work/wide.c"

# ---- (c) our header with mingw-w64 ----

expect_ok "(c) our p2p.h + layout_asserts.h + every code, mingw-w64 C11" \
    "$MINGW_CC" -std=c11 "${strict[@]}" -DABI_CHECK_PEER_CODES "${ours[@]}" -fsyntax-only "$work/ours.c"
expect_ok "(c) our p2p.h + layout_asserts.h + every code, mingw-w64 C99" \
    "$MINGW_CC" -std=c99 "${strict[@]}" -DABI_CHECK_PEER_CODES "${ours[@]}" -fsyntax-only "$work/ours.c"
if ((have_mingw_cxx)); then
    expect_ok "(c) our p2p.h + layout_asserts.h + every code, mingw-w64 C++11" \
        "$MINGW_CXX" -std=c++11 "${strict[@]}" -DABI_CHECK_PEER_CODES "${ours[@]}" -fsyntax-only "$work/ours.cc"
else
    skip "(c) C++11 with mingw-w64: $MINGW_CXX not installed"
fi

# ---- (d) our header natively ----

for std in c99 c11; do
    expect_ok "(d) our p2p.h + layout_asserts.h + every code, $HOST_CC -std=$std" \
        "$HOST_CC" -std=$std "${strict[@]}" -DABI_CHECK_PEER_CODES "${ours[@]}" -fsyntax-only "$work/ours.c"
done
expect_ok "(d) our p2p.h + layout_asserts.h + every code, $HOST_CXX -std=c++11" \
    "$HOST_CXX" -std=c++11 "${strict[@]}" -DABI_CHECK_PEER_CODES "${ours[@]}" -fsyntax-only "$work/ours.cc"

# ---- (e) prototypes ----

# P2P.dll exports two functions no Windows header declares (mingw-w64's
# import library lists them); ours declares them, mingw-w64's does not.
undocumented=" PeerGroupHandlePowerEvent PeerIdentityGetCert "
mapfile -t funcs < <(sed -nE 's/^(HRESULT|VOID) (Peer[A-Za-z]+)\(.*\);$/\2/p' "$root/p2p.h")
if ((${#funcs[@]} == 56)); then
    ok "(e) our p2p.h declares 56 functions (54 + 2 undocumented), one a line"
else
    : >"$log"
    fail "(e) our p2p.h declares ${#funcs[@]} functions, want 56"
fi

expect_ok "(e) our prototypes redeclared after mingw-w64's <p2p.h> (Win7), C11" \
    "$MINGW_CC" -std=c11 "${strict[@]}" "${win7[@]}" "${ours[@]}" -fsyntax-only "$work/coexist.c"
if ((have_mingw_cxx)); then
    expect_ok "(e) our prototypes redeclared after mingw-w64's <p2p.h> (Win7), C++11" \
        "$MINGW_CXX" -std=c++11 "${strict[@]}" "${win7[@]}" "${ours[@]}" -fsyntax-only "$work/coexist.cc"
else
    skip "(e) C++11 redeclaration: $MINGW_CXX not installed"
fi

# Each function must be declared twice in that unit (mingw-w64's and ours),
# or the redeclaration proves nothing; the undocumented two once (ours).
"$MINGW_CC" -std=c11 "${win7[@]}" "${ours[@]}" -E -P "$work/coexist.c" >"$work/coexist.i"
missing=()
for f in "${funcs[@]}"; do
    n=$(grep -cE "(^|[^A-Za-z0-9_])$f *\(" "$work/coexist.i" || true)
    want=2
    [[ $undocumented == *" $f "* ]] && want=1
    if ((n != want)); then missing+=("$f:$n"); fi
done
if ((${#missing[@]} == 0)); then
    ok "(e) each of the 54 documented functions is declared by mingw-w64 and by us, the 2 others by us"
else
    printf '%s\n' "${missing[@]}" >"$log"
    fail "(e) functions not declared exactly twice (name:count)"
fi

# Negative controls on a copy of our header.
mkdir -p "$work/mut"
# mutate SED-SCRIPT: writes a changed copy of our header to $work/mut/p2p.h;
# fails (recording a failed check) if the script changed nothing.
mutate() {
    sed -E "$1" "$root/p2p.h" >"$work/mut/p2p.h"
    if cmp -s "$root/p2p.h" "$work/mut/p2p.h"; then
        : >"$log"
        fail "(e) negative control set-up: sed script changed nothing: $1"
        return 1
    fi
}
mut=(-iquote "$work/mut")

mutate 's/^(HRESULT PeerGroupOpenDirectConnection\(.*)ULONGLONG \*pullConnectionId\);$/\1ULONG *pullConnectionId);/' &&
    expect_error "(e) negative control: ULONGLONG* -> ULONG* in PeerGroupOpenDirectConnection fails" \
    "conflicting types for 'PeerGroupOpenDirectConnection'" \
    "$MINGW_CC" -std=c11 "${win7[@]}" "${mut[@]}" -fsyntax-only "$work/coexist.c"

mutate 's/^(HRESULT PeerGroupGetRecord\(HGROUP hGroup, )const GUID \*/\1GUID */' &&
    expect_error "(e) negative control: const GUID* -> GUID* in PeerGroupGetRecord fails" \
    "conflicting types for 'PeerGroupGetRecord'" \
    "$MINGW_CC" -std=c11 "${win7[@]}" "${mut[@]}" -fsyntax-only "$work/coexist.c"

# Every prototype gets one more parameter: each of the 54 that mingw-w64
# declares must conflict.
if ! mutate '/^(HRESULT|VOID) Peer[A-Za-z]+\(.*\);$/{s/\(void\);$/(char p2p_mutant_);/;t;s/\);$/, char p2p_mutant_);/}'; then
    :
elif "$MINGW_CC" -std=c11 "${win7[@]}" "${mut[@]}" -fsyntax-only "$work/coexist.c" >"$work/mut.log" 2>&1; then
    : >"$log"
    fail "(e) negative control: 54 changed prototypes compiled"
else
    n=$(grep -oE "conflicting types for '[A-Za-z]+'" "$work/mut.log" | sort -u | wc -l)
    if ((n == 54)); then
        ok "(e) negative control: each of the 54 changed prototypes conflicts (C)"
    else
        cp "$work/mut.log" "$log"
        fail "(e) negative control: $n of 54 changed prototypes conflict (C)"
    fi
fi
if ((have_mingw_cxx)) && grep -q p2p_mutant_ "$work/mut/p2p.h"; then
    if "$MINGW_CXX" -std=c++11 "${win7[@]}" "${mut[@]}" -fsyntax-only "$work/coexist.cc" >"$work/mut.log" 2>&1; then
        : >"$log"
        fail "(e) negative control: 54 changed prototypes compiled (C++)"
    else
        n=$(grep -oE "conflicting declaration of C function '[^']*" "$work/mut.log" |
            sed -E 's/.* ([A-Za-z]+)\(.*/\1/' | sort -u | wc -l)
        if ((n == 54)); then
            ok "(e) negative control: each of the 54 changed prototypes conflicts (C++)"
        else
            cp "$work/mut.log" "$log"
            fail "(e) negative control: $n of 54 changed prototypes conflict (C++)"
        fi
    fi
fi

# ---- (f) HRESULT codes mingw-w64 defines ----

# PNRP's Win32-facility codes: PNRP is not part of this library.
pnrp_only=" PEER_E_CLOUD_NOT_FOUND PEER_E_CLOUD_DISABLED PEER_E_INVALID_IDENTITY PEER_E_TOO_MUCH_LOAD \
PEER_E_CLOUD_IS_SEARCH_ONLY PEER_E_CLIENT_INVALID_COMPARTMENT_ID PEER_E_DUPLICATE_PEER_NAME PEER_E_CLOUD_IS_DEAD "

declare -A our_code=()
while read -r name value; do
    our_code[$name]=$value
done < <(sed -nE 's/^#define (PEER_[ES]_[A-Z0-9_]+) \(\(HRESULT\)(0x[0-9A-Fa-f]{8})L\)$/\1 \2/p' "$root/p2p.h")

printf '#include <winsock2.h>\n#include <windows.h>\n#include <p2p.h>\n' >"$work/codes.c"
mapfile -t mingw_codes < <("$MINGW_CC" "${win7[@]}" -dM -E "$work/codes.c" |
    sed -nE 's/^#define (PEER_[ES]_[A-Z0-9_]+) .*/\1/p' | sort -u)
compared=()
for name in "${mingw_codes[@]}"; do
    if [[ -n ${our_code[$name]:-} ]]; then
        printf '_Static_assert(%s == (HRESULT)%sL, "%s");\n' "$name" "${our_code[$name]}" "$name" >>"$work/codes.c"
        compared+=("$name")
    elif [[ $pnrp_only != *" $name "* ]]; then
        : >"$log"
        fail "(f) mingw-w64 defines $name, our p2p.h does not"
    fi
done
codes_rc=0
"$MINGW_CC" -std=c11 "${win7[@]}" -fsyntax-only "$work/codes.c" >"$work/codes.log" 2>&1 || codes_rc=$?
if ((codes_rc != 0)) && ! grep -q "static assertion failed" "$work/codes.log"; then
    cp "$work/codes.log" "$log"
    fail "(f) the code comparison did not compile"
else
    for name in "${compared[@]}"; do
        if grep -q "\"$name\"" "$work/codes.log"; then
            grep -F "$name" "$work/codes.log" >"$log" || true
            fail "(f) $name differs: ours is ${our_code[$name]}"
        else
            ok "(f) $name = ${our_code[$name]} in mingw-w64's header and ours"
        fi
    done
fi
left_out=0
for name in "${mingw_codes[@]}"; do
    [[ $pnrp_only == *" $name "* && -z ${our_code[$name]:-} ]] && left_out=$((left_out + 1))
done
echo "      (f) ${#mingw_codes[@]} PEER_E/S codes in mingw-w64's header: ${#compared[@]} compared, $left_out PNRP-only left out; ours defines ${#our_code[@]}"

# ---- (g) role GUIDs by value, no GUID library ----

# build_run OUT CC ARGS...: compile and link to OUT, then run it.
build_run() {
    local out=$1
    shift
    "$@" -o "$out" && "$out"
}
expect_ok "(g) role GUIDs by value: $HOST_CC -std=c99, two units linked and run" \
    build_run "$work/guid_c" "$HOST_CC" -std=c99 "${strict[@]}" "${ours[@]}" "$work/guid_a.c" "$work/guid_b.c"
expect_ok "(g) role GUIDs by value: $HOST_CXX -std=c++11, two units linked and run" \
    build_run "$work/guid_cxx" "$HOST_CXX" -std=c++11 "${strict[@]}" "${ours[@]}" "$work/guid_a.cc" "$work/guid_b.cc"
expect_ok "(g) role GUIDs by value: mingw-w64 C11, two units linked into an .exe (not run)" \
    "$MINGW_CC" -std=c11 "${strict[@]}" "${ours[@]}" -o "$work/guid.exe" "$work/guid_a.c" "$work/guid_b.c"

# ---- summary ----

count_asserts() { # count_asserts CC ARGS... : ABI_ASSERTs after preprocessing
    "$@" -E -DABI_COUNT_ONLY | grep -o ABI_COUNTED_ASSERT | wc -l
}
n_platform=$(count_asserts "$MINGW_CC" -iquote "$here" "$work/platform.c")
n_ours=$(count_asserts "$HOST_CC" -DABI_CHECK_PEER_CODES "${ours[@]}" "$work/ours.c")
echo "layout_asserts.h: $n_platform static asserts against mingw-w64's <p2p.h>, $n_ours against ours (with every PEER_E/S code)"
echo "$((passed + failed)) checks: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
