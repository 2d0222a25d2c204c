// NativeMethods.cs - the raw ABI of p2p.h: the structures with their
// Windows x64 layouts and all 56 functions as P/Invoke declarations.
//
// The same declarations serve p2p.dll on Windows and libp2p.so.1 on Linux:
// the library keeps Windows' layouts everywhere (WCHAR is UTF-16, DWORD 32
// bits), and every string parameter is marshalled as UTF-16
// (CharSet.Unicode; Mono's default would send UTF-8 on Linux). Memory the
// library returns arrives as a PeerData SafeHandle, freed with
// PeerFreeData; handles arrive as PeerGroupHandle, PeerEventHandle and
// PeerEnumHandle, released with PeerGroupClose, PeerGroupUnregisterEvent
// and PeerEndEnumeration. Every function returns an HRESULT (PeerException
// turns a failing one into an exception).
using System;
using System.Runtime.InteropServices;

namespace P2P
{
#pragma warning disable 1591 // the structures' fields carry their Windows names; p2p.h documents them

    /// <summary>PEER_VERSION_DATA: what PeerGroupStartup negotiated.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_VERSION_DATA { public ushort wVersion, wHighestVersion; }

    /// <summary>FILETIME: 100-nanosecond intervals since 1601-01-01 UTC (named
    /// FileTime so that it does not clash with System.Runtime.InteropServices.FILETIME).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct FileTime
    {
        public uint dwLowDateTime, dwHighDateTime;

        /// <summary>The FileTime of a time (converted to UTC).</summary>
        public static FileTime FromDateTime(DateTime t)
        {
            long v = t.ToFileTimeUtc();
            return new FileTime { dwLowDateTime = (uint)v, dwHighDateTime = (uint)(v >> 32) };
        }

        /// <summary>The time as a UTC DateTime.</summary>
        public DateTime ToDateTime()
        {
            return DateTime.FromFileTimeUtc((long)((ulong)dwHighDateTime << 32 | dwLowDateTime));
        }
    }

    /// <summary>PEER_DATA: a byte count and a pointer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_DATA { public uint cbData; public IntPtr pbData; }

    /// <summary>PEER_RECORD (128 bytes). Strings are pointers: the library's
    /// on output; on input, memory the caller keeps alive for the call.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_RECORD
    {
        public uint dwSize;
        public Guid type, id;
        public uint dwVersion, dwFlags;
        public IntPtr pwzCreatorId, pwzModifiedById, pwzAttributes;
        public FileTime ftCreation, ftExpiration, ftLastModified;
        public PEER_DATA securityData, data;
    }

    /// <summary>Windows' SOCKADDR_IN6 (28 bytes); port and address in network order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SOCKADDR_IN6
    {
        public ushort sin6_family, sin6_port;
        public uint sin6_flowinfo;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 16)] public byte[] sin6_addr;
        public uint sin6_scope_id;
    }

    /// <summary>PEER_ADDRESS (32 bytes): dwSize and a SOCKADDR_IN6.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_ADDRESS { public uint dwSize; public SOCKADDR_IN6 sin6; }

    /// <summary>PEER_CONNECTION_INFO (64 bytes): a neighbour or direct connection.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_CONNECTION_INFO
    {
        public uint dwSize, dwFlags;
        public ulong ullConnectionId, ullNodeId;
        public IntPtr pwzPeerId;
        public PEER_ADDRESS address;
    }

    /// <summary>PEER_EVENT_INCOMING_DATA (48 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_EVENT_INCOMING_DATA
    {
        public uint dwSize;
        public ulong ullConnectionId;
        public Guid type;
        public PEER_DATA data;
    }

    /// <summary>PEER_EVENT_RECORD_CHANGE_DATA (40 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_EVENT_RECORD_CHANGE_DATA
    {
        public uint dwSize;
        public int changeType;
        public Guid recordId, recordType;
    }

    /// <summary>PEER_EVENT_CONNECTION_CHANGE_DATA (40 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_EVENT_CONNECTION_CHANGE_DATA
    {
        public uint dwSize;
        public int status;
        public ulong ullConnectionId, ullNodeId, ullNextConnectionId;
        public int hrConnectionFailedReason;
    }

    /// <summary>PEER_EVENT_MEMBER_CHANGE_DATA (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_EVENT_MEMBER_CHANGE_DATA
    {
        public uint dwSize;
        public int changeType;
        public IntPtr pwzIdentity;
    }

    /// <summary>PEER_GROUP_EVENT_DATA (56 bytes): the union starts at offset 8;
    /// eventType says which member is valid.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 56)]
    public struct PEER_GROUP_EVENT_DATA
    {
        [FieldOffset(0)] public int eventType;
        [FieldOffset(8)] public uint dwStatus;
        [FieldOffset(8)] public PEER_EVENT_INCOMING_DATA incomingData;
        [FieldOffset(8)] public PEER_EVENT_RECORD_CHANGE_DATA recordChangeData;
        [FieldOffset(8)] public PEER_EVENT_CONNECTION_CHANGE_DATA connectionChangeData;
        [FieldOffset(8)] public PEER_EVENT_MEMBER_CHANGE_DATA memberChangeData;
        [FieldOffset(8)] public int hrConnectionFailedReason;
    }

    /// <summary>PEER_GROUP_EVENT_REGISTRATION (16 bytes): an event type and an
    /// optional pointer to a GUID that filters RECORD_CHANGED and INCOMING_DATA.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_GROUP_EVENT_REGISTRATION { public int eventType; public IntPtr pType; }

    /// <summary>CRYPT_BIT_BLOB (wincrypt.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CRYPT_BIT_BLOB { public uint cbData; public IntPtr pbData; public uint cUnusedBits; }

    /// <summary>CRYPT_ALGORITHM_IDENTIFIER (wincrypt.h); Parameters is a CRYPT_OBJID_BLOB.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CRYPT_ALGORITHM_IDENTIFIER { public IntPtr pszObjId; public PEER_DATA Parameters; }

    /// <summary>CERT_PUBLIC_KEY_INFO (48 bytes): an X.509 SubjectPublicKeyInfo.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CERT_PUBLIC_KEY_INFO { public CRYPT_ALGORITHM_IDENTIFIER Algorithm; public CRYPT_BIT_BLOB PublicKey; }

    /// <summary>PEER_CREDENTIAL_INFO (72 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_CREDENTIAL_INFO
    {
        public uint dwSize, dwFlags;
        public IntPtr pwzFriendlyName, pPublicKey, pwzIssuerPeerName, pwzIssuerFriendlyName;
        public FileTime ftValidityStart, ftValidityEnd;
        public uint cRoles;
        public IntPtr pRoles;
    }

    /// <summary>PEER_MEMBER (56 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_MEMBER
    {
        public uint dwSize, dwFlags;
        public IntPtr pwzIdentity, pwzAttributes;
        public ulong ullNodeId;
        public uint cAddresses;
        public IntPtr pAddresses, pCredentialInfo;
    }

    /// <summary>PEER_INVITATION_INFO (136 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_INVITATION_INFO
    {
        public uint dwSize, dwFlags;
        public IntPtr pwzCloudName;
        public uint dwScope, dwCloudFlags;
        public IntPtr pwzGroupPeerName, pwzIssuerPeerName, pwzSubjectPeerName;
        public IntPtr pwzGroupFriendlyName, pwzIssuerFriendlyName, pwzSubjectFriendlyName;
        public FileTime ftValidityStart, ftValidityEnd;
        public uint cRoles;
        public IntPtr pRoles;
        public uint cClassifiers;
        public IntPtr ppwzClassifiers, pSubjectPublicKey;
        public int authScheme;
    }

    /// <summary>PEER_GROUP_PROPERTIES (96 bytes, the Vista layout). Its strings
    /// are marshalled as UTF-16 both ways.</summary>
    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
    public struct PEER_GROUP_PROPERTIES
    {
        public uint dwSize, dwFlags;
        public string pwzCloud, pwzClassifier, pwzGroupPeerName, pwzCreatorPeerName, pwzFriendlyName, pwzComment;
        public uint ulMemberDataLifetime, ulPresenceLifetime, dwAuthenticationSchemes;
        public string pwzGroupPassword;
        public Guid groupPasswordRole;
    }

    /// <summary>PEER_NAME_PAIR (24 bytes): a peer name and its friendly name.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_NAME_PAIR { public uint dwSize; public IntPtr pwzPeerName, pwzFriendlyName; }

#pragma warning restore 1591

    /// <summary>An HGROUP; disposing it calls PeerGroupClose.</summary>
    public sealed class PeerGroupHandle : SafeHandle
    {
        /// <summary>An invalid handle, for the marshaller to fill.</summary>
        public PeerGroupHandle() : base(IntPtr.Zero, true) { }

        /// <summary>Whether the handle is NULL.</summary>
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>PeerGroupClose. After PeerGroupShutdown closed every handle
        /// the call fails harmlessly (E_HANDLE): handles are never reused.</summary>
        protected override bool ReleaseHandle()
        {
            NativeMethods.PeerGroupClose(handle);
            return true;
        }
    }

    /// <summary>An HPEEREVENT; disposing it calls PeerGroupUnregisterEvent.</summary>
    public sealed class PeerEventHandle : SafeHandle
    {
        /// <summary>An invalid handle, for the marshaller to fill.</summary>
        public PeerEventHandle() : base(IntPtr.Zero, true) { }

        /// <summary>Whether the handle is NULL.</summary>
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>PeerGroupUnregisterEvent.</summary>
        protected override bool ReleaseHandle()
        {
            NativeMethods.PeerGroupUnregisterEvent(handle);
            return true;
        }
    }

    /// <summary>An HPEERENUM; disposing it calls PeerEndEnumeration.</summary>
    public sealed class PeerEnumHandle : SafeHandle
    {
        /// <summary>An invalid handle, for the marshaller to fill.</summary>
        public PeerEnumHandle() : base(IntPtr.Zero, true) { }

        /// <summary>Whether the handle is NULL.</summary>
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>PeerEndEnumeration.</summary>
        protected override bool ReleaseHandle()
        {
            NativeMethods.PeerEndEnumeration(handle);
            return true;
        }
    }

    /// <summary>Memory the library returned (a string, a structure or an
    /// array); disposing it calls PeerFreeData, which frees the whole
    /// block, strings and data included.</summary>
    public sealed class PeerData : SafeHandle
    {
        /// <summary>An invalid handle, for the marshaller to fill.</summary>
        public PeerData() : base(IntPtr.Zero, true) { }

        /// <summary>Whether the pointer is NULL.</summary>
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>The address, valid until the PeerData is disposed.</summary>
        public IntPtr Address { get { return handle; } }

        /// <summary>The NUL-terminated UTF-16 string it holds ("" for NULL).</summary>
        public string ReadString()
        {
            return IsInvalid ? "" : Marshal.PtrToStringUni(handle);
        }

        /// <summary>The structure it points to, copied.</summary>
        public T Read<T>() where T : struct
        {
            if (IsInvalid) throw new InvalidOperationException("NULL PeerData");
            return Marshal.PtrToStructure<T>(handle);
        }

        /// <summary>PeerFreeData.</summary>
        protected override bool ReleaseHandle()
        {
            NativeMethods.PeerFreeData(handle);
            return true;
        }
    }

    /// <summary>The 56 functions of p2p.h, declared for P/Invoke (see p2p.h for
    /// each one's parameters and HRESULTs). Optional pointer parameters are
    /// IntPtr (IntPtr.Zero for NULL).</summary>
    public static class NativeMethods
    {
        /// <summary>The library: p2p.dll on Windows, libp2p.so on Linux (Mono's
        /// P2P.Net.dll.config maps it to libp2p.so.1).</summary>
        public const string Library = "p2p";

        // Common calls.
        /// <summary>PeerFreeData.</summary>
        [DllImport(Library)] public static extern void PeerFreeData(IntPtr pvData);
        /// <summary>PeerGetItemCount.</summary>
        [DllImport(Library)] public static extern int PeerGetItemCount(PeerEnumHandle hPeerEnum, out uint pCount);
        /// <summary>PeerGetNextItem: an array of pointers to items, one block.</summary>
        [DllImport(Library)] public static extern int PeerGetNextItem(PeerEnumHandle hPeerEnum, ref uint pCount, out PeerData pppvItems);
        /// <summary>PeerEndEnumeration.</summary>
        [DllImport(Library)] public static extern int PeerEndEnumeration(IntPtr hPeerEnum);

        // Grouping.
        /// <summary>PeerGroupStartup.</summary>
        [DllImport(Library)] public static extern int PeerGroupStartup(ushort wVersionRequested, out PEER_VERSION_DATA pVersionData);
        /// <summary>PeerGroupShutdown.</summary>
        [DllImport(Library)] public static extern int PeerGroupShutdown();
        /// <summary>PeerGroupCreate.</summary>
        [DllImport(Library)] public static extern int PeerGroupCreate(ref PEER_GROUP_PROPERTIES pProperties, out PeerGroupHandle phGroup);
        /// <summary>PeerGroupOpen.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupOpen(string pwzIdentity, string pwzGroupPeerName, string pwzCloud, out PeerGroupHandle phGroup);
        /// <summary>PeerGroupJoin.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupJoin(string pwzIdentity, string pwzInvitation, string pwzCloud, out PeerGroupHandle phGroup);
        /// <summary>PeerGroupConnect.</summary>
        [DllImport(Library)] public static extern int PeerGroupConnect(PeerGroupHandle hGroup);
        /// <summary>PeerGroupClose (PeerGroupHandle.Dispose calls it).</summary>
        [DllImport(Library)] public static extern int PeerGroupClose(IntPtr hGroup);
        /// <summary>PeerGroupDelete.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupDelete(string pwzIdentity, string pwzGroupPeerName);
        /// <summary>PeerGroupCreateInvitation; pftExpiration is a FileTime* or IntPtr.Zero.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupCreateInvitation(PeerGroupHandle hGroup, string pwzIdentityInfo, IntPtr pftExpiration, uint cRoles, [In] Guid[] pRoles, out PeerData ppwzInvitation);
        /// <summary>PeerGroupParseInvitation: a PEER_INVITATION_INFO.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupParseInvitation(string pwzInvitation, out PeerData ppInvitationInfo);
        /// <summary>PeerGroupGetStatus.</summary>
        [DllImport(Library)] public static extern int PeerGroupGetStatus(PeerGroupHandle hGroup, out uint pdwStatus);
        /// <summary>PeerGroupGetProperties: a PEER_GROUP_PROPERTIES.</summary>
        [DllImport(Library)] public static extern int PeerGroupGetProperties(PeerGroupHandle hGroup, out PeerData ppProperties);
        /// <summary>PeerGroupSetProperties.</summary>
        [DllImport(Library)] public static extern int PeerGroupSetProperties(PeerGroupHandle hGroup, ref PEER_GROUP_PROPERTIES pProperties);
        /// <summary>PeerGroupEnumMembers: PEER_MEMBER items.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupEnumMembers(PeerGroupHandle hGroup, uint dwFlags, string pwzIdentity, out PeerEnumHandle phPeerEnum);
        /// <summary>PeerGroupOpenDirectConnection; pAddress is a PEER_ADDRESS* or IntPtr.Zero.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupOpenDirectConnection(PeerGroupHandle hGroup, string pwzIdentity, IntPtr pAddress, out ulong pullConnectionId);
        /// <summary>PeerGroupCloseDirectConnection.</summary>
        [DllImport(Library)] public static extern int PeerGroupCloseDirectConnection(PeerGroupHandle hGroup, ulong ullConnectionId);
        /// <summary>PeerGroupEnumConnections: PEER_CONNECTION_INFO items.</summary>
        [DllImport(Library)] public static extern int PeerGroupEnumConnections(PeerGroupHandle hGroup, uint dwFlags, out PeerEnumHandle phPeerEnum);
        /// <summary>PeerGroupSendData.</summary>
        [DllImport(Library)] public static extern int PeerGroupSendData(PeerGroupHandle hGroup, ulong ullConnectionId, ref Guid pType, uint cbData, [In] byte[] pvData);
        /// <summary>PeerGroupRegisterEvent; hEvent is an event object on Windows,
        /// a file descriptor elsewhere (PeerEventSignal makes either).</summary>
        [DllImport(Library)] public static extern int PeerGroupRegisterEvent(PeerGroupHandle hGroup, IntPtr hEvent, uint cEventRegistration, [In] PEER_GROUP_EVENT_REGISTRATION[] pEventRegistrations, out PeerEventHandle phPeerEvent);
        /// <summary>PeerGroupUnregisterEvent (PeerEventHandle.Dispose calls it).</summary>
        [DllImport(Library)] public static extern int PeerGroupUnregisterEvent(IntPtr hPeerEvent);
        /// <summary>PeerGroupGetEventData: a PEER_GROUP_EVENT_DATA, or PEER_S_NO_EVENT_DATA.</summary>
        [DllImport(Library)] public static extern int PeerGroupGetEventData(PeerEventHandle hPeerEvent, out PeerData ppEventData);
        /// <summary>PeerGroupGetRecord: a PEER_RECORD.</summary>
        [DllImport(Library)] public static extern int PeerGroupGetRecord(PeerGroupHandle hGroup, ref Guid pRecordId, out PeerData ppRecord);
        /// <summary>PeerGroupAddRecord.</summary>
        [DllImport(Library)] public static extern int PeerGroupAddRecord(PeerGroupHandle hGroup, ref PEER_RECORD pRecord, out Guid pRecordId);
        /// <summary>PeerGroupUpdateRecord.</summary>
        [DllImport(Library)] public static extern int PeerGroupUpdateRecord(PeerGroupHandle hGroup, ref PEER_RECORD pRecord);
        /// <summary>PeerGroupDeleteRecord.</summary>
        [DllImport(Library)] public static extern int PeerGroupDeleteRecord(PeerGroupHandle hGroup, ref Guid pRecordId);
        /// <summary>PeerGroupEnumRecords; pRecordType is a GUID* or IntPtr.Zero (all).</summary>
        [DllImport(Library)] public static extern int PeerGroupEnumRecords(PeerGroupHandle hGroup, IntPtr pRecordType, out PeerEnumHandle phPeerEnum);
        /// <summary>PeerGroupSearchRecords.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupSearchRecords(PeerGroupHandle hGroup, string pwzCriteria, out PeerEnumHandle phPeerEnum);
        /// <summary>PeerGroupExportDatabase.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupExportDatabase(PeerGroupHandle hGroup, string pwzFilePath);
        /// <summary>PeerGroupImportDatabase.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupImportDatabase(PeerGroupHandle hGroup, string pwzFilePath);
        /// <summary>PeerGroupIssueCredentials; pCredentialInfo is a PEER_CREDENTIAL_INFO* or IntPtr.Zero.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupIssueCredentials(PeerGroupHandle hGroup, string pwzSubjectIdentity, IntPtr pCredentialInfo, uint dwFlags, out PeerData ppwzInvitation);
        /// <summary>PeerGroupExportConfig.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupExportConfig(PeerGroupHandle hGroup, string pwzPassword, out PeerData ppwzXML);
        /// <summary>PeerGroupImportConfig (fOverwrite is a Win32 BOOL).</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupImportConfig(string pwzXML, string pwzPassword, int fOverwrite, out PeerData ppwzIdentity, out PeerData ppwzGroup);
        /// <summary>PeerGroupPeerTimeToUniversalTime.</summary>
        [DllImport(Library)] public static extern int PeerGroupPeerTimeToUniversalTime(PeerGroupHandle hGroup, ref FileTime pftPeerTime, out FileTime pftUniversalTime);
        /// <summary>PeerGroupUniversalTimeToPeerTime.</summary>
        [DllImport(Library)] public static extern int PeerGroupUniversalTimeToPeerTime(PeerGroupHandle hGroup, ref FileTime pftUniversalTime, out FileTime pftPeerTime);
        /// <summary>PeerGroupPasswordJoin.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerGroupPasswordJoin(string pwzIdentity, string pwzInvitation, string pwzPassword, string pwzCloud, out PeerGroupHandle phGroup);
        /// <summary>PeerGroupConnectByAddress.</summary>
        [DllImport(Library)] public static extern int PeerGroupConnectByAddress(PeerGroupHandle hGroup, uint cAddresses, [In] PEER_ADDRESS[] pAddresses);
        /// <summary>PeerGroupCreatePasswordInvitation.</summary>
        [DllImport(Library)] public static extern int PeerGroupCreatePasswordInvitation(PeerGroupHandle hGroup, out PeerData ppwzInvitation);
        /// <summary>PeerGroupResumePasswordAuthentication.</summary>
        [DllImport(Library)] public static extern int PeerGroupResumePasswordAuthentication(PeerGroupHandle hGroup, PeerEventHandle hPeerEventHandle);
        /// <summary>PeerGroupHandlePowerEvent (a PBT_* power event).</summary>
        [DllImport(Library)] public static extern int PeerGroupHandlePowerEvent(uint dwPowerEvent);

        // Identity Manager.
        /// <summary>PeerIdentityCreate (hCryptProv must be IntPtr.Zero here).</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerIdentityCreate(string pwzClassifier, string pwzFriendlyName, IntPtr hCryptProv, out PeerData ppwzIdentity);
        /// <summary>PeerIdentityGetFriendlyName.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerIdentityGetFriendlyName(string pwzIdentity, out PeerData ppwzFriendlyName);
        /// <summary>PeerIdentitySetFriendlyName.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerIdentitySetFriendlyName(string pwzIdentity, string pwzFriendlyName);
        /// <summary>PeerIdentityGetCryptKey (E_NOTIMPL here: no CryptoAPI).</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerIdentityGetCryptKey(string pwzIdentity, out IntPtr phCryptProv);
        /// <summary>PeerIdentityDelete.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerIdentityDelete(string pwzIdentity);
        /// <summary>PeerEnumIdentities: PEER_NAME_PAIR items.</summary>
        [DllImport(Library)] public static extern int PeerEnumIdentities(out PeerEnumHandle phPeerEnum);
        /// <summary>PeerEnumGroups: PEER_NAME_PAIR items.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerEnumGroups(string pwzIdentity, out PeerEnumHandle phPeerEnum);
        /// <summary>PeerCreatePeerName.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerCreatePeerName(string pwzIdentity, string pwzClassifier, out PeerData ppwzPeerName);
        /// <summary>PeerIdentityGetXML.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerIdentityGetXML(string pwzIdentity, out PeerData ppwzIdentityXML);
        /// <summary>PeerIdentityExport.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerIdentityExport(string pwzIdentity, string pwzPassword, out PeerData ppwzExportXML);
        /// <summary>PeerIdentityImport.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerIdentityImport(string pwzImportXML, string pwzPassword, out PeerData ppwzIdentity);
        /// <summary>PeerIdentityGetDefault.</summary>
        [DllImport(Library)] public static extern int PeerIdentityGetDefault(out PeerData ppwzPeerName);
        /// <summary>PeerIdentityGetCert: a PEER_DATA holding the DER certificate.</summary>
        [DllImport(Library, CharSet = CharSet.Unicode)] public static extern int PeerIdentityGetCert(string pwzIdentity, out PeerData ppCertificate);
    }
}
