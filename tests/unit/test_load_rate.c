/* Check suite for bench/load_rate.c: the --rate schedule. */
#include "load_rate.h"
#include "unit.h"

START_TEST(test_messages_are_evenly_spaced)
{
	/* 1000/s: one every millisecond, the first at once. */
	ck_assert_uint_eq(load_rate_due_total(0, 1000), 1);
	ck_assert_uint_eq(load_rate_due_total(999999, 1000), 1);
	ck_assert_uint_eq(load_rate_due_total(1000000, 1000), 2);
	ck_assert_uint_eq(load_rate_due_total(1000000000, 1000), 1001);
	ck_assert_uint_eq(load_rate_at(0, 1000), 0);
	ck_assert_uint_eq(load_rate_at(5, 1000), 5000000);
	/* 3/s does not divide a second: message 1 is due at 333,333,334 ns,
	 * when it is counted, not a nanosecond before; no drift after a
	 * day. */
	ck_assert_uint_eq(load_rate_at(1, 3), 333333334);
	ck_assert_uint_eq(load_rate_due_total(333333333, 3), 1);
	ck_assert_uint_eq(load_rate_due_total(333333334, 3), 2);
	ck_assert_uint_eq(load_rate_due_total(86400ULL * 1000000000ULL, 3),
	    86400 * 3 + 1);
	/* The largest: a day at ten million a second, no overflow. */
	ck_assert_uint_eq(load_rate_due_total(86400ULL * 1000000000ULL,
	    10000000), 864000000000ULL + 1);
	ck_assert_uint_eq(load_rate_at(864000000000ULL, 10000000),
	    86400ULL * 1000000000ULL);
}
END_TEST

START_TEST(test_connections_take_turns)
{
	unsigned i;
	uint64_t sum = 0;

	/* 10 messages over 4 connections: 3, 3, 2, 2. */
	ck_assert_uint_eq(load_rate_due_conn(10, 0, 4), 3);
	ck_assert_uint_eq(load_rate_due_conn(10, 1, 4), 3);
	ck_assert_uint_eq(load_rate_due_conn(10, 2, 4), 2);
	ck_assert_uint_eq(load_rate_due_conn(10, 3, 4), 2);
	ck_assert_uint_eq(load_rate_due_conn(0, 0, 4), 0);
	ck_assert_uint_eq(load_rate_due_conn(3, 3, 4), 0);
	for (i = 0; i < 7; i++)
		sum += load_rate_due_conn(1000, i, 7);
	ck_assert_uint_eq(sum, 1000);
	/* Connection 2 of 4 at 1000/s: messages 2, 6, 10, ... */
	ck_assert_uint_eq(load_rate_conn_at(0, 2, 4, 1000), 2000000);
	ck_assert_uint_eq(load_rate_conn_at(2, 2, 4, 1000), 10000000);
	/* Its J-th message is due exactly when it becomes its (J+1)-th. */
	ck_assert_uint_eq(load_rate_due_conn(load_rate_due_total(
	    load_rate_conn_at(2, 2, 4, 1000), 1000), 2, 4), 3);
	ck_assert_uint_eq(load_rate_due_conn(load_rate_due_total(
	    load_rate_conn_at(2, 2, 4, 1000) - 1, 1000), 2, 4), 2);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("load_rate",
	    test_messages_are_evenly_spaced,
	    test_connections_take_turns);
}
