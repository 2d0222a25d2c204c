#!/usr/bin/env bash
# dotnet.sh - the .NET binding under Mono, from outside the repository
# (make test-dotnet, after make dotnet built build/dotnet/P2P.Net.dll):
# tests/dotnet/TwoProcess.cs is compiled against the assembly in a
# temporary directory, beside P2P.Net.dll and its dllmap config, and run
# there: the binding's layouts and 56 entry points, then two processes
# (Alice and Bob, each with its own P2P_HOME) through create, invite,
# join, connect, records, events and direct data. The loader finds the
# library through LD_LIBRARY_PATH in a directory holding only libp2p.so.1,
# as make install leaves it, so Mono's dllmap (P2P.Net.dll.config: "p2p"
# is libp2p.so.1) is what makes DllImport("p2p") find it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p2p-dotnet.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

cp "$root/build/dotnet/P2P.Net.dll" "$root/build/dotnet/P2P.Net.dll.config" "$tmp/"
mcs -nologo -warnaserror -r:"$tmp/P2P.Net.dll" -r:System.Core.dll -out:"$tmp/TwoProcess.exe" "$root/tests/dotnet/TwoProcess.cs"
mkdir "$tmp/lib" "$tmp/home"
ln -s "$root/build/libp2p.so.1" "$tmp/lib/libp2p.so.1"
cd "$tmp"
LD_LIBRARY_PATH=$tmp/lib P2P_HOME=$tmp/home P2P_LISTEN=127.0.0.1:0 P2P_DISCOVERY=0 \
	timeout 300 mono "$tmp/TwoProcess.exe" | tee "$tmp/out"
grep -qx "two-process flow OK" "$tmp/out" || { echo "FAIL: TwoProcess.exe did not report success"; exit 1; }
echo "PASS .NET binding ($((SECONDS - start)) s)"
