// Command p2p is built with -buildmode=c-shared into libp2p.so (Linux) or
// p2p.dll (Windows): the Windows Peer Grouping and Identity Manager API of
// p2p.h, over the pure-Go core in core/. This package only marshals between
// C and Go. The exported functions are in files by area (runtime.go,
// identity.go, group.go, invitation.go, records.go, events.go, direct.go,
// enum.go), each beside the conversions of its structures; each one
// checks its arguments with an args (call.go), calls the core and
// marshals the results (cmem.go). environ.go reads the environment, once,
// into the options of the layers below.
package main

func main() {}
