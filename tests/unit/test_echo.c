/* Check suite for echo.c, on real libevent evbuffers. */
#include "unit.h"
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "echod/echo.h"

/* How many chains hold BUF's data. */
static int
chains(struct evbuffer *buf)
{
	return evbuffer_peek(buf, -1, NULL, NULL, 0);
}

START_TEST(test_bytes_come_out_in_order_exactly_once)
{
	struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
	unsigned char want[50000], got[50000];
	size_t i, off = 0, sizes[] = { 1, 7, 3968, 2047, 2048, 100, 4096 };

	/* Every other read finds the output empty: both paths are used. */

	for (i = 0; i < sizeof(want); i++)
		want[i] = (unsigned char)(i * 131 + 7);
	for (i = 0; off < sizeof(want); i++) {
		size_t n = sizes[i % 7];
		if (n > sizeof(want) - off)
			n = sizeof(want) - off;
		evbuffer_add(in, want + off, n);
		ck_assert_int_eq(echo_move(in, out), 0);
		ck_assert_uint_eq(evbuffer_get_length(in), 0);
		off += n;
		if (i % 2 == 1) {	/* the client reads some */
			size_t take = evbuffer_get_length(out);
			evbuffer_remove(out, got + (off - take), take);
		}
	}
	evbuffer_remove(out, got + (off - evbuffer_get_length(out)),
	    evbuffer_get_length(out));
	ck_assert(memcmp(got, want, sizeof(want)) == 0);
	evbuffer_free(in);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_dribbled_bytes_are_packed_not_one_chain_each)
{
	struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
	int i;

	for (i = 0; i < 10000; i++) {
		evbuffer_add(in, "x", 1);
		echo_move(in, out);
	}
	ck_assert_uint_eq(evbuffer_get_length(out), 10000);
	/* Linking each read would leave 10000 chains of ~1 KiB each. */
	ck_assert_int_le(chains(out), 10);
	evbuffer_free(in);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_full_reads_behind_queued_output_are_packed)
{
	struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
	static char block[ECHO_LIBEVENT_READ];
	int i;

	evbuffer_add(out, "queued", 6);
	for (i = 0; i < 64; i++) {
		evbuffer_add(in, block, sizeof(block));
		echo_move(in, out);
	}
	ck_assert_uint_eq(evbuffer_get_length(out), 6 + 64 * 4096);
	/* 256 KiB in ~8 KiB chains, not one half-empty chain per read. */
	ck_assert_int_le(chains(out), 40);
	evbuffer_free(in);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_small_read_into_empty_output_is_moved)
{
	struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
	struct evbuffer_iovec before, after;

	evbuffer_add(in, "ping\n", 5);
	evbuffer_peek(in, -1, NULL, &before, 1);
	echo_move(in, out);
	evbuffer_peek(out, -1, NULL, &after, 1);
	ck_assert_ptr_eq(after.iov_base, before.iov_base);
	evbuffer_free(in);
	evbuffer_free(out);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("echo",
	    test_bytes_come_out_in_order_exactly_once,
	    test_dribbled_bytes_are_packed_not_one_chain_each,
	    test_full_reads_behind_queued_output_are_packed,
	    test_small_read_into_empty_output_is_moved);
}
