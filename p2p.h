/*
 * p2p.h - public header of the portable Peer Grouping library
 * (libp2p.so on Linux and other POSIX systems, p2p.dll on Windows).
 *
 * It declares the Windows Peer Grouping API, the Peer Identity Manager API
 * and the common calls of Microsoft's p2p.h (PeerFreeData and the
 * enumeration calls): the same names, prototypes, structures, constants and
 * HRESULT values. Graph, Collaboration and PNRP are not part of it.
 *
 * Rules that hold on every OS:
 *  - WCHAR is UTF-16: uint16_t in C and char16_t in C++, so u"..." string
 *    literals work in both (C11 and C++11; in C99 build strings by hand).
 *    Never pass wchar_t strings on POSIX, where wchar_t is 32 bits.
 *  - Every struct has the size and field offsets of Windows x64, so one
 *    set of P/Invoke or ctypes declarations serves every platform.
 *  - Every string, structure or array the library returns is one
 *    allocation, freed with one call to PeerFreeData.
 *  - Events: PeerGroupRegisterEvent signals the HANDLE it is given each
 *    time it queues an event; the application then calls
 *    PeerGroupGetEventData until it returns PEER_S_NO_EVENT_DATA. On
 *    Windows the HANDLE is a Win32 event object (the library calls
 *    SetEvent). On POSIX it is a file descriptor cast to HANDLE, e.g.
 *    (HANDLE)(intptr_t)fd: an eventfd, a pipe's write end or a socket (not
 *    descriptor 0, which is the NULL HANDLE); the library writes the 8-byte
 *    integer 1 to it when events are queued, so wait for it with
 *    poll/select/epoll and drain it before reading events.
 *  - PEER_ADDRESS holds a SOCKADDR_IN6 in Windows layout (28 bytes). The
 *    address family value differs between systems (AF_INET6 is 23 on
 *    Windows, 10 on Linux, 30 on macOS): the library accepts either the
 *    Windows value or the platform's native AF_INET6 on input and writes
 *    the platform's native AF_INET6 on output. Port and address are in
 *    network byte order, as in the sockets API.
 *
 * On POSIX the header defines the Windows base types it needs with fixed
 * widths (DWORD = uint32_t, ULONGLONG = uint64_t, HRESULT = int32_t...).
 * Each typedef is skipped when the guard macro the Windows SDK or mingw-w64
 * uses for it is already defined, and the widths are checked at compile
 * time, so a conflicting definition fails loudly instead of silently
 * changing the layout.
 *
 * On Windows (_WIN32) it includes <winsock2.h>, <ws2tcpip.h>, <windows.h>
 * and <wincrypt.h> and declares only what those lack. Only x64 is
 * supported there (on 32-bit x86 the platform's calling convention is
 * stdcall and the library's exports are cdecl).
 *
 * Coexistence with the platform's own <p2p.h> on Windows (mingw-w64's,
 * whose include guard is _P2P_H_):
 *  - If it was included first, this header checks that it declared the
 *    Windows 7 Grouping and Identity API (it refuses with #error
 *    otherwise), keeps its types, and adds what it lacks: the PEER_E_* and
 *    PEER_S_* codes, the role GUIDs as values that need no library, and a
 *    redeclaration of every function (which the compiler checks against the
 *    platform's prototypes).
 *  - If this header comes first, it defines the platform header's include
 *    guard _P2P_H_, so a later #include of the platform <p2p.h> adds
 *    nothing but extern declarations of the role GUIDs, which resolve to
 *    ours (not its Graph, Collaboration or PNRP parts: include the platform
 *    header first if you need those).
 *
 * PEER_GROUP_ROLE_ADMIN, PEER_GROUP_ROLE_MEMBER and
 * PEER_GROUP_ROLE_INVITING_MEMBER are static constants of every translation
 * unit (macros naming them), usable by value in C and C++ with nothing to
 * link (the platform's header declares them extern, defined only by a unit
 * that includes it under INITGUID).
 */
#ifndef P2P_PORTABLE_P2P_H
#define P2P_PORTABLE_P2P_H

/* ------------------------------------------------------------------ */
/* Compiler helpers                                                    */
/* ------------------------------------------------------------------ */

#if defined(__GNUC__) || defined(__clang__)
#define P2P_UNUSED_ __attribute__((unused))
#else
#define P2P_UNUSED_
#endif

/* Nameless unions are standard in C11 and C++; GCC accepts them in C99
 * without a -pedantic warning when marked __extension__. */
#if defined(__GNUC__) && !defined(__cplusplus)
#define P2P_NAMELESS_ __extension__
#else
#define P2P_NAMELESS_
#endif

#if defined(__cplusplus) && __cplusplus >= 201103L
#define P2P_STATIC_ASSERT_(cond, name) static_assert(cond, #name)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define P2P_STATIC_ASSERT_(cond, name) _Static_assert(cond, #name)
#else
#define P2P_STATIC_ASSERT_(cond, name) typedef char p2p_static_assert_##name[(cond) ? 1 : -1]
#endif

/* ------------------------------------------------------------------ */
/* Base types                                                          */
/* ------------------------------------------------------------------ */

#if defined(_WIN32)

#if defined(_P2P_H_)
/* The platform's p2p.h came first: use its types (see the top comment). */
#define P2P_PLATFORM_P2P_H_FIRST_ 1
#else
#define _P2P_H_ 1
#endif

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <wincrypt.h>

#if defined(P2P_PLATFORM_P2P_H_FIRST_) && \
    (defined(NO_P2P_GROUP) || defined(NO_P2P_IDENTITY) || !defined(NTDDI_VERSION) || NTDDI_VERSION < 0x06010000)
#error "the platform <p2p.h> was included without the Windows 7 Grouping/Identity API: include this p2p.h instead, or set NTDDI_VERSION >= 0x06010000 first"
#endif

/* WINBOOL is mingw-w64's name for the Win32 BOOL; the Windows SDK lacks it. */
#if !defined(__MINGW32__) && !defined(_DEF_WINBOOL_)
#define _DEF_WINBOOL_
typedef BOOL WINBOOL;
#endif

#else /* !_WIN32: the Windows types, with Windows x64 widths */

#include <stdint.h>

#ifndef VOID
#define VOID void
#endif

#if !defined(_MINWINDEF_) && !defined(_WINDEF_)
typedef uint8_t BYTE;
typedef BYTE *PBYTE;
typedef uint16_t WORD;
typedef uint32_t DWORD;
typedef uint32_t ULONG;
typedef int32_t BOOL;
typedef void *PVOID;
typedef void *HANDLE;
typedef char *LPSTR;
#endif

#ifndef _DEF_WINBOOL_
#define _DEF_WINBOOL_
typedef int32_t WINBOOL;
#endif

#ifndef _LPCVOID_DEFINED
#define _LPCVOID_DEFINED
typedef const void *LPCVOID;
#endif

#if !defined(_MINWINDEF_) && !defined(_WINDEF_)
/* 8-byte aligned even where the C ABI aligns 64-bit integers to 4 (i386),
 * as Windows does. */
#if defined(__GNUC__) || defined(__clang__)
typedef uint64_t ULONGLONG __attribute__((aligned(8)));
#else
typedef uint64_t ULONGLONG;
#endif
#endif

#ifndef __WCHAR_DEFINED
#define __WCHAR_DEFINED
#if defined(__cplusplus)
typedef char16_t WCHAR;
#else
typedef uint16_t WCHAR;
#endif
typedef WCHAR *PWSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *PCWSTR;
typedef const WCHAR *LPCWSTR;
#endif

#ifndef _HRESULT_DEFINED
#define _HRESULT_DEFINED
typedef int32_t HRESULT;
#endif

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;
#endif

#ifndef __LPGUID_DEFINED__
#define __LPGUID_DEFINED__
typedef GUID *LPGUID;
#endif

#ifndef __LPCGUID_DEFINED__
#define __LPCGUID_DEFINED__
typedef const GUID *LPCGUID;
#endif

#ifndef _FILETIME_
#define _FILETIME_
/* 100-nanosecond intervals since 1601-01-01 UTC, low part first. */
typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;
#endif

#ifndef HCRYPTPROV_DEFINED
#define HCRYPTPROV_DEFINED
/* A CryptoAPI provider on Windows; unused elsewhere (pass 0). */
typedef uintptr_t HCRYPTPROV;
#endif

#ifndef P2P_IN6_ADDR_DEFINED
#define P2P_IN6_ADDR_DEFINED
/* Windows' IN6_ADDR and SOCKADDR_IN6 (28 bytes), under their own struct
 * tags so that they never clash with <netinet/in.h>. */
typedef struct p2p_in6_addr {
    union {
        BYTE Byte[16];
        WORD Word[8];
    } u;
} IN6_ADDR, *PIN6_ADDR;

typedef struct p2p_sockaddr_in6 {
    uint16_t sin6_family;    /* AF_INET6: see the top comment */
    uint16_t sin6_port;      /* network byte order */
    ULONG sin6_flowinfo;
    IN6_ADDR sin6_addr;
    ULONG sin6_scope_id;
} SOCKADDR_IN6, *PSOCKADDR_IN6;
#endif

#ifndef CRYPTO_BLOBS_DEFINED
#define CRYPTO_BLOBS_DEFINED
typedef struct _CRYPTOAPI_BLOB {
    DWORD cbData;
    BYTE *pbData;
} CRYPT_INTEGER_BLOB, CRYPT_OBJID_BLOB, CRYPT_DATA_BLOB;
#endif

#ifndef P2P_CERT_PUBLIC_KEY_INFO_DEFINED
#define P2P_CERT_PUBLIC_KEY_INFO_DEFINED
/* The wincrypt.h structures a PEER_CREDENTIAL_INFO or PEER_INVITATION_INFO
 * points to: the subject's public key as an X.509 SubjectPublicKeyInfo
 * (algorithm OID and parameters, DER key bits). */
typedef struct _CRYPT_BIT_BLOB {
    DWORD cbData;
    BYTE *pbData;
    DWORD cUnusedBits;
} CRYPT_BIT_BLOB, *PCRYPT_BIT_BLOB;

typedef struct _CRYPT_ALGORITHM_IDENTIFIER {
    LPSTR pszObjId;
    CRYPT_OBJID_BLOB Parameters;
} CRYPT_ALGORITHM_IDENTIFIER, *PCRYPT_ALGORITHM_IDENTIFIER;

typedef struct _CERT_PUBLIC_KEY_INFO {
    CRYPT_ALGORITHM_IDENTIFIER Algorithm;
    CRYPT_BIT_BLOB PublicKey;
} CERT_PUBLIC_KEY_INFO, *PCERT_PUBLIC_KEY_INFO;
#endif

/* The widths every layout depends on, whoever defined the types. */
P2P_STATIC_ASSERT_(sizeof(BYTE) == 1, byte_is_1_byte);
P2P_STATIC_ASSERT_(sizeof(WORD) == 2, word_is_2_bytes);
P2P_STATIC_ASSERT_(sizeof(DWORD) == 4, dword_is_4_bytes);
P2P_STATIC_ASSERT_(sizeof(ULONG) == 4, ulong_is_4_bytes);
P2P_STATIC_ASSERT_(sizeof(BOOL) == 4, bool_is_4_bytes);
P2P_STATIC_ASSERT_(sizeof(WINBOOL) == 4, winbool_is_4_bytes);
P2P_STATIC_ASSERT_(sizeof(ULONGLONG) == 8, ulonglong_is_8_bytes);
P2P_STATIC_ASSERT_(sizeof(WCHAR) == 2, wchar_is_utf16);
P2P_STATIC_ASSERT_(sizeof(HRESULT) == 4, hresult_is_4_bytes);
P2P_STATIC_ASSERT_(sizeof(GUID) == 16, guid_is_16_bytes);
P2P_STATIC_ASSERT_(sizeof(FILETIME) == 8, filetime_is_8_bytes);
P2P_STATIC_ASSERT_(sizeof(SOCKADDR_IN6) == 28, sockaddr_in6_is_28_bytes);

/* HRESULT helpers and the generic codes the API returns (winerror.h). */
#ifndef SUCCEEDED
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#endif
#ifndef FAILED
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#endif
#ifndef FACILITY_WIN32
#define FACILITY_WIN32 7
#endif
#ifndef HRESULT_FROM_WIN32
#define HRESULT_FROM_WIN32(x) \
    ((HRESULT)(x) <= 0 ? (HRESULT)(x) : (HRESULT)(((uint32_t)(x) & 0x0000FFFFu) | ((uint32_t)FACILITY_WIN32 << 16) | 0x80000000u))
#endif
#ifndef ERROR_FILE_NOT_FOUND
#define ERROR_FILE_NOT_FOUND 2L
#endif
#ifndef S_OK
#define S_OK ((HRESULT)0x00000000L)
#endif
#ifndef E_NOTIMPL
#define E_NOTIMPL ((HRESULT)0x80004001L)
#endif
#ifndef E_POINTER
#define E_POINTER ((HRESULT)0x80004003L)
#endif
#ifndef E_FAIL
#define E_FAIL ((HRESULT)0x80004005L)
#endif
#ifndef E_UNEXPECTED
#define E_UNEXPECTED ((HRESULT)0x8000FFFFL)
#endif
#ifndef E_ACCESSDENIED
#define E_ACCESSDENIED ((HRESULT)0x80070005L)
#endif
#ifndef E_HANDLE
#define E_HANDLE ((HRESULT)0x80070006L)
#endif
#ifndef E_OUTOFMEMORY
#define E_OUTOFMEMORY ((HRESULT)0x8007000EL)
#endif
#ifndef E_INVALIDARG
#define E_INVALIDARG ((HRESULT)0x80070057L)
#endif

#ifndef MAKEWORD
#define MAKEWORD(a, b) ((WORD)(((BYTE)(((uintptr_t)(a)) & 0xff)) | ((WORD)((BYTE)(((uintptr_t)(b)) & 0xff))) << 8))
#endif
#ifndef LOBYTE
#define LOBYTE(w) ((BYTE)(((uintptr_t)(w)) & 0xff))
#endif
#ifndef HIBYTE
#define HIBYTE(w) ((BYTE)((((uintptr_t)(w)) >> 8) & 0xff))
#endif

#endif /* !_WIN32 */

#ifdef __cplusplus
extern "C" {
#endif

#ifndef P2P_PLATFORM_P2P_H_FIRST_

/* ------------------------------------------------------------------ */
/* Types shared by Grouping and Identity (order of the Windows header) */
/* ------------------------------------------------------------------ */

typedef enum peer_record_change_type_tag {
    PEER_RECORD_ADDED = 1,
    PEER_RECORD_UPDATED = 2,
    PEER_RECORD_DELETED = 3,
    PEER_RECORD_EXPIRED = 4
} PEER_RECORD_CHANGE_TYPE;

typedef enum peer_connection_status_tag {
    PEER_CONNECTED = 1,
    PEER_DISCONNECTED = 2,
    PEER_CONNECTION_FAILED = 3
} PEER_CONNECTION_STATUS;

typedef enum peer_connection_flags_tag {
    PEER_CONNECTION_NEIGHBOR = 0x0001,
    PEER_CONNECTION_DIRECT = 0x0002
} PEER_CONNECTION_FLAGS;

typedef enum peer_record_flags_tag {
    PEER_RECORD_FLAG_AUTOREFRESH = 0x0001,
    PEER_RECORD_FLAG_DELETED = 0x0002
} PEER_RECORD_FLAGS;

/* An event registration (PeerGroupRegisterEvent). */
typedef void *HPEEREVENT;
typedef HPEEREVENT *PHPEEREVENT;
/* An enumeration (PeerEnum*, PeerGroupEnum*, PeerGroupSearchRecords). */
typedef void *HPEERENUM;
typedef HPEERENUM *PHPEERENUM;

typedef struct peer_version_data_tag {
    WORD wVersion;
    WORD wHighestVersion;
} PEER_VERSION_DATA, *PPEER_VERSION_DATA;

typedef struct peer_data_tag {
    ULONG cbData;
    PBYTE pbData;
} PEER_DATA, *PPEER_DATA;

typedef const PEER_DATA *PCPEER_DATA;

typedef struct peer_record_tag {
    DWORD dwSize;
    GUID type;
    GUID id;
    DWORD dwVersion;
    DWORD dwFlags;
    PWSTR pwzCreatorId;
    PWSTR pwzModifiedById;
    PWSTR pwzAttributes;
    FILETIME ftCreation;
    FILETIME ftExpiration;
    FILETIME ftLastModified;
    PEER_DATA securityData;
    PEER_DATA data;
} PEER_RECORD, *PPEER_RECORD;

typedef struct peer_address_tag {
    DWORD dwSize;
    SOCKADDR_IN6 sin6;
} PEER_ADDRESS, *PPEER_ADDRESS;

typedef const PEER_ADDRESS *PCPEER_ADDRESS;

typedef struct peer_connection_info_tag {
    DWORD dwSize;
    DWORD dwFlags;
    ULONGLONG ullConnectionId;
    ULONGLONG ullNodeId;
    PWSTR pwzPeerId;
    PEER_ADDRESS address;
} PEER_CONNECTION_INFO;

typedef struct peer_event_incoming_data_tag {
    DWORD dwSize;
    ULONGLONG ullConnectionId;
    GUID type;
    PEER_DATA data;
} PEER_EVENT_INCOMING_DATA, *PPEER_EVENT_INCOMING_DATA;

typedef struct peer_event_record_change_data_tag {
    DWORD dwSize;
    PEER_RECORD_CHANGE_TYPE changeType;
    GUID recordId;
    GUID recordType;
} PEER_EVENT_RECORD_CHANGE_DATA, *PPEER_EVENT_RECORD_CHANGE_DATA;

typedef struct peer_event_connection_change_data_tag {
    DWORD dwSize;
    PEER_CONNECTION_STATUS status;
    ULONGLONG ullConnectionId;
    ULONGLONG ullNodeId;
    ULONGLONG ullNextConnectionId;
    HRESULT hrConnectionFailedReason;
} PEER_EVENT_CONNECTION_CHANGE_DATA, *PPEER_EVENT_CONNECTION_CHANGE_DATA;

/* ------------------------------------------------------------------ */
/* Grouping types                                                      */
/* ------------------------------------------------------------------ */

/* A group opened by this application. */
typedef PVOID HGROUP, *PHGROUP;
typedef GUID PEER_ROLE_ID;

/* The version to pass to PeerGroupStartup (1.1, Vista and later). */
#define PEER_GROUP_VERSION MAKEWORD(1, 1)

typedef enum peer_group_event_type_tag {
    PEER_GROUP_EVENT_STATUS_CHANGED = 1,
    PEER_GROUP_EVENT_PROPERTY_CHANGED = 2,
    PEER_GROUP_EVENT_RECORD_CHANGED = 3,
    PEER_GROUP_EVENT_DIRECT_CONNECTION = 4,
    PEER_GROUP_EVENT_NEIGHBOR_CONNECTION = 5,
    PEER_GROUP_EVENT_INCOMING_DATA = 6,
    PEER_GROUP_EVENT_MEMBER_CHANGED = 8,
    PEER_GROUP_EVENT_CONNECTION_FAILED = 10,
    PEER_GROUP_EVENT_AUTHENTICATION_FAILED = 11
} PEER_GROUP_EVENT_TYPE;

typedef enum peer_group_status_tag {
    PEER_GROUP_STATUS_LISTENING = 0x0001,
    PEER_GROUP_STATUS_HAS_CONNECTIONS = 0x0002
} PEER_GROUP_STATUS;

typedef enum peer_group_property_flags_tag {
    PEER_MEMBER_DATA_OPTIONAL = 0x0001,
    PEER_DISABLE_PRESENCE = 0x0002,
    PEER_DEFER_EXPIRATION = 0x0004
} PEER_GROUP_PROPERTY_FLAGS;

typedef enum peer_group_authentication_scheme_tag {
    PEER_GROUP_GMC_AUTHENTICATION = 0x00000001,
    PEER_GROUP_PASSWORD_AUTHENTICATION = 0x00000002
} PEER_GROUP_AUTHENTICATION_SCHEME;

typedef enum peer_member_flags_tag {
    PEER_MEMBER_PRESENT = 0x0001
} PEER_MEMBER_FLAGS;

typedef enum peer_member_change_type_tag {
    PEER_MEMBER_CONNECTED = 1,
    PEER_MEMBER_DISCONNECTED = 2,
    PEER_MEMBER_UPDATED = 3,
    PEER_MEMBER_JOINED = 4,
    PEER_MEMBER_LEFT = 5
} PEER_MEMBER_CHANGE_TYPE;

typedef enum peer_issue_credential_flags_tag {
    PEER_GROUP_STORE_CREDENTIALS = 0x0001
} PEER_GROUP_ISSUE_CREDENTIAL_FLAGS;

typedef struct peer_credential_info_tag {
    DWORD dwSize;
    DWORD dwFlags;
    PWSTR pwzFriendlyName;
    CERT_PUBLIC_KEY_INFO *pPublicKey;
    PWSTR pwzIssuerPeerName;
    PWSTR pwzIssuerFriendlyName;
    FILETIME ftValidityStart;
    FILETIME ftValidityEnd;
    ULONG cRoles;
    PEER_ROLE_ID *pRoles;
} PEER_CREDENTIAL_INFO, *PPEER_CREDENTIAL_INFO;

typedef struct peer_member_tag {
    DWORD dwSize;
    DWORD dwFlags;
    PWSTR pwzIdentity;
    PWSTR pwzAttributes;
    ULONGLONG ullNodeId;
    ULONG cAddresses;
    PEER_ADDRESS *pAddresses;
    PEER_CREDENTIAL_INFO *pCredentialInfo;
} PEER_MEMBER, *PPEER_MEMBER;

typedef struct peer_invitation_info_tag {
    DWORD dwSize;
    DWORD dwFlags;
    PWSTR pwzCloudName;
    DWORD dwScope;
    DWORD dwCloudFlags;
    PWSTR pwzGroupPeerName;
    PWSTR pwzIssuerPeerName;
    PWSTR pwzSubjectPeerName;
    PWSTR pwzGroupFriendlyName;
    PWSTR pwzIssuerFriendlyName;
    PWSTR pwzSubjectFriendlyName;
    FILETIME ftValidityStart;
    FILETIME ftValidityEnd;
    ULONG cRoles;
    PEER_ROLE_ID *pRoles;
    ULONG cClassifiers;
    PWSTR *ppwzClassifiers;
    CERT_PUBLIC_KEY_INFO *pSubjectPublicKey;
    PEER_GROUP_AUTHENTICATION_SCHEME authScheme;
} PEER_INVITATION_INFO, *PPEER_INVITATION_INFO;

typedef struct peer_group_properties_tag {
    DWORD dwSize;
    DWORD dwFlags;
    PWSTR pwzCloud;
    PWSTR pwzClassifier;
    PWSTR pwzGroupPeerName;
    PWSTR pwzCreatorPeerName;
    PWSTR pwzFriendlyName;
    PWSTR pwzComment;
    ULONG ulMemberDataLifetime;
    ULONG ulPresenceLifetime;
    DWORD dwAuthenticationSchemes;
    PWSTR pwzGroupPassword;
    PEER_ROLE_ID groupPasswordRole;
} PEER_GROUP_PROPERTIES, *PPEER_GROUP_PROPERTIES;

typedef struct peer_event_member_change_data_tag {
    DWORD dwSize;
    PEER_MEMBER_CHANGE_TYPE changeType;
    PWSTR pwzIdentity;
} PEER_EVENT_MEMBER_CHANGE_DATA, *PPEER_EVENT_MEMBER_CHANGE_DATA;

typedef struct peer_group_event_registration_tag {
    PEER_GROUP_EVENT_TYPE eventType;
    GUID *pType;
} PEER_GROUP_EVENT_REGISTRATION, *PPEER_GROUP_EVENT_REGISTRATION;

/* The union starts at offset 8; which member is valid depends on eventType. */
typedef struct peer_group_event_data_tag {
    PEER_GROUP_EVENT_TYPE eventType;
    P2P_NAMELESS_ union {
        PEER_GROUP_STATUS dwStatus;
        PEER_EVENT_INCOMING_DATA incomingData;
        PEER_EVENT_RECORD_CHANGE_DATA recordChangeData;
        PEER_EVENT_CONNECTION_CHANGE_DATA connectionChangeData;
        PEER_EVENT_MEMBER_CHANGE_DATA memberChangeData;
        HRESULT hrConnectionFailedReason;
    };
} PEER_GROUP_EVENT_DATA, *PPEER_GROUP_EVENT_DATA;

typedef struct peer_name_pair_tag {
    DWORD dwSize;
    PWSTR pwzPeerName;
    PWSTR pwzFriendlyName;
} PEER_NAME_PAIR, *PPEER_NAME_PAIR;

#endif /* !P2P_PLATFORM_P2P_H_FIRST_ */

/* ------------------------------------------------------------------ */
/* Role GUIDs                                                          */
/* ------------------------------------------------------------------ */

/* P2P_ROLE_GUIDS(X) calls X(name, Data1, Data2, Data3, Data4[0..7]) for
 * each role; the ABI tests reuse it to check the values. */
#define P2P_ROLE_GUIDS(X) \
    X(PEER_GROUP_ROLE_ADMIN, 0x04387127, 0xaa56, 0x450a, 0x8c, 0xe5, 0x4f, 0x56, 0x5c, 0x67, 0x90, 0xf4) \
    X(PEER_GROUP_ROLE_MEMBER, 0xf12dc4c7, 0x0857, 0x4ca0, 0x93, 0xfc, 0xb1, 0xbb, 0x19, 0xa3, 0xd8, 0xc2) \
    X(PEER_GROUP_ROLE_INVITING_MEMBER, 0x4370fd89, 0xdc18, 0x4cfb, 0x8d, 0xbf, 0x98, 0x53, 0xa8, 0xa9, 0xf9, 0x05)

#define P2P_DEFINE_ROLE_GUID_(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    static const GUID p2p_##name P2P_UNUSED_ = { l, w1, w2, { b1, b2, b3, b4, b5, b6, b7, b8 } };
P2P_ROLE_GUIDS(P2P_DEFINE_ROLE_GUID_)
#undef P2P_DEFINE_ROLE_GUID_

/* The names are macros for the constants above, so that they survive the
 * extern declarations of a platform <p2p.h> included before or after. */
#define PEER_GROUP_ROLE_ADMIN p2p_PEER_GROUP_ROLE_ADMIN
#define PEER_GROUP_ROLE_MEMBER p2p_PEER_GROUP_ROLE_MEMBER
#define PEER_GROUP_ROLE_INVITING_MEMBER p2p_PEER_GROUP_ROLE_INVITING_MEMBER

/* ------------------------------------------------------------------ */
/* HRESULT codes (values of the Windows SDK; FACILITY_P2P = 99)        */
/* ------------------------------------------------------------------ */

#ifndef FACILITY_P2P
#define FACILITY_P2P 99
#endif

/* Win32-facility codes, which mingw-w64's p2p.h also defines. */
#ifndef PEER_E_NOT_FOUND
#define PEER_E_NOT_FOUND ((HRESULT)0x80070490L)
#endif
#ifndef PEER_E_DISK_FULL
#define PEER_E_DISK_FULL ((HRESULT)0x80070070L)
#endif
#ifndef PEER_E_ALREADY_EXISTS
#define PEER_E_ALREADY_EXISTS ((HRESULT)0x800700B7L)
#endif

/* FACILITY_P2P codes, skipped as a block if the Windows SDK defined them. */
#ifndef PEER_E_IPV6_NOT_INSTALLED
#define PEER_E_IPV6_NOT_INSTALLED ((HRESULT)0x80630001L)
#define PEER_E_NOT_INITIALIZED ((HRESULT)0x80630002L)
#define PEER_E_CANNOT_START_SERVICE ((HRESULT)0x80630003L)
#define PEER_E_NOT_LICENSED ((HRESULT)0x80630004L)
#define PEER_E_INVALID_GRAPH ((HRESULT)0x80630010L)
#define PEER_E_DBNAME_CHANGED ((HRESULT)0x80630011L)
#define PEER_E_DUPLICATE_GRAPH ((HRESULT)0x80630012L)
#define PEER_E_GRAPH_NOT_READY ((HRESULT)0x80630013L)
#define PEER_E_GRAPH_SHUTTING_DOWN ((HRESULT)0x80630014L)
#define PEER_E_GRAPH_IN_USE ((HRESULT)0x80630015L)
#define PEER_E_INVALID_DATABASE ((HRESULT)0x80630016L)
#define PEER_E_TOO_MANY_ATTRIBUTES ((HRESULT)0x80630017L)
#define PEER_E_CONNECTION_NOT_FOUND ((HRESULT)0x80630103L)
#define PEER_E_CONNECT_SELF ((HRESULT)0x80630106L)
#define PEER_E_ALREADY_LISTENING ((HRESULT)0x80630107L)
#define PEER_E_NODE_NOT_FOUND ((HRESULT)0x80630108L)
#define PEER_E_CONNECTION_FAILED ((HRESULT)0x80630109L)
#define PEER_E_CONNECTION_NOT_AUTHENTICATED ((HRESULT)0x8063010AL)
#define PEER_E_CONNECTION_REFUSED ((HRESULT)0x8063010BL)
#define PEER_E_CLASSIFIER_TOO_LONG ((HRESULT)0x80630201L)
#define PEER_E_TOO_MANY_IDENTITIES ((HRESULT)0x80630202L)
#define PEER_E_NO_KEY_ACCESS ((HRESULT)0x80630203L)
#define PEER_E_GROUPS_EXIST ((HRESULT)0x80630204L)
#define PEER_E_RECORD_NOT_FOUND ((HRESULT)0x80630301L)
#define PEER_E_DATABASE_ACCESSDENIED ((HRESULT)0x80630302L)
#define PEER_E_DBINITIALIZATION_FAILED ((HRESULT)0x80630303L)
#define PEER_E_MAX_RECORD_SIZE_EXCEEDED ((HRESULT)0x80630304L)
#define PEER_E_DATABASE_ALREADY_PRESENT ((HRESULT)0x80630305L)
#define PEER_E_DATABASE_NOT_PRESENT ((HRESULT)0x80630306L)
#define PEER_E_IDENTITY_NOT_FOUND ((HRESULT)0x80630401L)
#define PEER_E_EVENT_HANDLE_NOT_FOUND ((HRESULT)0x80630501L)
#define PEER_E_INVALID_SEARCH ((HRESULT)0x80630601L)
#define PEER_E_INVALID_ATTRIBUTES ((HRESULT)0x80630602L)
#define PEER_E_INVITATION_NOT_TRUSTED ((HRESULT)0x80630701L)
#define PEER_E_CHAIN_TOO_LONG ((HRESULT)0x80630703L)
#define PEER_E_INVALID_TIME_PERIOD ((HRESULT)0x80630705L)
#define PEER_E_CIRCULAR_CHAIN_DETECTED ((HRESULT)0x80630706L)
#define PEER_E_CERT_STORE_CORRUPTED ((HRESULT)0x80630801L)
#define PEER_E_NO_CLOUD ((HRESULT)0x80631001L)
#define PEER_E_CLOUD_NAME_AMBIGUOUS ((HRESULT)0x80631005L)
#define PEER_E_INVALID_RECORD ((HRESULT)0x80632010L)
#define PEER_E_NOT_AUTHORIZED ((HRESULT)0x80632020L)
#define PEER_E_PASSWORD_DOES_NOT_MEET_POLICY ((HRESULT)0x80632021L)
#define PEER_E_DEFERRED_VALIDATION ((HRESULT)0x80632030L)
#define PEER_E_INVALID_GROUP_PROPERTIES ((HRESULT)0x80632040L)
#define PEER_E_INVALID_PEER_NAME ((HRESULT)0x80632050L)
#define PEER_E_INVALID_CLASSIFIER ((HRESULT)0x80632060L)
#define PEER_E_INVALID_FRIENDLY_NAME ((HRESULT)0x80632070L)
#define PEER_E_INVALID_ROLE_PROPERTY ((HRESULT)0x80632071L)
#define PEER_E_INVALID_CLASSIFIER_PROPERTY ((HRESULT)0x80632072L)
#define PEER_E_INVALID_RECORD_EXPIRATION ((HRESULT)0x80632080L)
#define PEER_E_INVALID_CREDENTIAL_INFO ((HRESULT)0x80632081L)
#define PEER_E_INVALID_CREDENTIAL ((HRESULT)0x80632082L)
#define PEER_E_INVALID_RECORD_SIZE ((HRESULT)0x80632083L)
#define PEER_E_UNSUPPORTED_VERSION ((HRESULT)0x80632090L)
#define PEER_E_GROUP_NOT_READY ((HRESULT)0x80632091L)
#define PEER_E_GROUP_IN_USE ((HRESULT)0x80632092L)
#define PEER_E_INVALID_GROUP ((HRESULT)0x80632093L)
#define PEER_E_NO_MEMBERS_FOUND ((HRESULT)0x80632094L)
#define PEER_E_NO_MEMBER_CONNECTIONS ((HRESULT)0x80632095L)
#define PEER_E_UNABLE_TO_LISTEN ((HRESULT)0x80632096L)
#define PEER_E_IDENTITY_DELETED ((HRESULT)0x806320A0L)
#define PEER_E_SERVICE_NOT_AVAILABLE ((HRESULT)0x806320A1L)
#define PEER_E_CONTACT_NOT_FOUND ((HRESULT)0x80636001L)
#define PEER_S_GRAPH_DATA_CREATED ((HRESULT)0x00630001L)
#define PEER_S_NO_EVENT_DATA ((HRESULT)0x00630002L)
#define PEER_S_ALREADY_CONNECTED ((HRESULT)0x00632000L)
#define PEER_S_SUBSCRIPTION_EXISTS ((HRESULT)0x00636000L)
#define PEER_S_NO_CONNECTIVITY ((HRESULT)0x00630005L)

/* An extension of this library, not in Windows' p2p.h: in the dwFlags of
 * a PEER_CONNECTION_INFO from PeerGroupEnumConnections, beside
 * PEER_CONNECTION_DIRECT, it marks a direct connection that runs through
 * a relay member (the two members reach each other no other way); the
 * connection's address is then the relay's. */
#ifndef PEER_CONNECTION_RELAYED
#define PEER_CONNECTION_RELAYED 0x0004
#endif
#define PEER_S_ALREADY_A_MEMBER ((HRESULT)0x00630006L)
#define PEER_E_CANNOT_CONVERT_PEER_NAME ((HRESULT)0x80634001L)
#define PEER_E_INVALID_PEER_HOST_NAME ((HRESULT)0x80634002L)
#define PEER_E_NO_MORE ((HRESULT)0x80634003L)
#define PEER_E_PNRP_DUPLICATE_PEER_NAME ((HRESULT)0x80634005L)
#define PEER_E_INVITE_CANCELLED ((HRESULT)0x80637000L)
#define PEER_E_INVITE_RESPONSE_NOT_AVAILABLE ((HRESULT)0x80637001L)
#define PEER_E_NOT_SIGNED_IN ((HRESULT)0x80637003L)
#define PEER_E_PRIVACY_DECLINED ((HRESULT)0x80637004L)
#define PEER_E_TIMEOUT ((HRESULT)0x80637005L)
#define PEER_E_INVALID_ADDRESS ((HRESULT)0x80637007L)
#define PEER_E_FW_EXCEPTION_DISABLED ((HRESULT)0x80637008L)
#define PEER_E_FW_BLOCKED_BY_POLICY ((HRESULT)0x80637009L)
#define PEER_E_FW_BLOCKED_BY_SHIELDS_UP ((HRESULT)0x8063700AL)
#define PEER_E_FW_DECLINED ((HRESULT)0x8063700BL)
#endif /* PEER_E_IPV6_NOT_INSTALLED */

/* ------------------------------------------------------------------ */
/* Functions: one declaration a line, exactly Windows' prototypes     */
/* ------------------------------------------------------------------ */

/* Power events for PeerGroupHandlePowerEvent (winuser.h on Windows). */
#if !defined(_WIN32) && !defined(PBT_APMSUSPEND)
#define PBT_APMSUSPEND 0x0004
#define PBT_APMRESUMECRITICAL 0x0006
#define PBT_APMRESUMESUSPEND 0x0007
#define PBT_APMRESUMEAUTOMATIC 0x0012
#endif

/* P2P_NO_PROTOTYPES is for the library's own build only: its Go layer
 * receives every pointer argument as a pointer-sized integer (the same
 * calling convention) so that it can check an argument before treating it
 * as a pointer. Applications never define it. */
#ifndef P2P_NO_PROTOTYPES

/* Common calls (Grouping and Identity). */
VOID PeerFreeData(LPCVOID pvData);
HRESULT PeerGetItemCount(HPEERENUM hPeerEnum, ULONG *pCount);
HRESULT PeerGetNextItem(HPEERENUM hPeerEnum, ULONG *pCount, PVOID **pppvItems);
HRESULT PeerEndEnumeration(HPEERENUM hPeerEnum);

/* Grouping. */
HRESULT PeerGroupStartup(WORD wVersionRequested, PPEER_VERSION_DATA pVersionData);
HRESULT PeerGroupShutdown(void);
HRESULT PeerGroupCreate(PPEER_GROUP_PROPERTIES pProperties, HGROUP *phGroup);
HRESULT PeerGroupOpen(PCWSTR pwzIdentity, PCWSTR pwzGroupPeerName, PCWSTR pwzCloud, HGROUP *phGroup);
HRESULT PeerGroupJoin(PCWSTR pwzIdentity, PCWSTR pwzInvitation, PCWSTR pwzCloud, HGROUP *phGroup);
HRESULT PeerGroupConnect(HGROUP hGroup);
HRESULT PeerGroupClose(HGROUP hGroup);
HRESULT PeerGroupDelete(PCWSTR pwzIdentity, PCWSTR pwzGroupPeerName);
HRESULT PeerGroupCreateInvitation(HGROUP hGroup, PCWSTR pwzIdentityInfo, FILETIME *pftExpiration, ULONG cRoles, const GUID *pRoles, PWSTR *ppwzInvitation);
HRESULT PeerGroupParseInvitation(PCWSTR pwzInvitation, PPEER_INVITATION_INFO *ppInvitationInfo);
HRESULT PeerGroupGetStatus(HGROUP hGroup, DWORD *pdwStatus);
HRESULT PeerGroupGetProperties(HGROUP hGroup, PPEER_GROUP_PROPERTIES *ppProperties);
HRESULT PeerGroupSetProperties(HGROUP hGroup, PPEER_GROUP_PROPERTIES pProperties);
HRESULT PeerGroupEnumMembers(HGROUP hGroup, DWORD dwFlags, PCWSTR pwzIdentity, HPEERENUM *phPeerEnum);
HRESULT PeerGroupOpenDirectConnection(HGROUP hGroup, PCWSTR pwzIdentity, PPEER_ADDRESS pAddress, ULONGLONG *pullConnectionId);
HRESULT PeerGroupCloseDirectConnection(HGROUP hGroup, ULONGLONG ullConnectionId);
HRESULT PeerGroupEnumConnections(HGROUP hGroup, DWORD dwFlags, HPEERENUM *phPeerEnum);
HRESULT PeerGroupSendData(HGROUP hGroup, ULONGLONG ullConnectionId, const GUID *pType, ULONG cbData, PVOID pvData);
HRESULT PeerGroupRegisterEvent(HGROUP hGroup, HANDLE hEvent, DWORD cEventRegistration, PEER_GROUP_EVENT_REGISTRATION *pEventRegistrations, HPEEREVENT *phPeerEvent);
HRESULT PeerGroupUnregisterEvent(HPEEREVENT hPeerEvent);
HRESULT PeerGroupGetEventData(HPEEREVENT hPeerEvent, PPEER_GROUP_EVENT_DATA *ppEventData);
HRESULT PeerGroupGetRecord(HGROUP hGroup, const GUID *pRecordId, PPEER_RECORD *ppRecord);
HRESULT PeerGroupAddRecord(HGROUP hGroup, PPEER_RECORD pRecord, GUID *pRecordId);
HRESULT PeerGroupUpdateRecord(HGROUP hGroup, PPEER_RECORD pRecord);
HRESULT PeerGroupDeleteRecord(HGROUP hGroup, const GUID *pRecordId);
HRESULT PeerGroupEnumRecords(HGROUP hGroup, const GUID *pRecordType, HPEERENUM *phPeerEnum);
HRESULT PeerGroupSearchRecords(HGROUP hGroup, PCWSTR pwzCriteria, HPEERENUM *phPeerEnum);
HRESULT PeerGroupExportDatabase(HGROUP hGroup, PCWSTR pwzFilePath);
HRESULT PeerGroupImportDatabase(HGROUP hGroup, PCWSTR pwzFilePath);
HRESULT PeerGroupIssueCredentials(HGROUP hGroup, PCWSTR pwzSubjectIdentity, PEER_CREDENTIAL_INFO *pCredentialInfo, DWORD dwFlags, PWSTR *ppwzInvitation);
HRESULT PeerGroupExportConfig(HGROUP hGroup, PCWSTR pwzPassword, PWSTR *ppwzXML);
HRESULT PeerGroupImportConfig(PCWSTR pwzXML, PCWSTR pwzPassword, WINBOOL fOverwrite, PWSTR *ppwzIdentity, PWSTR *ppwzGroup);
HRESULT PeerGroupPeerTimeToUniversalTime(HGROUP hGroup, FILETIME *pftPeerTime, FILETIME *pftUniversalTime);
HRESULT PeerGroupUniversalTimeToPeerTime(HGROUP hGroup, FILETIME *pftUniversalTime, FILETIME *pftPeerTime);
HRESULT PeerGroupPasswordJoin(PCWSTR pwzIdentity, PCWSTR pwzInvitation, PCWSTR pwzPassword, PCWSTR pwzCloud, HGROUP *phGroup);
HRESULT PeerGroupConnectByAddress(HGROUP hGroup, ULONG cAddresses, PPEER_ADDRESS pAddresses);
HRESULT PeerGroupCreatePasswordInvitation(HGROUP hGroup, PWSTR *ppwzInvitation);
HRESULT PeerGroupResumePasswordAuthentication(HGROUP hGroup, HPEEREVENT hPeerEventHandle);
/* P2P.dll exports PeerGroupHandlePowerEvent without a published prototype
 * (mingw-w64's import library lists it). Here it takes a PBT_* power event
 * of WM_POWERBROADCAST: on a resume (PBT_APMRESUMEAUTOMATIC,
 * PBT_APMRESUMESUSPEND, PBT_APMRESUMECRITICAL) every online group of the
 * process redials its members at once and republishes its addresses; any
 * other event is accepted and needs nothing. S_OK, or
 * PEER_E_NOT_INITIALIZED before PeerGroupStartup. */
HRESULT PeerGroupHandlePowerEvent(DWORD dwPowerEvent);

/* Identity Manager. */
HRESULT PeerIdentityCreate(PCWSTR pwzClassifier, PCWSTR pwzFriendlyName, HCRYPTPROV hCryptProv, PWSTR *ppwzIdentity);
HRESULT PeerIdentityGetFriendlyName(PCWSTR pwzIdentity, PWSTR *ppwzFriendlyName);
HRESULT PeerIdentitySetFriendlyName(PCWSTR pwzIdentity, PCWSTR pwzFriendlyName);
HRESULT PeerIdentityGetCryptKey(PCWSTR pwzIdentity, HCRYPTPROV *phCryptProv);
HRESULT PeerIdentityDelete(PCWSTR pwzIdentity);
HRESULT PeerEnumIdentities(HPEERENUM *phPeerEnum);
HRESULT PeerEnumGroups(PCWSTR pwzIdentity, HPEERENUM *phPeerEnum);
HRESULT PeerCreatePeerName(PCWSTR pwzIdentity, PCWSTR pwzClassifier, PWSTR *ppwzPeerName);
HRESULT PeerIdentityGetXML(PCWSTR pwzIdentity, PWSTR *ppwzIdentityXML);
HRESULT PeerIdentityExport(PCWSTR pwzIdentity, PCWSTR pwzPassword, PWSTR *ppwzExportXML);
HRESULT PeerIdentityImport(PCWSTR pwzImportXML, PCWSTR pwzPassword, PWSTR *ppwzIdentity);
HRESULT PeerIdentityGetDefault(PWSTR *ppwzPeerName);
/* P2P.dll exports PeerIdentityGetCert without a published prototype
 * (mingw-w64's import library lists it). Here it returns the identity's
 * X.509 certificate (DER, an Ed25519 key) in one PEER_DATA that
 * PeerFreeData releases; a NULL pwzIdentity means the default identity.
 * E_INVALIDARG for a NULL ppCertificate or a malformed name,
 * PEER_E_NOT_FOUND for an unknown identity, PEER_E_NOT_INITIALIZED before
 * PeerGroupStartup. */
HRESULT PeerIdentityGetCert(PCWSTR pwzIdentity, PPEER_DATA *ppCertificate);

#endif /* P2P_NO_PROTOTYPES */

#ifdef __cplusplus
}
#endif

#endif /* P2P_PORTABLE_P2P_H */
