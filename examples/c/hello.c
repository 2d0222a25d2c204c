/*
 * hello.c - the smallest useful program: an identity, a group, one record.
 *
 *   cc -std=c11 -I build examples/c/hello.c -L build -lp2p -Wl,-rpath,build -o hello
 *   P2P_HOME=/tmp/hello-home ./hello
 *
 * Everything here is offline: no network is needed. Strings are UTF-16
 * (u"..." literals), and whatever the library returns is freed with
 * PeerFreeData. Each call's HRESULT is checked; on failure the program
 * prints it and exits 1.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "p2p.h"

#define CHECK(call)                                                         \
    do {                                                                    \
        HRESULT hr_ = (call);                                               \
        if (FAILED(hr_)) {                                                  \
            fprintf(stderr, "%s failed: 0x%08X\n", #call, (unsigned)hr_); \
            return 1;                                                       \
        }                                                                   \
    } while (0)

/* The type of this program's records: any GUID the application chooses. */
static const GUID NOTE = {0x9f6a7c10, 0x5b1e, 0x4d7e, {0xa1, 0x2c, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x21}};

/* print_w prints a UTF-16 string (ASCII only, for brevity). */
static void print_w(const char *label, PCWSTR s) {
    printf("%s", label);
    for (; s && *s; s++) putchar(*s < 128 ? (char)*s : '?');
    putchar('\n');
}

/* in_one_hour is the FILETIME an hour from now. */
static FILETIME in_one_hour(void) {
    ULONGLONG t = ((ULONGLONG)time(NULL) + 3600) * 10000000ULL + 116444736000000000ULL;
    FILETIME ft = {(DWORD)t, (DWORD)(t >> 32)};
    return ft;
}

int main(void) {
    PEER_VERSION_DATA version;
    PWSTR identity = NULL;
    PEER_GROUP_PROPERTIES props;
    PEER_GROUP_PROPERTIES *got_props = NULL;
    HGROUP group = NULL;
    PEER_RECORD record;
    PEER_RECORD *got = NULL;
    GUID id;
    const char text[] = "Hello, group!";

    CHECK(PeerGroupStartup(PEER_GROUP_VERSION, &version));

    /* An identity: a key pair, named <40 hex digits>.<classifier>. */
    CHECK(PeerIdentityCreate(u"hello", u"Hello example", 0, &identity));
    print_w("identity: ", identity);

    /* A group this identity creates (and administers). */
    memset(&props, 0, sizeof props);
    props.dwSize = sizeof props;
    props.pwzCreatorPeerName = identity;
    props.pwzClassifier = u"greetings";
    props.pwzFriendlyName = u"Greetings";
    CHECK(PeerGroupCreate(&props, &group));
    CHECK(PeerGroupGetProperties(group, &got_props));
    print_w("group: ", got_props->pwzGroupPeerName);
    PeerFreeData(got_props);

    /* A record: a type, bytes, and an expiry; the library signs it. */
    memset(&record, 0, sizeof record);
    record.dwSize = sizeof record;
    record.type = NOTE;
    record.ftExpiration = in_one_hour();
    record.data.cbData = sizeof text - 1;
    record.data.pbData = (PBYTE)text;
    CHECK(PeerGroupAddRecord(group, &record, &id));

    CHECK(PeerGroupGetRecord(group, &id, &got));
    printf("record: version %lu, %lu bytes: %.*s\n", (unsigned long)got->dwVersion,
           (unsigned long)got->data.cbData, (int)got->data.cbData, (const char *)got->data.pbData);
    print_w("signed by: ", got->pwzModifiedById);
    PeerFreeData(got);

    CHECK(PeerGroupClose(group));
    PeerFreeData(identity);
    CHECK(PeerGroupShutdown());
    printf("done\n");
    return 0;
}
