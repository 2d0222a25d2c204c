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
/* Version of this library                                             */
/* ------------------------------------------------------------------ */

/* The three numbers below are the one place the version is written: the
 * Makefile reads them for p2p.pc (pkg-config --modversion p2p), the Python
 * package's __version__ and the .NET assembly version. Semantic
 * versioning; the shared library's SONAME (libp2p.so.1) changes only when
 * the ABI does. P2P_VERSION is comparable: P2P_VERSION >= 0x010000. */
#define P2P_VERSION_MAJOR 1
#define P2P_VERSION_MINOR 0
#define P2P_VERSION_PATCH 0
#define P2P_VERSION ((P2P_VERSION_MAJOR << 16) | (P2P_VERSION_MINOR << 8) | P2P_VERSION_PATCH)
#define P2P_STRINGIFY_(x) #x
#define P2P_XSTRINGIFY_(x) P2P_STRINGIFY_(x)
/* "1.0.0" */
#define P2P_VERSION_STRING \
    P2P_XSTRINGIFY_(P2P_VERSION_MAJOR) "." P2P_XSTRINGIFY_(P2P_VERSION_MINOR) "." P2P_XSTRINGIFY_(P2P_VERSION_PATCH)

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
#ifndef ERROR_TOO_MANY_OPEN_FILES
#define ERROR_TOO_MANY_OPEN_FILES 4L
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

/* What every function below shares, besides the HRESULTs its own comment
 * lists:
 *  - Before PeerGroupStartup, and after the last PeerGroupShutdown, every
 *    function but PeerGroupStartup and PeerFreeData returns
 *    PEER_E_NOT_INITIALIZED and does nothing.
 *  - A required pointer that is NULL, a string that is not valid UTF-16 (an
 *    unpaired surrogate) or has no terminator within its limit, and a
 *    wrong dwSize give E_INVALIDARG; a pointer the library faults on gives
 *    E_POINTER instead of a crash. Out parameters are cleared (NULL, 0)
 *    before anything else, so they are never left with stale values.
 *  - An HGROUP, HPEEREVENT or HPEERENUM that is NULL, closed, from before
 *    the last shutdown, forged or of the wrong kind gives E_HANDLE
 *    (PEER_E_EVENT_HANDLE_NOT_FOUND for an HPEEREVENT), never a crash.
 *  - A failure of the system that fits no code is E_FAIL (E_UNEXPECTED for
 *    an internal error); a failing call changes nothing. S_OK means the
 *    call did what it says, once; a change it stored is on disk.
 *  - Every string, structure or array returned is one allocation, freed
 *    with one PeerFreeData.
 *  - Every function may be called from any thread at any time.
 *  - Differences from Windows that hold for every call: no PNRP (the
 *    pwzCloud arguments are accepted and ignored), peer names are built on
 *    Ed25519 keys, and XML documents (identities, invitations, exports) are
 *    this library's own formats: both ends must use this library. */

/* ------------------------------------------------------------------ */
/* Common calls (Grouping and Identity)                               */
/* ------------------------------------------------------------------ */

/* PeerFreeData frees a string, structure, array or PEER_DATA that a
 * function of this library returned: one call frees the whole block (the
 * structure, its strings and its data). Works before PeerGroupStartup and
 * after PeerGroupShutdown.
 *   pvData  what the library returned. NULL, a pointer the library never
 *           returned (a stack or static address, an address inside a
 *           returned block, a wild value) and a second free of the same
 *           block are ignored: nothing is freed and nothing crashes.
 * Returns nothing. Windows frees only what it returned too, but does not
 * promise to ignore a foreign pointer. */
VOID PeerFreeData(LPCVOID pvData);

/* PeerGetItemCount: how many items of an enumeration are left to take.
 *   hPeerEnum  an HPEERENUM from a PeerEnum*, PeerGroupEnum* or
 *              PeerGroupSearchRecords call.
 *   pCount     receives the count (0 on failure). For record enumerations
 *              it is an upper bound: a record deleted meanwhile is skipped.
 * Returns S_OK; E_INVALIDARG (pCount NULL); E_HANDLE (not an open
 * enumeration: ended, stale, forged or of another kind). */
HRESULT PeerGetItemCount(HPEERENUM hPeerEnum, ULONG *pCount);

/* PeerGetNextItem takes the next items of an enumeration.
 *   hPeerEnum  the enumeration.
 *   pCount     in: at most how many to take; out: how many were taken,
 *              0 at the end (S_OK, *pppvItems NULL).
 *   pppvItems  receives an array of *pCount pointers to items (PEER_MEMBER,
 *              PEER_RECORD, PEER_NAME_PAIR, PEER_CONNECTION_INFO): one
 *              block, freed with one PeerFreeData.
 * Returns S_OK; E_INVALIDARG (a NULL argument); E_HANDLE (not an open
 * enumeration); E_OUTOFMEMORY. Items are copied when taken, so a long
 * enumeration holds no group lock. */
HRESULT PeerGetNextItem(HPEERENUM hPeerEnum, ULONG *pCount, PVOID **pppvItems);

/* PeerEndEnumeration releases an enumeration (items already taken stay
 * valid until freed).
 * Returns S_OK; E_HANDLE (already ended, stale, NULL, or not an
 * HPEERENUM). */
HRESULT PeerEndEnumeration(HPEERENUM hPeerEnum);

/* ------------------------------------------------------------------ */
/* Grouping: start-up                                                 */
/* ------------------------------------------------------------------ */

/* PeerGroupStartup starts the library for this process; every other call
 * except PeerFreeData fails with PEER_E_NOT_INITIALIZED before it. Calls
 * are counted: each successful Startup needs one PeerGroupShutdown.
 *   wVersionRequested  PEER_GROUP_VERSION (MAKEWORD(1, 1)); a higher
 *                      version is negotiated down to 1.1.
 *   pVersionData       receives the version in use (wVersion) and the
 *                      highest supported (wHighestVersion, 1.1).
 * The first Startup of the process reads the settings P2P_HOME (the data
 * directory), P2P_LISTEN, P2P_DISCOVERY and P2P_LOG from the C environment,
 * so an application may set them (setenv, os.environ) before calling it.
 * Returns S_OK; E_INVALIDARG (pVersionData NULL); PEER_E_UNSUPPORTED_VERSION
 * (below 1.0; nothing is counted); PEER_E_CANNOT_START_SERVICE (the data
 * directory cannot be created or opened). Differs from Windows: no Windows
 * service or PNRP is involved; the data directory is P2P_HOME (default
 * $XDG_DATA_HOME/p2p, %LOCALAPPDATA%\p2p on Windows). */
HRESULT PeerGroupStartup(WORD wVersionRequested, PPEER_VERSION_DATA pVersionData);

/* PeerGroupShutdown undoes one PeerGroupStartup. The last one closes
 * every HGROUP, HPEEREVENT and HPEERENUM of the process (later calls with
 * them fail cleanly with E_HANDLE or PEER_E_EVENT_HANDLE_NOT_FOUND) and
 * takes the process's groups offline; memory already returned stays valid
 * for PeerFreeData.
 * Returns S_OK; PEER_E_NOT_INITIALIZED (more Shutdowns than Startups). */
HRESULT PeerGroupShutdown(void);

/* PeerGroupHandlePowerEvent tells the library about a power event, as a
 * Windows program does from WM_POWERBROADCAST. P2P.dll exports it without a
 * published prototype (mingw-w64's import library lists it); this is the
 * library's. On a resume (PBT_APMRESUMEAUTOMATIC, PBT_APMRESUMESUSPEND,
 * PBT_APMRESUMECRITICAL) every online group of the process redials its
 * members at once and republishes its addresses; any other event is
 * accepted and needs nothing.
 *   dwPowerEvent  a PBT_* value.
 * Returns S_OK; PEER_E_NOT_INITIALIZED before PeerGroupStartup. */
HRESULT PeerGroupHandlePowerEvent(DWORD dwPowerEvent);

/* ------------------------------------------------------------------ */
/* Grouping: groups                                                   */
/* ------------------------------------------------------------------ */

/* PeerGroupCreate creates a group and opens it, offline. Its creator is
 * its first administrator and may publish at once.
 *   pProperties  dwSize = sizeof(PEER_GROUP_PROPERTIES) (96, the Vista
 *                layout; the XP size 88 is refused). pwzCreatorPeerName:
 *                the creating identity (NULL or "": the default identity).
 *                pwzClassifier (at most 149 characters, and the group peer
 *                name <40 hex digits>.<classifier> at most 137) names the
 *                group. pwzFriendlyName and pwzComment: at most 255.
 *                dwFlags: PEER_MEMBER_DATA_OPTIONAL, PEER_DISABLE_PRESENCE,
 *                PEER_DEFER_EXPIRATION. ulMemberDataLifetime: 0 (28 days)
 *                or 8 hours to 10 years, in seconds; ulPresenceLifetime:
 *                0 (300) or at least 300. dwAuthenticationSchemes: 0 or
 *                PEER_GROUP_GMC_AUTHENTICATION, plus
 *                PEER_GROUP_PASSWORD_AUTHENTICATION with pwzGroupPassword
 *                and groupPasswordRole (the member or administrator role;
 *                GUID_NULL: member). pwzGroupPeerName is ignored (computed);
 *                pwzCloud is stored and reported but has no effect.
 *   phGroup      receives the HGROUP (NULL on failure).
 * Returns S_OK; E_INVALIDARG (a NULL pointer, dwSize, malformed UTF-16);
 * PEER_E_INVALID_CLASSIFIER; PEER_E_INVALID_FRIENDLY_NAME;
 * PEER_E_INVALID_GROUP_PROPERTIES (unknown flags or schemes, lifetimes
 * out of range, a comment over 255, a password role other than member or
 * administrator); PEER_E_PASSWORD_DOES_NOT_MEET_POLICY (password
 * authentication without a password); PEER_E_NOT_FOUND (unknown creator
 * identity). Differs from Windows: no PNRP cloud is joined. */
HRESULT PeerGroupCreate(PPEER_GROUP_PROPERTIES pProperties, HGROUP *phGroup);

/* PeerGroupOpen opens a group the identity created or joined before,
 * offline (unless another handle or application has it online: every
 * application of the same user and identity shares one group, as on
 * Windows; the first to open it hosts it, the others attach to it).
 *   pwzIdentity       the identity ("" : the default identity).
 *   pwzGroupPeerName  the group's peer name.
 *   pwzCloud          ignored (may be NULL).
 *   phGroup           receives the HGROUP.
 * Returns S_OK; E_INVALIDARG (a NULL pointer, malformed UTF-16);
 * PEER_E_INVALID_PEER_NAME (not a peer name); PEER_E_NOT_FOUND (no such
 * group for that identity, or no such identity); PEER_E_INVALID_DATABASE
 * (its database is damaged or another group's); PEER_E_GROUP_IN_USE (the
 * process hosting it could not be reached). */
HRESULT PeerGroupOpen(PCWSTR pwzIdentity, PCWSTR pwzGroupPeerName, PCWSTR pwzCloud, HGROUP *phGroup);

/* PeerGroupJoin prepares an identity to join the group of an invitation
 * issued to it (PeerGroupCreateInvitation), and opens the group offline.
 * The joiner holds its credential but none of the group's data: until its
 * first synchronisation with a member, PeerGroupAddRecord, UpdateRecord,
 * DeleteRecord, SetProperties, CreateInvitation, IssueCredentials and the
 * peer-time conversions fail with PEER_E_GROUP_NOT_READY. To wait: call
 * PeerGroupConnect (or PeerGroupConnectByAddress), then call
 * PeerGroupUniversalTimeToPeerTime until it stops returning
 * PEER_E_GROUP_NOT_READY (after a STATUS_CHANGED event with
 * PEER_GROUP_STATUS_HAS_CONNECTIONS, or every few tens of milliseconds);
 * a CONNECTION_FAILED event says no member could be reached. Being ready
 * is remembered: a later PeerGroupOpen is ready at once.
 *   pwzIdentity    the invited identity (NULL or "": the default identity).
 *   pwzInvitation  the invitation XML.
 *   pwzCloud       ignored (may be NULL).
 *   phGroup        receives the HGROUP.
 * Returns S_OK; PEER_S_ALREADY_A_MEMBER (the identity is a member: the
 * group is opened); E_INVALIDARG (a NULL pointer, malformed XML or UTF-16,
 * a password invitation); PEER_E_INVITATION_NOT_TRUSTED (issued to another
 * identity, altered, or not signed by the group); PEER_E_INVALID_TIME_PERIOD
 * (expired or not yet valid); PEER_E_NOT_FOUND (unknown identity).
 * Differs from Windows: the group is found through the addresses the
 * invitation carries, members remembered from earlier sessions, the
 * mainline DHT (PNRP's successor here: the issuer's encrypted addresses,
 * unless P2P_DHT=0), LAN discovery and PeerGroupConnectByAddress, not
 * PNRP; invitations of Windows' own P2P.dll are not accepted. */
HRESULT PeerGroupJoin(PCWSTR pwzIdentity, PCWSTR pwzInvitation, PCWSTR pwzCloud, HGROUP *phGroup);

/* PeerGroupPasswordJoin prepares an identity to join a password group
 * with a password invitation (PeerGroupCreatePasswordInvitation), and
 * opens it offline. The first PeerGroupConnect proves the password to a
 * member (over TLS; the password never leaves this process) and receives a
 * credential with the group's password role; a wrong password raises
 * AUTHENTICATION_FAILED and pauses the attempts until
 * PeerGroupResumePasswordAuthentication. Until then the group is not ready,
 * as after PeerGroupJoin.
 *   pwzPassword  the group's password (required).
 * Returns S_OK; PEER_S_ALREADY_A_MEMBER; E_INVALIDARG (NULL pointers, not
 * a password invitation, an over-long password);
 * PEER_E_INVITATION_NOT_TRUSTED (altered); PEER_E_INVALID_TIME_PERIOD;
 * PEER_E_NOT_FOUND (unknown identity). */
HRESULT PeerGroupPasswordJoin(PCWSTR pwzIdentity, PCWSTR pwzInvitation, PCWSTR pwzPassword, PCWSTR pwzCloud, HGROUP *phGroup);

/* PeerGroupConnect takes a group online: it listens (UDP, QUIC; P2P_LISTEN
 * chooses the address), announces itself and connects to a few members as
 * neighbours. It returns at once; progress arrives as events:
 * STATUS_CHANGED (PEER_GROUP_STATUS_LISTENING, then HAS_CONNECTIONS),
 * NEIGHBOR_CONNECTION, MEMBER_CHANGED, and for a joined member that never
 * synchronised, CONNECTION_FAILED with PEER_E_NO_MEMBERS_FOUND (no address
 * known) or PEER_E_NO_MEMBER_CONNECTIONS (none answered) if nobody is
 * reached within a few seconds and (unless P2P_DHT=0) a DHT lookup found
 * nobody either. It keeps trying after that, without another call: each
 * address it knows again after 2, 4, 8... up to 30 s, and while it has no
 * neighbour, the DHT again after 2, 4, 8... up to 300 s. Records then flow
 * both ways; a member that was offline catches up. A member without a
 * neighbour looks the group up in the mainline DHT after a second, at
 * once if it knows no address at all.
 * Returns S_OK; PEER_S_ALREADY_CONNECTED (it was online: nothing changes);
 * E_HANDLE; PEER_E_INVALID_GROUP (deleted under this handle);
 * PEER_E_UNABLE_TO_LISTEN (P2P_LISTEN cannot be bound). Differs from
 * Windows: members are found without PNRP (see PeerGroupJoin). */
HRESULT PeerGroupConnect(HGROUP hGroup);

/* PeerGroupConnectByAddress is PeerGroupConnect that also dials the given
 * member addresses first; on a group already online it adds them to the
 * addresses it dials and returns PEER_S_ALREADY_CONNECTED.
 *   cAddresses, pAddresses  1 to 32 PEER_ADDRESSes (dwSize 32; sin6_family
 *                           23, Windows' AF_INET6, or the platform's; port
 *                           and address in network order; IPv4 as
 *                           ::ffff:a.b.c.d).
 * Returns S_OK; PEER_S_ALREADY_CONNECTED; E_INVALIDARG (0 or more than 32
 * addresses, NULL, a dwSize); PEER_E_INVALID_ADDRESS (another family,
 * port 0, an unspecified address); the errors of PeerGroupConnect. */
HRESULT PeerGroupConnectByAddress(HGROUP hGroup, ULONG cAddresses, PPEER_ADDRESS pAddresses);

/* PeerGroupClose closes this application's handle of a group. Other
 * handles and other applications keep the group open; when the process's
 * last handle closes, the group goes offline here (a group this process
 * hosted for other applications is taken over by one of them).
 * Returns S_OK; E_HANDLE (already closed, stale, NULL, or not an HGROUP). */
HRESULT PeerGroupClose(HGROUP hGroup);

/* PeerGroupDelete deletes the identity's local copy of a group: its
 * database and credentials. Handles of this process on it become invalid
 * (PEER_E_INVALID_GROUP); the group itself lives on at its other members.
 *   pwzIdentity       the identity (NULL or "": the default identity).
 *   pwzGroupPeerName  the group's peer name.
 * Returns S_OK; E_INVALIDARG; PEER_E_INVALID_PEER_NAME; PEER_E_NOT_FOUND
 * (no such group or identity); PEER_E_GROUP_IN_USE (another process has it
 * open). */
HRESULT PeerGroupDelete(PCWSTR pwzIdentity, PCWSTR pwzGroupPeerName);

/* PeerGroupGetStatus: 0 offline, else PEER_GROUP_STATUS_LISTENING, plus
 * PEER_GROUP_STATUS_HAS_CONNECTIONS while it has a neighbour.
 * Returns S_OK; E_INVALIDARG (pdwStatus NULL); E_HANDLE;
 * PEER_E_INVALID_GROUP (deleted under this handle). */
HRESULT PeerGroupGetStatus(HGROUP hGroup, DWORD *pdwStatus);

/* PeerGroupGetProperties returns the group's properties as one
 * PEER_GROUP_PROPERTIES block (PeerFreeData). pwzGroupPassword is always
 * NULL: the library keeps a verifier, never the password.
 * Returns S_OK; E_INVALIDARG; E_HANDLE; PEER_E_INVALID_GROUP. */
HRESULT PeerGroupGetProperties(HGROUP hGroup, PPEER_GROUP_PROPERTIES *ppProperties);

/* PeerGroupSetProperties changes the friendly name, comment, flags,
 * lifetimes and authentication (a new password, or none to keep the old
 * one) of a group; administrators only. The change is a signed record
 * that replicates; every member gets PROPERTY_CHANGED.
 *   pProperties  as for PeerGroupCreate (dwSize 96). pwzCloud,
 *                pwzClassifier, pwzGroupPeerName and pwzCreatorPeerName
 *                must be NULL or unchanged.
 * Returns S_OK; E_INVALIDARG (NULL, dwSize); PEER_E_NOT_AUTHORIZED (not an
 * administrator); PEER_E_INVALID_GROUP_PROPERTIES (a fixed field changed,
 * or a value out of range, as for PeerGroupCreate);
 * PEER_E_INVALID_FRIENDLY_NAME; PEER_E_PASSWORD_DOES_NOT_MEET_POLICY;
 * PEER_E_GROUP_NOT_READY; E_HANDLE. */
HRESULT PeerGroupSetProperties(HGROUP hGroup, PPEER_GROUP_PROPERTIES pProperties);

/* PeerGroupPeerTimeToUniversalTime converts the group's agreed time to
 * UTC. Once synchronised the group's time is UTC, so the value is
 * unchanged; before a joined member's first synchronisation it fails with
 * PEER_E_GROUP_NOT_READY, which makes this call the way to ask whether a
 * joined group may publish yet (see PeerGroupJoin).
 * Returns S_OK; E_INVALIDARG (a NULL pointer); PEER_E_GROUP_NOT_READY;
 * E_HANDLE. */
HRESULT PeerGroupPeerTimeToUniversalTime(HGROUP hGroup, FILETIME *pftPeerTime, FILETIME *pftUniversalTime);

/* PeerGroupUniversalTimeToPeerTime is the inverse of
 * PeerGroupPeerTimeToUniversalTime, with the same results. */
HRESULT PeerGroupUniversalTimeToPeerTime(HGROUP hGroup, FILETIME *pftUniversalTime, FILETIME *pftPeerTime);

/* ------------------------------------------------------------------ */
/* Grouping: invitations and credentials                              */
/* ------------------------------------------------------------------ */

/* PeerGroupCreateInvitation invites an identity: it issues the identity a
 * credential (GMC) with the given roles and wraps it, with the group's
 * description and the addresses where this member listens now, into an
 * invitation XML for PeerGroupJoin. Administrators may grant any role;
 * inviting members the member role only. It works offline too: the
 * invitation then carries no address, and the invitee finds the issuer
 * (or another member the invitation names) in the mainline DHT once the
 * issuer is online, or by LAN discovery or PeerGroupConnectByAddress;
 * with P2P_DHT=0 and nothing else to go by, the invitee's PeerGroupConnect
 * raises CONNECTION_FAILED with PEER_E_NO_MEMBERS_FOUND (it keeps
 * trying).
 *   hGroup           the group.
 *   pwzIdentityInfo  the invitee's identity XML (PeerIdentityGetXML).
 *   pftExpiration    the end of validity; NULL: as long as the issuer's own
 *                    credential (a later time is cut to that).
 *   cRoles, pRoles   the roles (PEER_GROUP_ROLE_*), at most 16; 0 and NULL:
 *                    the member role.
 *   ppwzInvitation   receives the invitation (PeerFreeData).
 * Returns S_OK; E_INVALIDARG (NULL pointers, malformed identity XML, a
 * zero FILETIME, more than 16 roles); PEER_E_INVALID_TIME_PERIOD (expiration
 * in the past); PEER_E_INVALID_ROLE_PROPERTY (an unknown role);
 * PEER_E_NOT_AUTHORIZED (the caller may not grant these roles);
 * PEER_E_GROUP_NOT_READY (a joined member before its first
 * synchronisation); PEER_E_INVALID_CREDENTIAL (the caller's own credential
 * expired); E_HANDLE. Differs from Windows: the XML is this library's own
 * format (Ed25519 keys); Windows' P2P.dll cannot read it. */
HRESULT PeerGroupCreateInvitation(HGROUP hGroup, PCWSTR pwzIdentityInfo, FILETIME *pftExpiration, ULONG cRoles, const GUID *pRoles, PWSTR *ppwzInvitation);

/* PeerGroupCreatePasswordInvitation makes an invitation for anyone who
 * knows the group's password (PeerGroupPasswordJoin); it grants the
 * group's password role and carries the addresses where this member
 * listens now.
 * Returns S_OK; E_INVALIDARG (ppwzInvitation NULL);
 * PEER_E_INVALID_GROUP_PROPERTIES (the group has no password
 * authentication); PEER_E_NOT_AUTHORIZED (the caller may not grant the
 * password role); PEER_E_GROUP_NOT_READY; E_HANDLE. */
HRESULT PeerGroupCreatePasswordInvitation(HGROUP hGroup, PWSTR *ppwzInvitation);

/* PeerGroupParseInvitation describes an invitation without joining: group
 * name and friendly name, issuer, subject (empty for a password
 * invitation), validity, roles, classifiers, the subject's public key and
 * the authentication scheme.
 *   pwzInvitation     the invitation XML.
 *   ppInvitationInfo  receives one PEER_INVITATION_INFO block (PeerFreeData).
 * Returns S_OK (also for an expired invitation, whose validity shows it);
 * E_INVALIDARG (NULL, not an invitation, malformed XML or UTF-16);
 * PEER_E_INVITATION_NOT_TRUSTED (altered: its signatures do not verify). */
HRESULT PeerGroupParseInvitation(PCWSTR pwzInvitation, PPEER_INVITATION_INFO *ppInvitationInfo);

/* PeerGroupIssueCredentials issues or renews a member's credential;
 * administrators only.
 *   pwzSubjectIdentity  the member's identity (peer name).
 *   pCredentialInfo     NULL: renew what the group knows of that member;
 *                       else dwSize 72, the subject's public key (as
 *                       PEER_INVITATION_INFO gives it), roles and validity
 *                       (0: from now, as long as the issuer's).
 *   dwFlags             0, or PEER_GROUP_STORE_CREDENTIALS to publish it in
 *                       the group for the member to pick up when it
 *                       connects.
 *   ppwzInvitation      NULL, or receives the credential as an invitation.
 * Returns S_OK; E_INVALIDARG (unknown flags, dwSize, malformed input);
 * PEER_E_INVALID_PEER_NAME; PEER_E_NOT_AUTHORIZED (not an administrator);
 * PEER_E_NOT_FOUND (renewing an unknown member);
 * PEER_E_INVALID_CREDENTIAL_INFO (the key does not belong to the subject);
 * PEER_E_CIRCULAR_CHAIN_DETECTED (issuing to oneself);
 * PEER_E_INVALID_ROLE_PROPERTY; PEER_E_INVALID_TIME_PERIOD;
 * PEER_E_GROUP_NOT_READY; E_HANDLE. */
HRESULT PeerGroupIssueCredentials(HGROUP hGroup, PCWSTR pwzSubjectIdentity, PEER_CREDENTIAL_INFO *pCredentialInfo, DWORD dwFlags, PWSTR *ppwzInvitation);

/* PeerGroupExportConfig exports this member's configuration of the group
 * (its identity with the private key, sealed with the password, and its
 * credentials) for PeerGroupImportConfig on another machine.
 *   pwzPassword  required; Argon2id and AES-256-GCM seal the key.
 *   ppwzXML      receives the XML (PeerFreeData).
 * Returns S_OK; E_INVALIDARG (NULL pointers); E_HANDLE;
 * PEER_E_INVALID_GROUP. */
HRESULT PeerGroupExportConfig(HGROUP hGroup, PCWSTR pwzPassword, PWSTR *ppwzXML);

/* PeerGroupImportConfig installs an exported configuration: the identity
 * (if this machine lacks it) and its membership of the group, which can
 * then be opened and connected.
 *   fOverwrite    replace an existing copy of the group (not while open).
 *   ppwzIdentity, ppwzGroup  receive the identity's and the group's peer
 *                 names (PeerFreeData each).
 * Returns S_OK; E_INVALIDARG (NULL pointers, not a configuration, the
 * wrong password); PEER_E_ALREADY_EXISTS (the group is here and fOverwrite
 * is FALSE); PEER_E_GROUP_IN_USE (overwriting a group that is open). */
HRESULT PeerGroupImportConfig(PCWSTR pwzXML, PCWSTR pwzPassword, WINBOOL fOverwrite, PWSTR *ppwzIdentity, PWSTR *ppwzGroup);

/* PeerGroupResumePasswordAuthentication lets a password joiner try again
 * after an AUTHENTICATION_FAILED event (for instance once the
 * administrator has fixed the password): the paused attempts resume.
 *   hPeerEventHandle  a registration of the group (the one that received
 *                     the event).
 * Returns S_OK; E_FAIL (no authentication is paused);
 * PEER_E_GROUP_NOT_READY (the group is offline);
 * PEER_E_EVENT_HANDLE_NOT_FOUND; E_HANDLE. */
HRESULT PeerGroupResumePasswordAuthentication(HGROUP hGroup, HPEEREVENT hPeerEventHandle);

/* ------------------------------------------------------------------ */
/* Grouping: records                                                  */
/* ------------------------------------------------------------------ */

/* PeerGroupAddRecord publishes a new record: the library gives it an id,
 * version 1, this member as creator and modifier, the times, and its
 * signature; it is stored durably before the call returns and replicates
 * to every member (RECORD_CHANGED, PEER_RECORD_ADDED).
 *   pRecord    dwSize = sizeof(PEER_RECORD) (128); type (an application
 *              GUID, not GUID_NULL); dwFlags 0 or
 *              PEER_RECORD_FLAG_AUTOREFRESH; ftExpiration, in the future and
 *              not after the member's credential ends; pwzAttributes (NULL
 *              or an <attributes> XML document, searchable); data (up to
 *              60 MB). Other fields are ignored.
 *   pRecordId  receives the new id.
 * Returns S_OK; E_INVALIDARG (NULL pointers, dwSize, GUID_NULL or a type
 * the library reserves, other flags, pbData NULL with cbData > 0,
 * malformed UTF-16); PEER_E_MAX_RECORD_SIZE_EXCEEDED (over 60 MB);
 * PEER_E_INVALID_ATTRIBUTES (malformed attributes, a reserved attribute
 * name, a value not of its type); PEER_E_INVALID_RECORD_EXPIRATION;
 * PEER_E_GROUP_NOT_READY (a joined member before its first
 * synchronisation: see PeerGroupJoin); PEER_E_NOT_AUTHORIZED (a role that
 * may not publish); PEER_E_INVALID_CREDENTIAL (the member's credential
 * expired); PEER_E_DISK_FULL; E_HANDLE. */
HRESULT PeerGroupAddRecord(HGROUP hGroup, PPEER_RECORD pRecord, GUID *pRecordId);

/* PeerGroupUpdateRecord replaces the data, attributes, flags and
 * expiration of a live record, found by pRecord->id; its version goes up
 * by one and the change replicates (RECORD_CHANGED, PEER_RECORD_UPDATED).
 * Only the record's creator or an administrator may update it.
 *   pRecord  as for PeerGroupAddRecord, with id set and the same type.
 * Returns S_OK; the errors of PeerGroupAddRecord; E_INVALIDARG (a
 * different type); PEER_E_RECORD_NOT_FOUND; PEER_E_NOT_AUTHORIZED. */
HRESULT PeerGroupUpdateRecord(HGROUP hGroup, PPEER_RECORD pRecord);

/* PeerGroupDeleteRecord deletes a record: a signed tombstone
 * (PEER_RECORD_FLAG_DELETED) replaces it and replicates, so members that
 * were offline delete it too (RECORD_CHANGED, PEER_RECORD_DELETED). Only
 * its creator or an administrator may delete it.
 * Returns S_OK; E_INVALIDARG (pRecordId NULL); PEER_E_RECORD_NOT_FOUND
 * (unknown or already deleted); PEER_E_NOT_AUTHORIZED;
 * PEER_E_GROUP_NOT_READY; E_HANDLE. */
HRESULT PeerGroupDeleteRecord(HGROUP hGroup, const GUID *pRecordId);

/* PeerGroupGetRecord returns a live record as one PEER_RECORD block
 * (PeerFreeData): type, id, version, flags, creator, last modifier,
 * attributes, times, signature (securityData) and data.
 * Returns S_OK; E_INVALIDARG (a NULL pointer); PEER_E_RECORD_NOT_FOUND
 * (unknown, deleted or expired); E_HANDLE; PEER_E_INVALID_GROUP. */
HRESULT PeerGroupGetRecord(HGROUP hGroup, const GUID *pRecordId, PPEER_RECORD *ppRecord);

/* PeerGroupEnumRecords enumerates the live records of the group as
 * PEER_RECORD items.
 *   pRecordType  NULL for every record, or one record type.
 *   phPeerEnum   receives the enumeration; each record is read when taken,
 *                so one deleted meanwhile is skipped.
 * Returns S_OK; E_INVALIDARG (phPeerEnum NULL); E_HANDLE;
 * PEER_E_INVALID_GROUP. */
HRESULT PeerGroupEnumRecords(HGROUP hGroup, const GUID *pRecordType, HPEERENUM *phPeerEnum);

/* PeerGroupSearchRecords enumerates the live records whose attributes
 * match a query (Windows' record search format): a <peersearch> element
 * holding one <clause attrib="name" type="string|int|date"
 * compare="equal|notequal|less|lessorequal|greater|greaterorequal">value
 * </clause>, or <and> and <or> of such; strings may use * and ?.
 * Returns S_OK; E_INVALIDARG (NULL pointers, malformed UTF-16);
 * PEER_E_INVALID_SEARCH (anything else malformed); E_HANDLE. */
HRESULT PeerGroupSearchRecords(HGROUP hGroup, PCWSTR pwzCriteria, HPEERENUM *phPeerEnum);

/* PeerGroupExportDatabase writes every record of the group (tombstones
 * and the group's own records included) to a new file, atomically: the
 * file appears whole or not at all.
 *   pwzFilePath  the file to write (replaced if it exists).
 * Returns S_OK; E_INVALIDARG; HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)
 * (the directory does not exist); E_ACCESSDENIED; PEER_E_DISK_FULL;
 * E_HANDLE; PEER_E_INVALID_GROUP. Differs from Windows: the file is this
 * library's format. */
HRESULT PeerGroupExportDatabase(HGROUP hGroup, PCWSTR pwzFilePath);

/* PeerGroupImportDatabase merges an export of the same group into its
 * database before it goes online, verifying every record as if a member
 * had sent it (invalid ones are skipped; the conflict rule decides
 * between versions).
 * Returns S_OK; E_INVALIDARG; HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND);
 * PEER_E_INVALID_DATABASE (not an export file, or another group's);
 * PEER_E_GROUP_IN_USE (the group is online); E_HANDLE. */
HRESULT PeerGroupImportDatabase(HGROUP hGroup, PCWSTR pwzFilePath);

/* ------------------------------------------------------------------ */
/* Grouping: members and connections                                  */
/* ------------------------------------------------------------------ */

/* PeerGroupEnumMembers enumerates the members the group knows, as
 * PEER_MEMBER items: identity, attributes, node id, the addresses where it
 * listens, PEER_MEMBER_PRESENT while online, and its credential
 * (friendly name, issuer, validity, roles).
 *   dwFlags      0, or PEER_MEMBER_PRESENT for online members only.
 *   pwzIdentity  NULL for all, or one member's peer name.
 *   phPeerEnum   receives the enumeration.
 * Returns S_OK; E_INVALIDARG (unknown flags, NULL phPeerEnum, malformed
 * UTF-16); E_HANDLE. */
HRESULT PeerGroupEnumMembers(HGROUP hGroup, DWORD dwFlags, PCWSTR pwzIdentity, HPEERENUM *phPeerEnum);

/* PeerGroupEnumConnections enumerates the group's connections as
 * PEER_CONNECTION_INFO items (flags, connection id, node id, the other
 * member's peer name and address); empty while offline.
 *   dwFlags  PEER_CONNECTION_NEIGHBOR and/or PEER_CONNECTION_DIRECT; 0: both.
 * Returns S_OK; E_INVALIDARG (unknown flags, NULL phPeerEnum); E_HANDLE. */
HRESULT PeerGroupEnumConnections(HGROUP hGroup, DWORD dwFlags, HPEERENUM *phPeerEnum);

/* PeerGroupOpenDirectConnection starts a direct connection to a member (a
 * QUIC stream over an authenticated connection to it) and returns its id
 * at once. A DIRECT_CONNECTION event with that id then reports
 * PEER_CONNECTED, or PEER_CONNECTION_FAILED with the reason:
 * PEER_E_NOT_AUTHORIZED (not a member), PEER_E_CONNECTION_FAILED (not
 * online or unreachable), PEER_E_CONNECTION_REFUSED. The other member gets
 * DIRECT_CONNECTION with PEER_CONNECTED and its own id for the connection.
 *   pwzIdentity       the member's identity (peer name).
 *   pAddress          NULL, or where to reach it (PEER_ADDRESS, dwSize 32).
 *   pullConnectionId  receives the connection id.
 * At most 64 connections are being opened at once in a group (calls
 * whose DIRECT_CONNECTION event has not come yet); attempts to the same
 * member share one search for it, and an unreachable member's attempts
 * end with PEER_CONNECTION_FAILED within about 10 s.
 * Returns S_OK; E_INVALIDARG (NULL, not a peer name, a bad PEER_ADDRESS);
 * PEER_E_INVALID_ADDRESS (not AF_INET6, port 0); PEER_E_CONNECT_SELF;
 * PEER_E_GROUP_NOT_READY (the group is offline); E_OUTOFMEMORY (64
 * connections are being opened already: open again once a
 * DIRECT_CONNECTION event ends one); E_HANDLE. Differs from Windows: the
 * limit of 64. */
HRESULT PeerGroupOpenDirectConnection(HGROUP hGroup, PCWSTR pwzIdentity, PPEER_ADDRESS pAddress, ULONGLONG *pullConnectionId);

/* PeerGroupSendData sends one message on a direct connection (or on a
 * neighbour connection, by its id). The other member gets it whole, once
 * and in order as an INCOMING_DATA event carrying pType and the bytes.
 * It returns once the message is in the connection's send buffer (1 MiB;
 * it waits while that is full), not when the other member has it.
 *   ullConnectionId  the connection.
 *   pType            the message's type GUID (required).
 *   cbData, pvData   the message, 0 to 1 MiB (1048576 bytes).
 * Returns S_OK; E_INVALIDARG (pType NULL, pvData NULL with cbData > 0,
 * more than 1 MiB); PEER_E_CONNECTION_NOT_FOUND (unknown or closed: a
 * message sent on a connection that closes meanwhile is lost with it);
 * E_HANDLE. Differs from Windows: the 1 MiB limit. */
HRESULT PeerGroupSendData(HGROUP hGroup, ULONGLONG ullConnectionId, const GUID *pType, ULONG cbData, PVOID pvData);

/* PeerGroupCloseDirectConnection closes a direct connection; both members
 * get DIRECT_CONNECTION with PEER_DISCONNECTED. Messages sent before it
 * was closed are delivered or lost with it, never half.
 * Returns S_OK; PEER_E_CONNECTION_NOT_FOUND (unknown, already closed by
 * either side, or the group is offline); E_HANDLE. */
HRESULT PeerGroupCloseDirectConnection(HGROUP hGroup, ULONGLONG ullConnectionId);

/* ------------------------------------------------------------------ */
/* Grouping: events                                                   */
/* ------------------------------------------------------------------ */

/* PeerGroupRegisterEvent registers for events of a group. Each
 * registration has its own queue; the library signals hEvent when it
 * queues an event there (not again until the application has called
 * PeerGroupGetEventData since), so on each signal call
 * PeerGroupGetEventData until PEER_S_NO_EVENT_DATA. Only events after the
 * registration are queued. Up to 16 MiB of INCOMING_DATA is held per
 * registration; beyond that the sender waits (back-pressure) rather than
 * memory growing.
 *   hEvent               Windows: an event object (CreateEvent); the
 *                        library calls SetEvent. POSIX: a file descriptor
 *                        cast to HANDLE, (HANDLE)(intptr_t)fd: an eventfd,
 *                        the write end of a pipe or a socket (not 0); the
 *                        library writes the 8-byte integer 1 to it.
 *   cEventRegistration,  1 to 64 PEER_GROUP_EVENT_REGISTRATIONs: an event
 *   pEventRegistrations  type (PEER_GROUP_EVENT_*) and, for RECORD_CHANGED
 *                        and INCOMING_DATA, an optional GUID* (pType) that
 *                        keeps only that record or data type.
 *   phPeerEvent          receives the registration.
 * Returns S_OK; E_INVALIDARG (NULL pointers, 0 or more than 64
 * registrations, an unknown event type, a HANDLE that is NULL, -1, closed,
 * or on POSIX a descriptor that is not an eventfd, pipe or socket);
 * E_HANDLE; PEER_E_INVALID_GROUP. Differs from Windows: on POSIX the
 * HANDLE is a file descriptor. */
HRESULT PeerGroupRegisterEvent(HGROUP hGroup, HANDLE hEvent, DWORD cEventRegistration, PEER_GROUP_EVENT_REGISTRATION *pEventRegistrations, HPEEREVENT *phPeerEvent);

/* PeerGroupGetEventData takes the oldest queued event of a registration.
 *   ppEventData  receives one PEER_GROUP_EVENT_DATA block (PeerFreeData),
 *                or NULL with PEER_S_NO_EVENT_DATA. eventType says which
 *                union member is valid: dwStatus (STATUS_CHANGED),
 *                recordChangeData (RECORD_CHANGED), connectionChangeData
 *                (DIRECT_ and NEIGHBOR_CONNECTION), incomingData
 *                (INCOMING_DATA), memberChangeData (MEMBER_CHANGED),
 *                hrConnectionFailedReason (CONNECTION_FAILED,
 *                AUTHENTICATION_FAILED); PROPERTY_CHANGED has none.
 * Returns S_OK; PEER_S_NO_EVENT_DATA (the queue is empty: wait for the
 * next signal); E_INVALIDARG (ppEventData NULL);
 * PEER_E_EVENT_HANDLE_NOT_FOUND. */
HRESULT PeerGroupGetEventData(HPEEREVENT hPeerEvent, PPEER_GROUP_EVENT_DATA *ppEventData);

/* PeerGroupUnregisterEvent ends a registration; its queued events are
 * dropped and the library no longer touches its HANDLE (which the
 * application still owns and closes).
 * Returns S_OK; PEER_E_EVENT_HANDLE_NOT_FOUND (unknown, already
 * unregistered, stale, NULL, or not an HPEEREVENT). */
HRESULT PeerGroupUnregisterEvent(HPEEREVENT hPeerEvent);

/* ------------------------------------------------------------------ */
/* Identity Manager                                                   */
/* ------------------------------------------------------------------ */

/* PeerIdentityCreate creates an identity: an Ed25519 key pair, kept in the
 * data directory (readable by its owner only), with a self-signed X.509
 * certificate. Its peer name is <40 hex digits>.<classifier>, the hex being
 * the SHA-1 of the public key.
 *   pwzClassifier    NULL or at most 149 characters.
 *   pwzFriendlyName  NULL (the peer name) or at most 255 characters.
 *   hCryptProv       0 (see below).
 *   ppwzIdentity     receives the peer name (PeerFreeData).
 * Returns S_OK; E_INVALIDARG (ppwzIdentity NULL, a classifier or friendly
 * name too long, malformed UTF-16); E_NOTIMPL (hCryptProv is not 0);
 * PEER_E_TOO_MANY_IDENTITIES (1024 in one data directory);
 * PEER_E_NO_KEY_ACCESS (the key cannot be written). Differs from Windows:
 * keys are Ed25519 and never come from a CryptoAPI provider; Windows
 * answers a bad classifier with PEER_E_INVALID_CLASSIFIER. */
HRESULT PeerIdentityCreate(PCWSTR pwzClassifier, PCWSTR pwzFriendlyName, HCRYPTPROV hCryptProv, PWSTR *ppwzIdentity);

/* PeerIdentityGetDefault returns the user's default identity, creating it
 * on first use (PeerFreeData).
 * Returns S_OK; E_INVALIDARG (ppwzPeerName NULL). */
HRESULT PeerIdentityGetDefault(PWSTR *ppwzPeerName);

/* PeerIdentityGetFriendlyName returns an identity's friendly name
 * (PeerFreeData).
 * Returns S_OK; E_INVALIDARG (NULL pointers, not a peer name);
 * PEER_E_NOT_FOUND (no such identity). */
HRESULT PeerIdentityGetFriendlyName(PCWSTR pwzIdentity, PWSTR *ppwzFriendlyName);

/* PeerIdentitySetFriendlyName changes an identity's friendly name; NULL or
 * "" resets it to the peer name. Credentials issued before keep the old
 * name.
 * Returns S_OK; E_INVALIDARG (pwzIdentity NULL, over 255 characters,
 * malformed UTF-16); PEER_E_NOT_FOUND. */
HRESULT PeerIdentitySetFriendlyName(PCWSTR pwzIdentity, PCWSTR pwzFriendlyName);

/* PeerIdentityGetXML returns the public part of an identity (peer name,
 * friendly name, certificate) as XML, for a group administrator's
 * PeerGroupCreateInvitation.
 *   pwzIdentity  the identity (NULL or "": the default identity).
 * Returns S_OK; E_INVALIDARG; PEER_E_NOT_FOUND. Differs from Windows: the
 * XML is this library's format (Ed25519); Windows' cannot be read. */
HRESULT PeerIdentityGetXML(PCWSTR pwzIdentity, PWSTR *ppwzIdentityXML);

/* PeerIdentityGetCert returns an identity's X.509 certificate (DER, an
 * Ed25519 key, self-signed) in one PEER_DATA block that PeerFreeData
 * releases. P2P.dll exports it without a published prototype (mingw-w64's
 * import library lists it); this is the library's.
 *   pwzIdentity    the identity (NULL or "": the default identity).
 *   ppCertificate  receives the PEER_DATA.
 * Returns S_OK; E_INVALIDARG (ppCertificate NULL, a malformed name);
 * PEER_E_NOT_FOUND (unknown identity). */
HRESULT PeerIdentityGetCert(PCWSTR pwzIdentity, PPEER_DATA *ppCertificate);

/* PeerIdentityExport exports an identity with its private key, sealed with
 * a password (Argon2id, then AES-256-GCM), for PeerIdentityImport.
 * Returns S_OK; E_INVALIDARG (NULL pointers, malformed UTF-16);
 * PEER_E_NOT_FOUND. Differs from Windows: this library's format. */
HRESULT PeerIdentityExport(PCWSTR pwzIdentity, PCWSTR pwzPassword, PWSTR *ppwzExportXML);

/* PeerIdentityImport imports an exported identity; returns its peer name.
 * Returns S_OK; E_INVALIDARG (not an export, or the wrong password);
 * PEER_E_ALREADY_EXISTS (the identity is here already);
 * PEER_E_TOO_MANY_IDENTITIES. */
HRESULT PeerIdentityImport(PCWSTR pwzImportXML, PCWSTR pwzPassword, PWSTR *ppwzIdentity);

/* PeerIdentityDelete deletes an identity and its key. It refuses while
 * the identity still has groups (delete them with PeerGroupDelete first).
 * Returns S_OK; E_INVALIDARG (NULL, not a peer name); PEER_E_NOT_FOUND;
 * PEER_E_GROUPS_EXIST. */
HRESULT PeerIdentityDelete(PCWSTR pwzIdentity);

/* PeerIdentityGetCryptKey sets *phCryptProv to 0 and fails: identity keys
 * are Ed25519 keys held by the library, and there is no CryptoAPI provider
 * to return.
 * Returns E_NOTIMPL for an existing identity; E_INVALIDARG (NULL
 * pointers, not a peer name); PEER_E_NOT_FOUND. Differs from Windows,
 * where it returns the identity's CryptoAPI key. */
HRESULT PeerIdentityGetCryptKey(PCWSTR pwzIdentity, HCRYPTPROV *phCryptProv);

/* PeerEnumIdentities enumerates the identities of the data directory as
 * PEER_NAME_PAIR items (peer name, friendly name); a damaged identity is
 * left out.
 * Returns S_OK; E_INVALIDARG (phPeerEnum NULL). */
HRESULT PeerEnumIdentities(HPEERENUM *phPeerEnum);

/* PeerEnumGroups enumerates the groups an identity created or joined, as
 * PEER_NAME_PAIR items (group peer name, friendly name).
 *   pwzIdentity  the identity ("" : the default identity).
 * Returns S_OK; E_INVALIDARG (NULL pointers, not a peer name);
 * PEER_E_NOT_FOUND (no such identity). */
HRESULT PeerEnumGroups(PCWSTR pwzIdentity, HPEERENUM *phPeerEnum);

/* PeerCreatePeerName builds a peer name: with an identity,
 * <its 40 hex digits>.<pwzClassifier> (or the identity's own peer name if
 * pwzClassifier is NULL); with pwzIdentity NULL, the unsecured name
 * 0.<pwzClassifier>.
 * Returns S_OK; E_INVALIDARG (both NULL, ppwzPeerName NULL, a classifier
 * over 149 characters or malformed, an empty classifier for an unsecured
 * name); PEER_E_NOT_FOUND (unknown identity). */
HRESULT PeerCreatePeerName(PCWSTR pwzIdentity, PCWSTR pwzClassifier, PWSTR *ppwzPeerName);

#endif /* P2P_NO_PROTOTYPES */

#ifdef __cplusplus
}
#endif

#endif /* P2P_PORTABLE_P2P_H */
