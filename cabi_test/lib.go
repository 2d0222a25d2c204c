//go:build linux

// Package cabi (directory cabi_test) calls the C ABI of the built shared library
// (build/libp2p.so) exactly as a C program would: it loads the library
// with dlopen, resolves each of the 56 functions of p2p.h with dlsym and
// calls them through function pointers whose types come from p2p.h
// itself, so a prototype that drifted from the header fails to compile.
//
// This file is the only one with cgo (test files cannot use it). It holds
// the loader, one C trampoline and one Go method per function, Go mirrors
// of the structures with their Windows x64 layout, and the C-side sizes
// and offsets the tests compare those mirrors with.
//
// A Go program that loads a Go c-shared library has two Go runtimes in one
// process, which Go does not promise to support. On Linux it works here
// because the library is linked -Bsymbolic and is loaded after the test
// binary's runtime has started; the tests additionally run each group of
// calls in a child process of its own (see run in helpers_test.go), so a
// failure stays contained and every group gets a fresh P2P_HOME.
package cabi

/*
#cgo CFLAGS: -I${SRCDIR}/..
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "p2p.h"

// P2P_FUNCS(X) lists every function of p2p.h: the table the loader
// resolves and the tests check against the header.
#define P2P_FUNCS(X) \
	X(PeerFreeData) X(PeerGetItemCount) X(PeerGetNextItem) X(PeerEndEnumeration) \
	X(PeerGroupStartup) X(PeerGroupShutdown) X(PeerGroupCreate) X(PeerGroupOpen) X(PeerGroupJoin) \
	X(PeerGroupConnect) X(PeerGroupClose) X(PeerGroupDelete) X(PeerGroupCreateInvitation) \
	X(PeerGroupParseInvitation) X(PeerGroupGetStatus) X(PeerGroupGetProperties) X(PeerGroupSetProperties) \
	X(PeerGroupEnumMembers) X(PeerGroupOpenDirectConnection) X(PeerGroupCloseDirectConnection) \
	X(PeerGroupEnumConnections) X(PeerGroupSendData) X(PeerGroupRegisterEvent) X(PeerGroupUnregisterEvent) \
	X(PeerGroupGetEventData) X(PeerGroupGetRecord) X(PeerGroupAddRecord) X(PeerGroupUpdateRecord) \
	X(PeerGroupDeleteRecord) X(PeerGroupEnumRecords) X(PeerGroupSearchRecords) X(PeerGroupExportDatabase) \
	X(PeerGroupImportDatabase) X(PeerGroupIssueCredentials) X(PeerGroupExportConfig) X(PeerGroupImportConfig) \
	X(PeerGroupPeerTimeToUniversalTime) X(PeerGroupUniversalTimeToPeerTime) X(PeerGroupPasswordJoin) \
	X(PeerGroupConnectByAddress) X(PeerGroupCreatePasswordInvitation) X(PeerGroupResumePasswordAuthentication) \
	X(PeerGroupHandlePowerEvent) \
	X(PeerIdentityCreate) X(PeerIdentityGetFriendlyName) X(PeerIdentitySetFriendlyName) \
	X(PeerIdentityGetCryptKey) X(PeerIdentityDelete) X(PeerEnumIdentities) X(PeerEnumGroups) \
	X(PeerCreatePeerName) X(PeerIdentityGetXML) X(PeerIdentityExport) X(PeerIdentityImport) \
	X(PeerIdentityGetDefault) X(PeerIdentityGetCert)

// api holds one pointer per function, each of the exact type p2p.h
// declares (__typeof__ of the declaration; nothing links against it).
#define P2P_DECL(n) __typeof__(n) *n;
static struct { P2P_FUNCS(P2P_DECL) } api;

#define P2P_NAME(n) #n,
static const char *const p2p_names[] = { P2P_FUNCS(P2P_NAME) };
static int p2p_count(void) { return (int)(sizeof p2p_names / sizeof p2p_names[0]); }
static const char *p2p_name(int i) { return p2p_names[i]; }

// p2p_load opens the library and resolves every function; it returns NULL
// or the error (dlerror text, or the first missing symbol).
static const char *p2p_load(const char *path) {
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) return dlerror();
#define P2P_LOAD(n) if (!(api.n = (__typeof__(n) *)dlsym(lib, #n))) return "missing symbol " #n;
	P2P_FUNCS(P2P_LOAD)
	return NULL;
}

// Trampolines: cgo cannot call C function pointers. Handles travel as
// uintptr_t, because Go must not hold them as pointers.
static VOID call_PeerFreeData(LPCVOID pvData) { api.PeerFreeData(pvData); }
// An address this process does not own, as a bad argument.
static PVOID unmapped(void) { return (PVOID)(uintptr_t)0x7ff0dead0000ull; }
static HRESULT call_PeerGetItemCount(uintptr_t hPeerEnum, ULONG *pCount) { return api.PeerGetItemCount((HPEERENUM)hPeerEnum, pCount); }
static HRESULT call_PeerGetNextItem(uintptr_t hPeerEnum, ULONG *pCount, PVOID **pppvItems) { return api.PeerGetNextItem((HPEERENUM)hPeerEnum, pCount, pppvItems); }
static HRESULT call_PeerEndEnumeration(uintptr_t hPeerEnum) { return api.PeerEndEnumeration((HPEERENUM)hPeerEnum); }
static HRESULT call_PeerGroupStartup(WORD wVersionRequested, PPEER_VERSION_DATA pVersionData) { return api.PeerGroupStartup(wVersionRequested, pVersionData); }
static HRESULT call_PeerGroupShutdown(void) { return api.PeerGroupShutdown(); }
static HRESULT call_PeerGroupCreate(PPEER_GROUP_PROPERTIES pProperties, HGROUP *phGroup) { return api.PeerGroupCreate(pProperties, phGroup); }
static HRESULT call_PeerGroupOpen(PCWSTR pwzIdentity, PCWSTR pwzGroupPeerName, PCWSTR pwzCloud, HGROUP *phGroup) { return api.PeerGroupOpen(pwzIdentity, pwzGroupPeerName, pwzCloud, phGroup); }
static HRESULT call_PeerGroupJoin(PCWSTR pwzIdentity, PCWSTR pwzInvitation, PCWSTR pwzCloud, HGROUP *phGroup) { return api.PeerGroupJoin(pwzIdentity, pwzInvitation, pwzCloud, phGroup); }
static HRESULT call_PeerGroupConnect(uintptr_t hGroup) { return api.PeerGroupConnect((HGROUP)hGroup); }
static HRESULT call_PeerGroupClose(uintptr_t hGroup) { return api.PeerGroupClose((HGROUP)hGroup); }
static HRESULT call_PeerGroupDelete(PCWSTR pwzIdentity, PCWSTR pwzGroupPeerName) { return api.PeerGroupDelete(pwzIdentity, pwzGroupPeerName); }
static HRESULT call_PeerGroupCreateInvitation(uintptr_t hGroup, PCWSTR pwzIdentityInfo, FILETIME *pftExpiration, ULONG cRoles, const GUID *pRoles, PWSTR *ppwzInvitation) { return api.PeerGroupCreateInvitation((HGROUP)hGroup, pwzIdentityInfo, pftExpiration, cRoles, pRoles, ppwzInvitation); }
static HRESULT call_PeerGroupParseInvitation(PCWSTR pwzInvitation, PPEER_INVITATION_INFO *ppInvitationInfo) { return api.PeerGroupParseInvitation(pwzInvitation, ppInvitationInfo); }
static HRESULT call_PeerGroupGetStatus(uintptr_t hGroup, DWORD *pdwStatus) { return api.PeerGroupGetStatus((HGROUP)hGroup, pdwStatus); }
static HRESULT call_PeerGroupGetProperties(uintptr_t hGroup, PPEER_GROUP_PROPERTIES *ppProperties) { return api.PeerGroupGetProperties((HGROUP)hGroup, ppProperties); }
static HRESULT call_PeerGroupSetProperties(uintptr_t hGroup, PPEER_GROUP_PROPERTIES pProperties) { return api.PeerGroupSetProperties((HGROUP)hGroup, pProperties); }
static HRESULT call_PeerGroupEnumMembers(uintptr_t hGroup, DWORD dwFlags, PCWSTR pwzIdentity, HPEERENUM *phPeerEnum) { return api.PeerGroupEnumMembers((HGROUP)hGroup, dwFlags, pwzIdentity, phPeerEnum); }
static HRESULT call_PeerGroupOpenDirectConnection(uintptr_t hGroup, PCWSTR pwzIdentity, PPEER_ADDRESS pAddress, ULONGLONG *pullConnectionId) { return api.PeerGroupOpenDirectConnection((HGROUP)hGroup, pwzIdentity, pAddress, pullConnectionId); }
static HRESULT call_PeerGroupCloseDirectConnection(uintptr_t hGroup, ULONGLONG ullConnectionId) { return api.PeerGroupCloseDirectConnection((HGROUP)hGroup, ullConnectionId); }
static HRESULT call_PeerGroupEnumConnections(uintptr_t hGroup, DWORD dwFlags, HPEERENUM *phPeerEnum) { return api.PeerGroupEnumConnections((HGROUP)hGroup, dwFlags, phPeerEnum); }
static HRESULT call_PeerGroupSendData(uintptr_t hGroup, ULONGLONG ullConnectionId, const GUID *pType, ULONG cbData, PVOID pvData) { return api.PeerGroupSendData((HGROUP)hGroup, ullConnectionId, pType, cbData, pvData); }
static HRESULT call_PeerGroupRegisterEvent(uintptr_t hGroup, uintptr_t hEvent, DWORD cEventRegistration, PEER_GROUP_EVENT_REGISTRATION *pEventRegistrations, HPEEREVENT *phPeerEvent) { return api.PeerGroupRegisterEvent((HGROUP)hGroup, (HANDLE)hEvent, cEventRegistration, pEventRegistrations, phPeerEvent); }
static HRESULT call_PeerGroupUnregisterEvent(uintptr_t hPeerEvent) { return api.PeerGroupUnregisterEvent((HPEEREVENT)hPeerEvent); }
static HRESULT call_PeerGroupGetEventData(uintptr_t hPeerEvent, PPEER_GROUP_EVENT_DATA *ppEventData) { return api.PeerGroupGetEventData((HPEEREVENT)hPeerEvent, ppEventData); }
static HRESULT call_PeerGroupGetRecord(uintptr_t hGroup, const GUID *pRecordId, PPEER_RECORD *ppRecord) { return api.PeerGroupGetRecord((HGROUP)hGroup, pRecordId, ppRecord); }
static HRESULT call_PeerGroupAddRecord(uintptr_t hGroup, PPEER_RECORD pRecord, GUID *pRecordId) { return api.PeerGroupAddRecord((HGROUP)hGroup, pRecord, pRecordId); }
static HRESULT call_PeerGroupUpdateRecord(uintptr_t hGroup, PPEER_RECORD pRecord) { return api.PeerGroupUpdateRecord((HGROUP)hGroup, pRecord); }
static HRESULT call_PeerGroupDeleteRecord(uintptr_t hGroup, const GUID *pRecordId) { return api.PeerGroupDeleteRecord((HGROUP)hGroup, pRecordId); }
static HRESULT call_PeerGroupEnumRecords(uintptr_t hGroup, const GUID *pRecordType, HPEERENUM *phPeerEnum) { return api.PeerGroupEnumRecords((HGROUP)hGroup, pRecordType, phPeerEnum); }
static HRESULT call_PeerGroupSearchRecords(uintptr_t hGroup, PCWSTR pwzCriteria, HPEERENUM *phPeerEnum) { return api.PeerGroupSearchRecords((HGROUP)hGroup, pwzCriteria, phPeerEnum); }
static HRESULT call_PeerGroupExportDatabase(uintptr_t hGroup, PCWSTR pwzFilePath) { return api.PeerGroupExportDatabase((HGROUP)hGroup, pwzFilePath); }
static HRESULT call_PeerGroupImportDatabase(uintptr_t hGroup, PCWSTR pwzFilePath) { return api.PeerGroupImportDatabase((HGROUP)hGroup, pwzFilePath); }
static HRESULT call_PeerGroupIssueCredentials(uintptr_t hGroup, PCWSTR pwzSubjectIdentity, PEER_CREDENTIAL_INFO *pCredentialInfo, DWORD dwFlags, PWSTR *ppwzInvitation) { return api.PeerGroupIssueCredentials((HGROUP)hGroup, pwzSubjectIdentity, pCredentialInfo, dwFlags, ppwzInvitation); }
static HRESULT call_PeerGroupExportConfig(uintptr_t hGroup, PCWSTR pwzPassword, PWSTR *ppwzXML) { return api.PeerGroupExportConfig((HGROUP)hGroup, pwzPassword, ppwzXML); }
static HRESULT call_PeerGroupImportConfig(PCWSTR pwzXML, PCWSTR pwzPassword, WINBOOL fOverwrite, PWSTR *ppwzIdentity, PWSTR *ppwzGroup) { return api.PeerGroupImportConfig(pwzXML, pwzPassword, fOverwrite, ppwzIdentity, ppwzGroup); }
static HRESULT call_PeerGroupPeerTimeToUniversalTime(uintptr_t hGroup, FILETIME *pftPeerTime, FILETIME *pftUniversalTime) { return api.PeerGroupPeerTimeToUniversalTime((HGROUP)hGroup, pftPeerTime, pftUniversalTime); }
static HRESULT call_PeerGroupUniversalTimeToPeerTime(uintptr_t hGroup, FILETIME *pftUniversalTime, FILETIME *pftPeerTime) { return api.PeerGroupUniversalTimeToPeerTime((HGROUP)hGroup, pftUniversalTime, pftPeerTime); }
static HRESULT call_PeerGroupPasswordJoin(PCWSTR pwzIdentity, PCWSTR pwzInvitation, PCWSTR pwzPassword, PCWSTR pwzCloud, HGROUP *phGroup) { return api.PeerGroupPasswordJoin(pwzIdentity, pwzInvitation, pwzPassword, pwzCloud, phGroup); }
static HRESULT call_PeerGroupConnectByAddress(uintptr_t hGroup, ULONG cAddresses, PPEER_ADDRESS pAddresses) { return api.PeerGroupConnectByAddress((HGROUP)hGroup, cAddresses, pAddresses); }
static HRESULT call_PeerGroupCreatePasswordInvitation(uintptr_t hGroup, PWSTR *ppwzInvitation) { return api.PeerGroupCreatePasswordInvitation((HGROUP)hGroup, ppwzInvitation); }
static HRESULT call_PeerGroupResumePasswordAuthentication(uintptr_t hGroup, uintptr_t hPeerEventHandle) { return api.PeerGroupResumePasswordAuthentication((HGROUP)hGroup, (HPEEREVENT)hPeerEventHandle); }
static HRESULT call_PeerIdentityCreate(PCWSTR pwzClassifier, PCWSTR pwzFriendlyName, HCRYPTPROV hCryptProv, PWSTR *ppwzIdentity) { return api.PeerIdentityCreate(pwzClassifier, pwzFriendlyName, hCryptProv, ppwzIdentity); }
static HRESULT call_PeerIdentityGetFriendlyName(PCWSTR pwzIdentity, PWSTR *ppwzFriendlyName) { return api.PeerIdentityGetFriendlyName(pwzIdentity, ppwzFriendlyName); }
static HRESULT call_PeerIdentitySetFriendlyName(PCWSTR pwzIdentity, PCWSTR pwzFriendlyName) { return api.PeerIdentitySetFriendlyName(pwzIdentity, pwzFriendlyName); }
static HRESULT call_PeerIdentityGetCryptKey(PCWSTR pwzIdentity, HCRYPTPROV *phCryptProv) { return api.PeerIdentityGetCryptKey(pwzIdentity, phCryptProv); }
static HRESULT call_PeerIdentityDelete(PCWSTR pwzIdentity) { return api.PeerIdentityDelete(pwzIdentity); }
static HRESULT call_PeerEnumIdentities(HPEERENUM *phPeerEnum) { return api.PeerEnumIdentities(phPeerEnum); }
static HRESULT call_PeerEnumGroups(PCWSTR pwzIdentity, HPEERENUM *phPeerEnum) { return api.PeerEnumGroups(pwzIdentity, phPeerEnum); }
static HRESULT call_PeerCreatePeerName(PCWSTR pwzIdentity, PCWSTR pwzClassifier, PWSTR *ppwzPeerName) { return api.PeerCreatePeerName(pwzIdentity, pwzClassifier, ppwzPeerName); }
static HRESULT call_PeerIdentityGetXML(PCWSTR pwzIdentity, PWSTR *ppwzIdentityXML) { return api.PeerIdentityGetXML(pwzIdentity, ppwzIdentityXML); }
static HRESULT call_PeerIdentityExport(PCWSTR pwzIdentity, PCWSTR pwzPassword, PWSTR *ppwzExportXML) { return api.PeerIdentityExport(pwzIdentity, pwzPassword, ppwzExportXML); }
static HRESULT call_PeerIdentityImport(PCWSTR pwzImportXML, PCWSTR pwzPassword, PWSTR *ppwzIdentity) { return api.PeerIdentityImport(pwzImportXML, pwzPassword, ppwzIdentity); }
static HRESULT call_PeerIdentityGetDefault(PWSTR *ppwzPeerName) { return api.PeerIdentityGetDefault(ppwzPeerName); }
static HRESULT call_PeerIdentityGetCert(PCWSTR pwzIdentity, PPEER_DATA *ppCertificate) { return api.PeerIdentityGetCert(pwzIdentity, ppCertificate); }
static HRESULT call_PeerGroupHandlePowerEvent(DWORD dwPowerEvent) { return api.PeerGroupHandlePowerEvent(dwPowerEvent); }

// The C side's sizes and offsets, named "STRUCT" and "STRUCT.field".
typedef struct { const char *name; size_t value; } p2p_layout;
#define S(T) { #T, sizeof(T) },
#define O(T, f) { #T "." #f, offsetof(T, f) },
static const p2p_layout p2p_layouts[] = {
	S(GUID) S(FILETIME) S(SOCKADDR_IN6)
	S(PEER_VERSION_DATA) O(PEER_VERSION_DATA, wVersion) O(PEER_VERSION_DATA, wHighestVersion)
	S(PEER_DATA) O(PEER_DATA, cbData) O(PEER_DATA, pbData)
	S(PEER_RECORD) O(PEER_RECORD, dwSize) O(PEER_RECORD, type) O(PEER_RECORD, id) O(PEER_RECORD, dwVersion)
	O(PEER_RECORD, dwFlags) O(PEER_RECORD, pwzCreatorId) O(PEER_RECORD, pwzModifiedById) O(PEER_RECORD, pwzAttributes)
	O(PEER_RECORD, ftCreation) O(PEER_RECORD, ftExpiration) O(PEER_RECORD, ftLastModified)
	O(PEER_RECORD, securityData) O(PEER_RECORD, data)
	S(PEER_ADDRESS) O(PEER_ADDRESS, dwSize) O(PEER_ADDRESS, sin6)
	S(PEER_CONNECTION_INFO) O(PEER_CONNECTION_INFO, dwSize) O(PEER_CONNECTION_INFO, dwFlags)
	O(PEER_CONNECTION_INFO, ullConnectionId) O(PEER_CONNECTION_INFO, ullNodeId) O(PEER_CONNECTION_INFO, pwzPeerId)
	O(PEER_CONNECTION_INFO, address)
	S(PEER_EVENT_INCOMING_DATA) O(PEER_EVENT_INCOMING_DATA, dwSize) O(PEER_EVENT_INCOMING_DATA, ullConnectionId)
	O(PEER_EVENT_INCOMING_DATA, type) O(PEER_EVENT_INCOMING_DATA, data)
	S(PEER_EVENT_RECORD_CHANGE_DATA) O(PEER_EVENT_RECORD_CHANGE_DATA, dwSize) O(PEER_EVENT_RECORD_CHANGE_DATA, changeType)
	O(PEER_EVENT_RECORD_CHANGE_DATA, recordId) O(PEER_EVENT_RECORD_CHANGE_DATA, recordType)
	S(PEER_EVENT_CONNECTION_CHANGE_DATA) O(PEER_EVENT_CONNECTION_CHANGE_DATA, dwSize) O(PEER_EVENT_CONNECTION_CHANGE_DATA, status)
	O(PEER_EVENT_CONNECTION_CHANGE_DATA, ullConnectionId) O(PEER_EVENT_CONNECTION_CHANGE_DATA, ullNodeId)
	O(PEER_EVENT_CONNECTION_CHANGE_DATA, ullNextConnectionId) O(PEER_EVENT_CONNECTION_CHANGE_DATA, hrConnectionFailedReason)
	S(PEER_CREDENTIAL_INFO) O(PEER_CREDENTIAL_INFO, dwSize) O(PEER_CREDENTIAL_INFO, dwFlags)
	O(PEER_CREDENTIAL_INFO, pwzFriendlyName) O(PEER_CREDENTIAL_INFO, pPublicKey) O(PEER_CREDENTIAL_INFO, pwzIssuerPeerName)
	O(PEER_CREDENTIAL_INFO, pwzIssuerFriendlyName) O(PEER_CREDENTIAL_INFO, ftValidityStart)
	O(PEER_CREDENTIAL_INFO, ftValidityEnd) O(PEER_CREDENTIAL_INFO, cRoles) O(PEER_CREDENTIAL_INFO, pRoles)
	S(PEER_MEMBER) O(PEER_MEMBER, dwSize) O(PEER_MEMBER, dwFlags) O(PEER_MEMBER, pwzIdentity) O(PEER_MEMBER, pwzAttributes)
	O(PEER_MEMBER, ullNodeId) O(PEER_MEMBER, cAddresses) O(PEER_MEMBER, pAddresses) O(PEER_MEMBER, pCredentialInfo)
	S(PEER_INVITATION_INFO) O(PEER_INVITATION_INFO, dwSize) O(PEER_INVITATION_INFO, dwFlags)
	O(PEER_INVITATION_INFO, pwzCloudName) O(PEER_INVITATION_INFO, dwScope) O(PEER_INVITATION_INFO, dwCloudFlags)
	O(PEER_INVITATION_INFO, pwzGroupPeerName) O(PEER_INVITATION_INFO, pwzIssuerPeerName)
	O(PEER_INVITATION_INFO, pwzSubjectPeerName) O(PEER_INVITATION_INFO, pwzGroupFriendlyName)
	O(PEER_INVITATION_INFO, pwzIssuerFriendlyName) O(PEER_INVITATION_INFO, pwzSubjectFriendlyName)
	O(PEER_INVITATION_INFO, ftValidityStart) O(PEER_INVITATION_INFO, ftValidityEnd) O(PEER_INVITATION_INFO, cRoles)
	O(PEER_INVITATION_INFO, pRoles) O(PEER_INVITATION_INFO, cClassifiers) O(PEER_INVITATION_INFO, ppwzClassifiers)
	O(PEER_INVITATION_INFO, pSubjectPublicKey) O(PEER_INVITATION_INFO, authScheme)
	S(PEER_GROUP_PROPERTIES) O(PEER_GROUP_PROPERTIES, dwSize) O(PEER_GROUP_PROPERTIES, dwFlags)
	O(PEER_GROUP_PROPERTIES, pwzCloud) O(PEER_GROUP_PROPERTIES, pwzClassifier) O(PEER_GROUP_PROPERTIES, pwzGroupPeerName)
	O(PEER_GROUP_PROPERTIES, pwzCreatorPeerName) O(PEER_GROUP_PROPERTIES, pwzFriendlyName)
	O(PEER_GROUP_PROPERTIES, pwzComment) O(PEER_GROUP_PROPERTIES, ulMemberDataLifetime)
	O(PEER_GROUP_PROPERTIES, ulPresenceLifetime) O(PEER_GROUP_PROPERTIES, dwAuthenticationSchemes)
	O(PEER_GROUP_PROPERTIES, pwzGroupPassword) O(PEER_GROUP_PROPERTIES, groupPasswordRole)
	S(PEER_EVENT_MEMBER_CHANGE_DATA) O(PEER_EVENT_MEMBER_CHANGE_DATA, dwSize) O(PEER_EVENT_MEMBER_CHANGE_DATA, changeType)
	O(PEER_EVENT_MEMBER_CHANGE_DATA, pwzIdentity)
	S(PEER_GROUP_EVENT_REGISTRATION) O(PEER_GROUP_EVENT_REGISTRATION, eventType) O(PEER_GROUP_EVENT_REGISTRATION, pType)
	S(PEER_GROUP_EVENT_DATA) O(PEER_GROUP_EVENT_DATA, eventType) O(PEER_GROUP_EVENT_DATA, dwStatus)
	O(PEER_GROUP_EVENT_DATA, incomingData) O(PEER_GROUP_EVENT_DATA, recordChangeData)
	O(PEER_GROUP_EVENT_DATA, connectionChangeData) O(PEER_GROUP_EVENT_DATA, memberChangeData)
	O(PEER_GROUP_EVENT_DATA, hrConnectionFailedReason)
	S(PEER_NAME_PAIR) O(PEER_NAME_PAIR, dwSize) O(PEER_NAME_PAIR, pwzPeerName) O(PEER_NAME_PAIR, pwzFriendlyName)
	S(CERT_PUBLIC_KEY_INFO) O(CERT_PUBLIC_KEY_INFO, Algorithm) O(CERT_PUBLIC_KEY_INFO, PublicKey)
	S(CRYPT_BIT_BLOB) O(CRYPT_BIT_BLOB, cbData) O(CRYPT_BIT_BLOB, pbData) O(CRYPT_BIT_BLOB, cUnusedBits)
	S(CRYPT_ALGORITHM_IDENTIFIER) O(CRYPT_ALGORITHM_IDENTIFIER, pszObjId) O(CRYPT_ALGORITHM_IDENTIFIER, Parameters)
};
static int p2p_layout_count(void) { return (int)(sizeof p2p_layouts / sizeof p2p_layouts[0]); }
static const char *p2p_layout_name(int i) { return p2p_layouts[i].name; }
static size_t p2p_layout_value(int i) { return p2p_layouts[i].value; }
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// HRESULT is the return code of every function but PeerFreeData.
type HRESULT int32

// Handle is an HGROUP, HPEEREVENT or HPEERENUM, or a HANDLE (a file
// descriptor on POSIX). It is an integer, never a Go pointer: the library's
// handles are opaque values, not addresses.
type Handle uintptr

// WStr is a PCWSTR or PWSTR: a NUL-terminated UTF-16 string in C memory
// (see Alloc), or one the library returned.
type WStr unsafe.Pointer

// GUID is the Windows GUID (16 bytes, Data1..3 little-endian in memory).
type GUID struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// FileTime is FILETIME: 100 ns intervals since 1601-01-01 UTC.
type FileTime struct{ Low, High uint32 }

// PeerVersionData is PEER_VERSION_DATA.
type PeerVersionData struct{ Version, HighestVersion uint16 }

// PeerData is PEER_DATA.
type PeerData struct {
	Size uint32
	Data unsafe.Pointer
}

// PeerRecord is PEER_RECORD.
type PeerRecord struct {
	Size                               uint32
	Type, ID                           GUID
	Version, Flags                     uint32
	CreatorID, ModifiedByID            WStr
	Attributes                         WStr
	Creation, Expiration, LastModified FileTime
	SecurityData, Data                 PeerData
}

// SockaddrIn6 is Windows' SOCKADDR_IN6 (28 bytes).
type SockaddrIn6 struct {
	Family   uint16
	Port     uint16 // network byte order
	FlowInfo uint32
	Addr     [16]byte
	ScopeID  uint32
}

// PeerAddress is PEER_ADDRESS.
type PeerAddress struct {
	Size uint32
	Sin6 SockaddrIn6
}

// PeerConnectionInfo is PEER_CONNECTION_INFO.
type PeerConnectionInfo struct {
	Size, Flags  uint32
	ConnectionID uint64
	NodeID       uint64
	PeerID       WStr
	Address      PeerAddress
}

// PeerEventIncomingData is PEER_EVENT_INCOMING_DATA.
type PeerEventIncomingData struct {
	Size         uint32
	ConnectionID uint64
	Type         GUID
	Data         PeerData
}

// PeerEventRecordChangeData is PEER_EVENT_RECORD_CHANGE_DATA.
type PeerEventRecordChangeData struct {
	Size                 uint32
	ChangeType           int32
	RecordID, RecordType GUID
}

// PeerEventConnectionChangeData is PEER_EVENT_CONNECTION_CHANGE_DATA.
type PeerEventConnectionChangeData struct {
	Size                   uint32
	Status                 int32
	ConnectionID           uint64
	NodeID                 uint64
	NextConnectionID       uint64
	ConnectionFailedReason HRESULT
}

// PeerEventMemberChangeData is PEER_EVENT_MEMBER_CHANGE_DATA.
type PeerEventMemberChangeData struct {
	Size       uint32
	ChangeType int32
	Identity   WStr
}

// CryptBitBlob is CRYPT_BIT_BLOB.
type CryptBitBlob struct {
	Size       uint32
	Data       unsafe.Pointer
	UnusedBits uint32
}

// CryptAlgorithmIdentifier is CRYPT_ALGORITHM_IDENTIFIER.
type CryptAlgorithmIdentifier struct {
	ObjID      unsafe.Pointer // char *
	Parameters PeerData       // CRYPT_OBJID_BLOB has PEER_DATA's layout
}

// CertPublicKeyInfo is CERT_PUBLIC_KEY_INFO.
type CertPublicKeyInfo struct {
	Algorithm CryptAlgorithmIdentifier
	PublicKey CryptBitBlob
}

// PeerCredentialInfo is PEER_CREDENTIAL_INFO.
type PeerCredentialInfo struct {
	Size, Flags                uint32
	FriendlyName               WStr
	PublicKey                  *CertPublicKeyInfo // C memory only
	IssuerPeerName             WStr
	IssuerFriendlyName         WStr
	ValidityStart, ValidityEnd FileTime
	RoleCount                  uint32
	Roles                      *GUID // C memory only
}

// PeerMember is PEER_MEMBER.
type PeerMember struct {
	Size, Flags    uint32
	Identity       WStr
	Attributes     WStr
	NodeID         uint64
	AddressCount   uint32
	Addresses      *PeerAddress
	CredentialInfo *PeerCredentialInfo
}

// PeerInvitationInfo is PEER_INVITATION_INFO.
type PeerInvitationInfo struct {
	Size, Flags                uint32
	CloudName                  WStr
	Scope, CloudFlags          uint32
	GroupPeerName              WStr
	IssuerPeerName             WStr
	SubjectPeerName            WStr
	GroupFriendlyName          WStr
	IssuerFriendlyName         WStr
	SubjectFriendlyName        WStr
	ValidityStart, ValidityEnd FileTime
	RoleCount                  uint32
	Roles                      *GUID
	ClassifierCount            uint32
	Classifiers                *WStr
	SubjectPublicKey           *CertPublicKeyInfo
	AuthScheme                 int32
}

// PeerGroupProperties is PEER_GROUP_PROPERTIES.
type PeerGroupProperties struct {
	Size, Flags           uint32
	Cloud                 WStr
	Classifier            WStr
	GroupPeerName         WStr
	CreatorPeerName       WStr
	FriendlyName          WStr
	Comment               WStr
	MemberDataLifetime    uint32
	PresenceLifetime      uint32
	AuthenticationSchemes uint32
	GroupPassword         WStr
	GroupPasswordRole     GUID
}

// PeerGroupEventRegistration is PEER_GROUP_EVENT_REGISTRATION.
type PeerGroupEventRegistration struct {
	EventType int32
	Type      *GUID // C memory only, or nil
}

// PeerGroupEventData is PEER_GROUP_EVENT_DATA; the union starts at
// offset 8 and is read through the accessor for the event's type.
type PeerGroupEventData struct {
	EventType int32
	_         uint32
	union     [6]uint64
}

// Status is the union's dwStatus (STATUS_CHANGED).
func (e *PeerGroupEventData) Status() uint32 { return *(*uint32)(unsafe.Pointer(&e.union)) }

// RecordChange is the union's recordChangeData (RECORD_CHANGED).
func (e *PeerGroupEventData) RecordChange() *PeerEventRecordChangeData {
	return (*PeerEventRecordChangeData)(unsafe.Pointer(&e.union))
}

// ConnectionChange is the union's connectionChangeData
// (DIRECT_CONNECTION, NEIGHBOR_CONNECTION).
func (e *PeerGroupEventData) ConnectionChange() *PeerEventConnectionChangeData {
	return (*PeerEventConnectionChangeData)(unsafe.Pointer(&e.union))
}

// IncomingData is the union's incomingData (INCOMING_DATA).
func (e *PeerGroupEventData) IncomingData() *PeerEventIncomingData {
	return (*PeerEventIncomingData)(unsafe.Pointer(&e.union))
}

// MemberChange is the union's memberChangeData (MEMBER_CHANGED).
func (e *PeerGroupEventData) MemberChange() *PeerEventMemberChangeData {
	return (*PeerEventMemberChangeData)(unsafe.Pointer(&e.union))
}

// FailedReason is the union's hrConnectionFailedReason (CONNECTION_FAILED,
// AUTHENTICATION_FAILED).
func (e *PeerGroupEventData) FailedReason() HRESULT { return *(*HRESULT)(unsafe.Pointer(&e.union)) }

// PeerNamePair is PEER_NAME_PAIR.
type PeerNamePair struct {
	Size         uint32
	PeerName     WStr
	FriendlyName WStr
}

// Lib is the loaded library and the set of functions called through it.
// A process loads one library only: a Go c-shared library cannot be
// unloaded (it is marked NODELETE).
type Lib struct {
	mu     sync.Mutex
	called map[string]bool
}

// note records that the function name was called.
func (l *Lib) note(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.called[name] = true
}

// Called returns the names of the functions called so far.
func (l *Lib) Called() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	names := make([]string, 0, len(l.called))
	for n := range l.called {
		names = append(names, n)
	}
	return names
}

// loadOnce guards the process-wide dlopen of the library.
var loadOnce struct {
	sync.Mutex
	path string
	err  error
}

// Open loads the shared library at path and resolves every function. A
// process can load only one library path.
func Open(path string) (*Lib, error) {
	loadOnce.Lock()
	defer loadOnce.Unlock()
	if loadOnce.path == "" {
		loadOnce.path = path
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		if e := C.p2p_load(cpath); e != nil {
			loadOnce.err = fmt.Errorf("load %s: %s", path, C.GoString(e))
		}
	} else if loadOnce.path != path {
		return nil, fmt.Errorf("load %s: this process already loaded %s", path, loadOnce.path)
	}
	if loadOnce.err != nil {
		return nil, loadOnce.err
	}
	return &Lib{called: make(map[string]bool)}, nil
}

// Functions lists the names of the functions the loader resolves.
func Functions() []string {
	n := int(C.p2p_count())
	names := make([]string, n)
	for i := range names {
		names[i] = C.GoString(C.p2p_name(C.int(i)))
	}
	return names
}

// CLayout is the C compiler's view of p2p.h: sizeof for "STRUCT" and
// offsetof for "STRUCT.field".
func CLayout() map[string]uintptr {
	n := int(C.p2p_layout_count())
	m := make(map[string]uintptr, n)
	for i := range n {
		m[C.GoString(C.p2p_layout_name(C.int(i)))] = uintptr(C.p2p_layout_value(C.int(i)))
	}
	return m
}

// Alloc returns n zeroed bytes of C memory, which the library may keep
// pointers to during a call (Go memory must not hold such pointers).
func Alloc(n int) unsafe.Pointer { return C.calloc(C.size_t(max(n, 1)), 1) }

// Free releases memory from Alloc.
func Free(p unsafe.Pointer) { C.free(p) }

func b(h C.HRESULT) HRESULT { return HRESULT(h) }

func ws(p WStr) C.PCWSTR { return (*C.WCHAR)(p) }

// ---- Common calls ----

// Unmapped is an address this process does not own, which a call must
// refuse with E_POINTER rather than crash on.
func Unmapped() unsafe.Pointer { return unsafe.Pointer(C.unmapped()) }

// PeerFreeData calls PeerFreeData.
func (l *Lib) PeerFreeData(p unsafe.Pointer) {
	l.note("PeerFreeData")
	C.call_PeerFreeData(C.LPCVOID(p))
}

// PeerGetItemCount calls PeerGetItemCount.
func (l *Lib) PeerGetItemCount(e Handle, count *uint32) HRESULT {
	l.note("PeerGetItemCount")
	return b(C.call_PeerGetItemCount(C.uintptr_t(e), (*C.ULONG)(count)))
}

// PeerGetNextItem calls PeerGetNextItem; *items receives the array.
func (l *Lib) PeerGetNextItem(e Handle, count *uint32, items *unsafe.Pointer) HRESULT {
	l.note("PeerGetNextItem")
	return b(C.call_PeerGetNextItem(C.uintptr_t(e), (*C.ULONG)(count), (**C.PVOID)(unsafe.Pointer(items))))
}

// PeerEndEnumeration calls PeerEndEnumeration.
func (l *Lib) PeerEndEnumeration(e Handle) HRESULT {
	l.note("PeerEndEnumeration")
	return b(C.call_PeerEndEnumeration(C.uintptr_t(e)))
}

// ---- Grouping ----

// PeerGroupStartup calls PeerGroupStartup.
func (l *Lib) PeerGroupStartup(version uint16, data *PeerVersionData) HRESULT {
	l.note("PeerGroupStartup")
	return b(C.call_PeerGroupStartup(C.WORD(version), (*C.PEER_VERSION_DATA)(unsafe.Pointer(data))))
}

// PeerGroupShutdown calls PeerGroupShutdown.
func (l *Lib) PeerGroupShutdown() HRESULT {
	l.note("PeerGroupShutdown")
	return b(C.call_PeerGroupShutdown())
}

// PeerGroupCreate calls PeerGroupCreate.
func (l *Lib) PeerGroupCreate(props *PeerGroupProperties, g *Handle) HRESULT {
	l.note("PeerGroupCreate")
	return b(C.call_PeerGroupCreate((*C.PEER_GROUP_PROPERTIES)(unsafe.Pointer(props)), (*C.HGROUP)(unsafe.Pointer(g))))
}

// PeerGroupOpen calls PeerGroupOpen.
func (l *Lib) PeerGroupOpen(identity, group, cloud WStr, g *Handle) HRESULT {
	l.note("PeerGroupOpen")
	return b(C.call_PeerGroupOpen(ws(identity), ws(group), ws(cloud), (*C.HGROUP)(unsafe.Pointer(g))))
}

// PeerGroupJoin calls PeerGroupJoin.
func (l *Lib) PeerGroupJoin(identity, invitation, cloud WStr, g *Handle) HRESULT {
	l.note("PeerGroupJoin")
	return b(C.call_PeerGroupJoin(ws(identity), ws(invitation), ws(cloud), (*C.HGROUP)(unsafe.Pointer(g))))
}

// PeerGroupConnect calls PeerGroupConnect.
func (l *Lib) PeerGroupConnect(g Handle) HRESULT {
	l.note("PeerGroupConnect")
	return b(C.call_PeerGroupConnect(C.uintptr_t(g)))
}

// PeerGroupClose calls PeerGroupClose.
func (l *Lib) PeerGroupClose(g Handle) HRESULT {
	l.note("PeerGroupClose")
	return b(C.call_PeerGroupClose(C.uintptr_t(g)))
}

// PeerGroupDelete calls PeerGroupDelete.
func (l *Lib) PeerGroupDelete(identity, group WStr) HRESULT {
	l.note("PeerGroupDelete")
	return b(C.call_PeerGroupDelete(ws(identity), ws(group)))
}

// PeerGroupCreateInvitation calls PeerGroupCreateInvitation.
func (l *Lib) PeerGroupCreateInvitation(g Handle, identityXML WStr, expiration *FileTime, roleCount uint32, roles *GUID, invitation *WStr) HRESULT {
	l.note("PeerGroupCreateInvitation")
	return b(C.call_PeerGroupCreateInvitation(C.uintptr_t(g), ws(identityXML), (*C.FILETIME)(unsafe.Pointer(expiration)),
		C.ULONG(roleCount), (*C.GUID)(unsafe.Pointer(roles)), (*C.PWSTR)(unsafe.Pointer(invitation))))
}

// PeerGroupParseInvitation calls PeerGroupParseInvitation.
func (l *Lib) PeerGroupParseInvitation(invitation WStr, info **PeerInvitationInfo) HRESULT {
	l.note("PeerGroupParseInvitation")
	return b(C.call_PeerGroupParseInvitation(ws(invitation), (*C.PPEER_INVITATION_INFO)(unsafe.Pointer(info))))
}

// PeerGroupGetStatus calls PeerGroupGetStatus.
func (l *Lib) PeerGroupGetStatus(g Handle, status *uint32) HRESULT {
	l.note("PeerGroupGetStatus")
	return b(C.call_PeerGroupGetStatus(C.uintptr_t(g), (*C.DWORD)(status)))
}

// PeerGroupGetProperties calls PeerGroupGetProperties.
func (l *Lib) PeerGroupGetProperties(g Handle, props **PeerGroupProperties) HRESULT {
	l.note("PeerGroupGetProperties")
	return b(C.call_PeerGroupGetProperties(C.uintptr_t(g), (*C.PPEER_GROUP_PROPERTIES)(unsafe.Pointer(props))))
}

// PeerGroupSetProperties calls PeerGroupSetProperties.
func (l *Lib) PeerGroupSetProperties(g Handle, props *PeerGroupProperties) HRESULT {
	l.note("PeerGroupSetProperties")
	return b(C.call_PeerGroupSetProperties(C.uintptr_t(g), (*C.PEER_GROUP_PROPERTIES)(unsafe.Pointer(props))))
}

// PeerGroupEnumMembers calls PeerGroupEnumMembers.
func (l *Lib) PeerGroupEnumMembers(g Handle, flags uint32, identity WStr, e *Handle) HRESULT {
	l.note("PeerGroupEnumMembers")
	return b(C.call_PeerGroupEnumMembers(C.uintptr_t(g), C.DWORD(flags), ws(identity), (*C.HPEERENUM)(unsafe.Pointer(e))))
}

// PeerGroupOpenDirectConnection calls PeerGroupOpenDirectConnection.
func (l *Lib) PeerGroupOpenDirectConnection(g Handle, identity WStr, addr *PeerAddress, id *uint64) HRESULT {
	l.note("PeerGroupOpenDirectConnection")
	return b(C.call_PeerGroupOpenDirectConnection(C.uintptr_t(g), ws(identity), (*C.PEER_ADDRESS)(unsafe.Pointer(addr)),
		(*C.ULONGLONG)(unsafe.Pointer(id))))
}

// PeerGroupCloseDirectConnection calls PeerGroupCloseDirectConnection.
func (l *Lib) PeerGroupCloseDirectConnection(g Handle, id uint64) HRESULT {
	l.note("PeerGroupCloseDirectConnection")
	return b(C.call_PeerGroupCloseDirectConnection(C.uintptr_t(g), C.ULONGLONG(id)))
}

// PeerGroupEnumConnections calls PeerGroupEnumConnections.
func (l *Lib) PeerGroupEnumConnections(g Handle, flags uint32, e *Handle) HRESULT {
	l.note("PeerGroupEnumConnections")
	return b(C.call_PeerGroupEnumConnections(C.uintptr_t(g), C.DWORD(flags), (*C.HPEERENUM)(unsafe.Pointer(e))))
}

// PeerGroupSendData calls PeerGroupSendData; data must be C memory or nil.
func (l *Lib) PeerGroupSendData(g Handle, id uint64, typ *GUID, size uint32, data unsafe.Pointer) HRESULT {
	l.note("PeerGroupSendData")
	return b(C.call_PeerGroupSendData(C.uintptr_t(g), C.ULONGLONG(id), (*C.GUID)(unsafe.Pointer(typ)), C.ULONG(size), C.PVOID(data)))
}

// PeerGroupRegisterEvent calls PeerGroupRegisterEvent; regs must be C
// memory when their Type pointers are set.
func (l *Lib) PeerGroupRegisterEvent(g Handle, event Handle, count uint32, regs *PeerGroupEventRegistration, he *Handle) HRESULT {
	l.note("PeerGroupRegisterEvent")
	return b(C.call_PeerGroupRegisterEvent(C.uintptr_t(g), C.uintptr_t(event), C.DWORD(count),
		(*C.PEER_GROUP_EVENT_REGISTRATION)(unsafe.Pointer(regs)), (*C.HPEEREVENT)(unsafe.Pointer(he))))
}

// PeerGroupUnregisterEvent calls PeerGroupUnregisterEvent.
func (l *Lib) PeerGroupUnregisterEvent(he Handle) HRESULT {
	l.note("PeerGroupUnregisterEvent")
	return b(C.call_PeerGroupUnregisterEvent(C.uintptr_t(he)))
}

// PeerGroupGetEventData calls PeerGroupGetEventData.
func (l *Lib) PeerGroupGetEventData(he Handle, data **PeerGroupEventData) HRESULT {
	l.note("PeerGroupGetEventData")
	return b(C.call_PeerGroupGetEventData(C.uintptr_t(he), (*C.PPEER_GROUP_EVENT_DATA)(unsafe.Pointer(data))))
}

// PeerGroupGetRecord calls PeerGroupGetRecord.
func (l *Lib) PeerGroupGetRecord(g Handle, id *GUID, rec **PeerRecord) HRESULT {
	l.note("PeerGroupGetRecord")
	return b(C.call_PeerGroupGetRecord(C.uintptr_t(g), (*C.GUID)(unsafe.Pointer(id)), (*C.PPEER_RECORD)(unsafe.Pointer(rec))))
}

// PeerGroupAddRecord calls PeerGroupAddRecord.
func (l *Lib) PeerGroupAddRecord(g Handle, rec *PeerRecord, id *GUID) HRESULT {
	l.note("PeerGroupAddRecord")
	return b(C.call_PeerGroupAddRecord(C.uintptr_t(g), (*C.PEER_RECORD)(unsafe.Pointer(rec)), (*C.GUID)(unsafe.Pointer(id))))
}

// PeerGroupUpdateRecord calls PeerGroupUpdateRecord.
func (l *Lib) PeerGroupUpdateRecord(g Handle, rec *PeerRecord) HRESULT {
	l.note("PeerGroupUpdateRecord")
	return b(C.call_PeerGroupUpdateRecord(C.uintptr_t(g), (*C.PEER_RECORD)(unsafe.Pointer(rec))))
}

// PeerGroupDeleteRecord calls PeerGroupDeleteRecord.
func (l *Lib) PeerGroupDeleteRecord(g Handle, id *GUID) HRESULT {
	l.note("PeerGroupDeleteRecord")
	return b(C.call_PeerGroupDeleteRecord(C.uintptr_t(g), (*C.GUID)(unsafe.Pointer(id))))
}

// PeerGroupEnumRecords calls PeerGroupEnumRecords.
func (l *Lib) PeerGroupEnumRecords(g Handle, typ *GUID, e *Handle) HRESULT {
	l.note("PeerGroupEnumRecords")
	return b(C.call_PeerGroupEnumRecords(C.uintptr_t(g), (*C.GUID)(unsafe.Pointer(typ)), (*C.HPEERENUM)(unsafe.Pointer(e))))
}

// PeerGroupSearchRecords calls PeerGroupSearchRecords.
func (l *Lib) PeerGroupSearchRecords(g Handle, criteria WStr, e *Handle) HRESULT {
	l.note("PeerGroupSearchRecords")
	return b(C.call_PeerGroupSearchRecords(C.uintptr_t(g), ws(criteria), (*C.HPEERENUM)(unsafe.Pointer(e))))
}

// PeerGroupExportDatabase calls PeerGroupExportDatabase.
func (l *Lib) PeerGroupExportDatabase(g Handle, path WStr) HRESULT {
	l.note("PeerGroupExportDatabase")
	return b(C.call_PeerGroupExportDatabase(C.uintptr_t(g), ws(path)))
}

// PeerGroupImportDatabase calls PeerGroupImportDatabase.
func (l *Lib) PeerGroupImportDatabase(g Handle, path WStr) HRESULT {
	l.note("PeerGroupImportDatabase")
	return b(C.call_PeerGroupImportDatabase(C.uintptr_t(g), ws(path)))
}

// PeerGroupIssueCredentials calls PeerGroupIssueCredentials; info must
// be C memory or nil when its pointers are set.
func (l *Lib) PeerGroupIssueCredentials(g Handle, subject WStr, info *PeerCredentialInfo, flags uint32, invitation *WStr) HRESULT {
	l.note("PeerGroupIssueCredentials")
	return b(C.call_PeerGroupIssueCredentials(C.uintptr_t(g), ws(subject), (*C.PEER_CREDENTIAL_INFO)(unsafe.Pointer(info)),
		C.DWORD(flags), (*C.PWSTR)(unsafe.Pointer(invitation))))
}

// PeerGroupExportConfig calls PeerGroupExportConfig.
func (l *Lib) PeerGroupExportConfig(g Handle, password WStr, xml *WStr) HRESULT {
	l.note("PeerGroupExportConfig")
	return b(C.call_PeerGroupExportConfig(C.uintptr_t(g), ws(password), (*C.PWSTR)(unsafe.Pointer(xml))))
}

// PeerGroupImportConfig calls PeerGroupImportConfig.
func (l *Lib) PeerGroupImportConfig(xml, password WStr, overwrite bool, identity, group *WStr) HRESULT {
	l.note("PeerGroupImportConfig")
	var o C.WINBOOL
	if overwrite {
		o = 1
	}
	return b(C.call_PeerGroupImportConfig(ws(xml), ws(password), o, (*C.PWSTR)(unsafe.Pointer(identity)), (*C.PWSTR)(unsafe.Pointer(group))))
}

// PeerGroupPeerTimeToUniversalTime calls PeerGroupPeerTimeToUniversalTime.
func (l *Lib) PeerGroupPeerTimeToUniversalTime(g Handle, peer, universal *FileTime) HRESULT {
	l.note("PeerGroupPeerTimeToUniversalTime")
	return b(C.call_PeerGroupPeerTimeToUniversalTime(C.uintptr_t(g), (*C.FILETIME)(unsafe.Pointer(peer)), (*C.FILETIME)(unsafe.Pointer(universal))))
}

// PeerGroupUniversalTimeToPeerTime calls PeerGroupUniversalTimeToPeerTime.
func (l *Lib) PeerGroupUniversalTimeToPeerTime(g Handle, universal, peer *FileTime) HRESULT {
	l.note("PeerGroupUniversalTimeToPeerTime")
	return b(C.call_PeerGroupUniversalTimeToPeerTime(C.uintptr_t(g), (*C.FILETIME)(unsafe.Pointer(universal)), (*C.FILETIME)(unsafe.Pointer(peer))))
}

// PeerGroupPasswordJoin calls PeerGroupPasswordJoin.
func (l *Lib) PeerGroupPasswordJoin(identity, invitation, password, cloud WStr, g *Handle) HRESULT {
	l.note("PeerGroupPasswordJoin")
	return b(C.call_PeerGroupPasswordJoin(ws(identity), ws(invitation), ws(password), ws(cloud), (*C.HGROUP)(unsafe.Pointer(g))))
}

// PeerGroupConnectByAddress calls PeerGroupConnectByAddress.
func (l *Lib) PeerGroupConnectByAddress(g Handle, count uint32, addrs *PeerAddress) HRESULT {
	l.note("PeerGroupConnectByAddress")
	return b(C.call_PeerGroupConnectByAddress(C.uintptr_t(g), C.ULONG(count), (*C.PEER_ADDRESS)(unsafe.Pointer(addrs))))
}

// PeerGroupCreatePasswordInvitation calls PeerGroupCreatePasswordInvitation.
func (l *Lib) PeerGroupCreatePasswordInvitation(g Handle, invitation *WStr) HRESULT {
	l.note("PeerGroupCreatePasswordInvitation")
	return b(C.call_PeerGroupCreatePasswordInvitation(C.uintptr_t(g), (*C.PWSTR)(unsafe.Pointer(invitation))))
}

// PeerGroupResumePasswordAuthentication calls PeerGroupResumePasswordAuthentication.
func (l *Lib) PeerGroupResumePasswordAuthentication(g Handle, he Handle) HRESULT {
	l.note("PeerGroupResumePasswordAuthentication")
	return b(C.call_PeerGroupResumePasswordAuthentication(C.uintptr_t(g), C.uintptr_t(he)))
}

// ---- Identity Manager ----

// PeerIdentityCreate calls PeerIdentityCreate.
func (l *Lib) PeerIdentityCreate(classifier, friendly WStr, prov uintptr, identity *WStr) HRESULT {
	l.note("PeerIdentityCreate")
	return b(C.call_PeerIdentityCreate(ws(classifier), ws(friendly), C.HCRYPTPROV(prov), (*C.PWSTR)(unsafe.Pointer(identity))))
}

// PeerIdentityGetFriendlyName calls PeerIdentityGetFriendlyName.
func (l *Lib) PeerIdentityGetFriendlyName(identity WStr, friendly *WStr) HRESULT {
	l.note("PeerIdentityGetFriendlyName")
	return b(C.call_PeerIdentityGetFriendlyName(ws(identity), (*C.PWSTR)(unsafe.Pointer(friendly))))
}

// PeerIdentitySetFriendlyName calls PeerIdentitySetFriendlyName.
func (l *Lib) PeerIdentitySetFriendlyName(identity, friendly WStr) HRESULT {
	l.note("PeerIdentitySetFriendlyName")
	return b(C.call_PeerIdentitySetFriendlyName(ws(identity), ws(friendly)))
}

// PeerIdentityGetCryptKey calls PeerIdentityGetCryptKey.
func (l *Lib) PeerIdentityGetCryptKey(identity WStr, prov *uintptr) HRESULT {
	l.note("PeerIdentityGetCryptKey")
	return b(C.call_PeerIdentityGetCryptKey(ws(identity), (*C.HCRYPTPROV)(unsafe.Pointer(prov))))
}

// PeerIdentityDelete calls PeerIdentityDelete.
func (l *Lib) PeerIdentityDelete(identity WStr) HRESULT {
	l.note("PeerIdentityDelete")
	return b(C.call_PeerIdentityDelete(ws(identity)))
}

// PeerEnumIdentities calls PeerEnumIdentities.
func (l *Lib) PeerEnumIdentities(e *Handle) HRESULT {
	l.note("PeerEnumIdentities")
	return b(C.call_PeerEnumIdentities((*C.HPEERENUM)(unsafe.Pointer(e))))
}

// PeerEnumGroups calls PeerEnumGroups.
func (l *Lib) PeerEnumGroups(identity WStr, e *Handle) HRESULT {
	l.note("PeerEnumGroups")
	return b(C.call_PeerEnumGroups(ws(identity), (*C.HPEERENUM)(unsafe.Pointer(e))))
}

// PeerCreatePeerName calls PeerCreatePeerName.
func (l *Lib) PeerCreatePeerName(identity, classifier WStr, name *WStr) HRESULT {
	l.note("PeerCreatePeerName")
	return b(C.call_PeerCreatePeerName(ws(identity), ws(classifier), (*C.PWSTR)(unsafe.Pointer(name))))
}

// PeerIdentityGetXML calls PeerIdentityGetXML.
func (l *Lib) PeerIdentityGetXML(identity WStr, xml *WStr) HRESULT {
	l.note("PeerIdentityGetXML")
	return b(C.call_PeerIdentityGetXML(ws(identity), (*C.PWSTR)(unsafe.Pointer(xml))))
}

// PeerIdentityGetCert calls PeerIdentityGetCert.
func (l *Lib) PeerIdentityGetCert(identity WStr, cert **PeerData) HRESULT {
	l.note("PeerIdentityGetCert")
	return b(C.call_PeerIdentityGetCert(ws(identity), (*C.PPEER_DATA)(unsafe.Pointer(cert))))
}

// PeerGroupHandlePowerEvent calls PeerGroupHandlePowerEvent.
func (l *Lib) PeerGroupHandlePowerEvent(event uint32) HRESULT {
	l.note("PeerGroupHandlePowerEvent")
	return b(C.call_PeerGroupHandlePowerEvent(C.DWORD(event)))
}

// PeerIdentityExport calls PeerIdentityExport.
func (l *Lib) PeerIdentityExport(identity, password WStr, xml *WStr) HRESULT {
	l.note("PeerIdentityExport")
	return b(C.call_PeerIdentityExport(ws(identity), ws(password), (*C.PWSTR)(unsafe.Pointer(xml))))
}

// PeerIdentityImport calls PeerIdentityImport.
func (l *Lib) PeerIdentityImport(xml, password WStr, identity *WStr) HRESULT {
	l.note("PeerIdentityImport")
	return b(C.call_PeerIdentityImport(ws(xml), ws(password), (*C.PWSTR)(unsafe.Pointer(identity))))
}

// PeerIdentityGetDefault calls PeerIdentityGetDefault.
func (l *Lib) PeerIdentityGetDefault(name *WStr) HRESULT {
	l.note("PeerIdentityGetDefault")
	return b(C.call_PeerIdentityGetDefault((*C.PWSTR)(unsafe.Pointer(name))))
}
