/*
 * peer.c - one group member as a process, driven line by line, for the
 * multi-process tests of tests/net. It uses nothing but the C API of
 * libp2p.so.
 *
 * Each command is one line on stdin; each answer is one line on stdout,
 * flushed at once: "ok ..." on success, "err 0x%08x ..." with the HRESULT
 * (E_FAIL for a check of this program that failed) otherwise. XML
 * arguments and results (identity XML, invitations) travel escaped on one
 * line: backslash, CR and LF as \\, \r and \n.
 *
 * Records of the test type carry pseudo-random data. Direct-connection
 * messages carry their metadata in the type GUID, so that a message of 0
 * bytes or of exactly the 1 MiB maximum needs no header:
 *   Data1 = sequence number, Data2 = sender stream, Data3 = MSG_MAGIC,
 *   Data4 = 64-bit checksum of (stream, sequence, length, data).
 * The receiver checks the checksum and that each (connection, stream)
 * delivers 0, 1, 2, ... exactly once and in order.
 *
 * Two event registrations per group: one for INCOMING_DATA, read only by
 * "recv" (so a receiver that does not read applies back-pressure), one for
 * every other event, drained into this program's state before each
 * command.
 *
 * Commands (see the dispatch table in main for the full list):
 *   startup [friendly]   identity-xml          create <friendly>
 *   invite <xml>         join <invitation>     open <group>
 *   connect              connect-addr <ip> <port>
 *   wait-ready <s>       wait-neighbors <n> <s> status  members  addr
 *   wait-member <identity> present|absent <s>
 *   add <n> <size>       add-text <text>       delete <n> own|others|<creator>
 *   add-ids <n> <size>   missing <id>...
 *   count  digest        wait-count <n> <s>    wait-digest <hex> <s>
 *   get <id>             wait-record <s>       events
 *   direct-open <identity> [s]                 wait-accept <s>
 *   direct-flood <identity> <n>                direct-failed
 *   wait-direct <id> connected|disconnected|failed <s>
 *   send <conn> <n> <max> [skew|fixed]         send-bg <conn> <n> <max> [skew|fixed]
 *   send-parallel <n> <max> <conn>...          send-wait <s>   send-progress
 *   sendone <conn> <size> [null]               recv <n> <s> [delay-ms]
 *   direct-close <conn>  connections           path <conn>
 *   use <slot>  close  shutdown  quit
 *   name                 set-name <friendly>   wait-name <s> <friendly>
 * and, for the attack tests:
 *   state [id...]        wait-id <id> <s> [version]
 *   update-text <id> <text>                    delete-id <id>
 *   invite-exp <s> <xml> create-password <password> <friendly>
 *   password-invite      password-join <password> <invitation>
 *   resume-password      wait-authfail <s>     authfails
 *   delete-group <group>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "p2p.h"

/* The event HANDLE of a registration: a Win32 auto-reset event on Windows
 * (built with mingw-w64 for the Wine tests: pthreads come from its
 * winpthreads), an eventfd elsewhere. */
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
typedef HANDLE evt_t;
static evt_t evt_new(void) { return CreateEventW(NULL, FALSE, FALSE, NULL); }
static int evt_ok(evt_t e) { return e != NULL; }
static HANDLE evt_handle(evt_t e) { return e; }
/* evt_drain: waiting on an auto-reset event already reset it. */
static void evt_drain(evt_t e) { (void)e; }
static void evt_wait(evt_t e, int ms) { WaitForSingleObject(e, ms < 0 ? 0 : (DWORD)ms); }
static void evt_close(evt_t e) { CloseHandle(e); }
#else
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
typedef int evt_t;
static evt_t evt_new(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
static int evt_ok(evt_t e) { return e > 0; }
static HANDLE evt_handle(evt_t e) { return (HANDLE)(intptr_t)e; }
/* evt_drain resets an eventfd. */
static void evt_drain(evt_t e) {
    uint64_t v;
    while (read(e, &v, sizeof v) > 0) {}
}
/* evt_wait waits up to ms for the eventfd to be readable. */
static void evt_wait(evt_t e, int ms) {
    struct pollfd p = {.fd = e, .events = POLLIN};
    if (ms < 0) ms = 0;
    while (poll(&p, 1, ms) < 0 && errno == EINTR) {}
}
static void evt_close(evt_t e) { close(e); }
#endif

/* The application record type of the tests; tests/net/attacker uses the
 * same value (7e57d47a-0001-4e70-9e7a-6e6574746573). */
static const GUID TEST_TYPE = {0x7e57d47a, 0x0001, 0x4e70, {0x9e, 0x7a, 0x6e, 0x65, 0x74, 0x74, 0x65, 0x73}};

#define MSG_MAGIC 0x7e57
#define MAX_DATA (1u << 20) /* wire.MaxData: the largest PeerGroupSendData message */
#define MAX_SLOTS 4
#define MAX_SENDERS 16
#define MAX_STREAMS 256
#define FT_SECOND 10000000ULL

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

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

static void reply_err(HRESULT hr, const char *fmt, ...) {
    va_list ap;
    printf("err 0x%08" PRIx32, (uint32_t)hr);
    if (fmt && *fmt) {
        fputc(' ', stdout);
        va_start(ap, fmt);
        vfprintf(stdout, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stdout);
    fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* Strings: UTF-8 <-> UTF-16, one-line escaping                        */
/* ------------------------------------------------------------------ */

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("out of memory\n", stderr);
        exit(2);
    }
    return p;
}

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
    char *out;
    if (!s) {
        out = xmalloc(1);
        out[0] = 0;
        return out;
    }
    while (s[n]) n++;
    out = xmalloc(n * 3 + 1);
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = s[i];
        if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (s[++i] - 0xDC00);
        if (cp < 0x80) {
            out[o++] = (char)cp;
        } else if (cp < 0x800) {
            out[o++] = (char)(0xC0 | cp >> 6);
            out[o++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out[o++] = (char)(0xE0 | cp >> 12);
            out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | cp >> 18);
            out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    out[o] = 0;
    return out;
}

/* escape returns s on one line: \ -> \\, CR -> \r, LF -> \n. */
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

/* unescape undoes escape in place. */
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

/* ------------------------------------------------------------------ */
/* GUIDs, time                                                         */
/* ------------------------------------------------------------------ */

/* guid_str formats g in lower-case RFC order; sorting these strings
 * sorts by the record id's bytes. */
static void guid_str(const GUID *g, char out[37]) {
    snprintf(out, 37, "%08" PRIx32 "-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (uint32_t)g->Data1, g->Data2, g->Data3,
             g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

/* guid_parse reads what guid_str writes, with or without braces. */
static int guid_parse(const char *s, GUID *g) {
    unsigned d1, d2, d3, b[8];
    if (*s == '{') s++;
    if (sscanf(s, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &d1, &d2, &d3, &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &b[6], &b[7]) != 11)
        return 0;
    g->Data1 = d1;
    g->Data2 = (uint16_t)d2;
    g->Data3 = (uint16_t)d3;
    for (int i = 0; i < 8; i++) g->Data4[i] = (uint8_t)b[i];
    return 1;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static FILETIME ft_in(uint64_t seconds) {
    struct timespec ts;
    FILETIME f;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t v = 116444736000000000ULL + ((uint64_t)ts.tv_sec + seconds) * FT_SECOND;
    f.dwLowDateTime = (DWORD)v;
    f.dwHighDateTime = (DWORD)(v >> 32);
    return f;
}

/* ------------------------------------------------------------------ */
/* SHA-256 (FIPS 180-4), for digests of the record database            */
/* ------------------------------------------------------------------ */

typedef struct {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t n;
} sha256;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256 *s, const uint8_t *p) {
    uint32_t w[64], a, b, c, d, e, f, g, h;
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_init(sha256 *s) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->len = 0;
    s->n = 0;
}

static void sha256_write(sha256 *s, const void *data, size_t n) {
    const uint8_t *p = data;
    s->len += n;
    while (n > 0) {
        size_t k = 64 - s->n < n ? 64 - s->n : n;
        memcpy(s->buf + s->n, p, k);
        s->n += k, p += k, n -= k;
        if (s->n == 64) {
            sha256_block(s, s->buf);
            s->n = 0;
        }
    }
}

static void sha256_hex(sha256 *s, char out[65]) {
    uint64_t bits = s->len * 8;
    uint8_t pad = 0x80, zero = 0, len[8];
    sha256_write(s, &pad, 1);
    while (s->n != 56) sha256_write(s, &zero, 1);
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_write(s, len, 8);
    for (int i = 0; i < 8; i++) snprintf(out + 8 * i, 9, "%08" PRIx32, s->h[i]);
}

static void put_u32(sha256 *s, uint32_t v) {
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    sha256_write(s, b, 4);
}

/* ------------------------------------------------------------------ */
/* Message payloads: deterministic data and its checksum               */
/* ------------------------------------------------------------------ */

/* splitmix64 step: the generator of sizes and payload bytes. */
static uint64_t mix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* checksum is a 64-bit hash of a message and where it belongs. */
static uint64_t checksum(unsigned stream, uint32_t seq, const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)stream << 40) ^ ((uint64_t)seq << 8) ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        h = (h ^ v) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h ^ (h >> 32);
}

/* message_size picks a size in 0..max: mostly small, some medium and
 * large, about 1% exactly 0 and 2% exactly max. */
static size_t message_size(unsigned stream, uint32_t seq, size_t max, int fixed) {
    uint64_t x = ((uint64_t)stream << 32) ^ seq ^ 0x5eed;
    uint64_t r = mix64(&x), v = mix64(&x);
    size_t n;
    if (fixed) return max;
    switch (r % 100) {
    case 0: n = 0; break;
    case 1: case 2: n = max; break;
    default:
        if (r % 100 < 78) n = 1 + v % 512;
        else if (r % 100 < 96) n = 513 + v % 16384;
        else n = 16897 + v % (max > 16897 ? max - 16897 : 1);
    }
    return n > max ? max : n;
}

/* fill_message writes the payload of (stream, seq) and its type GUID. */
static void fill_message(unsigned stream, uint32_t seq, uint8_t *buf, size_t n, GUID *type) {
    uint64_t x = ((uint64_t)seq << 16) ^ stream ^ 0xda7a;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = mix64(&x);
        memcpy(buf + i, &v, 8);
    }
    if (i < n) {
        uint64_t v = mix64(&x);
        memcpy(buf + i, &v, n - i);
    }
    uint64_t c = checksum(stream, seq, buf, n);
    type->Data1 = seq;
    type->Data2 = (uint16_t)stream;
    type->Data3 = MSG_MAGIC;
    for (int k = 0; k < 8; k++) type->Data4[k] = (uint8_t)(c >> (56 - 8 * k));
}

/* ------------------------------------------------------------------ */
/* State                                                               */
/* ------------------------------------------------------------------ */

/* A DIRECT_CONNECTION event seen. */
typedef struct {
    ULONGLONG id;
    int status;
    HRESULT hr;
    int opened_here; /* the id came from our PeerGroupOpenDirectConnection */
    int accepted;    /* reported by wait-accept */
} direct_event;

/* The receiving state of one (connection, stream). */
typedef struct {
    ULONGLONG conn;
    unsigned stream;
    uint32_t next;
} rx_stream;

/* The sending state of one (connection, stream): its next sequence. */
typedef struct {
    ULONGLONG conn;
    unsigned stream;
    uint32_t next;
} tx_stream;

/* One group handle with its two event registrations. */
typedef struct {
    HGROUP h;
    HPEEREVENT ctl, data;
    evt_t ctl_fd, data_fd;
    char name[512];

    /* Counters and logs filled from control events. */
    long rec_added, rec_updated, rec_deleted, rec_expired;
    GUID *added;          /* test-type records added, not yet taken by wait-record */
    size_t n_added, cap_added;
    direct_event *directs;
    size_t n_directs, cap_directs;
    char *log;            /* non-record events since the last "events" */
    size_t log_len, log_cap;
    long log_records;     /* RECORD_CHANGED events since the last "events" */
    DWORD status;
    long auth_failed;     /* AUTHENTICATION_FAILED events seen */
    long auth_taken;      /* of which wait-authfail reported */
    HRESULT auth_hr;      /* the reason of the last one */

    rx_stream rx[MAX_STREAMS];
    size_t n_rx;
} slot;

/* A sender thread. */
typedef struct {
    pthread_t th;
    slot *g;
    ULONGLONG conn;
    unsigned stream;
    uint32_t first;
    long count;
    size_t max;
    int fixed;
    atomic_long sent;
    uint64_t bytes;
    HRESULT hr;
    double max_block_ms;
    atomic_int done;
    int running;
} sender;

static struct {
    PWSTR identity;
    char *identity8;
    slot slots[MAX_SLOTS];
    int cur;
    sender senders[MAX_SENDERS];
    tx_stream tx[MAX_STREAMS];
    size_t n_tx;
    pthread_mutex_t tx_mu;
    uint64_t seed;
} st = {.tx_mu = PTHREAD_MUTEX_INITIALIZER};

static slot *cur(void) { return &st.slots[st.cur]; }

/* tx_reserve takes the next n sequence numbers of (conn, stream). */
static uint32_t tx_reserve(ULONGLONG conn, unsigned stream, uint32_t n) {
    uint32_t first = 0;
    pthread_mutex_lock(&st.tx_mu);
    size_t i;
    for (i = 0; i < st.n_tx; i++)
        if (st.tx[i].conn == conn && st.tx[i].stream == stream) break;
    if (i == st.n_tx && st.n_tx < MAX_STREAMS) {
        st.tx[i].conn = conn, st.tx[i].stream = stream, st.tx[i].next = 0;
        st.n_tx++;
    }
    if (i < st.n_tx) {
        first = st.tx[i].next;
        st.tx[i].next += n;
    }
    pthread_mutex_unlock(&st.tx_mu);
    return first;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

static void logf_(slot *g, const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
    if (g->log_len + (size_t)n + 2 > g->log_cap) {
        if (g->log_len > (1u << 20)) return; /* enough: the test reads far less */
        g->log_cap = (g->log_cap + (size_t)n + 2) * 2;
        g->log = realloc(g->log, g->log_cap);
        if (!g->log) exit(2);
    }
    if (g->log_len) g->log[g->log_len++] = ' ';
    memcpy(g->log + g->log_len, buf, (size_t)n);
    g->log_len += (size_t)n;
    g->log[g->log_len] = 0;
}

static const char *conn_status(int s) {
    return s == PEER_CONNECTED ? "connected" : s == PEER_DISCONNECTED ? "disconnected"
           : s == PEER_CONNECTION_FAILED ? "failed" : "?";
}

static int is_opened_here(slot *g, ULONGLONG id);

/* handle_event folds one control event into the slot's state. */
static void handle_event(slot *g, PEER_GROUP_EVENT_DATA *d) {
    switch (d->eventType) {
    case PEER_GROUP_EVENT_STATUS_CHANGED:
        g->status = d->dwStatus;
        logf_(g, "status:0x%x", (unsigned)d->dwStatus);
        break;
    case PEER_GROUP_EVENT_RECORD_CHANGED: {
        PEER_EVENT_RECORD_CHANGE_DATA *r = &d->recordChangeData;
        g->log_records++;
        switch (r->changeType) {
        case PEER_RECORD_ADDED:
            g->rec_added++;
            if (memcmp(&r->recordType, &TEST_TYPE, sizeof(GUID)) == 0 && g->n_added < 100000) {
                if (g->n_added == g->cap_added) {
                    g->cap_added = g->cap_added ? g->cap_added * 2 : 64;
                    g->added = realloc(g->added, g->cap_added * sizeof(GUID));
                    if (!g->added) exit(2);
                }
                g->added[g->n_added++] = r->recordId;
            }
            break;
        case PEER_RECORD_UPDATED: g->rec_updated++; break;
        case PEER_RECORD_DELETED: g->rec_deleted++; break;
        case PEER_RECORD_EXPIRED: g->rec_expired++; break;
        }
        break;
    }
    case PEER_GROUP_EVENT_DIRECT_CONNECTION:
    case PEER_GROUP_EVENT_NEIGHBOR_CONNECTION: {
        PEER_EVENT_CONNECTION_CHANGE_DATA *c = &d->connectionChangeData;
        int direct = d->eventType == PEER_GROUP_EVENT_DIRECT_CONNECTION;
        logf_(g, "%s:%s:%" PRIu64 ":0x%08" PRIx32, direct ? "direct" : "neighbor", conn_status(c->status),
              (uint64_t)c->ullConnectionId, (uint32_t)c->hrConnectionFailedReason);
        if (direct) {
            if (g->n_directs == g->cap_directs) {
                g->cap_directs = g->cap_directs ? g->cap_directs * 2 : 16;
                g->directs = realloc(g->directs, g->cap_directs * sizeof(direct_event));
                if (!g->directs) exit(2);
            }
            direct_event *e = &g->directs[g->n_directs++];
            e->id = c->ullConnectionId;
            e->status = c->status;
            e->hr = c->hrConnectionFailedReason;
            e->opened_here = is_opened_here(g, c->ullConnectionId);
            e->accepted = 0;
        }
        break;
    }
    case PEER_GROUP_EVENT_MEMBER_CHANGED: {
        char *who = u8(d->memberChangeData.pwzIdentity);
        logf_(g, "member:%d:%.12s", (int)d->memberChangeData.changeType, who);
        free(who);
        break;
    }
    case PEER_GROUP_EVENT_CONNECTION_FAILED:
        logf_(g, "connfail:0x%08" PRIx32, (uint32_t)d->hrConnectionFailedReason);
        break;
    case PEER_GROUP_EVENT_AUTHENTICATION_FAILED:
        g->auth_failed++;
        g->auth_hr = d->hrConnectionFailedReason;
        logf_(g, "authfail:0x%08" PRIx32, (uint32_t)d->hrConnectionFailedReason);
        break;
    case PEER_GROUP_EVENT_PROPERTY_CHANGED:
        logf_(g, "property");
        break;
    default:
        logf_(g, "event:%d", (int)d->eventType);
    }
}

/* Ids this program opened, so wait-accept can tell inbound ones apart. */
static ULONGLONG opened_ids[1024];
static size_t n_opened;

static int is_opened_here(slot *g, ULONGLONG id) {
    (void)g;
    for (size_t i = 0; i < n_opened; i++)
        if (opened_ids[i] == id) return 1;
    return 0;
}

/* pump drains the control events of g into its state. */
static void pump(slot *g) {
    PEER_GROUP_EVENT_DATA *d;
    if (!g->ctl) return;
    evt_drain(g->ctl_fd);
    for (;;) {
        d = NULL;
        HRESULT hr = PeerGroupGetEventData(g->ctl, &d);
        if (hr != S_OK || !d) break;
        handle_event(g, d);
        PeerFreeData(d);
    }
}

static HRESULT register_events(slot *g) {
    PEER_GROUP_EVENT_REGISTRATION ctl[] = {
        {PEER_GROUP_EVENT_STATUS_CHANGED, NULL},     {PEER_GROUP_EVENT_PROPERTY_CHANGED, NULL},
        {PEER_GROUP_EVENT_RECORD_CHANGED, NULL},     {PEER_GROUP_EVENT_DIRECT_CONNECTION, NULL},
        {PEER_GROUP_EVENT_NEIGHBOR_CONNECTION, NULL}, {PEER_GROUP_EVENT_MEMBER_CHANGED, NULL},
        {PEER_GROUP_EVENT_CONNECTION_FAILED, NULL},  {PEER_GROUP_EVENT_AUTHENTICATION_FAILED, NULL},
    };
    PEER_GROUP_EVENT_REGISTRATION data[] = {{PEER_GROUP_EVENT_INCOMING_DATA, NULL}};
    HRESULT hr;
    g->ctl_fd = evt_new();
    g->data_fd = evt_new();
    if (!evt_ok(g->ctl_fd) || !evt_ok(g->data_fd)) return E_FAIL;
    hr = PeerGroupRegisterEvent(g->h, evt_handle(g->ctl_fd), sizeof ctl / sizeof ctl[0], ctl, &g->ctl);
    if (FAILED(hr)) return hr;
    return PeerGroupRegisterEvent(g->h, evt_handle(g->data_fd), 1, data, &g->data);
}

/* take_slot makes the first free slot current for a new group handle. */
static slot *take_slot(void) {
    for (int i = 0; i < MAX_SLOTS; i++)
        if (!st.slots[i].h) {
            st.cur = i;
            memset(&st.slots[i], 0, sizeof st.slots[i]);
            return &st.slots[i];
        }
    return NULL;
}

/* release_slot ends the slot's registrations and closes the group; the
 * descriptors stay ours (the library never closes them), so they are
 * closed last. */
static HRESULT release_slot(slot *g) {
    HRESULT hr = S_OK;
    if (g->ctl) PeerGroupUnregisterEvent(g->ctl);
    if (g->data) PeerGroupUnregisterEvent(g->data);
    if (g->h) hr = PeerGroupClose(g->h);
    if (evt_ok(g->ctl_fd)) evt_close(g->ctl_fd);
    if (evt_ok(g->data_fd)) evt_close(g->data_fd);
    free(g->added);
    free(g->directs);
    free(g->log);
    memset(g, 0, sizeof *g);
    return hr;
}

/* group_name fills g->name from the group's properties. */
static HRESULT group_name(slot *g) {
    PEER_GROUP_PROPERTIES *p = NULL;
    HRESULT hr = PeerGroupGetProperties(g->h, &p);
    if (FAILED(hr)) return hr;
    char *n = u8(p->pwzGroupPeerName);
    snprintf(g->name, sizeof g->name, "%s", n);
    free(n);
    PeerFreeData(p);
    return S_OK;
}

/* ------------------------------------------------------------------ */
/* Records of the test type                                            */
/* ------------------------------------------------------------------ */

/* A live record of the test type, as the digest sees it. */
typedef struct {
    char id[37];
    DWORD version;
    char *creator;
    uint8_t *data;
    ULONG size;
} rec;

static int rec_cmp(const void *a, const void *b) { return strcmp(((const rec *)a)->id, ((const rec *)b)->id); }

static void free_recs(rec *r, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(r[i].creator);
        free(r[i].data);
    }
    free(r);
}

/* list_records reads every live record of the test type, sorted by id. */
static HRESULT list_records(slot *g, rec **out, size_t *count) {
    HPEERENUM e = NULL;
    ULONG n = 0;
    PVOID *items = NULL;
    HRESULT hr = PeerGroupEnumRecords(g->h, &TEST_TYPE, &e);
    *out = NULL;
    *count = 0;
    if (FAILED(hr)) return hr;
    hr = PeerGetItemCount(e, &n);
    if (SUCCEEDED(hr) && n > 0) hr = PeerGetNextItem(e, &n, &items);
    if (FAILED(hr)) {
        PeerEndEnumeration(e);
        return hr;
    }
    rec *r = xmalloc((n ? n : 1) * sizeof(rec));
    for (ULONG i = 0; i < n; i++) {
        PEER_RECORD *p = items[i];
        guid_str(&p->id, r[i].id);
        r[i].version = p->dwVersion;
        r[i].creator = u8(p->pwzCreatorId);
        r[i].size = p->data.cbData;
        r[i].data = xmalloc(p->data.cbData);
        if (p->data.cbData) memcpy(r[i].data, p->data.pbData, p->data.cbData);
    }
    PeerFreeData(items);
    PeerEndEnumeration(e);
    qsort(r, n, sizeof(rec), rec_cmp);
    *out = r;
    *count = n;
    return S_OK;
}

/* digest hashes the sorted (id, version, data) of the live records. */
static HRESULT digest(slot *g, char hex[65], size_t *count) {
    rec *r;
    sha256 s;
    HRESULT hr = list_records(g, &r, count);
    if (FAILED(hr)) return hr;
    sha256_init(&s);
    for (size_t i = 0; i < *count; i++) {
        sha256_write(&s, r[i].id, 36);
        put_u32(&s, r[i].version);
        put_u32(&s, r[i].size);
        sha256_write(&s, r[i].data, r[i].size);
    }
    sha256_hex(&s, hex);
    free_recs(r, *count);
    return S_OK;
}

static HRESULT add_record(slot *g, const uint8_t *data, ULONG size, GUID *id) {
    PEER_RECORD r;
    memset(&r, 0, sizeof r);
    r.dwSize = sizeof r;
    r.type = TEST_TYPE;
    r.ftExpiration = ft_in(24 * 3600);
    r.data.cbData = size;
    r.data.pbData = (PBYTE)data;
    return PeerGroupAddRecord(g->h, &r, id);
}

/* ------------------------------------------------------------------ */
/* Senders                                                             */
/* ------------------------------------------------------------------ */

static void *sender_main(void *arg) {
    sender *s = arg;
    uint8_t *buf = xmalloc(s->max ? s->max : 1);
    s->hr = S_OK;
    for (long i = 0; i < s->count; i++) {
        uint32_t seq = s->first + (uint32_t)i;
        size_t n = message_size(s->stream, seq, s->max, s->fixed);
        GUID type;
        fill_message(s->stream, seq, buf, n, &type);
        double t0 = now_ms();
        HRESULT hr = PeerGroupSendData(s->g->h, s->conn, &type, (ULONG)n, buf);
        double dt = now_ms() - t0;
        if (dt > s->max_block_ms) s->max_block_ms = dt;
        if (FAILED(hr)) {
            s->hr = hr;
            break;
        }
        s->bytes += n;
        atomic_fetch_add(&s->sent, 1);
    }
    free(buf);
    atomic_store(&s->done, 1);
    return NULL;
}

/* start_sender starts a thread sending count messages on conn. */
static sender *start_sender(slot *g, ULONGLONG conn, unsigned stream, long count, size_t max, int fixed) {
    for (int i = 0; i < MAX_SENDERS; i++) {
        sender *s = &st.senders[i];
        if (s->running) continue;
        memset(s, 0, sizeof *s);
        s->g = g, s->conn = conn, s->stream = stream, s->count = count, s->max = max, s->fixed = fixed;
        s->first = tx_reserve(conn, stream, (uint32_t)count);
        atomic_init(&s->sent, 0);
        atomic_init(&s->done, 0);
        if (pthread_create(&s->th, NULL, sender_main, s) != 0) return NULL;
        s->running = 1;
        return s;
    }
    return NULL;
}

/* join_senders waits up to secs for every running sender and reports
 * their totals; unfinished ones keep running. */
static void join_senders(double secs) {
    double deadline = now_ms() + secs * 1e3;
    long sent = 0, pending = 0;
    uint64_t bytes = 0;
    double block = 0;
    HRESULT hr = S_OK;
    for (int i = 0; i < MAX_SENDERS; i++) {
        sender *s = &st.senders[i];
        if (!s->running) continue;
        while (!atomic_load(&s->done) && now_ms() < deadline) sleep_ms(10);
        if (!atomic_load(&s->done)) {
            pending++;
            sent += atomic_load(&s->sent);
            continue;
        }
        pthread_join(s->th, NULL);
        s->running = 0;
        sent += atomic_load(&s->sent);
        bytes += s->bytes;
        if (s->max_block_ms > block) block = s->max_block_ms;
        if (FAILED(s->hr) && hr == S_OK) hr = s->hr;
    }
    if (pending) reply_err(E_FAIL, "timeout pending=%ld sent=%ld", pending, sent);
    else if (FAILED(hr)) reply_err(hr, "sent=%ld bytes=%" PRIu64 " maxblock_ms=%.0f", sent, bytes, block);
    else reply_ok("sent=%ld bytes=%" PRIu64 " maxblock_ms=%.0f", sent, bytes, block);
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

/* Arguments of the current command: argv-style, argv[0] the command;
 * rest is the unsplit text after the command. */
typedef struct {
    int argc;
    char *argv[64];
    char *rest;
} args;

static long argl(args *a, int i, long def) { return i < a->argc ? strtol(a->argv[i], NULL, 0) : def; }
static double argd(args *a, int i, double def) { return i < a->argc ? strtod(a->argv[i], NULL) : def; }
static ULONGLONG argu(args *a, int i) { return i < a->argc ? strtoull(a->argv[i], NULL, 0) : 0; }

#define NEED_GROUP()                                          \
    do {                                                      \
        if (!cur()->h) {                                      \
            reply_err(E_FAIL, "no group in slot %d", st.cur); \
            return;                                           \
        }                                                     \
        pump(cur());                                          \
    } while (0)

#define CHECK_HR(call, what)                 \
    do {                                     \
        HRESULT hr_ = (call);                \
        if (FAILED(hr_)) {                   \
            reply_err(hr_, "%s", what);      \
            return;                          \
        }                                    \
    } while (0)

static void cmd_startup(args *a) {
    PEER_VERSION_DATA v;
    HPEERENUM e = NULL;
    ULONG n = 0;
    PVOID *items = NULL;
    CHECK_HR(PeerGroupStartup(PEER_GROUP_VERSION, &v), "PeerGroupStartup");
    CHECK_HR(PeerEnumIdentities(&e), "PeerEnumIdentities");
    PeerGetItemCount(e, &n);
    if (n > 0 && SUCCEEDED(PeerGetNextItem(e, &n, &items)) && n > 0) {
        PEER_NAME_PAIR *p = items[0];
        size_t len = 0;
        while (p->pwzPeerName[len]) len++;
        st.identity = xmalloc((len + 1) * sizeof(WCHAR));
        memcpy(st.identity, p->pwzPeerName, (len + 1) * sizeof(WCHAR));
        PeerFreeData(items);
    }
    PeerEndEnumeration(e);
    if (!st.identity) {
        PWSTR fn = w(a->argc > 1 ? a->argv[1] : "peer");
        HRESULT hr = PeerIdentityCreate(NULL, fn, 0, &st.identity);
        free(fn);
        CHECK_HR(hr, "PeerIdentityCreate");
    }
    st.identity8 = u8(st.identity);
    reply_ok("%s", st.identity8);
}

static void cmd_identity_xml(args *a) {
    PWSTR xml = NULL;
    (void)a;
    CHECK_HR(PeerIdentityGetXML(st.identity, &xml), "PeerIdentityGetXML");
    char *s = u8(xml), *e = escape(s);
    reply_ok("%s", e);
    free(s), free(e);
    PeerFreeData(xml);
}

static void cmd_create(args *a) {
    PEER_GROUP_PROPERTIES p;
    slot *g = take_slot();
    if (!g) {
        reply_err(E_FAIL, "no free slot");
        return;
    }
    memset(&p, 0, sizeof p);
    p.dwSize = sizeof p;
    p.pwzCreatorPeerName = st.identity;
    p.pwzClassifier = w("nettest");
    p.pwzFriendlyName = w(a->argc > 1 ? a->rest : "net test");
    HRESULT hr = PeerGroupCreate(&p, &g->h);
    free(p.pwzClassifier), free(p.pwzFriendlyName);
    CHECK_HR(hr, "PeerGroupCreate");
    CHECK_HR(register_events(g), "PeerGroupRegisterEvent");
    CHECK_HR(group_name(g), "PeerGroupGetProperties");
    reply_ok("%s", g->name);
}

static void cmd_invite(args *a) {
    NEED_GROUP();
    PWSTR inv = NULL;
    if (a->argc < 2) {
        reply_err(E_INVALIDARG, "invite <identity-xml>");
        return;
    }
    unescape(a->rest);
    PWSTR xml = w(a->rest);
    HRESULT hr = PeerGroupCreateInvitation(cur()->h, xml, NULL, 0, NULL, &inv);
    free(xml);
    CHECK_HR(hr, "PeerGroupCreateInvitation");
    char *s = u8(inv), *e = escape(s);
    reply_ok("%s", e);
    free(s), free(e);
    PeerFreeData(inv);
}

static void cmd_join(args *a) {
    slot *g = take_slot();
    if (!g || a->argc < 2) {
        reply_err(E_INVALIDARG, "join <invitation>");
        return;
    }
    unescape(a->rest);
    PWSTR inv = w(a->rest);
    HRESULT hr = PeerGroupJoin(st.identity, inv, NULL, &g->h);
    free(inv);
    CHECK_HR(hr, "PeerGroupJoin");
    CHECK_HR(register_events(g), "PeerGroupRegisterEvent");
    CHECK_HR(group_name(g), "PeerGroupGetProperties");
    reply_ok("%s", g->name);
}

static void cmd_open(args *a) {
    slot *g = take_slot();
    if (!g || a->argc < 2) {
        reply_err(E_INVALIDARG, "open <group>");
        return;
    }
    PWSTR name = w(a->argv[1]);
    HRESULT hr = PeerGroupOpen(st.identity, name, NULL, &g->h);
    free(name);
    CHECK_HR(hr, "PeerGroupOpen");
    CHECK_HR(register_events(g), "PeerGroupRegisterEvent");
    CHECK_HR(group_name(g), "PeerGroupGetProperties");
    reply_ok("%s", g->name);
}

static void cmd_connect(args *a) {
    (void)a;
    NEED_GROUP();
    HRESULT hr = PeerGroupConnect(cur()->h);
    CHECK_HR(hr, "PeerGroupConnect");
    reply_ok("%s", hr == PEER_S_ALREADY_CONNECTED ? "already" : "connected");
}

static void cmd_connect_addr(args *a) {
    NEED_GROUP();
    PEER_ADDRESS pa;
    unsigned b[4];
    if (a->argc < 3 || sscanf(a->argv[1], "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]) != 4) {
        reply_err(E_INVALIDARG, "connect-addr <ipv4> <port>");
        return;
    }
    memset(&pa, 0, sizeof pa);
    pa.dwSize = sizeof pa;
    pa.sin6.sin6_family = 10; /* AF_INET6 on Linux */
    uint16_t port = (uint16_t)atoi(a->argv[2]);
    pa.sin6.sin6_port = (uint16_t)((port >> 8) | (port << 8));
    pa.sin6.sin6_addr.u.Byte[10] = 0xff;
    pa.sin6.sin6_addr.u.Byte[11] = 0xff;
    for (int i = 0; i < 4; i++) pa.sin6.sin6_addr.u.Byte[12 + i] = (BYTE)b[i];
    HRESULT hr = PeerGroupConnectByAddress(cur()->h, 1, &pa);
    CHECK_HR(hr, "PeerGroupConnectByAddress");
    reply_ok("%s", hr == PEER_S_ALREADY_CONNECTED ? "already" : "connected");
}

/* The group is ready (may publish) once it answers a peer-time
 * conversion: that fails with PEER_E_GROUP_NOT_READY until then. */
static void cmd_wait_ready(args *a) {
    NEED_GROUP();
    double t0 = now_ms(), deadline = t0 + argd(a, 1, 30) * 1e3;
    FILETIME in = ft_in(0), out;
    HRESULT hr;
    while ((hr = PeerGroupPeerTimeToUniversalTime(cur()->h, &in, &out)) == PEER_E_GROUP_NOT_READY &&
           now_ms() < deadline) {
        evt_wait(cur()->ctl_fd, 50);
        pump(cur());
    }
    CHECK_HR(hr, "not ready");
    reply_ok("%.0f", now_ms() - t0);
}

static HRESULT count_connections(slot *g, DWORD flags, ULONG *n) {
    HPEERENUM e = NULL;
    HRESULT hr = PeerGroupEnumConnections(g->h, flags, &e);
    if (FAILED(hr)) return hr;
    hr = PeerGetItemCount(e, n);
    PeerEndEnumeration(e);
    return hr;
}

static void cmd_wait_neighbors(args *a) {
    NEED_GROUP();
    ULONG want = (ULONG)argl(a, 1, 1), n = 0;
    double t0 = now_ms(), deadline = t0 + argd(a, 2, 30) * 1e3;
    for (;;) {
        CHECK_HR(count_connections(cur(), PEER_CONNECTION_NEIGHBOR, &n), "PeerGroupEnumConnections");
        if (n >= want || now_ms() >= deadline) break;
        evt_wait(cur()->ctl_fd, 100);
        pump(cur());
    }
    if (n < want) reply_err(E_FAIL, "timeout neighbors=%lu", (unsigned long)n);
    else reply_ok("%lu %.0f", (unsigned long)n, now_ms() - t0);
}

static void cmd_status(args *a) {
    (void)a;
    NEED_GROUP();
    DWORD s = 0;
    ULONG nb = 0, dc = 0;
    CHECK_HR(PeerGroupGetStatus(cur()->h, &s), "PeerGroupGetStatus");
    CHECK_HR(count_connections(cur(), PEER_CONNECTION_NEIGHBOR, &nb), "PeerGroupEnumConnections");
    CHECK_HR(count_connections(cur(), PEER_CONNECTION_DIRECT, &dc), "PeerGroupEnumConnections");
    reply_ok("status=0x%x neighbors=%lu directs=%lu", (unsigned)s, (unsigned long)nb, (unsigned long)dc);
}

/* format_address writes an IPv4-mapped address as a.b.c.d:port. */
static void format_address(const PEER_ADDRESS *pa, char *out, size_t size) {
    const BYTE *b = pa->sin6.sin6_addr.u.Byte;
    unsigned port = (unsigned)((pa->sin6.sin6_port >> 8) | ((pa->sin6.sin6_port & 0xff) << 8));
    static const BYTE mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, 12) == 0) {
        snprintf(out, size, "%u.%u.%u.%u:%u", b[12], b[13], b[14], b[15], port);
    } else {
        int o = snprintf(out, size, "[");
        for (int i = 0; i < 16 && o < (int)size; i += 2)
            o += snprintf(out + o, size - (size_t)o, "%s%x", i ? ":" : "", (unsigned)(b[i] << 8 | b[i + 1]));
        snprintf(out + o, size - (size_t)o, "]:%u", port);
    }
}

/* members prints "n name:flags:addr,addr ..."; with own only this
 * member's addresses. */
static void list_members(int own) {
    HPEERENUM e = NULL;
    ULONG n = 0;
    PVOID *items = NULL;
    CHECK_HR(PeerGroupEnumMembers(cur()->h, 0, own ? st.identity : NULL, &e), "PeerGroupEnumMembers");
    PeerGetItemCount(e, &n);
    if (n > 0 && FAILED(PeerGetNextItem(e, &n, &items))) n = 0;
    size_t cap = 64 + (size_t)n * 512, len = 0;
    char *out = xmalloc(cap);
    len += (size_t)snprintf(out, cap, "%lu", (unsigned long)n);
    for (ULONG i = 0; i < n; i++) {
        PEER_MEMBER *m = items[i];
        char *name = u8(m->pwzIdentity);
        if (own) len = 0;
        len += (size_t)snprintf(out + len, cap - len, own ? "%s" : " %s:%lu", own ? "" : name,
                                (unsigned long)m->dwFlags);
        for (ULONG k = 0; k < m->cAddresses && k < 4; k++) {
            char addr[80];
            format_address(&m->pAddresses[k], addr, sizeof addr);
            len += (size_t)snprintf(out + len, cap - len, "%s%s", own ? (k ? " " : "") : (k ? "," : ":"), addr);
        }
        free(name);
    }
    if (own && n == 0) out[0] = 0;
    reply_ok("%s", out);
    free(out);
    if (items) PeerFreeData(items);
    PeerEndEnumeration(e);
}

static void cmd_members(args *a) {
    (void)a;
    NEED_GROUP();
    list_members(0);
}

/* member_present is 1 if EnumMembers lists the member as
 * PEER_MEMBER_PRESENT, 0 if it lists it otherwise, -1 if not at all. */
static int member_present(slot *g, const char *who8) {
    HPEERENUM e = NULL;
    ULONG n = 0;
    PVOID *items = NULL;
    int out = -1;
    PWSTR who = w(who8);
    HRESULT hr = PeerGroupEnumMembers(g->h, 0, who, &e);
    free(who);
    if (FAILED(hr)) return -1;
    PeerGetItemCount(e, &n);
    if (n > 0 && SUCCEEDED(PeerGetNextItem(e, &n, &items)) && n > 0)
        out = (((PEER_MEMBER *)items[0])->dwFlags & PEER_MEMBER_PRESENT) != 0;
    if (items) PeerFreeData(items);
    PeerEndEnumeration(e);
    return out;
}

/* wait-member <identity> present|absent <s>: polls PeerGroupEnumMembers
 * until the member is (or is no longer) PEER_MEMBER_PRESENT and prints
 * how long that took in milliseconds. */
static void cmd_wait_member(args *a) {
    NEED_GROUP();
    slot *g = cur();
    if (a->argc < 3) {
        reply_err(E_INVALIDARG, "wait-member <identity> present|absent <s>");
        return;
    }
    int want = strcmp(a->argv[2], "present") == 0;
    double t0 = now_ms(), deadline = t0 + argd(a, 3, 10) * 1e3;
    int got;
    while ((got = member_present(g, a->argv[1])) != want) {
        if (now_ms() >= deadline) {
            reply_err(E_FAIL, "timeout: member is %s", got == 1 ? "present" : got == 0 ? "absent" : "unknown");
            return;
        }
        evt_wait(g->ctl_fd, 50);
        pump(g);
    }
    pump(g);
    reply_ok("%.0f", now_ms() - t0);
}

static void cmd_addr(args *a) {
    (void)a;
    NEED_GROUP();
    list_members(1);
}

static void cmd_add(args *a) {
    NEED_GROUP();
    long count = argl(a, 1, 1), size = argl(a, 2, 100);
    uint8_t *buf = xmalloc((size_t)size);
    long i;
    for (i = 0; i < count; i++) {
        GUID id;
        for (long k = 0; k < size; k += 8) {
            uint64_t v = mix64(&st.seed);
            memcpy(buf + k, &v, (size_t)(size - k < 8 ? size - k : 8));
        }
        HRESULT hr = add_record(cur(), buf, (ULONG)size, &id);
        if (FAILED(hr)) {
            free(buf);
            reply_err(hr, "PeerGroupAddRecord added=%ld", i);
            return;
        }
        if (i % 64 == 0) pump(cur());
    }
    free(buf);
    reply_ok("%ld", i);
}

/* add-ids <n> <size>: adds n test records (n <= 100) and prints their
 * ids: each one acknowledged by S_OK. On a failure it prints the ids
 * acknowledged before it after the HRESULT. */
static void cmd_add_ids(args *a) {
    NEED_GROUP();
    long count = argl(a, 1, 1), size = argl(a, 2, 100);
    if (count < 1 || count > 100 || size < 0 || size > 65536) {
        reply_err(E_INVALIDARG, "add-ids <1..100> <0..65536>");
        return;
    }
    uint8_t *buf = xmalloc((size_t)size);
    char *out = xmalloc((size_t)count * 37 + 1);
    size_t len = 0;
    out[0] = 0;
    for (long i = 0; i < count; i++) {
        GUID id;
        for (long k = 0; k < size; k += 8) {
            uint64_t v = mix64(&st.seed);
            memcpy(buf + k, &v, (size_t)(size - k < 8 ? size - k : 8));
        }
        HRESULT hr = add_record(cur(), buf, (ULONG)size, &id);
        if (FAILED(hr)) {
            reply_err(hr, "PeerGroupAddRecord acknowledged %s", out);
            free(buf), free(out);
            return;
        }
        if (len) out[len++] = ' ';
        guid_str(&id, out + len);
        len += 36;
    }
    pump(cur());
    reply_ok("%s", out);
    free(buf), free(out);
}

/* missing <id>...: how many of the records named are not live here,
 * and the first of them. */
static void cmd_missing(args *a) {
    NEED_GROUP();
    long missing = 0;
    const char *first = "-";
    for (int i = 1; i < a->argc; i++) {
        GUID id;
        PEER_RECORD *r = NULL;
        if (!guid_parse(a->argv[i], &id)) {
            reply_err(E_INVALIDARG, "not a record id: %s", a->argv[i]);
            return;
        }
        if (FAILED(PeerGroupGetRecord(cur()->h, &id, &r))) {
            if (!missing) first = a->argv[i];
            missing++;
        } else {
            PeerFreeData(r);
        }
    }
    reply_ok("%ld %s", missing, first);
}

static void cmd_add_text(args *a) {
    NEED_GROUP();
    GUID id;
    char s[37];
    const char *text = a->argc > 1 ? a->rest : "";
    CHECK_HR(add_record(cur(), (const uint8_t *)text, (ULONG)strlen(text), &id), "PeerGroupAddRecord");
    guid_str(&id, s);
    reply_ok("%s", s);
}

/* delete <n> own|others|<creator>: deletes n live test records created
 * by this member, by others (an administrator's right) or by the member
 * named. */
static void cmd_delete(args *a) {
    NEED_GROUP();
    long want = argl(a, 1, 1), done = 0;
    const char *whose = a->argc > 2 ? a->argv[2] : "own";
    rec *r;
    size_t n;
    CHECK_HR(list_records(cur(), &r, &n), "PeerGroupEnumRecords");
    for (size_t i = 0; i < n && done < want; i++) {
        int mine = strcmp(r[i].creator, st.identity8) == 0;
        if (strcmp(whose, "own") == 0 ? !mine : strcmp(whose, "others") == 0 ? mine : strcmp(r[i].creator, whose) != 0)
            continue;
        GUID id;
        guid_parse(r[i].id, &id);
        HRESULT hr = PeerGroupDeleteRecord(cur()->h, &id);
        if (FAILED(hr)) {
            free_recs(r, n);
            reply_err(hr, "PeerGroupDeleteRecord deleted=%ld", done);
            return;
        }
        done++;
    }
    free_recs(r, n);
    reply_ok("%ld", done);
}

/* count prints the live test records and how many this member created. */
static void cmd_count(args *a) {
    (void)a;
    NEED_GROUP();
    rec *r;
    size_t n, own = 0;
    CHECK_HR(list_records(cur(), &r, &n), "PeerGroupEnumRecords");
    for (size_t i = 0; i < n; i++) own += strcmp(r[i].creator, st.identity8) == 0;
    free_recs(r, n);
    reply_ok("%zu own=%zu", n, own);
}

static void cmd_digest(args *a) {
    (void)a;
    NEED_GROUP();
    char hex[65];
    size_t n;
    CHECK_HR(digest(cur(), hex, &n), "digest");
    reply_ok("%s %zu", hex, n);
}

/* wait-count <n> <s> and wait-digest <hex> <s>: poll until the records
 * match. */
static void wait_records(args *a, int by_digest) {
    NEED_GROUP();
    double t0 = now_ms(), deadline = t0 + argd(a, 2, 30) * 1e3;
    char hex[65] = "";
    size_t n = 0;
    long want = by_digest ? -1 : argl(a, 1, 0);
    if (a->argc < 2) {
        reply_err(E_INVALIDARG, "missing argument");
        return;
    }
    for (;;) {
        CHECK_HR(digest(cur(), hex, &n), "digest");
        if (by_digest ? strcmp(hex, a->argv[1]) == 0 : (long)n == want) break;
        if (now_ms() >= deadline) {
            reply_err(E_FAIL, "timeout count=%zu digest=%s", n, hex);
            return;
        }
        evt_wait(cur()->ctl_fd, 200);
        pump(cur());
    }
    reply_ok("%.0f %zu %s", now_ms() - t0, n, hex);
}

static void cmd_wait_count(args *a) { wait_records(a, 0); }
static void cmd_wait_digest(args *a) { wait_records(a, 1); }

/* get prints a record's creator, version, size and data digest. */
static void cmd_get(args *a) {
    NEED_GROUP();
    GUID id;
    PEER_RECORD *r = NULL;
    sha256 s;
    char hex[65];
    if (a->argc < 2 || !guid_parse(a->argv[1], &id)) {
        reply_err(E_INVALIDARG, "get <record id>");
        return;
    }
    CHECK_HR(PeerGroupGetRecord(cur()->h, &id, &r), "PeerGroupGetRecord");
    sha256_init(&s);
    sha256_write(&s, r->data.pbData, r->data.cbData);
    sha256_hex(&s, hex);
    char *creator = u8(r->pwzCreatorId);
    reply_ok("%s %lu %lu %s", creator, (unsigned long)r->dwVersion, (unsigned long)r->data.cbData, hex);
    free(creator);
    PeerFreeData(r);
}

/* wait-record waits for RECORD_CHANGED (ADDED) of a test record another
 * member created and reads it: id, creator and data as escaped text. */
static void cmd_wait_record(args *a) {
    NEED_GROUP();
    slot *g = cur();
    double deadline = now_ms() + argd(a, 1, 30) * 1e3;
    for (;;) {
        while (g->n_added == 0 && now_ms() < deadline) {
            evt_wait(g->ctl_fd, (int)(deadline - now_ms()));
            pump(g);
        }
        if (g->n_added == 0) {
            reply_err(E_FAIL, "timeout: no RECORD_CHANGED");
            return;
        }
        GUID id = g->added[0];
        memmove(g->added, g->added + 1, (g->n_added - 1) * sizeof(GUID));
        g->n_added--;
        PEER_RECORD *r = NULL;
        char s[37];
        guid_str(&id, s);
        CHECK_HR(PeerGroupGetRecord(g->h, &id, &r), "PeerGroupGetRecord");
        char *creator = u8(r->pwzCreatorId);
        if (strcmp(creator, st.identity8) != 0) {
            char *text = xmalloc(r->data.cbData + 1);
            memcpy(text, r->data.pbData, r->data.cbData);
            text[r->data.cbData] = 0;
            char *e = escape(text);
            reply_ok("%s %s %s", s, creator, e);
            free(creator), free(text), free(e);
            PeerFreeData(r);
            return;
        }
        free(creator);
        PeerFreeData(r);
    }
}

static void cmd_events(args *a) {
    (void)a;
    NEED_GROUP();
    slot *g = cur();
    reply_ok("records=%ld added=%ld updated=%ld deleted=%ld %s", g->log_records, g->rec_added, g->rec_updated,
             g->rec_deleted, g->log ? g->log : "");
    g->log_len = 0;
    g->log_records = 0;
    if (g->log) g->log[0] = 0;
}

/* find_direct returns the first event for id with the status, or NULL. */
static direct_event *find_direct(slot *g, ULONGLONG id, int status) {
    for (size_t i = 0; i < g->n_directs; i++)
        if (g->directs[i].id == id && (status == 0 || g->directs[i].status == status)) return &g->directs[i];
    return NULL;
}

static void cmd_direct_open(args *a) {
    NEED_GROUP();
    slot *g = cur();
    ULONGLONG id = 0;
    if (a->argc < 2) {
        reply_err(E_INVALIDARG, "direct-open <identity> [seconds]");
        return;
    }
    PWSTR who = w(a->argv[1]);
    HRESULT hr = PeerGroupOpenDirectConnection(g->h, who, NULL, &id);
    free(who);
    CHECK_HR(hr, "PeerGroupOpenDirectConnection");
    if (n_opened < sizeof opened_ids / sizeof opened_ids[0]) opened_ids[n_opened++] = id;
    double t0 = now_ms(), deadline = t0 + argd(a, 2, 20) * 1e3;
    direct_event *e;
    while (!(e = find_direct(g, id, 0)) && now_ms() < deadline) {
        evt_wait(g->ctl_fd, (int)(deadline - now_ms()));
        pump(g);
    }
    if (!e) reply_err(E_FAIL, "timeout: no DIRECT_CONNECTION for %" PRIu64, (uint64_t)id);
    else if (e->status != PEER_CONNECTED) reply_err(e->hr, "%s %" PRIu64, conn_status(e->status), (uint64_t)id);
    else reply_ok("%" PRIu64 " %.0f", (uint64_t)id, now_ms() - t0);
}

/* direct-flood <identity> <n>: n PeerGroupOpenDirectConnection calls in
 * a row (draining events now and then, as an application would); prints
 * how many returned S_OK, how many E_OUTOFMEMORY (the bound on pending
 * attempts) and the first other HRESULT (0 if none). */
static void cmd_direct_flood(args *a) {
    NEED_GROUP();
    slot *g = cur();
    long n = argl(a, 2, 1), ok = 0, bounded = 0;
    HRESULT other = S_OK;
    if (a->argc < 3) {
        reply_err(E_INVALIDARG, "direct-flood <identity> <n>");
        return;
    }
    PWSTR who = w(a->argv[1]);
    for (long i = 0; i < n; i++) {
        ULONGLONG id = 0;
        HRESULT hr = PeerGroupOpenDirectConnection(g->h, who, NULL, &id);
        if (hr == S_OK) ok++;
        else if (hr == E_OUTOFMEMORY) bounded++;
        else if (other == S_OK) other = hr;
        if (i % 256 == 255) pump(g);
    }
    free(who);
    pump(g);
    reply_ok("ok=%ld bounded=%ld other=0x%08" PRIx32, ok, bounded, (uint32_t)other);
}

/* direct-failed: how many DIRECT_CONNECTION events with
 * PEER_CONNECTION_FAILED this slot has seen. */
static void cmd_direct_failed(args *a) {
    (void)a;
    NEED_GROUP();
    slot *g = cur();
    long failed = 0;
    pump(g);
    for (size_t i = 0; i < g->n_directs; i++) failed += g->directs[i].status == PEER_CONNECTION_FAILED;
    reply_ok("%ld", failed);
}

static void cmd_wait_accept(args *a) {
    NEED_GROUP();
    slot *g = cur();
    double deadline = now_ms() + argd(a, 1, 20) * 1e3;
    for (;;) {
        for (size_t i = 0; i < g->n_directs; i++) {
            direct_event *e = &g->directs[i];
            if (e->status == PEER_CONNECTED && !e->opened_here && !is_opened_here(g, e->id) && !e->accepted) {
                e->accepted = 1;
                reply_ok("%" PRIu64, (uint64_t)e->id);
                return;
            }
        }
        if (now_ms() >= deadline) break;
        evt_wait(g->ctl_fd, (int)(deadline - now_ms()));
        pump(g);
    }
    reply_err(E_FAIL, "timeout: no inbound direct connection");
}

static void cmd_wait_direct(args *a) {
    NEED_GROUP();
    slot *g = cur();
    ULONGLONG id = argu(a, 1);
    const char *want = a->argc > 2 ? a->argv[2] : "connected";
    int status = strcmp(want, "disconnected") == 0 ? PEER_DISCONNECTED
                 : strcmp(want, "failed") == 0     ? PEER_CONNECTION_FAILED
                                                   : PEER_CONNECTED;
    double t0 = now_ms(), deadline = t0 + argd(a, 3, 30) * 1e3;
    direct_event *e;
    while (!(e = find_direct(g, id, status)) && now_ms() < deadline) {
        evt_wait(g->ctl_fd, (int)(deadline - now_ms()));
        pump(g);
    }
    if (!e) reply_err(E_FAIL, "timeout: no DIRECT_CONNECTION %s for %" PRIu64, want, (uint64_t)id);
    else reply_ok("%.0f 0x%08" PRIx32, now_ms() - t0, (uint32_t)e->hr);
}

static void cmd_direct_close(args *a) {
    NEED_GROUP();
    CHECK_HR(PeerGroupCloseDirectConnection(cur()->h, argu(a, 1)), "PeerGroupCloseDirectConnection");
    reply_ok(NULL);
}

static void cmd_connections(args *a) {
    NEED_GROUP();
    HPEERENUM e = NULL;
    ULONG n = 0;
    PVOID *items = NULL;
    CHECK_HR(PeerGroupEnumConnections(cur()->h, (DWORD)argl(a, 1, 0), &e), "PeerGroupEnumConnections");
    PeerGetItemCount(e, &n);
    if (n > 0 && FAILED(PeerGetNextItem(e, &n, &items))) n = 0;
    char *out = xmalloc(32 + (size_t)n * 200);
    size_t len = (size_t)sprintf(out, "%lu", (unsigned long)n);
    for (ULONG i = 0; i < n; i++) {
        PEER_CONNECTION_INFO *c = items[i];
        char *peer = u8(c->pwzPeerId);
        len += (size_t)sprintf(out + len, " %s:%" PRIu64 ":%.60s", c->dwFlags & PEER_CONNECTION_DIRECT ? "D" : "N",
                               (uint64_t)c->ullConnectionId, peer);
        free(peer);
    }
    reply_ok("%s", out);
    free(out);
    if (items) PeerFreeData(items);
    PeerEndEnumeration(e);
}

/* path <conn>: how a direct or neighbour connection runs, from
 * PeerGroupEnumConnections: "direct <ip>:<port>" or "relayed <relay
 * ip>:<port>" (PEER_CONNECTION_RELAYED), the address it uses. */
static void cmd_path(args *a) {
    NEED_GROUP();
    HPEERENUM e = NULL;
    ULONG n = 0;
    PVOID *items = NULL;
    ULONGLONG id = argu(a, 1);
    CHECK_HR(PeerGroupEnumConnections(cur()->h, PEER_CONNECTION_NEIGHBOR | PEER_CONNECTION_DIRECT, &e),
             "PeerGroupEnumConnections");
    PeerGetItemCount(e, &n);
    if (n > 0 && FAILED(PeerGetNextItem(e, &n, &items))) n = 0;
    PeerEndEnumeration(e);
    for (ULONG i = 0; i < n; i++) {
        PEER_CONNECTION_INFO *c = items[i];
        if (c->ullConnectionId != id) continue;
        const BYTE *b = c->address.sin6.sin6_addr.u.Byte;
        unsigned port = (unsigned)((c->address.sin6.sin6_port & 0xff) << 8 | c->address.sin6.sin6_port >> 8);
        reply_ok("%s %u.%u.%u.%u:%u", c->dwFlags & PEER_CONNECTION_RELAYED ? "relayed" : "direct", b[12], b[13], b[14],
                 b[15], port);
        PeerFreeData(items);
        return;
    }
    if (items) PeerFreeData(items);
    reply_err(PEER_E_CONNECTION_NOT_FOUND, "no connection %" PRIu64, (uint64_t)id);
}

/* send <conn> <count> <max> [skew|fixed] sends on one thread and waits. */
static void cmd_send(args *a) {
    NEED_GROUP();
    int fixed = a->argc > 4 && strcmp(a->argv[4], "fixed") == 0;
    if (!start_sender(cur(), argu(a, 1), 1, argl(a, 2, 1), (size_t)argl(a, 3, MAX_DATA), fixed)) {
        reply_err(E_FAIL, "cannot start sender");
        return;
    }
    join_senders(1e9);
}

/* send-bg <conn> <count> <max> [skew|fixed] [stream] starts a sender and
 * returns at once; send-wait collects it. */
static void cmd_send_bg(args *a) {
    NEED_GROUP();
    int fixed = a->argc > 4 && strcmp(a->argv[4], "fixed") == 0;
    unsigned stream = (unsigned)argl(a, 5, 1);
    if (!start_sender(cur(), argu(a, 1), stream, argl(a, 2, 1), (size_t)argl(a, 3, MAX_DATA), fixed)) {
        reply_err(E_FAIL, "cannot start sender");
        return;
    }
    reply_ok("started");
}

/* send-parallel <count> <max> <conn>... : one thread per connection,
 * all at once; streams 1..n. */
static void cmd_send_parallel(args *a) {
    NEED_GROUP();
    long count = argl(a, 1, 1);
    size_t max = (size_t)argl(a, 2, MAX_DATA);
    for (int i = 3; i < a->argc; i++)
        if (!start_sender(cur(), argu(a, i), (unsigned)(i - 2), count, max, 0)) {
            reply_err(E_FAIL, "cannot start sender %d", i - 2);
            return;
        }
    join_senders(1e9);
}

static void cmd_send_wait(args *a) { join_senders(argd(a, 1, 120)); }

static void cmd_send_progress(args *a) {
    (void)a;
    long sent = 0;
    int running = 0;
    for (int i = 0; i < MAX_SENDERS; i++)
        if (st.senders[i].running) {
            sent += atomic_load(&st.senders[i].sent);
            running += !atomic_load(&st.senders[i].done);
        }
    reply_ok("%ld %d", sent, running);
}

/* sendone <conn> <size> [null]: one PeerGroupSendData call, to check the
 * HRESULT of bad arguments. Valid messages use stream 0xffff. */
static void cmd_sendone(args *a) {
    NEED_GROUP();
    ULONGLONG conn = argu(a, 1);
    size_t n = (size_t)argl(a, 2, 0);
    int null_type = a->argc > 3 && strcmp(a->argv[3], "null") == 0;
    uint8_t *buf = xmalloc(n);
    GUID type;
    uint32_t seq = n <= MAX_DATA && !null_type ? tx_reserve(conn, 0xffff, 1) : 0;
    fill_message(0xffff, seq, buf, n, &type);
    HRESULT hr = PeerGroupSendData(cur()->h, conn, null_type ? NULL : &type, (ULONG)n, buf);
    free(buf);
    CHECK_HR(hr, "PeerGroupSendData");
    reply_ok(NULL);
}

/* check_message verifies one INCOMING_DATA against its type GUID and the
 * order of its (connection, stream); it returns NULL or the problem. */
static const char *check_message(slot *g, PEER_EVENT_INCOMING_DATA *in, char *why, size_t size) {
    const GUID *t = &in->type;
    unsigned stream = t->Data2;
    uint32_t seq = t->Data1;
    uint64_t want = 0;
    if (in->dwSize != sizeof(PEER_EVENT_INCOMING_DATA)) {
        snprintf(why, size, "dwSize %lu", (unsigned long)in->dwSize);
        return why;
    }
    if (t->Data3 != MSG_MAGIC) {
        snprintf(why, size, "foreign type GUID on connection %" PRIu64, (uint64_t)in->ullConnectionId);
        return why;
    }
    for (int k = 0; k < 8; k++) want = want << 8 | t->Data4[k];
    if (checksum(stream, seq, in->data.pbData, in->data.cbData) != want) {
        snprintf(why, size, "checksum mismatch: stream %u seq %" PRIu32 " size %lu", stream, seq,
                 (unsigned long)in->data.cbData);
        return why;
    }
    size_t i;
    for (i = 0; i < g->n_rx; i++)
        if (g->rx[i].conn == in->ullConnectionId && g->rx[i].stream == stream) break;
    if (i == g->n_rx) {
        if (g->n_rx == MAX_STREAMS) return "too many streams";
        g->rx[i].conn = in->ullConnectionId, g->rx[i].stream = stream, g->rx[i].next = 0;
        g->n_rx++;
    }
    if (seq != g->rx[i].next) {
        snprintf(why, size, "connection %" PRIu64 " stream %u: got seq %" PRIu32 ", want %" PRIu32,
                 (uint64_t)in->ullConnectionId, stream, seq, g->rx[i].next);
        return why;
    }
    g->rx[i].next++;
    return NULL;
}

/* recv <count> <seconds> [delay-ms]: receive and check count messages;
 * with a delay, sleep that long after each (a slow reader). */
static void cmd_recv(args *a) {
    NEED_GROUP();
    slot *g = cur();
    long want = argl(a, 1, 1), got = 0, zero = 0, max = 0;
    int delay = (int)argl(a, 3, 0);
    uint64_t bytes = 0;
    double t0 = now_ms(), deadline = t0 + argd(a, 2, 30) * 1e3;
    char why[200];
    while (got < want) {
        PEER_GROUP_EVENT_DATA *d = NULL;
        HRESULT hr = PeerGroupGetEventData(g->data, &d);
        if (FAILED(hr)) {
            reply_err(hr, "PeerGroupGetEventData got=%ld", got);
            return;
        }
        if (hr == PEER_S_NO_EVENT_DATA) {
            if (now_ms() >= deadline) {
                reply_err(E_FAIL, "timeout got=%ld bytes=%" PRIu64, got, bytes);
                return;
            }
            evt_wait(g->data_fd, 100);
            evt_drain(g->data_fd);
            continue;
        }
        const char *bad = d->eventType != PEER_GROUP_EVENT_INCOMING_DATA ? "not INCOMING_DATA"
                                                                          : check_message(g, &d->incomingData, why,
                                                                                          sizeof why);
        if (bad) {
            PeerFreeData(d);
            reply_err(E_FAIL, "message %ld: %s", got, bad);
            return;
        }
        bytes += d->incomingData.data.cbData;
        zero += d->incomingData.data.cbData == 0;
        max += d->incomingData.data.cbData == MAX_DATA;
        got++;
        PeerFreeData(d);
        if (delay > 0) sleep_ms(delay);
    }
    reply_ok("got=%ld bytes=%" PRIu64 " zero=%ld max=%ld ms=%.0f", got, bytes, zero, max, now_ms() - t0);
}

/* name prints the group's friendly name (the rest of the line). */
static void cmd_name(args *a) {
    (void)a;
    NEED_GROUP();
    PEER_GROUP_PROPERTIES *p = NULL;
    CHECK_HR(PeerGroupGetProperties(cur()->h, &p), "PeerGroupGetProperties");
    char *n = u8(p->pwzFriendlyName);
    reply_ok("%s", n);
    free(n);
    PeerFreeData(p);
}

/* set-name <friendly name>: an administrator renames the group. */
static void cmd_set_name(args *a) {
    NEED_GROUP();
    PEER_GROUP_PROPERTIES *p = NULL;
    CHECK_HR(PeerGroupGetProperties(cur()->h, &p), "PeerGroupGetProperties");
    PWSTR name = w(a->rest);
    p->pwzFriendlyName = name;
    HRESULT hr = PeerGroupSetProperties(cur()->h, p);
    free(name);
    PeerFreeData(p);
    CHECK_HR(hr, "PeerGroupSetProperties");
    reply_ok(NULL);
}

/* wait-name <seconds> <friendly name>: polls until the group has that
 * friendly name. */
static void cmd_wait_name(args *a) {
    NEED_GROUP();
    double t0 = now_ms(), deadline = t0 + argd(a, 1, 30) * 1e3;
    const char *want = a->rest;
    while (*want && *want != ' ') want++;
    while (*want == ' ') want++;
    for (;;) {
        PEER_GROUP_PROPERTIES *p = NULL;
        CHECK_HR(PeerGroupGetProperties(cur()->h, &p), "PeerGroupGetProperties");
        char *n = u8(p->pwzFriendlyName);
        int same = strcmp(n, want) == 0;
        PeerFreeData(p);
        if (same || now_ms() >= deadline) {
            if (same) reply_ok("%.0f", now_ms() - t0);
            else reply_err(E_FAIL, "timeout: friendly name is %s", n);
            free(n);
            return;
        }
        free(n);
        evt_wait(cur()->ctl_fd, 100);
        pump(cur());
    }
}

/* ------------------------------------------------------------------ */
/* Commands of the attack tests                                        */
/* ------------------------------------------------------------------ */

/* rest_after returns the text of the command line after its first k
 * arguments (the command word not counted), spaces inside kept. */
static const char *rest_after(args *a, int k) {
    const char *p = a->rest;
    for (int i = 0; i < k; i++) {
        while (*p && *p != ' ') p++;
        while (*p == ' ') p++;
    }
    return p;
}

static int str_cmp(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

/* A live application record of any type, for "state". */
typedef struct {
    char id[37];
    char type[37];
    DWORD version;
    char *creator, *modifier;
    uint8_t *data;
    ULONG size;
} any_rec;

static int any_rec_cmp(const void *x, const void *y) { return strcmp(((const any_rec *)x)->id, ((const any_rec *)y)->id); }

/* excluded reports whether id is one of the command's arguments. */
static int excluded(args *a, const char *id) {
    for (int i = 1; i < a->argc; i++) {
        const char *x = a->argv[i][0] == '{' ? a->argv[i] + 1 : a->argv[i];
        if (strncasecmp(x, id, 36) == 0) return 1;
    }
    return 0;
}

/* state [id...] hashes what an attack must leave alone: every live
 * application record of every type (id, type, version, creator, last
 * modifier, data) but the records named, the sorted peer names of the
 * members and the group's friendly name. Presence (who is online, where)
 * is left out: honest connections change it. Prints "<sha256>
 * records=<n> members=<m>". */
static void cmd_state(args *a) {
    NEED_GROUP();
    slot *g = cur();
    HPEERENUM e = NULL;
    ULONG n = 0, m = 0;
    PVOID *items = NULL;
    sha256 s;
    char hex[65];
    sha256_init(&s);

    CHECK_HR(PeerGroupEnumRecords(g->h, NULL, &e), "PeerGroupEnumRecords");
    HRESULT hr = PeerGetItemCount(e, &n);
    if (SUCCEEDED(hr) && n > 0) hr = PeerGetNextItem(e, &n, &items);
    PeerEndEnumeration(e);
    CHECK_HR(hr, "PeerGetNextItem(records)");
    any_rec *r = xmalloc((n ? n : 1) * sizeof(any_rec));
    for (ULONG i = 0; i < n; i++) {
        PEER_RECORD *p = items[i];
        guid_str(&p->id, r[i].id);
        guid_str(&p->type, r[i].type);
        r[i].version = p->dwVersion;
        r[i].creator = u8(p->pwzCreatorId);
        r[i].modifier = u8(p->pwzModifiedById);
        r[i].size = p->data.cbData;
        r[i].data = xmalloc(p->data.cbData);
        if (p->data.cbData) memcpy(r[i].data, p->data.pbData, p->data.cbData);
    }
    if (items) PeerFreeData(items);
    qsort(r, n, sizeof(any_rec), any_rec_cmp);
    ULONG kept = 0;
    for (ULONG i = 0; i < n; i++) {
        if (excluded(a, r[i].id)) {
            free(r[i].creator), free(r[i].modifier), free(r[i].data);
            continue;
        }
        kept++;
        sha256_write(&s, r[i].id, 36);
        sha256_write(&s, r[i].type, 36);
        put_u32(&s, r[i].version);
        sha256_write(&s, r[i].creator, strlen(r[i].creator) + 1);
        sha256_write(&s, r[i].modifier, strlen(r[i].modifier) + 1);
        put_u32(&s, r[i].size);
        sha256_write(&s, r[i].data, r[i].size);
        free(r[i].creator), free(r[i].modifier), free(r[i].data);
    }
    free(r);

    items = NULL;
    CHECK_HR(PeerGroupEnumMembers(g->h, 0, NULL, &e), "PeerGroupEnumMembers");
    hr = PeerGetItemCount(e, &m);
    if (SUCCEEDED(hr) && m > 0) hr = PeerGetNextItem(e, &m, &items);
    PeerEndEnumeration(e);
    CHECK_HR(hr, "PeerGetNextItem(members)");
    char **names = xmalloc((m ? m : 1) * sizeof(char *));
    for (ULONG i = 0; i < m; i++) names[i] = u8(((PEER_MEMBER *)items[i])->pwzIdentity);
    if (items) PeerFreeData(items);
    qsort(names, m, sizeof(char *), str_cmp);
    for (ULONG i = 0; i < m; i++) {
        sha256_write(&s, names[i], strlen(names[i]) + 1);
        free(names[i]);
    }
    free(names);

    PEER_GROUP_PROPERTIES *p = NULL;
    CHECK_HR(PeerGroupGetProperties(g->h, &p), "PeerGroupGetProperties");
    char *fn = u8(p->pwzFriendlyName);
    sha256_write(&s, fn, strlen(fn) + 1);
    free(fn);
    PeerFreeData(p);

    sha256_hex(&s, hex);
    reply_ok("%s records=%lu members=%lu", hex, (unsigned long)kept, (unsigned long)m);
}

/* wait-id <id> <s> [version]: polls until the record is live here (at
 * least at that version); prints "<version> <ms>". */
static void cmd_wait_id(args *a) {
    NEED_GROUP();
    GUID id;
    if (a->argc < 2 || !guid_parse(a->argv[1], &id)) {
        reply_err(E_INVALIDARG, "wait-id <record id> <seconds> [version]");
        return;
    }
    DWORD want = (DWORD)argl(a, 3, 1);
    double t0 = now_ms(), deadline = t0 + argd(a, 2, 30) * 1e3;
    HRESULT hr;
    for (;;) {
        PEER_RECORD *r = NULL;
        hr = PeerGroupGetRecord(cur()->h, &id, &r);
        if (SUCCEEDED(hr)) {
            DWORD v = r->dwVersion;
            PeerFreeData(r);
            if (v >= want) {
                reply_ok("%lu %.0f", (unsigned long)v, now_ms() - t0);
                return;
            }
        } else if (hr != PEER_E_RECORD_NOT_FOUND) {
            reply_err(hr, "PeerGroupGetRecord");
            return;
        }
        if (now_ms() >= deadline) break;
        evt_wait(cur()->ctl_fd, 100);
        pump(cur());
    }
    reply_err(E_FAIL, "timeout: record %s not here at version %lu (0x%08" PRIx32 ")", a->argv[1], (unsigned long)want,
              (uint32_t)hr);
}

/* update-text <id> <text>: PeerGroupUpdateRecord with new data. */
static void cmd_update_text(args *a) {
    NEED_GROUP();
    GUID id;
    PEER_RECORD *r = NULL;
    if (a->argc < 2 || !guid_parse(a->argv[1], &id)) {
        reply_err(E_INVALIDARG, "update-text <record id> <text>");
        return;
    }
    const char *text = rest_after(a, 1);
    CHECK_HR(PeerGroupGetRecord(cur()->h, &id, &r), "PeerGroupGetRecord");
    r->data.cbData = (ULONG)strlen(text);
    r->data.pbData = (PBYTE)text;
    HRESULT hr = PeerGroupUpdateRecord(cur()->h, r);
    PeerFreeData(r);
    CHECK_HR(hr, "PeerGroupUpdateRecord");
    reply_ok(NULL);
}

/* delete-id <id>: PeerGroupDeleteRecord. */
static void cmd_delete_id(args *a) {
    NEED_GROUP();
    GUID id;
    if (a->argc < 2 || !guid_parse(a->argv[1], &id)) {
        reply_err(E_INVALIDARG, "delete-id <record id>");
        return;
    }
    CHECK_HR(PeerGroupDeleteRecord(cur()->h, &id), "PeerGroupDeleteRecord");
    reply_ok(NULL);
}

/* invite-exp <seconds> <identity-xml>: an invitation (and credential)
 * that expires that many seconds from now. */
static void cmd_invite_exp(args *a) {
    NEED_GROUP();
    PWSTR inv = NULL;
    if (a->argc < 3) {
        reply_err(E_INVALIDARG, "invite-exp <seconds> <identity-xml>");
        return;
    }
    FILETIME exp = ft_in((uint64_t)argl(a, 1, 60));
    char *text = strdup(rest_after(a, 1));
    if (!text) exit(2);
    unescape(text);
    PWSTR xml = w(text);
    free(text);
    HRESULT hr = PeerGroupCreateInvitation(cur()->h, xml, &exp, 0, NULL, &inv);
    free(xml);
    CHECK_HR(hr, "PeerGroupCreateInvitation");
    char *s = u8(inv), *e = escape(s);
    reply_ok("%s", e);
    free(s), free(e);
    PeerFreeData(inv);
}

/* create-password <password> <friendly>: a group that admits with the
 * password (PEER_GROUP_PASSWORD_AUTHENTICATION) in the member role. */
static void cmd_create_password(args *a) {
    PEER_GROUP_PROPERTIES p;
    if (a->argc < 2) {
        reply_err(E_INVALIDARG, "create-password <password> <friendly>");
        return;
    }
    slot *g = take_slot();
    if (!g) {
        reply_err(E_FAIL, "no free slot");
        return;
    }
    memset(&p, 0, sizeof p);
    p.dwSize = sizeof p;
    p.pwzCreatorPeerName = st.identity;
    p.pwzClassifier = w("nettest");
    p.pwzFriendlyName = w(a->argc > 2 ? rest_after(a, 1) : "password test");
    p.dwAuthenticationSchemes = PEER_GROUP_PASSWORD_AUTHENTICATION;
    p.pwzGroupPassword = w(a->argv[1]);
    p.groupPasswordRole = PEER_GROUP_ROLE_MEMBER;
    HRESULT hr = PeerGroupCreate(&p, &g->h);
    free(p.pwzClassifier), free(p.pwzFriendlyName), free(p.pwzGroupPassword);
    CHECK_HR(hr, "PeerGroupCreate");
    CHECK_HR(register_events(g), "PeerGroupRegisterEvent");
    CHECK_HR(group_name(g), "PeerGroupGetProperties");
    reply_ok("%s", g->name);
}

static void cmd_password_invite(args *a) {
    (void)a;
    NEED_GROUP();
    PWSTR inv = NULL;
    CHECK_HR(PeerGroupCreatePasswordInvitation(cur()->h, &inv), "PeerGroupCreatePasswordInvitation");
    char *s = u8(inv), *e = escape(s);
    reply_ok("%s", e);
    free(s), free(e);
    PeerFreeData(inv);
}

/* password-join <password> <invitation> */
static void cmd_password_join(args *a) {
    if (a->argc < 3) {
        reply_err(E_INVALIDARG, "password-join <password> <invitation>");
        return;
    }
    slot *g = take_slot();
    if (!g) {
        reply_err(E_FAIL, "no free slot");
        return;
    }
    char *text = strdup(rest_after(a, 1));
    if (!text) exit(2);
    unescape(text);
    PWSTR inv = w(text), pw = w(a->argv[1]);
    free(text);
    HRESULT hr = PeerGroupPasswordJoin(st.identity, inv, pw, NULL, &g->h);
    free(inv), free(pw);
    CHECK_HR(hr, "PeerGroupPasswordJoin");
    CHECK_HR(register_events(g), "PeerGroupRegisterEvent");
    CHECK_HR(group_name(g), "PeerGroupGetProperties");
    reply_ok("%s", g->name);
}

static void cmd_resume_password(args *a) {
    (void)a;
    NEED_GROUP();
    CHECK_HR(PeerGroupResumePasswordAuthentication(cur()->h, cur()->ctl), "PeerGroupResumePasswordAuthentication");
    reply_ok(NULL);
}

/* wait-authfail <s>: waits for an AUTHENTICATION_FAILED not reported
 * yet; prints its reason and how many have been seen. */
static void cmd_wait_authfail(args *a) {
    NEED_GROUP();
    slot *g = cur();
    double t0 = now_ms(), deadline = t0 + argd(a, 1, 30) * 1e3;
    while (g->auth_failed <= g->auth_taken && now_ms() < deadline) {
        evt_wait(g->ctl_fd, 100);
        pump(g);
    }
    if (g->auth_failed <= g->auth_taken) {
        reply_err(E_FAIL, "timeout: no AUTHENTICATION_FAILED (seen %ld)", g->auth_failed);
        return;
    }
    g->auth_taken++;
    reply_ok("0x%08" PRIx32 " seen=%ld %.0f", (uint32_t)g->auth_hr, g->auth_failed, now_ms() - t0);
}

/* authfails prints how many AUTHENTICATION_FAILED events were seen. */
static void cmd_authfails(args *a) {
    (void)a;
    NEED_GROUP();
    reply_ok("%ld", cur()->auth_failed);
}

/* delete-group <group>: PeerGroupDelete (the group must be closed here). */
static void cmd_delete_group(args *a) {
    if (a->argc < 2) {
        reply_err(E_INVALIDARG, "delete-group <group>");
        return;
    }
    PWSTR name = w(a->argv[1]);
    HRESULT hr = PeerGroupDelete(st.identity, name);
    free(name);
    CHECK_HR(hr, "PeerGroupDelete");
    reply_ok(NULL);
}

static void cmd_use(args *a) {
    long i = argl(a, 1, 0);
    if (i < 0 || i >= MAX_SLOTS) {
        reply_err(E_INVALIDARG, "slot %ld", i);
        return;
    }
    st.cur = (int)i;
    reply_ok("%d %s", st.cur, st.slots[i].name);
}

static void cmd_close(args *a) {
    (void)a;
    NEED_GROUP();
    CHECK_HR(release_slot(cur()), "PeerGroupClose");
    reply_ok(NULL);
}

static void cmd_sleep(args *a) {
    sleep_ms((int)argl(a, 1, 100));
    reply_ok(NULL);
}

/* shutdown: PeerGroupShutdown with the groups still open (it closes
 * them); the slots' handles are stale afterwards. */
static void cmd_shutdown(args *a) {
    (void)a;
    CHECK_HR(PeerGroupShutdown(), "PeerGroupShutdown");
    for (int i = 0; i < MAX_SLOTS; i++) st.slots[i].h = NULL, st.slots[i].ctl = NULL, st.slots[i].data = NULL;
    reply_ok(NULL);
}

static void cmd_quit(args *a) {
    (void)a;
    for (int i = 0; i < MAX_SLOTS; i++)
        if (st.slots[i].h) release_slot(&st.slots[i]);
    PeerGroupShutdown();
    reply_ok("bye");
    exit(0);
}

/* ------------------------------------------------------------------ */
/* Main loop                                                           */
/* ------------------------------------------------------------------ */

static const struct {
    const char *name;
    void (*fn)(args *);
} commands[] = {
    {"startup", cmd_startup},
    {"identity-xml", cmd_identity_xml},
    {"create", cmd_create},
    {"invite", cmd_invite},
    {"join", cmd_join},
    {"open", cmd_open},
    {"connect", cmd_connect},
    {"connect-addr", cmd_connect_addr},
    {"wait-ready", cmd_wait_ready},
    {"wait-neighbors", cmd_wait_neighbors},
    {"status", cmd_status},
    {"members", cmd_members},
    {"addr", cmd_addr},
    {"wait-member", cmd_wait_member},
    {"add", cmd_add},
    {"add-text", cmd_add_text},
    {"add-ids", cmd_add_ids},
    {"missing", cmd_missing},
    {"delete", cmd_delete},
    {"count", cmd_count},
    {"digest", cmd_digest},
    {"wait-count", cmd_wait_count},
    {"wait-digest", cmd_wait_digest},
    {"get", cmd_get},
    {"wait-record", cmd_wait_record},
    {"events", cmd_events},
    {"direct-open", cmd_direct_open},
    {"wait-accept", cmd_wait_accept},
    {"direct-flood", cmd_direct_flood},
    {"direct-failed", cmd_direct_failed},
    {"wait-direct", cmd_wait_direct},
    {"direct-close", cmd_direct_close},
    {"connections", cmd_connections},
    {"path", cmd_path},
    {"send", cmd_send},
    {"send-bg", cmd_send_bg},
    {"send-parallel", cmd_send_parallel},
    {"send-wait", cmd_send_wait},
    {"send-progress", cmd_send_progress},
    {"sendone", cmd_sendone},
    {"recv", cmd_recv},
    {"name", cmd_name},
    {"set-name", cmd_set_name},
    {"wait-name", cmd_wait_name},
    {"state", cmd_state},
    {"wait-id", cmd_wait_id},
    {"update-text", cmd_update_text},
    {"delete-id", cmd_delete_id},
    {"invite-exp", cmd_invite_exp},
    {"create-password", cmd_create_password},
    {"password-invite", cmd_password_invite},
    {"password-join", cmd_password_join},
    {"resume-password", cmd_resume_password},
    {"wait-authfail", cmd_wait_authfail},
    {"authfails", cmd_authfails},
    {"delete-group", cmd_delete_group},
    {"use", cmd_use},
    {"close", cmd_close},
    {"sleep", cmd_sleep},
    {"shutdown", cmd_shutdown},
    {"quit", cmd_quit},
};

/* split cuts line into words in place. */
static void split(char *line, args *a) {
    char *p = line;
    a->argc = 0;
    while (*p && a->argc < 64) {
        while (*p == ' ') *p++ = 0;
        if (!*p) break;
        a->argv[a->argc++] = p;
        while (*p && *p != ' ') p++;
    }
}

/* read_line reads one line of f into *line (grown as needed, NUL
 * terminated); its length, or -1 at the end of the input. */
static long read_line(char **line, size_t *cap, FILE *f) {
    size_t n = 0;
    for (;;) {
        if (*cap - n < 2) {
            size_t c = *cap ? *cap * 2 : 4096;
            char *p = realloc(*line, c);
            if (!p) return -1;
            *line = p;
            *cap = c;
        }
        if (!fgets(*line + n, (int)(*cap - n), f)) return n ? (long)n : -1;
        n += strlen(*line + n);
        if (n > 0 && (*line)[n - 1] == '\n') return (long)n;
    }
}

int main(void) {
    char *line = NULL, *copy = NULL;
    size_t cap = 0;
    long len;
#ifdef _WIN32
    _setmode(_fileno(stdin), _O_BINARY); /* lines end in \n, not \r\n */
    _setmode(_fileno(stdout), _O_BINARY);
    st.seed = (uint64_t)GetCurrentProcessId() << 32 ^ (uint64_t)time(NULL) ^ (uint64_t)(now_ms() * 1000);
#else
    st.seed = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^ (uint64_t)(now_ms() * 1000);
#endif
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    while ((len = read_line(&line, &cap, stdin)) >= 0) {
        args a;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        /* argv comes from a copy; rest is the original text after the
         * command word, spaces included. */
        free(copy);
        copy = strdup(line);
        if (!copy) return 2;
        split(copy, &a);
        if (a.argc == 0) {
            reply_err(E_INVALIDARG, "empty command");
            continue;
        }
        char *sp = strchr(line, ' ');
        a.rest = sp ? sp + 1 : line + len;
        while (*a.rest == ' ') a.rest++;
        size_t i;
        for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(commands[i].name, a.argv[0]) == 0) break;
        if (i == sizeof commands / sizeof commands[0]) {
            reply_err(E_INVALIDARG, "unknown command %s", a.argv[0]);
            continue;
        }
        commands[i].fn(&a);
    }
    cmd_quit(NULL);
    return 0;
}
