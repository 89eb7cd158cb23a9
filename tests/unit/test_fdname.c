/* Check suite for fdname.c: the names a restart's handover stores under,
 * which must come back exactly as they went (and nothing else may pass
 * for one). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "echod/fdname.h"
#include "unit.h"

/* systemd's fdname_is_valid(): printable ASCII, no ':', <= 255. */
static void
assert_valid_fdname(const char *name)
{
	const char *p;

	ck_assert_uint_le(strlen(name), 255);
	ck_assert_uint_lt(strlen(name), FDNAME_MAX);
	for (p = name; *p != '\0'; p++)
		ck_assert(*p >= 0x20 && *p <= 0x7e && *p != ':');
}

START_TEST(test_plain_connection_round_trip)
{
	char name[FDNAME_MAX];
	struct fdname fn;

	ck_assert_int_eq(fdname_conn(name, 0x0123456789abcdefULL, NULL, 0),
	    0);
	ck_assert_str_eq(name, "echod-conn.0123456789abcdef");
	ck_assert_int_eq(fdname_parse(name, &fn), FDNAME_CONN);
	ck_assert_uint_eq(fn.gen, 0x0123456789abcdefULL);
	ck_assert_int_eq(fn.client.ss_family, AF_UNSPEC);
}
END_TEST

START_TEST(test_proxied_ipv4_round_trip)
{
	struct sockaddr_in sin, *back;
	char name[FDNAME_MAX];
	struct fdname fn;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(40000);
	inet_pton(AF_INET, "203.0.113.7", &sin.sin_addr);
	ck_assert_int_eq(fdname_conn(name, 7, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	ck_assert_str_eq(name, "echod-conn.0000000000000007.4-cb0071079c40");
	assert_valid_fdname(name);
	ck_assert_int_eq(fdname_parse(name, &fn), FDNAME_CONN);
	back = (struct sockaddr_in *)&fn.client;
	ck_assert_int_eq(back->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(back->sin_port), 40000);
	ck_assert_int_eq(memcmp(&back->sin_addr, &sin.sin_addr, 4), 0);
	ck_assert_uint_eq(fn.clientlen, sizeof(sin));
}
END_TEST

START_TEST(test_proxied_ipv6_round_trip)
{
	struct sockaddr_in6 sin6, *back;
	char name[FDNAME_MAX];
	struct fdname fn;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(65535);
	inet_pton(AF_INET6, "2001:db8::ff:1", &sin6.sin6_addr);
	ck_assert_int_eq(fdname_conn(name, UINT64_MAX,
	    (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	assert_valid_fdname(name);
	ck_assert_int_eq(fdname_parse(name, &fn), FDNAME_CONN);
	ck_assert_uint_eq(fn.gen, UINT64_MAX);
	back = (struct sockaddr_in6 *)&fn.client;
	ck_assert_int_eq(back->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(back->sin6_port), 65535);
	ck_assert_int_eq(memcmp(&back->sin6_addr, &sin6.sin6_addr, 16), 0);
}
END_TEST

START_TEST(test_a_unix_client_is_not_named)
{
	struct sockaddr sa = { .sa_family = AF_UNIX };
	char name[FDNAME_MAX];

	ck_assert_int_eq(fdname_conn(name, 1, &sa, sizeof(sa)), -1);
}
END_TEST

START_TEST(test_done_mark)
{
	char name[FDNAME_MAX];
	struct fdname fn;

	fdname_done(name, 0xfeed);
	ck_assert_str_eq(name, "echod-done.000000000000feed");
	ck_assert_int_eq(fdname_parse(name, &fn), FDNAME_DONE);
	ck_assert_uint_eq(fn.gen, 0xfeed);
}
END_TEST

START_TEST(test_only_the_exact_forms_are_ours)
{
	static const char *broken[] = {
		"echod-conn.",
		"echod-conn.0123456789ABCDEF",		/* upper case */
		"echod-conn.0123456789abcde",		/* short */
		"echod-conn.0123456789abcdef0",		/* long */
		"echod-conn.0123456789abcdef.",
		"echod-conn.0123456789abcdef.4-cb0071079c4",
		"echod-conn.0123456789abcdef.4-cb0071079c400",
		"echod-conn.0123456789abcdef.5-cb0071079c40",
		"echod-conn.0123456789abcdef.6-cb0071079c40",
		"echod-done.0123456789abcdef.4-cb0071079c40",
		"echod-done.xyz",
	};
	static const char *other[] = {
		"echod.socket", "tls", "stored", "", "echod-conn", "echod-",
		"Echod-conn.0123456789abcdef",
	};
	struct fdname fn;
	size_t i;

	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		ck_assert_msg(fdname_parse(broken[i], &fn) == FDNAME_BROKEN,
		    "%s", broken[i]);
		ck_assert_int_eq(fn.client.ss_family, AF_UNSPEC);
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		ck_assert_msg(fdname_parse(other[i], &fn) == FDNAME_OTHER,
		    "%s", other[i]);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("fdname",
	    test_plain_connection_round_trip,
	    test_proxied_ipv4_round_trip,
	    test_proxied_ipv6_round_trip,
	    test_a_unix_client_is_not_named,
	    test_done_mark,
	    test_only_the_exact_forms_are_ours);
}
