package dht

import (
	"net"
	"slices"
	"strings"
	"time"

	anacrolix "github.com/anacrolix/dht/v2"
)

// Options configure the DHT node of a process. The zero value is on,
// with the public bootstrap nodes, listening on every interface.
type Options struct {
	// Off keeps the group out of the DHT: nothing is published and
	// nothing looked up ($P2P_DHT=0).
	Off bool
	// Bootstrap are the host:port addresses of the nodes a new DHT node
	// starts from (default DefaultBootstrap; $P2P_DHT_BOOTSTRAP, comma
	// separated, replaces them).
	Bootstrap []string
	// Listen is the UDP address of the DHT node's own socket (default
	// every interface, a port the OS picks).
	Listen string
	// Rate bounds the packets the node sends a second, every group
	// together (default 50).
	Rate int
}

// DefaultBootstrap are the public routers of the mainline DHT, as
// anacrolix/dht lists them.
var DefaultBootstrap = slices.Clone(anacrolix.DefaultGlobalBootstrapHostPorts)

// ParseOptions turns the values of $P2P_DHT and $P2P_DHT_BOOTSTRAP,
// which the C layer reads through getenv, into Options.
func ParseOptions(getenv func(string) string) Options {
	var o Options
	o.Off = getenv("P2P_DHT") == "0"
	if v := getenv("P2P_DHT_BOOTSTRAP"); v != "" {
		for _, hp := range strings.Split(v, ",") {
			if hp = strings.TrimSpace(hp); hp != "" {
				o.Bootstrap = append(o.Bootstrap, hp)
			}
		}
	}
	return o
}

// WithDefaults fills the fields left empty.
func (o Options) WithDefaults() Options {
	if o.Bootstrap == nil {
		o.Bootstrap = DefaultBootstrap
	}
	if o.Listen == "" {
		o.Listen = ":0"
	}
	if o.Rate <= 0 {
		o.Rate = 50
	}
	return o
}

// key names a node configuration in the process's table of shared nodes.
func (o Options) key() string {
	return o.Listen + "|" + strings.Join(o.Bootstrap, ",")
}

// ListenHost is Listen with the host of addr (a group's own listening
// address) and a port the OS picks: the DHT socket listens where the
// group does.
func ListenHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ":0"
	}
	return net.JoinHostPort(host, "0")
}

// Timing of publications and lookups (see Group).
const (
	// Epoch is how long a slot's keys last: every epoch a member's item
	// moves to a new, unrelated target.
	Epoch = time.Hour
	// republishEvery renews a member's item well within the two hours
	// storing nodes keep it (BEP 44), and on the nodes now closest to it.
	republishEvery = 20 * time.Minute
	// minPublishGap is the shortest time between two publications of one
	// group (the first is immediate).
	minPublishGap = 30 * time.Second
	// lookupBackoffMin and lookupBackoffMax bound the wait between two
	// lookup rounds of one group while it finds nobody: 2 s, doubling,
	// at most 5 minutes.
	lookupBackoffMin = 2 * time.Second
	lookupBackoffMax = 5 * time.Minute
	// previousEpochFor is how long into an epoch a lookup also reads the
	// previous epoch's slot (a publisher whose clock is behind, or that
	// has not republished yet).
	previousEpochFor = 15 * time.Minute
	// maxItemAge is the oldest item a lookup accepts, maxItemSkew how far
	// in the future one may be dated.
	maxItemAge  = 90 * time.Minute
	maxItemSkew = 10 * time.Minute
)
