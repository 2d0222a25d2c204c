#include <stdint.h>
/* cfloor_pong echoes messages until the stream closes. */
int cfloor_pong(int fd, int size);
/* cfloor_ping times n round trips into rtt and returns how many completed. */
long cfloor_ping(int fd, int size, long n, uint64_t *rtt);
/* cfloor_sink takes messages, echoing only marked ones, until the stream closes. */
int cfloor_sink(int fd, int size);
/* cfloor_blast sends n messages, the last marked, waits for its echo, stores the time in *ns and returns how many were sent. */
long cfloor_blast(int fd, int size, long n, uint64_t *ns);
