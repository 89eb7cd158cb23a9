/* Check suite for udpguard.c: sources whose datagrams are never answered. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "echod/udpguard.h"
#include "unit.h"

static enum udpguard_verdict
check(const char *ip, unsigned port, const uint16_t *own, size_t nown)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr)) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip,
		    &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	}
	return udpguard_check((struct sockaddr *)&ss, own, nown);
}

START_TEST(test_privileged_source_ports)
{
	static const unsigned never[] = { 0, 7, 13, 17, 19, 37, 53, 123, 1023 };
	unsigned i;

	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		ck_assert_int_eq(check("192.0.2.1", never[i], NULL, 0),
		    UDPGUARD_PRIVILEGED_PORT);
	ck_assert_int_eq(check("192.0.2.1", 1024, NULL, 0), UDPGUARD_ANSWER);
	ck_assert_int_eq(check("2001:db8::1", 53, NULL, 0),
	    UDPGUARD_PRIVILEGED_PORT);
	ck_assert_int_eq(check("2001:db8::1", 40000, NULL, 0),
	    UDPGUARD_ANSWER);
}
END_TEST

START_TEST(test_own_ports_from_any_address)
{
	static const uint16_t own[] = { 7000, 7001 };

	/* Ourselves, another listener, another echod on the same port. */
	ck_assert_int_eq(check("127.0.0.1", 7000, own, 2), UDPGUARD_OWN_PORT);
	ck_assert_int_eq(check("127.0.0.1", 7001, own, 2), UDPGUARD_OWN_PORT);
	ck_assert_int_eq(check("198.51.100.4", 7000, own, 2),
	    UDPGUARD_OWN_PORT);
	ck_assert_int_eq(check("::ffff:198.51.100.4", 7001, own, 2),
	    UDPGUARD_OWN_PORT);
	ck_assert_int_eq(check("198.51.100.4", 7002, own, 2), UDPGUARD_ANSWER);
}
END_TEST

START_TEST(test_sources_that_cannot_send)
{
	ck_assert_int_eq(check("255.255.255.255", 40000, NULL, 0),
	    UDPGUARD_BAD_SOURCE);
	ck_assert_int_eq(check("224.0.0.1", 40000, NULL, 0),
	    UDPGUARD_BAD_SOURCE);
	ck_assert_int_eq(check("0.0.0.0", 40000, NULL, 0),
	    UDPGUARD_BAD_SOURCE);
	ck_assert_int_eq(check("::ffff:255.255.255.255", 40000, NULL, 0),
	    UDPGUARD_BAD_SOURCE);
	ck_assert_int_eq(check("ff02::1", 40000, NULL, 0),
	    UDPGUARD_BAD_SOURCE);
	ck_assert_int_eq(check("::", 40000, NULL, 0), UDPGUARD_BAD_SOURCE);
	ck_assert_int_eq(check("127.0.0.1", 40000, NULL, 0), UDPGUARD_ANSWER);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("udpguard",
	    test_privileged_source_ports,
	    test_own_ports_from_any_address,
	    test_sources_that_cannot_send);
}
