// PeerException.cs - HRESULTs of p2p.h and the exception for failing ones.
using System;
using System.Collections.Generic;
using System.Reflection;

namespace P2P
{
    /// <summary>The HRESULT codes of p2p.h, with their p2p.h names.</summary>
    public static class HResults
    {
        /// <summary>S_OK (0x00000000).</summary>
        public const int S_OK = unchecked((int)0x00000000);
        /// <summary>E_NOTIMPL (0x80004001).</summary>
        public const int E_NOTIMPL = unchecked((int)0x80004001);
        /// <summary>E_POINTER (0x80004003).</summary>
        public const int E_POINTER = unchecked((int)0x80004003);
        /// <summary>E_FAIL (0x80004005).</summary>
        public const int E_FAIL = unchecked((int)0x80004005);
        /// <summary>E_UNEXPECTED (0x8000FFFF).</summary>
        public const int E_UNEXPECTED = unchecked((int)0x8000FFFF);
        /// <summary>E_ACCESSDENIED (0x80070005).</summary>
        public const int E_ACCESSDENIED = unchecked((int)0x80070005);
        /// <summary>E_HANDLE (0x80070006).</summary>
        public const int E_HANDLE = unchecked((int)0x80070006);
        /// <summary>E_OUTOFMEMORY (0x8007000E).</summary>
        public const int E_OUTOFMEMORY = unchecked((int)0x8007000E);
        /// <summary>E_INVALIDARG (0x80070057).</summary>
        public const int E_INVALIDARG = unchecked((int)0x80070057);
        /// <summary>PEER_E_NOT_FOUND (0x80070490).</summary>
        public const int PEER_E_NOT_FOUND = unchecked((int)0x80070490);
        /// <summary>PEER_E_DISK_FULL (0x80070070).</summary>
        public const int PEER_E_DISK_FULL = unchecked((int)0x80070070);
        /// <summary>PEER_E_ALREADY_EXISTS (0x800700B7).</summary>
        public const int PEER_E_ALREADY_EXISTS = unchecked((int)0x800700B7);
        /// <summary>PEER_E_IPV6_NOT_INSTALLED (0x80630001).</summary>
        public const int PEER_E_IPV6_NOT_INSTALLED = unchecked((int)0x80630001);
        /// <summary>PEER_E_NOT_INITIALIZED (0x80630002).</summary>
        public const int PEER_E_NOT_INITIALIZED = unchecked((int)0x80630002);
        /// <summary>PEER_E_CANNOT_START_SERVICE (0x80630003).</summary>
        public const int PEER_E_CANNOT_START_SERVICE = unchecked((int)0x80630003);
        /// <summary>PEER_E_NOT_LICENSED (0x80630004).</summary>
        public const int PEER_E_NOT_LICENSED = unchecked((int)0x80630004);
        /// <summary>PEER_E_INVALID_GRAPH (0x80630010).</summary>
        public const int PEER_E_INVALID_GRAPH = unchecked((int)0x80630010);
        /// <summary>PEER_E_DBNAME_CHANGED (0x80630011).</summary>
        public const int PEER_E_DBNAME_CHANGED = unchecked((int)0x80630011);
        /// <summary>PEER_E_DUPLICATE_GRAPH (0x80630012).</summary>
        public const int PEER_E_DUPLICATE_GRAPH = unchecked((int)0x80630012);
        /// <summary>PEER_E_GRAPH_NOT_READY (0x80630013).</summary>
        public const int PEER_E_GRAPH_NOT_READY = unchecked((int)0x80630013);
        /// <summary>PEER_E_GRAPH_SHUTTING_DOWN (0x80630014).</summary>
        public const int PEER_E_GRAPH_SHUTTING_DOWN = unchecked((int)0x80630014);
        /// <summary>PEER_E_GRAPH_IN_USE (0x80630015).</summary>
        public const int PEER_E_GRAPH_IN_USE = unchecked((int)0x80630015);
        /// <summary>PEER_E_INVALID_DATABASE (0x80630016).</summary>
        public const int PEER_E_INVALID_DATABASE = unchecked((int)0x80630016);
        /// <summary>PEER_E_TOO_MANY_ATTRIBUTES (0x80630017).</summary>
        public const int PEER_E_TOO_MANY_ATTRIBUTES = unchecked((int)0x80630017);
        /// <summary>PEER_E_CONNECTION_NOT_FOUND (0x80630103).</summary>
        public const int PEER_E_CONNECTION_NOT_FOUND = unchecked((int)0x80630103);
        /// <summary>PEER_E_CONNECT_SELF (0x80630106).</summary>
        public const int PEER_E_CONNECT_SELF = unchecked((int)0x80630106);
        /// <summary>PEER_E_ALREADY_LISTENING (0x80630107).</summary>
        public const int PEER_E_ALREADY_LISTENING = unchecked((int)0x80630107);
        /// <summary>PEER_E_NODE_NOT_FOUND (0x80630108).</summary>
        public const int PEER_E_NODE_NOT_FOUND = unchecked((int)0x80630108);
        /// <summary>PEER_E_CONNECTION_FAILED (0x80630109).</summary>
        public const int PEER_E_CONNECTION_FAILED = unchecked((int)0x80630109);
        /// <summary>PEER_E_CONNECTION_NOT_AUTHENTICATED (0x8063010A).</summary>
        public const int PEER_E_CONNECTION_NOT_AUTHENTICATED = unchecked((int)0x8063010A);
        /// <summary>PEER_E_CONNECTION_REFUSED (0x8063010B).</summary>
        public const int PEER_E_CONNECTION_REFUSED = unchecked((int)0x8063010B);
        /// <summary>PEER_E_CLASSIFIER_TOO_LONG (0x80630201).</summary>
        public const int PEER_E_CLASSIFIER_TOO_LONG = unchecked((int)0x80630201);
        /// <summary>PEER_E_TOO_MANY_IDENTITIES (0x80630202).</summary>
        public const int PEER_E_TOO_MANY_IDENTITIES = unchecked((int)0x80630202);
        /// <summary>PEER_E_NO_KEY_ACCESS (0x80630203).</summary>
        public const int PEER_E_NO_KEY_ACCESS = unchecked((int)0x80630203);
        /// <summary>PEER_E_GROUPS_EXIST (0x80630204).</summary>
        public const int PEER_E_GROUPS_EXIST = unchecked((int)0x80630204);
        /// <summary>PEER_E_RECORD_NOT_FOUND (0x80630301).</summary>
        public const int PEER_E_RECORD_NOT_FOUND = unchecked((int)0x80630301);
        /// <summary>PEER_E_DATABASE_ACCESSDENIED (0x80630302).</summary>
        public const int PEER_E_DATABASE_ACCESSDENIED = unchecked((int)0x80630302);
        /// <summary>PEER_E_DBINITIALIZATION_FAILED (0x80630303).</summary>
        public const int PEER_E_DBINITIALIZATION_FAILED = unchecked((int)0x80630303);
        /// <summary>PEER_E_MAX_RECORD_SIZE_EXCEEDED (0x80630304).</summary>
        public const int PEER_E_MAX_RECORD_SIZE_EXCEEDED = unchecked((int)0x80630304);
        /// <summary>PEER_E_DATABASE_ALREADY_PRESENT (0x80630305).</summary>
        public const int PEER_E_DATABASE_ALREADY_PRESENT = unchecked((int)0x80630305);
        /// <summary>PEER_E_DATABASE_NOT_PRESENT (0x80630306).</summary>
        public const int PEER_E_DATABASE_NOT_PRESENT = unchecked((int)0x80630306);
        /// <summary>PEER_E_IDENTITY_NOT_FOUND (0x80630401).</summary>
        public const int PEER_E_IDENTITY_NOT_FOUND = unchecked((int)0x80630401);
        /// <summary>PEER_E_EVENT_HANDLE_NOT_FOUND (0x80630501).</summary>
        public const int PEER_E_EVENT_HANDLE_NOT_FOUND = unchecked((int)0x80630501);
        /// <summary>PEER_E_INVALID_SEARCH (0x80630601).</summary>
        public const int PEER_E_INVALID_SEARCH = unchecked((int)0x80630601);
        /// <summary>PEER_E_INVALID_ATTRIBUTES (0x80630602).</summary>
        public const int PEER_E_INVALID_ATTRIBUTES = unchecked((int)0x80630602);
        /// <summary>PEER_E_INVITATION_NOT_TRUSTED (0x80630701).</summary>
        public const int PEER_E_INVITATION_NOT_TRUSTED = unchecked((int)0x80630701);
        /// <summary>PEER_E_CHAIN_TOO_LONG (0x80630703).</summary>
        public const int PEER_E_CHAIN_TOO_LONG = unchecked((int)0x80630703);
        /// <summary>PEER_E_INVALID_TIME_PERIOD (0x80630705).</summary>
        public const int PEER_E_INVALID_TIME_PERIOD = unchecked((int)0x80630705);
        /// <summary>PEER_E_CIRCULAR_CHAIN_DETECTED (0x80630706).</summary>
        public const int PEER_E_CIRCULAR_CHAIN_DETECTED = unchecked((int)0x80630706);
        /// <summary>PEER_E_CERT_STORE_CORRUPTED (0x80630801).</summary>
        public const int PEER_E_CERT_STORE_CORRUPTED = unchecked((int)0x80630801);
        /// <summary>PEER_E_NO_CLOUD (0x80631001).</summary>
        public const int PEER_E_NO_CLOUD = unchecked((int)0x80631001);
        /// <summary>PEER_E_CLOUD_NAME_AMBIGUOUS (0x80631005).</summary>
        public const int PEER_E_CLOUD_NAME_AMBIGUOUS = unchecked((int)0x80631005);
        /// <summary>PEER_E_INVALID_RECORD (0x80632010).</summary>
        public const int PEER_E_INVALID_RECORD = unchecked((int)0x80632010);
        /// <summary>PEER_E_NOT_AUTHORIZED (0x80632020).</summary>
        public const int PEER_E_NOT_AUTHORIZED = unchecked((int)0x80632020);
        /// <summary>PEER_E_PASSWORD_DOES_NOT_MEET_POLICY (0x80632021).</summary>
        public const int PEER_E_PASSWORD_DOES_NOT_MEET_POLICY = unchecked((int)0x80632021);
        /// <summary>PEER_E_DEFERRED_VALIDATION (0x80632030).</summary>
        public const int PEER_E_DEFERRED_VALIDATION = unchecked((int)0x80632030);
        /// <summary>PEER_E_INVALID_GROUP_PROPERTIES (0x80632040).</summary>
        public const int PEER_E_INVALID_GROUP_PROPERTIES = unchecked((int)0x80632040);
        /// <summary>PEER_E_INVALID_PEER_NAME (0x80632050).</summary>
        public const int PEER_E_INVALID_PEER_NAME = unchecked((int)0x80632050);
        /// <summary>PEER_E_INVALID_CLASSIFIER (0x80632060).</summary>
        public const int PEER_E_INVALID_CLASSIFIER = unchecked((int)0x80632060);
        /// <summary>PEER_E_INVALID_FRIENDLY_NAME (0x80632070).</summary>
        public const int PEER_E_INVALID_FRIENDLY_NAME = unchecked((int)0x80632070);
        /// <summary>PEER_E_INVALID_ROLE_PROPERTY (0x80632071).</summary>
        public const int PEER_E_INVALID_ROLE_PROPERTY = unchecked((int)0x80632071);
        /// <summary>PEER_E_INVALID_CLASSIFIER_PROPERTY (0x80632072).</summary>
        public const int PEER_E_INVALID_CLASSIFIER_PROPERTY = unchecked((int)0x80632072);
        /// <summary>PEER_E_INVALID_RECORD_EXPIRATION (0x80632080).</summary>
        public const int PEER_E_INVALID_RECORD_EXPIRATION = unchecked((int)0x80632080);
        /// <summary>PEER_E_INVALID_CREDENTIAL_INFO (0x80632081).</summary>
        public const int PEER_E_INVALID_CREDENTIAL_INFO = unchecked((int)0x80632081);
        /// <summary>PEER_E_INVALID_CREDENTIAL (0x80632082).</summary>
        public const int PEER_E_INVALID_CREDENTIAL = unchecked((int)0x80632082);
        /// <summary>PEER_E_INVALID_RECORD_SIZE (0x80632083).</summary>
        public const int PEER_E_INVALID_RECORD_SIZE = unchecked((int)0x80632083);
        /// <summary>PEER_E_UNSUPPORTED_VERSION (0x80632090).</summary>
        public const int PEER_E_UNSUPPORTED_VERSION = unchecked((int)0x80632090);
        /// <summary>PEER_E_GROUP_NOT_READY (0x80632091).</summary>
        public const int PEER_E_GROUP_NOT_READY = unchecked((int)0x80632091);
        /// <summary>PEER_E_GROUP_IN_USE (0x80632092).</summary>
        public const int PEER_E_GROUP_IN_USE = unchecked((int)0x80632092);
        /// <summary>PEER_E_INVALID_GROUP (0x80632093).</summary>
        public const int PEER_E_INVALID_GROUP = unchecked((int)0x80632093);
        /// <summary>PEER_E_NO_MEMBERS_FOUND (0x80632094).</summary>
        public const int PEER_E_NO_MEMBERS_FOUND = unchecked((int)0x80632094);
        /// <summary>PEER_E_NO_MEMBER_CONNECTIONS (0x80632095).</summary>
        public const int PEER_E_NO_MEMBER_CONNECTIONS = unchecked((int)0x80632095);
        /// <summary>PEER_E_UNABLE_TO_LISTEN (0x80632096).</summary>
        public const int PEER_E_UNABLE_TO_LISTEN = unchecked((int)0x80632096);
        /// <summary>PEER_E_IDENTITY_DELETED (0x806320A0).</summary>
        public const int PEER_E_IDENTITY_DELETED = unchecked((int)0x806320A0);
        /// <summary>PEER_E_SERVICE_NOT_AVAILABLE (0x806320A1).</summary>
        public const int PEER_E_SERVICE_NOT_AVAILABLE = unchecked((int)0x806320A1);
        /// <summary>PEER_E_CONTACT_NOT_FOUND (0x80636001).</summary>
        public const int PEER_E_CONTACT_NOT_FOUND = unchecked((int)0x80636001);
        /// <summary>PEER_S_GRAPH_DATA_CREATED (0x00630001).</summary>
        public const int PEER_S_GRAPH_DATA_CREATED = unchecked((int)0x00630001);
        /// <summary>PEER_S_NO_EVENT_DATA (0x00630002).</summary>
        public const int PEER_S_NO_EVENT_DATA = unchecked((int)0x00630002);
        /// <summary>PEER_S_ALREADY_CONNECTED (0x00632000).</summary>
        public const int PEER_S_ALREADY_CONNECTED = unchecked((int)0x00632000);
        /// <summary>PEER_S_SUBSCRIPTION_EXISTS (0x00636000).</summary>
        public const int PEER_S_SUBSCRIPTION_EXISTS = unchecked((int)0x00636000);
        /// <summary>PEER_S_NO_CONNECTIVITY (0x00630005).</summary>
        public const int PEER_S_NO_CONNECTIVITY = unchecked((int)0x00630005);
        /// <summary>PEER_S_ALREADY_A_MEMBER (0x00630006).</summary>
        public const int PEER_S_ALREADY_A_MEMBER = unchecked((int)0x00630006);
        /// <summary>PEER_E_CANNOT_CONVERT_PEER_NAME (0x80634001).</summary>
        public const int PEER_E_CANNOT_CONVERT_PEER_NAME = unchecked((int)0x80634001);
        /// <summary>PEER_E_INVALID_PEER_HOST_NAME (0x80634002).</summary>
        public const int PEER_E_INVALID_PEER_HOST_NAME = unchecked((int)0x80634002);
        /// <summary>PEER_E_NO_MORE (0x80634003).</summary>
        public const int PEER_E_NO_MORE = unchecked((int)0x80634003);
        /// <summary>PEER_E_PNRP_DUPLICATE_PEER_NAME (0x80634005).</summary>
        public const int PEER_E_PNRP_DUPLICATE_PEER_NAME = unchecked((int)0x80634005);
        /// <summary>PEER_E_INVITE_CANCELLED (0x80637000).</summary>
        public const int PEER_E_INVITE_CANCELLED = unchecked((int)0x80637000);
        /// <summary>PEER_E_INVITE_RESPONSE_NOT_AVAILABLE (0x80637001).</summary>
        public const int PEER_E_INVITE_RESPONSE_NOT_AVAILABLE = unchecked((int)0x80637001);
        /// <summary>PEER_E_NOT_SIGNED_IN (0x80637003).</summary>
        public const int PEER_E_NOT_SIGNED_IN = unchecked((int)0x80637003);
        /// <summary>PEER_E_PRIVACY_DECLINED (0x80637004).</summary>
        public const int PEER_E_PRIVACY_DECLINED = unchecked((int)0x80637004);
        /// <summary>PEER_E_TIMEOUT (0x80637005).</summary>
        public const int PEER_E_TIMEOUT = unchecked((int)0x80637005);
        /// <summary>PEER_E_INVALID_ADDRESS (0x80637007).</summary>
        public const int PEER_E_INVALID_ADDRESS = unchecked((int)0x80637007);
        /// <summary>PEER_E_FW_EXCEPTION_DISABLED (0x80637008).</summary>
        public const int PEER_E_FW_EXCEPTION_DISABLED = unchecked((int)0x80637008);
        /// <summary>PEER_E_FW_BLOCKED_BY_POLICY (0x80637009).</summary>
        public const int PEER_E_FW_BLOCKED_BY_POLICY = unchecked((int)0x80637009);
        /// <summary>PEER_E_FW_BLOCKED_BY_SHIELDS_UP (0x8063700A).</summary>
        public const int PEER_E_FW_BLOCKED_BY_SHIELDS_UP = unchecked((int)0x8063700A);
        /// <summary>PEER_E_FW_DECLINED (0x8063700B).</summary>
        public const int PEER_E_FW_DECLINED = unchecked((int)0x8063700B);
        /// <summary>HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND): a missing file.</summary>
        public const int ERROR_FILE_NOT_FOUND = unchecked((int)0x80070002);

        static readonly Dictionary<int, string> names = MakeNames();

        static Dictionary<int, string> MakeNames()
        {
            var d = new Dictionary<int, string>();
            foreach (FieldInfo f in typeof(HResults).GetFields(BindingFlags.Public | BindingFlags.Static))
                if (f.IsLiteral && f.FieldType == typeof(int)) d[(int)f.GetValue(null)] = f.Name;
            d[ERROR_FILE_NOT_FOUND] = "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)";
            return d;
        }

        /// <summary>The p2p.h name of an HRESULT, or its hexadecimal form.</summary>
        public static string NameOf(int hr)
        {
            string name;
            return names.TryGetValue(hr, out name) ? name : string.Format("0x{0:X8}", hr);
        }

        /// <summary>Whether an HRESULT is a failure (its top bit is set).</summary>
        public static bool Failed(int hr) { return hr < 0; }
    }

    /// <summary>A function of the library returned a failing HRESULT:
    /// <see cref="Exception.HResult"/> is the code, <see cref="Name"/> its
    /// p2p.h name (compare with the <see cref="HResults"/> constants) and
    /// <see cref="Function"/> the call.</summary>
    [Serializable]
    public class PeerException : Exception
    {
        /// <summary>The p2p.h name of the HRESULT, e.g. "PEER_E_NOT_FOUND".</summary>
        public string Name { get; private set; }

        /// <summary>The function that returned it.</summary>
        public string Function { get; private set; }

        /// <summary>An exception for an HRESULT that <paramref name="function"/> returned.</summary>
        public PeerException(int hresult, string function, string detail = null)
            : base(string.Format("{0} failed: {1} (0x{2:X8}){3}", function, HResults.NameOf(hresult), hresult,
                                 detail == null ? "" : ": " + detail))
        {
            HResult = hresult;
            Name = HResults.NameOf(hresult);
            Function = function;
        }

        /// <summary>Throws a PeerException for a failing HRESULT; returns a
        /// success code (S_OK or a PEER_S_* code) as it is.</summary>
        public static int Check(int hr, string function)
        {
            if (hr < 0) throw new PeerException(hr, function);
            return hr;
        }
    }
}
