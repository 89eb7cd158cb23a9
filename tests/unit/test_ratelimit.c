/* Check suite for ratelimit.c: token buckets per source, fixed memory. */
#include <string.h>

#include "echod/ratelimit.h"
#include "unit.h"

#define SEC	1000000000ULL

static struct ratelimit rl;
static const struct hash_key key = { 0x0706050403020100ULL,
    0x0f0e0d0c0b0a0908ULL };
static char err[512];

static int
allow(uint32_t src, uint64_t now)
{
	struct addr_ip ip = { .family = 4 };

	memcpy(ip.bytes, &src, sizeof(src));
	return ratelimit_allow(&rl, &ip, now);
}

START_TEST(test_new_source_gets_a_small_burst_then_the_rate)
{
	int i, n = 0;

	ck_assert_int_eq(ratelimit_init(&rl, 1000, 1024, &key), 0);
	for (i = 0; i < 100; i++)
		n += allow(1, SEC);
	ck_assert_int_eq(n, (int)RATELIMIT_FIRST_BURST); /* not 1000 */
	ck_assert(!allow(1, SEC + SEC / 2000));	/* 0.5 token: not yet */
	ck_assert(allow(1, SEC + SEC / 1000));	/* 1 token after 1 ms */
	ck_assert(!allow(1, SEC + SEC / 1000));
	for (i = 0, n = 0; i < 2000; i++)
		n += allow(1, 100 * SEC);	/* long idle: a full burst */
	ck_assert_int_eq(n, 1000);
	ratelimit_free(&rl);
	/* A rate below the small burst: the rate is the burst. */
	ck_assert_int_eq(ratelimit_init(&rl, 5, 1024, &key), 0);
	for (i = 0, n = 0; i < 100; i++)
		n += allow(2, SEC);
	ck_assert_int_eq(n, 5);
	ratelimit_free(&rl);
}
END_TEST

/*
 * Finding: with a table of one set, four other sources push a victim out;
 * it used to come back with a full bucket (its quota reset at will).  Now
 * it comes back with the small first credit: each eviction is worth
 * RATELIMIT_FIRST_BURST datagrams, never the whole burst of 1000.
 */
START_TEST(test_eviction_does_not_refill_a_source)
{
	uint64_t now = SEC;
	int round, i, got;

	ck_assert_int_eq(ratelimit_init(&rl, 1000, RATELIMIT_WAYS, &key), 0);
	ck_assert_uint_eq(rl.nsets, 1);
	for (round = 0; round < 10; round++, now += SEC / 100000) {
		for (i = 0, got = 0; i < 2000; i++)
			got += allow(1, now);
		/* The first sight and every eviction: the small credit. */
		ck_assert_int_le(got, (int)RATELIMIT_FIRST_BURST + 1);
		for (i = 2; i < 2 + RATELIMIT_WAYS; i++)
			(void)allow((uint32_t)(round * 16 + i), now);
	}
	ratelimit_free(&rl);
}
END_TEST

START_TEST(test_same_key_same_table_other_key_other_sets)
{
	struct hash_key other = { 1, 2 };
	uint8_t a[17] = { 4, 192, 0, 2, 1 };

	ck_assert_uint_eq(hash_sip(&key, a, sizeof(a)),
	    hash_sip(&key, a, sizeof(a)));
	ck_assert_uint_ne(hash_sip(&key, a, sizeof(a)),
	    hash_sip(&other, a, sizeof(a)));
}
END_TEST

/* The reference vector of the SipHash paper (appendix A). */
START_TEST(test_siphash_reference_vector)
{
	uint8_t msg[15];
	unsigned i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	ck_assert_uint_eq(hash_sip(&key, msg, sizeof(msg)),
	    0xa129ca6149be45e5ULL);
}
END_TEST

START_TEST(test_sources_are_independent)
{
	int i;

	ck_assert_int_eq(ratelimit_init(&rl, 2, 1024, &key), 0);
	ck_assert(allow(1, SEC));
	ck_assert(allow(1, SEC));
	ck_assert(!allow(1, SEC));
	ck_assert(allow(2, SEC));		/* 1 spent does not touch 2 */
	ck_assert(allow(2, SEC));
	ck_assert(!allow(2, SEC));
	for (i = 0; i < 2; i++)
		ck_assert(allow(1, 5 * SEC));	/* idle: a burst of 2 */
	ck_assert(!allow(1, 5 * SEC));
	ratelimit_free(&rl);
}
END_TEST

START_TEST(test_memory_is_fixed_under_many_sources)
{
	uint32_t src;
	size_t slots;

	ck_assert_int_eq(ratelimit_init(&rl, 1, 100, &key), 0);
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
	ck_assert_int_eq(ratelimit_parse("0/s", &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r, 0);			/* no limit */
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
	    test_new_source_gets_a_small_burst_then_the_rate,
	    test_eviction_does_not_refill_a_source,
	    test_same_key_same_table_other_key_other_sets,
	    test_siphash_reference_vector,
	    test_sources_are_independent,
	    test_memory_is_fixed_under_many_sources,
	    test_parse_rates);
}
