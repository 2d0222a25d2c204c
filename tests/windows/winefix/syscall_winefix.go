//go:build windows && winefix

// This file is not compiled into any package of the repository. The Wine
// test build (tests/windows/wine.sh) adds it to the standard library's
// package syscall with go's -overlay flag, so it exists only in binaries
// built with -tags winefix and that overlay, never in a release build.

package syscall

// Wine 8 refuses SIO_UDP_NETRESET, which net sets on every UDP socket:
// route WSAIoctl through gowinefix.dll (tests/windows/src/gowinefix.c).
func init() {
	procWSAIoctl = NewLazyDLL("gowinefix.dll").NewProc("WSAIoctl_fix")
}
