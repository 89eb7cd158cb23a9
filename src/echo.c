/*
 * echo.c: move what a client sent to what it will receive.  Pure buffer
 * logic on libevent evbuffers (no sockets), so it is unit-tested.
 */
#include <event2/buffer.h>

#include "echod/echo.h"

int
echo_move(struct evbuffer *in, struct evbuffer *out)
{
	struct evbuffer_iovec v[8];
	int i, n;

	if (evbuffer_get_length(out) == 0)
		return evbuffer_add_buffer(out, in);
	/* Copy chain by chain (usually one: one read), packing OUT. */
	while (evbuffer_get_length(in) > 0) {
		n = evbuffer_peek(in, -1, NULL, v, 8);
		if (n > 8)
			n = 8;
		for (i = 0; i < n; i++) {
			if (evbuffer_add(out, v[i].iov_base, v[i].iov_len) == -1)
				return -1;
			evbuffer_drain(in, v[i].iov_len);
		}
	}
	return 0;
}
