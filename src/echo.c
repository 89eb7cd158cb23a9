/*
 * echo.c: move what a client sent to what it will receive.  Pure buffer
 * logic on libevent evbuffers (no sockets), so it is unit-tested.
 */
#include <event2/buffer.h>

#include "echod/echo.h"

void
echo_move(struct evbuffer *in, struct evbuffer *out)
{
	size_t n = evbuffer_get_length(in);

	if (n >= ECHO_PACK_BELOW || evbuffer_get_length(out) == 0) {
		evbuffer_add_buffer(out, in);
		return;
	}
	/* One read is one chain, so the pull-up is free in practice. */
	evbuffer_add(out, evbuffer_pullup(in, (ssize_t)n), n);
	evbuffer_drain(in, n);
}
