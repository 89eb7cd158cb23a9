/* Check suite for conncount.c and log.c's line limit: the two pieces of
 * shared state the front door relies on. */
#include "echod/conncount.h"
#include "echod/log.h"
#include "unit.h"

START_TEST(test_full_at_max_and_wakes_on_the_way_down)
{
	struct conncount c;

	conncount_init(&c, 2);
	ck_assert(!conncount_take(&c));
	ck_assert(conncount_take(&c));		/* 2 of 2: full */
	ck_assert(conncount_full(&c));
	ck_assert(conncount_give(&c));		/* was full: look again */
	ck_assert(!conncount_give(&c));
	ck_assert_uint_eq(conncount_open(&c), 0);
}
END_TEST

START_TEST(test_lowered_max_counts_as_full)
{
	struct conncount c;
	int i;

	conncount_init(&c, 10);
	for (i = 0; i < 5; i++)
		(void)conncount_take(&c);
	conncount_set_max(&c, 3);		/* a reload lowered it */
	ck_assert(conncount_full(&c));
	ck_assert(conncount_give(&c));		/* 5 -> 4: still over */
	ck_assert(conncount_full(&c));
	ck_assert(conncount_give(&c));		/* 4 -> 3: still full */
	ck_assert(conncount_give(&c));		/* 3 -> 2: room */
	ck_assert(!conncount_full(&c));
}
END_TEST

#define SEC	1000000000ULL

START_TEST(test_log_limit_one_line_per_interval_with_a_count)
{
	struct log_limit ll = { 0, 0 };
	uint64_t held = 99;
	int i, passed = 0;

	ck_assert(log_limit_pass(&ll, 5 * SEC, 10 * SEC, &held));
	ck_assert_uint_eq(held, 0);
	for (i = 0; i < 1000; i++)		/* a flood within 10 s */
		passed += log_limit_pass(&ll, 5 * SEC + (uint64_t)i * 1000000,
		    10 * SEC, &held);
	ck_assert_int_eq(passed, 0);
	ck_assert(log_limit_pass(&ll, 15 * SEC, 10 * SEC, &held));
	ck_assert_uint_eq(held, 1000);		/* the next line says so */
	ck_assert(!log_limit_pass(&ll, 16 * SEC, 10 * SEC, &held));
}
END_TEST

int
main(void)
{
	return UNIT_RUN("conncount",
	    test_full_at_max_and_wakes_on_the_way_down,
	    test_lowered_max_counts_as_full,
	    test_log_limit_one_line_per_interval_with_a_count);
}
