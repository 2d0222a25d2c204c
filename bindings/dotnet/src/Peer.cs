// Peer.cs - the .NET layer over NativeMethods: PeerRuntime (start-up),
// PeerIdentity, PeerGroup, PeerEventRegistration and the objects they
// return. Every failing HRESULT becomes a PeerException; everything that
// holds a library handle is IDisposable.
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace P2P
{
    /// <summary>Constants of p2p.h.</summary>
    public static class Peer
    {
        /// <summary>PEER_GROUP_VERSION, MAKEWORD(1, 1).</summary>
        public const ushort GroupVersion = 0x0101;
        /// <summary>PEER_GROUP_ROLE_ADMIN.</summary>
        public static readonly Guid RoleAdmin = new Guid("04387127-aa56-450a-8ce5-4f565c6790f4");
        /// <summary>PEER_GROUP_ROLE_MEMBER.</summary>
        public static readonly Guid RoleMember = new Guid("f12dc4c7-0857-4ca0-93fc-b1bb19a3d8c2");
        /// <summary>PEER_GROUP_ROLE_INVITING_MEMBER.</summary>
        public static readonly Guid RoleInvitingMember = new Guid("4370fd89-dc18-4cfb-8dbf-9853a8a9f905");
        /// <summary>PEER_GROUP_STATUS_LISTENING.</summary>
        public const uint StatusListening = 0x1;
        /// <summary>PEER_GROUP_STATUS_HAS_CONNECTIONS.</summary>
        public const uint StatusHasConnections = 0x2;
        /// <summary>PEER_MEMBER_PRESENT: EnumMembers of online members only.</summary>
        public const uint MemberPresent = 0x1;
        /// <summary>PEER_CONNECTION_NEIGHBOR.</summary>
        public const uint ConnectionNeighbor = 0x1;
        /// <summary>PEER_CONNECTION_DIRECT.</summary>
        public const uint ConnectionDirect = 0x2;
        /// <summary>PEER_GROUP_GMC_AUTHENTICATION.</summary>
        public const uint GmcAuthentication = 0x1;
        /// <summary>PEER_GROUP_PASSWORD_AUTHENTICATION.</summary>
        public const uint PasswordAuthentication = 0x2;

        // Strings the library returned, read and freed.
        internal static string TakeString(PeerData p)
        {
            using (p) return p.ReadString();
        }

        internal static string Str(IntPtr p) { return p == IntPtr.Zero ? "" : Marshal.PtrToStringUni(p); }

        // The items of an enumeration, converted while its memory lives.
        internal static List<T> Items<T>(PeerEnumHandle e, Func<IntPtr, T> convert)
        {
            var list = new List<T>();
            using (e)
            {
                while (true)
                {
                    uint n = 64;
                    PeerData items;
                    PeerException.Check(NativeMethods.PeerGetNextItem(e, ref n, out items), "PeerGetNextItem");
                    using (items)
                    {
                        if (n == 0) return list;
                        for (int i = 0; i < n; i++)
                            list.Add(convert(Marshal.ReadIntPtr(items.Address, i * IntPtr.Size)));
                    }
                }
            }
        }
    }

    /// <summary>The event types of PEER_GROUP_EVENT_TYPE.</summary>
    public enum PeerGroupEventType
    {
        /// <summary>The group's status flags changed (Status).</summary>
        StatusChanged = 1,
        /// <summary>The group's properties changed.</summary>
        PropertyChanged = 2,
        /// <summary>A record was added, updated, deleted or expired.</summary>
        RecordChanged = 3,
        /// <summary>A direct connection opened, closed or failed.</summary>
        DirectConnection = 4,
        /// <summary>A neighbour connection opened, closed or failed.</summary>
        NeighborConnection = 5,
        /// <summary>A message arrived on a direct connection.</summary>
        IncomingData = 6,
        /// <summary>A member joined, left, came online or went offline.</summary>
        MemberChanged = 8,
        /// <summary>No member could be reached (HResult says why).</summary>
        ConnectionFailed = 10,
        /// <summary>A password join failed (HResult says why).</summary>
        AuthenticationFailed = 11,
    }

    /// <summary>The PEER_RECORD_CHANGE_TYPE of a RecordChanged event.</summary>
    public enum PeerRecordChange
    {
        /// <summary>PEER_RECORD_ADDED.</summary>
        Added = 1,
        /// <summary>PEER_RECORD_UPDATED.</summary>
        Updated = 2,
        /// <summary>PEER_RECORD_DELETED.</summary>
        Deleted = 3,
        /// <summary>PEER_RECORD_EXPIRED.</summary>
        Expired = 4,
    }

    /// <summary>The PEER_CONNECTION_STATUS of a connection event.</summary>
    public enum PeerConnectionStatus
    {
        /// <summary>PEER_CONNECTED.</summary>
        Connected = 1,
        /// <summary>PEER_DISCONNECTED.</summary>
        Disconnected = 2,
        /// <summary>PEER_CONNECTION_FAILED.</summary>
        Failed = 3,
    }

    /// <summary>The PEER_MEMBER_CHANGE_TYPE of a MemberChanged event.</summary>
    public enum PeerMemberChange
    {
        /// <summary>PEER_MEMBER_CONNECTED: came online.</summary>
        Connected = 1,
        /// <summary>PEER_MEMBER_DISCONNECTED: went offline.</summary>
        Disconnected = 2,
        /// <summary>PEER_MEMBER_UPDATED.</summary>
        Updated = 3,
        /// <summary>PEER_MEMBER_JOINED.</summary>
        Joined = 4,
        /// <summary>PEER_MEMBER_LEFT.</summary>
        Left = 5,
    }

    /// <summary>PeerGroupStartup and PeerGroupShutdown: start the library
    /// with <c>using (PeerRuntime.Startup()) { ... }</c>.</summary>
    /// <remarks>The data directory is the environment variable P2P_HOME as
    /// it is at the process's first startup (default ~/.local/share/p2p; on
    /// Windows %LOCALAPPDATA%\p2p). The library reads it from the C
    /// environment: under Mono and .NET Framework
    /// Environment.SetEnvironmentVariable before Startup works; .NET (Core)
    /// keeps its own copy of the environment on Linux, so set P2P_HOME before
    /// starting the process there.</remarks>
    public sealed class PeerRuntime : IDisposable
    {
        int disposed;

        /// <summary>The version PeerGroupStartup will use.</summary>
        public ushort Version { get; private set; }

        /// <summary>The highest version the library supports.</summary>
        public ushort HighestVersion { get; private set; }

        PeerRuntime() { }

        /// <summary>PeerGroupStartup; dispose the result to call PeerGroupShutdown
        /// (the last shutdown closes every handle of the process).</summary>
        public static PeerRuntime Startup(ushort version = Peer.GroupVersion)
        {
            PEER_VERSION_DATA v;
            PeerException.Check(NativeMethods.PeerGroupStartup(version, out v), "PeerGroupStartup");
            return new PeerRuntime { Version = v.wVersion, HighestVersion = v.wHighestVersion };
        }

        /// <summary>PeerGroupHandlePowerEvent: after a resume (PBT_APMRESUME*:
        /// 0x12, 0x07, 0x06) every online group redials its members at once.</summary>
        public static void HandlePowerEvent(uint powerEvent)
        {
            PeerException.Check(NativeMethods.PeerGroupHandlePowerEvent(powerEvent), "PeerGroupHandlePowerEvent");
        }

        /// <summary>PeerGroupShutdown (once).</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
                PeerException.Check(NativeMethods.PeerGroupShutdown(), "PeerGroupShutdown");
        }
    }

    /// <summary>A peer name and its friendly name (PEER_NAME_PAIR).</summary>
    public sealed class PeerNamePair
    {
        /// <summary>The peer name.</summary>
        public string PeerName { get; internal set; }
        /// <summary>The friendly name.</summary>
        public string FriendlyName { get; internal set; }
    }

    /// <summary>The Identity Manager: identities of this user (the data directory).</summary>
    public static class PeerIdentity
    {
        /// <summary>PeerIdentityCreate; returns the new identity's peer name.</summary>
        public static string Create(string classifier, string friendlyName)
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerIdentityCreate(classifier, friendlyName, IntPtr.Zero, out p), "PeerIdentityCreate");
            return Peer.TakeString(p);
        }

        /// <summary>PeerIdentityGetFriendlyName.</summary>
        public static string GetFriendlyName(string identity)
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerIdentityGetFriendlyName(identity, out p), "PeerIdentityGetFriendlyName");
            return Peer.TakeString(p);
        }

        /// <summary>PeerIdentitySetFriendlyName (null or "" resets it).</summary>
        public static void SetFriendlyName(string identity, string friendlyName)
        {
            PeerException.Check(NativeMethods.PeerIdentitySetFriendlyName(identity, friendlyName), "PeerIdentitySetFriendlyName");
        }

        /// <summary>PeerIdentityDelete (PEER_E_GROUPS_EXIST while it has groups).</summary>
        public static void Delete(string identity)
        {
            PeerException.Check(NativeMethods.PeerIdentityDelete(identity), "PeerIdentityDelete");
        }

        /// <summary>PeerIdentityGetDefault: the user's default identity, made on first use.</summary>
        public static string GetDefault()
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerIdentityGetDefault(out p), "PeerIdentityGetDefault");
            return Peer.TakeString(p);
        }

        /// <summary>PeerIdentityGetXML: the public part of an identity (null: the
        /// default), for a group administrator's PeerGroup.CreateInvitation.</summary>
        public static string GetXml(string identity)
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerIdentityGetXML(identity, out p), "PeerIdentityGetXML");
            return Peer.TakeString(p);
        }

        /// <summary>PeerIdentityGetCert: the identity's X.509 certificate (DER).</summary>
        public static byte[] GetCertificate(string identity)
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerIdentityGetCert(identity, out p), "PeerIdentityGetCert");
            using (p)
            {
                PEER_DATA d = p.Read<PEER_DATA>();
                var der = new byte[d.cbData];
                Marshal.Copy(d.pbData, der, 0, der.Length);
                return der;
            }
        }

        /// <summary>PeerIdentityExport: the identity with its key, sealed by the password.</summary>
        public static string Export(string identity, string password)
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerIdentityExport(identity, password, out p), "PeerIdentityExport");
            return Peer.TakeString(p);
        }

        /// <summary>PeerIdentityImport; returns the identity's peer name.</summary>
        public static string Import(string xml, string password)
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerIdentityImport(xml, password, out p), "PeerIdentityImport");
            return Peer.TakeString(p);
        }

        /// <summary>PeerCreatePeerName (identity null: the unsecured "0.classifier").</summary>
        public static string CreatePeerName(string identity, string classifier)
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerCreatePeerName(identity, classifier, out p), "PeerCreatePeerName");
            return Peer.TakeString(p);
        }

        static PeerNamePair Pair(IntPtr item)
        {
            var p = Marshal.PtrToStructure<PEER_NAME_PAIR>(item);
            return new PeerNamePair { PeerName = Peer.Str(p.pwzPeerName), FriendlyName = Peer.Str(p.pwzFriendlyName) };
        }

        /// <summary>PeerEnumIdentities.</summary>
        public static List<PeerNamePair> Enumerate()
        {
            PeerEnumHandle e;
            PeerException.Check(NativeMethods.PeerEnumIdentities(out e), "PeerEnumIdentities");
            return Peer.Items(e, Pair);
        }

        /// <summary>PeerEnumGroups: the groups an identity created or joined.</summary>
        public static List<PeerNamePair> EnumerateGroups(string identity)
        {
            PeerEnumHandle e;
            PeerException.Check(NativeMethods.PeerEnumGroups(identity, out e), "PeerEnumGroups");
            return Peer.Items(e, Pair);
        }
    }

    /// <summary>A record of a group (PEER_RECORD).</summary>
    public sealed class PeerRecord
    {
        /// <summary>The record id.</summary>
        public Guid Id { get; internal set; }
        /// <summary>The application's record type.</summary>
        public Guid Type { get; internal set; }
        /// <summary>The version, 1 when added and one more per update.</summary>
        public uint Version { get; internal set; }
        /// <summary>PEER_RECORD_FLAG_* flags.</summary>
        public uint Flags { get; internal set; }
        /// <summary>The peer name of the identity that added it.</summary>
        public string Creator { get; internal set; }
        /// <summary>The peer name of the identity that changed it last.</summary>
        public string ModifiedBy { get; internal set; }
        /// <summary>The searchable attributes XML ("" if none).</summary>
        public string Attributes { get; internal set; }
        /// <summary>When it was added (UTC).</summary>
        public DateTime Created { get; internal set; }
        /// <summary>When it expires (UTC).</summary>
        public DateTime Expires { get; internal set; }
        /// <summary>When it last changed (UTC).</summary>
        public DateTime Modified { get; internal set; }
        /// <summary>Its data.</summary>
        public byte[] Data { get; internal set; }

        internal static PeerRecord From(IntPtr p)
        {
            var r = Marshal.PtrToStructure<PEER_RECORD>(p);
            var data = new byte[r.data.cbData];
            if (data.Length > 0) Marshal.Copy(r.data.pbData, data, 0, data.Length);
            return new PeerRecord
            {
                Id = r.id, Type = r.type, Version = r.dwVersion, Flags = r.dwFlags,
                Creator = Peer.Str(r.pwzCreatorId), ModifiedBy = Peer.Str(r.pwzModifiedById),
                Attributes = Peer.Str(r.pwzAttributes), Created = r.ftCreation.ToDateTime(),
                Expires = r.ftExpiration.ToDateTime(), Modified = r.ftLastModified.ToDateTime(), Data = data,
            };
        }
    }

    /// <summary>A member of a group (PEER_MEMBER).</summary>
    public sealed class PeerMember
    {
        /// <summary>The member's identity (peer name).</summary>
        public string Identity { get; internal set; }
        /// <summary>PEER_MEMBER_PRESENT when online.</summary>
        public uint Flags { get; internal set; }
        /// <summary>Where the member listens.</summary>
        public List<IPEndPoint> Addresses { get; internal set; }
        /// <summary>The friendly name in its credential.</summary>
        public string FriendlyName { get; internal set; }
        /// <summary>Its roles (Peer.RoleAdmin ...).</summary>
        public List<Guid> Roles { get; internal set; }
    }

    /// <summary>A neighbour or direct connection (PEER_CONNECTION_INFO).</summary>
    public sealed class PeerConnection
    {
        /// <summary>PEER_CONNECTION_NEIGHBOR and/or PEER_CONNECTION_DIRECT.</summary>
        public uint Flags { get; internal set; }
        /// <summary>The connection id.</summary>
        public ulong ConnectionId { get; internal set; }
        /// <summary>The other member's node id.</summary>
        public ulong NodeId { get; internal set; }
        /// <summary>The other member's identity (peer name).</summary>
        public string PeerId { get; internal set; }
        /// <summary>The other member's address.</summary>
        public IPEndPoint Address { get; internal set; }
    }

    /// <summary>A parsed invitation (PEER_INVITATION_INFO).</summary>
    public sealed class PeerInvitationInfo
    {
        /// <summary>The group's peer name.</summary>
        public string GroupPeerName { get; internal set; }
        /// <summary>The group's friendly name.</summary>
        public string GroupFriendlyName { get; internal set; }
        /// <summary>Who issued it.</summary>
        public string IssuerPeerName { get; internal set; }
        /// <summary>The issuer's friendly name.</summary>
        public string IssuerFriendlyName { get; internal set; }
        /// <summary>For whom (empty for a password invitation).</summary>
        public string SubjectPeerName { get; internal set; }
        /// <summary>The subject's friendly name.</summary>
        public string SubjectFriendlyName { get; internal set; }
        /// <summary>Valid from (UTC).</summary>
        public DateTime ValidFrom { get; internal set; }
        /// <summary>Valid until (UTC).</summary>
        public DateTime ValidUntil { get; internal set; }
        /// <summary>The roles it grants.</summary>
        public List<Guid> Roles { get; internal set; }
    }

    /// <summary>One group event (PEER_GROUP_EVENT_DATA), with the fields of its type.</summary>
    public sealed class PeerGroupEvent
    {
        /// <summary>The event type.</summary>
        public PeerGroupEventType Type { get; internal set; }
        /// <summary>StatusChanged: the PEER_GROUP_STATUS flags.</summary>
        public uint Status { get; internal set; }
        /// <summary>RecordChanged: how.</summary>
        public PeerRecordChange RecordChange { get; internal set; }
        /// <summary>RecordChanged: the record's id.</summary>
        public Guid RecordId { get; internal set; }
        /// <summary>RecordChanged: the record's type; IncomingData: the data type.</summary>
        public Guid DataType { get; internal set; }
        /// <summary>DirectConnection, NeighborConnection: the new status.</summary>
        public PeerConnectionStatus ConnectionStatus { get; internal set; }
        /// <summary>DirectConnection, NeighborConnection, IncomingData: the connection id.</summary>
        public ulong ConnectionId { get; internal set; }
        /// <summary>DirectConnection, NeighborConnection: the other member's node id.</summary>
        public ulong NodeId { get; internal set; }
        /// <summary>IncomingData: the message.</summary>
        public byte[] Data { get; internal set; }
        /// <summary>MemberChanged: how.</summary>
        public PeerMemberChange MemberChange { get; internal set; }
        /// <summary>MemberChanged: the member's identity.</summary>
        public string Identity { get; internal set; }
        /// <summary>ConnectionFailed, AuthenticationFailed, a failed connection: the reason.</summary>
        public int HResult { get; internal set; }

        internal static PeerGroupEvent From(IntPtr p)
        {
            var e = Marshal.PtrToStructure<PEER_GROUP_EVENT_DATA>(p);
            var ev = new PeerGroupEvent { Type = (PeerGroupEventType)e.eventType, Data = new byte[0], Identity = "" };
            switch (ev.Type)
            {
                case PeerGroupEventType.StatusChanged:
                    ev.Status = e.dwStatus;
                    break;
                case PeerGroupEventType.RecordChanged:
                    ev.RecordChange = (PeerRecordChange)e.recordChangeData.changeType;
                    ev.RecordId = e.recordChangeData.recordId;
                    ev.DataType = e.recordChangeData.recordType;
                    break;
                case PeerGroupEventType.DirectConnection:
                case PeerGroupEventType.NeighborConnection:
                    ev.ConnectionStatus = (PeerConnectionStatus)e.connectionChangeData.status;
                    ev.ConnectionId = e.connectionChangeData.ullConnectionId;
                    ev.NodeId = e.connectionChangeData.ullNodeId;
                    ev.HResult = e.connectionChangeData.hrConnectionFailedReason;
                    break;
                case PeerGroupEventType.IncomingData:
                    ev.ConnectionId = e.incomingData.ullConnectionId;
                    ev.DataType = e.incomingData.type;
                    ev.Data = new byte[e.incomingData.data.cbData];
                    if (ev.Data.Length > 0) Marshal.Copy(e.incomingData.data.pbData, ev.Data, 0, ev.Data.Length);
                    break;
                case PeerGroupEventType.MemberChanged:
                    ev.MemberChange = (PeerMemberChange)e.memberChangeData.changeType;
                    ev.Identity = Peer.Str(e.memberChangeData.pwzIdentity);
                    break;
                case PeerGroupEventType.ConnectionFailed:
                case PeerGroupEventType.AuthenticationFailed:
                    ev.HResult = e.hrConnectionFailedReason;
                    break;
            }
            return ev;
        }
    }

    /// <summary>An open group (HGROUP). Dispose closes this application's handle.</summary>
    public sealed class PeerGroup : IDisposable
    {
        /// <summary>The HGROUP, for NativeMethods calls.</summary>
        public PeerGroupHandle Handle { get; private set; }

        /// <summary>Whether Join returned PEER_S_ALREADY_A_MEMBER.</summary>
        public bool AlreadyMember { get; private set; }

        PeerGroup(PeerGroupHandle h, bool alreadyMember)
        {
            Handle = h;
            AlreadyMember = alreadyMember;
        }

        /// <summary>PeerGroupCreate: a new group, created by the identity
        /// <paramref name="creator"/>, offline, ready at once (its creator may
        /// publish). A password adds password authentication to GMC.</summary>
        public static PeerGroup Create(string creator, string classifier, string friendlyName, string comment = null,
                                       string password = null)
        {
            var p = new PEER_GROUP_PROPERTIES
            {
                dwSize = (uint)Marshal.SizeOf(typeof(PEER_GROUP_PROPERTIES)),
                pwzCreatorPeerName = creator, pwzClassifier = classifier, pwzFriendlyName = friendlyName,
                pwzComment = comment,
            };
            if (password != null)
            {
                p.dwAuthenticationSchemes = Peer.GmcAuthentication | Peer.PasswordAuthentication;
                p.pwzGroupPassword = password;
                p.groupPasswordRole = Peer.RoleMember;
            }
            PeerGroupHandle h;
            PeerException.Check(NativeMethods.PeerGroupCreate(ref p, out h), "PeerGroupCreate");
            return new PeerGroup(h, false);
        }

        /// <summary>PeerGroupOpen: a group this identity created or joined before (offline).</summary>
        public static PeerGroup Open(string identity, string groupPeerName)
        {
            PeerGroupHandle h;
            PeerException.Check(NativeMethods.PeerGroupOpen(identity, groupPeerName, null, out h), "PeerGroupOpen");
            return new PeerGroup(h, false);
        }

        /// <summary>PeerGroupJoin with an invitation issued to <paramref name="identity"/>.
        /// The group is offline and not ready: call Connect (or
        /// ConnectByAddress), then WaitReady before publishing.</summary>
        public static PeerGroup Join(string identity, string invitation)
        {
            PeerGroupHandle h;
            int hr = PeerException.Check(NativeMethods.PeerGroupJoin(identity, invitation, null, out h), "PeerGroupJoin");
            return new PeerGroup(h, hr == HResults.PEER_S_ALREADY_A_MEMBER);
        }

        /// <summary>PeerGroupPasswordJoin with a password invitation; then as Join.</summary>
        public static PeerGroup PasswordJoin(string identity, string invitation, string password)
        {
            PeerGroupHandle h;
            int hr = PeerException.Check(NativeMethods.PeerGroupPasswordJoin(identity, invitation, password, null, out h),
                                         "PeerGroupPasswordJoin");
            return new PeerGroup(h, hr == HResults.PEER_S_ALREADY_A_MEMBER);
        }

        /// <summary>PeerGroupDelete: this identity's copy of a group (not while open).</summary>
        public static void Delete(string identity, string groupPeerName)
        {
            PeerException.Check(NativeMethods.PeerGroupDelete(identity, groupPeerName), "PeerGroupDelete");
        }

        /// <summary>PeerGroupParseInvitation.</summary>
        public static PeerInvitationInfo ParseInvitation(string invitation)
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerGroupParseInvitation(invitation, out p), "PeerGroupParseInvitation");
            using (p)
            {
                var i = p.Read<PEER_INVITATION_INFO>();
                var roles = new List<Guid>();
                for (int k = 0; k < i.cRoles; k++) roles.Add(Marshal.PtrToStructure<Guid>(i.pRoles + 16 * k));
                return new PeerInvitationInfo
                {
                    GroupPeerName = Peer.Str(i.pwzGroupPeerName), GroupFriendlyName = Peer.Str(i.pwzGroupFriendlyName),
                    IssuerPeerName = Peer.Str(i.pwzIssuerPeerName), IssuerFriendlyName = Peer.Str(i.pwzIssuerFriendlyName),
                    SubjectPeerName = Peer.Str(i.pwzSubjectPeerName),
                    SubjectFriendlyName = Peer.Str(i.pwzSubjectFriendlyName),
                    ValidFrom = i.ftValidityStart.ToDateTime(), ValidUntil = i.ftValidityEnd.ToDateTime(), Roles = roles,
                };
            }
        }

        /// <summary>PeerGroupClose (once).</summary>
        public void Dispose() { Handle.Dispose(); }

        /// <summary>PeerGroupGetStatus: Peer.StatusListening, Peer.StatusHasConnections.</summary>
        public uint Status
        {
            get
            {
                uint s;
                PeerException.Check(NativeMethods.PeerGroupGetStatus(Handle, out s), "PeerGroupGetStatus");
                return s;
            }
        }

        /// <summary>PeerGroupGetProperties.</summary>
        public PEER_GROUP_PROPERTIES Properties
        {
            get
            {
                PeerData p;
                PeerException.Check(NativeMethods.PeerGroupGetProperties(Handle, out p), "PeerGroupGetProperties");
                using (p) return p.Read<PEER_GROUP_PROPERTIES>();
            }
        }

        /// <summary>The group's peer name.</summary>
        public string PeerName { get { return Properties.pwzGroupPeerName; } }

        /// <summary>PeerGroupSetProperties with a new friendly name and comment
        /// (null keeps the current one); administrators only.</summary>
        public void SetProperties(string friendlyName, string comment)
        {
            PEER_GROUP_PROPERTIES p = Properties;
            if (friendlyName != null) p.pwzFriendlyName = friendlyName;
            if (comment != null) p.pwzComment = comment;
            PeerException.Check(NativeMethods.PeerGroupSetProperties(Handle, ref p), "PeerGroupSetProperties");
        }

        /// <summary>Whether this member may publish: always for the group's
        /// creator; for a member who joined, once its first synchronisation
        /// with another member completed (see WaitReady).</summary>
        public bool IsReady
        {
            get
            {
                FileTime now = FileTime.FromDateTime(DateTime.UtcNow), peer;
                int hr = NativeMethods.PeerGroupUniversalTimeToPeerTime(Handle, ref now, out peer);
                if (hr == HResults.PEER_E_GROUP_NOT_READY) return false;
                PeerException.Check(hr, "PeerGroupUniversalTimeToPeerTime");
                return true;
            }
        }

        /// <summary>Waits until a joined group can publish. Until its first
        /// synchronisation with a member, adding records, inviting and peer
        /// time fail with PEER_E_GROUP_NOT_READY; that synchronisation
        /// follows Connect once a member is reached, and is remembered for
        /// later opens. Throws PeerException(PEER_E_GROUP_NOT_READY) after
        /// the timeout.</summary>
        public void WaitReady(TimeSpan timeout)
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            int delay = 10;
            while (!IsReady)
            {
                if (DateTime.UtcNow >= deadline)
                    throw new PeerException(HResults.PEER_E_GROUP_NOT_READY, "PeerGroup.WaitReady",
                                            "not synchronised in time: is a member online and reachable, and did this member Connect?");
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 200);
            }
        }

        /// <summary>PeerGroupConnect: go online (asynchronous; events report
        /// progress). Returns true if it already was (PEER_S_ALREADY_CONNECTED).</summary>
        public bool Connect()
        {
            return PeerException.Check(NativeMethods.PeerGroupConnect(Handle), "PeerGroupConnect") == HResults.PEER_S_ALREADY_CONNECTED;
        }

        static PEER_ADDRESS Address(IPEndPoint ep)
        {
            IPAddress a = ep.Address.AddressFamily == AddressFamily.InterNetwork ? ep.Address.MapToIPv6() : ep.Address;
            return new PEER_ADDRESS
            {
                dwSize = (uint)Marshal.SizeOf(typeof(PEER_ADDRESS)),
                sin6 = new SOCKADDR_IN6
                {
                    // Windows' AF_INET6 (23) is accepted on every platform.
                    sin6_family = 23,
                    sin6_port = (ushort)IPAddress.HostToNetworkOrder((short)ep.Port),
                    sin6_addr = a.GetAddressBytes(),
                    sin6_scope_id = (uint)a.ScopeId,
                },
            };
        }

        static IPEndPoint EndPoint(PEER_ADDRESS a)
        {
            var ip = new IPAddress(a.sin6.sin6_addr);
            if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
            return new IPEndPoint(ip, (ushort)IPAddress.NetworkToHostOrder((short)a.sin6.sin6_port));
        }

        /// <summary>PeerGroupConnectByAddress: go online through these members'
        /// addresses. Returns true if it already was online.</summary>
        public bool ConnectByAddress(params IPEndPoint[] addresses)
        {
            var a = Array.ConvertAll(addresses, Address);
            return PeerException.Check(NativeMethods.PeerGroupConnectByAddress(Handle, (uint)a.Length, a),
                                       "PeerGroupConnectByAddress") == HResults.PEER_S_ALREADY_CONNECTED;
        }

        /// <summary>PeerGroupCreateInvitation for the identity described by
        /// <paramref name="identityXml"/> (PeerIdentity.GetXml), with the
        /// given roles (default: member) until <paramref name="expires"/>
        /// (default: as long as the issuer's own credential).</summary>
        public string CreateInvitation(string identityXml, DateTime? expires = null, params Guid[] roles)
        {
            if (roles == null || roles.Length == 0) roles = new[] { Peer.RoleMember };
            IntPtr exp = IntPtr.Zero;
            try
            {
                if (expires.HasValue)
                {
                    exp = Marshal.AllocHGlobal(Marshal.SizeOf(typeof(FileTime)));
                    Marshal.StructureToPtr(FileTime.FromDateTime(expires.Value), exp, false);
                }
                PeerData p;
                PeerException.Check(NativeMethods.PeerGroupCreateInvitation(Handle, identityXml, exp, (uint)roles.Length, roles, out p),
                                    "PeerGroupCreateInvitation");
                return Peer.TakeString(p);
            }
            finally
            {
                if (exp != IntPtr.Zero) Marshal.FreeHGlobal(exp);
            }
        }

        /// <summary>PeerGroupCreatePasswordInvitation.</summary>
        public string CreatePasswordInvitation()
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerGroupCreatePasswordInvitation(Handle, out p), "PeerGroupCreatePasswordInvitation");
            return Peer.TakeString(p);
        }

        /// <summary>PeerGroupExportConfig: this member's configuration, sealed by the password.</summary>
        public string ExportConfig(string password)
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerGroupExportConfig(Handle, password, out p), "PeerGroupExportConfig");
            return Peer.TakeString(p);
        }

        static PEER_RECORD NewRecord(Guid type, IntPtr data, int length, DateTime expires, IntPtr attributes)
        {
            return new PEER_RECORD
            {
                dwSize = (uint)Marshal.SizeOf(typeof(PEER_RECORD)), type = type,
                ftExpiration = FileTime.FromDateTime(expires), pwzAttributes = attributes,
                data = new PEER_DATA { cbData = (uint)length, pbData = data },
            };
        }

        // WithRecord runs a call on a PEER_RECORD whose data and attributes
        // live in unmanaged memory for its duration.
        static T WithRecord<T>(Guid type, byte[] data, DateTime expires, string attributes, Func<PEER_RECORD, T> call)
        {
            IntPtr buf = Marshal.AllocHGlobal(Math.Max(data.Length, 1));
            IntPtr attrs = attributes == null ? IntPtr.Zero : Marshal.StringToHGlobalUni(attributes);
            try
            {
                Marshal.Copy(data, 0, buf, data.Length);
                return call(NewRecord(type, buf, data.Length, expires, attrs));
            }
            finally
            {
                Marshal.FreeHGlobal(buf);
                if (attrs != IntPtr.Zero) Marshal.FreeHGlobal(attrs);
            }
        }

        /// <summary>PeerGroupAddRecord; returns the new record's id. The record
        /// is signed by this member and replicates to the others.</summary>
        public Guid AddRecord(Guid type, byte[] data, DateTime expires, string attributes = null)
        {
            return WithRecord(type, data, expires, attributes, r =>
            {
                Guid id;
                PeerException.Check(NativeMethods.PeerGroupAddRecord(Handle, ref r, out id), "PeerGroupAddRecord");
                return id;
            });
        }

        /// <summary>PeerGroupUpdateRecord: new data, expiration and attributes.</summary>
        public void UpdateRecord(Guid id, Guid type, byte[] data, DateTime expires, string attributes = null)
        {
            WithRecord(type, data, expires, attributes, r =>
            {
                r.id = id;
                return PeerException.Check(NativeMethods.PeerGroupUpdateRecord(Handle, ref r), "PeerGroupUpdateRecord");
            });
        }

        /// <summary>PeerGroupDeleteRecord.</summary>
        public void DeleteRecord(Guid id)
        {
            PeerException.Check(NativeMethods.PeerGroupDeleteRecord(Handle, ref id), "PeerGroupDeleteRecord");
        }

        /// <summary>PeerGroupGetRecord.</summary>
        public PeerRecord GetRecord(Guid id)
        {
            PeerData p;
            PeerException.Check(NativeMethods.PeerGroupGetRecord(Handle, ref id, out p), "PeerGroupGetRecord");
            using (p) return PeerRecord.From(p.Address);
        }

        /// <summary>PeerGroupEnumRecords: every record, or those of one type.</summary>
        public List<PeerRecord> EnumRecords(Guid? type = null)
        {
            IntPtr t = IntPtr.Zero;
            try
            {
                if (type.HasValue)
                {
                    t = Marshal.AllocHGlobal(16);
                    Marshal.StructureToPtr(type.Value, t, false);
                }
                PeerEnumHandle e;
                PeerException.Check(NativeMethods.PeerGroupEnumRecords(Handle, t, out e), "PeerGroupEnumRecords");
                return Peer.Items(e, PeerRecord.From);
            }
            finally
            {
                if (t != IntPtr.Zero) Marshal.FreeHGlobal(t);
            }
        }

        /// <summary>PeerGroupSearchRecords with a &lt;peersearch&gt; query.</summary>
        public List<PeerRecord> SearchRecords(string criteria)
        {
            PeerEnumHandle e;
            PeerException.Check(NativeMethods.PeerGroupSearchRecords(Handle, criteria, out e), "PeerGroupSearchRecords");
            return Peer.Items(e, PeerRecord.From);
        }

        /// <summary>PeerGroupExportDatabase.</summary>
        public void ExportDatabase(string path)
        {
            PeerException.Check(NativeMethods.PeerGroupExportDatabase(Handle, path), "PeerGroupExportDatabase");
        }

        /// <summary>PeerGroupImportDatabase (offline only).</summary>
        public void ImportDatabase(string path)
        {
            PeerException.Check(NativeMethods.PeerGroupImportDatabase(Handle, path), "PeerGroupImportDatabase");
        }

        /// <summary>PeerGroupEnumMembers (flags Peer.MemberPresent: online ones).</summary>
        public List<PeerMember> Members(uint flags = 0, string identity = null)
        {
            PeerEnumHandle e;
            PeerException.Check(NativeMethods.PeerGroupEnumMembers(Handle, flags, identity, out e), "PeerGroupEnumMembers");
            return Peer.Items(e, item =>
            {
                var m = Marshal.PtrToStructure<PEER_MEMBER>(item);
                var member = new PeerMember
                {
                    Identity = Peer.Str(m.pwzIdentity), Flags = m.dwFlags, Addresses = new List<IPEndPoint>(),
                    FriendlyName = "", Roles = new List<Guid>(),
                };
                int size = Marshal.SizeOf(typeof(PEER_ADDRESS));
                for (int k = 0; k < m.cAddresses; k++)
                    member.Addresses.Add(EndPoint(Marshal.PtrToStructure<PEER_ADDRESS>(m.pAddresses + k * size)));
                if (m.pCredentialInfo != IntPtr.Zero)
                {
                    var c = Marshal.PtrToStructure<PEER_CREDENTIAL_INFO>(m.pCredentialInfo);
                    member.FriendlyName = Peer.Str(c.pwzFriendlyName);
                    for (int k = 0; k < c.cRoles; k++) member.Roles.Add(Marshal.PtrToStructure<Guid>(c.pRoles + 16 * k));
                }
                return member;
            });
        }

        /// <summary>PeerGroupEnumConnections (flags Peer.ConnectionNeighbor, Peer.ConnectionDirect).</summary>
        public List<PeerConnection> Connections(uint flags = Peer.ConnectionNeighbor | Peer.ConnectionDirect)
        {
            PeerEnumHandle e;
            PeerException.Check(NativeMethods.PeerGroupEnumConnections(Handle, flags, out e), "PeerGroupEnumConnections");
            return Peer.Items(e, item =>
            {
                var c = Marshal.PtrToStructure<PEER_CONNECTION_INFO>(item);
                return new PeerConnection
                {
                    Flags = c.dwFlags, ConnectionId = c.ullConnectionId, NodeId = c.ullNodeId,
                    PeerId = Peer.Str(c.pwzPeerId), Address = EndPoint(c.address),
                };
            });
        }

        /// <summary>PeerGroupOpenDirectConnection: returns the connection id at
        /// once; a DirectConnection event reports Connected or Failed.</summary>
        public ulong OpenDirectConnection(string identity)
        {
            ulong id;
            PeerException.Check(NativeMethods.PeerGroupOpenDirectConnection(Handle, identity, IntPtr.Zero, out id),
                                "PeerGroupOpenDirectConnection");
            return id;
        }

        /// <summary>PeerGroupCloseDirectConnection; the other member gets Disconnected.</summary>
        public void CloseDirectConnection(ulong connectionId)
        {
            PeerException.Check(NativeMethods.PeerGroupCloseDirectConnection(Handle, connectionId), "PeerGroupCloseDirectConnection");
        }

        /// <summary>PeerGroupSendData: one message of up to 1 MiB; returns once it
        /// is in the connection's send buffer.</summary>
        public void SendData(ulong connectionId, Guid type, byte[] data)
        {
            PeerException.Check(NativeMethods.PeerGroupSendData(Handle, connectionId, ref type, (uint)data.Length, data),
                                "PeerGroupSendData");
        }

        /// <summary>PeerGroupUniversalTimeToPeerTime.</summary>
        public DateTime UniversalToPeerTime(DateTime t)
        {
            FileTime a = FileTime.FromDateTime(t), b;
            PeerException.Check(NativeMethods.PeerGroupUniversalTimeToPeerTime(Handle, ref a, out b), "PeerGroupUniversalTimeToPeerTime");
            return b.ToDateTime();
        }

        /// <summary>PeerGroupPeerTimeToUniversalTime.</summary>
        public DateTime PeerToUniversalTime(DateTime t)
        {
            FileTime a = FileTime.FromDateTime(t), b;
            PeerException.Check(NativeMethods.PeerGroupPeerTimeToUniversalTime(Handle, ref a, out b), "PeerGroupPeerTimeToUniversalTime");
            return b.ToDateTime();
        }

        /// <summary>PeerGroupRegisterEvent for these event types, with a signal of
        /// its own; <paramref name="filter"/> (a record or data type) narrows
        /// RecordChanged and IncomingData.</summary>
        public PeerEventRegistration RegisterEvents(Guid? filter, params PeerGroupEventType[] types)
        {
            return new PeerEventRegistration(this, filter, types);
        }

        /// <summary>PeerGroupRegisterEvent for these event types.</summary>
        public PeerEventRegistration RegisterEvents(params PeerGroupEventType[] types)
        {
            return new PeerEventRegistration(this, null, types);
        }
    }

    /// <summary>An event registration (HPEEREVENT) and the signal it waits
    /// on. Take events with TryGetEvent, Next (waiting) or NextAsync
    /// (awaiting the eventfd or event object without blocking a thread of
    /// the caller). Dispose unregisters.</summary>
    public sealed class PeerEventRegistration : IDisposable
    {
        readonly PeerEventSignal signal;

        /// <summary>The HPEEREVENT, for NativeMethods calls.</summary>
        public PeerEventHandle Handle { get; private set; }

        internal PeerEventRegistration(PeerGroup group, Guid? filter, PeerGroupEventType[] types)
        {
            signal = PeerEventSignal.Create();
            IntPtr guid = IntPtr.Zero;
            try
            {
                if (filter.HasValue)
                {
                    guid = Marshal.AllocHGlobal(16);
                    Marshal.StructureToPtr(filter.Value, guid, false);
                }
                var regs = new PEER_GROUP_EVENT_REGISTRATION[types.Length];
                for (int i = 0; i < types.Length; i++)
                {
                    regs[i].eventType = (int)types[i];
                    if (types[i] == PeerGroupEventType.RecordChanged || types[i] == PeerGroupEventType.IncomingData)
                        regs[i].pType = guid;
                }
                PeerEventHandle h;
                PeerException.Check(NativeMethods.PeerGroupRegisterEvent(group.Handle, signal.Handle, (uint)regs.Length, regs, out h),
                                    "PeerGroupRegisterEvent");
                Handle = h;
            }
            catch
            {
                signal.Dispose();
                throw;
            }
            finally
            {
                if (guid != IntPtr.Zero) Marshal.FreeHGlobal(guid);
            }
        }

        /// <summary>PeerGroupGetEventData: the next queued event, or null
        /// (PEER_S_NO_EVENT_DATA).</summary>
        public PeerGroupEvent TryGetEvent()
        {
            PeerData p;
            int hr = PeerException.Check(NativeMethods.PeerGroupGetEventData(Handle, out p), "PeerGroupGetEventData");
            using (p)
            {
                if (hr == HResults.PEER_S_NO_EVENT_DATA || p.IsInvalid) return null;
                return PeerGroupEvent.From(p.Address);
            }
        }

        /// <summary>The next event, waiting up to <paramref name="timeout"/> for
        /// one; null on timeout.</summary>
        public PeerGroupEvent Next(TimeSpan timeout)
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                PeerGroupEvent e = TryGetEvent();
                if (e != null) return e;
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return null;
                signal.Wait((int)Math.Ceiling(left.TotalMilliseconds));
            }
        }

        /// <summary>The next event, awaiting the signal; throws
        /// OperationCanceledException when <paramref name="cancel"/> is.</summary>
        public async Task<PeerGroupEvent> NextAsync(CancellationToken cancel = default(CancellationToken))
        {
            while (true)
            {
                PeerGroupEvent e = TryGetEvent();
                if (e != null) return e;
                await signal.WaitAsync(cancel).ConfigureAwait(false);
            }
        }

        /// <summary>Every queued event, oldest first.</summary>
        public List<PeerGroupEvent> Drain()
        {
            var list = new List<PeerGroupEvent>();
            for (PeerGroupEvent e; (e = TryGetEvent()) != null;) list.Add(e);
            return list;
        }

        /// <summary>PeerGroupUnregisterEvent, then closes the signal.</summary>
        public void Dispose()
        {
            Handle.Dispose();
            signal.Dispose();
        }
    }
}
