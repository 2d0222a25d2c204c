// Command p2p is built with -buildmode=c-shared into libp2p.so (Linux) or
// p2p.dll (Windows): the Windows Peer Grouping and Identity Manager API of
// p2p.h, over the pure-Go core in core/. This package only marshals between
// C and Go: exports.go holds the exported functions, the other files the
// conversions, the handle table and the runtime singleton.
package main

func main() {}
