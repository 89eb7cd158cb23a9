/*
 * echo: the echo step itself, on libevent buffers and nothing else.
 */
#ifndef ECHOD_ECHO_H
#define ECHOD_ECHO_H

#include <stddef.h>

struct evbuffer;

/*
 * libevent reads at most this much per readiness (EVBUFFER_MAX_READ in
 * its buffer.c); a read that size suggests more is waiting.
 */
#define ECHO_LIBEVENT_READ	4096

/*
 * Append everything in IN to OUT, emptying IN.  When OUT is empty its
 * chains are moved without copying (they are written at once).  When
 * output is already queued (the client is behind), the bytes are copied
 * into OUT's last chain instead: libevent allocates a read's chain at the
 * next power of two above the read plus a header, so linking them would
 * make echod hold up to twice --buffer-limit, or about a kilobyte per
 * byte for a client that dribbles single bytes and never reads.
 * Returns 0, or -1 if memory ran out (the stream is then broken: the
 * caller must close the connection rather than lose bytes silently).
 */
int	echo_move(struct evbuffer *in, struct evbuffer *out);

#endif
