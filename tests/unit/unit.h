/*
 * unit.h: the one main() every Check suite shares.
 *
 *	int main(void) { return UNIT_RUN("config", test_a, test_b); }
 */
#ifndef ECHOD_TESTS_UNIT_H
#define ECHOD_TESTS_UNIT_H

#include <check.h>
#include <stdarg.h>
#include <stdlib.h>

/*
 * Fill ARGV (room for 32) with PROG and the NULL-terminated words in AP;
 * returns argc.
 */
static inline int
unit_argv(char **argv, const char *prog, const char *first, va_list ap)
{
	const char *w;
	int argc = 0;

	argv[argc++] = (char *)prog;
	for (w = first; w != NULL && argc < 31; w = va_arg(ap, const char *))
		argv[argc++] = (char *)w;
	argv[argc] = NULL;
	return argc;
}

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
