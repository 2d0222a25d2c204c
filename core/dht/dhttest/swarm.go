// Package dhttest runs a private mainline DHT for tests and benchmarks:
// full anacrolix/dht nodes on loopback that answer queries and store BEP
// 44 items, whose stores a test can read, and liars that answer every get
// with what the test tells them to.
package dhttest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	anacrolix "github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/bep44"
	"github.com/anacrolix/dht/v2/krpc"
	alog "github.com/anacrolix/log"
	"github.com/anacrolix/torrent/bencode"
	"golang.org/x/time/rate"
)

// Swarm is a private DHT of full nodes on 127.0.0.1.
type Swarm struct {
	Nodes []*Node
}

// Node is one node of a swarm.
type Node struct {
	Server *anacrolix.Server
	Store  *Store

	conn net.PacketConn

	mu       sync.Mutex // guards the fields below
	lie      func(target [20]byte) *krpc.Bep44Return
	fakes    int
	starting []anacrolix.Addr
}

// Start starts a swarm of n full nodes that know each other, and closes
// it when the test ends.
func Start(tb testing.TB, n int) *Swarm {
	tb.Helper()
	s := &Swarm{}
	tb.Cleanup(s.Close)
	for range n {
		node, err := startNode(krpc.ID{})
		if err != nil {
			tb.Fatal(err)
		}
		s.Nodes = append(s.Nodes, node)
	}
	// Each node bootstraps from every other, so that their routing
	// tables hold nodes that answered (good nodes, which replies list);
	// those that end up knowing too few (UDP is lossy, under Wine more
	// so) bootstrap again.
	all := s.addrs()
	for _, node := range s.Nodes {
		node.setStarting(all)
	}
	want := min(n-1, 5)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var short []*Node
		for _, node := range s.Nodes {
			if node.Server.Stats().GoodNodes < want {
				short = append(short, node)
			}
		}
		if len(short) == 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d swarm nodes know fewer than %d good nodes", len(short), want)
		}
		var wg sync.WaitGroup
		for _, node := range short {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				node.Server.BootstrapContext(ctx)
			}()
		}
		wg.Wait()
	}
	return s
}

// startNode starts a node with id, a random one if zero.
func startNode(id krpc.ID) (*Node, error) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	node := &Node{Store: NewStore(), conn: pc}
	cfg := anacrolix.NewDefaultServerConfig()
	cfg.Conn = pc
	cfg.NodeId = id
	cfg.NoSecurity = true
	cfg.Store = node.Store
	cfg.SendLimiter = rate.NewLimiter(rate.Inf, 0)
	cfg.StartingNodes = node.startingNodes
	cfg.OnQuery = node.onQuery
	l := alog.NewLogger("dhttest")
	l.SetHandlers(alog.DiscardHandler)
	cfg.Logger = l
	node.Server, err = anacrolix.NewServer(cfg)
	if err != nil {
		pc.Close()
		return nil, err
	}
	return node, nil
}

func (n *Node) setStarting(addrs []string) {
	var others []anacrolix.Addr
	self := n.Addr()
	for _, a := range addrs {
		if a == self {
			continue
		}
		ua, _ := net.ResolveUDPAddr("udp4", a)
		others = append(others, anacrolix.NewAddr(ua))
	}
	n.mu.Lock()
	n.starting = others
	n.mu.Unlock()
}

func (n *Node) startingNodes() ([]anacrolix.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.starting) == 0 {
		return nil, fmt.Errorf("no starting nodes yet")
	}
	return n.starting, nil
}

// Addr is the node's host:port.
func (n *Node) Addr() string { return n.conn.LocalAddr().String() }

// Lie makes the node answer every get with what f returns for the
// target (nil: answer honestly), and fakes made-up nodes, closer to the
// target than any real one and all silent.
func (n *Node) Lie(fakes int, f func(target [20]byte) *krpc.Bep44Return) {
	n.mu.Lock()
	n.lie, n.fakes = f, fakes
	n.mu.Unlock()
}

// onQuery answers a get itself when the node lies: with the value f
// gives, a write token, and the made-up nodes.
func (n *Node) onQuery(q *krpc.Msg, source net.Addr) bool {
	n.mu.Lock()
	lie, fakes := n.lie, n.fakes
	n.mu.Unlock()
	if lie == nil || q.Q != "get" || q.A == nil {
		return true
	}
	v := lie(q.A.Target)
	if v == nil {
		return true
	}
	token := "lie"
	r := &krpc.Return{ID: n.Server.ID(), Token: &token, Bep44Return: *v}
	for i := range fakes {
		var id krpc.ID
		copy(id[:], q.A.Target[:])
		id[19] ^= byte(i)
		id[18] ^= byte(i >> 8)
		r.Nodes = append(r.Nodes, krpc.NodeInfo{ID: id, Addr: krpc.NodeAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1 + i}})
	}
	b, err := bencode.Marshal(krpc.Msg{T: q.T, Y: "r", R: r})
	if err == nil {
		n.conn.WriteTo(b, source)
	}
	return false
}

// Add starts one more node with id (random if zero) and makes it known:
// it bootstraps from the swarm and every node of the swarm pings it, so
// that it is a good node in their tables and their replies list it. A
// node whose id is near a target is where lookups of that target go.
func (s *Swarm) Add(tb testing.TB, id krpc.ID) *Node {
	tb.Helper()
	node, err := startNode(id)
	if err != nil {
		tb.Fatal(err)
	}
	node.setStarting(s.addrs())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	node.Server.BootstrapContext(ctx)
	ua := node.conn.LocalAddr().(*net.UDPAddr)
	var wg sync.WaitGroup
	for _, other := range s.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other.Server.Ping(ua)
		}()
	}
	wg.Wait()
	s.Nodes = append(s.Nodes, node)
	return node
}

// Near returns an id that differs from target only in its last bits,
// closer to it than any random id.
func Near(target [20]byte, i int) krpc.ID {
	id := krpc.ID(target)
	id[19] ^= byte(i + 1)
	return id
}

// Addrs are the nodes' addresses.
func (s *Swarm) addrs() []string {
	var out []string
	for _, n := range s.Nodes {
		out = append(out, n.Addr())
	}
	return out
}

// Bootstrap is a P2P_DHT_BOOTSTRAP value naming the first k nodes.
func (s *Swarm) Bootstrap(k int) string {
	return strings.Join(s.addrs()[:min(k, len(s.Nodes))], ",")
}

// BootstrapList is Bootstrap as a list.
func (s *Swarm) BootstrapList(k int) []string { return s.addrs()[:min(k, len(s.Nodes))] }

// Values returns every value the swarm's nodes store, as bencoded.
func (s *Swarm) Values() [][]byte {
	var out [][]byte
	for _, n := range s.Nodes {
		out = append(out, n.Store.Values()...)
	}
	return out
}

// Close stops every node.
func (s *Swarm) Close() {
	for _, n := range s.Nodes {
		n.Server.Close()
	}
	s.Nodes = nil
}

// Store is a bep44.Store that keeps every item put to it (at most 4096).
type Store struct {
	mu    sync.Mutex
	items map[bep44.Target]*bep44.Item
}

var _ bep44.Store = (*Store)(nil)

// NewStore returns an empty store.
func NewStore() *Store { return &Store{items: make(map[bep44.Target]*bep44.Item)} }

func (s *Store) Put(i *bep44.Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.items) >= 4096 {
		return fmt.Errorf("store full")
	}
	s.items[i.Target()] = i
	return nil
}

func (s *Store) Get(t bep44.Target) (*bep44.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.items[t]
	if !ok {
		return nil, bep44.ErrItemNotFound
	}
	return i, nil
}

func (s *Store) Del(t bep44.Target) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.items, t)
	return nil
}

// Values are the stored values, bencoded.
func (s *Store) Values() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]byte
	for _, i := range s.items {
		out = append(out, bencode.MustMarshal(i.V))
	}
	return out
}

// Targets are the targets of the stored items.
func (s *Store) Targets() [][20]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][20]byte
	for t := range s.items {
		out = append(out, t)
	}
	return out
}
