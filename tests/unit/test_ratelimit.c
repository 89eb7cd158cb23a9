/* Check suite for ratelimit.c: token buckets per source, fixed memory. */
#include <string.h>

#include "echod/ratelimit.h"
#include "unit.h"

#define SEC	1000000000ULL

static struct ratelimit rl;
static char err[512];

static int
allow(uint32_t src, uint64_t now)
{
	uint8_t key[16] = { 0 };

	memcpy(key, &src, sizeof(src));
	return ratelimit_allow(&rl, key, 4, now);
}

START_TEST(test_burst_then_refill_at_the_rate)
{
	int i, n = 0;

	ck_assert_int_eq(ratelimit_init(&rl, 10, 1024), 0);
	for (i = 0; i < 100; i++)
		n += allow(1, SEC);
	ck_assert_int_eq(n, 10);		/* a burst of one second */
	ck_assert(!allow(1, SEC + SEC / 20));	/* 0.5 token: not yet */
	ck_assert(allow(1, SEC + SEC / 10));	/* 1 token after 100 ms */
	ck_assert(!allow(1, SEC + SEC / 10));
	for (i = 0, n = 0; i < 100; i++)
		n += allow(1, 100 * SEC);	/* long idle: capped at rate */
	ck_assert_int_eq(n, 10);
	ratelimit_free(&rl);
}
END_TEST

START_TEST(test_sources_are_independent)
{
	int i;

	ck_assert_int_eq(ratelimit_init(&rl, 2, 1024), 0);
	for (i = 0; i < 2; i++)
		ck_assert(allow(1, SEC));
	ck_assert(!allow(1, SEC));
	ck_assert(allow(2, SEC));
	ck_assert(allow(2, SEC));
	ck_assert(!allow(2, SEC));
	ratelimit_free(&rl);
}
END_TEST

START_TEST(test_memory_is_fixed_under_many_sources)
{
	uint32_t src;
	size_t slots;

	ck_assert_int_eq(ratelimit_init(&rl, 1, 100), 0);
	slots = rl.nsets * RATELIMIT_WAYS;
	ck_assert_uint_ge(slots, 100);
	ck_assert_uint_lt(slots, 256);
	for (src = 0; src < 100000; src++)	/* a spoofing flood */
		ck_assert(allow(src, SEC + src));
	ck_assert_uint_eq(rl.nsets * RATELIMIT_WAYS, slots);
	/* A source seen just now is still limited. */
	ck_assert(!allow(99999, SEC + 99999));
	ratelimit_free(&rl);
}
END_TEST

START_TEST(test_parse_rates)
{
	uint64_t r;

	ck_assert_int_eq(ratelimit_parse("100/s", &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r, 100);
	ck_assert_int_eq(ratelimit_parse("5", &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r, 5);
	ck_assert_int_eq(ratelimit_parse("100/m", &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "'100/m'"));
	ck_assert_int_eq(ratelimit_parse("0/s", &r, err, sizeof(err)), -1);
	ck_assert_int_eq(ratelimit_parse("/s", &r, err, sizeof(err)), -1);
	ck_assert_int_eq(ratelimit_parse("-1/s", &r, err, sizeof(err)), -1);
	ck_assert_int_eq(ratelimit_parse("99999999999999999999/s", &r, err,
	    sizeof(err)), -1);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("ratelimit",
	    test_burst_then_refill_at_the_rate,
	    test_sources_are_independent,
	    test_memory_is_fixed_under_many_sources,
	    test_parse_rates);
}
