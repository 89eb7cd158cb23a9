/* Check suite for numparse.c: strict numbers, never a silent wrap. */
#include "unit.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echod/numparse.h"

static int
parse(const char *s, uint64_t min, uint64_t max, uint64_t *v, const char **w)
{
	*v = 12345;
	*w = NULL;
	return num_parse_u64(s, min, max, v, w);
}

START_TEST(test_plain_numbers_parse)
{
	uint64_t v;
	const char *why;

	ck_assert_int_eq(parse("0", 0, 10, &v, &why), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse("65535", 0, 65535, &v, &why), 0);
	ck_assert_uint_eq(v, 65535);
	ck_assert_int_eq(parse("007", 0, 10, &v, &why), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(parse("18446744073709551615", 0, UINT64_MAX, &v,
	    &why), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
}
END_TEST

START_TEST(test_junk_is_rejected_and_leaves_output_alone)
{
	static const char *bad[] = { "", "12ab", "ab", " 1", "1 ", "+1",
	    "0x10", "1.5", "1e3", "\t7" };
	uint64_t v;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i], 0, UINT64_MAX, &v, &why) == -1,
		    "'%s' was accepted", bad[i]);
		ck_assert_uint_eq(v, 12345);
		ck_assert_ptr_nonnull(why);
	}
	parse("", 0, 1, &v, &why);
	ck_assert_str_eq(why, "is empty");
	parse("12ab", 0, 100, &v, &why);
	ck_assert_str_eq(why, "is not a number");
}
END_TEST

START_TEST(test_negative_is_named_negative)
{
	uint64_t v;
	const char *why;

	ck_assert_int_eq(parse("-1", 0, 10, &v, &why), -1);
	ck_assert_str_eq(why, "is negative");
}
END_TEST

START_TEST(test_overflow_does_not_wrap)
{
	uint64_t v;
	const char *why;

	/* 2^64 and a 20-digit number would wrap to small values. */
	ck_assert_int_eq(parse("18446744073709551616", 0, UINT64_MAX, &v,
	    &why), -1);
	ck_assert_str_eq(why, "is too large");
	ck_assert_int_eq(parse("99999999999999999999", 0, 65535, &v, &why),
	    -1);
	ck_assert_str_eq(why, "is too large");
	ck_assert_int_eq(parse("36893488147419103232", 0, UINT64_MAX, &v,
	    &why), -1);
}
END_TEST

START_TEST(test_range_is_enforced)
{
	uint64_t v;
	const char *why;

	ck_assert_int_eq(parse("65536", 0, 65535, &v, &why), -1);
	ck_assert_str_eq(why, "is too large");
	ck_assert_int_eq(parse("0", 1, 10, &v, &why), -1);
	ck_assert_str_eq(why, "is too small");
}
END_TEST

START_TEST(test_sizes_take_binary_suffixes)
{
	uint64_t v;
	const char *why;

	ck_assert_int_eq(num_parse_size("256K", 0, UINT64_MAX, &v, &why), 0);
	ck_assert_uint_eq(v, 256 * 1024);
	ck_assert_int_eq(num_parse_size("2m", 0, UINT64_MAX, &v, &why), 0);
	ck_assert_uint_eq(v, 2 * 1024 * 1024);
	ck_assert_int_eq(num_parse_size("1G", 0, UINT64_MAX, &v, &why), 0);
	ck_assert_uint_eq(v, 1ULL << 30);
	ck_assert_int_eq(num_parse_size("4096", 0, UINT64_MAX, &v, &why), 0);
	ck_assert_uint_eq(v, 4096);
}
END_TEST

START_TEST(test_bad_sizes_are_rejected)
{
	uint64_t v;
	const char *why;

	ck_assert_int_eq(num_parse_size("K", 0, UINT64_MAX, &v, &why), -1);
	ck_assert_int_eq(num_parse_size("1KB", 0, UINT64_MAX, &v, &why), -1);
	ck_assert_int_eq(num_parse_size("1T", 0, UINT64_MAX, &v, &why), -1);
	ck_assert_int_eq(num_parse_size("-1K", 0, UINT64_MAX, &v, &why), -1);
	/* 2^44 G overflows 64 bits: must not wrap. */
	ck_assert_int_eq(num_parse_size("17592186044416G", 0, UINT64_MAX, &v,
	    &why), -1);
	ck_assert_str_eq(why, "is too large");
	ck_assert_int_eq(num_parse_size("2G", 0, 1ULL << 30, &v, &why), -1);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("numparse",
	    test_plain_numbers_parse,
	    test_junk_is_rejected_and_leaves_output_alone,
	    test_negative_is_named_negative,
	    test_overflow_does_not_wrap,
	    test_range_is_enforced,
	    test_sizes_take_binary_suffixes,
	    test_bad_sizes_are_rejected);
}
