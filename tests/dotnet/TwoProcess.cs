// TwoProcess.cs - two .NET processes, each with its own data directory, use
// the library through the P2P.Net assembly over QUIC on 127.0.0.1.
//
//   mcs -r:P2P.Net.dll -out:TwoProcess.exe TwoProcess.cs
//   P2P_HOME=/tmp/alice P2P_LISTEN=127.0.0.1:0 P2P_DISCOVERY=0 mono TwoProcess.exe
//
// First the binding itself: every structure has its Windows x64 size, all
// 56 functions resolve in the loaded library (Marshal.Prelink), and a
// failing call throws PeerException with the HRESULT and its name.
// Then Alice (this process) creates a group and connects; Bob (this
// program again, with --bob; he sets a P2P_HOME of his own in the process
// with Environment.SetEnvironmentVariable before Startup) hands over his
// identity XML, joins with Alice's invitation, connects to her address and
// waits until the group is ready. Bob publishes a record that Alice reads
// after its RecordChanged event (awaited with NextAsync); Alice publishes
// one that Bob reads the same way. Alice opens a direct connection; both
// get DirectConnection events; 50 messages (empty to 1 MiB) go each way and
// arrive whole and in order; Alice closes it and Bob sees Disconnected.
// Prints "two-process flow OK" and exits 0, or prints why and exits 1.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using P2P;

static class TwoProcess
{
    static readonly Guid RecordType = new Guid("7e2d4c1a-0b9f-4e3d-8c2b-646f746e6574");
    static readonly Guid DataType = new Guid("7e2d4c1a-0b9f-4e3d-8c2b-646f746e6501");
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    const int Messages = 50;

    static int Main(string[] args)
    {
        try
        {
            if (args.Length > 1 && args[0] == "--bob") return Bob(args[1]);
            Binding();
            Alice();
            Console.WriteLine("two-process flow OK");
            return 0;
        }
        catch (Exception e)
        {
            Console.WriteLine((args.Length > 0 ? "Bob: " : "Alice: ") + e);
            return 1;
        }
    }

    static void Check(bool ok, string what)
    {
        if (!ok) throw new Exception("check failed: " + what);
    }

    static void Step(string s) { Console.WriteLine(s); Console.Out.Flush(); }

    // ---- the binding ----

    static void Binding()
    {
        var sizes = new Dictionary<Type, int>
        {
            { typeof(PEER_VERSION_DATA), 4 }, { typeof(FileTime), 8 }, { typeof(PEER_DATA), 16 },
            { typeof(PEER_RECORD), 128 }, { typeof(SOCKADDR_IN6), 28 }, { typeof(PEER_ADDRESS), 32 },
            { typeof(PEER_CONNECTION_INFO), 64 }, { typeof(PEER_EVENT_INCOMING_DATA), 48 },
            { typeof(PEER_EVENT_RECORD_CHANGE_DATA), 40 }, { typeof(PEER_EVENT_CONNECTION_CHANGE_DATA), 40 },
            { typeof(PEER_EVENT_MEMBER_CHANGE_DATA), 16 }, { typeof(PEER_GROUP_EVENT_DATA), 56 },
            { typeof(PEER_GROUP_EVENT_REGISTRATION), 16 }, { typeof(CERT_PUBLIC_KEY_INFO), 48 },
            { typeof(PEER_CREDENTIAL_INFO), 72 }, { typeof(PEER_MEMBER), 56 }, { typeof(PEER_INVITATION_INFO), 136 },
            { typeof(PEER_GROUP_PROPERTIES), 96 }, { typeof(PEER_NAME_PAIR), 24 },
        };
        foreach (var kv in sizes)
            Check(Marshal.SizeOf(kv.Key) == kv.Value, string.Format("{0} is {1} bytes, Windows x64 has {2}",
                                                                    kv.Key.Name, Marshal.SizeOf(kv.Key), kv.Value));
        Check(Marshal.OffsetOf(typeof(PEER_INVITATION_INFO), "authScheme").ToInt32() == 128, "authScheme at 128");
        Check(Marshal.OffsetOf(typeof(PEER_RECORD), "data").ToInt32() == 112, "PEER_RECORD.data at 112");

        var functions = typeof(NativeMethods).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.GetCustomAttributes(typeof(DllImportAttribute), false).Length > 0).ToList();
        Check(functions.Select(m => m.Name).Distinct().Count() == 56, "56 functions declared, not " + functions.Count);
        foreach (var m in functions) Marshal.Prelink(m); // EntryPointNotFoundException if the library lacks one

        try
        {
            PeerIdentity.GetDefault();
            throw new Exception("a call before Startup succeeded");
        }
        catch (PeerException e)
        {
            Check(e.HResult == HResults.PEER_E_NOT_INITIALIZED && e.Name == "PEER_E_NOT_INITIALIZED"
                  && e.Function == "PeerIdentityGetDefault", "PEER_E_NOT_INITIALIZED before Startup: " + e.Message);
        }
        Step(string.Format("binding: {0} structures of Windows x64 size, 56 functions resolved in the library, {1}",
                           sizes.Count, typeof(PeerGroup).Assembly.GetName().Version));
    }

    // ---- Bob: the child process, driven by lines on stdin ----

    static int Bob(string home)
    {
        // The documented way to choose the data directory in the process
        // (Mono, .NET Framework): before the first Startup.
        Environment.SetEnvironmentVariable("P2P_HOME", home);
        using (PeerRuntime.Startup())
        {
            string me = PeerIdentity.Create("dotnetbob", "Bob");
            Check(Directory.Exists(home) && !Directory.Exists(home + "-default"), "Bob's P2P_HOME set in the process");
            PeerGroup group = null;
            PeerEventRegistration events = null;
            ulong connection = 0;
            string line;
            while ((line = Console.ReadLine()) != null)
            {
                string[] w = line.Split(' ');
                string reply;
                switch (w[0])
                {
                    case "identity":
                        reply = me + " " + B64(PeerIdentity.GetXml(me));
                        break;
                    case "join":
                        group = PeerGroup.Join(me, Unb64(w[1]));
                        events = group.RegisterEvents(PeerGroupEventType.RecordChanged, PeerGroupEventType.DirectConnection,
                                                      PeerGroupEventType.IncomingData);
                        try
                        {
                            group.AddRecord(RecordType, new byte[1], DateTime.UtcNow.AddHours(1));
                            throw new Exception("a joined group published before it synchronised");
                        }
                        catch (PeerException e) when (e.HResult == HResults.PEER_E_GROUP_NOT_READY) { }
                        group.ConnectByAddress(new IPEndPoint(IPAddress.Loopback, int.Parse(w[2])));
                        group.WaitReady(Timeout);
                        reply = group.PeerName;
                        break;
                    case "publish":
                        reply = group.AddRecord(RecordType, Encoding.UTF8.GetBytes("hello from Bob"), DateTime.UtcNow.AddHours(1)).ToString();
                        break;
                    case "read":
                        var e2 = Await(events, ev => ev.Type == PeerGroupEventType.RecordChanged
                                                     && group.GetRecord(ev.RecordId).Creator != me);
                        var r = group.GetRecord(e2.RecordId);
                        reply = r.Creator + " " + Encoding.UTF8.GetString(r.Data);
                        break;
                    case "accept":
                        var c = Await(events, ev => ev.Type == PeerGroupEventType.DirectConnection);
                        Check(c.ConnectionStatus == PeerConnectionStatus.Connected, "Bob's connection " + c.ConnectionStatus);
                        connection = c.ConnectionId;
                        reply = "accepted";
                        break;
                    case "receive":
                        Receive(events, int.Parse(w[1]));
                        reply = "received";
                        break;
                    case "send":
                        Send(group, connection, int.Parse(w[1]));
                        reply = "sent";
                        break;
                    case "closed":
                        var d = Await(events, ev => ev.Type == PeerGroupEventType.DirectConnection);
                        Check(d.ConnectionStatus == PeerConnectionStatus.Disconnected, "Bob's connection " + d.ConnectionStatus);
                        try
                        {
                            group.SendData(connection, DataType, new byte[1]);
                            throw new Exception("SendData on a closed connection succeeded");
                        }
                        catch (PeerException e) when (e.HResult == HResults.PEER_E_CONNECTION_NOT_FOUND) { }
                        reply = "closed";
                        break;
                    case "quit":
                        events.Dispose();
                        group.Dispose();
                        return 0;
                    default:
                        throw new Exception("unknown command " + line);
                }
                Console.WriteLine(reply);
                Console.Out.Flush();
            }
        }
        return 1;
    }

    static string B64(string s) { return Convert.ToBase64String(Encoding.UTF8.GetBytes(s)); }
    static string Unb64(string s) { return Encoding.UTF8.GetString(Convert.FromBase64String(s)); }

    // Await waits for the first event that matches, through NextAsync.
    static PeerGroupEvent Await(PeerEventRegistration events, Func<PeerGroupEvent, bool> match)
    {
        using (var cancel = new CancellationTokenSource(Timeout))
        {
            while (true)
            {
                var e = events.NextAsync(cancel.Token).GetAwaiter().GetResult();
                if (match(e)) return e;
            }
        }
    }

    static byte[] Payload(int seed, int i)
    {
        var rng = new Random(seed * 1000 + i);
        int size = i == 0 ? 0 : i == 1 ? 1 << 20 : rng.Next(1 << 16);
        var b = new byte[size];
        rng.NextBytes(b);
        return b;
    }

    static void Send(PeerGroup group, ulong connection, int seed)
    {
        for (int i = 0; i < Messages; i++) group.SendData(connection, DataType, Payload(seed, i));
    }

    static void Receive(PeerEventRegistration events, int seed)
    {
        for (int i = 0; i < Messages; i++)
        {
            var e = Await(events, ev => ev.Type == PeerGroupEventType.IncomingData);
            Check(e.DataType == DataType && e.Data.SequenceEqual(Payload(seed, i)),
                  string.Format("message {0}: {1} bytes differ", i, e.Data.Length));
        }
    }

    // ---- Alice: this process ----

    sealed class Child : IDisposable
    {
        readonly Process p;

        public Child(string home)
        {
            var exe = Assembly.GetExecutingAssembly().Location;
            var mono = Process.GetCurrentProcess().MainModule.FileName;
            var info = new ProcessStartInfo(mono, "\"" + exe + "\" --bob \"" + home + "\"")
            {
                UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true,
            };
            // Bob sets P2P_HOME himself; were that ignored, the library would
            // use the default under XDG_DATA_HOME, which Bob checks is unused.
            info.EnvironmentVariables.Remove("P2P_HOME");
            info.EnvironmentVariables["XDG_DATA_HOME"] = home + "-default";
            p = Process.Start(info);
        }

        public void Send(string line) { p.StandardInput.WriteLine(line); p.StandardInput.Flush(); }

        public string Reply()
        {
            string line = p.StandardOutput.ReadLine();
            if (line == null) throw new Exception("Bob exited");
            return line;
        }

        public string Do(string line) { Send(line); return Reply(); }

        public void Dispose()
        {
            if (!p.HasExited && !p.WaitForExit(30000)) p.Kill();
        }

        public int Quit()
        {
            Send("quit");
            p.StandardInput.Close();
            p.WaitForExit(30000);
            return p.HasExited ? p.ExitCode : -1;
        }
    }

    static void Alice()
    {
        string bobHome = Path.Combine(Environment.GetEnvironmentVariable("P2P_HOME"), "bob");
        using (PeerRuntime.Startup())
        using (var bob = new Child(bobHome))
        {
            string me = PeerIdentity.Create("dotnetalice", "Alice \u00e9\u65e5 \U0001F600");
            Check(PeerIdentity.GetFriendlyName(me) == "Alice \u00e9\u65e5 \U0001F600", "UTF-16 round trip");
            using (var group = PeerGroup.Create(me, "dotnettwo", "Two .NET processes"))
            using (var events = group.RegisterEvents(PeerGroupEventType.RecordChanged, PeerGroupEventType.DirectConnection,
                                                     PeerGroupEventType.IncomingData))
            {
                Check(!group.Connect(), "the first Connect");
                Check(group.Connect(), "a second Connect is PEER_S_ALREADY_CONNECTED");
                IPEndPoint address = null;
                for (DateTime end = DateTime.UtcNow + Timeout; address == null && DateTime.UtcNow < end; Thread.Sleep(50))
                    address = group.Members(Peer.MemberPresent).SelectMany(m => m.Addresses).FirstOrDefault();
                Check(address != null, "Alice's address");
                Step("Alice created " + group.PeerName + " and listens on port " + address.Port);

                string[] id = bob.Do("identity").Split(' ');
                string invitation = group.CreateInvitation(Unb64(id[1]));
                var info = PeerGroup.ParseInvitation(invitation);
                Check(info.SubjectPeerName == id[0] && info.IssuerPeerName == me && info.Roles.Contains(Peer.RoleMember),
                      "the invitation names Bob, Alice and the member role");
                Check(bob.Do("join " + B64(invitation) + " " + address.Port) == group.PeerName, "Bob joined Alice's group");
                Step("Bob joined with Alice's invitation, connected and waited until ready");

                Guid rid = new Guid(bob.Do("publish"));
                var e = Await(events, ev => ev.Type == PeerGroupEventType.RecordChanged && ev.RecordId == rid);
                var r = group.GetRecord(e.RecordId);
                Check(e.RecordChange == PeerRecordChange.Added && r.Creator == id[0]
                      && Encoding.UTF8.GetString(r.Data) == "hello from Bob", "Bob's record");
                group.AddRecord(RecordType, Encoding.UTF8.GetBytes("hello from Alice"), DateTime.UtcNow.AddHours(1));
                Check(bob.Do("read") == me + " hello from Alice", "Bob read Alice's record");
                Step("each read the other's record after its RecordChanged event");

                bob.Send("accept");
                ulong cid = group.OpenDirectConnection(id[0]);
                var c = Await(events, ev => ev.Type == PeerGroupEventType.DirectConnection && ev.ConnectionId == cid);
                Check(c.ConnectionStatus == PeerConnectionStatus.Connected, "Alice's connection " + c.ConnectionStatus);
                Check(bob.Reply() == "accepted", "Bob accepted");
                Check(group.Connections(Peer.ConnectionDirect).Any(x => x.ConnectionId == cid && x.PeerId == id[0]),
                      "EnumConnections lists the direct connection to Bob");
                Step("direct connection open on both sides");

                bob.Send("receive 1");
                Send(group, cid, 1);
                Check(bob.Reply() == "received", "Bob received");
                bob.Send("send 2");
                Receive(events, 2);
                Check(bob.Reply() == "sent", "Bob sent");
                Step(Messages + " messages of 0 to 1 MiB each way arrived whole and in order");

                group.CloseDirectConnection(cid);
                Check(bob.Do("closed") == "closed", "Bob saw the connection close");
                try
                {
                    group.SendData(cid, DataType, new byte[1]);
                    throw new Exception("SendData on a closed connection succeeded");
                }
                catch (PeerException x)
                {
                    Check(x.HResult == HResults.PEER_E_CONNECTION_NOT_FOUND && x.Name == "PEER_E_CONNECTION_NOT_FOUND",
                          "PeerException for a closed connection: " + x.Message);
                }
                Step("Alice closed the direct connection; Bob got Disconnected");
            }
            Check(bob.Quit() == 0, "Bob exited cleanly");
        }
    }
}
