# Native Windows build of p2p.dll (PowerShell).
#
#   .\build.ps1            build build\windows\p2p.dll, its import library and p2p.h
#   .\build.ps1 -Test      also run the Go tests
#
# Needs Go (1.26 or later) and a MinGW-w64 gcc on PATH for cgo, e.g. from
# MSYS2 (pacman -S mingw-w64-ucrt-x86_64-gcc) or WinLibs.
param([switch]$Test)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot

if (-not (Get-Command gcc -ErrorAction SilentlyContinue)) {
    throw "gcc (MinGW-w64) is not on PATH; cgo needs it to build p2p.dll"
}
$env:CGO_ENABLED = "1"
$out = Join-Path $PSScriptRoot "build\windows"
New-Item -ItemType Directory -Force -Path $out | Out-Null

$implib = Join-Path $out "libp2p.dll.a"
$def = Join-Path $PSScriptRoot "p2p.def"
# The DLL exports exactly p2p.def, as `make windows` builds it: the first
# flag keeps Go from passing its own list (every //export, go-sqlite3's
# callbacks included), the second turns off exporting everything.
$ext = "-Wl,--export-all-symbols -Wl,--exclude-all-symbols $def -Wl,--out-implib,$implib"
go build -buildmode=c-shared -trimpath "-ldflags=-s -w -extldflags '$ext'" -o (Join-Path $out "p2p.dll") .
if ($LASTEXITCODE -ne 0) { throw "go build failed" }

# Check the export table against p2p.def (objdump comes with MinGW-w64).
if (Get-Command objdump -ErrorAction SilentlyContinue) {
    $want = Get-Content $def | Where-Object { $_ -match '^\s+(Peer\w+)\s*$' } | ForEach-Object { $Matches[1] } | Sort-Object
    $table = (objdump -p (Join-Path $out "p2p.dll") | Out-String) -split '\[Ordinal/Name Pointer\] Table'
    $got = ($table[1] -split "\r?\n\r?\n")[0] -split "\r?\n" |
        Where-Object { $_ -match '\]\s+(\S+)\s*$' } | ForEach-Object { $Matches[1] } | Sort-Object
    if (Compare-Object $want $got) { throw "p2p.dll does not export exactly p2p.def: $(Compare-Object $want $got | Out-String)" }
    Write-Host "exports: the $($got.Count) functions of p2p.def"
}
# go build writes its own cgo header next to the DLL; ship the public one.
Copy-Item -Force p2p.h (Join-Path $out "p2p.h")
Write-Host "built $out\p2p.dll"

if ($Test) {
    go vet ./...
    if ($LASTEXITCODE -ne 0) { throw "go vet failed" }
    go test -count=1 ./core/... ./handles/...
    if ($LASTEXITCODE -ne 0) { throw "tests failed" }
}
