/*
 * p2ptest.h - helpers shared by the C test programs of tests/c: checks
 * that print one line each, UTF-16 strings, FILETIME, GUIDs, the event
 * HANDLE (an eventfd or pipe on POSIX, a Win32 event on Windows) and a
 * few file and process helpers. Everything is static, so each program
 * includes it once and links nothing more than the library.
 *
 * Every program that includes it defines _GNU_SOURCE (POSIX) before any
 * #include, because it compiles with -std=c11.
 */
#ifndef P2PTEST_H
#define P2PTEST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2p.h"

#ifdef _WIN32
#include <process.h>
#else
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif
extern char **environ;
#endif

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* ------------------------------------------------------------------ */
/* HRESULT names, for readable output                                  */
/* ------------------------------------------------------------------ */

#define P2PT_CODES(X) \
    X(S_OK) X(E_INVALIDARG) X(E_POINTER) X(E_HANDLE) X(E_NOTIMPL) X(E_FAIL) \
    X(E_UNEXPECTED) X(E_OUTOFMEMORY) X(E_ACCESSDENIED) \
    X(PEER_E_NOT_FOUND) X(PEER_E_ALREADY_EXISTS) X(PEER_E_NOT_INITIALIZED) \
    X(PEER_E_UNSUPPORTED_VERSION) X(PEER_E_GROUPS_EXIST) X(PEER_E_RECORD_NOT_FOUND) \
    X(PEER_E_MAX_RECORD_SIZE_EXCEEDED) X(PEER_E_IDENTITY_NOT_FOUND) \
    X(PEER_E_EVENT_HANDLE_NOT_FOUND) X(PEER_E_INVALID_SEARCH) X(PEER_E_INVALID_ATTRIBUTES) \
    X(PEER_E_INVITATION_NOT_TRUSTED) X(PEER_E_INVALID_TIME_PERIOD) X(PEER_E_NOT_AUTHORIZED) \
    X(PEER_E_INVALID_GROUP_PROPERTIES) X(PEER_E_INVALID_PEER_NAME) X(PEER_E_INVALID_CLASSIFIER) \
    X(PEER_E_INVALID_FRIENDLY_NAME) X(PEER_E_INVALID_ROLE_PROPERTY) X(PEER_E_CLASSIFIER_TOO_LONG) \
    X(PEER_E_INVALID_RECORD_EXPIRATION) X(PEER_E_INVALID_CREDENTIAL_INFO) X(PEER_E_INVALID_CREDENTIAL) \
    X(PEER_E_INVALID_RECORD) X(PEER_E_GROUP_NOT_READY) X(PEER_E_GROUP_IN_USE) X(PEER_E_INVALID_GROUP) \
    X(PEER_E_INVALID_DATABASE) X(PEER_E_CERT_STORE_CORRUPTED) X(PEER_E_NO_KEY_ACCESS) \
    X(PEER_E_CONNECTION_NOT_FOUND) X(PEER_E_INVALID_ADDRESS) \
    X(PEER_S_NO_EVENT_DATA) X(PEER_S_ALREADY_CONNECTED) X(PEER_S_ALREADY_A_MEMBER)

/* p2pt_hr_name returns the symbolic name of h, or its hex value. */
static inline const char *p2pt_hr_name(HRESULT h) {
    static char buf[4][16];
    static int next;
    char *b;
#define P2PT_NAME_CASE(c) if (h == (c)) return #c;
    P2PT_CODES(P2PT_NAME_CASE)
#undef P2PT_NAME_CASE
    b = buf[next++ % 4];
    snprintf(b, sizeof buf[0], "0x%08lx", (unsigned long)(uint32_t)h);
    return b;
}

/* ------------------------------------------------------------------ */
/* Checks: one line per step; the first failure ends the program      */
/* ------------------------------------------------------------------ */

static inline void p2pt_fail(int line, const char *fmt, ...) {
    va_list ap;
    printf("FAIL line %d: ", line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    exit(1);
}

/* EXPECT_HR runs a call and requires the HRESULT want. */
#define EXPECT_HR(call, want) p2pt_expect_hr(__LINE__, #call, (call), (want))
/* OK runs a call and requires S_OK. */
#define OK(call) EXPECT_HR(call, S_OK)
/* CHECK requires a condition; the message is printf-style. */
#define CHECK(cond, ...) do { if (!(cond)) p2pt_fail(__LINE__, __VA_ARGS__); } while (0)

static inline void p2pt_expect_hr(int line, const char *what, HRESULT got, HRESULT want) {
    if (got != want)
        p2pt_fail(line, "%s returned %s, want %s", what, p2pt_hr_name(got), p2pt_hr_name(want));
}

/* step prints one line for a step that passed. */
static inline void step(const char *fmt, ...) {
    va_list ap;
    printf("ok   ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* UTF-16 strings                                                      */
/* ------------------------------------------------------------------ */

static inline size_t wlen(PCWSTR s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* weq compares two strings; NULL equals only NULL. */
static inline int weq(PCWSTR a, PCWSTR b) {
    if (!a || !b) return a == b;
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

/* w converts UTF-8 to a new UTF-16 string (never freed: tests are short). */
static inline PWSTR w(const char *s) {
    size_t n = strlen(s), i = 0, o = 0;
    PWSTR out = (PWSTR)calloc(n + 1, sizeof(WCHAR));
    if (!out) { printf("FAIL: out of memory\n"); exit(1); }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        int extra;
        if (c < 0x80) { cp = c; extra = 0; }
        else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; extra = 1; }
        else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; extra = 2; }
        else { cp = c & 0x07; extra = 3; }
        i++;
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

/* wrepeat returns a new string of n copies of c. */
static inline PWSTR wrepeat(WCHAR c, size_t n) {
    PWSTR out = (PWSTR)calloc(n + 1, sizeof(WCHAR));
    size_t i;
    if (!out) { printf("FAIL: out of memory\n"); exit(1); }
    for (i = 0; i < n; i++) out[i] = c;
    return out;
}

/* a converts UTF-16 to UTF-8 for printing, in one of 8 rotating buffers;
 * unpaired surrogates print as '?'. */
static inline const char *a(PCWSTR s) {
    static char buf[8][1024];
    static int next;
    char *b = buf[next++ % 8];
    size_t o = 0;
    if (!s) return "(null)";
    while (*s && o + 5 < sizeof buf[0]) {
        uint32_t cp = *s++;
        if (cp >= 0xD800 && cp < 0xDC00 && *s >= 0xDC00 && *s < 0xE000)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (*s++ - 0xDC00);
        else if (cp >= 0xD800 && cp < 0xE000)
            cp = '?';
        if (cp < 0x80) b[o++] = (char)cp;
        else if (cp < 0x800) { b[o++] = (char)(0xC0 | cp >> 6); b[o++] = (char)(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) { b[o++] = (char)(0xE0 | cp >> 12); b[o++] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[o++] = (char)(0x80 | (cp & 0x3F)); }
        else { b[o++] = (char)(0xF0 | cp >> 18); b[o++] = (char)(0x80 | ((cp >> 12) & 0x3F)); b[o++] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[o++] = (char)(0x80 | (cp & 0x3F)); }
    }
    b[o] = 0;
    return b;
}

/* wcontains reports whether s contains the ASCII text needle. */
static inline int wcontains(PCWSTR s, const char *needle) {
    size_t n = strlen(needle), i;
    if (!s) return 0;
    for (; *s; s++) {
        for (i = 0; i < n && s[i] == (WCHAR)(unsigned char)needle[i]; i++) {}
        if (i == n) return 1;
    }
    return 0;
}

/* wends reports whether s ends with the string suffix. */
static inline int wends(PCWSTR s, PCWSTR suffix) {
    size_t n, m;
    if (!s || !suffix) return 0;
    n = wlen(s);
    m = wlen(suffix);
    return n >= m && weq(s + n - m, suffix);
}

/* wauthority copies the part of a peer name before the dot as ASCII. */
static inline void wauthority(PCWSTR name, char *out, size_t size) {
    size_t i = 0;
    while (name[i] && name[i] != '.' && i + 1 < size) { out[i] = (char)name[i]; i++; }
    out[i] = 0;
}

/* ------------------------------------------------------------------ */
/* FILETIME and GUIDs                                                  */
/* ------------------------------------------------------------------ */

#define FT_SECOND 10000000ULL

/* now_ft is the current UTC time as a FILETIME count. */
static inline ULONGLONG now_ft(void) {
#ifdef _WIN32
    FILETIME f;
    GetSystemTimeAsFileTime(&f);
    return ((ULONGLONG)f.dwHighDateTime << 32) | f.dwLowDateTime;
#else
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return 116444736000000000ULL + (ULONGLONG)ts.tv_sec * FT_SECOND + (ULONGLONG)ts.tv_nsec / 100;
#endif
}

static inline FILETIME ft(ULONGLONG v) {
    FILETIME f;
    f.dwLowDateTime = (DWORD)v;
    f.dwHighDateTime = (DWORD)(v >> 32);
    return f;
}

static inline ULONGLONG ftu(FILETIME f) { return ((ULONGLONG)f.dwHighDateTime << 32) | f.dwLowDateTime; }

static inline int guid_eq(const GUID *x, const GUID *y) { return memcmp(x, y, sizeof(GUID)) == 0; }

static inline int guid_zero(const GUID *g) {
    static const GUID zero;
    return guid_eq(g, &zero);
}

/* guid_str formats a GUID, in one of 4 rotating buffers. */
static inline const char *guid_str(const GUID *g) {
    static char buf[4][40];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof buf[0], "{%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}",
             (unsigned long)g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2],
             g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
    return b;
}

/* guid_parse reads what guid_str writes; it returns 0 on bad input. */
static inline int guid_parse(const char *s, GUID *g) {
    unsigned long d1;
    unsigned d2, d3, b[8];
    int i;
    if (sscanf(s, "{%8lx-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x}", &d1, &d2, &d3, &b[0], &b[1], &b[2], &b[3],
               &b[4], &b[5], &b[6], &b[7]) != 11)
        return 0;
    g->Data1 = (uint32_t)d1;
    g->Data2 = (uint16_t)d2;
    g->Data3 = (uint16_t)d3;
    for (i = 0; i < 8; i++) g->Data4[i] = (uint8_t)b[i];
    return 1;
}

/* ------------------------------------------------------------------ */
/* Enumerations                                                        */
/* ------------------------------------------------------------------ */

/* enum_take takes every remaining item of an enumeration in one call; the
 * array is freed with one PeerFreeData. It checks that PeerGetItemCount
 * agreed with what PeerGetNextItem returned. */
static inline PVOID *enum_take(HPEERENUM e, ULONG *count) {
    ULONG n = 0, want;
    PVOID *items = NULL;
    HRESULT h = PeerGetItemCount(e, &n);
    if (h != S_OK) { printf("FAIL: PeerGetItemCount returned %s\n", p2pt_hr_name(h)); exit(1); }
    want = n;
    if (n == 0) { *count = 0; return NULL; }
    h = PeerGetNextItem(e, &n, &items);
    if (h != S_OK || n != want) {
        printf("FAIL: PeerGetNextItem returned %s with %lu of %lu items\n", p2pt_hr_name(h),
               (unsigned long)n, (unsigned long)want);
        exit(1);
    }
    *count = n;
    return items;
}

/* ------------------------------------------------------------------ */
/* The event HANDLE                                                    */
/* ------------------------------------------------------------------ */

/* evsig is what an application gives PeerGroupRegisterEvent: on Linux an
 * eventfd, on other POSIX systems a pipe's write end (read from rfd), on
 * Windows an auto-reset event. */
typedef struct {
    HANDLE h;
    int rfd, wfd;
} evsig;

static inline void evsig_open(evsig *e) {
#ifdef _WIN32
    e->h = CreateEventW(NULL, FALSE, FALSE, NULL);
    e->rfd = e->wfd = -1;
    if (!e->h) { printf("FAIL: CreateEvent\n"); exit(1); }
#elif defined(__linux__)
    e->rfd = e->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (e->rfd < 0) { perror("FAIL: eventfd"); exit(1); }
    e->h = (HANDLE)(intptr_t)e->wfd;
#else
    int fds[2];
    if (pipe(fds) != 0) { perror("FAIL: pipe"); exit(1); }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    e->rfd = fds[0];
    e->wfd = fds[1];
    e->h = (HANDLE)(intptr_t)e->wfd;
#endif
}

/* evsig_wait waits up to ms for the library to signal; it returns 1 when
 * signalled (and resets the signal), 0 on timeout. */
static inline int evsig_wait(evsig *e, int ms) {
#ifdef _WIN32
    return WaitForSingleObject(e->h, (DWORD)ms) == WAIT_OBJECT_0;
#else
    struct pollfd p;
    char buf[64];
    int n;
    p.fd = e->rfd;
    p.events = POLLIN;
    p.revents = 0;
    do n = poll(&p, 1, ms); while (n < 0 && errno == EINTR);
    if (n <= 0) return 0;
    while (read(e->rfd, buf, sizeof buf) > 0) {}
    return 1;
#endif
}

static inline void evsig_close(evsig *e) {
#ifdef _WIN32
    CloseHandle(e->h);
#else
    close(e->rfd);
    if (e->wfd != e->rfd) close(e->wfd);
#endif
}

/* ------------------------------------------------------------------ */
/* Time, files and processes                                           */
/* ------------------------------------------------------------------ */

static inline void sleep_ms(int ms) {
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
#endif
}

/* path_join returns dir + separator + name, newly allocated. */
static inline char *path_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = (char *)malloc(n);
    if (!p) { printf("FAIL: out of memory\n"); exit(1); }
#ifdef _WIN32
    snprintf(p, n, "%s\\%s", dir, name);
#else
    snprintf(p, n, "%s/%s", dir, name);
#endif
    return p;
}

/* write_wfile stores a UTF-16 string (with its terminator) in a file. */
static inline void write_wfile(const char *path, PCWSTR s) {
    FILE *f = fopen(path, "wb");
    size_t n = (wlen(s) + 1) * sizeof(WCHAR);
    if (!f || fwrite(s, 1, n, f) != n || fclose(f) != 0) { printf("FAIL: write %s\n", path); exit(1); }
}

/* read_wfile reads what write_wfile wrote. */
static inline PWSTR read_wfile(const char *path) {
    FILE *f = fopen(path, "rb");
    long n;
    PWSTR s;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 2 || fseek(f, 0, SEEK_SET) != 0) {
        printf("FAIL: read %s\n", path);
        exit(1);
    }
    s = (PWSTR)calloc((size_t)n / 2 + 1, sizeof(WCHAR));
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) { printf("FAIL: read %s\n", path); exit(1); }
    fclose(f);
    return s;
}

/* run_with_home runs the program prog with arguments argv (argv[0]
 * included, NULL-terminated) and P2P_HOME set to home, waits for it and
 * returns its exit status (-1 if it could not run or was killed). The
 * library reads P2P_HOME when the first PeerGroupStartup of a process
 * runs, so a second data directory needs a second process. */
static inline int run_with_home(const char *prog, char *const argv[], const char *home) {
    fflush(stdout);
#ifdef _WIN32
    {
        intptr_t rc;
        char *old = getenv("P2P_HOME");
        char *saved = old ? _strdup(old) : NULL;
        _putenv_s("P2P_HOME", home);
        rc = _spawnv(_P_WAIT, prog, (const char *const *)argv);
        _putenv_s("P2P_HOME", saved ? saved : "");
        free(saved);
        return (int)rc;
    }
#else
    {
        size_t n = 0, i, o = 0;
        char **env, *kv;
        pid_t pid;
        int status;
        while (environ[n]) n++;
        env = (char **)calloc(n + 2, sizeof(char *));
        kv = (char *)malloc(strlen(home) + 10);
        if (!env || !kv) return -1;
        sprintf(kv, "P2P_HOME=%s", home);
        for (i = 0; i < n; i++)
            if (strncmp(environ[i], "P2P_HOME=", 9) != 0) env[o++] = environ[i];
        env[o++] = kv;
        env[o] = NULL;
        if (posix_spawn(&pid, prog, NULL, NULL, argv, env) != 0) return -1;
        free(env);
        free(kv);
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
#endif
}

#endif /* P2PTEST_H */
