/*
 * echo: the echo step itself, on libevent buffers and nothing else.
 */
#ifndef ECHOD_ECHO_H
#define ECHOD_ECHO_H

#include <stddef.h>

struct evbuffer;

/*
 * The most we ask libevent to read at once.  libevent allocates a chain
 * of the next power of two above request + chain header, so a 4096-byte
 * read costs 8 KiB; 3968 bytes fit one 4 KiB allocation.
 */
#define ECHO_READ_MAX		3968

/* Reads smaller than this are copied into queued output, not linked. */
#define ECHO_PACK_BELOW		2048

/*
 * Append everything in IN to OUT, emptying IN.  Large reads, or any read
 * when OUT is empty (it is written at once), move chains without copying;
 * a small read behind queued output is copied into OUT's last chain, so a
 * client that dribbles bytes and never reads cannot make echod hold a
 * mostly empty chain per byte.  OUT then costs at most about twice its
 * length in memory.
 */
void	echo_move(struct evbuffer *in, struct evbuffer *out);

#endif
