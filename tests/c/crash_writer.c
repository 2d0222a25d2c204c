/*
 * crash_writer.c - the two halves of the crash test.
 *
 *   crash_writer write <count>
 *       creates an identity and a group, prints "GROUP <identity> <group>",
 *       then adds <count> records one by one and prints "ID <guid> <n>"
 *       (flushed) as soon as PeerGroupAddRecord returns S_OK for record n,
 *       and "DONE" at the end. The test kills it with SIGKILL part-way.
 *
 *   crash_writer verify <identity> <group> <ids-file>
 *       reopens the group and checks that every record listed in the file
 *       (lines as printed above) is there, unchanged; prints
 *       "VERIFIED <listed> <enumerated>".
 *
 * P2P_HOME names the data directory. Exit status 1 on any failure.
 */
#ifndef _WIN32
#define _GNU_SOURCE
#endif
#include "p2ptest.h"

static const GUID TYPE_CRASH = {0x7c0ffee0, 0x5eed, 0x4a11, {0x8b, 0x0b, 0x63, 0x72, 0x61, 0x73, 0x68, 0x01}};

/* fill prepares record n: data "record <n>", an int attribute n, one day to live. */
static void fill(PEER_RECORD *r, char *data, long n) {
    static WCHAR buf[128];
    char tmp[128];
    size_t i;
    memset(r, 0, sizeof *r);
    r->dwSize = sizeof *r;
    r->type = TYPE_CRASH;
    r->ftExpiration = ft(now_ft() + 86400 * FT_SECOND);
    snprintf(data, 64, "record %ld", n);
    r->data.cbData = (ULONG)strlen(data);
    r->data.pbData = (PBYTE)data;
    snprintf(tmp, sizeof tmp, "<attributes><attribute name=\"n\" type=\"int\">%ld</attribute></attributes>", n);
    for (i = 0; tmp[i]; i++) buf[i] = (WCHAR)tmp[i];
    buf[i] = 0;
    r->pwzAttributes = buf;
}

static int write_records(long count) {
    PEER_VERSION_DATA v;
    PEER_GROUP_PROPERTIES p;
    PPEER_GROUP_PROPERTIES got;
    PWSTR id = NULL;
    HGROUP g;
    long i;

    OK(PeerGroupStartup(PEER_GROUP_VERSION, &v));
    OK(PeerIdentityCreate(u"writer", u"Crash writer", 0, &id));
    memset(&p, 0, sizeof p);
    p.dwSize = sizeof p;
    p.pwzCreatorPeerName = id;
    p.pwzClassifier = u"crash";
    OK(PeerGroupCreate(&p, &g));
    OK(PeerGroupGetProperties(g, &got));
    printf("GROUP %s %s\n", a(id), a(got->pwzGroupPeerName));
    fflush(stdout);
    PeerFreeData(got);
    for (i = 0; i < count; i++) {
        PEER_RECORD r;
        char data[64];
        GUID rid;
        HRESULT h;
        fill(&r, data, i);
        h = PeerGroupAddRecord(g, &r, &rid);
        if (h != S_OK) {
            printf("FAIL PeerGroupAddRecord of record %ld returned %s\n", i, p2pt_hr_name(h));
            return 1;
        }
        printf("ID %s %ld\n", guid_str(&rid), i);
        fflush(stdout);
    }
    printf("DONE\n");
    fflush(stdout);
    OK(PeerGroupClose(g));
    OK(PeerGroupShutdown());
    return 0;
}

static int verify(const char *identity, const char *group, const char *ids) {
    PEER_VERSION_DATA v;
    HGROUP g;
    HPEERENUM e;
    ULONG enumerated = 0;
    long listed = 0, missing = 0;
    char line[256], guid[64];
    long n;
    FILE *f = fopen(ids, "r");

    CHECK(f != NULL, "cannot open %s", ids);
    OK(PeerGroupStartup(PEER_GROUP_VERSION, &v));
    OK(PeerGroupOpen(w(identity), w(group), NULL, &g));
    while (fgets(line, sizeof line, f)) {
        GUID rid;
        PPEER_RECORD r = NULL;
        char want[64];
        HRESULT h;
        if (sscanf(line, "ID %63s %ld", guid, &n) != 2) continue;
        CHECK(guid_parse(guid, &rid), "bad id line %s", line);
        listed++;
        h = PeerGroupGetRecord(g, &rid, &r);
        if (h != S_OK) {
            printf("MISSING record %ld %s: PeerGroupGetRecord returned %s\n", n, guid, p2pt_hr_name(h));
            missing++;
            continue;
        }
        snprintf(want, sizeof want, "record %ld", n);
        CHECK(r->dwVersion == 1 && r->data.cbData == strlen(want) && memcmp(r->data.pbData, want, strlen(want)) == 0 &&
                  guid_eq(&r->type, &TYPE_CRASH),
              "record %ld %s came back altered: version %lu, data %.*s", n, guid, (unsigned long)r->dwVersion,
              (int)r->data.cbData, (const char *)r->data.pbData);
        PeerFreeData(r);
    }
    fclose(f);
    OK(PeerGroupEnumRecords(g, &TYPE_CRASH, &e));
    OK(PeerGetItemCount(e, &enumerated));
    OK(PeerEndEnumeration(e));
    CHECK(missing == 0, "%ld of %ld acknowledged records are missing", missing, listed);
    CHECK((long)enumerated >= listed && (long)enumerated <= listed + 1,
          "%lu records enumerated for %ld acknowledged (at most one more may have committed unacknowledged)",
          (unsigned long)enumerated, listed);
    {
        /* The group still takes writes after the crash. */
        PEER_RECORD r;
        char data[64];
        GUID rid;
        fill(&r, data, 1000000);
        OK(PeerGroupAddRecord(g, &r, &rid));
    }
    OK(PeerGroupClose(g));
    OK(PeerGroupShutdown());
    printf("VERIFIED %ld %lu\n", listed, (unsigned long)enumerated);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "write") == 0) return write_records(atol(argv[2]));
    if (argc == 5 && strcmp(argv[1], "verify") == 0) return verify(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: %s write <count> | verify <identity> <group> <ids-file>\n", argv[0]);
    return 2;
}
