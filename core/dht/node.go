package dht

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	anacrolix "github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	alog "github.com/anacrolix/log"
	"golang.org/x/time/rate"
)

// Limits of a node: whatever the DHT sends, a node holds at most this
// much.
const (
	// maxTraversals is how many get or put traversals a node runs at
	// once, every group together; the others wait their turn.
	maxTraversals = 4
	// maxQueries bounds the nodes one traversal queries.
	maxQueries = 100
	// traversalTimeout bounds one traversal.
	traversalTimeout = 15 * time.Second
	// maxNodesPerReply is how many of the nodes a reply lists are
	// considered per address family (BEP 5 replies carry 8).
	maxNodesPerReply = 8
	// maxValues bounds the values of one traversal waiting to be checked.
	maxValues = 16
	// maxStored bounds the items the node's store keeps (its own puts).
	maxStored = 256
	// maintainEvery is how often the node checks its routing table and
	// bootstraps again when it holds few good nodes.
	maintainEvery = 5 * time.Minute
	minGoodNodes  = 16
	// resolveTimeout bounds resolving the bootstrap host names;
	// resolvedFor is how long a resolution is reused, failedFor how long
	// a failure is.
	resolveTimeout = 5 * time.Second
	resolvedFor    = 10 * time.Minute
	failedFor      = 30 * time.Second
)

// Node is one mainline DHT node: an anacrolix/dht server on its own UDP
// socket, read-only (BEP 43: it answers no queries, so it stores nothing
// for others and is no relay of anyone's traffic), through which the
// groups of a process publish and look up their members' items.
type Node struct {
	opts  Options
	srv   *anacrolix.Server
	conn  *serverConn
	store *store
	log   *slog.Logger

	traversals chan struct{} // semaphore of running traversals

	ctx    context.Context // ends when the node closes
	cancel context.CancelFunc
	wg     sync.WaitGroup // the maintenance goroutine

	bootMu    sync.Mutex // guards the fields below
	bootAddrs []anacrolix.Addr
	bootUntil time.Time

	refs int // guarded by shared.mu

	stats NodeStats
}

// NodeStats count what a node did.
type NodeStats struct {
	Traversals atomic.Int64 // get and put traversals run
	Queries    atomic.Int64 // get queries sent
	Puts       atomic.Int64 // put queries answered with success
}

// Start starts a DHT node with opts (defaults filled in).
func Start(opts Options) (*Node, error) {
	opts = opts.WithDefaults()
	pc, err := net.ListenPacket("udp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("dht: listen on %s: %w", opts.Listen, err)
	}
	n := &Node{
		opts: opts, conn: newServerConn(pc), store: newStore(maxStored),
		log:        slog.Default().With("dht", pc.LocalAddr().String()),
		traversals: make(chan struct{}, maxTraversals),
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	cfg := anacrolix.NewDefaultServerConfig()
	cfg.Conn = n.conn
	cfg.Passive = true
	cfg.NoSecurity = true
	cfg.StartingNodes = n.startingNodes
	cfg.Store = n.store
	cfg.SendLimiter = rate.NewLimiter(rate.Limit(opts.Rate), opts.Rate)
	cfg.Logger = bridgeLogger()
	cfg.DefaultWant = []krpc.Want{krpc.WantNodes, krpc.WantNodes6}
	n.srv, err = anacrolix.NewServer(cfg)
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("dht: %w", err)
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.maintain()
	}()
	n.log.Info("DHT node started", "bootstrap", len(opts.Bootstrap))
	return n, nil
}

// Addr is the node's UDP address.
func (n *Node) Addr() net.Addr { return n.conn.LocalAddr() }

// Stats returns the node's counters.
func (n *Node) Stats() *NodeStats { return &n.stats }

// Close stops the node and waits for its goroutines.
func (n *Node) Close() {
	n.cancel()
	n.srv.Close()
	n.conn.Close()
	n.conn.wait(5 * time.Second)
	n.wg.Wait()
}

// maintain fills the routing table from the bootstrap nodes at once and
// again whenever it holds few good nodes.
func (n *Node) maintain() {
	for {
		if n.srv.Stats().GoodNodes < minGoodNodes {
			ctx, cancel := context.WithTimeout(n.ctx, traversalTimeout)
			err := n.bootstrap(ctx)
			cancel()
			if err != nil && n.ctx.Err() == nil {
				n.log.Debug("DHT bootstrap", "err", err)
			}
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(maintainEvery):
		}
	}
}

// startingNodes resolves the bootstrap list, reusing a resolution for
// resolvedFor (a failure for failedFor), so a node with an empty table
// does not flood its resolver.
func (n *Node) startingNodes() ([]anacrolix.Addr, error) {
	n.bootMu.Lock()
	defer n.bootMu.Unlock()
	if time.Now().Before(n.bootUntil) {
		if len(n.bootAddrs) == 0 {
			return nil, fmt.Errorf("no bootstrap node resolved")
		}
		return n.bootAddrs, nil
	}
	ctx, cancel := context.WithTimeout(n.ctx, resolveTimeout)
	defer cancel()
	var addrs []anacrolix.Addr
	for _, hp := range n.opts.Bootstrap {
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			n.log.Warn("DHT bootstrap address ignored", "addr", hp, "err", err)
			continue
		}
		ips, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil {
			n.log.Debug("DHT bootstrap host not resolved", "host", host, "err", err)
			continue
		}
		for _, ip := range ips {
			ua, err := net.ResolveUDPAddr("udp", net.JoinHostPort(ip, port))
			if err == nil {
				addrs = append(addrs, anacrolix.NewAddr(ua))
			}
		}
	}
	n.bootAddrs = addrs
	if len(addrs) == 0 {
		n.bootUntil = time.Now().Add(failedFor)
		return nil, fmt.Errorf("no bootstrap node resolved")
	}
	n.bootUntil = time.Now().Add(resolvedFor)
	return addrs, nil
}

// serverConn is the node's socket. Closing it lets Close wait until the
// server's read loop has seen the socket close, so no goroutine of the
// server outlives the node.
type serverConn struct {
	net.PacketConn
	closed   atomic.Bool
	done     chan struct{} // closed when a read failed after Close
	doneOnce sync.Once
}

func newServerConn(pc net.PacketConn) *serverConn {
	return &serverConn{PacketConn: pc, done: make(chan struct{})}
}

func (c *serverConn) ReadFrom(b []byte) (int, net.Addr, error) {
	k, a, err := c.PacketConn.ReadFrom(b)
	if err != nil && c.closed.Load() {
		c.doneOnce.Do(func() { close(c.done) })
	}
	return k, a, err
}

func (c *serverConn) Close() error {
	c.closed.Store(true)
	return c.PacketConn.Close()
}

func (c *serverConn) wait(d time.Duration) {
	select {
	case <-c.done:
	case <-time.After(d):
	}
}

// anacrolix/dht also logs through anacrolix/log's package-level Default
// logger, which writes to stderr: for instance a line for every malformed
// packet anyone sends the node. The library's logs go to log/slog, off
// unless P2P_LOG asks for them, so Default is pointed there too, before
// any node runs.
func init() { alog.Default.SetHandlers(slogHandler{}) }

// bridgeLogger sends anacrolix/dht's logs to log/slog at debug level.
func bridgeLogger() alog.Logger {
	l := alog.NewLogger("dht")
	l.SetHandlers(slogHandler{})
	return l.WithFilterLevel(alog.Debug)
}

type slogHandler struct{}

func (slogHandler) Handle(r alog.Record) {
	slog.Debug("anacrolix/dht: " + r.Msg.String())
}

// shared holds the nodes of the process, one per configuration: every
// group of the process uses the same one, since they all read the same
// environment.
var shared struct {
	mu    sync.Mutex // guards nodes and each node's refs
	nodes map[string]*Node
}

// Acquire returns the process's node for opts, starting it if no group
// uses one yet. Each Acquire is paired with a Release.
func Acquire(opts Options) (*Node, error) {
	opts = opts.WithDefaults()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if n := shared.nodes[opts.key()]; n != nil {
		n.refs++
		return n, nil
	}
	n, err := Start(opts)
	if err != nil {
		return nil, err
	}
	if shared.nodes == nil {
		shared.nodes = make(map[string]*Node)
	}
	n.refs = 1
	shared.nodes[opts.key()] = n
	return n, nil
}

// Release ends a use of a node from Acquire; the last one closes it.
func (n *Node) Release() {
	shared.mu.Lock()
	n.refs--
	last := n.refs == 0
	if last {
		delete(shared.nodes, n.opts.key())
	}
	shared.mu.Unlock()
	if last {
		n.Close()
	}
}
