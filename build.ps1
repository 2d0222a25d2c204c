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
go build -buildmode=c-shared -trimpath `
    -ldflags="-s -w -extldflags=-Wl,--out-implib,$implib" `
    -o (Join-Path $out "p2p.dll") .
if ($LASTEXITCODE -ne 0) { throw "go build failed" }
# go build writes its own cgo header next to the DLL; ship the public one.
Copy-Item -Force p2p.h (Join-Path $out "p2p.h")
Write-Host "built $out\p2p.dll"

if ($Test) {
    go vet ./...
    if ($LASTEXITCODE -ne 0) { throw "go vet failed" }
    go test -count=1 ./core/... ./handles/...
    if ($LASTEXITCODE -ne 0) { throw "tests failed" }
}
