#include <stdint.h>
/* cfloor_pong echoes messages until the stream closes. */
int cfloor_pong(int fd, int size);
/* cfloor_ping times n round trips into rtt and returns how many completed. */
long cfloor_ping(int fd, int size, long n, uint64_t *rtt);
