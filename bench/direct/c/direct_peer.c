/*
 * direct_peer.c - one group member for the direct-connection benchmark of
 * bench/direct, using nothing but the C API of libp2p.so. Two of these run
 * as separate processes; the Go benchmark drives them line by line over
 * stdin/stdout and runs the raw quic-go and TCP anchors alongside.
 *
 * INCOMING_DATA has its own registration on an eventfd HANDLE: the
 * receiving loops poll() the descriptor, reset it, and drain the queue with
 * PeerGroupGetEventData until PEER_S_NO_EVENT_DATA, as an application would.
 * Every other event goes to a second registration, read while waiting for
 * a direct connection.
 *
 * Commands (answers "ok ..." or "err 0x<HRESULT> ..."):
 *   startup                 PeerGroupStartup, a new identity
 *   identity-xml            -> ok <escaped XML>
 *   create                  create the group and connect it
 *   invite <escaped XML>    -> ok <escaped invitation>
 *   join <escaped inv>      join and connect
 *   wait-connected <s>      until PEER_GROUP_STATUS_HAS_CONNECTIONS
 *   identity                -> ok <identity peer name>
 *   open <identity> <s>     open a direct connection -> ok <connection id>
 *   accept <s>              wait for an inbound one   -> ok <connection id>
 *   send <conn> <n> <size>  n messages, then wait for the receiver's 1-byte
 *                           acknowledgement -> ok <seconds>
 *   recv <n>                receive n messages, acknowledge with 1 byte on
 *                           the connection of the last -> ok <bytes>
 *   ping <conn> <n> <size>  n round trips -> ok <p50 us> <p99 us> <mean us>
 *   pong <n>                echo n messages back on their connection
 *   quit
 * Escaped strings carry backslash, CR and LF as \\, \r and \n.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "p2p.h"

static const GUID DATA_TYPE = {0x62656e63, 0x6864, 0x6972, {0x65, 0x63, 0x74, 0x64, 0x61, 0x74, 0x61, 0x31}};

static struct {
    PWSTR identity;
    HGROUP group;
    HPEEREVENT ctl, data;
    int ctl_fd, data_fd;
    ULONGLONG accepted[64]; /* inbound direct connections not yet taken */
    int n_accepted;
} st;

/* ---- output ---- */

static void reply_ok(const char *fmt, ...) {
    va_list ap;
    fputs("ok", stdout);
    if (fmt && *fmt) {
        fputc(' ', stdout);
        va_start(ap, fmt);
        vfprintf(stdout, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stdout);
    fflush(stdout);
}

static void reply_err(HRESULT hr, const char *what) {
    printf("err 0x%08" PRIx32 " %s\n", (uint32_t)hr, what);
    fflush(stdout);
}

#define CHECK_HR(call, what)        \
    do {                            \
        HRESULT hr_ = (call);       \
        if (FAILED(hr_)) {          \
            reply_err(hr_, (what)); \
            return;                 \
        }                           \
    } while (0)

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("out of memory\n", stderr);
        exit(2);
    }
    return p;
}

/* ---- strings ---- */

/* w converts UTF-8 to a new UTF-16 string. */
static PWSTR w(const char *s) {
    size_t n = strlen(s), i = 0, o = 0;
    PWSTR out = xmalloc((n + 1) * sizeof(WCHAR));
    while (i < n) {
        unsigned char c = (unsigned char)s[i++];
        uint32_t cp;
        int extra;
        if (c < 0x80) cp = c, extra = 0;
        else if ((c & 0xE0) == 0xC0) cp = c & 0x1F, extra = 1;
        else if ((c & 0xF0) == 0xE0) cp = c & 0x0F, extra = 2;
        else cp = c & 0x07, extra = 3;
        while (extra-- > 0 && i < n) cp = (cp << 6) | ((unsigned char)s[i++] & 0x3F);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out[o++] = (WCHAR)(0xD800 + (cp >> 10));
            out[o++] = (WCHAR)(0xDC00 + (cp & 0x3FF));
        } else {
            out[o++] = (WCHAR)cp;
        }
    }
    out[o] = 0;
    return out;
}

/* u8 converts UTF-16 to a new UTF-8 string. */
static char *u8(PCWSTR s) {
    size_t n = 0, o = 0;
    while (s[n]) n++;
    char *out = xmalloc(n * 3 + 1);
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = s[i];
        if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < n) cp = 0x10000 + ((cp - 0xD800) << 10) + (s[++i] - 0xDC00);
        if (cp < 0x80) out[o++] = (char)cp;
        else if (cp < 0x800) out[o++] = (char)(0xC0 | cp >> 6), out[o++] = (char)(0x80 | (cp & 0x3F));
        else if (cp < 0x10000)
            out[o++] = (char)(0xE0 | cp >> 12), out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F)),
            out[o++] = (char)(0x80 | (cp & 0x3F));
        else
            out[o++] = (char)(0xF0 | cp >> 18), out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F)),
            out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F)), out[o++] = (char)(0x80 | (cp & 0x3F));
    }
    out[o] = 0;
    return out;
}

static char *escape(const char *s) {
    char *out = xmalloc(strlen(s) * 2 + 1), *o = out;
    for (; *s; s++) {
        if (*s == '\\') *o++ = '\\', *o++ = '\\';
        else if (*s == '\n') *o++ = '\\', *o++ = 'n';
        else if (*s == '\r') *o++ = '\\', *o++ = 'r';
        else *o++ = *s;
    }
    *o = 0;
    return out;
}

static void unescape(char *s) {
    char *o = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *o++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s;
        } else {
            *o++ = *s;
        }
    }
    *o = 0;
}

/* ---- time and events ---- */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void wait_fd(int fd, int ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, ms) < 0 && errno == EINTR) {}
    uint64_t v;
    while (read(fd, &v, sizeof v) > 0) {}
}

static HRESULT register_events(void) {
    PEER_GROUP_EVENT_REGISTRATION ctl[] = {{PEER_GROUP_EVENT_DIRECT_CONNECTION, NULL},
                                           {PEER_GROUP_EVENT_STATUS_CHANGED, NULL}};
    PEER_GROUP_EVENT_REGISTRATION data[] = {{PEER_GROUP_EVENT_INCOMING_DATA, NULL}};
    st.ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    st.data_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (st.ctl_fd < 0 || st.data_fd < 0) return E_FAIL;
    HRESULT hr = PeerGroupRegisterEvent(st.group, (HANDLE)(intptr_t)st.ctl_fd, 2, ctl, &st.ctl);
    if (FAILED(hr)) return hr;
    return PeerGroupRegisterEvent(st.group, (HANDLE)(intptr_t)st.data_fd, 1, data, &st.data);
}

/* pump reads control events; it returns the status of a DIRECT_CONNECTION
 * event for id (0: none yet) and queues inbound connections. */
static int pump(ULONGLONG id) {
    int status = 0;
    for (;;) {
        PEER_GROUP_EVENT_DATA *d = NULL;
        if (PeerGroupGetEventData(st.ctl, &d) != S_OK || !d) break;
        if (d->eventType == PEER_GROUP_EVENT_DIRECT_CONNECTION) {
            PEER_EVENT_CONNECTION_CHANGE_DATA *c = &d->connectionChangeData;
            if (id && c->ullConnectionId == id) status = (int)c->status;
            else if (c->status == PEER_CONNECTED && st.n_accepted < 64) st.accepted[st.n_accepted++] = c->ullConnectionId;
        }
        PeerFreeData(d);
    }
    return status;
}

/* next_data returns the next INCOMING_DATA event, waiting up to ms. */
static PEER_GROUP_EVENT_DATA *next_data(int ms) {
    uint64_t deadline = now_ns() + (uint64_t)ms * 1000000u;
    for (;;) {
        PEER_GROUP_EVENT_DATA *d = NULL;
        HRESULT hr = PeerGroupGetEventData(st.data, &d);
        if (hr == S_OK && d) return d;
        if (FAILED(hr) || now_ns() >= deadline) return NULL;
        wait_fd(st.data_fd, 100);
    }
}

/* ---- commands ---- */

static void cmd_startup(void) {
    PEER_VERSION_DATA v;
    CHECK_HR(PeerGroupStartup(PEER_GROUP_VERSION, &v), "PeerGroupStartup");
    PWSTR fn = w("bench");
    HRESULT hr = PeerIdentityCreate(NULL, fn, 0, &st.identity);
    free(fn);
    CHECK_HR(hr, "PeerIdentityCreate");
    reply_ok("");
}

static void cmd_identity_xml(void) {
    PWSTR xml = NULL;
    CHECK_HR(PeerIdentityGetXML(st.identity, &xml), "PeerIdentityGetXML");
    char *s = u8(xml), *e = escape(s);
    reply_ok("%s", e);
    free(s), free(e);
    PeerFreeData(xml);
}

static void cmd_create(void) {
    PEER_GROUP_PROPERTIES p;
    memset(&p, 0, sizeof p);
    p.dwSize = sizeof p;
    p.pwzCreatorPeerName = st.identity;
    p.pwzClassifier = w("bench");
    p.pwzFriendlyName = w("direct bench");
    HRESULT hr = PeerGroupCreate(&p, &st.group);
    free(p.pwzClassifier), free(p.pwzFriendlyName);
    CHECK_HR(hr, "PeerGroupCreate");
    CHECK_HR(register_events(), "PeerGroupRegisterEvent");
    CHECK_HR(PeerGroupConnect(st.group), "PeerGroupConnect");
    reply_ok("");
}

static void cmd_invite(char *rest) {
    PWSTR inv = NULL;
    unescape(rest);
    PWSTR xml = w(rest);
    HRESULT hr = PeerGroupCreateInvitation(st.group, xml, NULL, 0, NULL, &inv);
    free(xml);
    CHECK_HR(hr, "PeerGroupCreateInvitation");
    char *s = u8(inv), *e = escape(s);
    reply_ok("%s", e);
    free(s), free(e);
    PeerFreeData(inv);
}

static void cmd_join(char *rest) {
    unescape(rest);
    PWSTR inv = w(rest);
    HRESULT hr = PeerGroupJoin(st.identity, inv, NULL, &st.group);
    free(inv);
    CHECK_HR(hr, "PeerGroupJoin");
    CHECK_HR(register_events(), "PeerGroupRegisterEvent");
    CHECK_HR(PeerGroupConnect(st.group), "PeerGroupConnect");
    reply_ok("");
}

static void cmd_wait_connected(double secs) {
    uint64_t deadline = now_ns() + (uint64_t)(secs * 1e9);
    for (;;) {
        DWORD s = 0;
        CHECK_HR(PeerGroupGetStatus(st.group, &s), "PeerGroupGetStatus");
        if (s & PEER_GROUP_STATUS_HAS_CONNECTIONS) break;
        if (now_ns() >= deadline) {
            reply_err(E_FAIL, "no connection");
            return;
        }
        wait_fd(st.ctl_fd, 50);
        pump(0);
    }
    reply_ok("");
}

static void cmd_identity(void) {
    char *s = u8(st.identity);
    reply_ok("%s", s);
    free(s);
}

static void cmd_open(const char *who8, double secs) {
    ULONGLONG id = 0;
    PWSTR who = w(who8);
    HRESULT hr = PeerGroupOpenDirectConnection(st.group, who, NULL, &id);
    free(who);
    CHECK_HR(hr, "PeerGroupOpenDirectConnection");
    uint64_t deadline = now_ns() + (uint64_t)(secs * 1e9);
    for (;;) {
        int s = pump(id);
        if (s == PEER_CONNECTED) break;
        if (s != 0 || now_ns() >= deadline) {
            reply_err(E_FAIL, "direct connection failed");
            return;
        }
        wait_fd(st.ctl_fd, 50);
    }
    reply_ok("%" PRIu64, (uint64_t)id);
}

static void cmd_accept(double secs) {
    uint64_t deadline = now_ns() + (uint64_t)(secs * 1e9);
    while (st.n_accepted == 0) {
        if (now_ns() >= deadline) {
            reply_err(E_FAIL, "no inbound direct connection");
            return;
        }
        wait_fd(st.ctl_fd, 50);
        pump(0);
    }
    ULONGLONG id = st.accepted[0];
    memmove(st.accepted, st.accepted + 1, --st.n_accepted * sizeof st.accepted[0]);
    reply_ok("%" PRIu64, (uint64_t)id);
}

static void cmd_send(ULONGLONG conn, long n, long size) {
    BYTE *buf = xmalloc((size_t)size);
    memset(buf, 0x5a, (size_t)size);
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) CHECK_HR(PeerGroupSendData(st.group, conn, &DATA_TYPE, (ULONG)size, buf), "PeerGroupSendData");
    PEER_GROUP_EVENT_DATA *d = next_data(600000); /* the acknowledgement */
    uint64_t t1 = now_ns();
    free(buf);
    if (!d) {
        reply_err(E_FAIL, "no acknowledgement");
        return;
    }
    PeerFreeData(d);
    reply_ok("%.6f", (double)(t1 - t0) / 1e9);
}

static void cmd_recv(long n) {
    uint64_t bytes = 0;
    ULONGLONG conn = 0;
    for (long i = 0; i < n; i++) {
        PEER_GROUP_EVENT_DATA *d = next_data(600000);
        if (!d) {
            reply_err(E_FAIL, "timeout");
            return;
        }
        bytes += d->incomingData.data.cbData;
        conn = d->incomingData.ullConnectionId;
        PeerFreeData(d);
    }
    BYTE ack = 1;
    CHECK_HR(PeerGroupSendData(st.group, conn, &DATA_TYPE, 1, &ack), "PeerGroupSendData");
    reply_ok("%" PRIu64, bytes);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void cmd_ping(ULONGLONG conn, long n, long size) {
    BYTE *buf = xmalloc((size_t)size);
    uint64_t *rtt = xmalloc((size_t)n * sizeof *rtt), sum = 0;
    memset(buf, 0x5a, (size_t)size);
    for (long i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        CHECK_HR(PeerGroupSendData(st.group, conn, &DATA_TYPE, (ULONG)size, buf), "PeerGroupSendData");
        PEER_GROUP_EVENT_DATA *d = next_data(10000);
        if (!d) {
            reply_err(E_FAIL, "no pong");
            return;
        }
        PeerFreeData(d);
        rtt[i] = now_ns() - t0;
        sum += rtt[i];
    }
    qsort(rtt, (size_t)n, sizeof *rtt, cmp_u64);
    reply_ok("%.1f %.1f %.1f", rtt[n / 2] / 1e3, rtt[(n * 99) / 100] / 1e3, (double)sum / (double)n / 1e3);
    free(buf), free(rtt);
}

static void cmd_pong(long n) {
    for (long i = 0; i < n; i++) {
        PEER_GROUP_EVENT_DATA *d = next_data(60000);
        if (!d) {
            reply_err(E_FAIL, "no ping");
            return;
        }
        HRESULT hr = PeerGroupSendData(st.group, d->incomingData.ullConnectionId, &DATA_TYPE,
                                       d->incomingData.data.cbData, d->incomingData.data.pbData);
        PeerFreeData(d);
        CHECK_HR(hr, "PeerGroupSendData");
    }
    reply_ok("");
}

int main(void) {
    static char line[1 << 20];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = 0;
        char *rest = strchr(line, ' ');
        if (rest) *rest++ = 0;
        else rest = line + strlen(line);
        char a[128] = "";
        long b = 0, c = 0;
        double s = 0;
        if (!strcmp(line, "quit")) break;
        else if (!strcmp(line, "startup")) cmd_startup();
        else if (!strcmp(line, "identity-xml")) cmd_identity_xml();
        else if (!strcmp(line, "create")) cmd_create();
        else if (!strcmp(line, "invite")) cmd_invite(rest);
        else if (!strcmp(line, "join")) cmd_join(rest);
        else if (!strcmp(line, "wait-connected")) cmd_wait_connected(atof(rest));
        else if (!strcmp(line, "identity")) cmd_identity();
        else if (!strcmp(line, "open") && sscanf(rest, "%127s %lf", a, &s) == 2) cmd_open(a, s);
        else if (!strcmp(line, "accept")) cmd_accept(atof(rest));
        else if (!strcmp(line, "send") && sscanf(rest, "%127s %ld %ld", a, &b, &c) == 3)
            cmd_send(strtoull(a, NULL, 10), b, c);
        else if (!strcmp(line, "recv")) cmd_recv(atol(rest));
        else if (!strcmp(line, "ping") && sscanf(rest, "%127s %ld %ld", a, &b, &c) == 3)
            cmd_ping(strtoull(a, NULL, 10), b, c);
        else if (!strcmp(line, "pong")) cmd_pong(atol(rest));
        else reply_err(E_INVALIDARG, "unknown command");
    }
    if (st.group) PeerGroupClose(st.group);
    PeerGroupShutdown();
    return 0;
}
