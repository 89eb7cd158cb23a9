/*
 * unit.h: the one main() every Check suite shares.
 *
 *	int main(void) { return UNIT_RUN("config", test_a, test_b); }
 */
#ifndef ECHOD_TESTS_UNIT_H
#define ECHOD_TESTS_UNIT_H

#include <check.h>
#include <stdlib.h>

static inline int
unit_run(const char *name, const TTest *const tests[], size_t n)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create("core");
	SRunner *sr;
	size_t i;
	int failed;

	for (i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#define UNIT_RUN(name, ...) unit_run((name),				\
	(const TTest *const[]){ __VA_ARGS__ },				\
	sizeof((const TTest *const[]){ __VA_ARGS__ }) / sizeof(const TTest *))

#endif
