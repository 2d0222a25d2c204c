package main

import "os"

// getenv reads the process environment, which Go reads live on Windows,
// so a variable an application sets before PeerGroupStartup is seen.
func getenv(key string) string { return os.Getenv(key) }
