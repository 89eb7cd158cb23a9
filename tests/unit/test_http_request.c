/* Check suite for http_request.c: the metrics port's request heads. */
#include <stdio.h>
#include <string.h>

#include "echod/http_request.h"
#include "unit.h"

static struct http_request req;
static int status;

static int
parse(const char *text)
{
	status = 0;
	return http_request_parse(text, strlen(text), &req, &status);
}

START_TEST(test_get_and_head_with_crlf_or_lf)
{
	ck_assert_int_eq(parse("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"), 1);
	ck_assert_int_eq(req.method, HTTP_GET);
	ck_assert_str_eq(req.path, "/metrics");
	ck_assert_int_eq(parse("HEAD /healthz?x=1 HTTP/1.0\n\n"), 1);
	ck_assert_int_eq(req.method, HTTP_HEAD);
	ck_assert_str_eq(req.path, "/healthz");
	ck_assert_int_eq(parse("DELETE / HTTP/1.1\r\n\r\n"), 1);
	ck_assert_int_eq(req.method, HTTP_OTHER);
}
END_TEST

START_TEST(test_incomplete_waits_and_bad_line_fails_early)
{
	ck_assert_int_eq(parse("GET /metrics HT"), 0);
	ck_assert_int_eq(parse("GET /metrics HTTP/1.1\r\nHost: a\r\n"), 0);
	/* A wrong request line is refused without waiting for the rest. */
	ck_assert_int_eq(parse("GET metrics HTTP/1.1\r\nHost: a\r\n"), -1);
	ck_assert_int_eq(status, 400);
	ck_assert_int_eq(parse("GET /metrics HTTP/2.0\r\n\r\n"), -1);
	ck_assert_int_eq(status, 505);
	ck_assert_int_eq(parse("G(T / HTTP/1.1\r\n\r\n"), -1);
	ck_assert_int_eq(status, 400);
	ck_assert_int_eq(parse("\r\n\r\n"), -1);
	ck_assert_int_eq(status, 400);
}
END_TEST

START_TEST(test_bounds)
{
	static char big[HTTP_HEAD_MAX + 100];
	char path[HTTP_PATH_MAX + 40];

	/* Headers that never end: refused at the bound, not stored. */
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	ck_assert_int_eq(parse(big), -1);
	ck_assert_int_eq(status, 431);
	/* A request line with no end at all. */
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "GET /", 5);
	ck_assert_int_eq(parse(big), -1);
	ck_assert_int_eq(status, 431);
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	snprintf(big, sizeof(big), "GET %.*s HTTP/1.1\r\n\r\n",
	    (int)sizeof(path), path);
	ck_assert_int_eq(parse(big), -1);
	ck_assert_int_eq(status, 414);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("http_request",
	    test_get_and_head_with_crlf_or_lf,
	    test_incomplete_waits_and_bad_line_fails_early,
	    test_bounds);
}
