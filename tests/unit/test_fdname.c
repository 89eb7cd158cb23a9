/* Check suite for fdname.c (the names a restart's handover stores under,
 * which must come back exactly as they went, and nothing else may pass
 * for one) and parcel.c (the bytes beside each message's descriptors). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "echod/fdname.h"
#include "echod/parcel.h"
#include "unit.h"

/* systemd's fdname_is_valid(): printable ASCII, no ':', <= 255. */
static void
assert_valid_fdname(const char *name)
{
	const char *p;

	ck_assert_uint_lt(strlen(name), FDNAME_MAX);
	for (p = name; *p != '\0'; p++)
		ck_assert(*p >= 0x20 && *p <= 0x7e && *p != ':');
}

START_TEST(test_names_round_trip)
{
	char name[FDNAME_MAX];
	struct fdname fn;

	fdname_parcel(name, 0x0123456789abcdefULL);
	ck_assert_str_eq(name, "echod-parcel.0123456789abcdef");
	assert_valid_fdname(name);
	ck_assert_int_eq(fdname_parse(name, &fn), FDNAME_PARCEL);
	ck_assert_uint_eq(fn.gen, 0x0123456789abcdefULL);
	fdname_done(name, UINT64_MAX);
	ck_assert_str_eq(name, "echod-done.ffffffffffffffff");
	assert_valid_fdname(name);
	ck_assert_int_eq(fdname_parse(name, &fn), FDNAME_DONE);
	ck_assert_uint_eq(fn.gen, UINT64_MAX);
}
END_TEST

START_TEST(test_only_the_exact_forms_are_ours)
{
	static const char *broken[] = {
		"echod-parcel.",
		"echod-parcel.0123456789ABCDEF",	/* upper case */
		"echod-parcel.0123456789abcde",		/* short */
		"echod-parcel.0123456789abcdef0",	/* long */
		"echod-parcel.0123456789abcdef.4-cb0071079c40",
		"echod-done.xyz",
		"echod-done.-123456789abcdef",
	};
	static const char *other[] = {
		"echod.socket", "tls", "stored", "", "echod-parcel",
		"echod-", "Echod-done.0123456789abcdef", "echod-conn.1",
	};
	struct fdname fn;
	size_t i;

	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		ck_assert_msg(fdname_parse(broken[i], &fn) == FDNAME_BROKEN,
		    "%s", broken[i]);
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		ck_assert_msg(fdname_parse(other[i], &fn) == FDNAME_OTHER,
		    "%s", other[i]);
}
END_TEST

START_TEST(test_parcel_records_round_trip)
{
	struct parcel_client in[3], out[3];
	struct sockaddr_in *sin = (void *)&in[1].sa, *sin_out;
	struct sockaddr_in6 *sin6 = (void *)&in[2].sa, *sin6_out;
	uint8_t buf[PARCEL_MSG_MAX];
	size_t len;

	memset(in, 0, sizeof(in));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(40000);
	inet_pton(AF_INET, "203.0.113.7", &sin->sin_addr);
	in[1].len = sizeof(*sin);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(65535);
	inet_pton(AF_INET6, "2001:db8::ff:1", &sin6->sin6_addr);
	in[2].len = sizeof(*sin6);
	len = parcel_encode(buf, in, 3);
	ck_assert_uint_eq(len, 4 + 3 * PARCEL_REC_SIZE);
	ck_assert_int_eq(parcel_decode(buf, len, 3, out), 0);
	ck_assert_uint_eq(out[0].len, 0);
	sin_out = (void *)&out[1].sa;
	ck_assert_int_eq(sin_out->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(sin_out->sin_port), 40000);
	ck_assert_int_eq(memcmp(&sin_out->sin_addr, &sin->sin_addr, 4), 0);
	sin6_out = (void *)&out[2].sa;
	ck_assert_int_eq(sin6_out->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(sin6_out->sin6_port), 65535);
	ck_assert_int_eq(memcmp(&sin6_out->sin6_addr, &sin6->sin6_addr, 16),
	    0);
}
END_TEST

/* A Unix client (a PROXY header may name one) travels as none. */
START_TEST(test_parcel_unix_client_is_none)
{
	struct parcel_client in, out;
	uint8_t buf[PARCEL_MSG_MAX];

	memset(&in, 0, sizeof(in));
	in.sa.ss_family = AF_UNIX;
	in.len = sizeof(in.sa);
	ck_assert_int_eq(parcel_decode(buf, parcel_encode(buf, &in, 1), 1,
	    &out), 0);
	ck_assert_uint_eq(out.len, 0);
}
END_TEST

START_TEST(test_parcel_refuses_what_it_does_not_write)
{
	struct parcel_client in[2], out[2];
	uint8_t buf[PARCEL_MSG_MAX], bad[PARCEL_MSG_MAX];
	size_t len;

	memset(in, 0, sizeof(in));
	len = parcel_encode(buf, in, 2);
	ck_assert_int_eq(parcel_decode(buf, len, 1, out), -1);	/* count */
	ck_assert_int_eq(parcel_decode(buf, len, 3, out), -1);
	ck_assert_int_eq(parcel_decode(buf, len - 1, 2, out), -1);
	ck_assert_int_eq(parcel_decode(buf, 3, 2, out), -1);
	ck_assert_int_eq(parcel_decode(buf, len, 0, out), -1);
	memcpy(bad, buf, len);
	bad[0] = 'x';					/* magic */
	ck_assert_int_eq(parcel_decode(bad, len, 2, out), -1);
	memcpy(bad, buf, len);
	bad[2] = 2;					/* version */
	ck_assert_int_eq(parcel_decode(bad, len, 2, out), -1);
	memcpy(bad, buf, len);
	bad[4] = 5;					/* family */
	ck_assert_int_eq(parcel_decode(bad, len, 2, out), -1);
	memcpy(bad, buf, len);
	bad[4 + 10] = 1;				/* none, with bytes */
	ck_assert_int_eq(parcel_decode(bad, len, 2, out), -1);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("fdname",
	    test_names_round_trip,
	    test_only_the_exact_forms_are_ours,
	    test_parcel_records_round_trip,
	    test_parcel_unix_client_is_none,
	    test_parcel_refuses_what_it_does_not_write);
}
