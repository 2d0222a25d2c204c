// Package dht finds a group's members through the BitTorrent mainline
// DHT, as Windows found them through PNRP: each online member publishes
// where it can be reached as a BEP 44 mutable item, and a member that
// knows no reachable address looks the others up. It runs on
// github.com/anacrolix/dht/v2; no DHT of its own.
//
// Only members and holders of an invitation can find and read a group's
// items: everything derives from the group key (which they hold and
// nothing sends in clear) with HKDF-SHA-256 (Keys):
//
//   - a slot per member and epoch (an hour; EpochOf): a BEP 44 key pair,
//     so a target, that nobody without the group key can compute or
//     link to the member, the group, or the slot of another epoch;
//   - a sealing key per epoch: an item is a fixed-size XChaCha20-Poly1305
//     box bound to its slot, holding the member's addresses and the time,
//     signed by the member's identity key (item.go). A reader believes
//     an item only if it opens, carries the signature of the identity key
//     it knows for that member (checked by core/sig) and is recent.
//
// A Node is one DHT node on its own UDP socket, read-only (BEP 43);
// Acquire shares one among a process's groups. Node.Join starts a
// group's presence (Group): it publishes this member's item now, on
// change, every 20 minutes and at each epoch, and looks members up in
// rounds while asked to (Want), backing off from 2 s to 5 minutes.
// Everything is bounded: packets a second, traversals at once, queries,
// nodes and values per traversal, time, and stored items (node.go).
//
// The C layer builds Options from $P2P_DHT and $P2P_DHT_BOOTSTRAP with
// ParseOptions. dhttest runs a private swarm for tests.
package dht
