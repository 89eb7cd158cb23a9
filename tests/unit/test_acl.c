/* Check suite for acl.c: CIDR rules, first match wins. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "echod/acl.h"
#include "unit.h"

static struct acl acl;
static char err[512];

static struct sockaddr_storage
sa_of(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr)) {
		ss.ss_family = AF_INET;
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip,
		    &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
		ss.ss_family = AF_INET6;
	}
	return ss;
}

static int
allows(const char *ip)
{
	struct sockaddr_storage ss = sa_of(ip);

	return acl_allows(&acl, (struct sockaddr *)&ss);
}

static int
verdict(const char *ip, int none)
{
	struct sockaddr_storage ss = sa_of(ip);

	return acl_verdict(&acl, (struct sockaddr *)&ss, none);
}

static void
add(int allow, const char *text)
{
	ck_assert_msg(acl_add(&acl, allow, text, err, sizeof(err)) == 0,
	    "%s: %s", text, err);
}

START_TEST(test_empty_acl_allows_everyone)
{
	memset(&acl, 0, sizeof(acl));
	ck_assert(allows("203.0.113.9"));
	ck_assert(allows("2001:db8::1"));
}
END_TEST

START_TEST(test_first_match_wins)
{
	memset(&acl, 0, sizeof(acl));
	add(1, "127.0.0.2");
	add(0, "127.0.0.0/8");
	ck_assert(allows("127.0.0.2"));
	ck_assert(!allows("127.0.0.1"));
	ck_assert(!allows("127.255.0.1"));
	ck_assert(allows("10.0.0.1"));		/* no rule: allowed */
}
END_TEST

START_TEST(test_deny_all_but_one_network)
{
	memset(&acl, 0, sizeof(acl));
	add(1, "192.168.0.0/16");
	add(0, "0.0.0.0/0");
	add(0, "::/0");
	ck_assert(allows("192.168.44.5"));
	ck_assert(!allows("192.169.0.1"));
	ck_assert(!allows("::1"));
}
END_TEST

START_TEST(test_ipv6_prefixes_and_host_bits)
{
	memset(&acl, 0, sizeof(acl));
	/* /60 keeps 12 bits of the 4th group: the network is ...:12f0::/60,
	 * whatever the host bits written after it. */
	add(0, "2001:db8:abcd:12ff::1/60");
	ck_assert(!allows("2001:db8:abcd:12f0::7"));
	ck_assert(!allows("2001:db8:abcd:12ff:ffff::"));
	ck_assert(allows("2001:db8:abcd:12e0::"));
	ck_assert(allows("2001:db8:abcd:1300::"));
	ck_assert(allows("::1"));
}
END_TEST

START_TEST(test_mapped_ipv4_matches_ipv4_rules)
{
	memset(&acl, 0, sizeof(acl));
	add(0, "10.0.0.0/8");
	ck_assert(!allows("::ffff:10.1.2.3"));
	ck_assert(allows("::ffff:11.1.2.3"));
}
END_TEST

START_TEST(test_odd_prefix_lengths)
{
	memset(&acl, 0, sizeof(acl));
	add(0, "10.0.0.128/25");
	ck_assert(!allows("10.0.0.200"));
	ck_assert(allows("10.0.0.127"));
}
END_TEST

START_TEST(test_malformed_rules_are_named)
{
	memset(&acl, 0, sizeof(acl));
	ck_assert_int_eq(acl_add(&acl, 1, "10.0.0.0/33", err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "--allow '10.0.0.0/33'"));
	ck_assert_ptr_nonnull(strstr(err, "0 to 32"));
	ck_assert_int_eq(acl_add(&acl, 0, "::/129", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "0 to 128"));
	ck_assert_int_eq(acl_add(&acl, 0, "300.1.1.1/8", err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "'300.1.1.1' is not"));
	ck_assert_int_eq(acl_add(&acl, 0, "10.0.0.0/", err, sizeof(err)), -1);
	ck_assert_int_eq(acl_add(&acl, 0, "10.0.0.0/-8", err, sizeof(err)),
	    -1);
	ck_assert_int_eq(acl_add(&acl, 0, "/8", err, sizeof(err)), -1);
	ck_assert_int_eq(acl_add(&acl, 0, "", err, sizeof(err)), -1);
	ck_assert_int_eq(acl_add(&acl, 0, "example.com/8", err, sizeof(err)),
	    -1);
	ck_assert_uint_eq(acl.n, 0);
}
END_TEST

/* --proxy-from is an allow-list with "no" as its default. */
START_TEST(test_verdict_default_and_unix)
{
	struct sockaddr_storage un;

	memset(&acl, 0, sizeof(acl));
	add(1, "10.0.0.5");
	add(1, "fd00::/8");
	ck_assert_int_eq(verdict("10.0.0.5", 0), 1);
	ck_assert_int_eq(verdict("::ffff:10.0.0.5", 0), 1);
	ck_assert_int_eq(verdict("fd00::1", 0), 1);
	ck_assert_int_eq(verdict("10.0.0.6", 0), 0);
	ck_assert_int_eq(verdict("10.0.0.6", 1), 1);
	memset(&un, 0, sizeof(un));
	un.ss_family = AF_UNIX;
	ck_assert_int_eq(acl_verdict(&acl, (struct sockaddr *)&un, 0), -1);
	ck_assert_int_eq(acl_allows(&acl, (struct sockaddr *)&un), 1);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("acl",
	    test_empty_acl_allows_everyone,
	    test_first_match_wins,
	    test_deny_all_but_one_network,
	    test_ipv6_prefixes_and_host_bits,
	    test_mapped_ipv4_matches_ipv4_rules,
	    test_odd_prefix_lengths,
	    test_malformed_rules_are_named,
	    test_verdict_default_and_unix);
}
