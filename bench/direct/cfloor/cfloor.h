#include <stdint.h>
int cfloor_pong(int fd, int size);
int cfloor_ping(int fd, int size, long n, uint64_t *rtt);
