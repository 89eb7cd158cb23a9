/* Check suite for listen_spec.c: every SPEC form and every bad one. */
#include "unit.h"
#include <stdlib.h>
#include <string.h>

#include "echod/listen_spec.h"

static struct listen_spec spec;
static char err[512];

static int
parse(const char *text)
{
	err[0] = '\0';
	return listen_spec_parse(text, &spec, err, sizeof(err));
}

/* Rejected, with a message that quotes the value and contains HINT. */
static void
assert_rejected(const char *text, const char *hint)
{
	ck_assert_msg(parse(text) == -1, "'%s' was accepted", text);
	ck_assert_msg(strstr(err, text) != NULL || strlen(text) > 40,
	    "message for '%s' does not name it: %s", text, err);
	ck_assert_msg(strstr(err, hint) != NULL,
	    "message for '%s' lacks '%s': %s", text, hint, err);
	ck_assert_msg(strchr(err, '\n') == NULL, "message is not one line");
}

START_TEST(test_bare_port_means_localhost)
{
	ck_assert_int_eq(parse("7777"), 0);
	ck_assert_int_eq(spec.kind, LISTEN_INET);
	ck_assert_str_eq(spec.host, "localhost");
	ck_assert_uint_eq(spec.port, 7777);
}
END_TEST

START_TEST(test_host_port)
{
	ck_assert_int_eq(parse("127.0.0.1:7"), 0);
	ck_assert_str_eq(spec.host, "127.0.0.1");
	ck_assert_uint_eq(spec.port, 7);
	ck_assert_int_eq(parse("echo.example:65535"), 0);
	ck_assert_str_eq(spec.host, "echo.example");
	ck_assert_uint_eq(spec.port, 65535);
}
END_TEST

START_TEST(test_bracketed_ipv6)
{
	ck_assert_int_eq(parse("[::1]:7777"), 0);
	ck_assert_str_eq(spec.host, "::1");
	ck_assert_uint_eq(spec.port, 7777);
	ck_assert_int_eq(parse("[::]:0"), 0);
	ck_assert_str_eq(spec.host, "::");
	ck_assert_uint_eq(spec.port, 0);
}
END_TEST

START_TEST(test_port_zero_lets_kernel_choose)
{
	ck_assert_int_eq(parse("0"), 0);
	ck_assert_uint_eq(spec.port, 0);
	ck_assert_int_eq(parse("127.0.0.1:0"), 0);
	ck_assert_uint_eq(spec.port, 0);
}
END_TEST

START_TEST(test_unix_paths)
{
	ck_assert_int_eq(parse("unix:/run/echod.sock"), 0);
	ck_assert_int_eq(spec.kind, LISTEN_UNIX);
	ck_assert_str_eq(spec.path, "/run/echod.sock");
	ck_assert_int_eq(parse("unix:@echod"), 0);
	ck_assert_str_eq(spec.path, "@echod");
	ck_assert_int_eq(parse("unix:relative.sock"), 0);
}
END_TEST

START_TEST(test_port_above_65535_is_usage_error)
{
	assert_rejected("65536", "is too large");
	assert_rejected("127.0.0.1:65536", "give a port from 1 to 65535");
	assert_rejected("[::1]:70000", "is too large");
}
END_TEST

START_TEST(test_negative_port_is_usage_error)
{
	assert_rejected("-1", "is negative");
	assert_rejected("127.0.0.1:-1", "is negative");
}
END_TEST

START_TEST(test_non_numeric_port_is_usage_error)
{
	assert_rejected("12ab", "not a number");
	assert_rejected("localhost:12ab", "not a number");
	assert_rejected("localhost:http", "not a number");
	assert_rejected("127.0.0.1: 80", "not a number");
}
END_TEST

START_TEST(test_twenty_digit_port_does_not_wrap)
{
	/* 2^64 + 7 would wrap to 7 through a naive strtoul cast. */
	assert_rejected("18446744073709551623", "is too large");
	assert_rejected("127.0.0.1:99999999999999999999", "is too large");
}
END_TEST

START_TEST(test_empty_and_missing_parts)
{
	ck_assert_int_eq(parse(""), -1);
	ck_assert_ptr_nonnull(strstr(err, "PORT"));
	assert_rejected("localhost:", "port is missing");
	assert_rejected(":7777", "host is missing");
	assert_rejected("localhost", "write localhost:PORT");
	assert_rejected("unix:", "socket path is missing");
	assert_rejected("[::1]:", "port is missing");
}
END_TEST

START_TEST(test_ipv6_needs_brackets)
{
	assert_rejected("::1:7777", "brackets");
	assert_rejected("[::1]7777", "[ADDRESS]:PORT");
	assert_rejected("[::1", "[ADDRESS]:PORT");
	assert_rejected("[]:7777", "empty");
	assert_rejected("[127.0.0.1]:7777", "not an IPv6 address");
}
END_TEST

START_TEST(test_unix_path_too_long)
{
	char text[200];

	memcpy(text, "unix:/", 6);
	memset(text + 6, 'a', 120);
	text[126] = '\0';
	ck_assert_int_eq(parse(text), -1);
	ck_assert_ptr_nonnull(strstr(err, "at most 107"));
	/* Exactly 107 bytes fits. */
	text[5 + 107] = '\0';
	ck_assert_int_eq(parse(text), 0);
}
END_TEST

START_TEST(test_format_round_trips)
{
	char buf[256];

	parse("[::1]:7");
	listen_spec_format(&spec, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[::1]:7");
	parse("7777");
	listen_spec_format(&spec, buf, sizeof(buf));
	ck_assert_str_eq(buf, "localhost:7777");
	parse("unix:/tmp/x");
	listen_spec_format(&spec, buf, sizeof(buf));
	ck_assert_str_eq(buf, "unix:/tmp/x");
}
END_TEST

START_TEST(test_tls_forms)
{
	char buf[256];

	ck_assert_int_eq(parse("tls:7443"), 0);
	ck_assert_int_eq(spec.kind, LISTEN_INET);
	ck_assert_int_eq(spec.tls, 1);
	ck_assert_str_eq(spec.host, "localhost");
	ck_assert_uint_eq(spec.port, 7443);
	ck_assert_int_eq(parse("tls:[::1]:7443"), 0);
	ck_assert_str_eq(spec.host, "::1");
	ck_assert_int_eq(spec.tls, 1);
	ck_assert_int_eq(parse("tls:unix:/run/echod-tls.sock"), 0);
	ck_assert_int_eq(spec.kind, LISTEN_UNIX);
	ck_assert_int_eq(spec.tls, 1);
	listen_spec_format(&spec, buf, sizeof(buf));
	ck_assert_str_eq(buf, "tls:unix:/run/echod-tls.sock");
	parse("tls:0.0.0.0:7443");
	listen_spec_format(&spec, buf, sizeof(buf));
	ck_assert_str_eq(buf, "tls:0.0.0.0:7443");
	/* The plain listener on the same address is a different one. */
	ck_assert_int_eq(parse("0.0.0.0:7443"), 0);
	ck_assert_int_eq(spec.tls, 0);
}
END_TEST

START_TEST(test_tls_bad_forms)
{
	assert_rejected("tls:udp:7443", "TLS is for stream sockets");
	assert_rejected("udp:tls:7443", "DTLS is not served");
	assert_rejected("tls:tls:7443", "TLS is for stream sockets");
	assert_rejected("tls:", "PORT");
	assert_rejected("tls:localhost", "write localhost:PORT");
	assert_rejected("tls:127.0.0.1:70000", "is too large");
}
END_TEST

START_TEST(test_dotted_hosts_are_recognised)
{
	ck_assert(listen_host_is_dotted("999.1.2.3"));
	ck_assert(listen_host_is_dotted("127.0.0.1"));
	ck_assert(!listen_host_is_dotted("localhost"));
	ck_assert(!listen_host_is_dotted("1.2.3.example"));
	ck_assert(!listen_host_is_dotted(""));
}
END_TEST

int
main(void)
{
	return UNIT_RUN("listen_spec",
	    test_bare_port_means_localhost,
	    test_host_port,
	    test_bracketed_ipv6,
	    test_port_zero_lets_kernel_choose,
	    test_unix_paths,
	    test_port_above_65535_is_usage_error,
	    test_negative_port_is_usage_error,
	    test_non_numeric_port_is_usage_error,
	    test_twenty_digit_port_does_not_wrap,
	    test_empty_and_missing_parts,
	    test_ipv6_needs_brackets,
	    test_unix_path_too_long,
	    test_format_round_trips,
	    test_tls_forms,
	    test_tls_bad_forms,
	    test_dotted_hosts_are_recognised);
}
