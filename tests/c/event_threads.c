/*
 * event_threads.c - one event registration consumed by several threads at
 * once while records and direct data arrive from another member, as the
 * classic GroupChat sample consumes it (a thread-pool wait on the event
 * HANDLE, whose callbacks may run on several threads).
 *
 *   event_threads threads   CONSUMERS threads wait on the one HANDLE and
 *                           each drains PeerGroupGetEventData and
 *                           PeerFreeData, all at the same time.
 *   event_threads pool      (Windows) GroupChat's way only: one
 *                           RegisterWaitForSingleObject callback drains;
 *                           no two callbacks may process events at once.
 *
 * Alice hosts a group and consumes; Bob (another identity of the same
 * process, so another engine) joins over loopback, adds RECORDS records and
 * sends MESSAGES direct messages of patterned sizes. Every record must be
 * seen once with its data, every message once and intact; each member
 * name an event carries is copied into a heap block of its length, as
 * GroupChat copies it, so a name written past its block shows under a
 * guard-page allocator (Electric Fence on Linux) or Wine's heap checks.
 * Prints "PASS event_threads ..." and exits 0, or "FAIL ..." and exits 1.
 */
#include <stdatomic.h>

#include "p2ptest.h"

#ifdef _WIN32
typedef HANDLE thread_t;
#else
#include <pthread.h>
typedef pthread_t thread_t;
#endif

#ifndef RECORDS
#define RECORDS 200
#endif
#ifndef MESSAGES
#define MESSAGES 200
#endif
#ifndef CONSUMERS
#define CONSUMERS 4
#endif

static const GUID REC_TYPE = {0x6e7d1c2a, 0x51b0, 0x4c8e, {0x9a, 0x11, 0x65, 0x76, 0x74, 0x68, 0x72, 0x01}};
static const GUID DATA_TYPE = {0x6e7d1c2a, 0x51b0, 0x4c8e, {0x9a, 0x11, 0x65, 0x76, 0x74, 0x68, 0x72, 0x02}};

static HGROUP g_alice;
static HPEEREVENT g_reg;
static evsig g_ev;
static atomic_int g_stop;
static atomic_int g_records, g_messages, g_members;
static atomic_int g_busy, g_busy_max; /* threads processing an event at once */
static atomic_int g_seen[RECORDS];
static atomic_int g_failed;

/* failf records a failure from any thread; main reports it. */
static void failf(const char *fmt, ...) {
    va_list ap;
    if (atomic_exchange(&g_failed, 1)) return;
    printf("FAIL: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* Record i and message i carry size(i) bytes of pattern(i, j). */
static ULONG rec_size(int i) { return 16 + (ULONG)i * 37 % 3000; }
static ULONG msg_size(int i) { return i == 0 ? 0 : (ULONG)i * 331 % 70000; }
static BYTE pattern(int i, ULONG j) { return (BYTE)(i * 7 + j * 13); }

static void fill(BYTE *b, int i, ULONG n) {
    ULONG j;
    b[0] = (BYTE)i; /* the index, so the consumer knows which it got */
    for (j = 1; j < n; j++) b[j] = pattern(i, j);
}

static int check(const BYTE *b, ULONG n, ULONG (*size)(int)) {
    int i;
    ULONG j;
    if (n == 0) return 0; /* message 0 is the empty one */
    i = b[0];
    if (i >= RECORDS || n != size(i)) return -1;
    for (j = 1; j < n; j++)
        if (b[j] != pattern(i, j)) return -1;
    return i;
}

/* consume handles one event as an application would. */
static void consume(const PEER_GROUP_EVENT_DATA *d) {
    int now = atomic_fetch_add(&g_busy, 1) + 1, max = atomic_load(&g_busy_max);
    while (now > max && !atomic_compare_exchange_weak(&g_busy_max, &max, now)) {}
    switch (d->eventType) {
    case PEER_GROUP_EVENT_RECORD_CHANGED: {
        PEER_RECORD *r = NULL;
        HRESULT hr;
        int i;
        if (d->recordChangeData.changeType != PEER_RECORD_ADDED || !guid_eq(&d->recordChangeData.recordType, &REC_TYPE))
            break;
        hr = PeerGroupGetRecord(g_alice, &d->recordChangeData.recordId, &r);
        if (hr != S_OK || !r) {
            failf("PeerGroupGetRecord: 0x%08lx", (unsigned long)(uint32_t)hr);
            break;
        }
        i = check(r->data.pbData, r->data.cbData, rec_size);
        if (i < 0) failf("record of %lu bytes has the wrong data", (unsigned long)r->data.cbData);
        else if (atomic_fetch_add(&g_seen[i], 1) != 0) failf("record %d reported twice", i);
        else atomic_fetch_add(&g_records, 1);
        PeerFreeData(r);
        break;
    }
    case PEER_GROUP_EVENT_INCOMING_DATA:
        if (!guid_eq(&d->incomingData.type, &DATA_TYPE)) break;
        if (check(d->incomingData.data.pbData, d->incomingData.data.cbData, msg_size) < 0)
            failf("message of %lu bytes has the wrong data", (unsigned long)d->incomingData.data.cbData);
        else atomic_fetch_add(&g_messages, 1);
        break;
    case PEER_GROUP_EVENT_MEMBER_CHANGED: {
        /* GroupChat keeps a copy of the name in a block of its length. */
        PCWSTR id = d->memberChangeData.pwzIdentity;
        size_t n = id ? wlen(id) : 0;
        WCHAR *copy;
        if (n < 41) {
            failf("MEMBER_CHANGED with a name of %u units", (unsigned)n);
            break;
        }
        copy = malloc((n + 1) * sizeof(WCHAR));
        memcpy(copy, id, (n + 1) * sizeof(WCHAR));
        if (copy[40] != '.') failf("member name %s is not a peer name", a(copy));
        free(copy);
        atomic_fetch_add(&g_members, 1);
        break;
    }
    default:
        break;
    }
    atomic_fetch_sub(&g_busy, 1);
}

/* drain reads events until PEER_S_NO_EVENT_DATA, as the API asks. */
static void drain(void) {
    for (;;) {
        PEER_GROUP_EVENT_DATA *d = NULL;
        HRESULT hr = PeerGroupGetEventData(g_reg, &d);
        if (hr == PEER_S_NO_EVENT_DATA) return;
        if (hr != S_OK || !d) {
            if (!atomic_load(&g_stop)) failf("PeerGroupGetEventData: 0x%08lx", (unsigned long)(uint32_t)hr);
            return;
        }
        consume(d);
        PeerFreeData(d);
    }
}

/* A consumer thread drains on each signal and also every millisecond or
 * two without one, so that the threads call the library at the same time
 * as much as possible. */
#ifdef _WIN32
static DWORD WINAPI consumer(LPVOID arg) {
    (void)arg;
    while (!atomic_load(&g_stop)) {
        evsig_wait(&g_ev, 2);
        drain();
    }
    return 0;
}
static thread_t start_thread(void) { return CreateThread(NULL, 0, consumer, NULL, 0, NULL); }
static void join_thread(thread_t t) {
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}
static VOID CALLBACK pool_callback(PVOID arg, BOOLEAN timedOut) {
    (void)arg;
    (void)timedOut;
    drain();
}
#else
static void *consumer(void *arg) {
    (void)arg;
    while (!atomic_load(&g_stop)) {
        evsig_wait(&g_ev, 2);
        drain();
    }
    return NULL;
}
static thread_t start_thread(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, consumer, NULL) != 0) p2pt_fail(__LINE__, "pthread_create");
    return t;
}
static void join_thread(thread_t t) { pthread_join(t, NULL); }
#endif

int main(int argc, char **argv) {
    PEER_VERSION_DATA v;
    PWSTR alice, bob, alice_xml, bob_xml, invitation;
    PEER_GROUP_PROPERTIES props;
    HGROUP gb;
    ULONGLONG cid = 0;
    thread_t threads[CONSUMERS];
    int nthreads = 0, i, pool;
    double waited;
    PEER_GROUP_EVENT_REGISTRATION regs[] = {
        {PEER_GROUP_EVENT_RECORD_CHANGED, NULL},   {PEER_GROUP_EVENT_MEMBER_CHANGED, NULL},
        {PEER_GROUP_EVENT_STATUS_CHANGED, NULL},   {PEER_GROUP_EVENT_DIRECT_CONNECTION, NULL},
        {PEER_GROUP_EVENT_INCOMING_DATA, NULL},    {PEER_GROUP_EVENT_NEIGHBOR_CONNECTION, NULL},
    };
#ifdef _WIN32
    HANDLE wait = NULL;
#endif

    pool = argc > 1 && strcmp(argv[1], "pool") == 0;
    if (argc < 2 || (!pool && strcmp(argv[1], "threads") != 0)) {
        printf("usage: event_threads threads|pool\n");
        return 2;
    }
#ifndef _WIN32
    if (pool) {
        printf("FAIL: the pool mode is GroupChat's RegisterWaitForSingleObject, on Windows only\n");
        return 2;
    }
#endif
    setvbuf(stdout, NULL, _IONBF, 0);
    OK(PeerGroupStartup(PEER_GROUP_VERSION, &v));
    OK(PeerIdentityCreate(NULL, u"Alice", 0, &alice));
    OK(PeerIdentityCreate(NULL, u"Bob", 0, &bob));
    OK(PeerIdentityGetXML(alice, &alice_xml));
    OK(PeerIdentityGetXML(bob, &bob_xml));

    memset(&props, 0, sizeof props);
    props.dwSize = sizeof props;
    props.pwzCreatorPeerName = alice;
    props.pwzClassifier = u"threads";
    props.pwzFriendlyName = u"Event threads";
    OK(PeerGroupCreate(&props, &g_alice));
    evsig_open(&g_ev);
    OK(PeerGroupRegisterEvent(g_alice, g_ev.h, sizeof regs / sizeof regs[0], regs, &g_reg));
    if (pool) {
#ifdef _WIN32
        if (!RegisterWaitForSingleObject(&wait, g_ev.h, pool_callback, NULL, INFINITE, WT_EXECUTEDEFAULT))
            p2pt_fail(__LINE__, "RegisterWaitForSingleObject: %lu", GetLastError());
#endif
    } else {
        for (; nthreads < CONSUMERS; nthreads++) threads[nthreads] = start_thread();
    }
    OK(PeerGroupConnect(g_alice));
    step("alice online, %s consuming", pool ? "the thread pool" : "4 threads");

    OK(PeerGroupCreateInvitation(g_alice, bob_xml, NULL, 0, NULL, &invitation));
    OK(PeerGroupJoin(bob, invitation, NULL, &gb));
    OK(PeerGroupConnect(gb));
    for (waited = 0;; waited += 50) {
        PEER_RECORD r;
        GUID id;
        BYTE buf[3100];
        HRESULT hr;
        memset(&r, 0, sizeof r);
        r.dwSize = sizeof r;
        r.type = REC_TYPE;
        r.ftExpiration = ft(now_ft() + 3600 * FT_SECOND);
        fill(buf, 0, rec_size(0));
        r.data.cbData = rec_size(0);
        r.data.pbData = buf;
        hr = PeerGroupAddRecord(gb, &r, &id);
        if (hr == S_OK) break;
        CHECK(hr == PEER_E_GROUP_NOT_READY, "bob's first record: %s", p2pt_hr_name(hr));
        CHECK(waited < 60000, "bob not ready after 60 s");
        sleep_ms(50);
    }
    step("bob joined and is ready");
    for (i = 1; i < RECORDS; i++) {
        PEER_RECORD r;
        GUID id;
        BYTE buf[3100];
        memset(&r, 0, sizeof r);
        r.dwSize = sizeof r;
        r.type = REC_TYPE;
        r.ftExpiration = ft(now_ft() + 3600 * FT_SECOND);
        fill(buf, i, rec_size(i));
        r.data.cbData = rec_size(i);
        r.data.pbData = buf;
        OK(PeerGroupAddRecord(gb, &r, &id));
    }
    step("bob added %d records", RECORDS);
    {
        /* The connection is open when bob's DIRECT_CONNECTION says so. */
        PEER_GROUP_EVENT_REGISTRATION dc = {PEER_GROUP_EVENT_DIRECT_CONNECTION, NULL};
        HPEEREVENT breg;
        evsig bev;
        int open = 0;
        evsig_open(&bev);
        OK(PeerGroupRegisterEvent(gb, bev.h, 1, &dc, &breg));
        OK(PeerGroupOpenDirectConnection(gb, alice, NULL, &cid));
        for (waited = 0; !open; waited += 100) {
            PEER_GROUP_EVENT_DATA *d;
            CHECK(waited < 30000, "no DIRECT_CONNECTION for bob's connection to alice in 30 s");
            evsig_wait(&bev, 100);
            while (PeerGroupGetEventData(breg, &d) == S_OK && d) {
                if (d->connectionChangeData.ullConnectionId == cid) {
                    CHECK(d->connectionChangeData.status == PEER_CONNECTED, "bob's direct connection: status %d",
                          (int)d->connectionChangeData.status);
                    open = 1;
                }
                PeerFreeData(d);
            }
        }
        OK(PeerGroupUnregisterEvent(breg));
        evsig_close(&bev);
    }
    {
        BYTE *buf = malloc(70000);
        for (i = 0; i < MESSAGES; i++) {
            fill(buf, i % RECORDS, msg_size(i));
            OK(PeerGroupSendData(gb, cid, &DATA_TYPE, msg_size(i), buf));
        }
        free(buf);
    }
    step("bob sent %d direct messages", MESSAGES);

    for (waited = 0; atomic_load(&g_records) < RECORDS || atomic_load(&g_messages) < MESSAGES; waited += 50) {
        if (atomic_load(&g_failed)) break;
        CHECK(waited < 120000, "after 120 s alice has %d of %d records and %d of %d messages", atomic_load(&g_records),
              RECORDS, atomic_load(&g_messages), MESSAGES);
        sleep_ms(50);
    }
    atomic_store(&g_stop, 1);
#ifdef _WIN32
    if (wait) UnregisterWaitEx(wait, INVALID_HANDLE_VALUE);
#endif
    for (i = 0; i < nthreads; i++) join_thread(threads[i]);
    if (atomic_load(&g_failed)) return 1;
    OK(PeerGroupUnregisterEvent(g_reg));
    evsig_close(&g_ev);
    OK(PeerGroupCloseDirectConnection(gb, cid));
    OK(PeerGroupClose(gb));
    OK(PeerGroupGetStatus(g_alice, (DWORD *)&i));
    OK(PeerGroupClose(g_alice));
    PeerFreeData(alice);
    PeerFreeData(bob);
    PeerFreeData(alice_xml);
    PeerFreeData(bob_xml);
    PeerFreeData(invitation);
    OK(PeerGroupShutdown());
    if (pool && atomic_load(&g_busy_max) > 1) {
        printf("FAIL: %d thread-pool callbacks processed events at once\n", atomic_load(&g_busy_max));
        return 1;
    }
    printf("PASS event_threads %s: %d records, %d messages, %d member events, at most %d events processed at once\n",
           argv[1], RECORDS, MESSAGES, atomic_load(&g_members), atomic_load(&g_busy_max));
    return 0;
}
