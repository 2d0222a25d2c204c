//go:build unix

package main

/*
#include <stdlib.h>
*/
import "C"

import (
	"os"
	"unsafe"
)

// envSettings are the variables the library reads.
var envSettings = []string{"P2P_HOME", "P2P_LISTEN", "P2P_DISCOVERY", "P2P_LOG", "P2P_RELAY", "P2P_RELAY_RATE", "P2P_PORTMAP", "P2P_DEGREE",
	"P2P_DHT", "P2P_DHT_BOOTSTRAP", "XDG_DATA_HOME", "LOCALAPPDATA"}

// syncEnvironment copies the library's settings from the C environment:
// Go's view of the environment is taken when the library loads, but an
// application may set P2P_HOME (setenv, os.environ, Environment) after
// that and before PeerGroupStartup.
func syncEnvironment() {
	for _, k := range envSettings {
		ck := C.CString(k)
		v := C.getenv(ck)
		C.free(unsafe.Pointer(ck))
		if v != nil {
			os.Setenv(k, C.GoString(v))
		} else {
			os.Unsetenv(k)
		}
	}
}
