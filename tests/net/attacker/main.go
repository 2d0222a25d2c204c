// Command attacker speaks the group wire protocol itself, to check that
// members refuse what an honest member never sends. The tests of
// tests/net run it against peer processes and parse the lines it prints.
// Every mode takes -home DIR, the directory of the attacker's identity
// (made once, then reused), and most -addr HOST:PORT, the member attacked.
//
// Handshake attacks (each connection prints "attempt <label>", then
// "result refused 0x<hr> <reason>", "result welcome <peer>" or "result
// error <text>", then "after frames=<n> records=<n> streams=<n>": what
// the member sent after its answer):
//
//	-mode identity
//	    print "identity <peer name> <escaped identity XML>".
//	-mode nocred -group G
//	    a valid identity without a credential: an empty chain, garbage,
//	    the direct-only and password flags, records pipelined behind the
//	    Hello, and a TLS certificate that is no identity certificate.
//	-mode forge -group G [-invitation FILE]
//	    chains the group key never signed: a root signed by another key
//	    and the root of a group of the attacker's own; with a genuine
//	    invitation also that credential with its roles raised (signature
//	    broken) and presented by another identity (stolen).
//	-mode foreign -invitation FILE -group G
//	    the genuine credential of ANOTHER group (FILE: an invitation of
//	    that group for this identity).
//
// Attacks of a genuine member (FILE: an invitation of the attacked group
// for this identity; each prints "welcome <peer>", what it sent, and "ack"
// once the member acknowledged a Barrier sent after it, i.e. handled
// everything before):
//
//	-mode enroll -invitation FILE
//	    send the attacker's member record (a genuine member's right).
//	-mode capture -invitation FILE -out OUT
//	    fetch every record the member holds (reconciliation) into OUT.
//	-mode tamper -invitation FILE
//	    (enrolled first) a valid record, records whose data or expiry
//	    changed after signing and an altered update of the valid one.
//	-mode outsider -invitation FILE -victim PEERNAME
//	    relay records of a non-member: signed by an identity without a
//	    member record, with a forged member record, with a member record
//	    of another group, and one naming the victim as signer.
//	-mode replay -invitation FILE -records IN -ids ID,ID
//	    send again the versions of those records captured in IN.
//	-mode usurp -invitation FILE -records IN -victim PEERNAME -ids ID,ID
//	    as a plain member, change others' data: update the first record,
//	    delete the second, take the first over as creator, rename the
//	    group, rewrite the victim's presence and member records.
//	-mode hijack -invitation FILE -victim PEERNAME -ids ID
//	    publish own records under the victim's record id (at version 1
//	    and 100) and under a fresh id bound to the victim.
//	-mode expire -invitation FILE
//	    with a short-lived credential: enroll, wait until it expires
//	    (prints "expired"), wait for a line on stdin, then use the old
//	    connection (records, a full reconciliation) and a new one.
//
// Attacks on hole punching and relaying (a genuine member, connected to
// the member at -addr, with -victim another member connected to it):
//
//	-mode nat -invitation FILE -victim PEERNAME
//	    a relay to a non-member; punches naming a UDP socket of the
//	    attacker's (a third party) unsigned, signed by another key, and
//	    signed by the attacker although the member sees it elsewhere; a
//	    flood of punches and of relay sessions; prints the answers and
//	    what the third party received.
//	-mode relay -invitation FILE [-bind IP]
//	    a member that others connect to and that relays for them,
//	    changing one datagram in 5 and replaying one in 7; until stdin
//	    closes, then prints its counts.
//
// Malformed traffic:
//
//	-mode frames -invitation FILE
//	    oversized, truncated and malformed frames instead of the Hello
//	    (prints the refusal, then "closed closed remote code=<n>" once
//	    the member closed the connection) and after a Welcome (prints
//	    "result closed remote code=<n>"); "result abandoned" when the
//	    attacker closed the connection mid-frame itself.
//	-mode udp -n N [-shape random|initial]
//	    N datagrams of random bytes, or shaped like QUIC Initial packets
//	    with undecryptable contents, to the member's port.
//	-mode flood -n N -rate R -duration D [-bind IP]
//	    keep N QUIC connections open that never send Hello and start R
//	    TLS handshakes a second that never finish, for D or until stdin
//	    closes; prints "flooding", "saturated" and "flood <totals>".
//	-mode password -invitation FILE -password RIGHT -count N [-bind IP]
//	    N wrong password proofs, then one with the right password; FILE
//	    is a password invitation.
//
// Errors of the program itself exit 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/identity"
	"p2p/core/invitation"
)

// options are the command line.
type options struct {
	home, mode, group, addr, invFile string
	out, records, ids, victim        string
	password, bind, shape            string
	n, count, rate                   int
	duration, timeout                time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.home, "home", "", "directory holding the attacker's identity")
	flag.StringVar(&o.mode, "mode", "", "what to do (see the package documentation)")
	flag.StringVar(&o.group, "group", "", "peer name of the group attacked")
	flag.StringVar(&o.addr, "addr", "", "member address host:port")
	flag.StringVar(&o.invFile, "invitation", "", "file holding an invitation for this identity")
	flag.StringVar(&o.out, "out", "", "file to write captured records to")
	flag.StringVar(&o.records, "records", "", "file of captured records")
	flag.StringVar(&o.ids, "ids", "", "comma-separated record ids")
	flag.StringVar(&o.victim, "victim", "", "peer name of an honest member")
	flag.StringVar(&o.password, "password", "", "the group password")
	flag.StringVar(&o.bind, "bind", "", "local IP address to send from")
	flag.StringVar(&o.shape, "shape", "random", "udp: random bytes or QUIC Initial-shaped garbage (initial)")
	flag.IntVar(&o.n, "n", 100, "how many (datagrams, connections)")
	flag.IntVar(&o.count, "count", 6, "how many wrong passwords")
	flag.IntVar(&o.rate, "rate", 300, "flood: hanging TLS handshakes started a second")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long to flood")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "attacker:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.home == "" {
		return errors.New("-home is required")
	}
	id, err := loadIdentity(o.home)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	d, err := newDialer(id, o.bind)
	if err != nil {
		return err
	}
	defer d.close()
	inv := func() (*invitation.Invitation, error) { return readInvitation(o.invFile, id) }
	switch o.mode {
	case "identity":
		fmt.Printf("identity %s %s\n", id.PeerName, escape(id.XML()))
		return nil
	case "nocred":
		return nocred(ctx, d, o.group, o.addr)
	case "forge":
		var genuine *invitation.Invitation
		if o.invFile != "" {
			if genuine, err = inv(); err != nil {
				return err
			}
		}
		return forge(ctx, d, o.home, o.group, o.addr, genuine)
	case "udp":
		return udpNoise(o.addr, o.n, o.shape)
	case "flood":
		return flood(ctx, d, o.addr, o.n, o.rate, o.duration)
	case "password":
		i, err := readPasswordInvitation(o.invFile)
		if err != nil {
			return err
		}
		return guessPasswords(ctx, d, i, o.addr, o.count, o.password)
	}
	i, err := inv()
	if err != nil {
		return err
	}
	switch o.mode {
	case "foreign":
		return foreign(ctx, d, i, o.group, o.addr)
	case "enroll":
		return enroll(ctx, d, i, o.addr)
	case "capture":
		return capture(ctx, d, i, o.addr, o.out)
	case "tamper":
		return tamper(ctx, d, i, o.addr)
	case "outsider":
		return outsider(ctx, d, i, o.addr, o.home, o.victim)
	case "replay":
		return replay(ctx, d, i, o.addr, o.records, splitList(o.ids))
	case "usurp":
		return usurp(ctx, d, i, o.addr, o.records, o.victim, splitList(o.ids))
	case "hijack":
		return hijack(ctx, d, i, o.addr, o.victim, splitList(o.ids))
	case "expire":
		return expire(ctx, d, i, o.addr)
	case "frames":
		return frames(ctx, d, i, o.addr)
	case "nat":
		return natAttacks(ctx, d, i, o.addr, o.victim)
	case "relay":
		return tamperingRelay(ctx, d, i)
	}
	return fmt.Errorf("unknown mode %q", o.mode)
}

// loadIdentity returns the identity kept in home, creating it once.
func loadIdentity(home string) (*identity.Identity, error) {
	store, err := identity.OpenStore(home)
	if err != nil {
		return nil, err
	}
	ids, err := store.List()
	if err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		return ids[0], nil
	}
	return store.Create("", "attacker")
}

// readInvitation reads and verifies an invitation issued to id.
func readInvitation(path string, id *identity.Identity) (*invitation.Invitation, error) {
	inv, err := parseInvitationFile(path)
	if err != nil {
		return nil, err
	}
	if err := inv.VerifyFor(id.PeerName, filetime.Now()); err != nil {
		return nil, err
	}
	return inv, nil
}

// readPasswordInvitation reads a password invitation (issued to nobody).
func readPasswordInvitation(path string) (*invitation.Invitation, error) {
	inv, err := parseInvitationFile(path)
	if err != nil {
		return nil, err
	}
	if err := inv.Verify(filetime.Now()); err != nil {
		return nil, err
	}
	return inv, nil
}

func parseInvitationFile(path string) (*invitation.Invitation, error) {
	if path == "" {
		return nil, errors.New("-invitation is required")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return invitation.Parse(string(b))
}

func subjectOf(id *identity.Identity) credential.Subject {
	return credential.Subject{PeerName: id.PeerName, FriendlyName: "attacker", Key: id.PublicKey()}
}

// ---- small helpers ----

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(s)
}

func oneLine(err error) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(err.Error())
}
