//go:build unix

package main

/*
#include <stdlib.h>
*/
import "C"

import "unsafe"

// getenv reads the C environment: Go's copy of it is taken when the
// library loads, but an application may set P2P_HOME (setenv, Python's
// os.environ, Mono's Environment.SetEnvironmentVariable) after that and
// before PeerGroupStartup.
func getenv(key string) string {
	k := C.CString(key)
	defer C.free(unsafe.Pointer(k))
	if v := C.getenv(k); v != nil {
		return C.GoString(v)
	}
	return ""
}
