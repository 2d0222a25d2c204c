/*
 * offline_flow.c - the whole offline life of identities, groups and
 * records through the C API, with an assertion on every result.
 *
 *   offline_flow <scratch-dir>
 *
 * P2P_HOME names the data directory. The program writes exports into
 * <scratch-dir> and runs itself again ("--second-home <scratch-dir>")
 * with P2P_HOME=<scratch-dir>/home2 to import them into a second data
 * directory (the library reads P2P_HOME once, at the first startup of a
 * process). It prints one line per step and exits 1 at the first failure.
 */
#ifndef _WIN32
#define _GNU_SOURCE
#endif
#include "p2ptest.h"

/* Application record types. */
static const GUID TYPE_A = {0x6b1f0a52, 0x37c4, 0x4d21, {0x9e, 0x10, 0x4f, 0x66, 0x6c, 0x6f, 0x77, 0x41}};
static const GUID TYPE_B = {0x6b1f0a52, 0x37c4, 0x4d21, {0x9e, 0x10, 0x4f, 0x66, 0x6c, 0x6f, 0x77, 0x42}};
static const GUID TYPE_EPHEMERAL = {0x6b1f0a52, 0x37c4, 0x4d21, {0x9e, 0x10, 0x4f, 0x66, 0x6c, 0x6f, 0x77, 0x43}};
static const GUID TYPE_UNUSED = {0x6b1f0a52, 0x37c4, 0x4d21, {0x9e, 0x10, 0x4f, 0x66, 0x6c, 0x6f, 0x77, 0x44}};

#define EXPORT_PASSWORD u"correct horse battery staple"
#define CONFIG_PASSWORD u"config-pw-\u00e9\u6f22"

/* The state the steps share. */
static struct {
    const char *scratch;
    PWSTR alice, bob, def;   /* identities: alice creates, bob joins */
    PWSTR group;             /* the group's peer name */
    HGROUP g, gb;            /* alice's and bob's handles on it */
    evsig ev;
    HPEEREVENT he;
    GUID r1, r2, r3;         /* records */
} s;

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* next_event returns the next queued event of s.he, waiting up to ms for
 * the event handle to be signalled, or NULL when none arrives. */
static PPEER_GROUP_EVENT_DATA next_event(int ms) {
    PPEER_GROUP_EVENT_DATA d = NULL;
    ULONGLONG deadline = now_ft() + (ULONGLONG)ms * 10000;
    for (;;) {
        HRESULT h = PeerGroupGetEventData(s.he, &d);
        if (h == S_OK) {
            CHECK(d != NULL, "PeerGroupGetEventData: S_OK with no data");
            return d;
        }
        CHECK(h == PEER_S_NO_EVENT_DATA, "PeerGroupGetEventData returned %s", p2pt_hr_name(h));
        CHECK(d == NULL, "PEER_S_NO_EVENT_DATA with data");
        if (now_ft() >= deadline) return NULL;
        evsig_wait(&s.ev, (int)((deadline - now_ft()) / 10000) + 1);
    }
}

/* expect_record_event requires the next event to be RECORD_CHANGED with
 * the given change, record and type. */
static void expect_record_event(PEER_RECORD_CHANGE_TYPE change, const GUID *id, const GUID *type, int ms) {
    PPEER_GROUP_EVENT_DATA d = next_event(ms);
    CHECK(d, "no RECORD_CHANGED(%d) event for %s within %d ms", (int)change, guid_str(id), ms);
    CHECK(d->eventType == PEER_GROUP_EVENT_RECORD_CHANGED, "event type %d, want RECORD_CHANGED", (int)d->eventType);
    CHECK(d->recordChangeData.dwSize == sizeof(PEER_EVENT_RECORD_CHANGE_DATA), "record change dwSize %lu",
          (unsigned long)d->recordChangeData.dwSize);
    CHECK(d->recordChangeData.changeType == change, "change type %d, want %d", (int)d->recordChangeData.changeType,
          (int)change);
    CHECK(guid_eq(&d->recordChangeData.recordId, id), "event for record %s, want %s",
          guid_str(&d->recordChangeData.recordId), guid_str(id));
    CHECK(guid_eq(&d->recordChangeData.recordType, type), "event record type %s, want %s",
          guid_str(&d->recordChangeData.recordType), guid_str(type));
    PeerFreeData(d);
}

/* expect_no_event requires the queue to be empty. */
static void expect_no_event(void) {
    PPEER_GROUP_EVENT_DATA d = NULL;
    HRESULT h = PeerGroupGetEventData(s.he, &d);
    CHECK(h == PEER_S_NO_EVENT_DATA, "unexpected event (%s, type %d)", p2pt_hr_name(h), d ? (int)d->eventType : 0);
}

/* ------------------------------------------------------------------ */
/* Steps                                                               */
/* ------------------------------------------------------------------ */

static void startup_and_shutdown(void) {
    PEER_VERSION_DATA v;
    HPEERENUM e = NULL;
    PWSTR name = NULL;

    EXPECT_HR(PeerIdentityGetDefault(&name), PEER_E_NOT_INITIALIZED);
    EXPECT_HR(PeerEnumIdentities(&e), PEER_E_NOT_INITIALIZED);
    EXPECT_HR(PeerGroupShutdown(), PEER_E_NOT_INITIALIZED);
    step("before PeerGroupStartup every call is PEER_E_NOT_INITIALIZED");

    memset(&v, 0xff, sizeof v);
    OK(PeerGroupStartup(PEER_GROUP_VERSION, &v));
    CHECK(v.wVersion == PEER_GROUP_VERSION && v.wHighestVersion == PEER_GROUP_VERSION,
          "version %#x highest %#x", v.wVersion, v.wHighestVersion);
    OK(PeerGroupStartup(MAKEWORD(1, 0), &v));
    CHECK(v.wVersion == MAKEWORD(1, 0) && v.wHighestVersion == PEER_GROUP_VERSION,
          "1.0 request: version %#x highest %#x", v.wVersion, v.wHighestVersion);
    OK(PeerGroupStartup(MAKEWORD(3, 7), &v));
    CHECK(v.wVersion == PEER_GROUP_VERSION, "3.7 request: version %#x", v.wVersion);
    step("PeerGroupStartup three times: versions 1.1, 1.0 and (asking 3.7) 1.1; highest 1.1");

    OK(PeerGroupShutdown());
    OK(PeerGroupShutdown());
    OK(PeerEnumIdentities(&e));
    OK(PeerEndEnumeration(e));
    step("after two of three shutdowns the library still works");

    OK(PeerGroupShutdown());
    EXPECT_HR(PeerEnumIdentities(&e), PEER_E_NOT_INITIALIZED);
    EXPECT_HR(PeerGroupShutdown(), PEER_E_NOT_INITIALIZED);
    step("after the last shutdown: PEER_E_NOT_INITIALIZED again");

    OK(PeerGroupStartup(PEER_GROUP_VERSION, &v));
    step("started again for the rest of the flow");
}

static void identities(void) {
    PWSTR name = NULL, fn = NULL, xml = NULL, exp = NULL, again = NULL, tmp = NULL;
    PWSTR carol = NULL;
    HPEERENUM e;
    PVOID *items;
    ULONG n, i;
    int seen_alice = 0, seen_bob = 0, seen_def = 0;
    HCRYPTPROV prov = 1;
    static const WCHAR unicode_name[] = u"Alice \u00dcml\u00e4ut \u65e5\u672c \U0001F600";

    OK(PeerIdentityCreate(u"alice", u"Alice", 0, &s.alice));
    CHECK(wlen(s.alice) == 40 + 1 + 5 && wends(s.alice, u".alice"), "alice's peer name %s", a(s.alice));
    step("PeerIdentityCreate(\"alice\", \"Alice\") = %s", a(s.alice));

    OK(PeerIdentityCreate(NULL, NULL, 0, &s.bob));
    CHECK(wlen(s.bob) == 41 && s.bob[40] == '.', "bob's peer name %s", a(s.bob));
    OK(PeerIdentityGetFriendlyName(s.bob, &fn));
    CHECK(weq(fn, s.bob), "default friendly name %s, want the peer name", a(fn));
    PeerFreeData(fn);
    step("PeerIdentityCreate(NULL, NULL) = %s; its friendly name is its peer name", a(s.bob));

    OK(PeerIdentityGetFriendlyName(s.alice, &fn));
    CHECK(weq(fn, u"Alice"), "friendly name %s", a(fn));
    PeerFreeData(fn);
    OK(PeerIdentitySetFriendlyName(s.alice, unicode_name));
    OK(PeerIdentityGetFriendlyName(s.alice, &fn));
    CHECK(weq(fn, unicode_name), "friendly name after set: %s", a(fn));
    PeerFreeData(fn);
    step("friendly name get/set round trip, with a surrogate pair: %s", a(unicode_name));

    OK(PeerIdentityCreate(u"carol", u"Carol", 0, &carol));
    OK(PeerIdentitySetFriendlyName(carol, NULL));
    OK(PeerIdentityGetFriendlyName(carol, &fn));
    CHECK(weq(fn, carol), "friendly name after reset with NULL: %s", a(fn));
    PeerFreeData(fn);
    OK(PeerIdentitySetFriendlyName(carol, u"Carol"));
    OK(PeerIdentitySetFriendlyName(carol, u""));
    OK(PeerIdentityGetFriendlyName(carol, &fn));
    CHECK(weq(fn, carol), "friendly name after reset with \"\": %s", a(fn));
    PeerFreeData(fn);
    OK(PeerIdentityDelete(carol));
    EXPECT_HR(PeerIdentityGetFriendlyName(carol, &fn), PEER_E_NOT_FOUND);
    PeerFreeData(carol);
    step("PeerIdentitySetFriendlyName NULL and \"\" reset the name to the peer name; delete a group-less identity");

    OK(PeerIdentityGetXML(s.alice, &xml));
    CHECK(xml[0] == '<' && wcontains(xml, a(s.alice)), "identity XML does not name alice: %.80s", a(xml));
    PeerFreeData(xml);
    step("PeerIdentityGetXML names the identity");

    OK(PeerIdentityExport(s.alice, EXPORT_PASSWORD, &exp));
    CHECK(exp[0] == '<' && wlen(exp) > 100, "export XML: %.80s", a(exp));
    write_wfile(path_join(s.scratch, "alice.export"), exp);
    EXPECT_HR(PeerIdentityImport(exp, EXPORT_PASSWORD, &again), PEER_E_ALREADY_EXISTS);
    CHECK(again == NULL, "failed import returned a name");
    CHECK(FAILED(PeerIdentityImport(exp, u"wrong password", &again)), "import with a wrong password succeeded");
    PeerFreeData(exp);
    step("PeerIdentityExport; importing it again here is PEER_E_ALREADY_EXISTS, with a wrong password fails");

    OK(PeerIdentityGetDefault(&s.def));
    OK(PeerIdentityGetDefault(&tmp));
    CHECK(weq(s.def, tmp), "default identity changed: %s then %s", a(s.def), a(tmp));
    PeerFreeData(tmp);
    OK(PeerIdentityGetXML(NULL, &xml));
    CHECK(wcontains(xml, a(s.def)), "PeerIdentityGetXML(NULL) is not the default identity's");
    PeerFreeData(xml);
    step("PeerIdentityGetDefault is stable: %s", a(s.def));

    OK(PeerEnumIdentities(&e));
    items = enum_take(e, &n);
    for (i = 0; i < n; i++) {
        PEER_NAME_PAIR *p = (PEER_NAME_PAIR *)items[i];
        CHECK(p->dwSize == sizeof(PEER_NAME_PAIR), "name pair dwSize %lu", (unsigned long)p->dwSize);
        if (weq(p->pwzPeerName, s.alice)) seen_alice = weq(p->pwzFriendlyName, unicode_name);
        if (weq(p->pwzPeerName, s.bob)) seen_bob = 1;
        if (weq(p->pwzPeerName, s.def)) seen_def = 1;
    }
    CHECK(n == 3 && seen_alice && seen_bob && seen_def, "PeerEnumIdentities: %lu items, alice %d bob %d default %d",
          (unsigned long)n, seen_alice, seen_bob, seen_def);
    PeerFreeData(items);
    OK(PeerEndEnumeration(e));
    step("PeerEnumIdentities lists alice (with her friendly name), bob and the default identity");

    OK(PeerCreatePeerName(s.alice, u"service", &name));
    CHECK(wends(name, u".service") && memcmp(name, s.alice, 40 * sizeof(WCHAR)) == 0, "secure name %s", a(name));
    PeerFreeData(name);
    OK(PeerCreatePeerName(NULL, u"service", &name));
    CHECK(weq(name, u"0.service"), "unsecured name %s", a(name));
    PeerFreeData(name);
    OK(PeerCreatePeerName(s.alice, NULL, &name));
    CHECK(weq(name, s.alice), "PeerCreatePeerName(alice, NULL) = %s", a(name));
    PeerFreeData(name);
    step("PeerCreatePeerName: secure <alice's authority>.service, unsecured 0.service, NULL classifier = identity");

    /* Identity keys are Ed25519, not CryptoAPI keys: documented as E_NOTIMPL. */
    EXPECT_HR(PeerIdentityGetCryptKey(s.alice, &prov), E_NOTIMPL);
    CHECK(prov == 0, "PeerIdentityGetCryptKey left a provider");
    step("PeerIdentityGetCryptKey is E_NOTIMPL and clears its output");
}

static void check_properties(HGROUP g, PCWSTR friendly, PCWSTR comment) {
    PEER_GROUP_PROPERTIES *p = NULL;
    OK(PeerGroupGetProperties(g, &p));
    CHECK(p->dwSize == sizeof(PEER_GROUP_PROPERTIES), "dwSize %lu", (unsigned long)p->dwSize);
    CHECK(weq(p->pwzGroupPeerName, s.group), "group name %s", a(p->pwzGroupPeerName));
    CHECK(weq(p->pwzCreatorPeerName, s.alice), "creator %s", a(p->pwzCreatorPeerName));
    CHECK(weq(p->pwzClassifier, u"chess"), "classifier %s", a(p->pwzClassifier));
    CHECK(weq(p->pwzFriendlyName, friendly), "friendly name %s, want %s", a(p->pwzFriendlyName), a(friendly));
    CHECK(weq(p->pwzComment, comment), "comment %s, want %s", a(p->pwzComment), a(comment));
    CHECK(p->pwzCloud && wlen(p->pwzCloud) > 0, "no cloud");
    CHECK(p->ulMemberDataLifetime == 86400 && p->ulPresenceLifetime == 600, "lifetimes %lu %lu",
          (unsigned long)p->ulMemberDataLifetime, (unsigned long)p->ulPresenceLifetime);
    CHECK(p->dwFlags == PEER_MEMBER_DATA_OPTIONAL, "flags %#lx", (unsigned long)p->dwFlags);
    CHECK(p->dwAuthenticationSchemes == PEER_GROUP_GMC_AUTHENTICATION, "schemes %#lx",
          (unsigned long)p->dwAuthenticationSchemes);
    CHECK(p->pwzGroupPassword == NULL, "a password came back");
    PeerFreeData(p);
}

static void groups(void) {
    PEER_GROUP_PROPERTIES props, *p = NULL;
    PEER_GROUP_EVENT_REGISTRATION regs[2] = {{PEER_GROUP_EVENT_RECORD_CHANGED, NULL},
                                             {PEER_GROUP_EVENT_PROPERTY_CHANGED, NULL}};
    PPEER_GROUP_EVENT_DATA d;
    DWORD status = 99;

    memset(&props, 0, sizeof props);
    props.dwSize = sizeof props;
    props.dwFlags = PEER_MEMBER_DATA_OPTIONAL;
    props.pwzCreatorPeerName = s.alice;
    props.pwzClassifier = u"chess";
    props.pwzFriendlyName = u"Chess club";
    props.pwzComment = u"Tuesdays";
    props.ulMemberDataLifetime = 86400;
    props.ulPresenceLifetime = 600;
    OK(PeerGroupCreate(&props, &s.g));
    CHECK(s.g != NULL, "no handle");
    OK(PeerGroupGetProperties(s.g, &p));
    s.group = w(a(p->pwzGroupPeerName));
    PeerFreeData(p);
    CHECK(wlen(s.group) == 40 + 1 + 5 && wends(s.group, u".chess"), "group peer name %s", a(s.group));
    check_properties(s.g, u"Chess club", u"Tuesdays");
    step("PeerGroupCreate: %s, properties read back", a(s.group));

    OK(PeerGroupGetStatus(s.g, &status));
    CHECK(status == 0, "status %#lx, want 0 (offline)", (unsigned long)status);
    step("PeerGroupGetStatus: 0 (neither listening nor connected)");

    evsig_open(&s.ev);
    OK(PeerGroupRegisterEvent(s.g, s.ev.h, 2, regs, &s.he));
    expect_no_event();
    step("PeerGroupRegisterEvent(RECORD_CHANGED, PROPERTY_CHANGED) on an event handle");

    OK(PeerGroupGetProperties(s.g, &p));
    p->pwzFriendlyName = u"Chess & Go club";
    p->pwzComment = u"Tuesdays <and> Thursdays";
    OK(PeerGroupSetProperties(s.g, p));
    PeerFreeData(p);
    CHECK(evsig_wait(&s.ev, 5000), "the event handle was not signalled after PeerGroupSetProperties");
    d = next_event(0);
    CHECK(d && d->eventType == PEER_GROUP_EVENT_PROPERTY_CHANGED, "no PROPERTY_CHANGED event");
    PeerFreeData(d);
    expect_no_event();
    check_properties(s.g, u"Chess & Go club", u"Tuesdays <and> Thursdays");
    step("PeerGroupSetProperties: handle signalled, PROPERTY_CHANGED, new names read back");
}

static void invitations(void) {
    PWSTR bobxml = NULL, inv = NULL, inv2 = NULL;
    PPEER_INVITATION_INFO info = NULL, info2 = NULL;
    ULONGLONG before = now_ft(), expiry = before + 86400 * FT_SECOND;
    FILETIME fexp = ft(expiry);
    PEER_RECORD r;
    PEER_CREDENTIAL_INFO cred;
    PEER_GROUP_PROPERTIES *p = NULL;
    GUID id;
    HGROUP again = NULL;
    FILETIME t1 = ft(before), t2;
    ULONG i;

    OK(PeerIdentityGetXML(s.bob, &bobxml));
    OK(PeerGroupCreateInvitation(s.g, bobxml, &fexp, 1, &PEER_GROUP_ROLE_MEMBER, &inv));
    CHECK(inv && inv[0] == '<', "invitation %.60s", a(inv));
    step("PeerGroupCreateInvitation for bob, member role, valid one day");

    OK(PeerGroupParseInvitation(inv, &info));
    CHECK(info->dwSize == sizeof(PEER_INVITATION_INFO), "dwSize %lu", (unsigned long)info->dwSize);
    CHECK(weq(info->pwzGroupPeerName, s.group), "group %s", a(info->pwzGroupPeerName));
    CHECK(weq(info->pwzGroupFriendlyName, u"Chess & Go club"), "group friendly name %s", a(info->pwzGroupFriendlyName));
    CHECK(weq(info->pwzIssuerPeerName, s.alice), "issuer %s", a(info->pwzIssuerPeerName));
    CHECK(wcontains(info->pwzIssuerFriendlyName, "Alice"), "issuer friendly name %s", a(info->pwzIssuerFriendlyName));
    CHECK(weq(info->pwzSubjectPeerName, s.bob), "subject %s", a(info->pwzSubjectPeerName));
    CHECK(weq(info->pwzSubjectFriendlyName, s.bob), "subject friendly name %s", a(info->pwzSubjectFriendlyName));
    CHECK(info->pwzCloudName && wlen(info->pwzCloudName) > 0, "no cloud name");
    CHECK(ftu(info->ftValidityStart) <= now_ft() && ftu(info->ftValidityStart) + 60 * FT_SECOND >= before,
          "validity start %llu, now %llu", (unsigned long long)ftu(info->ftValidityStart), (unsigned long long)before);
    CHECK(ftu(info->ftValidityEnd) == expiry, "validity end %llu, want %llu",
          (unsigned long long)ftu(info->ftValidityEnd), (unsigned long long)expiry);
    CHECK(info->cRoles == 1 && guid_eq(&info->pRoles[0], &PEER_GROUP_ROLE_MEMBER), "roles: %lu, first %s",
          (unsigned long)info->cRoles, info->cRoles ? guid_str(&info->pRoles[0]) : "-");
    CHECK(info->cClassifiers == 0 || info->ppwzClassifiers != NULL, "classifiers %lu with no array",
          (unsigned long)info->cClassifiers);
    for (i = 0; i < info->cClassifiers; i++)
        CHECK(info->ppwzClassifiers[i] && wlen(info->ppwzClassifiers[i]) > 0, "classifier %lu empty", (unsigned long)i);
    CHECK(info->pSubjectPublicKey && info->pSubjectPublicKey->PublicKey.cbData == 32 &&
              info->pSubjectPublicKey->PublicKey.pbData &&
              strcmp(info->pSubjectPublicKey->Algorithm.pszObjId, "1.3.101.112") == 0,
          "subject key is not an Ed25519 CERT_PUBLIC_KEY_INFO");
    CHECK(info->authScheme == PEER_GROUP_GMC_AUTHENTICATION, "auth scheme %d", (int)info->authScheme);
    step("PeerGroupParseInvitation: group, issuer, subject, names, validity, role, key (Ed25519), scheme GMC");

    OK(PeerGroupJoin(s.bob, inv, NULL, &s.gb));
    CHECK(s.gb != NULL, "no handle");
    OK(PeerGroupGetStatus(s.gb, &i));
    CHECK(i == 0, "joined group status %lu", (unsigned long)i);
    OK(PeerGroupGetProperties(s.gb, &p));
    CHECK(weq(p->pwzGroupPeerName, s.group) && weq(p->pwzFriendlyName, u"Chess & Go club"),
          "joined group properties: %s %s", a(p->pwzGroupPeerName), a(p->pwzFriendlyName));
    PeerFreeData(p);
    step("PeerGroupJoin as bob: offline handle, properties from the invitation");

    memset(&r, 0, sizeof r);
    r.dwSize = sizeof r;
    r.type = TYPE_A;
    r.ftExpiration = ft(now_ft() + 3600 * FT_SECOND);
    r.data.cbData = 3;
    r.data.pbData = (PBYTE) "bob";
    EXPECT_HR(PeerGroupAddRecord(s.gb, &r, &id), PEER_E_GROUP_NOT_READY);
    EXPECT_HR(PeerGroupUniversalTimeToPeerTime(s.gb, &t1, &t2), PEER_E_GROUP_NOT_READY);
    EXPECT_HR(PeerGroupPeerTimeToUniversalTime(s.gb, &t1, &t2), PEER_E_GROUP_NOT_READY);
    step("before its first connection the joiner gets PEER_E_GROUP_NOT_READY (AddRecord, peer time)");

    EXPECT_HR(PeerGroupJoin(s.bob, inv, NULL, &again), PEER_S_ALREADY_A_MEMBER);
    CHECK(again != NULL, "no handle with PEER_S_ALREADY_A_MEMBER");
    OK(PeerGroupClose(again));
    step("joining again: PEER_S_ALREADY_A_MEMBER with a working handle");

    /* PeerGroupIssueCredentials with the subject's key from the invitation. */
    memset(&cred, 0, sizeof cred);
    cred.dwSize = sizeof cred;
    cred.pwzFriendlyName = u"Bob";
    cred.pPublicKey = info->pSubjectPublicKey;
    cred.ftValidityStart = ft(now_ft());
    cred.ftValidityEnd = ft(now_ft() + 7 * 86400 * FT_SECOND);
    cred.cRoles = 1;
    cred.pRoles = (PEER_ROLE_ID *)&PEER_GROUP_ROLE_MEMBER;
    OK(PeerGroupIssueCredentials(s.g, s.bob, &cred, 0, &inv2));
    OK(PeerGroupParseInvitation(inv2, &info2));
    CHECK(weq(info2->pwzSubjectPeerName, s.bob) && weq(info2->pwzSubjectFriendlyName, u"Bob"),
          "issued credential is for %s (%s)", a(info2->pwzSubjectPeerName), a(info2->pwzSubjectFriendlyName));
    CHECK(ftu(info2->ftValidityEnd) == ftu(cred.ftValidityEnd), "issued validity end %llu",
          (unsigned long long)ftu(info2->ftValidityEnd));
    PeerFreeData(info2);
    PeerFreeData(inv2);
    inv2 = NULL;
    OK(PeerGroupIssueCredentials(s.g, s.bob, &cred, PEER_GROUP_STORE_CREDENTIALS, NULL));
    EXPECT_HR(PeerGroupIssueCredentials(s.g, s.bob, NULL, 0, &inv2), PEER_E_NOT_FOUND);
    expect_no_event();
    step("PeerGroupIssueCredentials: for bob's key (returned and stored), unknown member without info is "
         "PEER_E_NOT_FOUND");

    PeerFreeData(info);
    PeerFreeData(inv);
    PeerFreeData(bobxml);
}

static void config_and_reopen(void) {
    PWSTR xml = NULL, id = NULL, grp = NULL;
    HGROUP h1 = NULL, h2 = NULL;
    HPEERENUM e;
    PVOID *items;
    ULONG n;
    DWORD status;

    OK(PeerGroupExportConfig(s.g, CONFIG_PASSWORD, &xml));
    CHECK(xml && xml[0] == '<', "config %.60s", a(xml));
    write_wfile(path_join(s.scratch, "config.xml"), xml);
    EXPECT_HR(PeerGroupImportConfig(xml, CONFIG_PASSWORD, FALSE, &id, &grp), PEER_E_ALREADY_EXISTS);
    CHECK(id == NULL && grp == NULL, "failed import returned names");
    PeerFreeData(xml);
    step("PeerGroupExportConfig; importing it here without overwrite is PEER_E_ALREADY_EXISTS");

    OK(PeerGroupOpen(s.alice, s.group, NULL, &h1));
    OK(PeerGroupOpen(s.alice, s.group, NULL, &h2));
    CHECK(h1 != h2 && h1 != s.g, "handles are not distinct");
    OK(PeerGroupClose(h1));
    OK(PeerGroupGetStatus(h2, &status));
    check_properties(h2, u"Chess & Go club", u"Tuesdays <and> Thursdays");
    OK(PeerGroupClose(h2));
    check_properties(s.g, u"Chess & Go club", u"Tuesdays <and> Thursdays");
    step("PeerGroupOpen twice while open: each handle closes on its own");

    OK(PeerEnumGroups(s.alice, &e));
    items = enum_take(e, &n);
    CHECK(n == 1 && weq(((PEER_NAME_PAIR *)items[0])->pwzPeerName, s.group) &&
              weq(((PEER_NAME_PAIR *)items[0])->pwzFriendlyName, u"Chess & Go club"),
          "alice's groups: %lu", (unsigned long)n);
    PeerFreeData(items);
    OK(PeerEndEnumeration(e));
    OK(PeerEnumGroups(s.bob, &e));
    items = enum_take(e, &n);
    CHECK(n == 1 && weq(((PEER_NAME_PAIR *)items[0])->pwzPeerName, s.group), "bob's groups: %lu", (unsigned long)n);
    PeerFreeData(items);
    OK(PeerEndEnumeration(e));
    OK(PeerEnumGroups(s.def, &e));
    OK(PeerGetItemCount(e, &n));
    CHECK(n == 0, "the default identity has %lu groups", (unsigned long)n);
    OK(PeerEndEnumeration(e));
    step("PeerEnumGroups: alice and bob have the group, the default identity none");
}

/* record_fill prepares a record for Add/Update. */
static void record_fill(PEER_RECORD *r, const GUID *type, const char *data, PCWSTR attrs, ULONGLONG expires) {
    memset(r, 0, sizeof *r);
    r->dwSize = sizeof *r;
    r->type = *type;
    r->pwzAttributes = (PWSTR)attrs;
    r->ftExpiration = ft(expires);
    r->data.cbData = (ULONG)strlen(data);
    r->data.pbData = (PBYTE)data;
}

static void check_record(HGROUP g, const GUID *id, const GUID *type, const char *data, DWORD version, PCWSTR creator) {
    PEER_RECORD *r = NULL;
    OK(PeerGroupGetRecord(g, id, &r));
    CHECK(r->dwSize == sizeof(PEER_RECORD), "record dwSize %lu", (unsigned long)r->dwSize);
    CHECK(guid_eq(&r->id, id) && guid_eq(&r->type, type), "record %s of type %s", guid_str(&r->id), guid_str(&r->type));
    CHECK(r->dwVersion == version, "record version %lu, want %lu", (unsigned long)r->dwVersion, (unsigned long)version);
    CHECK(r->data.cbData == strlen(data) && memcmp(r->data.pbData, data, strlen(data)) == 0, "record data %.*s, want %s",
          (int)r->data.cbData, (const char *)r->data.pbData, data);
    CHECK(weq(r->pwzCreatorId, creator) && weq(r->pwzModifiedById, creator), "creator %s modifier %s",
          a(r->pwzCreatorId), a(r->pwzModifiedById));
    CHECK(r->securityData.cbData > 0 && r->securityData.pbData, "record carries no signature");
    CHECK(ftu(r->ftCreation) <= ftu(r->ftLastModified) && ftu(r->ftLastModified) <= now_ft() + FT_SECOND,
          "creation %llu, modified %llu", (unsigned long long)ftu(r->ftCreation), (unsigned long long)ftu(r->ftLastModified));
    CHECK(r->dwFlags == 0, "record flags %#lx", (unsigned long)r->dwFlags);
    PeerFreeData(r);
}

/* count_enum counts the records of an enumeration and ends it; *has is set
 * to which of want[0..2] it held (bits 1, 2, 4). */
static ULONG count_enum(HPEERENUM e, const GUID *want[3], int *has) {
    ULONG n, i, total = 0;
    int k;
    *has = 0;
    for (;;) {
        PVOID *items = NULL;
        n = 2; /* take two at a time, to exercise partial takes */
        OK(PeerGetNextItem(e, &n, &items));
        if (n == 0) {
            CHECK(items == NULL, "empty take returned an array");
            break;
        }
        for (i = 0; i < n; i++) {
            PEER_RECORD *r = (PEER_RECORD *)items[i];
            CHECK(r->dwSize == sizeof(PEER_RECORD), "enumerated record dwSize %lu", (unsigned long)r->dwSize);
            for (k = 0; k < 3; k++)
                if (want[k] && guid_eq(&r->id, want[k])) *has |= 1 << k;
        }
        total += n;
        PeerFreeData(items);
    }
    OK(PeerEndEnumeration(e));
    return total;
}

static ULONG search(PCWSTR criteria, int *has) {
    HPEERENUM e;
    const GUID *want[3] = {&s.r1, &s.r2, &s.r3};
    OK(PeerGroupSearchRecords(s.g, criteria, &e));
    return count_enum(e, want, has);
}

static void records(void) {
    PEER_RECORD r;
    GUID eph;
    HPEERENUM e;
    ULONG n;
    int has;
    const GUID *want[3] = {&s.r1, &s.r2, &s.r3};
    ULONGLONG day = now_ft() + 86400 * FT_SECOND;

    record_fill(&r, &TYPE_A, "hello",
                u"<attributes><attribute name=\"n\" type=\"int\">7</attribute>"
                u"<attribute name=\"name\" type=\"string\">alpha</attribute></attributes>",
                day);
    OK(PeerGroupAddRecord(s.g, &r, &s.r1));
    CHECK(!guid_zero(&s.r1), "no record id");
    CHECK(evsig_wait(&s.ev, 5000), "the event handle was not signalled after PeerGroupAddRecord");
    expect_record_event(PEER_RECORD_ADDED, &s.r1, &TYPE_A, 0);
    check_record(s.g, &s.r1, &TYPE_A, "hello", 1, s.alice);
    step("PeerGroupAddRecord %s: version 1, RECORD_CHANGED ADDED through the event handle", guid_str(&s.r1));

    record_fill(&r, &TYPE_A, "hello again",
                u"<attributes><attribute name=\"n\" type=\"int\">8</attribute>"
                u"<attribute name=\"name\" type=\"string\">alpha</attribute></attributes>",
                day);
    r.id = s.r1;
    OK(PeerGroupUpdateRecord(s.g, &r));
    expect_record_event(PEER_RECORD_UPDATED, &s.r1, &TYPE_A, 5000);
    check_record(s.g, &s.r1, &TYPE_A, "hello again", 2, s.alice);
    OK(PeerGroupUpdateRecord(s.g, &r));
    expect_record_event(PEER_RECORD_UPDATED, &s.r1, &TYPE_A, 5000);
    check_record(s.g, &s.r1, &TYPE_A, "hello again", 3, s.alice);
    step("PeerGroupUpdateRecord twice: versions 2 and 3, RECORD_CHANGED UPDATED each time");

    record_fill(&r, &TYPE_A, "second",
                u"<attributes><attribute name=\"n\" type=\"int\">3</attribute>"
                u"<attribute name=\"name\" type=\"string\">beta</attribute></attributes>",
                day);
    OK(PeerGroupAddRecord(s.g, &r, &s.r2));
    expect_record_event(PEER_RECORD_ADDED, &s.r2, &TYPE_A, 5000);
    record_fill(&r, &TYPE_B, "third",
                u"<attributes><attribute name=\"n\" type=\"int\">12</attribute>"
                u"<attribute name=\"name\" type=\"string\">gamma</attribute>"
                u"<attribute name=\"when\" type=\"date\">2030-01-02T03:04:05Z</attribute></attributes>",
                day);
    OK(PeerGroupAddRecord(s.g, &r, &s.r3));
    expect_record_event(PEER_RECORD_ADDED, &s.r3, &TYPE_B, 5000);
    CHECK(!guid_eq(&s.r1, &s.r2) && !guid_eq(&s.r2, &s.r3), "record ids repeat");
    step("two more records: %s (type A), %s (type B)", guid_str(&s.r2), guid_str(&s.r3));

    OK(PeerGroupEnumRecords(s.g, NULL, &e));
    n = count_enum(e, want, &has);
    CHECK(n == 3 && has == 7, "all records: %lu (found mask %d)", (unsigned long)n, has);
    OK(PeerGroupEnumRecords(s.g, &TYPE_A, &e));
    n = count_enum(e, want, &has);
    CHECK(n == 2 && has == 3, "type A: %lu (mask %d)", (unsigned long)n, has);
    OK(PeerGroupEnumRecords(s.g, &TYPE_B, &e));
    n = count_enum(e, want, &has);
    CHECK(n == 1 && has == 4, "type B: %lu (mask %d)", (unsigned long)n, has);
    OK(PeerGroupEnumRecords(s.g, &TYPE_UNUSED, &e));
    n = count_enum(e, want, &has);
    CHECK(n == 0, "unused type: %lu", (unsigned long)n);
    step("PeerGroupEnumRecords: 3 in all, 2 of type A, 1 of type B, none of an unused type");

    n = search(u"<peersearch><clause attrib=\"n\" type=\"int\" compare=\"greater\">5</clause></peersearch>", &has);
    CHECK(n == 2 && has == 5, "n > 5: %lu (mask %d)", (unsigned long)n, has);
    n = search(u"<peersearch><and>"
               u"<clause attrib=\"n\" type=\"int\" compare=\"greater\">5</clause>"
               u"<clause attrib=\"name\" type=\"string\" compare=\"equal\">g*</clause>"
               u"</and></peersearch>",
               &has);
    CHECK(n == 1 && has == 4, "n > 5 and name = g*: %lu (mask %d)", (unsigned long)n, has);
    n = search(u"<peersearch><or>"
               u"<clause attrib=\"name\" type=\"string\" compare=\"equal\">alpha</clause>"
               u"<clause attrib=\"name\" type=\"string\" compare=\"equal\">?eta</clause>"
               u"</or></peersearch>",
               &has);
    CHECK(n == 2 && has == 3, "name = alpha or ?eta: %lu (mask %d)", (unsigned long)n, has);
    n = search(u"<peersearch><or><and>"
               u"<clause attrib=\"n\" type=\"int\" compare=\"lessorequal\">8</clause>"
               u"<clause attrib=\"n\" type=\"int\" compare=\"notequal\">3</clause>"
               u"</and><clause attrib=\"when\" type=\"date\" compare=\"less\">2031-01-01T00:00:00Z</clause>"
               u"</or></peersearch>",
               &has);
    CHECK(n == 2 && has == 5, "(n <= 8 and n != 3) or when < 2031: %lu (mask %d)", (unsigned long)n, has);
    n = search(u"<peersearch><clause attrib=\"name\" type=\"string\" compare=\"equal\">delta</clause></peersearch>",
               &has);
    CHECK(n == 0, "name = delta: %lu", (unsigned long)n);
    step("PeerGroupSearchRecords: clause, and, or, nested, wildcards * and ?, int/string/date, no match");

    OK(PeerGroupDeleteRecord(s.g, &s.r2));
    expect_record_event(PEER_RECORD_DELETED, &s.r2, &TYPE_A, 5000);
    {
        PEER_RECORD *gone = (PEER_RECORD *)&r;
        EXPECT_HR(PeerGroupGetRecord(s.g, &s.r2, &gone), PEER_E_RECORD_NOT_FOUND);
        CHECK(gone == NULL, "failed get returned a record");
    }
    EXPECT_HR(PeerGroupDeleteRecord(s.g, &s.r2), PEER_E_RECORD_NOT_FOUND);
    OK(PeerGroupEnumRecords(s.g, &TYPE_A, &e));
    n = count_enum(e, want, &has);
    CHECK(n == 1 && has == 1, "type A after delete: %lu (mask %d)", (unsigned long)n, has);
    expect_no_event();
    step("PeerGroupDeleteRecord: RECORD_CHANGED DELETED, then not found, not enumerated");

    record_fill(&r, &TYPE_EPHEMERAL, "short-lived", NULL, now_ft() + 2 * FT_SECOND);
    OK(PeerGroupAddRecord(s.g, &r, &eph));
    expect_record_event(PEER_RECORD_ADDED, &eph, &TYPE_EPHEMERAL, 5000);
    expect_record_event(PEER_RECORD_EXPIRED, &eph, &TYPE_EPHEMERAL, 15000);
    {
        PEER_RECORD *gone = NULL;
        EXPECT_HR(PeerGroupGetRecord(s.g, &eph, &gone), PEER_E_RECORD_NOT_FOUND);
    }
    step("a record expiring in 2 s raises RECORD_CHANGED EXPIRED and is gone");
}

static void peer_time_and_members(void) {
    ULONGLONG now = now_ft();
    FILETIME u = ft(now), p, back;
    HPEERENUM e;
    PVOID *items;
    ULONG n, i;
    PEER_MEMBER *m;
    int admin = 0;

    OK(PeerGroupUniversalTimeToPeerTime(s.g, &u, &p));
    OK(PeerGroupPeerTimeToUniversalTime(s.g, &p, &back));
    CHECK(ftu(back) == now, "round trip %llu -> %llu -> %llu", (unsigned long long)now, (unsigned long long)ftu(p),
          (unsigned long long)ftu(back));
    CHECK(ftu(p) + 3600 * FT_SECOND > now && ftu(p) < now + 3600 * FT_SECOND, "peer time %llu far from %llu",
          (unsigned long long)ftu(p), (unsigned long long)now);
    step("peer time conversions round-trip");

    OK(PeerGroupEnumMembers(s.g, 0, NULL, &e));
    items = enum_take(e, &n);
    CHECK(n == 1, "alice's group has %lu members, want 1 (bob has not connected)", (unsigned long)n);
    m = (PEER_MEMBER *)items[0];
    CHECK(m->dwSize == sizeof(PEER_MEMBER) && weq(m->pwzIdentity, s.alice), "member %s", a(m->pwzIdentity));
    CHECK(m->pCredentialInfo && m->pCredentialInfo->dwSize == sizeof(PEER_CREDENTIAL_INFO), "no credential info");
    for (i = 0; i < m->pCredentialInfo->cRoles; i++)
        admin |= guid_eq(&m->pCredentialInfo->pRoles[i], &PEER_GROUP_ROLE_ADMIN);
    CHECK(admin, "alice is not an administrator");
    CHECK(m->pCredentialInfo->pPublicKey && m->pCredentialInfo->pPublicKey->PublicKey.cbData == 32, "credential key");
    CHECK(ftu(m->pCredentialInfo->ftValidityEnd) > now + 100ULL * 365 * 86400 * FT_SECOND,
          "the creator's credential should be (nearly) infinite");
    PeerFreeData(items);
    OK(PeerEndEnumeration(e));
    OK(PeerGroupEnumMembers(s.g, 0, s.alice, &e));
    OK(PeerGetItemCount(e, &n));
    CHECK(n == 1, "members named alice: %lu", (unsigned long)n);
    OK(PeerEndEnumeration(e));
    OK(PeerGroupEnumMembers(s.g, 0, s.bob, &e));
    OK(PeerGetItemCount(e, &n));
    CHECK(n == 0, "members named bob: %lu", (unsigned long)n);
    OK(PeerEndEnumeration(e));
    OK(PeerGroupEnumMembers(s.gb, 0, s.bob, &e));
    OK(PeerGetItemCount(e, &n));
    CHECK(n == 1, "bob knows %lu bobs", (unsigned long)n);
    OK(PeerEndEnumeration(e));
    step("PeerGroupEnumMembers: alice (administrator, long credential); bob only in his own copy");
}

static void databases(void) {
    char *path = path_join(s.scratch, "records.db");
    PWSTR wpath = w(path);
    FILE *f;
    HPEERENUM e;
    ULONG n;
    int has;
    const GUID *want[3] = {&s.r1, &s.r2, &s.r3};

    OK(PeerGroupExportDatabase(s.g, wpath));
    OK(PeerGroupImportDatabase(s.gb, wpath));
    check_record(s.gb, &s.r1, &TYPE_A, "hello again", 3, s.alice);
    check_record(s.gb, &s.r3, &TYPE_B, "third", 1, s.alice);
    {
        PEER_RECORD *gone = NULL;
        EXPECT_HR(PeerGroupGetRecord(s.gb, &s.r2, &gone), PEER_E_RECORD_NOT_FOUND);
    }
    OK(PeerGroupEnumRecords(s.gb, NULL, &e));
    n = count_enum(e, want, &has);
    CHECK(n == 2 && has == 5, "bob's records after import: %lu (mask %d)", (unsigned long)n, has);
    OK(PeerGroupEnumMembers(s.gb, 0, NULL, &e));
    OK(PeerGetItemCount(e, &n));
    CHECK(n == 2, "bob knows %lu members after the import, want 2", (unsigned long)n);
    OK(PeerEndEnumeration(e));
    step("PeerGroupExportDatabase, PeerGroupImportDatabase into bob's copy: records, tombstone and members arrive");

    f = fopen(path_join(s.scratch, "records.txt"), "w");
    CHECK(f != NULL, "cannot write records.txt");
    fprintf(f, "%s\n%s\n%s\n", guid_str(&s.r1), guid_str(&s.r2), guid_str(&s.r3));
    fclose(f);
    f = fopen(path_join(s.scratch, "names.txt"), "w");
    CHECK(f != NULL, "cannot write names.txt");
    fprintf(f, "%s\n%s\n", a(s.alice), a(s.group));
    fclose(f);
}

/* second_home runs in the child process, P2P_HOME being a new directory:
 * it imports what the parent exported. */
static int second_home(const char *scratch) {
    PEER_VERSION_DATA v;
    PWSTR exp = read_wfile(path_join(scratch, "alice.export"));
    PWSTR cfg = read_wfile(path_join(scratch, "config.xml"));
    PWSTR db = w(path_join(scratch, "records.db"));
    PWSTR id = NULL, id2 = NULL, grp = NULL, fn = NULL;
    char alice[512], group[512];
    char ids[3][64];
    GUID r1, r2, r3;
    FILE *f;
    HGROUP g;
    HPEERENUM e;
    PVOID *items;
    ULONG n;
    PEER_GROUP_PROPERTIES *p;

    f = fopen(path_join(scratch, "names.txt"), "r");
    CHECK(f && fscanf(f, "%511s %511s", alice, group) == 2, "cannot read names.txt");
    fclose(f);
    f = fopen(path_join(scratch, "records.txt"), "r");
    CHECK(f && fscanf(f, "%63s %63s %63s", ids[0], ids[1], ids[2]) == 3, "cannot read records.txt");
    fclose(f);
    CHECK(guid_parse(ids[0], &r1) && guid_parse(ids[1], &r2) && guid_parse(ids[2], &r3), "bad record ids");

    OK(PeerGroupStartup(PEER_GROUP_VERSION, &v));
    OK(PeerEnumIdentities(&e));
    OK(PeerGetItemCount(e, &n));
    CHECK(n == 0, "the second home has %lu identities", (unsigned long)n);
    OK(PeerEndEnumeration(e));

    OK(PeerIdentityImport(exp, EXPORT_PASSWORD, &id));
    CHECK(weq(id, w(alice)), "imported identity %s, want %s", a(id), alice);
    OK(PeerIdentityGetFriendlyName(id, &fn));
    CHECK(wcontains(fn, "Alice"), "imported friendly name %s", a(fn));
    PeerFreeData(fn);
    EXPECT_HR(PeerIdentityImport(exp, EXPORT_PASSWORD, &id2), PEER_E_ALREADY_EXISTS);
    step("second home: PeerIdentityImport gives alice back; again is PEER_E_ALREADY_EXISTS");

    OK(PeerGroupImportConfig(cfg, CONFIG_PASSWORD, FALSE, &id2, &grp));
    CHECK(weq(id2, id) && weq(grp, w(group)), "imported config: %s %s", a(id2), a(grp));
    PeerFreeData(id2);
    PeerFreeData(grp);
    EXPECT_HR(PeerGroupImportConfig(cfg, CONFIG_PASSWORD, FALSE, &id2, &grp), PEER_E_ALREADY_EXISTS);
    OK(PeerGroupImportConfig(cfg, CONFIG_PASSWORD, TRUE, &id2, &grp));
    PeerFreeData(id2);
    PeerFreeData(grp);
    CHECK(FAILED(PeerGroupImportConfig(cfg, u"not the password", TRUE, &id2, &grp)), "wrong config password worked");
    step("second home: PeerGroupImportConfig; again is PEER_E_ALREADY_EXISTS, with overwrite S_OK");

    OK(PeerEnumGroups(id, &e));
    items = enum_take(e, &n);
    CHECK(n == 1 && weq(((PEER_NAME_PAIR *)items[0])->pwzPeerName, w(group)), "groups in the second home: %lu",
          (unsigned long)n);
    PeerFreeData(items);
    OK(PeerEndEnumeration(e));
    OK(PeerGroupOpen(id, w(group), NULL, &g));
    OK(PeerGroupGetProperties(g, &p));
    CHECK(weq(p->pwzFriendlyName, u"Chess & Go club") && weq(p->pwzCreatorPeerName, id), "properties %s %s",
          a(p->pwzFriendlyName), a(p->pwzCreatorPeerName));
    PeerFreeData(p);
    step("second home: the group is listed, opens, and has its properties");

    OK(PeerGroupImportDatabase(g, db));
    check_record(g, &r1, &TYPE_A, "hello again", 3, id);
    check_record(g, &r3, &TYPE_B, "third", 1, id);
    {
        PEER_RECORD *gone = NULL;
        EXPECT_HR(PeerGroupGetRecord(g, &r2, &gone), PEER_E_RECORD_NOT_FOUND);
    }
    step("second home: PeerGroupImportDatabase brings the records (and the deletion)");

    OK(PeerGroupClose(g));
    PeerFreeData(id);
    OK(PeerGroupShutdown());
    step("second home: done");
    return 0;
}

static void deletions(void) {
    HGROUP h = NULL;
    HPEERENUM e;
    ULONG n;
    PWSTR fn = NULL;

    EXPECT_HR(PeerIdentityDelete(s.alice), PEER_E_GROUPS_EXIST);
    EXPECT_HR(PeerIdentityDelete(s.bob), PEER_E_GROUPS_EXIST);
    step("PeerIdentityDelete of identities with groups: PEER_E_GROUPS_EXIST");

    OK(PeerGroupUnregisterEvent(s.he));
    evsig_close(&s.ev);
    OK(PeerGroupClose(s.g));
    OK(PeerGroupClose(s.gb));
    OK(PeerGroupDelete(s.alice, s.group));
    EXPECT_HR(PeerGroupOpen(s.alice, s.group, NULL, &h), PEER_E_NOT_FOUND);
    EXPECT_HR(PeerGroupDelete(s.alice, s.group), PEER_E_NOT_FOUND);
    OK(PeerEnumGroups(s.alice, &e));
    OK(PeerGetItemCount(e, &n));
    CHECK(n == 0, "alice still has %lu groups", (unsigned long)n);
    OK(PeerEndEnumeration(e));
    OK(PeerGroupDelete(s.bob, s.group));
    step("PeerGroupClose and PeerGroupDelete; the group no longer opens or lists");

    OK(PeerIdentityDelete(s.alice));
    OK(PeerIdentityDelete(s.bob));
    EXPECT_HR(PeerIdentityGetFriendlyName(s.alice, &fn), PEER_E_NOT_FOUND);
    EXPECT_HR(PeerIdentityDelete(s.alice), PEER_E_NOT_FOUND);
    OK(PeerEnumIdentities(&e));
    OK(PeerGetItemCount(e, &n));
    CHECK(n == 1, "%lu identities left, want the default one", (unsigned long)n);
    OK(PeerEndEnumeration(e));
    step("PeerIdentityDelete once the groups are gone; the identity is PEER_E_NOT_FOUND after");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && strcmp(argv[1], "--second-home") == 0) return second_home(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: %s <scratch-dir>\n", argv[0]);
        return 2;
    }
    s.scratch = argv[1];

    startup_and_shutdown();
    identities();
    groups();
    invitations();
    config_and_reopen();
    records();
    peer_time_and_members();
    databases();
    {
        char *child[4];
        int rc;
        child[0] = argv[0];
        child[1] = (char *)"--second-home";
        child[2] = (char *)s.scratch;
        child[3] = NULL;
        rc = run_with_home(argv[0], child, path_join(s.scratch, "home2"));
        CHECK(rc == 0, "the second-home run failed (status %d)", rc);
        step("the second data directory imported identity, configuration and database");
    }
    deletions();
    OK(PeerGroupShutdown());
    EXPECT_HR(PeerGroupShutdown(), PEER_E_NOT_INITIALIZED);
    step("final PeerGroupShutdown");
    printf("PASS offline_flow\n");
    return 0;
}
