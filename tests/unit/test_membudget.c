/* Check suite for membudget.c: the bytes held for all clients together. */
#include "echod/membudget.h"
#include "unit.h"

#define MiB	(1ULL << 20)

START_TEST(test_episode_starts_over_and_ends_below_seven_eighths)
{
	struct membudget m;

	membudget_init(&m, 8 * MiB);
	ck_assert_int_eq(membudget_add(&m, 8 * MiB), 0);	/* at: fine */
	ck_assert_int_eq(membudget_add(&m, 1), 1);		/* over */
	ck_assert_int_eq(membudget_add(&m, MiB), 0);		/* still */
	ck_assert_int_eq(membudget_sub(&m, MiB + 1), 0);	/* at 8M */
	ck_assert_int_eq(membudget_sub(&m, MiB - 1), 0);	/* > 7M */
	ck_assert_int_eq(membudget_sub(&m, 1), -1);		/* 7M: ends */
	ck_assert_uint_eq(atomic_load(&m.episodes), 1);
	ck_assert_int_eq(membudget_sub(&m, 7 * MiB), 0);
	ck_assert_uint_eq(atomic_load(&m.held), 0);
}
END_TEST

START_TEST(test_only_those_over_their_share_pause)
{
	struct membudget m;

	membudget_init(&m, 8 * MiB);
	/* Under the limit nobody pauses, however much one holds. */
	(void)membudget_add(&m, 6 * MiB);
	ck_assert(!membudget_should_pause(&m, 6 * MiB, 10));
	(void)membudget_add(&m, 4 * MiB);			/* 10M held */
	/* 10 connections: a share is 0.8M. */
	ck_assert(membudget_should_pause(&m, MiB, 10));
	ck_assert(!membudget_should_pause(&m, MiB / 2, 10));
	ck_assert(!membudget_should_pause(&m, 0, 10));	/* holds nothing */
	ck_assert_uint_eq(atomic_load(&m.pauses), 1);
	/* No limit: never. */
	membudget_set_limit(&m, 0);
	ck_assert(!membudget_should_pause(&m, 9 * MiB, 1));
}
END_TEST

START_TEST(test_default_from_cgroup_or_ram)
{
	ck_assert_uint_eq(membudget_default(2048 * MiB, 64 * 1024 * MiB),
	    1024 * MiB);				/* half of MemoryMax= */
	ck_assert_uint_eq(membudget_default(0, 24 * 1024 * MiB),
	    6 * 1024 * MiB);				/* a quarter of RAM */
	ck_assert_uint_eq(membudget_default(0, 0), MEMBUDGET_MIN);
	ck_assert_uint_eq(membudget_parse_cgroup_max("max\n"), 0);
	ck_assert_uint_eq(membudget_parse_cgroup_max("2147483648\n"),
	    2147483648ULL);
	ck_assert_uint_eq(membudget_parse_cgroup_max("12x\n"), 0);
	ck_assert_uint_eq(membudget_parse_cgroup_max(""), 0);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("membudget",
	    test_episode_starts_over_and_ends_below_seven_eighths,
	    test_only_those_over_their_share_pause,
	    test_default_from_cgroup_or_ram);
}
