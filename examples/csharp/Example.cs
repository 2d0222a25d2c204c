// Example.cs - an identity, a group and one record from C#, through the
// P2P.Net assembly (bindings/dotnet), which works unchanged on Windows
// (p2p.dll) and on Linux (libp2p.so.1).
//
//   make dotnet                                      (builds build/dotnet/P2P.Net.dll)
//   mcs -r:build/dotnet/P2P.Net.dll -out:Example.exe examples/csharp/Example.cs
//   cp build/dotnet/P2P.Net.dll* .                   (the assembly and its Mono config)
//   P2P_HOME=/tmp/hello-home LD_LIBRARY_PATH=build mono Example.exe
//
// (LD_LIBRARY_PATH is not needed once make install put libp2p.so.1 in
// /usr/local/lib.) Failing calls throw PeerException with the HRESULT and
// its name; whatever holds a library handle or memory is IDisposable.
using System;
using System.Text;
using P2P;

static class Example
{
    // The type of this program's records: any GUID the application chooses.
    static readonly Guid Note = new Guid("9f6a7c10-5b1e-4d7e-a12c-68656c6c6f21");

    static int Main()
    {
        using (PeerRuntime.Startup())                     // PeerGroupStartup ... PeerGroupShutdown
        {
            const string friendly = "Hello from C# \u00e9\u65e5 \U0001F600";
            string identity = PeerIdentity.Create("hello", friendly);
            Console.WriteLine("identity: " + identity);
            Console.WriteLine("friendly name round trip: " +
                              (PeerIdentity.GetFriendlyName(identity) == friendly ? "same" : "DIFFERENT"));

            using (var group = PeerGroup.Create(identity, "greetings", "Greetings"))
            using (var events = group.RegisterEvents(PeerGroupEventType.RecordChanged))
            {
                Guid id = group.AddRecord(Note, Encoding.UTF8.GetBytes("Hello, group!"), DateTime.UtcNow.AddHours(1));
                PeerGroupEvent e = events.Next(TimeSpan.FromSeconds(5)); // waits on the eventfd the library signals
                Console.WriteLine("event: record {0} {1}", e.RecordId, e.RecordChange);

                PeerRecord r = group.GetRecord(id);
                Console.WriteLine("record {0}: type {1}, version {2}: {3}", r.Id, r.Type, r.Version, Encoding.UTF8.GetString(r.Data));
                Console.WriteLine("signed by: " + r.ModifiedBy);
            }
            try
            {
                PeerGroup.Open(identity, "0.no-such-group");
            }
            catch (PeerException e)
            {
                Console.WriteLine("as expected: " + e.Name);
            }
        }
        Console.WriteLine("done");
        return 0;
    }
}
