/*
 * demo.c - three members of one peer group, each in its own process.
 *
 *   make demo        (or: cc -std=c11 -Ibuild demo.c -Lbuild -lp2p -o demo)
 *
 * The program runs itself three times, as Alice, Bob and Carol, each with
 * its own data directory (P2P_HOME) and listening on 127.0.0.1 only
 * (P2P_LISTEN). Alice creates the group "demo"; Bob and Carol hand her
 * their identity XML and get invitations back (this process passes them
 * through pipes, where a real application would use e-mail or a file).
 * They join and connect, everyone publishes one record, and each member
 * prints what it sees as it happens. At the end each member lists the
 * three records. The exit status is 0 only if all three saw all three.
 *
 * Everything a member does is in member() below; the rest is plumbing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "p2p.h"

extern char **environ;

/* The record type of this demo's records: any GUID the members agree on. */
static const GUID GREETING = {0x5e1c0de0, 0x2b1d, 0x4c3a, {0x8f, 0x00, 0x64, 0x65, 0x6d, 0x6f, 0x21, 0x21}};

#define MEMBERS 3
#define RECORD_WAIT_SECONDS 15

static const char *names[MEMBERS] = {"alice", "bob", "carol"};
static const char *display[MEMBERS] = {"Alice", "Bob", "Carol"};
static char me[16]; /* this process's name, for "[bob] ..." */

/* ------------------------------------------------------------------ */
/* Small helpers: printing, UTF-16, pipes                              */
/* ------------------------------------------------------------------ */

static void say(const char *fmt, ...) {
    va_list ap;
    printf("[%s] ", me);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* check stops the member if an API call failed. */
static void check(HRESULT hr, const char *what) {
    if (FAILED(hr)) {
        say("%s failed: 0x%08x", what, (unsigned)hr);
        exit(1);
    }
}

/* to16 and to8 convert between UTF-8 (pipes, printf) and the UTF-16 of
 * the API; both return new strings the caller frees. */
static PWSTR to16(const char *s) {
    size_t n = strlen(s), o = 0;
    PWSTR out = calloc(n + 1, sizeof(WCHAR));
    for (size_t i = 0; out && i < n;) {
        unsigned char c = (unsigned char)s[i++];
        uint32_t cp = c;
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (extra) cp = c & (0x3F >> extra);
        while (extra-- > 0 && i < n) cp = cp << 6 | (s[i++] & 0x3F);
        if (cp >= 0x10000) {
            out[o++] = (WCHAR)(0xD800 + ((cp - 0x10000) >> 10));
            cp = 0xDC00 + ((cp - 0x10000) & 0x3FF);
        }
        out[o++] = (WCHAR)cp;
    }
    return out;
}

static char *to8(PCWSTR s) {
    size_t n = 0, o = 0;
    while (s && s[n]) n++;
    char *out = calloc(n * 3 + 1, 1);
    for (size_t i = 0; out && i < n; i++) {
        uint32_t cp = s[i];
        if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < n) cp = 0x10000 + ((cp - 0xD800) << 10) + (s[++i] - 0xDC00);
        if (cp < 0x80) {
            out[o++] = (char)cp;
        } else if (cp < 0x800) {
            out[o++] = (char)(0xC0 | cp >> 6), out[o++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out[o++] = (char)(0xE0 | cp >> 12), out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | cp >> 18), out[o++] = (char)(0x80 | (cp >> 12 & 0x3F));
            out[o++] = (char)(0x80 | (cp >> 6 & 0x3F)), out[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    return out;
}

/* send_msg and recv_msg move one text (XML, or a word like "done")
 * through a pipe: its length on a line, then its bytes. */
static void send_msg(FILE *f, const char *s) {
    fprintf(f, "%zu\n%s", strlen(s), s);
    fflush(f);
}

static char *recv_msg(FILE *f) {
    char line[32];
    size_t n;
    if (!fgets(line, sizeof line, f) || sscanf(line, "%zu", &n) != 1) return NULL;
    char *s = calloc(n + 1, 1);
    if (s && fread(s, 1, n, f) != n) {
        free(s);
        return NULL;
    }
    return s;
}

/* ------------------------------------------------------------------ */
/* One member                                                          */
/* ------------------------------------------------------------------ */

/* The member's view of the group. */
static struct {
    HGROUP group;
    HPEEREVENT events;
    int efd;          /* the eventfd the library signals */
    PWSTR identity;   /* our peer name */
    int seen[MEMBERS]; /* whose greeting we have */
} m;

/* friendly returns the friendly name of a member's identity, from the
 * credential it joined with (or the peer name if not yet known). */
static char *friendly(PCWSTR identity) {
    HPEERENUM e;
    ULONG n = 1;
    PEER_MEMBER **items = NULL;
    char *name = NULL;
    if (SUCCEEDED(PeerGroupEnumMembers(m.group, 0, identity, &e))) {
        if (SUCCEEDED(PeerGetNextItem(e, &n, (PVOID **)&items)) && n == 1 && items[0]->pCredentialInfo)
            name = to8(items[0]->pCredentialInfo->pwzFriendlyName);
        PeerFreeData(items);
        PeerEndEnumeration(e);
    }
    return name ? name : to8(identity);
}

/* note_greeting remembers whose greeting a record is; it returns the
 * greeting's text (to free) and its author's name in *who. */
static char *note_greeting(PEER_RECORD *r, char **who) {
    *who = friendly(r->pwzCreatorId);
    for (int i = 0; i < MEMBERS; i++)
        if (strcmp(*who, display[i]) == 0) m.seen[i] = 1;
    char *text = calloc(r->data.cbData + 1, 1);
    if (text) memcpy(text, r->data.pbData, r->data.cbData);
    return text;
}

static int seen_all(void) {
    for (int i = 0; i < MEMBERS; i++)
        if (!m.seen[i]) return 0;
    return 1;
}

static int same(PCWSTR a, PCWSTR b) {
    while (a && b && *a && *a == *b) a++, b++;
    return a && b && *a == *b;
}

/* handle_events prints every queued event worth telling. */
static void handle_events(void) {
    PEER_GROUP_EVENT_DATA *ev;
    uint64_t ignored;
    while (read(m.efd, &ignored, sizeof ignored) > 0) {} /* reset the eventfd */
    while (PeerGroupGetEventData(m.events, &ev) == S_OK) {
        switch (ev->eventType) {
        case PEER_GROUP_EVENT_STATUS_CHANGED:
            if (ev->dwStatus & PEER_GROUP_STATUS_HAS_CONNECTIONS) say("online: connected to another member");
            break;
        case PEER_GROUP_EVENT_MEMBER_CHANGED:
            if (ev->memberChangeData.changeType == PEER_MEMBER_JOINED &&
                !same(ev->memberChangeData.pwzIdentity, m.identity)) {
                char *who = friendly(ev->memberChangeData.pwzIdentity);
                say("%s is a member", who);
                free(who);
            }
            break;
        case PEER_GROUP_EVENT_RECORD_CHANGED: {
            PEER_RECORD *r;
            if (ev->recordChangeData.changeType == PEER_RECORD_ADDED &&
                SUCCEEDED(PeerGroupGetRecord(m.group, &ev->recordChangeData.recordId, &r))) {
                char *who, *text = note_greeting(r, &who);
                if (!same(r->pwzCreatorId, m.identity)) say("received record from %s: '%s'", who, text);
                free(who), free(text);
                PeerFreeData(r);
            }
            break;
        }
        default:
            break;
        }
        PeerFreeData(ev);
    }
}

/* wait_events waits up to ms for the library to signal, then handles
 * what it queued. */
static void wait_events(int ms) {
    struct pollfd p = {.fd = m.efd, .events = POLLIN};
    poll(&p, 1, ms);
    handle_events();
}

/* listen_to_group registers for the events the demo prints. */
static void listen_to_group(void) {
    PEER_GROUP_EVENT_REGISTRATION regs[] = {
        {PEER_GROUP_EVENT_STATUS_CHANGED, NULL},
        {PEER_GROUP_EVENT_MEMBER_CHANGED, NULL},
        {PEER_GROUP_EVENT_RECORD_CHANGED, (GUID *)&GREETING},
    };
    m.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    check(PeerGroupRegisterEvent(m.group, (HANDLE)(intptr_t)m.efd, 3, regs, &m.events), "PeerGroupRegisterEvent");
}

/* publish adds our greeting. A member that just joined may publish only
 * once it has synchronised with the group (PEER_E_GROUP_NOT_READY until
 * then), so it retries while events come in. */
static void publish(const char *text) {
    PEER_RECORD r = {0};
    GUID id;
    FILETIME expires;
    uint64_t t = 116444736000000000ULL + ((uint64_t)time(NULL) + 3600) * 10000000ULL; /* in an hour */
    expires.dwLowDateTime = (DWORD)t, expires.dwHighDateTime = (DWORD)(t >> 32);
    r.dwSize = sizeof r;
    r.type = GREETING;
    r.ftExpiration = expires;
    r.data.cbData = (ULONG)strlen(text);
    r.data.pbData = (PBYTE)text;
    HRESULT hr;
    for (int tries = 0; (hr = PeerGroupAddRecord(m.group, &r, &id)) == PEER_E_GROUP_NOT_READY && tries < 100; tries++)
        wait_events(100);
    check(hr, "PeerGroupAddRecord");
    say("published '%s'", text);
}

/* list prints the greetings in the member's database. */
static void list(void) {
    HPEERENUM e;
    ULONG n = 0;
    PEER_RECORD **recs = NULL;
    check(PeerGroupEnumRecords(m.group, &GREETING, &e), "PeerGroupEnumRecords");
    PeerGetItemCount(e, &n);
    if (n > 0) check(PeerGetNextItem(e, &n, (PVOID **)&recs), "PeerGetNextItem");
    say("my database holds %lu records:", (unsigned long)n);
    for (ULONG i = 0; i < n; i++) {
        char *who, *text = note_greeting(recs[i], &who);
        printf("[%s]     %-5s: '%s'\n", me, who, text);
        free(who), free(text);
    }
    fflush(stdout);
    PeerFreeData(recs);
    PeerEndEnumeration(e);
}

/* member is one process: index 0 is Alice, who creates the group. */
static int member(int index) {
    FILE *parent_in = stdin, *parent_out = fdopen(3, "w");
    PEER_VERSION_DATA version;
    PWSTR xml;
    char *s;

    snprintf(me, sizeof me, "%s", names[index]);
    check(PeerGroupStartup(PEER_GROUP_VERSION, &version), "PeerGroupStartup");
    PWSTR friendly_name = to16(display[index]);
    check(PeerIdentityCreate(NULL, friendly_name, 0, &m.identity), "PeerIdentityCreate");
    free(friendly_name);

    if (index == 0) {
        PEER_GROUP_PROPERTIES props = {0};
        props.dwSize = sizeof props;
        props.pwzCreatorPeerName = m.identity;
        props.pwzClassifier = u"demo";
        props.pwzFriendlyName = u"demo";
        check(PeerGroupCreate(&props, &m.group), "PeerGroupCreate");
        listen_to_group();
        check(PeerGroupConnect(m.group), "PeerGroupConnect"); /* listen, so invitations carry an address */
        say("created group 'demo' and went online");
        for (int i = 1; i < MEMBERS; i++) {
            PWSTR invitation;
            s = recv_msg(parent_in); /* an identity XML */
            xml = to16(s);
            check(PeerGroupCreateInvitation(m.group, xml, NULL, 0, NULL, &invitation), "PeerGroupCreateInvitation");
            char *inv8 = to8(invitation);
            send_msg(parent_out, inv8);
            say("invited %s", display[i]);
            free(s), free(xml), free(inv8);
            PeerFreeData(invitation);
        }
    } else {
        PEER_INVITATION_INFO *info;
        check(PeerIdentityGetXML(m.identity, &xml), "PeerIdentityGetXML");
        s = to8(xml);
        send_msg(parent_out, s); /* to Alice */
        free(s);
        PeerFreeData(xml);

        s = recv_msg(parent_in); /* Alice's invitation */
        PWSTR invitation = to16(s);
        check(PeerGroupParseInvitation(invitation, &info), "PeerGroupParseInvitation");
        char *group = to8(info->pwzGroupFriendlyName), *issuer = to8(info->pwzIssuerFriendlyName);
        check(PeerGroupJoin(m.identity, invitation, NULL, &m.group), "PeerGroupJoin");
        say("joined group '%s' with an invitation from %s", group, issuer);
        free(group), free(issuer), free(s), free(invitation);
        PeerFreeData(info);
        listen_to_group();
        check(PeerGroupConnect(m.group), "PeerGroupConnect");
    }

    char greeting[64];
    snprintf(greeting, sizeof greeting, "hello from %s", names[index]);
    publish(greeting);
    m.seen[index] = 1;

    time_t deadline = time(NULL) + RECORD_WAIT_SECONDS;
    while (!seen_all() && time(NULL) < deadline) wait_events(200);
    send_msg(parent_out, seen_all() ? "done" : "missing");

    /* The parent asks each member in turn to list, so outputs do not mix. */
    for (;;) {
        s = recv_msg(parent_in);
        if (!s || strcmp(s, "exit") == 0) break;
        handle_events();
        list();
        send_msg(parent_out, "listed");
        free(s);
    }
    free(s);
    PeerGroupUnregisterEvent(m.events);
    close(m.efd);
    PeerGroupClose(m.group);
    PeerFreeData(m.identity);
    PeerGroupShutdown();
    return seen_all() ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* The parent: start the members and pass messages between them        */
/* ------------------------------------------------------------------ */

typedef struct {
    pid_t pid;
    FILE *in, *out; /* the member's stdin (we write) and fd 3 (we read) */
} child;

/* spawn runs this program again as member i, with its own data
 * directory. posix_spawn, not fork: the library's runtime has threads. */
static int spawn(const char *dir, int i, child *c) {
    int to[2], from[2];
    char home[512], index[8], *argv[] = {"demo", "--member", index, NULL};
    char listen[] = "P2P_LISTEN=127.0.0.1:0", discovery[] = "P2P_DISCOVERY=0", nodht[] = "P2P_DHT=0";
    char *env[256];
    size_t n = 0;
    posix_spawn_file_actions_t fa;

    snprintf(home, sizeof home, "P2P_HOME=%s/%s", dir, names[i]);
    snprintf(index, sizeof index, "%d", i);
    for (char **e = environ; *e && n < 250; e++)
        if (strncmp(*e, "P2P_", 4) != 0) env[n++] = *e;
    env[n++] = home, env[n++] = listen, env[n++] = discovery, env[n++] = nodht, env[n] = NULL;
    if (pipe(to) || pipe(from)) return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from[1], 3);
    posix_spawn_file_actions_addclose(&fa, to[1]);
    posix_spawn_file_actions_addclose(&fa, from[0]);
    int err = posix_spawn(&c->pid, "/proc/self/exe", &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    close(to[0]), close(from[1]);
    if (err) return -1;
    c->in = fdopen(to[1], "w");
    c->out = fdopen(from[0], "r");
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--member") == 0) return member(atoi(argv[2]));

    child kids[MEMBERS];
    char dir[] = "/tmp/p2p-demo-XXXXXX";
    int ok = 1, status;
    char *msg;

    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(60); /* a safety net: never hang */
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    for (int i = 0; i < MEMBERS; i++)
        if (spawn(dir, i, &kids[i]) != 0) {
            perror("posix_spawn");
            return 1;
        }

    /* Bob's and Carol's identity XML go to Alice; her invitations come back. */
    for (int i = 1; i < MEMBERS; i++) {
        msg = recv_msg(kids[i].out);
        if (!msg) return 1;
        send_msg(kids[0].in, msg);
        free(msg);
        msg = recv_msg(kids[0].out);
        if (!msg) return 1;
        send_msg(kids[i].in, msg);
        free(msg);
    }
    for (int i = 0; i < MEMBERS; i++) {
        msg = recv_msg(kids[i].out);
        ok &= msg && strcmp(msg, "done") == 0;
        free(msg);
    }
    for (int i = 0; i < MEMBERS; i++) {
        send_msg(kids[i].in, "list");
        free(recv_msg(kids[i].out));
    }
    for (int i = 0; i < MEMBERS; i++) {
        send_msg(kids[i].in, "exit");
        ok &= waitpid(kids[i].pid, &status, 0) == kids[i].pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    printf("%s\n", ok ? "every member saw every record" : "FAILED: a member missed a record");
    return ok ? 0 : 1;
}
