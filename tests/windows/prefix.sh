#!/usr/bin/env bash
# prefix.sh DIR: makes DIR a fresh Wine 8 prefix for the Windows tests.
#  - wineboot --init, Windows version 10 (Wine 8 defaults to Windows 7, on
#    which Go does not enable long paths);
#  - the two test-only shims built from src/ with
#    mingw-w64 into its system32: bcryptprimitives.dll (Go's ProcessPrng,
#    missing from Wine 8) and gowinefix.dll (see src/gowinefix.c).
# Nothing here is part of the library or its release DLL.
set -euo pipefail
dir=${1:?usage: prefix.sh DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
WINE=${WINE:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver}
rm -rf "$dir"
mkdir -p "$dir"
export WINEPREFIX=$(cd "$dir" && pwd) WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
"$WINE" wineboot --init >/dev/null 2>&1
"$WINESERVER" -w
"$WINE" winecfg /v win10 >/dev/null 2>&1
"$WINESERVER" -w
sys32=$WINEPREFIX/drive_c/windows/system32
"$CC" -O2 -shared -o "$sys32/bcryptprimitives.dll" "$here/src/prng_shim.c" -ladvapi32
"$CC" -O2 -shared -o "$sys32/gowinefix.dll" "$here/src/gowinefix.c" -lws2_32
echo "wine prefix ready: $WINEPREFIX"
