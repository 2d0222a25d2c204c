package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"p2p/core/credential"
	"p2p/core/filetime"
	"p2p/core/group"
	"p2p/core/identity"
	"p2p/core/invitation"
	"p2p/core/peername"
	"p2p/core/record"
)

// enroll sends the attacker's member record, as every member does when
// it first connects.
func enroll(ctx context.Context, d *dialer, inv *invitation.Invitation, addr string) error {
	ss, err := join(ctx, d, inv, addr)
	if err != nil {
		return err
	}
	defer ss.close()
	m, err := memberRecord(d.id, ss.group, inv.Credential, "attacker")
	if err != nil {
		return err
	}
	if err := ss.sendRecords(m); err != nil {
		return err
	}
	if err := ss.barrier(1); err != nil {
		return err
	}
	fmt.Printf("enrolled member=%s\n", m.ID)
	fmt.Println("ack")
	return nil
}

// capture fetches every record the member holds and writes them to out.
func capture(ctx context.Context, d *dialer, inv *invitation.Invitation, addr, out string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	ss, err := join(ctx, d, inv, addr)
	if err != nil {
		return err
	}
	defer ss.close()
	recs, err := ss.fetchAll(1)
	if err != nil {
		return err
	}
	if err := writeRecords(out, recs); err != nil {
		return err
	}
	fmt.Printf("captured records=%d\n", len(recs))
	return nil
}

// tamper sends a valid record, a record whose data was changed after
// signing and an update of the valid record changed after signing; the
// attacker must be enrolled.
func tamper(ctx context.Context, d *dialer, inv *invitation.Invitation, addr string) error {
	ss, err := join(ctx, d, inv, addr)
	if err != nil {
		return err
	}
	defer ss.close()
	id, g := d.id, ss.group
	now := filetime.Now()
	newRecord := func(text string) *record.Record {
		r := newTestRecord(g, id.PeerName, now, text)
		r.Sign(g, id.Key)
		return r
	}
	valid := newRecord("attacker: a valid record")
	tampered := newRecord("attacker: this record was changed after signing")
	tampered.Data[len(tampered.Data)-1] ^= 0x01
	update := valid.Clone()
	update.Version = 2
	update.Modified++
	update.Data = []byte("attacker: a valid record")
	update.Sign(g, id.Key)
	update.Data[0] ^= 0x20 // "Attacker": the update no longer matches its signature
	// The expiry moved after signing: a record that would outlive what
	// its author signed.
	extended := newRecord("attacker: this record lives longer than signed")
	extended.Expires += filetime.FILETIME(time.Hour / 100)

	if err := ss.sendRecords(valid, tampered, update, extended); err != nil {
		return err
	}
	sum := sha256.Sum256(valid.Data)
	fmt.Printf("sent valid=%s tampered=%s update=%s extended=%s valid-sha256=%s\n",
		valid.ID, tampered.ID, update.ID, extended.ID, hex.EncodeToString(sum[:]))
	if err := ss.barrier(7); err != nil {
		return fmt.Errorf("waiting for the barrier acknowledgement: %w", err)
	}
	fmt.Println("ack")
	return nil
}

// outsider relays, as a genuine member, records of identities that are
// not members: one without a member record, one whose member record
// carries a forged chain, one whose member record carries the chain of
// another group, and a record naming the victim as its signer but signed
// by an outsider.
func outsider(ctx context.Context, d *dialer, inv *invitation.Invitation, addr, home, victim string) error {
	ss, err := join(ctx, d, inv, addr)
	if err != nil {
		return err
	}
	defer ss.close()
	g := ss.group
	now := filetime.Now()
	var names []string
	newOutsider := func(name string) (*identity.Identity, error) {
		o, err := loadIdentity(filepath.Join(home, name))
		if err == nil {
			names = append(names, o.PeerName)
		}
		return o, err
	}
	signed := func(o *identity.Identity, author, text string) *record.Record {
		r := newTestRecord(g, author, now, text)
		r.Sign(g, o.Key)
		return r
	}

	unknown, err := newOutsider("outsider-unknown")
	if err != nil {
		return err
	}
	r1 := signed(unknown, unknown.PeerName, "outsider: signed by an identity with no member record")

	forgedID, err := newOutsider("outsider-forged")
	if err != nil {
		return err
	}
	_, fakeKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	fb, err := forgedRoot(g, subjectOf(forgedID), fakeKey, now)
	if err != nil {
		return err
	}
	forgedChain, err := credential.ParseChain(fb)
	if err != nil {
		return err
	}
	m2, err := memberRecord(forgedID, g, forgedChain, "outsider")
	if err != nil {
		return err
	}
	r2 := signed(forgedID, forgedID.PeerName, "outsider: member record with a forged chain")

	foreignID, err := newOutsider("outsider-foreign")
	if err != nil {
		return err
	}
	ownPub, ownKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	ownChain, err := credential.IssueRoot(ownKey, peername.Secure(ownPub, "other"), subjectOf(foreignID),
		[]uuid.UUID{credential.RoleAdmin}, now, credential.InfiniteAfter(now))
	if err != nil {
		return err
	}
	m3, err := memberRecord(foreignID, g, ownChain, "outsider")
	if err != nil {
		return err
	}
	r3 := signed(foreignID, foreignID.PeerName, "outsider: member record of another group")

	r4 := signed(unknown, victim, "outsider: claims to be the victim's")

	if err := ss.sendRecords(r1, m2, r2, m3, r3, r4); err != nil {
		return err
	}
	fmt.Printf("sent unknown-signer=%s forged-member=%s foreign-member=%s impersonated=%s outsiders=%s\n",
		r1.ID, r2.ID, r3.ID, r4.ID, strings.Join(names, ","))
	if err := ss.barrier(2); err != nil {
		return err
	}
	fmt.Println("ack")
	return nil
}

// replay sends again the captured versions of records.
func replay(ctx context.Context, d *dialer, inv *invitation.Invitation, addr, capturedFile string, ids []string) error {
	captured, err := readRecords(capturedFile)
	if err != nil {
		return err
	}
	var recs []*record.Record
	var sent []string
	for _, s := range ids {
		id, err := uuid.Parse(s)
		if err != nil {
			return err
		}
		r := captured[id]
		if r == nil {
			return fmt.Errorf("record %s was not captured", id)
		}
		recs = append(recs, r)
		sent = append(sent, fmt.Sprintf("%s=v%d", id, r.Version))
	}
	ss, err := join(ctx, d, inv, addr)
	if err != nil {
		return err
	}
	defer ss.close()
	if err := ss.sendRecords(recs...); err != nil {
		return err
	}
	fmt.Printf("replayed %s\n", strings.Join(sent, " "))
	if err := ss.barrier(3); err != nil {
		return err
	}
	fmt.Println("ack")
	return nil
}

// usurp makes changes a plain member has no right to, each correctly
// signed by the attacker: an update and a deletion of the victim's
// records, a take-over of one as its creator, a new group name, and new
// versions of the victim's presence and member records.
func usurp(ctx context.Context, d *dialer, inv *invitation.Invitation, addr, capturedFile, victim string, ids []string) error {
	if len(ids) != 2 {
		return fmt.Errorf("-ids needs two records of the victim")
	}
	captured, err := readRecords(capturedFile)
	if err != nil {
		return err
	}
	me := d.id
	g := inv.GroupPeerName
	now := filetime.Now()
	get := func(s string) (*record.Record, error) {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, err
		}
		r := captured[id]
		if r == nil {
			return nil, fmt.Errorf("record %s was not captured", id)
		}
		return r.Clone(), nil
	}
	// next is a later version of r, last written by the attacker.
	next := func(r *record.Record, by int) *record.Record {
		r.Version += uint32(by)
		r.ModifiedByID = me.PeerName
		r.Modified = max(now, r.Modified+1)
		return r
	}
	var recs []*record.Record
	labels := map[string]uuid.UUID{}
	add := func(label string, r *record.Record) {
		r.Sign(g, me.Key)
		recs = append(recs, r)
		labels[label] = r.ID
	}

	r, err := get(ids[0])
	if err != nil {
		return err
	}
	r = next(r, 5)
	r.Data = []byte("attacker: I changed the victim's record")
	add("update-others", r)

	r, err = get(ids[1])
	if err != nil {
		return err
	}
	r = next(r, 5)
	r.Flags, r.Data = record.FlagDeleted, nil
	add("delete-others", r)

	r, err = get(ids[0])
	if err != nil {
		return err
	}
	r = next(r, 6)
	r.CreatorID = me.PeerName
	r.Data = []byte("attacker: this record is mine now")
	add("take-over", r)

	for _, c := range captured {
		switch {
		case c.Type == group.PropertiesType:
			var props map[string]any
			if err := json.Unmarshal(c.Data, &props); err != nil {
				return err
			}
			props["friendlyName"] = "owned by the attacker"
			r = next(c.Clone(), 5)
			if r.Data, err = json.Marshal(props); err != nil {
				return err
			}
			add("rename-group", r)
		case c.Type == group.PresenceType && c.CreatorID == victim && !c.Deleted():
			r = next(c.Clone(), 5)
			add("squat-presence", r)
		case c.Type == group.MemberType && c.CreatorID == victim:
			m, err := memberRecord(me, g, inv.Credential, "attacker")
			if err != nil {
				return err
			}
			r = next(c.Clone(), 5)
			r.Data = m.Data
			add("replace-member", r)
		}
	}
	for _, want := range []string{"rename-group", "squat-presence", "replace-member"} {
		if _, ok := labels[want]; !ok {
			return fmt.Errorf("the capture holds no record for %s", want)
		}
	}

	ss, err := join(ctx, d, inv, addr)
	if err != nil {
		return err
	}
	defer ss.close()
	if err := ss.sendRecords(recs...); err != nil {
		return err
	}
	var parts []string
	for _, l := range []string{"update-others", "delete-others", "take-over", "rename-group", "squat-presence", "replace-member"} {
		parts = append(parts, fmt.Sprintf("%s=%s", l, labels[l]))
	}
	fmt.Printf("sent %s\n", strings.Join(parts, " "))
	if err := ss.barrier(4); err != nil {
		return err
	}
	fmt.Println("ack")
	return nil
}

// expire holds a short-lived genuine credential: it enrolls, keeps the
// connection open past the credential's end, prints "expired" and waits
// for a line on stdin (the test publishes an honest record meanwhile);
// then it sends a record over the old connection, asks it for every
// record, reports what the member sent it after the expiry and finally
// tries a new connection.
func expire(ctx context.Context, d *dialer, inv *invitation.Invitation, addr string) error {
	ss, err := join(ctx, d, inv, addr)
	if err != nil {
		return err
	}
	defer ss.close()
	m, err := memberRecord(d.id, ss.group, inv.Credential, "attacker")
	if err != nil {
		return err
	}
	if err := ss.sendRecords(m); err != nil {
		return err
	}
	if err := ss.barrier(1); err != nil {
		return err
	}
	fmt.Printf("enrolled member=%s\n", m.ID)

	notAfter := inv.Credential.Leaf().NotAfter
	for _, c := range inv.Credential {
		notAfter = min(notAfter, c.NotAfter)
	}
	select {
	case <-time.After(time.Until(notAfter.Time()) + 500*time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	mark := len(ss.receivedSince(0))
	fmt.Printf("expired at=%s\n", notAfter.Time().UTC().Format(time.RFC3339Nano))
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fmt.Errorf("waiting for the go-ahead on stdin: %w", err)
	}

	// Records the member flooded to it since the expiry: the test
	// published one before the go-ahead.
	flooded := 0
	for _, rr := range ss.receivedSince(mark) {
		if rr.r.Type == testType && rr.r.Created >= notAfter {
			flooded++
		}
	}
	fmt.Printf("flooded-after-expiry records=%d\n", flooded)

	r := newTestRecord(ss.group, d.id.PeerName, filetime.Now(), "attacker: written after my credential expired")
	r.Sign(ss.group, d.id.Key)
	fmt.Printf("sent after-expiry=%s\n", r.ID)
	if err := ss.sendRecords(r); err != nil {
		fmt.Printf("old-connection send=closed %s\n", oneLine(err))
	} else if err := ss.barrier(2); err != nil {
		fmt.Printf("old-connection barrier=closed %s\n", oneLine(err))
	} else {
		fmt.Println("old-connection barrier=ok")
	}

	recs, err := ss.fetchAll(3)
	if err != nil {
		fmt.Printf("sync-after-expiry closed %s\n", oneLine(err))
	} else {
		fmt.Printf("sync-after-expiry records=%d\n", len(recs))
	}
	state := "open"
	if err := ss.closedErr(); err != nil {
		state = "closed " + oneLine(err)
	}
	fmt.Printf("old-connection %s\n", state)

	chain, _ := inv.Credential.MarshalBinary()
	attempt(ctx, d, "expired-credential", addr, ss.group, chain)
	return nil
}

// hijack publishes records of the attacker's own under ids the victim
// created or could create, the first-seen attack of issue 13: one under
// the id of the victim's live record ids[0], at version 1 and at a higher
// version than the victim's, and one under a fresh id bound to the
// victim (the attacker can compute the bound part of such ids), before
// the victim ever uses it. Members must refuse all of them whatever they
// received first, so that every member keeps the victim's record.
func hijack(ctx context.Context, d *dialer, inv *invitation.Invitation, addr, victim string, ids []string) error {
	if len(ids) != 1 {
		return fmt.Errorf("-ids needs one record of the victim")
	}
	target, err := uuid.Parse(ids[0])
	if err != nil {
		return err
	}
	ss, err := join(ctx, d, inv, addr)
	if err != nil {
		return err
	}
	defer ss.close()
	g, me, now := ss.group, d.id, filetime.Now()
	mine := func(id uuid.UUID, version uint32, text string) *record.Record {
		r := newTestRecord(g, me.PeerName, now, text)
		r.ID, r.Version = id, version
		r.Sign(g, me.Key)
		return r
	}
	fresh := group.NewRecordID(g, victim) // bound to the victim, random part ours
	recs := []*record.Record{
		mine(target, 1, "attacker: hijacked at version 1"),
		mine(target, 100, "attacker: hijacked at version 100"),
		mine(fresh, 1, "attacker: squatting an id bound to the victim"),
	}
	if err := ss.sendRecords(recs...); err != nil {
		return err
	}
	fmt.Printf("sent fresh=%s\n", fresh)
	if err := ss.barrier(11); err != nil {
		return fmt.Errorf("waiting for the barrier acknowledgement: %w", err)
	}
	fmt.Println("ack")
	return nil
}
