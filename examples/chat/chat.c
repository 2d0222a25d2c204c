/*
 * chat.c - a terminal group chat over the Peer Grouping API, in the spirit
 * of Windows' GroupChat sample: one group, everyone's lines are records (so
 * a member who joins later sees the history), and /whisper sends to one
 * member over a direct connection.
 *
 *   make                                  (pkg-config finds the installed p2p)
 *
 *   terminal 1: ./chat create Alice
 *   terminal 2: ./chat identity Bob bob.xml        Bob's identity, to give Alice
 *   terminal 1: /invite bob.xml bob.inv            Alice's invitation for Bob
 *   terminal 2: ./chat join Bob bob.inv
 *
 * Each person needs a data directory of their own: on one machine, give
 * each terminal its own P2P_HOME (P2P_HOME=/tmp/alice ./chat create Alice).
 * In the chat, a line is a message to everyone; /whisper NAME TEXT opens
 * (or reuses) a direct connection to NAME; /invite IDFILE OUTFILE writes an
 * invitation for the identity in IDFILE; /members lists the members;
 * /quit (or end of input) leaves. The group and identities persist in the
 * data directory, so "./chat open Alice" reopens Alice's group later.
 *
 * POSIX only (it waits on standard input and an eventfd or pipe with
 * poll); every HRESULT is checked and a failure is printed with its name.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include <p2p.h>

/* The record type of chat lines and the data type of whispers: any GUIDs
 * the members agree on. */
static const GUID CHAT_LINE = {0x3c5e2a10, 0x7d4b, 0x4e21, {0x9a, 0x6f, 0x63, 0x68, 0x61, 0x74, 0x00, 0x01}};
static const GUID WHISPER = {0x3c5e2a10, 0x7d4b, 0x4e21, {0x9a, 0x6f, 0x63, 0x68, 0x61, 0x74, 0x00, 0x02}};

#define HISTORY_DAYS 30 /* how long a line stays in the group */

/* ------------------------------------------------------------------ */
/* Errors, UTF-8 and UTF-16                                            */
/* ------------------------------------------------------------------ */

static const char *hr_name(HRESULT hr) {
    static const struct { HRESULT hr; const char *name; } names[] = {
        {E_INVALIDARG, "E_INVALIDARG"}, {E_FAIL, "E_FAIL"}, {E_HANDLE, "E_HANDLE"},
        {HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), "ERROR_FILE_NOT_FOUND"},
        {PEER_E_NOT_FOUND, "PEER_E_NOT_FOUND"}, {PEER_E_GROUP_NOT_READY, "PEER_E_GROUP_NOT_READY"},
        {PEER_E_INVITATION_NOT_TRUSTED, "PEER_E_INVITATION_NOT_TRUSTED"},
        {PEER_E_INVALID_TIME_PERIOD, "PEER_E_INVALID_TIME_PERIOD"}, {PEER_E_NOT_AUTHORIZED, "PEER_E_NOT_AUTHORIZED"},
        {PEER_E_CONNECTION_FAILED, "PEER_E_CONNECTION_FAILED"}, {PEER_E_CONNECTION_REFUSED, "PEER_E_CONNECTION_REFUSED"},
        {PEER_E_CONNECTION_NOT_FOUND, "PEER_E_CONNECTION_NOT_FOUND"}, {PEER_E_CONNECT_SELF, "PEER_E_CONNECT_SELF"},
        {PEER_E_NO_MEMBERS_FOUND, "PEER_E_NO_MEMBERS_FOUND"},
        {PEER_E_NO_MEMBER_CONNECTIONS, "PEER_E_NO_MEMBER_CONNECTIONS"}, {PEER_E_UNABLE_TO_LISTEN, "PEER_E_UNABLE_TO_LISTEN"},
        {PEER_E_GROUP_IN_USE, "PEER_E_GROUP_IN_USE"}, {PEER_E_INVALID_PEER_NAME, "PEER_E_INVALID_PEER_NAME"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].hr == hr) return names[i].name;
    return "HRESULT";
}

static void fail(const char *what, HRESULT hr) {
    fprintf(stderr, "chat: %s: %s (0x%08X)\n", what, hr_name(hr), (unsigned)hr);
    exit(1);
}

#define CHECK(call)                              \
    do {                                         \
        HRESULT hr_ = (call);                    \
        if (FAILED(hr_)) fail(#call, hr_);       \
    } while (0)

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "chat: out of memory\n");
        exit(1);
    }
    return p;
}

/* to_w converts UTF-8 to a new NUL-terminated UTF-16 string; a malformed
 * byte becomes U+FFFD. */
static WCHAR *to_w(const char *s) {
    size_t n = strlen(s);
    WCHAR *out = xmalloc((n + 1) * sizeof(WCHAR)), *o = out;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        uint32_t c = *p++;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (c >= 0x80 && (c < 0xC0 || c >= 0xF8)) c = 0xFFFD, more = 0;
        else if (more) c &= 0x3F >> more;
        for (; more > 0; more--) {
            if (p == end || (*p & 0xC0) != 0x80) {
                c = 0xFFFD;
                break;
            }
            c = c << 6 | (*p++ & 0x3F);
        }
        if (c >= 0xD800 && c < 0xE000) c = 0xFFFD;
        if (c >= 0x10000) {
            c -= 0x10000;
            *o++ = (WCHAR)(0xD800 | c >> 10);
            *o++ = (WCHAR)(0xDC00 | (c & 0x3FF));
        } else {
            *o++ = (WCHAR)c;
        }
    }
    *o = 0;
    return out;
}

/* to_utf8 converts a UTF-16 string (NULL is "") to a new UTF-8 string. */
static char *to_utf8(PCWSTR s) {
    size_t n = 0;
    while (s && s[n]) n++;
    char *out = xmalloc(3 * n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000)
            c = 0x10000 + ((c - 0xD800) << 10) + (s[++i] - 0xDC00);
        else if (c >= 0xD800 && c < 0xE000)
            c = 0xFFFD;
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xC0 | c >> 6), *o++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *o++ = (char)(0xE0 | c >> 12), *o++ = (char)(0x80 | (c >> 6 & 0x3F)), *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (char)(0xF0 | c >> 18), *o++ = (char)(0x80 | (c >> 12 & 0x3F));
            *o++ = (char)(0x80 | (c >> 6 & 0x3F)), *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *o = 0;
    return out;
}

static WCHAR *wdup(PCWSTR s) {
    size_t n = 0;
    while (s[n]) n++;
    return memcpy(xmalloc((n + 1) * sizeof(WCHAR)), s, (n + 1) * sizeof(WCHAR));
}

static int wequal(PCWSTR a, PCWSTR b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                fprintf(stderr, "chat: out of memory\n");
                exit(1);
            }
            buf = bigger;
        }
    }
    fclose(f);
    buf[n] = 0;
    return buf;
}

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The chat's state                                                    */
/* ------------------------------------------------------------------ */

static HGROUP group;
static HPEEREVENT events;
static WCHAR *me;        /* this member's identity (peer name) */
static char *my_name;    /* ... and its friendly name */
static int ready;        /* synchronised: may publish */

/* Records already shown (a member sees its own and synchronised ones as
 * events too). */
static GUID *shown;
static size_t nshown, capshown;

static int was_shown(const GUID *id) {
    for (size_t i = 0; i < nshown; i++)
        if (!memcmp(&shown[i], id, sizeof *id)) return 1;
    if (nshown == capshown) {
        capshown = capshown ? 2 * capshown : 64;
        GUID *bigger = realloc(shown, capshown * sizeof *shown);
        if (!bigger) fail("remembering records", E_OUTOFMEMORY);
        shown = bigger;
    }
    shown[nshown++] = *id;
    return 0;
}

/* Friendly names of members, from their credentials (PeerGroupEnumMembers). */
struct member { WCHAR *peer; char *name; };
static struct member *members;
static size_t nmembers;

static void load_members(void) {
    HPEERENUM e;
    ULONG count = 0;
    PVOID *items = NULL;
    if (FAILED(PeerGroupEnumMembers(group, 0, NULL, &e))) return;
    PeerGetItemCount(e, &count);
    if (count && SUCCEEDED(PeerGetNextItem(e, &count, &items))) {
        for (size_t i = 0; i < nmembers; i++) free(members[i].peer), free(members[i].name);
        free(members);
        members = xmalloc(count * sizeof *members);
        nmembers = count;
        for (ULONG i = 0; i < count; i++) {
            PEER_MEMBER *m = items[i];
            members[i].peer = wdup(m->pwzIdentity);
            members[i].name = to_utf8(m->pCredentialInfo ? m->pCredentialInfo->pwzFriendlyName : NULL);
        }
        PeerFreeData(items);
    }
    PeerEndEnumeration(e);
}

/* name_of returns the friendly name of a member's peer name (not to be
 * freed), loading the member list again when it does not know it. */
static const char *name_of(PCWSTR peer) {
    static char unknown[16];
    if (wequal(peer, me)) return my_name;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nmembers; i++)
            if (wequal(members[i].peer, peer) && members[i].name[0]) return members[i].name;
        if (pass == 0) load_members();
    }
    char *u = to_utf8(peer);
    snprintf(unknown, sizeof unknown, "%.8s", u); /* the first hex digits */
    free(u);
    return unknown;
}

/* peer_named returns the peer name of the member with this friendly name
 * (not to be freed), or NULL. */
static const WCHAR *peer_named(const char *name) {
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nmembers; i++)
            if (!strcmp(members[i].name, name)) return members[i].peer;
        if (pass == 0) load_members();
    }
    return NULL;
}

/* Direct connections, for /whisper: to whom, whether up, what waits to be
 * sent once it is. */
struct direct { ULONGLONG id; WCHAR *peer; int up; char *pending; };
static struct direct conns[32];
static size_t nconns;

static struct direct *conn_by_id(ULONGLONG id) {
    for (size_t i = 0; i < nconns; i++)
        if (conns[i].id == id) return &conns[i];
    return NULL;
}

static struct direct *conn_to(PCWSTR peer) {
    for (size_t i = 0; i < nconns; i++)
        if (wequal(conns[i].peer, peer)) return &conns[i];
    return NULL;
}

static void drop_conn(struct direct *c) {
    free(c->peer);
    free(c->pending);
    *c = conns[--nconns];
}

/* peer_of_connection finds who is at the other end of a direct connection
 * another member opened (PeerGroupEnumConnections). */
static WCHAR *peer_of_connection(ULONGLONG id) {
    HPEERENUM e;
    ULONG count = 0;
    PVOID *items = NULL;
    WCHAR *peer = NULL;
    if (FAILED(PeerGroupEnumConnections(group, PEER_CONNECTION_DIRECT, &e))) return NULL;
    PeerGetItemCount(e, &count);
    if (count && SUCCEEDED(PeerGetNextItem(e, &count, &items))) {
        for (ULONG i = 0; i < count && !peer; i++) {
            PEER_CONNECTION_INFO *c = items[i];
            if (c->ullConnectionId == id) peer = wdup(c->pwzPeerId);
        }
        PeerFreeData(items);
    }
    PeerEndEnumeration(e);
    return peer;
}

/* ------------------------------------------------------------------ */
/* Lines and whispers                                                  */
/* ------------------------------------------------------------------ */

static FILETIME filetime_in(time_t seconds) {
    ULONGLONG t = ((ULONGLONG)(time(NULL) + seconds) + 11644473600ULL) * 10000000ULL;
    FILETIME ft = {(DWORD)t, (DWORD)(t >> 32)};
    return ft;
}

static void show_record(const PEER_RECORD *r) {
    if (was_shown(&r->id)) return;
    printf("%s: %.*s\n", name_of(r->pwzCreatorId), (int)r->data.cbData, (const char *)r->data.pbData);
}

static void show_record_id(const GUID *id) {
    PEER_RECORD *r;
    if (SUCCEEDED(PeerGroupGetRecord(group, id, &r))) {
        show_record(r);
        PeerFreeData(r);
    }
}

static int by_creation(const void *a, const void *b) {
    const PEER_RECORD *x = *(PEER_RECORD *const *)a, *y = *(PEER_RECORD *const *)b;
    ULONGLONG tx = (ULONGLONG)x->ftCreation.dwHighDateTime << 32 | x->ftCreation.dwLowDateTime;
    ULONGLONG ty = (ULONGLONG)y->ftCreation.dwHighDateTime << 32 | y->ftCreation.dwLowDateTime;
    return tx < ty ? -1 : tx > ty;
}

/* show_history prints every line the group holds, oldest first. */
static void show_history(void) {
    HPEERENUM e;
    ULONG count = 0;
    PVOID *items = NULL;
    CHECK(PeerGroupEnumRecords(group, &CHAT_LINE, &e));
    CHECK(PeerGetItemCount(e, &count));
    if (count) {
        CHECK(PeerGetNextItem(e, &count, &items));
        qsort(items, count, sizeof *items, by_creation);
        for (ULONG i = 0; i < count; i++) show_record(items[i]);
        PeerFreeData(items);
    }
    CHECK(PeerEndEnumeration(e));
    printf("* %lu earlier message%s\n", (unsigned long)count, count == 1 ? "" : "s");
}

static void say(const char *text) {
    PEER_RECORD r;
    GUID id;
    memset(&r, 0, sizeof r);
    r.dwSize = sizeof r;
    r.type = CHAT_LINE;
    r.ftExpiration = filetime_in(HISTORY_DAYS * 86400);
    r.data.cbData = (ULONG)strlen(text);
    r.data.pbData = (PBYTE)text;
    HRESULT hr = PeerGroupAddRecord(group, &r, &id);
    if (FAILED(hr)) {
        printf("* not sent: %s (0x%08X)\n", hr_name(hr), (unsigned)hr);
        return;
    }
    was_shown(&id); /* echoed below, not again when its event comes */
    printf("%s: %s\n", my_name, text);
}

static void send_whisper(struct direct *c, const char *text) {
    HRESULT hr = PeerGroupSendData(group, c->id, &WHISPER, (ULONG)strlen(text), (PVOID)text);
    if (FAILED(hr))
        printf("* whisper to %s not sent: %s (0x%08X)\n", name_of(c->peer), hr_name(hr), (unsigned)hr);
    else
        printf("(to %s) %s\n", name_of(c->peer), text);
}

static void whisper(const char *args) {
    char name[256];
    int used = 0;
    if (sscanf(args, "%255s %n", name, &used) != 1 || !args[used]) {
        printf("* usage: /whisper NAME TEXT\n");
        return;
    }
    const char *text = args + used;
    const WCHAR *peer = peer_named(name);
    if (!peer) {
        printf("* no member is called %s (/members lists them)\n", name);
        return;
    }
    struct direct *c = conn_to(peer);
    if (c && c->up) {
        send_whisper(c, text);
        return;
    }
    if (c) { /* still opening: send this too once it is up */
        size_t n = strlen(c->pending);
        char *more = xmalloc(n + strlen(text) + 2);
        sprintf(more, "%s\n%s", c->pending, text);
        free(c->pending);
        c->pending = more;
        return;
    }
    if (nconns == sizeof conns / sizeof conns[0]) {
        printf("* too many direct connections\n");
        return;
    }
    ULONGLONG id;
    HRESULT hr = PeerGroupOpenDirectConnection(group, peer, NULL, &id);
    if (FAILED(hr)) {
        printf("* cannot open a direct connection to %s: %s (0x%08X)\n", name, hr_name(hr), (unsigned)hr);
        return;
    }
    conns[nconns].id = id;
    conns[nconns].peer = wdup(peer);
    conns[nconns].up = 0;
    conns[nconns].pending = strcpy(xmalloc(strlen(text) + 1), text);
    nconns++;
    printf("* opening a direct connection to %s\n", name);
}

static void invite(const char *args) {
    char idfile[1024], outfile[1024];
    if (sscanf(args, "%1023s %1023s", idfile, outfile) != 2) {
        printf("* usage: /invite IDENTITY-FILE INVITATION-FILE\n");
        return;
    }
    char *xml = read_file(idfile);
    if (!xml) {
        printf("* cannot read %s: %s\n", idfile, strerror(errno));
        return;
    }
    WCHAR *wxml = to_w(xml);
    PWSTR invitation = NULL;
    HRESULT hr = PeerGroupCreateInvitation(group, wxml, NULL, 1, &PEER_GROUP_ROLE_MEMBER, &invitation);
    free(xml), free(wxml);
    if (FAILED(hr)) {
        printf("* no invitation: %s (0x%08X)\n", hr_name(hr), (unsigned)hr);
        return;
    }
    PEER_INVITATION_INFO *info = NULL;
    CHECK(PeerGroupParseInvitation(invitation, &info));
    char *text = to_utf8(invitation), *who = to_utf8(info->pwzSubjectFriendlyName);
    if (write_file(outfile, text) == 0)
        printf("* invitation for %s written to %s\n", who, outfile);
    else
        printf("* cannot write %s: %s\n", outfile, strerror(errno));
    free(text), free(who);
    PeerFreeData(info);
    PeerFreeData(invitation);
}

static void list_members(void) {
    HPEERENUM e;
    ULONG count = 0;
    PVOID *items = NULL;
    CHECK(PeerGroupEnumMembers(group, 0, NULL, &e));
    CHECK(PeerGetItemCount(e, &count));
    if (count) {
        CHECK(PeerGetNextItem(e, &count, &items));
        for (ULONG i = 0; i < count; i++) {
            PEER_MEMBER *m = items[i];
            printf("* %s%s\n", name_of(m->pwzIdentity), m->dwFlags & PEER_MEMBER_PRESENT ? " (online)" : "");
        }
        PeerFreeData(items);
    }
    CHECK(PeerEndEnumeration(e));
}

/* Lines typed before the group is ready wait here. */
static char **waiting;
static size_t nwaiting;

static int handle_line(char *line) {
    if (!strcmp(line, "/quit")) return 0;
    if (!strncmp(line, "/whisper ", 9)) whisper(line + 9);
    else if (!strncmp(line, "/invite ", 8)) invite(line + 8);
    else if (!strcmp(line, "/members")) list_members();
    else if (line[0] == '/') printf("* commands: /whisper NAME TEXT, /invite IDFILE OUTFILE, /members, /quit\n");
    else if (!line[0]) ;
    else if (ready) say(line);
    else {
        char **more = realloc(waiting, (nwaiting + 1) * sizeof *waiting);
        if (!more) fail("queueing a line", E_OUTOFMEMORY);
        waiting = more;
        waiting[nwaiting++] = strcpy(xmalloc(strlen(line) + 1), line);
        printf("* not synchronised with the group yet: it goes out once it is\n");
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* check_ready turns ready on once a joined group has synchronised: until
 * then PeerGroupAddRecord fails with PEER_E_GROUP_NOT_READY, and so does
 * the peer-time conversion, which is how a member asks without side
 * effects. */
static void check_ready(void) {
    FILETIME now = filetime_in(0), out;
    if (ready || PeerGroupUniversalTimeToPeerTime(group, &now, &out) != S_OK) return;
    ready = 1;
    load_members();
    show_history();
    for (size_t i = 0; i < nwaiting; i++) say(waiting[i]), free(waiting[i]);
    nwaiting = 0;
}

static void on_event(const PEER_GROUP_EVENT_DATA *e) {
    switch (e->eventType) {
    case PEER_GROUP_EVENT_RECORD_CHANGED:
        /* Before the first synchronisation the history is printed whole,
         * in order, by check_ready. */
        if (ready && e->recordChangeData.changeType == PEER_RECORD_ADDED) show_record_id(&e->recordChangeData.recordId);
        break;
    case PEER_GROUP_EVENT_MEMBER_CHANGED: {
        const PEER_EVENT_MEMBER_CHANGE_DATA *m = &e->memberChangeData;
        if (!m->pwzIdentity || wequal(m->pwzIdentity, me)) break;
        if (m->changeType == PEER_MEMBER_CONNECTED) printf("* %s is online\n", name_of(m->pwzIdentity));
        else if (m->changeType == PEER_MEMBER_DISCONNECTED) printf("* %s went offline\n", name_of(m->pwzIdentity));
        else if (m->changeType == PEER_MEMBER_JOINED) printf("* %s joined\n", name_of(m->pwzIdentity));
        break;
    }
    case PEER_GROUP_EVENT_DIRECT_CONNECTION: {
        const PEER_EVENT_CONNECTION_CHANGE_DATA *d = &e->connectionChangeData;
        struct direct *c = conn_by_id(d->ullConnectionId);
        if (d->status == PEER_CONNECTED) {
            if (c) { /* one this member opened */
                c->up = 1;
                char *pending = c->pending, *line = pending, *nl;
                c->pending = NULL;
                while (line) {
                    if ((nl = strchr(line, '\n'))) *nl = 0;
                    send_whisper(c, line);
                    line = nl ? nl + 1 : NULL;
                }
                free(pending);
            } else if (nconns < sizeof conns / sizeof conns[0]) { /* another member opened it */
                WCHAR *peer = peer_of_connection(d->ullConnectionId);
                if (!peer) break;
                conns[nconns++] = (struct direct){d->ullConnectionId, peer, 1, NULL};
                printf("* %s opened a direct connection\n", name_of(peer));
            }
        } else if (c) {
            if (d->status == PEER_CONNECTION_FAILED)
                printf("* cannot reach %s: %s (0x%08X)\n", name_of(c->peer), hr_name(d->hrConnectionFailedReason),
                       (unsigned)d->hrConnectionFailedReason);
            else
                printf("* direct connection with %s closed\n", name_of(c->peer));
            drop_conn(c);
        }
        break;
    }
    case PEER_GROUP_EVENT_INCOMING_DATA: {
        const PEER_EVENT_INCOMING_DATA *d = &e->incomingData;
        struct direct *c = conn_by_id(d->ullConnectionId);
        printf("(from %s) %.*s\n", c ? name_of(c->peer) : "?", (int)d->data.cbData, (const char *)d->data.pbData);
        break;
    }
    case PEER_GROUP_EVENT_CONNECTION_FAILED:
        printf("* no member of the group could be reached (%s): is one online?\n",
               hr_name(e->hrConnectionFailedReason));
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Start-up                                                            */
/* ------------------------------------------------------------------ */

/* find_identity returns this user's identity with that friendly name,
 * creating it the first time. */
static WCHAR *find_identity(const char *name) {
    HPEERENUM e;
    ULONG count = 0;
    PVOID *items = NULL;
    WCHAR *found = NULL;
    WCHAR *wname = to_w(name);
    CHECK(PeerEnumIdentities(&e));
    CHECK(PeerGetItemCount(e, &count));
    if (count) {
        CHECK(PeerGetNextItem(e, &count, &items));
        for (ULONG i = 0; i < count && !found; i++) {
            PEER_NAME_PAIR *p = items[i];
            if (wequal(p->pwzFriendlyName, wname)) found = wdup(p->pwzPeerName);
        }
        PeerFreeData(items);
    }
    CHECK(PeerEndEnumeration(e));
    if (!found) {
        PWSTR created;
        CHECK(PeerIdentityCreate(u"chat", wname, 0, &created));
        found = wdup(created);
        PeerFreeData(created);
    }
    free(wname);
    return found;
}

static int usage(void) {
    fprintf(stderr,
            "usage: chat create NAME                 start a chat group as NAME\n"
            "       chat identity NAME FILE          write NAME's identity, for an invitation\n"
            "       chat join NAME INVITATION-FILE   join a chat group\n"
            "       chat open NAME                   reopen NAME's group\n");
    return 2;
}

int main(int argc, char **argv) {
    PEER_VERSION_DATA version;
    if (argc < 3) return usage();
    const char *cmd = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    my_name = argv[2];
    CHECK(PeerGroupStartup(PEER_GROUP_VERSION, &version));
    me = find_identity(my_name);

    if (!strcmp(cmd, "identity") && argc == 4) {
        PWSTR xml;
        CHECK(PeerIdentityGetXML(me, &xml));
        char *text = to_utf8(xml);
        if (write_file(argv[3], text) != 0) {
            fprintf(stderr, "chat: cannot write %s: %s\n", argv[3], strerror(errno));
            return 1;
        }
        printf("identity of %s written to %s: give it to a member, who runs /invite %s INVITATION-FILE\n", my_name,
               argv[3], argv[3]);
        free(text);
        PeerFreeData(xml);
        free(me);
        CHECK(PeerGroupShutdown());
        return 0;
    } else if (!strcmp(cmd, "create") && argc == 3) {
        PEER_GROUP_PROPERTIES props;
        memset(&props, 0, sizeof props);
        props.dwSize = sizeof props;
        props.pwzCreatorPeerName = me;
        props.pwzClassifier = u"chat";
        char title[300];
        snprintf(title, sizeof title, "%s's chat", my_name);
        WCHAR *wtitle = to_w(title);
        props.pwzFriendlyName = wtitle;
        CHECK(PeerGroupCreate(&props, &group));
        free(wtitle);
        printf("* created %s; /invite IDFILE OUTFILE invites someone\n", title);
    } else if (!strcmp(cmd, "join") && argc == 4) {
        char *text = read_file(argv[3]);
        if (!text) {
            fprintf(stderr, "chat: cannot read %s: %s\n", argv[3], strerror(errno));
            return 1;
        }
        WCHAR *invitation = to_w(text);
        PEER_INVITATION_INFO *info;
        CHECK(PeerGroupParseInvitation(invitation, &info));
        CHECK(PeerGroupJoin(me, invitation, NULL, &group));
        char *title = to_utf8(info->pwzGroupFriendlyName), *issuer = to_utf8(info->pwzIssuerFriendlyName);
        printf("* joined %s, invited by %s; connecting\n", title, issuer);
        free(title), free(issuer), free(text), free(invitation);
        PeerFreeData(info);
    } else if (!strcmp(cmd, "open") && argc == 3) {
        HPEERENUM e;
        ULONG count = 1;
        PVOID *items = NULL;
        CHECK(PeerEnumGroups(me, &e));
        CHECK(PeerGetNextItem(e, &count, &items));
        if (!count) {
            fprintf(stderr, "chat: %s has no group: chat create or chat join first\n", my_name);
            return 1;
        }
        PEER_NAME_PAIR *p = items[0];
        CHECK(PeerGroupOpen(me, p->pwzPeerName, NULL, &group));
        char *title = to_utf8(p->pwzFriendlyName);
        printf("* opened %s\n", title);
        free(title);
        PeerFreeData(items);
        CHECK(PeerEndEnumeration(e));
    } else {
        return usage();
    }

    /* The library writes to this descriptor whenever it queues an event. */
#ifdef __linux__
    int evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), evwrite = evfd;
#else
    int fds[2];
    if (pipe(fds) != 0) fail("pipe", E_FAIL);
    int evfd = fds[0], evwrite = fds[1];
    fcntl(evfd, F_SETFL, O_NONBLOCK);
#endif
    if (evfd < 0) fail("eventfd", E_FAIL);
    PEER_GROUP_EVENT_REGISTRATION regs[] = {
        {PEER_GROUP_EVENT_RECORD_CHANGED, (GUID *)&CHAT_LINE},
        {PEER_GROUP_EVENT_INCOMING_DATA, (GUID *)&WHISPER},
        {PEER_GROUP_EVENT_MEMBER_CHANGED, NULL},
        {PEER_GROUP_EVENT_DIRECT_CONNECTION, NULL},
        {PEER_GROUP_EVENT_CONNECTION_FAILED, NULL},
    };
    CHECK(PeerGroupRegisterEvent(group, (HANDLE)(intptr_t)evwrite, sizeof regs / sizeof regs[0], regs, &events));
    CHECK(PeerGroupConnect(group));
    check_ready();

    char buf[8192];
    size_t have = 0;
    for (int running = 1; running;) {
        struct pollfd p[2] = {{0, POLLIN, 0}, {evfd, POLLIN, 0}};
        if (poll(p, 2, ready ? -1 : 100) < 0 && errno != EINTR) fail("poll", E_FAIL);
        if (p[1].revents & POLLIN) {
            uint64_t n;
            while (read(evfd, &n, sizeof n) > 0) {
            }
            PEER_GROUP_EVENT_DATA *e;
            while (PeerGroupGetEventData(events, &e) == S_OK) {
                on_event(e);
                PeerFreeData(e);
            }
        }
        if (!ready) check_ready();
        if (p[0].revents & (POLLIN | POLLHUP)) {
            ssize_t got = read(0, buf + have, sizeof buf - 1 - have);
            if (got <= 0) break; /* end of input */
            have += (size_t)got;
            char *start = buf, *nl;
            while (running && (nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
                *nl = 0;
                running = handle_line(start);
                start = nl + 1;
            }
            have -= (size_t)(start - buf);
            memmove(buf, start, have);
            if (have == sizeof buf - 1) have = 0; /* a line too long: dropped */
        }
    }

    printf("* bye\n");
    for (size_t i = 0; i < nconns; i++) PeerGroupCloseDirectConnection(group, conns[i].id);
    CHECK(PeerGroupUnregisterEvent(events));
    CHECK(PeerGroupClose(group));
    free(me);
    CHECK(PeerGroupShutdown());
    close(evfd);
    if (evwrite != evfd) close(evwrite);
    return 0;
}
