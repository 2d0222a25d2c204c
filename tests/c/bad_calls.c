/*
 * bad_calls.c - wrong calls of every kind, each with the HRESULT it must
 * return, none of them allowed to crash; then a sanity phase that checks
 * nothing was lost or corrupted.
 *
 *   bad_calls <scratch-dir>
 *
 * P2P_HOME names the data directory. The calls are tables of
 * {category, description, expected HRESULT, function}; the program prints
 * one line per call and, if all passed, "PASS bad_calls: N bad calls".
 *
 * Expected codes follow Microsoft's page of each function (MicrosoftDocs
 * sdk-api, "<Function> function (p2p.h)") where it names one; where it
 * does not, the library's documented contract (design.md, "The C ABI
 * contract"): E_INVALIDARG for NULL required pointers, bad sizes and
 * malformed or over-long strings, E_POINTER for a pointer that faults,
 * E_HANDLE for any handle that is not a live one of the right type.
 */
#ifndef _WIN32
#define _GNU_SOURCE
#endif
#include "p2ptest.h"

static const GUID TYPE_GOOD = {0x2f6e9a31, 0x0b7c, 0x4d8e, {0xa1, 0x52, 0x62, 0x61, 0x64, 0x63, 0x61, 0x01}};
static const GUID TYPE_OTHER = {0x2f6e9a31, 0x0b7c, 0x4d8e, {0xa1, 0x52, 0x62, 0x61, 0x64, 0x63, 0x61, 0x02}};
static const GUID MISSING_ID = {0x0badc0de, 0x0bad, 0x4bad, {0x8b, 0xad, 0x0b, 0xad, 0x0b, 0xad, 0x0b, 0xad}};
static const GUID BOGUS_ROLE = {0x12345678, 0x1234, 0x4234, {0x82, 0x34, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc}};

#define PASSWORD u"bad-calls-password"
#define ALICE_FRIENDLY u"Alice"
#define GROUP_FRIENDLY u"Main group"

/* Addresses that fault when read or written: the first page, and a high
 * address no allocator hands out on x86-64. */
#define BAD_PTR_LOW ((void *)(uintptr_t)16)
#define BAD_PTR_HIGH ((void *)(uintptr_t)0xdeadbeef)

/* Everything the bad calls use, prepared by setup(). */
static struct {
    const char *scratch;
    PWSTR alice, bob, carol;       /* alice administers; bob is invited; carol is not */
    PWSTR alice_xml, bob_xml, carol_xml;
    PWSTR group;                   /* g's peer name */
    HGROUP g;                      /* alice's offline group with the good records */
    HGROUP gj;                     /* bob's joined, never connected copy of g */
    HGROUP closed;                 /* a handle on g, closed */
    HGROUP stale;                  /* a group handle from before a full shutdown */
    HPEEREVENT he;                 /* live registration on g */
    HPEEREVENT he_gone;            /* unregistered */
    HPEEREVENT he_stale;           /* from before a full shutdown */
    HPEERENUM en;                  /* live enumeration */
    HPEERENUM en_done;             /* ended */
    HPEERENUM en_stale;            /* from before a full shutdown */
    evsig ev;
    PWSTR inv_bob;                 /* a good invitation to g for bob */
    PWSTR inv_expired;             /* one that has expired */
    PWSTR inv_tampered;            /* inv_bob with the group's friendly name altered */
    PWSTR config;                  /* PeerGroupExportConfig of g */
    GUID good[2];                  /* records that must survive */
    PEER_RECORD rec;               /* a valid record to spoil */
    PWSTR long150, long256, long5000, ok149, ok255, ok96, long97;
    int regular_fd, closed_fd;
    /* The networked part: alice's online group and bob's synchronised copy. */
    int online;
    HGROUP gn, gnb;
    GUID alice_rec;                /* alice's record in gn, seen by bob */
    PEER_CREDENTIAL_INFO cred;       /* bob's key, for IssueCredentials */
    PEER_CREDENTIAL_INFO carol_cred; /* carol's */
    PPEER_INVITATION_INFO bob_info, carol_info;
} c;

/* One bad call: what it shows, what it must return, and the call. */
typedef struct {
    const char *category;
    const char *what;
    HRESULT want;
    HRESULT (*call)(void);
} bad_call;

static int total, failed;

static void run_table(const char *phase, const bad_call *t, size_t n) {
    size_t i;
    printf("--- %s: %lu calls\n", phase, (unsigned long)n);
    for (i = 0; i < n; i++) {
        HRESULT got = t[i].call();
        total++;
        if (got == t[i].want) {
            printf("ok   [%s] %s -> %s\n", t[i].category, t[i].what, p2pt_hr_name(got));
        } else {
            failed++;
            printf("FAIL [%s] %s -> %s, want %s\n", t[i].category, t[i].what, p2pt_hr_name(got),
                   p2pt_hr_name(t[i].want));
        }
        fflush(stdout);
    }
}

#define TABLE(phase, t) run_table(phase, t, sizeof t / sizeof t[0])

/* A fresh copy of the valid record, to spoil one field of. */
static PEER_RECORD good_record(void) {
    PEER_RECORD r = c.rec;
    r.ftExpiration = ft(now_ft() + 86400 * FT_SECOND);
    return r;
}

static PEER_GROUP_PROPERTIES good_props(void) {
    PEER_GROUP_PROPERTIES p;
    memset(&p, 0, sizeof p);
    p.dwSize = sizeof p;
    p.pwzCreatorPeerName = c.alice;
    p.pwzClassifier = u"spare";
    p.pwzFriendlyName = u"Spare";
    return p;
}

/* ------------------------------------------------------------------ */
/* Before PeerGroupStartup                                             */
/* ------------------------------------------------------------------ */

static HRESULT pre_create(void) { HGROUP h; return PeerGroupCreate(NULL, &h); }
static HRESULT pre_identity(void) { PWSTR p; return PeerIdentityCreate(NULL, NULL, 0, &p); }
static HRESULT pre_get_event(void) { PPEER_GROUP_EVENT_DATA d; return PeerGroupGetEventData(NULL, &d); }
static HRESULT pre_free(void) { int x = 0; PeerFreeData(&x); PeerFreeData(BAD_PTR_HIGH); return S_OK; }
static HRESULT pre_shutdown(void) { return PeerGroupShutdown(); }
static HRESULT start_null(void) { return PeerGroupStartup(PEER_GROUP_VERSION, NULL); }
static HRESULT start_0_1(void) { PEER_VERSION_DATA v; return PeerGroupStartup(MAKEWORD(0, 1), &v); }
static HRESULT start_zero(void) { PEER_VERSION_DATA v; return PeerGroupStartup(0, &v); }
static HRESULT start_badptr(void) { return PeerGroupStartup(PEER_GROUP_VERSION, (PPEER_VERSION_DATA)BAD_PTR_LOW); }
static HRESULT still_uninit(void) { HPEERENUM e; return PeerEnumIdentities(&e); }
static HRESULT pre_power(void) { return PeerGroupHandlePowerEvent(PBT_APMRESUMEAUTOMATIC); }
static HRESULT pre_cert(void) { PPEER_DATA d; return PeerIdentityGetCert(NULL, &d); }

static const bad_call before_startup[] = {
    {"state", "PeerGroupCreate before startup", PEER_E_NOT_INITIALIZED, pre_create},
    {"state", "PeerIdentityCreate before startup", PEER_E_NOT_INITIALIZED, pre_identity},
    {"state", "PeerGroupGetEventData(NULL) before startup", PEER_E_NOT_INITIALIZED, pre_get_event},
    {"state", "PeerGroupShutdown without startup", PEER_E_NOT_INITIALIZED, pre_shutdown},
    {"state", "PeerGroupHandlePowerEvent before startup", PEER_E_NOT_INITIALIZED, pre_power},
    {"state", "PeerIdentityGetCert before startup", PEER_E_NOT_INITIALIZED, pre_cert},
    {"free", "PeerFreeData of a stack address and of 0xdeadbeef before startup: ignored", S_OK, pre_free},
    {"null", "PeerGroupStartup(version, NULL)", E_INVALIDARG, start_null},
    {"version", "PeerGroupStartup(MAKEWORD(0,1)): below 1.0", PEER_E_UNSUPPORTED_VERSION, start_0_1},
    {"version", "PeerGroupStartup(0)", PEER_E_UNSUPPORTED_VERSION, start_zero},
    {"pointer", "PeerGroupStartup(version, (void*)16)", E_POINTER, start_badptr},
    {"state", "no failed startup counted: still not initialised", PEER_E_NOT_INITIALIZED, still_uninit},
};

/* ------------------------------------------------------------------ */
/* NULL required pointers: E_INVALIDARG                                */
/* ------------------------------------------------------------------ */

static HRESULT n_count(void) { return PeerGetItemCount(c.en, NULL); }
static HRESULT n_next_count(void) { PVOID *it; return PeerGetNextItem(c.en, NULL, &it); }
static HRESULT n_next_items(void) { ULONG n = 1; return PeerGetNextItem(c.en, &n, NULL); }
static HRESULT n_create_props(void) { HGROUP h; return PeerGroupCreate(NULL, &h); }
static HRESULT n_create_out(void) { PEER_GROUP_PROPERTIES p = good_props(); return PeerGroupCreate(&p, NULL); }
static HRESULT n_open_name(void) { HGROUP h; return PeerGroupOpen(c.alice, NULL, NULL, &h); }
static HRESULT n_open_out(void) { return PeerGroupOpen(c.alice, c.group, NULL, NULL); }
static HRESULT n_join_inv(void) { HGROUP h; return PeerGroupJoin(c.bob, NULL, NULL, &h); }
static HRESULT n_join_out(void) { return PeerGroupJoin(c.bob, c.inv_bob, NULL, NULL); }
static HRESULT n_status(void) { return PeerGroupGetStatus(c.g, NULL); }
static HRESULT n_getprops(void) { return PeerGroupGetProperties(c.g, NULL); }
static HRESULT n_setprops(void) { return PeerGroupSetProperties(c.g, NULL); }
static HRESULT n_inv_xml(void) { PWSTR p; return PeerGroupCreateInvitation(c.g, NULL, NULL, 0, NULL, &p); }
static HRESULT n_inv_out(void) { return PeerGroupCreateInvitation(c.g, c.bob_xml, NULL, 0, NULL, NULL); }
static HRESULT n_inv_roles(void) { PWSTR p; return PeerGroupCreateInvitation(c.g, c.bob_xml, NULL, 1, NULL, &p); }
static HRESULT n_parse_inv(void) { PPEER_INVITATION_INFO i; return PeerGroupParseInvitation(NULL, &i); }
static HRESULT n_parse_out(void) { return PeerGroupParseInvitation(c.inv_bob, NULL); }
static HRESULT n_add_rec(void) { GUID id; return PeerGroupAddRecord(c.g, NULL, &id); }
static HRESULT n_add_id(void) { PEER_RECORD r = good_record(); return PeerGroupAddRecord(c.g, &r, NULL); }
static HRESULT n_add_data(void) { PEER_RECORD r = good_record(); GUID id; r.data.pbData = NULL; r.data.cbData = 4; return PeerGroupAddRecord(c.g, &r, &id); }
static HRESULT n_update(void) { return PeerGroupUpdateRecord(c.g, NULL); }
static HRESULT n_delete(void) { return PeerGroupDeleteRecord(c.g, NULL); }
static HRESULT n_get_id(void) { PPEER_RECORD r; return PeerGroupGetRecord(c.g, NULL, &r); }
static HRESULT n_get_out(void) { return PeerGroupGetRecord(c.g, &c.good[0], NULL); }
static HRESULT n_enum_out(void) { return PeerGroupEnumRecords(c.g, NULL, NULL); }
static HRESULT n_search(void) { HPEERENUM e; return PeerGroupSearchRecords(c.g, NULL, &e); }
static HRESULT n_reg_list(void) { HPEEREVENT h; return PeerGroupRegisterEvent(c.g, c.ev.h, 1, NULL, &h); }
static HRESULT n_reg_out(void) {
    PEER_GROUP_EVENT_REGISTRATION r = {PEER_GROUP_EVENT_RECORD_CHANGED, NULL};
    return PeerGroupRegisterEvent(c.g, c.ev.h, 1, &r, NULL);
}
static HRESULT n_reg_handle(void) {
    PEER_GROUP_EVENT_REGISTRATION r = {PEER_GROUP_EVENT_RECORD_CHANGED, NULL};
    HPEEREVENT h;
    return PeerGroupRegisterEvent(c.g, NULL, 1, &r, &h);
}
static HRESULT n_event_out(void) { return PeerGroupGetEventData(c.he, NULL); }
static HRESULT n_export_db(void) { return PeerGroupExportDatabase(c.g, NULL); }
static HRESULT n_import_db(void) { return PeerGroupImportDatabase(c.g, NULL); }
static HRESULT n_export_pw(void) { PWSTR x; return PeerGroupExportConfig(c.g, NULL, &x); }
static HRESULT n_export_out(void) { return PeerGroupExportConfig(c.g, PASSWORD, NULL); }
static HRESULT n_import_id(void) { PWSTR g; return PeerGroupImportConfig(c.config, PASSWORD, TRUE, NULL, &g); }
static HRESULT n_import_xml(void) { PWSTR i, g; return PeerGroupImportConfig(NULL, PASSWORD, TRUE, &i, &g); }
static HRESULT n_time_in(void) { FILETIME o; return PeerGroupPeerTimeToUniversalTime(c.g, NULL, &o); }
static HRESULT n_time_out(void) { FILETIME i = ft(now_ft()); return PeerGroupUniversalTimeToPeerTime(c.g, &i, NULL); }
static HRESULT n_members_out(void) { return PeerGroupEnumMembers(c.g, 0, NULL, NULL); }
static HRESULT n_issue_subject(void) { PWSTR p; return PeerGroupIssueCredentials(c.g, NULL, NULL, 0, &p); }
static HRESULT n_id_create_out(void) { return PeerIdentityCreate(NULL, NULL, 0, NULL); }
static HRESULT n_id_getfn_out(void) { return PeerIdentityGetFriendlyName(c.alice, NULL); }
static HRESULT n_id_getfn_id(void) { PWSTR p; return PeerIdentityGetFriendlyName(NULL, &p); }
static HRESULT n_id_setfn_id(void) { return PeerIdentitySetFriendlyName(NULL, u"x"); }
static HRESULT n_id_export_pw(void) { PWSTR x; return PeerIdentityExport(c.alice, NULL, &x); }
static HRESULT n_id_export_out(void) { return PeerIdentityExport(c.alice, PASSWORD, NULL); }
static HRESULT n_id_import_xml(void) { PWSTR p; return PeerIdentityImport(NULL, PASSWORD, &p); }
static HRESULT n_id_delete(void) { return PeerIdentityDelete(NULL); }
static HRESULT n_enum_ids(void) { return PeerEnumIdentities(NULL); }
static HRESULT n_enum_groups(void) { return PeerEnumGroups(c.alice, NULL); }
static HRESULT n_peername_both(void) { PWSTR p; return PeerCreatePeerName(NULL, NULL, &p); }
static HRESULT n_peername_out(void) { return PeerCreatePeerName(c.alice, u"x", NULL); }
static HRESULT n_xml_out(void) { return PeerIdentityGetXML(c.alice, NULL); }
static HRESULT n_default_out(void) { return PeerIdentityGetDefault(NULL); }
static HRESULT n_cryptkey_out(void) { return PeerIdentityGetCryptKey(c.alice, NULL); }
static HRESULT n_cert_out(void) { return PeerIdentityGetCert(c.alice, NULL); }

static const bad_call null_pointers[] = {
    {"null", "PeerGetItemCount(enum, NULL)", E_INVALIDARG, n_count},
    {"null", "PeerGetNextItem(enum, NULL, &items)", E_INVALIDARG, n_next_count},
    {"null", "PeerGetNextItem(enum, &n, NULL)", E_INVALIDARG, n_next_items},
    {"null", "PeerGroupCreate(NULL, &h)", E_INVALIDARG, n_create_props},
    {"null", "PeerGroupCreate(&props, NULL)", E_INVALIDARG, n_create_out},
    {"null", "PeerGroupOpen(alice, NULL group, ...)", E_INVALIDARG, n_open_name},
    {"null", "PeerGroupOpen(..., NULL)", E_INVALIDARG, n_open_out},
    {"null", "PeerGroupJoin(bob, NULL invitation, ...)", E_INVALIDARG, n_join_inv},
    {"null", "PeerGroupJoin(..., NULL)", E_INVALIDARG, n_join_out},
    {"null", "PeerGroupGetStatus(g, NULL)", E_INVALIDARG, n_status},
    {"null", "PeerGroupGetProperties(g, NULL)", E_INVALIDARG, n_getprops},
    {"null", "PeerGroupSetProperties(g, NULL)", E_INVALIDARG, n_setprops},
    {"null", "PeerGroupCreateInvitation(g, NULL identity XML, ...)", E_INVALIDARG, n_inv_xml},
    {"null", "PeerGroupCreateInvitation(..., NULL)", E_INVALIDARG, n_inv_out},
    {"null", "PeerGroupCreateInvitation(g, xml, NULL, 1 role, NULL roles, ...)", E_INVALIDARG, n_inv_roles},
    {"null", "PeerGroupParseInvitation(NULL, &info)", E_INVALIDARG, n_parse_inv},
    {"null", "PeerGroupParseInvitation(inv, NULL)", E_INVALIDARG, n_parse_out},
    {"null", "PeerGroupAddRecord(g, NULL, &id)", E_INVALIDARG, n_add_rec},
    {"null", "PeerGroupAddRecord(g, &rec, NULL)", E_INVALIDARG, n_add_id},
    {"null", "PeerGroupAddRecord with data.pbData NULL and cbData 4", E_INVALIDARG, n_add_data},
    {"null", "PeerGroupUpdateRecord(g, NULL)", E_INVALIDARG, n_update},
    {"null", "PeerGroupDeleteRecord(g, NULL)", E_INVALIDARG, n_delete},
    {"null", "PeerGroupGetRecord(g, NULL, &r)", E_INVALIDARG, n_get_id},
    {"null", "PeerGroupGetRecord(g, &id, NULL)", E_INVALIDARG, n_get_out},
    {"null", "PeerGroupEnumRecords(g, NULL, NULL)", E_INVALIDARG, n_enum_out},
    {"null", "PeerGroupSearchRecords(g, NULL, &e)", E_INVALIDARG, n_search},
    {"null", "PeerGroupRegisterEvent(g, ev, 1, NULL, &h)", E_INVALIDARG, n_reg_list},
    {"null", "PeerGroupRegisterEvent(..., NULL)", E_INVALIDARG, n_reg_out},
    {"null", "PeerGroupRegisterEvent(g, NULL event handle, ...)", E_INVALIDARG, n_reg_handle},
    {"null", "PeerGroupGetEventData(he, NULL)", E_INVALIDARG, n_event_out},
    {"null", "PeerGroupExportDatabase(g, NULL)", E_INVALIDARG, n_export_db},
    {"null", "PeerGroupImportDatabase(g, NULL)", E_INVALIDARG, n_import_db},
    {"null", "PeerGroupExportConfig(g, NULL password, &x)", E_INVALIDARG, n_export_pw},
    {"null", "PeerGroupExportConfig(g, pw, NULL)", E_INVALIDARG, n_export_out},
    {"null", "PeerGroupImportConfig(xml, pw, TRUE, NULL, &g)", E_INVALIDARG, n_import_id},
    {"null", "PeerGroupImportConfig(NULL, ...)", E_INVALIDARG, n_import_xml},
    {"null", "PeerGroupPeerTimeToUniversalTime(g, NULL, &t)", E_INVALIDARG, n_time_in},
    {"null", "PeerGroupUniversalTimeToPeerTime(g, &t, NULL)", E_INVALIDARG, n_time_out},
    {"null", "PeerGroupEnumMembers(g, 0, NULL, NULL)", E_INVALIDARG, n_members_out},
    {"null", "PeerGroupIssueCredentials(g, NULL subject, ...)", E_INVALIDARG, n_issue_subject},
    {"null", "PeerIdentityCreate(..., NULL)", E_INVALIDARG, n_id_create_out},
    {"null", "PeerIdentityGetFriendlyName(alice, NULL)", E_INVALIDARG, n_id_getfn_out},
    {"null", "PeerIdentityGetFriendlyName(NULL, &fn)", E_INVALIDARG, n_id_getfn_id},
    {"null", "PeerIdentitySetFriendlyName(NULL, \"x\")", E_INVALIDARG, n_id_setfn_id},
    {"null", "PeerIdentityExport(alice, NULL password, &x)", E_INVALIDARG, n_id_export_pw},
    {"null", "PeerIdentityExport(alice, pw, NULL)", E_INVALIDARG, n_id_export_out},
    {"null", "PeerIdentityImport(NULL, pw, &id)", E_INVALIDARG, n_id_import_xml},
    {"null", "PeerIdentityDelete(NULL)", E_INVALIDARG, n_id_delete},
    {"null", "PeerEnumIdentities(NULL)", E_INVALIDARG, n_enum_ids},
    {"null", "PeerEnumGroups(alice, NULL)", E_INVALIDARG, n_enum_groups},
    {"null", "PeerCreatePeerName(NULL, NULL, &p): one of them is required", E_INVALIDARG, n_peername_both},
    {"null", "PeerCreatePeerName(alice, \"x\", NULL)", E_INVALIDARG, n_peername_out},
    {"null", "PeerIdentityGetXML(alice, NULL)", E_INVALIDARG, n_xml_out},
    {"null", "PeerIdentityGetDefault(NULL)", E_INVALIDARG, n_default_out},
    {"null", "PeerIdentityGetCryptKey(alice, NULL)", E_INVALIDARG, n_cryptkey_out},
    {"null", "PeerIdentityGetCert(alice, NULL)", E_INVALIDARG, n_cert_out},
};

/* ------------------------------------------------------------------ */
/* Pointers that fault: E_POINTER                                      */
/* ------------------------------------------------------------------ */

static HRESULT p_status(void) { return PeerGroupGetStatus(c.g, (DWORD *)BAD_PTR_LOW); }
static HRESULT p_getprops(void) { return PeerGroupGetProperties(c.g, (PPEER_GROUP_PROPERTIES *)BAD_PTR_HIGH); }
static HRESULT p_setprops(void) { return PeerGroupSetProperties(c.g, (PPEER_GROUP_PROPERTIES)BAD_PTR_HIGH); }
static HRESULT p_add_rec(void) { GUID id; return PeerGroupAddRecord(c.g, (PPEER_RECORD)BAD_PTR_LOW, &id); }
static HRESULT p_add_id(void) { PEER_RECORD r = good_record(); return PeerGroupAddRecord(c.g, &r, (GUID *)BAD_PTR_HIGH); }
static HRESULT p_add_data(void) {
    PEER_RECORD r = good_record();
    GUID id;
    r.data.pbData = (PBYTE)BAD_PTR_HIGH;
    r.data.cbData = 64;
    return PeerGroupAddRecord(c.g, &r, &id);
}
static HRESULT p_add_attrs(void) { PEER_RECORD r = good_record(); GUID id; r.pwzAttributes = (PWSTR)BAD_PTR_LOW; return PeerGroupAddRecord(c.g, &r, &id); }
static HRESULT p_parse(void) { PPEER_INVITATION_INFO i; return PeerGroupParseInvitation((PCWSTR)BAD_PTR_LOW, &i); }
static HRESULT p_getfn(void) { PWSTR p; return PeerIdentityGetFriendlyName((PCWSTR)BAD_PTR_HIGH, &p); }
static HRESULT p_getrec(void) { PPEER_RECORD r; return PeerGroupGetRecord(c.g, (const GUID *)BAD_PTR_LOW, &r); }
static HRESULT p_count(void) { return PeerGetItemCount(c.en, (ULONG *)BAD_PTR_LOW); }
static HRESULT p_next(void) { ULONG n = 1; return PeerGetNextItem(c.en, &n, (PVOID **)BAD_PTR_HIGH); }
static HRESULT p_idcreate(void) { return PeerIdentityCreate(u"x", u"y", 0, (PWSTR *)BAD_PTR_LOW); }
static HRESULT p_register(void) { HPEEREVENT h; return PeerGroupRegisterEvent(c.g, c.ev.h, 1, (PEER_GROUP_EVENT_REGISTRATION *)BAD_PTR_LOW, &h); }
static HRESULT p_create_name(void) { PEER_GROUP_PROPERTIES p = good_props(); HGROUP h; p.pwzFriendlyName = (PWSTR)BAD_PTR_LOW; return PeerGroupCreate(&p, &h); }
static HRESULT p_inv_expiry(void) { PWSTR p; return PeerGroupCreateInvitation(c.g, c.bob_xml, (FILETIME *)BAD_PTR_LOW, 0, NULL, &p); }
static HRESULT p_delete_id(void) { return PeerGroupDeleteRecord(c.g, (const GUID *)BAD_PTR_HIGH); }
static HRESULT p_event_out(void) { return PeerGroupGetEventData(c.he, (PPEER_GROUP_EVENT_DATA *)BAD_PTR_LOW); }
static HRESULT p_cert_out(void) { return PeerIdentityGetCert(c.alice, (PPEER_DATA *)BAD_PTR_HIGH); }
static HRESULT p_cert_name(void) { PPEER_DATA d; return PeerIdentityGetCert((PCWSTR)BAD_PTR_HIGH, &d); }

static const bad_call bad_pointers[] = {
    {"pointer", "PeerGroupGetStatus(g, (DWORD*)16)", E_POINTER, p_status},
    {"pointer", "PeerGroupGetProperties(g, 0xdeadbeef)", E_POINTER, p_getprops},
    {"pointer", "PeerGroupSetProperties(g, 0xdeadbeef)", E_POINTER, p_setprops},
    {"pointer", "PeerGroupAddRecord(g, (PEER_RECORD*)16, &id)", E_POINTER, p_add_rec},
    {"pointer", "PeerGroupAddRecord(g, &rec, (GUID*)0xdeadbeef)", E_POINTER, p_add_id},
    {"pointer", "PeerGroupAddRecord with data.pbData 0xdeadbeef", E_POINTER, p_add_data},
    {"pointer", "PeerGroupAddRecord with pwzAttributes (PWSTR)16", E_POINTER, p_add_attrs},
    {"pointer", "PeerGroupParseInvitation((PCWSTR)16, &info)", E_POINTER, p_parse},
    {"pointer", "PeerIdentityGetFriendlyName(0xdeadbeef, &fn)", E_POINTER, p_getfn},
    {"pointer", "PeerGroupGetRecord(g, (GUID*)16, &r)", E_POINTER, p_getrec},
    {"pointer", "PeerGetItemCount(enum, (ULONG*)16)", E_POINTER, p_count},
    {"pointer", "PeerGetNextItem(enum, &n, 0xdeadbeef)", E_POINTER, p_next},
    {"pointer", "PeerIdentityCreate(\"x\", \"y\", 0, (PWSTR*)16)", E_POINTER, p_idcreate},
    {"pointer", "PeerGroupRegisterEvent(g, ev, 1, (REGISTRATION*)16, &h)", E_POINTER, p_register},
    {"pointer", "PeerGroupCreate with pwzFriendlyName (PWSTR)16", E_POINTER, p_create_name},
    {"pointer", "PeerGroupCreateInvitation(g, xml, (FILETIME*)16, ...)", E_POINTER, p_inv_expiry},
    {"pointer", "PeerGroupDeleteRecord(g, (GUID*)0xdeadbeef)", E_POINTER, p_delete_id},
    {"pointer", "PeerGroupGetEventData(he, (PEER_GROUP_EVENT_DATA**)16)", E_POINTER, p_event_out},
    {"pointer", "PeerIdentityGetCert(alice, 0xdeadbeef)", E_POINTER, p_cert_out},
    {"pointer", "PeerIdentityGetCert(0xdeadbeef, &d)", E_POINTER, p_cert_name},
};

/* ------------------------------------------------------------------ */
/* Wrong dwSize: E_INVALIDARG                                          */
/* ------------------------------------------------------------------ */

static HRESULT s_add_small(void) { PEER_RECORD r = good_record(); GUID id; r.dwSize = sizeof r - 8; return PeerGroupAddRecord(c.g, &r, &id); }
static HRESULT s_add_zero(void) { PEER_RECORD r = good_record(); GUID id; r.dwSize = 0; return PeerGroupAddRecord(c.g, &r, &id); }
static HRESULT s_add_big(void) { PEER_RECORD r = good_record(); GUID id; r.dwSize = sizeof r + 8; return PeerGroupAddRecord(c.g, &r, &id); }
static HRESULT s_update(void) { PEER_RECORD r = good_record(); r.id = c.good[0]; r.dwSize = 64; return PeerGroupUpdateRecord(c.g, &r); }
static HRESULT s_create(void) { PEER_GROUP_PROPERTIES p = good_props(); HGROUP h; p.dwSize = 88; return PeerGroupCreate(&p, &h); }
static HRESULT s_setprops(void) {
    PPEER_GROUP_PROPERTIES p;
    HRESULT h = PeerGroupGetProperties(c.g, &p);
    if (h != S_OK) return h;
    p->dwSize = 0;
    p->pwzFriendlyName = u"changed by a bad call";
    h = PeerGroupSetProperties(c.g, p);
    PeerFreeData(p);
    return h;
}
static HRESULT s_cred(void) {
    PEER_CREDENTIAL_INFO ci = c.cred;
    PWSTR inv;
    ci.dwSize = 0;
    return PeerGroupIssueCredentials(c.g, c.bob, &ci, 0, &inv);
}
static HRESULT s_cred_big(void) {
    PEER_CREDENTIAL_INFO ci = c.cred;
    PWSTR inv;
    ci.dwSize = sizeof ci + 1;
    return PeerGroupIssueCredentials(c.g, c.bob, &ci, 0, &inv);
}
static HRESULT s_address(void) {
    PEER_ADDRESS addr;
    memset(&addr, 0, sizeof addr);
    addr.dwSize = 8;
    return PeerGroupConnectByAddress(c.g, 1, &addr);
}

static const bad_call bad_sizes[] = {
    {"size", "PeerGroupAddRecord: PEER_RECORD.dwSize 120", E_INVALIDARG, s_add_small},
    {"size", "PeerGroupAddRecord: PEER_RECORD.dwSize 0", E_INVALIDARG, s_add_zero},
    {"size", "PeerGroupAddRecord: PEER_RECORD.dwSize 136", E_INVALIDARG, s_add_big},
    {"size", "PeerGroupUpdateRecord: PEER_RECORD.dwSize 64", E_INVALIDARG, s_update},
    {"size", "PeerGroupCreate: PEER_GROUP_PROPERTIES.dwSize 88 (the XP size)", E_INVALIDARG, s_create},
    {"size", "PeerGroupSetProperties: PEER_GROUP_PROPERTIES.dwSize 0", E_INVALIDARG, s_setprops},
    {"size", "PeerGroupIssueCredentials: PEER_CREDENTIAL_INFO.dwSize 0", E_INVALIDARG, s_cred},
    {"size", "PeerGroupIssueCredentials: PEER_CREDENTIAL_INFO.dwSize 73", E_INVALIDARG, s_cred_big},
    {"size", "PeerGroupConnectByAddress: PEER_ADDRESS.dwSize 8", E_INVALIDARG, s_address},
};

/* ------------------------------------------------------------------ */
/* Handles: stale, closed, forged, wrong-typed                         */
/* ------------------------------------------------------------------ */

#define FORGED_GROUP ((HGROUP)(uintptr_t)0x5A01000000FFFFF0ULL) /* the library's handle form, never issued */
#define FORGED_ENUM ((HPEERENUM)(uintptr_t)0x5A03000000FFFFF0ULL)

static HRESULT h_closed_status(void) { DWORD st; return PeerGroupGetStatus(c.closed, &st); }
static HRESULT h_closed_close(void) { return PeerGroupClose(c.closed); }
static HRESULT h_closed_reg(void) {
    PEER_GROUP_EVENT_REGISTRATION r = {PEER_GROUP_EVENT_RECORD_CHANGED, NULL};
    HPEEREVENT h;
    return PeerGroupRegisterEvent(c.closed, c.ev.h, 1, &r, &h);
}
static HRESULT h_stale_add(void) { PEER_RECORD r = good_record(); GUID id; return PeerGroupAddRecord(c.stale, &r, &id); }
static HRESULT h_stale_props(void) { PPEER_GROUP_PROPERTIES p; return PeerGroupGetProperties(c.stale, &p); }
static HRESULT h_null_group(void) { PPEER_GROUP_PROPERTIES p; return PeerGroupGetProperties(NULL, &p); }
static HRESULT h_forged_group(void) { DWORD st; return PeerGroupGetStatus(FORGED_GROUP, &st); }
static HRESULT h_wild_group(void) { DWORD st; return PeerGroupGetStatus((HGROUP)BAD_PTR_HIGH, &st); }
static HRESULT h_enum_as_group(void) { DWORD st; return PeerGroupGetStatus((HGROUP)c.en, &st); }
static HRESULT h_event_as_group(void) { return PeerGroupClose((HGROUP)c.he); }
static HRESULT h_group_as_enum(void) { ULONG n; return PeerGetItemCount((HPEERENUM)c.g, &n); }
static HRESULT h_event_as_enum(void) { return PeerEndEnumeration((HPEERENUM)c.he); }
static HRESULT h_enum_done_next(void) { ULONG n = 1; PVOID *it; return PeerGetNextItem(c.en_done, &n, &it); }
static HRESULT h_enum_done_end(void) { return PeerEndEnumeration(c.en_done); }
static HRESULT h_enum_stale(void) { ULONG n; return PeerGetItemCount(c.en_stale, &n); }
static HRESULT h_enum_forged(void) { ULONG n; return PeerGetItemCount(FORGED_ENUM, &n); }
static HRESULT h_enum_null(void) { return PeerEndEnumeration(NULL); }
static HRESULT h_event_gone_get(void) { PPEER_GROUP_EVENT_DATA d; return PeerGroupGetEventData(c.he_gone, &d); }
static HRESULT h_event_gone_unreg(void) { return PeerGroupUnregisterEvent(c.he_gone); }
static HRESULT h_event_stale(void) { PPEER_GROUP_EVENT_DATA d; return PeerGroupGetEventData(c.he_stale, &d); }
static HRESULT h_event_null(void) { PPEER_GROUP_EVENT_DATA d; return PeerGroupGetEventData(NULL, &d); }
static HRESULT h_group_as_event(void) { return PeerGroupUnregisterEvent((HPEEREVENT)c.g); }
static HRESULT h_enum_as_event(void) { PPEER_GROUP_EVENT_DATA d; return PeerGroupGetEventData((HPEEREVENT)c.en, &d); }
static HRESULT h_resume(void) { return PeerGroupResumePasswordAuthentication(c.closed, c.he); }
static HRESULT h_export_cfg(void) { PWSTR x; return PeerGroupExportConfig(c.stale, PASSWORD, &x); }
static HRESULT h_search(void) { HPEERENUM e; return PeerGroupSearchRecords(FORGED_GROUP, u"<peersearch/>", &e); }
static HRESULT h_members(void) { HPEERENUM e; return PeerGroupEnumMembers(c.closed, 0, NULL, &e); }
static HRESULT h_connect(void) { return PeerGroupConnect(c.closed); }
static HRESULT h_send(void) { BYTE b = 1; return PeerGroupSendData(c.stale, 1, &TYPE_GOOD, 1, &b); }

static const bad_call bad_handles[] = {
    {"handle", "PeerGroupGetStatus(closed HGROUP)", E_HANDLE, h_closed_status},
    {"handle", "PeerGroupClose(closed HGROUP): double close", E_HANDLE, h_closed_close},
    {"handle", "PeerGroupRegisterEvent(closed HGROUP, ...)", E_HANDLE, h_closed_reg},
    {"handle", "PeerGroupAddRecord(HGROUP from before the last shutdown)", E_HANDLE, h_stale_add},
    {"handle", "PeerGroupGetProperties(HGROUP from before the last shutdown)", E_HANDLE, h_stale_props},
    {"handle", "PeerGroupGetProperties(NULL HGROUP)", E_HANDLE, h_null_group},
    {"handle", "PeerGroupGetStatus(forged HGROUP 0x5A01000000FFFFF0)", E_HANDLE, h_forged_group},
    {"handle", "PeerGroupGetStatus((HGROUP)0xdeadbeef): never dereferenced", E_HANDLE, h_wild_group},
    {"handle", "PeerGroupGetStatus(an HPEERENUM)", E_HANDLE, h_enum_as_group},
    {"handle", "PeerGroupClose(an HPEEREVENT)", E_HANDLE, h_event_as_group},
    {"handle", "PeerGetItemCount(an HGROUP)", E_HANDLE, h_group_as_enum},
    {"handle", "PeerEndEnumeration(an HPEEREVENT)", E_HANDLE, h_event_as_enum},
    {"handle", "PeerGetNextItem(ended HPEERENUM)", E_HANDLE, h_enum_done_next},
    {"handle", "PeerEndEnumeration(ended HPEERENUM): double end", E_HANDLE, h_enum_done_end},
    {"handle", "PeerGetItemCount(HPEERENUM from before the last shutdown)", E_HANDLE, h_enum_stale},
    {"handle", "PeerGetItemCount(forged HPEERENUM)", E_HANDLE, h_enum_forged},
    {"handle", "PeerEndEnumeration(NULL)", E_HANDLE, h_enum_null},
    {"handle", "PeerGroupGetEventData(unregistered HPEEREVENT)", PEER_E_EVENT_HANDLE_NOT_FOUND, h_event_gone_get},
    {"handle", "PeerGroupUnregisterEvent twice", PEER_E_EVENT_HANDLE_NOT_FOUND, h_event_gone_unreg},
    {"handle", "PeerGroupGetEventData(HPEEREVENT from before the last shutdown)", PEER_E_EVENT_HANDLE_NOT_FOUND, h_event_stale},
    {"handle", "PeerGroupGetEventData(NULL, &d)", PEER_E_EVENT_HANDLE_NOT_FOUND, h_event_null},
    {"handle", "PeerGroupUnregisterEvent(an HGROUP)", PEER_E_EVENT_HANDLE_NOT_FOUND, h_group_as_event},
    {"handle", "PeerGroupGetEventData(an HPEERENUM)", PEER_E_EVENT_HANDLE_NOT_FOUND, h_enum_as_event},
    {"handle", "PeerGroupResumePasswordAuthentication(closed HGROUP, he)", E_HANDLE, h_resume},
    {"handle", "PeerGroupExportConfig(stale HGROUP, ...)", E_HANDLE, h_export_cfg},
    {"handle", "PeerGroupSearchRecords(forged HGROUP, ...)", E_HANDLE, h_search},
    {"handle", "PeerGroupEnumMembers(closed HGROUP, ...)", E_HANDLE, h_members},
    {"handle", "PeerGroupConnect(closed HGROUP)", E_HANDLE, h_connect},
    {"handle", "PeerGroupSendData(stale HGROUP, ...)", E_HANDLE, h_send},
};

/* ------------------------------------------------------------------ */
/* Malformed UTF-16 and over-long strings                              */
/* ------------------------------------------------------------------ */

static const WCHAR lone_high[] = {'a', 'b', 0xD83D, 'c', 0};       /* high surrogate, then no low */
static const WCHAR lone_low[] = {0xDE00, 'x', 0};                  /* low surrogate first */
static const WCHAR high_at_end[] = {'x', 'y', 0xD800, 0};          /* high surrogate, then the end */
static const WCHAR swapped[] = {'o', 'k', 0xDE00, 0xD83D, 0};      /* a pair in the wrong order */

static HRESULT u_create_cls(void) { PWSTR p; return PeerIdentityCreate(lone_high, NULL, 0, &p); }
static HRESULT u_create_fn(void) { PWSTR p; return PeerIdentityCreate(NULL, swapped, 0, &p); }
static HRESULT u_setfn(void) { return PeerIdentitySetFriendlyName(c.alice, lone_low); }
static HRESULT u_open(void) { HGROUP h; return PeerGroupOpen(c.alice, high_at_end, NULL, &h); }
static HRESULT u_search(void) {
    static const WCHAR q[] = {'<', 'p', 'e', 'e', 'r', 's', 'e', 'a', 'r', 'c', 'h', '/', '>', 0xDC00, 0};
    HPEEREVENT e;
    return PeerGroupSearchRecords(c.g, q, (HPEERENUM *)&e);
}
static HRESULT u_attrs(void) {
    static const WCHAR at[] = {'<', 'a', 't', 't', 'r', 'i', 'b', 'u', 't', 'e', 's', '/', '>', 0xD801, 0};
    PEER_RECORD r = good_record();
    GUID id;
    r.pwzAttributes = (PWSTR)at;
    return PeerGroupAddRecord(c.g, &r, &id);
}
static HRESULT u_group_name(void) { PEER_GROUP_PROPERTIES p = good_props(); HGROUP h; p.pwzFriendlyName = (PWSTR)lone_low; return PeerGroupCreate(&p, &h); }
static HRESULT u_password(void) { PWSTR x; return PeerIdentityExport(c.alice, swapped, &x); }
static HRESULT u_peername(void) { PWSTR p; return PeerCreatePeerName(NULL, lone_high, &p); }

static HRESULT l_id_cls(void) { PWSTR p; return PeerIdentityCreate(c.long150, NULL, 0, &p); }
static HRESULT l_id_fn(void) { PWSTR p; return PeerIdentityCreate(NULL, c.long256, 0, &p); }
static HRESULT l_setfn(void) { return PeerIdentitySetFriendlyName(c.alice, c.long256); }
static HRESULT l_peername(void) { PWSTR p; return PeerCreatePeerName(c.alice, c.long150, &p); }
static HRESULT l_peername_unsecured(void) { PWSTR p; return PeerCreatePeerName(NULL, c.long150, &p); }
static HRESULT l_group_cls(void) { PEER_GROUP_PROPERTIES p = good_props(); HGROUP h; p.pwzClassifier = c.long150; return PeerGroupCreate(&p, &h); }
static HRESULT l_group_cls97(void) { PEER_GROUP_PROPERTIES p = good_props(); HGROUP h; p.pwzClassifier = c.long97; return PeerGroupCreate(&p, &h); }
static HRESULT l_group_fn(void) { PEER_GROUP_PROPERTIES p = good_props(); HGROUP h; p.pwzFriendlyName = c.long256; return PeerGroupCreate(&p, &h); }
static HRESULT l_identity_name(void) { PWSTR p; return PeerIdentityGetFriendlyName(c.long5000, &p); }

static const bad_call bad_strings[] = {
    {"utf16", "PeerIdentityCreate: classifier with an unpaired high surrogate", E_INVALIDARG, u_create_cls},
    {"utf16", "PeerIdentityCreate: friendly name with a reversed surrogate pair", E_INVALIDARG, u_create_fn},
    {"utf16", "PeerIdentitySetFriendlyName: a lone low surrogate", E_INVALIDARG, u_setfn},
    {"utf16", "PeerGroupOpen: group name ending in a high surrogate", E_INVALIDARG, u_open},
    {"utf16", "PeerGroupSearchRecords: criteria with a lone low surrogate", E_INVALIDARG, u_search},
    {"utf16", "PeerGroupAddRecord: attributes with a lone high surrogate", E_INVALIDARG, u_attrs},
    {"utf16", "PeerGroupCreate: friendly name with a lone low surrogate", E_INVALIDARG, u_group_name},
    {"utf16", "PeerIdentityExport: password with a reversed pair", E_INVALIDARG, u_password},
    {"utf16", "PeerCreatePeerName(NULL, classifier with a lone surrogate)", E_INVALIDARG, u_peername},
    /* PeerIdentityCreate, PeerIdentitySetFriendlyName and PeerCreatePeerName
     * document E_INVALIDARG for every invalid parameter; PeerGroupCreate
     * documents PEER_E_INVALID_CLASSIFIER for its classifier. */
    {"length", "PeerIdentityCreate: classifier of 150 characters (max 149)", E_INVALIDARG, l_id_cls},
    {"length", "PeerIdentityCreate: friendly name of 256 characters (max 255)", E_INVALIDARG, l_id_fn},
    {"length", "PeerIdentitySetFriendlyName: 256 characters", E_INVALIDARG, l_setfn},
    {"length", "PeerCreatePeerName(alice, classifier of 150)", E_INVALIDARG, l_peername},
    {"length", "PeerCreatePeerName(NULL, classifier of 150)", E_INVALIDARG, l_peername_unsecured},
    {"length", "PeerGroupCreate: classifier of 150", PEER_E_INVALID_CLASSIFIER, l_group_cls},
    {"length", "PeerGroupCreate: classifier of 97 (group peer name of 138, max 137)", PEER_E_INVALID_CLASSIFIER, l_group_cls97},
    {"length", "PeerGroupCreate: friendly name of 256", PEER_E_INVALID_FRIENDLY_NAME, l_group_fn},
    {"length", "PeerIdentityGetFriendlyName: identity name of 5000 characters", E_INVALIDARG, l_identity_name},
};

/* ------------------------------------------------------------------ */
/* Invitations, identities and groups                                  */
/* ------------------------------------------------------------------ */

static HRESULT i_join_expired(void) { HGROUP h; return PeerGroupJoin(c.bob, c.inv_expired, NULL, &h); }
static HRESULT i_join_foreign(void) { HGROUP h; return PeerGroupJoin(c.carol, c.inv_bob, NULL, &h); }
static HRESULT i_join_tampered(void) { HGROUP h; return PeerGroupJoin(c.bob, c.inv_tampered, NULL, &h); }
static HRESULT i_parse_tampered(void) { PPEER_INVITATION_INFO i; return PeerGroupParseInvitation(c.inv_tampered, &i); }
static HRESULT i_parse_garbage(void) { PPEER_INVITATION_INFO i; return PeerGroupParseInvitation(u"this is not XML", &i); }
static HRESULT i_parse_empty(void) { PPEER_INVITATION_INFO i; return PeerGroupParseInvitation(u"", &i); }
static HRESULT i_create_past(void) {
    FILETIME past = ft(now_ft() - 3600 * FT_SECOND);
    PWSTR p;
    return PeerGroupCreateInvitation(c.g, c.bob_xml, &past, 0, NULL, &p);
}
static HRESULT i_create_zero(void) { FILETIME zero = ft(0); PWSTR p; return PeerGroupCreateInvitation(c.g, c.bob_xml, &zero, 0, NULL, &p); }
static HRESULT i_create_role(void) { PWSTR p; return PeerGroupCreateInvitation(c.g, c.bob_xml, NULL, 1, &BOGUS_ROLE, &p); }
static HRESULT i_create_many_roles(void) {
    GUID roles[17];
    PWSTR p;
    int i;
    for (i = 0; i < 17; i++) roles[i] = PEER_GROUP_ROLE_MEMBER;
    return PeerGroupCreateInvitation(c.g, c.bob_xml, NULL, 17, roles, &p);
}
static HRESULT i_create_badxml(void) { PWSTR p; return PeerGroupCreateInvitation(c.g, u"<PEERIDENTITYINFO>nope", NULL, 0, NULL, &p); }
static HRESULT i_create_notready(void) { PWSTR p; return PeerGroupCreateInvitation(c.gj, c.alice_xml, NULL, 0, NULL, &p); }
static HRESULT i_issue_self(void) { PWSTR p; return PeerGroupIssueCredentials(c.g, c.alice, NULL, 0, &p); }
static HRESULT i_issue_flags(void) { PWSTR p; return PeerGroupIssueCredentials(c.g, c.bob, &c.cred, 0x80, &p); }
static HRESULT i_issue_key(void) {
    PEER_CREDENTIAL_INFO ci = c.cred;
    PWSTR p;
    return PeerGroupIssueCredentials(c.g, c.carol, &ci, 0, &p); /* bob's key, carol's name */
}

static HRESULT d_delete_alice(void) { return PeerIdentityDelete(c.alice); }
static HRESULT d_unknown_identity(void) { PWSTR p; return PeerIdentityGetFriendlyName(u"0123456789abcdef0123456789abcdef01234567.nobody", &p); }
static HRESULT d_not_a_name(void) { PWSTR p; return PeerIdentityGetFriendlyName(u"not a peer name", &p); }
static HRESULT d_import_garbage(void) { PWSTR p; return PeerIdentityImport(u"<nope/>", PASSWORD, &p); }
static HRESULT d_import_password(void) {
    PWSTR exp = NULL, p = NULL;
    HRESULT h = PeerIdentityExport(c.alice, PASSWORD, &exp);
    if (h != S_OK) return h;
    h = PeerIdentityImport(exp, u"not the password", &p);
    PeerFreeData(exp);
    return h;
}
static HRESULT d_import_exists(void) {
    PWSTR exp = NULL, p = NULL;
    HRESULT h = PeerIdentityExport(c.alice, PASSWORD, &exp);
    if (h != S_OK) return h;
    h = PeerIdentityImport(exp, PASSWORD, &p);
    PeerFreeData(exp);
    return h;
}
static HRESULT d_open_unknown(void) { HGROUP h; return PeerGroupOpen(c.alice, u"0123456789abcdef0123456789abcdef01234567.nogroup", NULL, &h); }
static HRESULT d_open_badname(void) { HGROUP h; return PeerGroupOpen(c.alice, u"no dot, no hex", NULL, &h); }
static HRESULT d_open_other(void) { HGROUP h; return PeerGroupOpen(c.carol, c.group, NULL, &h); }
static HRESULT d_delete_unknown(void) { return PeerGroupDelete(c.alice, u"0123456789abcdef0123456789abcdef01234567.nogroup"); }
static HRESULT d_create_creator(void) {
    PEER_GROUP_PROPERTIES p = good_props();
    HGROUP h;
    p.pwzCreatorPeerName = u"0123456789abcdef0123456789abcdef01234567.nobody";
    return PeerGroupCreate(&p, &h);
}
static HRESULT d_create_lifetime(void) { PEER_GROUP_PROPERTIES p = good_props(); HGROUP h; p.ulMemberDataLifetime = 60; return PeerGroupCreate(&p, &h); }
static HRESULT d_create_flags(void) { PEER_GROUP_PROPERTIES p = good_props(); HGROUP h; p.dwFlags = 0x80; return PeerGroupCreate(&p, &h); }
static HRESULT d_create_schemes(void) { PEER_GROUP_PROPERTIES p = good_props(); HGROUP h; p.dwAuthenticationSchemes = 0x10; return PeerGroupCreate(&p, &h); }
static HRESULT d_set_classifier(void) {
    PPEER_GROUP_PROPERTIES p;
    HRESULT h = PeerGroupGetProperties(c.g, &p);
    if (h != S_OK) return h;
    p->pwzClassifier = u"another";
    h = PeerGroupSetProperties(c.g, p);
    PeerFreeData(p);
    return h;
}
static HRESULT d_config_garbage(void) { PWSTR i, g; return PeerGroupImportConfig(u"<config/>", PASSWORD, TRUE, &i, &g); }
static HRESULT d_config_password(void) { PWSTR i, g; return PeerGroupImportConfig(c.config, u"wrong", TRUE, &i, &g); }
static HRESULT d_config_exists(void) { PWSTR i, g; return PeerGroupImportConfig(c.config, PASSWORD, FALSE, &i, &g); }
static HRESULT d_config_in_use(void) { PWSTR i, g; return PeerGroupImportConfig(c.config, PASSWORD, TRUE, &i, &g); }

static const bad_call bad_identities_groups[] = {
    {"invitation", "PeerGroupJoin with an expired invitation", PEER_E_INVALID_TIME_PERIOD, i_join_expired},
    {"invitation", "PeerGroupJoin as carol with bob's invitation", PEER_E_INVITATION_NOT_TRUSTED, i_join_foreign},
    {"invitation", "PeerGroupJoin with a tampered invitation", PEER_E_INVITATION_NOT_TRUSTED, i_join_tampered},
    {"invitation", "PeerGroupParseInvitation of a tampered invitation", PEER_E_INVITATION_NOT_TRUSTED, i_parse_tampered},
    {"invitation", "PeerGroupParseInvitation(\"this is not XML\")", E_INVALIDARG, i_parse_garbage},
    {"invitation", "PeerGroupParseInvitation(\"\")", E_INVALIDARG, i_parse_empty},
    {"invitation", "PeerGroupCreateInvitation expiring an hour ago", PEER_E_INVALID_TIME_PERIOD, i_create_past},
    {"invitation", "PeerGroupCreateInvitation with expiration FILETIME 0", E_INVALIDARG, i_create_zero},
    {"invitation", "PeerGroupCreateInvitation with an unknown role GUID", PEER_E_INVALID_ROLE_PROPERTY, i_create_role},
    {"invitation", "PeerGroupCreateInvitation with 17 roles", E_INVALIDARG, i_create_many_roles},
    {"invitation", "PeerGroupCreateInvitation with malformed identity XML", E_INVALIDARG, i_create_badxml},
    {"invitation", "PeerGroupCreateInvitation on a joined, never synchronised group", PEER_E_GROUP_NOT_READY, i_create_notready},
    {"invitation", "PeerGroupIssueCredentials of alice by alice: a circular chain", PEER_E_CIRCULAR_CHAIN_DETECTED, i_issue_self},
    {"invitation", "PeerGroupIssueCredentials with unknown flags 0x80", E_INVALIDARG, i_issue_flags},
    {"invitation", "PeerGroupIssueCredentials for carol with bob's key", PEER_E_INVALID_CREDENTIAL_INFO, i_issue_key},
    {"identity", "PeerIdentityDelete(alice) while she has groups", PEER_E_GROUPS_EXIST, d_delete_alice},
    {"identity", "PeerIdentityGetFriendlyName of an unknown identity", PEER_E_NOT_FOUND, d_unknown_identity},
    {"identity", "PeerIdentityGetFriendlyName(\"not a peer name\")", E_INVALIDARG, d_not_a_name},
    {"identity", "PeerIdentityImport(\"<nope/>\")", E_INVALIDARG, d_import_garbage},
    {"identity", "PeerIdentityImport with the wrong password", E_INVALIDARG, d_import_password},
    {"identity", "PeerIdentityImport of an identity already here", PEER_E_ALREADY_EXISTS, d_import_exists},
    {"group", "PeerGroupOpen of an unknown group", PEER_E_NOT_FOUND, d_open_unknown},
    {"group", "PeerGroupOpen(\"no dot, no hex\")", PEER_E_INVALID_PEER_NAME, d_open_badname},
    {"group", "PeerGroupOpen as carol, who never joined", PEER_E_NOT_FOUND, d_open_other},
    {"group", "PeerGroupDelete of an unknown group", PEER_E_NOT_FOUND, d_delete_unknown},
    {"group", "PeerGroupCreate by an unknown creator identity", PEER_E_NOT_FOUND, d_create_creator},
    {"group", "PeerGroupCreate with ulMemberDataLifetime 60 s (min 8 h)", PEER_E_INVALID_GROUP_PROPERTIES, d_create_lifetime},
    {"group", "PeerGroupCreate with unknown flags 0x80", PEER_E_INVALID_GROUP_PROPERTIES, d_create_flags},
    {"group", "PeerGroupCreate with unknown authentication scheme 0x10", PEER_E_INVALID_GROUP_PROPERTIES, d_create_schemes},
    {"group", "PeerGroupSetProperties changing the classifier", PEER_E_INVALID_GROUP_PROPERTIES, d_set_classifier},
    {"group", "PeerGroupImportConfig(\"<config/>\")", E_INVALIDARG, d_config_garbage},
    {"group", "PeerGroupImportConfig with the wrong password", E_INVALIDARG, d_config_password},
    {"group", "PeerGroupImportConfig of an existing group without overwrite", PEER_E_ALREADY_EXISTS, d_config_exists},
    {"group", "PeerGroupImportConfig overwriting a group that is open", PEER_E_GROUP_IN_USE, d_config_in_use},
};

/* ------------------------------------------------------------------ */
/* Records and searches                                                */
/* ------------------------------------------------------------------ */

static HRESULT r_attrs(PCWSTR attrs) {
    PEER_RECORD r = good_record();
    GUID id;
    r.pwzAttributes = (PWSTR)attrs;
    return PeerGroupAddRecord(c.g, &r, &id);
}
static HRESULT r_oversize(void) {
    /* 60 MB + 1 byte, really allocated, so that only the size is wrong. */
    size_t n = 60u * 1024 * 1024 + 1;
    PEER_RECORD r = good_record();
    GUID id;
    HRESULT h;
    r.data.pbData = (PBYTE)calloc(n, 1);
    if (!r.data.pbData) return E_OUTOFMEMORY;
    r.data.cbData = (ULONG)n;
    h = PeerGroupAddRecord(c.g, &r, &id);
    free(r.data.pbData);
    return h;
}
static HRESULT r_size_max(void) { PEER_RECORD r = good_record(); GUID id; r.data.cbData = 0xFFFFFFFFu; return PeerGroupAddRecord(c.g, &r, &id); }
static HRESULT r_update_oversize(void) { PEER_RECORD r = good_record(); r.id = c.good[0]; r.data.cbData = 0x80000000u; return PeerGroupUpdateRecord(c.g, &r); }
static HRESULT r_attr_unclosed(void) { return r_attrs(u"<attributes><attribute name=\"a\" type=\"string\">x</attributes>"); }
static HRESULT r_attr_reserved(void) { return r_attrs(u"<attributes><attribute name=\"peercreatorid\" type=\"string\">me</attribute></attributes>"); }
static HRESULT r_attr_int(void) { return r_attrs(u"<attributes><attribute name=\"n\" type=\"int\">twelve</attribute></attributes>"); }
static HRESULT r_attr_type(void) { return r_attrs(u"<attributes><attribute name=\"n\" type=\"float\">1.5</attribute></attributes>"); }
static HRESULT r_attr_root(void) { return r_attrs(u"<attribute name=\"n\" type=\"int\">1</attribute>"); }
static HRESULT r_attr_date(void) { return r_attrs(u"<attributes><attribute name=\"d\" type=\"date\">yesterday</attribute></attributes>"); }
static HRESULT r_past(void) { PEER_RECORD r = good_record(); GUID id; r.ftExpiration = ft(now_ft() - 60 * FT_SECOND); return PeerGroupAddRecord(c.g, &r, &id); }
static HRESULT r_zero_exp(void) { PEER_RECORD r = good_record(); GUID id; r.ftExpiration = ft(0); return PeerGroupAddRecord(c.g, &r, &id); }
static HRESULT r_update_past(void) { PEER_RECORD r = good_record(); r.id = c.good[1]; r.ftExpiration = ft(now_ft() - FT_SECOND); return PeerGroupUpdateRecord(c.g, &r); }
static HRESULT r_null_type(void) { PEER_RECORD r = good_record(); GUID id; memset(&r.type, 0, sizeof r.type); return PeerGroupAddRecord(c.g, &r, &id); }
static HRESULT r_deleted_flag(void) { PEER_RECORD r = good_record(); GUID id; r.dwFlags = PEER_RECORD_FLAG_DELETED; return PeerGroupAddRecord(c.g, &r, &id); }
static HRESULT r_update_type(void) { PEER_RECORD r = good_record(); r.id = c.good[0]; r.type = TYPE_OTHER; return PeerGroupUpdateRecord(c.g, &r); }
static HRESULT r_update_missing(void) { PEER_RECORD r = good_record(); r.id = MISSING_ID; return PeerGroupUpdateRecord(c.g, &r); }
static HRESULT r_delete_missing(void) { return PeerGroupDeleteRecord(c.g, &MISSING_ID); }
static HRESULT r_get_missing(void) { PPEER_RECORD r; return PeerGroupGetRecord(c.g, &MISSING_ID, &r); }
static HRESULT r_not_ready(void) { PEER_RECORD r = good_record(); GUID id; return PeerGroupAddRecord(c.gj, &r, &id); }
static HRESULT r_import_missing(void) { return PeerGroupImportDatabase(c.g, w(path_join(c.scratch, "no-such-file.db"))); }
static HRESULT r_import_garbage(void) { return PeerGroupImportDatabase(c.g, w(path_join(c.scratch, "regular.txt"))); }
static HRESULT r_export_nodir(void) { return PeerGroupExportDatabase(c.g, w(path_join(c.scratch, "no/such/dir/x.db"))); }
static HRESULT q(PCWSTR criteria) { HPEERENUM e; return PeerGroupSearchRecords(c.g, criteria, &e); }
static HRESULT q_not_xml(void) { return q(u"n > 5"); }
static HRESULT q_empty_root(void) { return q(u"<peersearch></peersearch>"); }
static HRESULT q_two_kids(void) {
    return q(u"<peersearch><clause attrib=\"n\" type=\"int\">1</clause><clause attrib=\"n\" type=\"int\">2</clause></peersearch>");
}
static HRESULT q_compare(void) { return q(u"<peersearch><clause attrib=\"n\" type=\"int\" compare=\"around\">5</clause></peersearch>"); }
static HRESULT q_int_value(void) { return q(u"<peersearch><clause attrib=\"n\" type=\"int\">five</clause></peersearch>"); }
static HRESULT q_type(void) { return q(u"<peersearch><clause attrib=\"n\" type=\"blob\">5</clause></peersearch>"); }
static HRESULT q_root(void) { return q(u"<search><clause attrib=\"n\" type=\"int\">5</clause></search>"); }
static HRESULT q_empty_and(void) { return q(u"<peersearch><and></and></peersearch>"); }
static HRESULT q_unknown_elem(void) { return q(u"<peersearch><xor><clause attrib=\"n\" type=\"int\">5</clause></xor></peersearch>"); }
static HRESULT q_no_attrib(void) { return q(u"<peersearch><clause type=\"int\">5</clause></peersearch>"); }

static const bad_call bad_records[] = {
    {"record", "PeerGroupAddRecord of 60 MB + 1 byte", PEER_E_MAX_RECORD_SIZE_EXCEEDED, r_oversize},
    {"record", "PeerGroupAddRecord claiming 4 GB of data", PEER_E_MAX_RECORD_SIZE_EXCEEDED, r_size_max},
    {"record", "PeerGroupUpdateRecord claiming 2 GB of data", PEER_E_MAX_RECORD_SIZE_EXCEEDED, r_update_oversize},
    {"record", "attributes: unclosed <attribute>", PEER_E_INVALID_ATTRIBUTES, r_attr_unclosed},
    {"record", "attributes: the reserved name peercreatorid", PEER_E_INVALID_ATTRIBUTES, r_attr_reserved},
    {"record", "attributes: int \"twelve\"", PEER_E_INVALID_ATTRIBUTES, r_attr_int},
    {"record", "attributes: type \"float\"", PEER_E_INVALID_ATTRIBUTES, r_attr_type},
    {"record", "attributes: root <attribute> instead of <attributes>", PEER_E_INVALID_ATTRIBUTES, r_attr_root},
    {"record", "attributes: date \"yesterday\"", PEER_E_INVALID_ATTRIBUTES, r_attr_date},
    {"record", "PeerGroupAddRecord expiring a minute ago", PEER_E_INVALID_RECORD_EXPIRATION, r_past},
    {"record", "PeerGroupAddRecord with ftExpiration 0", PEER_E_INVALID_RECORD_EXPIRATION, r_zero_exp},
    {"record", "PeerGroupUpdateRecord to an expiration in the past", PEER_E_INVALID_RECORD_EXPIRATION, r_update_past},
    {"record", "PeerGroupAddRecord with type GUID_NULL", E_INVALIDARG, r_null_type},
    {"record", "PeerGroupAddRecord with PEER_RECORD_FLAG_DELETED", E_INVALIDARG, r_deleted_flag},
    {"record", "PeerGroupUpdateRecord changing the record type", E_INVALIDARG, r_update_type},
    {"record", "PeerGroupUpdateRecord of a missing record", PEER_E_RECORD_NOT_FOUND, r_update_missing},
    {"record", "PeerGroupDeleteRecord of a missing record", PEER_E_RECORD_NOT_FOUND, r_delete_missing},
    {"record", "PeerGroupGetRecord of a missing record", PEER_E_RECORD_NOT_FOUND, r_get_missing},
    {"record", "PeerGroupAddRecord on a joined, never synchronised group", PEER_E_GROUP_NOT_READY, r_not_ready},
    {"record", "PeerGroupImportDatabase of a missing file", HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), r_import_missing},
    {"record", "PeerGroupImportDatabase of a file that is not a database", PEER_E_INVALID_DATABASE, r_import_garbage},
    {"record", "PeerGroupExportDatabase into a missing directory", HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), r_export_nodir},
    {"search", "criteria \"n > 5\": not XML", PEER_E_INVALID_SEARCH, q_not_xml},
    {"search", "criteria <peersearch></peersearch>: empty", PEER_E_INVALID_SEARCH, q_empty_root},
    {"search", "criteria with two top-level clauses", PEER_E_INVALID_SEARCH, q_two_kids},
    {"search", "criteria compare=\"around\"", PEER_E_INVALID_SEARCH, q_compare},
    {"search", "criteria int clause \"five\"", PEER_E_INVALID_SEARCH, q_int_value},
    {"search", "criteria type=\"blob\"", PEER_E_INVALID_SEARCH, q_type},
    {"search", "criteria rooted at <search>", PEER_E_INVALID_SEARCH, q_root},
    {"search", "criteria with an empty <and>", PEER_E_INVALID_SEARCH, q_empty_and},
    {"search", "criteria with <xor>", PEER_E_INVALID_SEARCH, q_unknown_elem},
    {"search", "criteria clause without attrib", PEER_E_INVALID_SEARCH, q_no_attrib},
};

/* ------------------------------------------------------------------ */
/* Events, enumerations, addresses and PeerFreeData                    */
/* ------------------------------------------------------------------ */

static HRESULT reg(HANDLE h, DWORD n, PEER_GROUP_EVENT_TYPE type) {
    PEER_GROUP_EVENT_REGISTRATION r[1];
    HPEEREVENT he = NULL;
    HRESULT hr;
    r[0].eventType = type;
    r[0].pType = NULL;
    hr = PeerGroupRegisterEvent(c.g, h, n, r, &he);
    if (hr == S_OK) PeerGroupUnregisterEvent(he);
    return hr;
}
static HRESULT e_type_7(void) { return reg(c.ev.h, 1, (PEER_GROUP_EVENT_TYPE)7); }
static HRESULT e_type_0(void) { return reg(c.ev.h, 1, (PEER_GROUP_EVENT_TYPE)0); }
static HRESULT e_type_99(void) { return reg(c.ev.h, 1, (PEER_GROUP_EVENT_TYPE)99); }
static HRESULT e_count_0(void) { return reg(c.ev.h, 0, PEER_GROUP_EVENT_RECORD_CHANGED); }
static HRESULT e_minus_one(void) { return reg((HANDLE)(intptr_t)-1, 1, PEER_GROUP_EVENT_RECORD_CHANGED); }
#ifdef _WIN32
/* A handle value no object has, and a file handle (not an event). */
static HRESULT e_regular(void) { return reg((HANDLE)(intptr_t)0x7ffc, 1, PEER_GROUP_EVENT_RECORD_CHANGED); }
static HRESULT e_closed(void) { return reg((HANDLE)(intptr_t)0x7ff8, 1, PEER_GROUP_EVENT_RECORD_CHANGED); }
#else
static HRESULT e_regular(void) { return reg((HANDLE)(intptr_t)c.regular_fd, 1, PEER_GROUP_EVENT_RECORD_CHANGED); }
static HRESULT e_closed(void) { return reg((HANDLE)(intptr_t)c.closed_fd, 1, PEER_GROUP_EVENT_RECORD_CHANGED); }
#endif
static HRESULT m_flags(void) { HPEERENUM e; return PeerGroupEnumMembers(c.g, 0x8, NULL, &e); }
static HRESULT m_conn_flags(void) { HPEERENUM e; return PeerGroupEnumConnections(c.g, 0x10, &e); }
static HRESULT m_bad_identity(void) { HPEERENUM e; return PeerGroupEnumMembers(c.g, 0, high_at_end, &e); }
static HRESULT a_none(void) { PEER_ADDRESS x; memset(&x, 0, sizeof x); return PeerGroupConnectByAddress(c.g, 0, &x); }
static HRESULT a_null(void) { return PeerGroupConnectByAddress(c.g, 1, NULL); }
static HRESULT a_family(void) {
    PEER_ADDRESS x;
    memset(&x, 0, sizeof x);
    x.dwSize = sizeof x;
    x.sin6.sin6_family = 2; /* AF_INET */
    x.sin6.sin6_port = 0x3930;
    x.sin6.sin6_addr.u.Byte[15] = 1;
    return PeerGroupConnectByAddress(c.g, 1, &x);
}
static HRESULT a_port0(void) {
    PEER_ADDRESS x;
    memset(&x, 0, sizeof x);
    x.dwSize = sizeof x;
    x.sin6.sin6_family = 23;
    x.sin6.sin6_addr.u.Byte[15] = 1;
    return PeerGroupConnectByAddress(c.g, 1, &x);
}
static HRESULT f_never_returned(void) { static char buf[64]; PeerFreeData(buf); PeerFreeData(buf + 8); return S_OK; }
static HRESULT f_bad_pointer(void) { PeerFreeData(BAD_PTR_LOW); PeerFreeData(BAD_PTR_HIGH); return S_OK; }
static HRESULT f_double(void) {
    PWSTR p = NULL;
    HRESULT h = PeerIdentityGetFriendlyName(c.alice, &p);
    if (h != S_OK) return h;
    PeerFreeData(p);
    PeerFreeData(p);
    return S_OK;
}
static HRESULT f_interior(void) {
    PPEER_GROUP_PROPERTIES p = NULL;
    HRESULT h = PeerGroupGetProperties(c.g, &p);
    if (h != S_OK) return h;
    PeerFreeData(p->pwzFriendlyName); /* inside the block: ignored */
    PeerFreeData((BYTE *)p + 1);
    if (!weq(p->pwzFriendlyName, GROUP_FRIENDLY)) return E_UNEXPECTED; /* still intact */
    PeerFreeData(p);
    return S_OK;
}
static HRESULT f_null(void) { PeerFreeData(NULL); return S_OK; }

static const bad_call bad_misc[] = {
    {"event", "PeerGroupRegisterEvent with event type 7 (unassigned)", E_INVALIDARG, e_type_7},
    {"event", "PeerGroupRegisterEvent with event type 0", E_INVALIDARG, e_type_0},
    {"event", "PeerGroupRegisterEvent with event type 99", E_INVALIDARG, e_type_99},
    {"event", "PeerGroupRegisterEvent with 0 registrations", E_INVALIDARG, e_count_0},
    {"event", "PeerGroupRegisterEvent with the HANDLE -1", E_INVALIDARG, e_minus_one},
    {"event", "PeerGroupRegisterEvent with a regular file (POSIX) / no object (Windows)", E_INVALIDARG, e_regular},
    {"event", "PeerGroupRegisterEvent with a closed descriptor / handle", E_INVALIDARG, e_closed},
    {"enum", "PeerGroupEnumMembers with unknown flags 0x8", E_INVALIDARG, m_flags},
    {"enum", "PeerGroupEnumConnections with unknown flags 0x10", E_INVALIDARG, m_conn_flags},
    {"enum", "PeerGroupEnumMembers naming an identity with a lone surrogate", E_INVALIDARG, m_bad_identity},
    {"address", "PeerGroupConnectByAddress with 0 addresses", E_INVALIDARG, a_none},
    {"address", "PeerGroupConnectByAddress(g, 1, NULL)", E_INVALIDARG, a_null},
    {"address", "PeerGroupConnectByAddress with address family 2", PEER_E_INVALID_ADDRESS, a_family},
    {"address", "PeerGroupConnectByAddress with port 0", PEER_E_INVALID_ADDRESS, a_port0},
    {"free", "PeerFreeData of static memory and an interior address: ignored", S_OK, f_never_returned},
    {"free", "PeerFreeData((void*)16) and (void*)0xdeadbeef: ignored", S_OK, f_bad_pointer},
    {"free", "PeerFreeData twice on one string: the second is ignored", S_OK, f_double},
    {"free", "PeerFreeData inside a returned block: ignored, block intact", S_OK, f_interior},
    {"free", "PeerFreeData(NULL)", S_OK, f_null},
};

/* ------------------------------------------------------------------ */
/* A member that is not an administrator (needs the group online)      */
/* ------------------------------------------------------------------ */

static HRESULT x_setprops(void) {
    PPEER_GROUP_PROPERTIES p;
    HRESULT h = PeerGroupGetProperties(c.gnb, &p);
    if (h != S_OK) return h;
    p->pwzFriendlyName = u"bob was here";
    h = PeerGroupSetProperties(c.gnb, p);
    PeerFreeData(p);
    return h;
}
static HRESULT x_invite_admin(void) { PWSTR p; return PeerGroupCreateInvitation(c.gnb, c.carol_xml, NULL, 1, &PEER_GROUP_ROLE_ADMIN, &p); }
static HRESULT x_invite_member(void) { PWSTR p; return PeerGroupCreateInvitation(c.gnb, c.carol_xml, NULL, 1, &PEER_GROUP_ROLE_MEMBER, &p); }
static HRESULT x_update(void) {
    PEER_RECORD r = good_record();
    r.id = c.alice_rec;
    return PeerGroupUpdateRecord(c.gnb, &r);
}
static HRESULT x_delete(void) { return PeerGroupDeleteRecord(c.gnb, &c.alice_rec); }
static HRESULT x_issue(void) { PWSTR p; return PeerGroupIssueCredentials(c.gnb, c.carol, &c.carol_cred, 0, &p); }
static HRESULT x_import_online(void) {
    PWSTR path = w(path_join(c.scratch, "online.db"));
    HRESULT h = PeerGroupExportDatabase(c.gn, path);
    if (h != S_OK) return h;
    return PeerGroupImportDatabase(c.gn, path);
}
static HRESULT x_connect_again(void) { return PeerGroupConnect(c.gn); }

static const bad_call bad_member[] = {
    {"auth", "PeerGroupSetProperties by a member", PEER_E_NOT_AUTHORIZED, x_setprops},
    {"auth", "PeerGroupCreateInvitation of carol as administrator by a member", PEER_E_NOT_AUTHORIZED, x_invite_admin},
    {"auth", "PeerGroupCreateInvitation of carol as member by a member", PEER_E_NOT_AUTHORIZED, x_invite_member},
    {"auth", "PeerGroupUpdateRecord of the administrator's record by a member", PEER_E_NOT_AUTHORIZED, x_update},
    {"auth", "PeerGroupDeleteRecord of the administrator's record by a member", PEER_E_NOT_AUTHORIZED, x_delete},
    {"auth", "PeerGroupIssueCredentials for carol by a member", PEER_E_NOT_AUTHORIZED, x_issue},
    {"state", "PeerGroupImportDatabase while connected", PEER_E_GROUP_IN_USE, x_import_online},
    {"state", "PeerGroupConnect of a connected group", PEER_S_ALREADY_CONNECTED, x_connect_again},
};

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

static PWSTR tamper(PCWSTR inv) {
    PWSTR t = w(a(inv));
    size_t i, n = wlen(t);
    static const char tag[] = "<GROUPFRIENDLYNAME>";
    for (i = 0; i + sizeof tag < n; i++) {
        size_t k = 0;
        while (k < sizeof tag - 1 && t[i + k] == (WCHAR)tag[k]) k++;
        if (k == sizeof tag - 1) {
            t[i + k] = t[i + k] == 'X' ? 'Y' : 'X'; /* first letter of the group's friendly name */
            return t;
        }
    }
    CHECK(0, "no <GROUPFRIENDLYNAME> in the invitation");
    return NULL;
}

static void setup_stale_handles(void) {
    PEER_VERSION_DATA v;
    PEER_GROUP_PROPERTIES p = good_props();
    PEER_GROUP_EVENT_REGISTRATION r = {PEER_GROUP_EVENT_RECORD_CHANGED, NULL};
    p.pwzClassifier = u"stale";
    OK(PeerGroupCreate(&p, &c.stale));
    OK(PeerGroupRegisterEvent(c.stale, c.ev.h, 1, &r, &c.he_stale));
    OK(PeerEnumIdentities(&c.en_stale));
    OK(PeerGroupShutdown());
    OK(PeerGroupStartup(PEER_GROUP_VERSION, &v));
    step("setup: handles from a session ended by PeerGroupShutdown");
}

static void setup_online(void) {
    PEER_GROUP_PROPERTIES p = good_props();
    PWSTR inv = NULL;
    PEER_RECORD r = good_record();
    PPEER_RECORD got = NULL;
    FILETIME t = ft(now_ft()), t2;
    HRESULT h;
    int i;

    p.pwzClassifier = u"online";
    OK(PeerGroupCreate(&p, &c.gn));
    h = PeerGroupConnect(c.gn);
    if (h == E_NOTIMPL) {
        step("setup: PeerGroupConnect is E_NOTIMPL here: the member calls are skipped");
        return;
    }
    OK(h);
    OK(PeerGroupCreateInvitation(c.gn, c.bob_xml, NULL, 0, NULL, &inv));
    OK(PeerGroupJoin(c.bob, inv, NULL, &c.gnb));
    PeerFreeData(inv);
    OK(PeerGroupConnect(c.gnb));
    for (i = 0; i < 300; i++) {
        if ((h = PeerGroupUniversalTimeToPeerTime(c.gnb, &t, &t2)) != PEER_E_GROUP_NOT_READY) break;
        sleep_ms(100);
    }
    OK(h);
    OK(PeerGroupAddRecord(c.gn, &r, &c.alice_rec));
    for (i = 0; i < 300; i++) {
        if ((h = PeerGroupGetRecord(c.gnb, &c.alice_rec, &got)) != PEER_E_RECORD_NOT_FOUND) break;
        sleep_ms(100);
    }
    OK(h);
    PeerFreeData(got);
    c.online = 1;
    step("setup: alice's group online; bob joined, connected and received alice's record");
}

static void setup(void) {
    PEER_VERSION_DATA v;
    PEER_GROUP_PROPERTIES p;
    PEER_GROUP_EVENT_REGISTRATION regs[2] = {{PEER_GROUP_EVENT_RECORD_CHANGED, NULL},
                                             {PEER_GROUP_EVENT_PROPERTY_CHANGED, NULL}};
    PPEER_GROUP_PROPERTIES got;
    FILETIME soon;
    HGROUP h;
    PWSTR exp = NULL, x = NULL;
    int i;
    FILE *f;

    OK(PeerGroupStartup(PEER_GROUP_VERSION, &v));
    evsig_open(&c.ev);
    OK(PeerIdentityCreate(u"alice", ALICE_FRIENDLY, 0, &c.alice));
    OK(PeerIdentityCreate(u"bob", u"Bob", 0, &c.bob));
    OK(PeerIdentityCreate(u"carol", u"Carol", 0, &c.carol));
    OK(PeerIdentityGetXML(c.alice, &c.alice_xml));
    OK(PeerIdentityGetXML(c.bob, &c.bob_xml));
    OK(PeerIdentityGetXML(c.carol, &c.carol_xml));
    setup_stale_handles();

    memset(&p, 0, sizeof p);
    p.dwSize = sizeof p;
    p.pwzCreatorPeerName = c.alice;
    p.pwzClassifier = u"main";
    p.pwzFriendlyName = GROUP_FRIENDLY;
    OK(PeerGroupCreate(&p, &c.g));
    OK(PeerGroupGetProperties(c.g, &got));
    c.group = w(a(got->pwzGroupPeerName));
    PeerFreeData(got);
    OK(PeerGroupRegisterEvent(c.g, c.ev.h, 2, regs, &c.he));
    OK(PeerGroupRegisterEvent(c.g, c.ev.h, 2, regs, &c.he_gone));
    OK(PeerGroupUnregisterEvent(c.he_gone));
    OK(PeerGroupOpen(c.alice, c.group, NULL, &c.closed));
    OK(PeerGroupClose(c.closed));
    OK(PeerEnumIdentities(&c.en));
    OK(PeerEnumIdentities(&c.en_done));
    OK(PeerEndEnumeration(c.en_done));
    step("setup: identities alice, bob, carol; group %s; event, enum and closed handles", a(c.group));

    memset(&c.rec, 0, sizeof c.rec);
    c.rec.dwSize = sizeof c.rec;
    c.rec.type = TYPE_GOOD;
    c.rec.pwzAttributes = u"<attributes><attribute name=\"n\" type=\"int\">1</attribute></attributes>";
    c.rec.data.cbData = 4;
    c.rec.data.pbData = (PBYTE) "good";
    for (i = 0; i < 2; i++) {
        PEER_RECORD r = good_record();
        r.data.pbData = (PBYTE)(i == 0 ? "first" : "secnd");
        r.data.cbData = 5;
        OK(PeerGroupAddRecord(c.g, &r, &c.good[i]));
    }
    while (evsig_wait(&c.ev, 0)) {}
    {
        PPEER_GROUP_EVENT_DATA d;
        while (PeerGroupGetEventData(c.he, &d) == S_OK) PeerFreeData(d);
    }
    step("setup: two good records, %s and %s", guid_str(&c.good[0]), guid_str(&c.good[1]));

    OK(PeerGroupCreateInvitation(c.g, c.bob_xml, NULL, 0, NULL, &c.inv_bob));
    c.inv_tampered = tamper(c.inv_bob);
    soon = ft(now_ft() + FT_SECOND);
    OK(PeerGroupCreateInvitation(c.g, c.bob_xml, &soon, 0, NULL, &c.inv_expired));
    OK(PeerGroupJoin(c.bob, c.inv_bob, NULL, &c.gj));
    OK(PeerGroupExportConfig(c.g, PASSWORD, &c.config));
    OK(PeerGroupParseInvitation(c.inv_bob, &c.bob_info));
    memset(&c.cred, 0, sizeof c.cred);
    c.cred.dwSize = sizeof c.cred;
    c.cred.pPublicKey = c.bob_info->pSubjectPublicKey;
    c.cred.cRoles = 1;
    c.cred.pRoles = (PEER_ROLE_ID *)&PEER_GROUP_ROLE_MEMBER;
    OK(PeerGroupCreateInvitation(c.g, c.carol_xml, NULL, 0, NULL, &x));
    OK(PeerGroupParseInvitation(x, &c.carol_info));
    PeerFreeData(x);
    c.carol_cred = c.cred;
    c.carol_cred.pPublicKey = c.carol_info->pSubjectPublicKey;
    step("setup: invitations for bob (good, tampered, expiring in 1 s); bob joined (offline); config exported");

    c.long150 = wrepeat('c', 150);
    c.long256 = wrepeat('f', 256);
    c.long5000 = wrepeat('n', 5000);
    c.ok149 = wrepeat('c', 149);
    c.ok255 = wrepeat('f', 255);
    c.ok96 = wrepeat('g', 96);
    c.long97 = wrepeat('g', 97);
    OK(PeerCreatePeerName(NULL, c.ok149, &x));
    PeerFreeData(x);
    OK(PeerIdentityCreate(c.ok149, c.ok255, 0, &x));
    OK(PeerIdentityDelete(x));
    PeerFreeData(x);
    p = good_props();
    p.pwzClassifier = c.ok96;
    p.pwzFriendlyName = c.ok255;
    p.pwzComment = c.ok255;
    OK(PeerGroupCreate(&p, &h));
    OK(PeerGroupClose(h));
    step("setup: the limits themselves are accepted: classifier 149 (identity, peer name), 96 (group: its "
         "peer name has at most 137), friendly name and comment 255");

#ifndef _WIN32
    {
        char *path = path_join(c.scratch, "regular.txt");
        f = fopen(path, "w");
        CHECK(f != NULL, "cannot create %s", path);
        fputs("just a file\n", f);
        fclose(f);
        c.regular_fd = open(path, O_RDWR);
        CHECK(c.regular_fd >= 0, "cannot open %s", path);
        c.closed_fd = open(path, O_RDONLY);
        close(c.closed_fd);
    }
#else
    f = fopen(path_join(c.scratch, "regular.txt"), "w");
    CHECK(f != NULL, "cannot create regular.txt");
    fputs("just a file\n", f);
    fclose(f);
#endif

    setup_online();

    (void)exp;
    sleep_ms(1500); /* let inv_expired expire */
}

/* ------------------------------------------------------------------ */
/* Sanity: nothing lost or corrupted                                   */
/* ------------------------------------------------------------------ */

static void sanity(void) {
    static const char *want[2] = {"first", "secnd"};
    PPEER_RECORD r;
    PPEER_GROUP_PROPERTIES p;
    HPEERENUM e;
    PVOID *items;
    ULONG n, i;
    PEER_RECORD add = good_record();
    GUID id;
    PPEER_GROUP_EVENT_DATA d = NULL;
    PWSTR fn = NULL;
    DWORD st;
    int seen[3] = {0, 0, 0};

    for (i = 0; i < 2; i++) {
        OK(PeerGroupGetRecord(c.g, &c.good[i], &r));
        CHECK(r->dwVersion == 1 && r->data.cbData == 5 && memcmp(r->data.pbData, want[i], 5) == 0,
              "good record %lu changed: version %lu, data %.*s", (unsigned long)i, (unsigned long)r->dwVersion,
              (int)r->data.cbData, (const char *)r->data.pbData);
        PeerFreeData(r);
    }
    OK(PeerGroupEnumRecords(c.g, NULL, &e));
    items = enum_take(e, &n);
    CHECK(n == 2, "group holds %lu records, want the 2 good ones: a bad call added one", (unsigned long)n);
    PeerFreeData(items);
    OK(PeerEndEnumeration(e));
    step("sanity: both good records intact, and nothing else was added");

    OK(PeerGroupGetProperties(c.g, &p));
    CHECK(weq(p->pwzFriendlyName, GROUP_FRIENDLY) && weq(p->pwzClassifier, u"main"), "properties changed: %s %s",
          a(p->pwzFriendlyName), a(p->pwzClassifier));
    PeerFreeData(p);
    OK(PeerGroupGetStatus(c.g, &st));
    OK(PeerIdentityGetFriendlyName(c.alice, &fn));
    CHECK(weq(fn, ALICE_FRIENDLY), "alice's friendly name changed: %s", a(fn));
    PeerFreeData(fn);
    OK(PeerEnumIdentities(&e));
    items = enum_take(e, &n);
    for (i = 0; i < n; i++) {
        PEER_NAME_PAIR *np = (PEER_NAME_PAIR *)items[i];
        seen[0] |= weq(np->pwzPeerName, c.alice);
        seen[1] |= weq(np->pwzPeerName, c.bob);
        seen[2] |= weq(np->pwzPeerName, c.carol);
    }
    CHECK(n == 3 && seen[0] && seen[1] && seen[2], "identities: %lu (alice %d bob %d carol %d)", (unsigned long)n,
          seen[0], seen[1], seen[2]);
    PeerFreeData(items);
    OK(PeerEndEnumeration(e));
    step("sanity: group properties, alice's friendly name and the three identities unchanged");

    OK(PeerGetItemCount(c.en, &n));
    CHECK(n == 3, "the live enumeration has %lu items", (unsigned long)n);
    OK(PeerEndEnumeration(c.en));
    OK(PeerGroupAddRecord(c.g, &add, &id));
    CHECK(evsig_wait(&c.ev, 5000), "the event handle was not signalled");
    OK(PeerGroupGetEventData(c.he, &d));
    CHECK(d->eventType == PEER_GROUP_EVENT_RECORD_CHANGED && d->recordChangeData.changeType == PEER_RECORD_ADDED &&
              guid_eq(&d->recordChangeData.recordId, &id),
          "wrong event after the bad calls");
    PeerFreeData(d);
    EXPECT_HR(PeerGroupGetEventData(c.he, &d), PEER_S_NO_EVENT_DATA);
    OK(PeerGroupDeleteRecord(c.g, &id));
    step("sanity: the live enumeration, the event registration and the group handle still work");

    if (c.online) {
        OK(PeerGroupGetRecord(c.gnb, &c.alice_rec, &r));
        CHECK(weq(r->pwzCreatorId, c.alice) && r->dwVersion == 1, "alice's record changed on bob's side");
        PeerFreeData(r);
        OK(PeerGroupGetProperties(c.gn, &p));
        CHECK(weq(p->pwzFriendlyName, u"Spare"), "the online group's name changed: %s", a(p->pwzFriendlyName));
        PeerFreeData(p);
        step("sanity: bob's refused changes left alice's record and group alone");
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: %s <scratch-dir>\n", argv[0]);
        return 2;
    }
    c.scratch = argv[1];

    TABLE("before startup", before_startup);
    setup();
    TABLE("NULL required pointers", null_pointers);
    TABLE("pointers that fault", bad_pointers);
    TABLE("wrong dwSize", bad_sizes);
    TABLE("bad handles", bad_handles);
    TABLE("malformed and over-long strings", bad_strings);
    TABLE("invitations, identities, groups", bad_identities_groups);
    TABLE("records and searches", bad_records);
    TABLE("events, enumerations, addresses, PeerFreeData", bad_misc);
    if (c.online) TABLE("a member that is not an administrator", bad_member);

    sanity();
    OK(PeerGroupShutdown());
    {
        /* After the last shutdown every handle is gone and every call is
         * PEER_E_NOT_INITIALIZED. */
        DWORD st;
        EXPECT_HR(PeerGroupGetStatus(c.g, &st), PEER_E_NOT_INITIALIZED);
        EXPECT_HR(PeerGroupShutdown(), PEER_E_NOT_INITIALIZED);
        total += 2;
        step("after the last shutdown: PEER_E_NOT_INITIALIZED (2 more bad calls)");
    }
    if (failed) {
        printf("FAIL bad_calls: %d of %d bad calls returned the wrong HRESULT\n", failed, total);
        return 1;
    }
    printf("PASS bad_calls: %d bad calls, all with the expected HRESULT, none crashed\n", total);
    return 0;
}
