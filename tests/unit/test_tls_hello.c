/* Check suite for tls_hello.c: a client's first bytes, judged. */
#include <string.h>

#include "echod/tls_hello.h"
#include "unit.h"

/* A ClientHello's first 9 bytes, declaring HELLO bytes of it. */
static void
hello(uint8_t b[9], uint32_t hello_len)
{
	static const uint8_t head[] = { 22, 3, 1, 2, 0, 1 };

	memcpy(b, head, sizeof(head));
	b[6] = (uint8_t)(hello_len >> 16);
	b[7] = (uint8_t)(hello_len >> 8);
	b[8] = (uint8_t)hello_len;
}

START_TEST(test_a_real_client_hello_passes)
{
	uint8_t b[9];
	size_t n;

	hello(b, 508);		/* what openssl s_client sends */
	ck_assert_int_eq(tls_hello_check(b, 9), TLS_HELLO_OK);
	hello(b, TLS_HELLO_MAX);
	ck_assert_int_eq(tls_hello_check(b, 9), TLS_HELLO_OK);
	/* Byte by byte, nothing is wrong until it is all there. */
	hello(b, 508);
	for (n = 0; n < 9; n++)
		ck_assert_int_eq(tls_hello_check(b, n), TLS_HELLO_MORE);
}
END_TEST

START_TEST(test_a_huge_declared_hello_is_refused_at_nine_bytes)
{
	uint8_t b[9];

	hello(b, 131396);	/* OpenSSL's own maximum */
	ck_assert_int_eq(tls_hello_check(b, 9), TLS_HELLO_BAD);
	hello(b, TLS_HELLO_MAX + 1);
	ck_assert_int_eq(tls_hello_check(b, 9), TLS_HELLO_BAD);
	hello(b, 0);
	ck_assert_int_eq(tls_hello_check(b, 9), TLS_HELLO_BAD);
}
END_TEST

START_TEST(test_other_speech_is_not_tls)
{
	const uint8_t get[] = "GET / HTTP/1.1\r\n";
	const uint8_t v2[] = { 0x80, 0x2e, 0x01, 0x00, 0x02 };	/* SSLv2 */
	uint8_t b[9];

	ck_assert_int_eq(tls_hello_check(get, 9), TLS_HELLO_NOT_TLS);
	ck_assert_int_eq(tls_hello_check(get, 1), TLS_HELLO_NOT_TLS);
	ck_assert_int_eq(tls_hello_check(v2, 5), TLS_HELLO_NOT_TLS);
	hello(b, 508);
	b[1] = 2;
	ck_assert_int_eq(tls_hello_check(b, 2), TLS_HELLO_NOT_TLS);
	hello(b, 508);
	b[3] = 0x41;		/* a record longer than 2^14 */
	ck_assert_int_eq(tls_hello_check(b, 5), TLS_HELLO_NOT_TLS);
	hello(b, 508);
	b[5] = 2;		/* a ServerHello: not from a client */
	ck_assert_int_eq(tls_hello_check(b, 6), TLS_HELLO_BAD);
	hello(b, 508);
	b[3] = 0;
	b[4] = 3;		/* a first record too short for the header */
	ck_assert_int_eq(tls_hello_check(b, 5), TLS_HELLO_BAD);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("tls_hello",
	    test_a_real_client_hello_passes,
	    test_a_huge_declared_hello_is_refused_at_nine_bytes,
	    test_other_speech_is_not_tls);
}
