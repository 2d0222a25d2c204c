// The C side of the floor benchmark: loops on a thread that C created,
// as an application's would, waiting on an eventfd and calling into Go.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "_cgo_export.h"
#include "cfloor.h"

static void wait_fd(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, 1000) < 0 && errno == EINTR) {}
    uint64_t v;
    while (read(fd, &v, sizeof v) > 0) {}
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct job {
    int fd, size;
    long n, done;
    uint64_t *rtt;
};

/* pong echoes every message until floorTake reports the stream closed. */
static void *pong(void *arg) {
    struct job *j = arg;
    char *buf = malloc((size_t)j->size);
    for (;;) {
        int got;
        while ((got = floorTake(buf, j->size)) > 0) floorSend(buf, got);
        if (got < 0) break;
        wait_fd(j->fd);
    }
    free(buf);
    return NULL;
}

/* ping times up to n round trips; j->done counts those completed. */
static void *ping(void *arg) {
    struct job *j = arg;
    char *buf = calloc(1, (size_t)j->size);
    for (j->done = 0; j->done < j->n; j->done++) {
        uint64_t t0 = now_ns();
        floorSend(buf, j->size);
        int got;
        while ((got = floorTake(buf, j->size)) == 0) wait_fd(j->fd);
        if (got < 0) break;
        j->rtt[j->done] = now_ns() - t0;
    }
    free(buf);
    return NULL;
}

/* sink takes every message and echoes only those whose first byte is not
 * zero (the last of a throughput run), until the stream closes. */
static void *sink(void *arg) {
    struct job *j = arg;
    char *buf = malloc((size_t)j->size);
    for (;;) {
        int got;
        while ((got = floorTake(buf, j->size)) > 0)
            if (buf[0]) floorSend(buf, got);
        if (got < 0) break;
        wait_fd(j->fd);
    }
    free(buf);
    return NULL;
}

/* blast sends n messages, the last marked, and waits for its echo; it
 * stores the time that took in rtt[0]. */
static void *blast(void *arg) {
    struct job *j = arg;
    char *buf = calloc(1, (size_t)j->size);
    uint64_t t0 = now_ns();
    for (j->done = 0; j->done < j->n; j->done++) {
        buf[0] = j->done == j->n - 1;
        floorSend(buf, j->size);
    }
    int got;
    while ((got = floorTake(buf, j->size)) == 0) wait_fd(j->fd);
    if (got < 0) j->done = 0;
    j->rtt[0] = now_ns() - t0;
    free(buf);
    return NULL;
}

static int run(void *(*fn)(void *), struct job *j) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, j) != 0) return -1;
    return pthread_join(t, NULL);
}

int cfloor_pong(int fd, int size) {
    struct job j = {.fd = fd, .size = size};
    return run(pong, &j);
}

int cfloor_sink(int fd, int size) {
    struct job j = {.fd = fd, .size = size};
    return run(sink, &j);
}

long cfloor_blast(int fd, int size, long n, uint64_t *ns) {
    struct job j = {.fd = fd, .size = size, .n = n, .rtt = ns};
    return run(blast, &j) == 0 ? j.done : -1;
}

long cfloor_ping(int fd, int size, long n, uint64_t *rtt) {
    struct job j = {.fd = fd, .size = size, .n = n, .rtt = rtt};
    return run(ping, &j) == 0 ? j.done : -1;
}
