/* Check suite for config_file.c: --config files as command-line words. */
#include <string.h>

#include "echod/config_file.h"
#include "unit.h"

static struct config_args a;
static char err[512];

static int
expand(const char *text)
{
	config_args_free(&a);
	config_args_push(&a, "echod", NULL);
	err[0] = '\0';
	return config_file_expand(&a, "/etc/echod.conf", text, strlen(text),
	    err, sizeof(err));
}

START_TEST(test_nul_byte_is_an_error_naming_its_line)
{
	static const char text[] = "listen 7\ndeny 10.0.0.0/8\0\ndeny ::/0\n";

	config_args_free(&a);
	config_args_push(&a, "echod", NULL);
	ck_assert_int_eq(config_file_expand(&a, "/etc/echod.conf", text,
	    sizeof(text) - 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/etc/echod.conf:2: a NUL byte"));
}
END_TEST

START_TEST(test_flags_and_values_follow_the_option_table)
{
	ck_assert_int_eq(expand("proxy-protocol\nproxy-from 10.0.0.1\n"), 0);
	ck_assert_int_eq(a.argc, 4);
	ck_assert_int_eq(expand("proxy-protocol yes\n"), -1);
	ck_assert_ptr_nonnull(strstr(err, "1: write 'option value'"));
	ck_assert_ptr_nonnull(strstr(err, "this option takes no value"));
	ck_assert_int_eq(expand("keepalive\n"), -1);
	ck_assert_ptr_nonnull(strstr(err, "this option needs a value"));
	ck_assert_int_eq(expand("-listen 127.0.0.1:7\n"), -1);
	ck_assert_ptr_nonnull(strstr(err, "no dashes before the option"));
}
END_TEST

START_TEST(test_options_comments_and_blank_lines)
{
	ck_assert_int_eq(expand("# echod\n\nlisten 127.0.0.1:7\n"
	    "  max-conns   100   # the cap\nlisten unix:/run/e#1.sock\n"), 0);
	ck_assert_int_eq(a.argc, 7);
	ck_assert_str_eq(a.argv[1], "--listen");
	ck_assert_str_eq(a.argv[2], "127.0.0.1:7");
	ck_assert_str_eq(a.origin[2], "/etc/echod.conf:3");
	ck_assert_str_eq(a.argv[3], "--max-conns");
	ck_assert_str_eq(a.argv[4], "100");
	ck_assert_str_eq(a.origin[4], "/etc/echod.conf:4");
	/* '#' inside a value is not a comment. */
	ck_assert_str_eq(a.argv[6], "unix:/run/e#1.sock");
	ck_assert_ptr_null(a.origin[0]);
}
END_TEST

START_TEST(test_missing_value_names_file_and_line)
{
	ck_assert_int_eq(expand("listen 7\nmax-conns\n"), -1);
	ck_assert_ptr_nonnull(strstr(err, "/etc/echod.conf:2: "));
	ck_assert_ptr_nonnull(strstr(err, "option value"));
}
END_TEST

START_TEST(test_proxy_protocol_is_a_flag)
{
	ck_assert_int_eq(expand("proxy-protocol\nlisten 7\n"), 0);
	ck_assert_int_eq(a.argc, 4);
	ck_assert_str_eq(a.argv[1], "--proxy-protocol");
	ck_assert_str_eq(a.argv[2], "--listen");
	ck_assert_int_eq(expand("proxy-protocol yes\n"), -1);
	ck_assert_ptr_nonnull(strstr(err, "/etc/echod.conf:1: "));
}
END_TEST

START_TEST(test_dashes_are_refused)
{
	ck_assert_int_eq(expand("--listen 7\n"), -1);
	ck_assert_ptr_nonnull(strstr(err, "/etc/echod.conf:1: "));
	ck_assert_ptr_nonnull(strstr(err, "no dashes"));
}
END_TEST

START_TEST(test_empty_file_is_fine)
{
	ck_assert_int_eq(expand(""), 0);
	ck_assert_int_eq(expand("# nothing\n   \n"), 0);
	ck_assert_int_eq(a.argc, 1);
	config_args_free(&a);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("config_file",
	    test_options_comments_and_blank_lines,
	    test_missing_value_names_file_and_line,
	    test_proxy_protocol_is_a_flag,
	    test_dashes_are_refused,
	    test_empty_file_is_fine,
	    test_nul_byte_is_an_error_naming_its_line,
	    test_flags_and_values_follow_the_option_table);
}
