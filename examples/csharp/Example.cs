// Example.cs - an identity, a group and one record from C#, through
// P/Invoke declarations that work unchanged on Windows (p2p.dll) and on
// Linux with Mono (libp2p.so).
//
//   mcs -out:Example.exe Example.cs
//   P2P_HOME=/tmp/hello-home LD_LIBRARY_PATH=build mono Example.exe
//
// CharSet.Unicode matters: it sends strings as UTF-16 on every platform
// (Mono's default and CharSet.Auto send UTF-8 on Linux). Strings the
// library returns arrive as IntPtr, are read with Marshal.PtrToStringUni
// and freed with PeerFreeData.
using System;
using System.Runtime.InteropServices;
using System.Text;

static class P2P
{
    public const ushort PEER_GROUP_VERSION = 0x0101;

    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_VERSION_DATA { public ushort wVersion, wHighestVersion; }

    [StructLayout(LayoutKind.Sequential)]
    public struct FILETIME
    {
        public uint Low, High;
        public static FILETIME From(DateTime t)
        {
            long v = t.ToFileTimeUtc();
            return new FILETIME { Low = (uint)v, High = (uint)(v >> 32) };
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_DATA { public uint cbData; public IntPtr pbData; }

    // 128 bytes on Windows x64 and here.
    [StructLayout(LayoutKind.Sequential)]
    public struct PEER_RECORD
    {
        public uint dwSize;
        public Guid type, id;
        public uint dwVersion, dwFlags;
        public IntPtr pwzCreatorId, pwzModifiedById, pwzAttributes;
        public FILETIME ftCreation, ftExpiration, ftLastModified;
        public PEER_DATA securityData, data;
    }

    // 96 bytes. Strings go in as LPWStr; the library copies what it keeps.
    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
    public struct PEER_GROUP_PROPERTIES
    {
        public uint dwSize, dwFlags;
        public string pwzCloud, pwzClassifier, pwzGroupPeerName, pwzCreatorPeerName, pwzFriendlyName, pwzComment;
        public uint ulMemberDataLifetime, ulPresenceLifetime, dwAuthenticationSchemes;
        public string pwzGroupPassword;
        public Guid groupPasswordRole;
    }

    [DllImport("p2p", CharSet = CharSet.Unicode)]
    public static extern int PeerGroupStartup(ushort wVersionRequested, out PEER_VERSION_DATA pVersionData);

    [DllImport("p2p", CharSet = CharSet.Unicode)]
    public static extern int PeerGroupShutdown();

    [DllImport("p2p", CharSet = CharSet.Unicode)]
    public static extern void PeerFreeData(IntPtr pvData);

    [DllImport("p2p", CharSet = CharSet.Unicode)]
    public static extern int PeerIdentityCreate(string pwzClassifier, string pwzFriendlyName, IntPtr hCryptProv, out IntPtr ppwzIdentity);

    [DllImport("p2p", CharSet = CharSet.Unicode)]
    public static extern int PeerIdentityGetFriendlyName(string pwzIdentity, out IntPtr ppwzFriendlyName);

    [DllImport("p2p", CharSet = CharSet.Unicode)]
    public static extern int PeerGroupCreate(ref PEER_GROUP_PROPERTIES pProperties, out IntPtr phGroup);

    [DllImport("p2p", CharSet = CharSet.Unicode)]
    public static extern int PeerGroupClose(IntPtr hGroup);

    [DllImport("p2p", CharSet = CharSet.Unicode)]
    public static extern int PeerGroupAddRecord(IntPtr hGroup, ref PEER_RECORD pRecord, out Guid pRecordId);

    [DllImport("p2p", CharSet = CharSet.Unicode)]
    public static extern int PeerGroupGetRecord(IntPtr hGroup, ref Guid pRecordId, out IntPtr ppRecord);

    // Check throws for a failing HRESULT (negative as an int).
    public static void Check(int hr, string call)
    {
        if (hr < 0) throw new Exception(string.Format("{0} failed: 0x{1:X8}", call, hr));
    }

    // TakeString reads a string the library returned and frees it.
    public static string TakeString(IntPtr p)
    {
        string s = Marshal.PtrToStringUni(p);
        PeerFreeData(p);
        return s;
    }
}

static class Example
{
    // The type of this program's records: any GUID the application chooses.
    static readonly Guid Note = new Guid("9f6a7c10-5b1e-4d7e-a12c-68656c6c6f21");

    static int Main()
    {
        if (Marshal.SizeOf(typeof(P2P.PEER_RECORD)) != 128 || Marshal.SizeOf(typeof(P2P.PEER_GROUP_PROPERTIES)) != 96)
        {
            Console.WriteLine("structure layout differs from Windows x64");
            return 1;
        }
        P2P.PEER_VERSION_DATA version;
        P2P.Check(P2P.PeerGroupStartup(P2P.PEER_GROUP_VERSION, out version), "PeerGroupStartup");
        try
        {
            IntPtr p;
            const string friendly = "Hello from C# \u00e9\u65e5 \U0001F600";
            P2P.Check(P2P.PeerIdentityCreate("hello", friendly, IntPtr.Zero, out p), "PeerIdentityCreate");
            string identity = P2P.TakeString(p);
            Console.WriteLine("identity: " + identity);
            P2P.Check(P2P.PeerIdentityGetFriendlyName(identity, out p), "PeerIdentityGetFriendlyName");
            Console.WriteLine("friendly name round trip: " + (P2P.TakeString(p) == friendly ? "same" : "DIFFERENT"));

            var props = new P2P.PEER_GROUP_PROPERTIES
            {
                dwSize = (uint)Marshal.SizeOf(typeof(P2P.PEER_GROUP_PROPERTIES)),
                pwzCreatorPeerName = identity,
                pwzClassifier = "greetings",
                pwzFriendlyName = "Greetings",
            };
            IntPtr group;
            P2P.Check(P2P.PeerGroupCreate(ref props, out group), "PeerGroupCreate");

            byte[] text = Encoding.UTF8.GetBytes("Hello, group!");
            IntPtr data = Marshal.AllocHGlobal(text.Length);
            Marshal.Copy(text, 0, data, text.Length);
            var record = new P2P.PEER_RECORD
            {
                dwSize = (uint)Marshal.SizeOf(typeof(P2P.PEER_RECORD)),
                type = Note,
                ftExpiration = P2P.FILETIME.From(DateTime.UtcNow.AddHours(1)),
                data = new P2P.PEER_DATA { cbData = (uint)text.Length, pbData = data },
            };
            Guid id;
            P2P.Check(P2P.PeerGroupAddRecord(group, ref record, out id), "PeerGroupAddRecord");
            Marshal.FreeHGlobal(data);

            IntPtr got;
            P2P.Check(P2P.PeerGroupGetRecord(group, ref id, out got), "PeerGroupGetRecord");
            var r = (P2P.PEER_RECORD)Marshal.PtrToStructure(got, typeof(P2P.PEER_RECORD));
            byte[] back = new byte[r.data.cbData];
            Marshal.Copy(r.data.pbData, back, 0, back.Length);
            Console.WriteLine("record {0}: type {1}, version {2}: {3}", r.id, r.type, r.dwVersion, Encoding.UTF8.GetString(back));
            Console.WriteLine("signed by: " + Marshal.PtrToStringUni(r.pwzModifiedById));
            P2P.PeerFreeData(got);

            P2P.Check(P2P.PeerGroupClose(group), "PeerGroupClose");
        }
        finally
        {
            P2P.Check(P2P.PeerGroupShutdown(), "PeerGroupShutdown");
        }
        Console.WriteLine("done");
        return 0;
    }
}
