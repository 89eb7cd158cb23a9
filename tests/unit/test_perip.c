/* Check suite for perip.c: per-address connection counts. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "echod/perip.h"
#include "unit.h"

static struct perip p;
static const struct hash_key key = { 1, 2 };

static struct sockaddr_storage
addr(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr)) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(1000);
	} else {
		inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr);
		ss.ss_family = AF_INET6;
	}
	return ss;
}

static int
take(const char *ip, struct perip_entry **e)
{
	struct sockaddr_storage ss = addr(ip);

	return perip_acquire(&p, (struct sockaddr *)&ss, e);
}

START_TEST(test_limit_per_address)
{
	struct perip_entry *a, *b, *c;

	ck_assert_int_eq(perip_init(&p, 2, 100, &key), 0);
	ck_assert_int_eq(take("192.0.2.1", &a), 0);
	ck_assert_int_eq(take("192.0.2.1", &b), 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(take("192.0.2.1", &c), -1);	/* third: refused */
	ck_assert_int_eq(take("192.0.2.2", &c), 0);	/* other address */
	perip_release(a);
	ck_assert_int_eq(take("192.0.2.1", &a), 0);	/* a slot again */
	perip_free(&p);
}
END_TEST

START_TEST(test_ports_do_not_matter_and_mapped_is_ipv4)
{
	struct perip_entry *a, *b;

	ck_assert_int_eq(perip_init(&p, 1, 10, &key), 0);
	ck_assert_int_eq(take("198.51.100.7", &a), 0);
	ck_assert_int_eq(take("::ffff:198.51.100.7", &b), -1);
	ck_assert_int_eq(take("2001:db8::7", &b), 0);
	perip_free(&p);
}
END_TEST

START_TEST(test_idle_addresses_are_swept)
{
	struct perip_entry *e;
	char ip[32];
	int i;

	ck_assert_int_eq(perip_init(&p, 1, 16, &key), 0);
	for (i = 0; i < 5000; i++) {	/* come and go */
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250);
		ck_assert_int_eq(take(ip, &e), 0);
		perip_release(e);
	}
	/* Walking the chains again frees what nobody holds. */
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250);
		ck_assert_int_eq(take(ip, &e), 0);
		perip_release(e);
	}
	ck_assert_uint_lt(p.entries, 5000);
	perip_free(&p);
}
END_TEST

START_TEST(test_unix_clients_are_not_counted)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct perip_entry *e = (void *)1;
	int i;

	ck_assert_int_eq(perip_init(&p, 1, 10, &key), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(perip_acquire(&p, (struct sockaddr *)&sun,
		    &e), 0);
		ck_assert_ptr_null(e);
	}
	perip_release(NULL);
	perip_free(&p);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("perip",
	    test_limit_per_address,
	    test_ports_do_not_matter_and_mapped_is_ipv4,
	    test_idle_addresses_are_swept,
	    test_unix_clients_are_not_counted);
}
