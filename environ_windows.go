package main

// syncEnvironment does nothing on Windows: Go reads the process
// environment there live, so a variable an application sets before
// PeerGroupStartup is already seen.
func syncEnvironment() {}
