//go:build linux

package cabi

import (
	"slices"
	"testing"
	"unsafe"
)

// windowsX64 is the size of each structure and the offset of each field
// on Windows x64, as mingw-w64 computes them from Microsoft's p2p.h
// (shared reference, appendix C). Our p2p.h must give the same numbers on
// every OS, and the Go mirrors the tests use must match them too.
var windowsX64 = map[string]uintptr{
	"GUID": 16, "FILETIME": 8, "SOCKADDR_IN6": 28,
	"PEER_VERSION_DATA": 4, "PEER_VERSION_DATA.wVersion": 0, "PEER_VERSION_DATA.wHighestVersion": 2,
	"PEER_DATA": 16, "PEER_DATA.cbData": 0, "PEER_DATA.pbData": 8,
	"PEER_RECORD": 128, "PEER_RECORD.dwSize": 0, "PEER_RECORD.type": 4, "PEER_RECORD.id": 20,
	"PEER_RECORD.dwVersion": 36, "PEER_RECORD.dwFlags": 40, "PEER_RECORD.pwzCreatorId": 48,
	"PEER_RECORD.pwzModifiedById": 56, "PEER_RECORD.pwzAttributes": 64, "PEER_RECORD.ftCreation": 72,
	"PEER_RECORD.ftExpiration": 80, "PEER_RECORD.ftLastModified": 88, "PEER_RECORD.securityData": 96,
	"PEER_RECORD.data": 112,
	"PEER_ADDRESS":     32, "PEER_ADDRESS.dwSize": 0, "PEER_ADDRESS.sin6": 4,
	"PEER_CONNECTION_INFO": 64, "PEER_CONNECTION_INFO.dwSize": 0, "PEER_CONNECTION_INFO.dwFlags": 4,
	"PEER_CONNECTION_INFO.ullConnectionId": 8, "PEER_CONNECTION_INFO.ullNodeId": 16,
	"PEER_CONNECTION_INFO.pwzPeerId": 24, "PEER_CONNECTION_INFO.address": 32,
	"PEER_EVENT_INCOMING_DATA": 48, "PEER_EVENT_INCOMING_DATA.dwSize": 0,
	"PEER_EVENT_INCOMING_DATA.ullConnectionId": 8, "PEER_EVENT_INCOMING_DATA.type": 16,
	"PEER_EVENT_INCOMING_DATA.data": 32,
	"PEER_EVENT_RECORD_CHANGE_DATA": 40, "PEER_EVENT_RECORD_CHANGE_DATA.dwSize": 0,
	"PEER_EVENT_RECORD_CHANGE_DATA.changeType": 4, "PEER_EVENT_RECORD_CHANGE_DATA.recordId": 8,
	"PEER_EVENT_RECORD_CHANGE_DATA.recordType": 24,
	"PEER_EVENT_CONNECTION_CHANGE_DATA":        40, "PEER_EVENT_CONNECTION_CHANGE_DATA.dwSize": 0,
	"PEER_EVENT_CONNECTION_CHANGE_DATA.status": 4, "PEER_EVENT_CONNECTION_CHANGE_DATA.ullConnectionId": 8,
	"PEER_EVENT_CONNECTION_CHANGE_DATA.ullNodeId": 16, "PEER_EVENT_CONNECTION_CHANGE_DATA.ullNextConnectionId": 24,
	"PEER_EVENT_CONNECTION_CHANGE_DATA.hrConnectionFailedReason": 32,
	"PEER_CREDENTIAL_INFO": 72, "PEER_CREDENTIAL_INFO.dwSize": 0, "PEER_CREDENTIAL_INFO.dwFlags": 4,
	"PEER_CREDENTIAL_INFO.pwzFriendlyName": 8, "PEER_CREDENTIAL_INFO.pPublicKey": 16,
	"PEER_CREDENTIAL_INFO.pwzIssuerPeerName": 24, "PEER_CREDENTIAL_INFO.pwzIssuerFriendlyName": 32,
	"PEER_CREDENTIAL_INFO.ftValidityStart": 40, "PEER_CREDENTIAL_INFO.ftValidityEnd": 48,
	"PEER_CREDENTIAL_INFO.cRoles": 56, "PEER_CREDENTIAL_INFO.pRoles": 64,
	"PEER_MEMBER": 56, "PEER_MEMBER.dwSize": 0, "PEER_MEMBER.dwFlags": 4, "PEER_MEMBER.pwzIdentity": 8,
	"PEER_MEMBER.pwzAttributes": 16, "PEER_MEMBER.ullNodeId": 24, "PEER_MEMBER.cAddresses": 32,
	"PEER_MEMBER.pAddresses": 40, "PEER_MEMBER.pCredentialInfo": 48,
	"PEER_INVITATION_INFO": 136, "PEER_INVITATION_INFO.dwSize": 0, "PEER_INVITATION_INFO.dwFlags": 4,
	"PEER_INVITATION_INFO.pwzCloudName": 8, "PEER_INVITATION_INFO.dwScope": 16,
	"PEER_INVITATION_INFO.dwCloudFlags": 20, "PEER_INVITATION_INFO.pwzGroupPeerName": 24,
	"PEER_INVITATION_INFO.pwzIssuerPeerName": 32, "PEER_INVITATION_INFO.pwzSubjectPeerName": 40,
	"PEER_INVITATION_INFO.pwzGroupFriendlyName": 48, "PEER_INVITATION_INFO.pwzIssuerFriendlyName": 56,
	"PEER_INVITATION_INFO.pwzSubjectFriendlyName": 64, "PEER_INVITATION_INFO.ftValidityStart": 72,
	"PEER_INVITATION_INFO.ftValidityEnd": 80, "PEER_INVITATION_INFO.cRoles": 88,
	"PEER_INVITATION_INFO.pRoles": 96, "PEER_INVITATION_INFO.cClassifiers": 104,
	"PEER_INVITATION_INFO.ppwzClassifiers": 112, "PEER_INVITATION_INFO.pSubjectPublicKey": 120,
	"PEER_INVITATION_INFO.authScheme": 128,
	"PEER_GROUP_PROPERTIES":           96, "PEER_GROUP_PROPERTIES.dwSize": 0, "PEER_GROUP_PROPERTIES.dwFlags": 4,
	"PEER_GROUP_PROPERTIES.pwzCloud": 8, "PEER_GROUP_PROPERTIES.pwzClassifier": 16,
	"PEER_GROUP_PROPERTIES.pwzGroupPeerName": 24, "PEER_GROUP_PROPERTIES.pwzCreatorPeerName": 32,
	"PEER_GROUP_PROPERTIES.pwzFriendlyName": 40, "PEER_GROUP_PROPERTIES.pwzComment": 48,
	"PEER_GROUP_PROPERTIES.ulMemberDataLifetime": 56, "PEER_GROUP_PROPERTIES.ulPresenceLifetime": 60,
	"PEER_GROUP_PROPERTIES.dwAuthenticationSchemes": 64, "PEER_GROUP_PROPERTIES.pwzGroupPassword": 72,
	"PEER_GROUP_PROPERTIES.groupPasswordRole": 80,
	"PEER_EVENT_MEMBER_CHANGE_DATA":           16, "PEER_EVENT_MEMBER_CHANGE_DATA.dwSize": 0,
	"PEER_EVENT_MEMBER_CHANGE_DATA.changeType": 4, "PEER_EVENT_MEMBER_CHANGE_DATA.pwzIdentity": 8,
	"PEER_GROUP_EVENT_REGISTRATION": 16, "PEER_GROUP_EVENT_REGISTRATION.eventType": 0,
	"PEER_GROUP_EVENT_REGISTRATION.pType": 8,
	"PEER_GROUP_EVENT_DATA":               56, "PEER_GROUP_EVENT_DATA.eventType": 0, "PEER_GROUP_EVENT_DATA.dwStatus": 8,
	"PEER_GROUP_EVENT_DATA.incomingData": 8, "PEER_GROUP_EVENT_DATA.recordChangeData": 8,
	"PEER_GROUP_EVENT_DATA.connectionChangeData": 8, "PEER_GROUP_EVENT_DATA.memberChangeData": 8,
	"PEER_GROUP_EVENT_DATA.hrConnectionFailedReason": 8,
	"PEER_NAME_PAIR": 24, "PEER_NAME_PAIR.dwSize": 0, "PEER_NAME_PAIR.pwzPeerName": 8,
	"PEER_NAME_PAIR.pwzFriendlyName": 16,
	"CERT_PUBLIC_KEY_INFO":           48, "CERT_PUBLIC_KEY_INFO.Algorithm": 0, "CERT_PUBLIC_KEY_INFO.PublicKey": 24,
	"CRYPT_BIT_BLOB": 24, "CRYPT_BIT_BLOB.cbData": 0, "CRYPT_BIT_BLOB.pbData": 8, "CRYPT_BIT_BLOB.cUnusedBits": 16,
	"CRYPT_ALGORITHM_IDENTIFIER": 24, "CRYPT_ALGORITHM_IDENTIFIER.pszObjId": 0,
	"CRYPT_ALGORITHM_IDENTIFIER.Parameters": 8,
}

// goLayout is the same table for the Go mirrors in lib.go, which the
// other tests read and write the library's structures through.
func goLayout() map[string]uintptr {
	var (
		vd  PeerVersionData
		pd  PeerData
		rec PeerRecord
		adr PeerAddress
		ci  PeerConnectionInfo
		in  PeerEventIncomingData
		rc  PeerEventRecordChangeData
		cc  PeerEventConnectionChangeData
		cr  PeerCredentialInfo
		mem PeerMember
		inv PeerInvitationInfo
		gp  PeerGroupProperties
		mc  PeerEventMemberChangeData
		reg PeerGroupEventRegistration
		ev  PeerGroupEventData
		np  PeerNamePair
		pk  CertPublicKeyInfo
		bb  CryptBitBlob
		ai  CryptAlgorithmIdentifier
	)
	union := unsafe.Offsetof(ev.union)
	return map[string]uintptr{
		"GUID": unsafe.Sizeof(GUID{}), "FILETIME": unsafe.Sizeof(FileTime{}), "SOCKADDR_IN6": unsafe.Sizeof(SockaddrIn6{}),
		"PEER_VERSION_DATA": unsafe.Sizeof(vd), "PEER_VERSION_DATA.wVersion": unsafe.Offsetof(vd.Version),
		"PEER_VERSION_DATA.wHighestVersion": unsafe.Offsetof(vd.HighestVersion),
		"PEER_DATA":                         unsafe.Sizeof(pd), "PEER_DATA.cbData": unsafe.Offsetof(pd.Size), "PEER_DATA.pbData": unsafe.Offsetof(pd.Data),
		"PEER_RECORD": unsafe.Sizeof(rec), "PEER_RECORD.dwSize": unsafe.Offsetof(rec.Size), "PEER_RECORD.type": unsafe.Offsetof(rec.Type),
		"PEER_RECORD.id": unsafe.Offsetof(rec.ID), "PEER_RECORD.dwVersion": unsafe.Offsetof(rec.Version),
		"PEER_RECORD.dwFlags": unsafe.Offsetof(rec.Flags), "PEER_RECORD.pwzCreatorId": unsafe.Offsetof(rec.CreatorID),
		"PEER_RECORD.pwzModifiedById": unsafe.Offsetof(rec.ModifiedByID), "PEER_RECORD.pwzAttributes": unsafe.Offsetof(rec.Attributes),
		"PEER_RECORD.ftCreation": unsafe.Offsetof(rec.Creation), "PEER_RECORD.ftExpiration": unsafe.Offsetof(rec.Expiration),
		"PEER_RECORD.ftLastModified": unsafe.Offsetof(rec.LastModified), "PEER_RECORD.securityData": unsafe.Offsetof(rec.SecurityData),
		"PEER_RECORD.data": unsafe.Offsetof(rec.Data),
		"PEER_ADDRESS":     unsafe.Sizeof(adr), "PEER_ADDRESS.dwSize": unsafe.Offsetof(adr.Size), "PEER_ADDRESS.sin6": unsafe.Offsetof(adr.Sin6),
		"PEER_CONNECTION_INFO": unsafe.Sizeof(ci), "PEER_CONNECTION_INFO.dwSize": unsafe.Offsetof(ci.Size),
		"PEER_CONNECTION_INFO.dwFlags": unsafe.Offsetof(ci.Flags), "PEER_CONNECTION_INFO.ullConnectionId": unsafe.Offsetof(ci.ConnectionID),
		"PEER_CONNECTION_INFO.ullNodeId": unsafe.Offsetof(ci.NodeID), "PEER_CONNECTION_INFO.pwzPeerId": unsafe.Offsetof(ci.PeerID),
		"PEER_CONNECTION_INFO.address": unsafe.Offsetof(ci.Address),
		"PEER_EVENT_INCOMING_DATA":     unsafe.Sizeof(in), "PEER_EVENT_INCOMING_DATA.dwSize": unsafe.Offsetof(in.Size),
		"PEER_EVENT_INCOMING_DATA.ullConnectionId": unsafe.Offsetof(in.ConnectionID),
		"PEER_EVENT_INCOMING_DATA.type":            unsafe.Offsetof(in.Type), "PEER_EVENT_INCOMING_DATA.data": unsafe.Offsetof(in.Data),
		"PEER_EVENT_RECORD_CHANGE_DATA": unsafe.Sizeof(rc), "PEER_EVENT_RECORD_CHANGE_DATA.dwSize": unsafe.Offsetof(rc.Size),
		"PEER_EVENT_RECORD_CHANGE_DATA.changeType": unsafe.Offsetof(rc.ChangeType),
		"PEER_EVENT_RECORD_CHANGE_DATA.recordId":   unsafe.Offsetof(rc.RecordID),
		"PEER_EVENT_RECORD_CHANGE_DATA.recordType": unsafe.Offsetof(rc.RecordType),
		"PEER_EVENT_CONNECTION_CHANGE_DATA":        unsafe.Sizeof(cc), "PEER_EVENT_CONNECTION_CHANGE_DATA.dwSize": unsafe.Offsetof(cc.Size),
		"PEER_EVENT_CONNECTION_CHANGE_DATA.status":                   unsafe.Offsetof(cc.Status),
		"PEER_EVENT_CONNECTION_CHANGE_DATA.ullConnectionId":          unsafe.Offsetof(cc.ConnectionID),
		"PEER_EVENT_CONNECTION_CHANGE_DATA.ullNodeId":                unsafe.Offsetof(cc.NodeID),
		"PEER_EVENT_CONNECTION_CHANGE_DATA.ullNextConnectionId":      unsafe.Offsetof(cc.NextConnectionID),
		"PEER_EVENT_CONNECTION_CHANGE_DATA.hrConnectionFailedReason": unsafe.Offsetof(cc.ConnectionFailedReason),
		"PEER_CREDENTIAL_INFO":                                       unsafe.Sizeof(cr), "PEER_CREDENTIAL_INFO.dwSize": unsafe.Offsetof(cr.Size),
		"PEER_CREDENTIAL_INFO.dwFlags": unsafe.Offsetof(cr.Flags), "PEER_CREDENTIAL_INFO.pwzFriendlyName": unsafe.Offsetof(cr.FriendlyName),
		"PEER_CREDENTIAL_INFO.pPublicKey": unsafe.Offsetof(cr.PublicKey), "PEER_CREDENTIAL_INFO.pwzIssuerPeerName": unsafe.Offsetof(cr.IssuerPeerName),
		"PEER_CREDENTIAL_INFO.pwzIssuerFriendlyName": unsafe.Offsetof(cr.IssuerFriendlyName),
		"PEER_CREDENTIAL_INFO.ftValidityStart":       unsafe.Offsetof(cr.ValidityStart),
		"PEER_CREDENTIAL_INFO.ftValidityEnd":         unsafe.Offsetof(cr.ValidityEnd),
		"PEER_CREDENTIAL_INFO.cRoles":                unsafe.Offsetof(cr.RoleCount), "PEER_CREDENTIAL_INFO.pRoles": unsafe.Offsetof(cr.Roles),
		"PEER_MEMBER": unsafe.Sizeof(mem), "PEER_MEMBER.dwSize": unsafe.Offsetof(mem.Size), "PEER_MEMBER.dwFlags": unsafe.Offsetof(mem.Flags),
		"PEER_MEMBER.pwzIdentity": unsafe.Offsetof(mem.Identity), "PEER_MEMBER.pwzAttributes": unsafe.Offsetof(mem.Attributes),
		"PEER_MEMBER.ullNodeId": unsafe.Offsetof(mem.NodeID), "PEER_MEMBER.cAddresses": unsafe.Offsetof(mem.AddressCount),
		"PEER_MEMBER.pAddresses": unsafe.Offsetof(mem.Addresses), "PEER_MEMBER.pCredentialInfo": unsafe.Offsetof(mem.CredentialInfo),
		"PEER_INVITATION_INFO": unsafe.Sizeof(inv), "PEER_INVITATION_INFO.dwSize": unsafe.Offsetof(inv.Size),
		"PEER_INVITATION_INFO.dwFlags": unsafe.Offsetof(inv.Flags), "PEER_INVITATION_INFO.pwzCloudName": unsafe.Offsetof(inv.CloudName),
		"PEER_INVITATION_INFO.dwScope": unsafe.Offsetof(inv.Scope), "PEER_INVITATION_INFO.dwCloudFlags": unsafe.Offsetof(inv.CloudFlags),
		"PEER_INVITATION_INFO.pwzGroupPeerName":       unsafe.Offsetof(inv.GroupPeerName),
		"PEER_INVITATION_INFO.pwzIssuerPeerName":      unsafe.Offsetof(inv.IssuerPeerName),
		"PEER_INVITATION_INFO.pwzSubjectPeerName":     unsafe.Offsetof(inv.SubjectPeerName),
		"PEER_INVITATION_INFO.pwzGroupFriendlyName":   unsafe.Offsetof(inv.GroupFriendlyName),
		"PEER_INVITATION_INFO.pwzIssuerFriendlyName":  unsafe.Offsetof(inv.IssuerFriendlyName),
		"PEER_INVITATION_INFO.pwzSubjectFriendlyName": unsafe.Offsetof(inv.SubjectFriendlyName),
		"PEER_INVITATION_INFO.ftValidityStart":        unsafe.Offsetof(inv.ValidityStart),
		"PEER_INVITATION_INFO.ftValidityEnd":          unsafe.Offsetof(inv.ValidityEnd),
		"PEER_INVITATION_INFO.cRoles":                 unsafe.Offsetof(inv.RoleCount), "PEER_INVITATION_INFO.pRoles": unsafe.Offsetof(inv.Roles),
		"PEER_INVITATION_INFO.cClassifiers":      unsafe.Offsetof(inv.ClassifierCount),
		"PEER_INVITATION_INFO.ppwzClassifiers":   unsafe.Offsetof(inv.Classifiers),
		"PEER_INVITATION_INFO.pSubjectPublicKey": unsafe.Offsetof(inv.SubjectPublicKey),
		"PEER_INVITATION_INFO.authScheme":        unsafe.Offsetof(inv.AuthScheme),
		"PEER_GROUP_PROPERTIES":                  unsafe.Sizeof(gp), "PEER_GROUP_PROPERTIES.dwSize": unsafe.Offsetof(gp.Size),
		"PEER_GROUP_PROPERTIES.dwFlags": unsafe.Offsetof(gp.Flags), "PEER_GROUP_PROPERTIES.pwzCloud": unsafe.Offsetof(gp.Cloud),
		"PEER_GROUP_PROPERTIES.pwzClassifier":           unsafe.Offsetof(gp.Classifier),
		"PEER_GROUP_PROPERTIES.pwzGroupPeerName":        unsafe.Offsetof(gp.GroupPeerName),
		"PEER_GROUP_PROPERTIES.pwzCreatorPeerName":      unsafe.Offsetof(gp.CreatorPeerName),
		"PEER_GROUP_PROPERTIES.pwzFriendlyName":         unsafe.Offsetof(gp.FriendlyName),
		"PEER_GROUP_PROPERTIES.pwzComment":              unsafe.Offsetof(gp.Comment),
		"PEER_GROUP_PROPERTIES.ulMemberDataLifetime":    unsafe.Offsetof(gp.MemberDataLifetime),
		"PEER_GROUP_PROPERTIES.ulPresenceLifetime":      unsafe.Offsetof(gp.PresenceLifetime),
		"PEER_GROUP_PROPERTIES.dwAuthenticationSchemes": unsafe.Offsetof(gp.AuthenticationSchemes),
		"PEER_GROUP_PROPERTIES.pwzGroupPassword":        unsafe.Offsetof(gp.GroupPassword),
		"PEER_GROUP_PROPERTIES.groupPasswordRole":       unsafe.Offsetof(gp.GroupPasswordRole),
		"PEER_EVENT_MEMBER_CHANGE_DATA":                 unsafe.Sizeof(mc), "PEER_EVENT_MEMBER_CHANGE_DATA.dwSize": unsafe.Offsetof(mc.Size),
		"PEER_EVENT_MEMBER_CHANGE_DATA.changeType":  unsafe.Offsetof(mc.ChangeType),
		"PEER_EVENT_MEMBER_CHANGE_DATA.pwzIdentity": unsafe.Offsetof(mc.Identity),
		"PEER_GROUP_EVENT_REGISTRATION":             unsafe.Sizeof(reg), "PEER_GROUP_EVENT_REGISTRATION.eventType": unsafe.Offsetof(reg.EventType),
		"PEER_GROUP_EVENT_REGISTRATION.pType": unsafe.Offsetof(reg.Type),
		"PEER_GROUP_EVENT_DATA":               unsafe.Sizeof(ev), "PEER_GROUP_EVENT_DATA.eventType": unsafe.Offsetof(ev.EventType),
		"PEER_GROUP_EVENT_DATA.dwStatus": union, "PEER_GROUP_EVENT_DATA.incomingData": union,
		"PEER_GROUP_EVENT_DATA.recordChangeData": union, "PEER_GROUP_EVENT_DATA.connectionChangeData": union,
		"PEER_GROUP_EVENT_DATA.memberChangeData": union, "PEER_GROUP_EVENT_DATA.hrConnectionFailedReason": union,
		"PEER_NAME_PAIR": unsafe.Sizeof(np), "PEER_NAME_PAIR.dwSize": unsafe.Offsetof(np.Size),
		"PEER_NAME_PAIR.pwzPeerName": unsafe.Offsetof(np.PeerName), "PEER_NAME_PAIR.pwzFriendlyName": unsafe.Offsetof(np.FriendlyName),
		"CERT_PUBLIC_KEY_INFO": unsafe.Sizeof(pk), "CERT_PUBLIC_KEY_INFO.Algorithm": unsafe.Offsetof(pk.Algorithm),
		"CERT_PUBLIC_KEY_INFO.PublicKey": unsafe.Offsetof(pk.PublicKey),
		"CRYPT_BIT_BLOB":                 unsafe.Sizeof(bb), "CRYPT_BIT_BLOB.cbData": unsafe.Offsetof(bb.Size),
		"CRYPT_BIT_BLOB.pbData": unsafe.Offsetof(bb.Data), "CRYPT_BIT_BLOB.cUnusedBits": unsafe.Offsetof(bb.UnusedBits),
		"CRYPT_ALGORITHM_IDENTIFIER": unsafe.Sizeof(ai), "CRYPT_ALGORITHM_IDENTIFIER.pszObjId": unsafe.Offsetof(ai.ObjID),
		"CRYPT_ALGORITHM_IDENTIFIER.Parameters": unsafe.Offsetof(ai.Parameters),
	}
}

// TestLayout checks three views of every structure against each other:
// Windows x64 (the reference numbers), the C compiler reading our p2p.h,
// and the Go mirrors the other tests use.
func TestLayout(t *testing.T) {
	c, g := CLayout(), goLayout()
	if len(c) != len(windowsX64) || len(g) != len(windowsX64) {
		t.Errorf("table sizes: C %d, Go %d, Windows %d", len(c), len(g), len(windowsX64))
	}
	for name, want := range windowsX64 {
		if got, ok := c[name]; !ok || got != want {
			t.Errorf("C %s = %d (present %v), Windows x64 %d", name, got, ok, want)
		}
		if got, ok := g[name]; !ok || got != want {
			t.Errorf("Go mirror %s = %d (present %v), Windows x64 %d", name, got, ok, want)
		}
	}
}

// TestLoaderTable checks that the loader resolves exactly the functions
// p2p.h declares: the 56 the other tests must all call.
func TestLoaderTable(t *testing.T) {
	want, err := headerFunctions()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 56 {
		t.Errorf("p2p.h declares %d functions, want 56: %v", len(want), want)
	}
	got := Functions()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("the loader resolves %v\np2p.h declares %v", got, want)
	}
}
