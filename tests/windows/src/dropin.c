/*
 * dropin.c - an existing Windows program, as written for Windows' own
 * P2P.dll: it includes the platform's <p2p.h> (mingw-w64's copy of the
 * Windows SDK header) and links with -lp2p, the import library of
 * Windows' P2P.dll. Run with this library's p2p.dll beside it, it must
 * work unchanged: the drop-in case.
 *
 * It goes through an offline life a typical program has: start-up, an
 * identity, a group, a Win32 event for RECORD_CHANGED, records added,
 * read, enumerated, updated and deleted, the group closed, reopened and
 * deleted, the identity deleted. Prints "PASS dropin" and exits 0.
 */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <windows.h>
#include <p2p.h>
#include <stdio.h>
#include <string.h>

/* The platform header leaves out most PEER_E_* codes; these are the
 * documented values. */
#define HR_NO_EVENT_DATA ((HRESULT)0x00630002L)
#define HR_RECORD_NOT_FOUND ((HRESULT)0x80630301L)

static const GUID APP_TYPE = {0x1f0c2b7a, 0x2f4e, 0x4b0a, {0x8d, 0x6e, 0x64, 0x72, 0x6f, 0x70, 0x69, 0x6e}};

static int failed;
#define CHECK(what, cond)                                                            \
    do {                                                                             \
        if (!(cond)) {                                                               \
            printf("FAIL %s (line %d)\n", what, __LINE__);                           \
            failed = 1;                                                              \
            return 1;                                                                \
        }                                                                            \
    } while (0)
#define HR(call)                                                                     \
    do {                                                                             \
        HRESULT hr_ = (call);                                                        \
        if (FAILED(hr_)) {                                                           \
            printf("FAIL %s = 0x%08lx (line %d)\n", #call, (unsigned long)hr_, __LINE__); \
            return 1;                                                                \
        }                                                                            \
    } while (0)

static FILETIME in_one_hour(void) {
    FILETIME f;
    ULARGE_INTEGER u;
    GetSystemTimeAsFileTime(&f);
    u.LowPart = f.dwLowDateTime;
    u.HighPart = f.dwHighDateTime;
    u.QuadPart += 3600ULL * 10000000ULL;
    f.dwLowDateTime = u.LowPart;
    f.dwHighDateTime = u.HighPart;
    return f;
}

int main(void) {
    PEER_VERSION_DATA v;
    PWSTR me = NULL, name;
    PEER_GROUP_PROPERTIES props, *got = NULL;
    HGROUP g;
    HANDLE ev;
    HPEEREVENT reg;
    PEER_GROUP_EVENT_REGISTRATION want = {PEER_GROUP_EVENT_RECORD_CHANGED, (GUID *)&APP_TYPE};
    PEER_GROUP_EVENT_DATA *e;
    PEER_RECORD rec, *r;
    GUID ids[3];
    HPEERENUM en;
    ULONG n;
    int i;
    WCHAR groupName[256];

    HR(PeerGroupStartup(PEER_GROUP_VERSION, &v));
    CHECK("version 1.1", v.wVersion == PEER_GROUP_VERSION);
    HR(PeerIdentityCreate(L"dropin", L"Drop-in", 0, &me));

    ZeroMemory(&props, sizeof props);
    props.dwSize = sizeof props;
    props.pwzCreatorPeerName = me;
    props.pwzClassifier = L"dropin";
    props.pwzFriendlyName = L"Drop-in group";
    HR(PeerGroupCreate(&props, &g));
    HR(PeerGroupGetProperties(g, &got));
    CHECK("friendly name", wcscmp(got->pwzFriendlyName, L"Drop-in group") == 0);
    wcscpy(groupName, got->pwzGroupPeerName);
    PeerFreeData(got);

    ev = CreateEventW(NULL, FALSE, FALSE, NULL);
    HR(PeerGroupRegisterEvent(g, ev, 1, &want, &reg));
    for (i = 0; i < 3; i++) {
        char text[32];
        ZeroMemory(&rec, sizeof rec);
        rec.dwSize = sizeof rec;
        rec.type = APP_TYPE;
        rec.ftExpiration = in_one_hour();
        sprintf(text, "record %d", i);
        rec.data.cbData = (ULONG)strlen(text) + 1;
        rec.data.pbData = (PBYTE)text;
        HR(PeerGroupAddRecord(g, &rec, &ids[i]));
    }
    CHECK("event signalled", WaitForSingleObject(ev, 5000) == WAIT_OBJECT_0);
    for (i = 0; i < 3; i++) {
        HR(PeerGroupGetEventData(reg, &e));
        CHECK("a record event", e && e->eventType == PEER_GROUP_EVENT_RECORD_CHANGED &&
                                    e->recordChangeData.changeType == PEER_RECORD_ADDED &&
                                    IsEqualGUID(&e->recordChangeData.recordId, &ids[i]));
        PeerFreeData(e);
    }
    CHECK("no more events", PeerGroupGetEventData(reg, &e) == HR_NO_EVENT_DATA);

    HR(PeerGroupGetRecord(g, &ids[1], &r));
    CHECK("record data", strcmp((char *)r->data.pbData, "record 1") == 0 && IsEqualGUID(&r->type, &APP_TYPE));
    rec = *r;
    rec.data.cbData = 8;
    rec.data.pbData = (PBYTE) "updated";
    HR(PeerGroupUpdateRecord(g, &rec));
    PeerFreeData(r);
    HR(PeerGroupEnumRecords(g, &APP_TYPE, &en));
    HR(PeerGetItemCount(en, &n));
    CHECK("three records", n == 3);
    HR(PeerEndEnumeration(en));
    HR(PeerGroupDeleteRecord(g, &ids[0]));
    CHECK("deleted", PeerGroupGetRecord(g, &ids[0], &r) == HR_RECORD_NOT_FOUND);

    HR(PeerGroupUnregisterEvent(reg));
    CloseHandle(ev);
    HR(PeerGroupClose(g));
    HR(PeerGroupOpen(me, groupName, NULL, &g));
    HR(PeerGroupGetRecord(g, &ids[1], &r));
    CHECK("update kept", r->dwVersion == 2 && strcmp((char *)r->data.pbData, "updated") == 0);
    PeerFreeData(r);
    HR(PeerGroupClose(g));
    HR(PeerGroupDelete(me, groupName));
    HR(PeerEnumGroups(me, &en));
    HR(PeerGetItemCount(en, &n));
    CHECK("no group left", n == 0);
    HR(PeerEndEnumeration(en));
    HR(PeerIdentityDelete(me));
    HR(PeerCreatePeerName(NULL, L"x", &name));
    PeerFreeData(name);
    PeerFreeData(me);
    HR(PeerGroupShutdown());
    printf("PASS dropin\n");
    return failed;
}
