/* Check suite for bench/hist.c: the load generator's latency histogram. */
#include <stdint.h>

#include "hist.h"
#include "unit.h"

static struct hist h;

/* Within the histogram's promised 1/64 relative error. */
static void
assert_near(uint64_t got, uint64_t want)
{
	uint64_t tol = want / 64 + 1;

	ck_assert_msg(got + tol >= want && got <= want + tol,
	    "got %llu, want %llu +- %llu", (unsigned long long)got,
	    (unsigned long long)want, (unsigned long long)tol);
}

START_TEST(test_empty_histogram_reports_zero)
{
	hist_init(&h);
	ck_assert_uint_eq(hist_quantile(&h, 0.5), 0);
	ck_assert_uint_eq(h.count, 0);
}
END_TEST

START_TEST(test_small_values_are_exact)
{
	uint64_t v;

	hist_init(&h);
	for (v = 1; v <= 63; v++)
		hist_record(&h, v);
	ck_assert_uint_eq(hist_quantile(&h, 0.5), 32);
	ck_assert_uint_eq(hist_quantile(&h, 1.0), 63);
	ck_assert_uint_eq(h.min, 1);
}
END_TEST

START_TEST(test_uniform_quantiles_within_error)
{
	uint64_t v;

	hist_init(&h);
	for (v = 1; v <= 100000; v++)
		hist_record(&h, v * 1000);	/* 1 us .. 100 ms in ns */
	assert_near(hist_quantile(&h, 0.50), 50000000);
	assert_near(hist_quantile(&h, 0.99), 99000000);
	assert_near(hist_quantile(&h, 0.999), 99900000);
	ck_assert_uint_eq(hist_quantile(&h, 1.0), 100000000);
	ck_assert_uint_eq(h.max, 100000000);
}
END_TEST

START_TEST(test_tail_is_not_hidden_by_the_body)
{
	int i;

	hist_init(&h);
	for (i = 0; i < 9990; i++)
		hist_record(&h, 50000);
	for (i = 0; i < 10; i++)
		hist_record(&h, 5000000);
	assert_near(hist_quantile(&h, 0.99), 50000);
	assert_near(hist_quantile(&h, 0.9995), 5000000);
	ck_assert_uint_eq(h.max, 5000000);
}
END_TEST

START_TEST(test_huge_values_do_not_overflow)
{
	hist_init(&h);
	hist_record(&h, UINT64_MAX);
	hist_record(&h, 1ULL << 63);
	ck_assert_uint_eq(hist_quantile(&h, 1.0), UINT64_MAX);
	assert_near(hist_quantile(&h, 0.5) >> 8, (1ULL << 63) >> 8);
}
END_TEST

START_TEST(test_merge_adds_up)
{
	static struct hist a, b;
	int i;

	hist_init(&a);
	hist_init(&b);
	for (i = 0; i < 100; i++) {
		hist_record(&a, 1000);
		hist_record(&b, 3000);
	}
	hist_merge(&a, &b);
	ck_assert_uint_eq(a.count, 200);
	ck_assert_uint_eq(a.min, 1000);
	ck_assert_uint_eq(a.max, 3000);
	assert_near(hist_quantile(&a, 0.75), 3000);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("hist",
	    test_empty_histogram_reports_zero,
	    test_small_values_are_exact,
	    test_uniform_quantiles_within_error,
	    test_tail_is_not_hidden_by_the_body,
	    test_huge_values_do_not_overflow,
	    test_merge_adds_up);
}
