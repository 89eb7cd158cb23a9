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

/*
 * More loops than the ring holds, forged toward a slow peer (25 ms away)
 * within a rate limit: each datagram echoes a reply 17 or more back.
 * Every loop must end, and soon after the first drop.
 */
static void
interleaved_loops(int n, uint64_t rtt)
{
	struct sockaddr_storage peer = src("192.0.2.9", 18999);
	char name[16];
	int k, alive = n, dead[1000] = { 0 }, rounds;
	uint64_t now = MS;

	ck_assert_int_le(n, 1000);
	ck_assert_int_eq(udploop_init(&l, &key), 0);
	for (rounds = 0; rounds < 2000 && alive > 0; rounds++) {
		for (k = 0; k < n; k++) {
			if (dead[k])
				continue;
			snprintf(name, sizeof(name), "loop %d", k);
			/* The n datagrams of a round spread over one RTT. */
			if (!serve(&peer, name, now + rtt * (uint64_t)k /
			    (uint64_t)n)) {
				dead[k] = 1;
				alive--;
			}
		}
		now += rtt;
	}
	ck_assert_msg(alive == 0, "%d of %d loops still alive after %d "
	    "round trips", alive, n, rounds);
	/* A round of new datagrams, STRIKES echoes, a round more. */
	ck_assert_int_le(rounds * n, UDPLOOP_STRIKES + 3 * n);
	udploop_free(&l);
}

START_TEST(test_more_loops_than_the_ring_all_end)
{
	interleaved_loops(17, 25 * MS);
	interleaved_loops(30, 25 * MS);
	interleaved_loops(200, 200 * MS);	/* 1000/s: --udp-rate */
}
END_TEST

START_TEST(test_a_cycle_of_payloads_is_served_while_new_bytes_come)
{
	struct sockaddr_storage c = src("198.51.100.2", 40002);
	char buf[32];
	int i, lost = 0;

	ck_assert_int_eq(udploop_init(&l, &key), 0);
	/* 64 fixed probes in turn, 100/s, every fifth one new. */
	for (i = 0; i < 5000; i++) {
		if (i % 5 == 0)
			snprintf(buf, sizeof(buf), "new %d", i);
		else
			snprintf(buf, sizeof(buf), "probe %d", i % 64);
		lost += !serve(&c, buf, MS + (uint64_t)i * 10 * MS);
	}
	ck_assert_int_eq(lost, 0);
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
	    test_more_loops_than_the_ring_all_end,
	    test_a_cycle_of_payloads_is_served_while_new_bytes_come,
	    test_clients_are_not_dropped,
	    test_same_bytes_back_to_back_lose_one_in_many);
}
