/* Check suite for udploop.c: the echo-loop breaker. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "echod/udploop.h"
#include "unit.h"

#define MS	1000000ULL

static struct udploop l;
static const struct hash_key key = { 11, 12 };

static struct sockaddr_storage
src(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
	return ss;
}

/* One datagram DATA from FROM at NOW: answered (1) or dropped (0). */
static int
serve(const struct sockaddr_storage *from, const char *data, uint64_t now)
{
	uint64_t sig = udploop_sig(&l, data, strlen(data));

	if (udploop_check(&l, (const struct sockaddr *)from, sig, now))
		return 0;
	udploop_sent(&l, (const struct sockaddr *)from, sig, now);
	return 1;
}

START_TEST(test_a_loop_is_broken)
{
	struct sockaddr_storage other = src("192.0.2.7", 7001);
	int i, answered = 0;

	ck_assert_int_eq(udploop_init(&l, &key), 0);
	/* Another echo service sends back each answer at once. */
	for (i = 0; i < 1000 && serve(&other, "forged", (uint64_t)i * MS /
	    100 + MS); i++)
		answered++;
	ck_assert_int_eq(answered, UDPLOOP_STRIKES);
	udploop_free(&l);
}
END_TEST

START_TEST(test_several_forged_loops_are_broken_too)
{
	struct sockaddr_storage other = src("192.0.2.7", 7001);
	static const char *loops[] = { "a", "b", "c", "d", "e", "f", "g",
	    "h" };
	int i, alive = 8, dead[8] = { 0 };

	ck_assert_int_eq(udploop_init(&l, &key), 0);
	for (i = 0; i < 100000 && alive > 0; i++) {
		int k = i % 8;

		if (dead[k])
			continue;
		if (!serve(&other, loops[k], MS + (uint64_t)i * 1000)) {
			dead[k] = 1;
			alive--;
		}
	}
	ck_assert_int_eq(alive, 0);
	udploop_free(&l);
}
END_TEST

START_TEST(test_clients_are_not_dropped)
{
	struct sockaddr_storage c = src("198.51.100.1", 40000);
	char buf[32];
	int i;

	ck_assert_int_eq(udploop_init(&l, &key), 0);
	/* A client numbering its datagrams: never a strike. */
	for (i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "seq %d", i);
		ck_assert(serve(&c, buf, MS + (uint64_t)i * 1000));
	}
	/* The same probe once a second and a half: out of the window. */
	for (i = 0; i < 1000; i++)
		ck_assert(serve(&c, "ping", 20000 * MS + (uint64_t)i * 1500 *
		    MS));
	udploop_free(&l);
}
END_TEST

START_TEST(test_same_bytes_back_to_back_lose_one_in_many)
{
	struct sockaddr_storage c = src("198.51.100.1", 40001);
	int i, lost = 0;

	ck_assert_int_eq(udploop_init(&l, &key), 0);
	for (i = 0; i < 10 * (UDPLOOP_STRIKES + 1); i++)
		lost += !serve(&c, "same", MS + (uint64_t)i * 1000);
	ck_assert_int_le(lost, 10);
	udploop_free(&l);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("udploop",
	    test_a_loop_is_broken,
	    test_several_forged_loops_are_broken_too,
	    test_clients_are_not_dropped,
	    test_same_bytes_back_to_back_lose_one_in_many);
}
