//go:build windows && winefix

// Added to the standard library's internal/syscall/windows by the Wine
// test build only (see syscall_winefix.go beside it).

package windows

import "syscall"

// Wine 8 answers FileDispositionInformationEx with STATUS_NOT_IMPLEMENTED,
// where os.Remove falls back only on STATUS_NOT_SUPPORTED: route the call
// through gowinefix.dll (tests/windows/src/gowinefix.c).
func init() {
	procNtSetInformationFile = syscall.NewLazyDLL("gowinefix.dll").NewProc("NtSetInformationFile_fix")
}
