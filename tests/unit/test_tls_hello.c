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

/* A ClientHello of HELLO bytes in records of at most REC bytes. */
static size_t
records(uint8_t *out, uint32_t hello, uint32_t rec)
{
	static uint8_t body[4 + TLS_HELLO_MAX];
	uint32_t off = 0, len;
	size_t n = 0;

	body[0] = 1;
	body[1] = (uint8_t)(hello >> 16);
	body[2] = (uint8_t)(hello >> 8);
	body[3] = (uint8_t)hello;
	while (off < 4 + hello) {
		len = 4 + hello - off < rec ? 4 + hello - off : rec;
		out[n++] = 22;
		out[n++] = 3;
		out[n++] = 1;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
		memcpy(out + n, body + off, len);
		n += len;
		off += len;
	}
	return n;
}

START_TEST(test_the_whole_hello_is_waited_for)
{
	static uint8_t b[TLS_HELLO_WHOLE * 2];
	size_t n, i;

	n = records(b, 508, 16384);		/* one record */
	ck_assert_int_eq(tls_hello_whole(b, n), TLS_HELLO_OK);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(tls_hello_whole(b, i), TLS_HELLO_MORE);
	n = records(b, TLS_HELLO_MAX, 16384);	/* two: 16384 + 4 */
	ck_assert_int_eq(tls_hello_whole(b, n), TLS_HELLO_OK);
	ck_assert_int_eq(tls_hello_whole(b, n - 1), TLS_HELLO_MORE);
	ck_assert_uint_le(n, TLS_HELLO_WHOLE);
	n = records(b, TLS_HELLO_MAX, 16384 / TLS_HELLO_RECORDS + 1);
	ck_assert_int_eq(tls_hello_whole(b, n), TLS_HELLO_OK);
	ck_assert_uint_le(n, TLS_HELLO_WHOLE);
	n = records(b, 508, 8);			/* 64 records: too many */
	ck_assert_int_eq(tls_hello_whole(b, n), TLS_HELLO_BAD);
	n = records(b, 508, 16384);
	b[n] = 23;				/* what follows is not ours */
	ck_assert_int_eq(tls_hello_whole(b, n + 1), TLS_HELLO_OK);
	n = records(b, 508, 100);		/* then a foreign record */
	b[105] = 23;
	ck_assert_int_eq(tls_hello_whole(b, n), TLS_HELLO_BAD);
}
END_TEST

int
main(void)
{
	return UNIT_RUN("tls_hello",
	    test_the_whole_hello_is_waited_for,
	    test_a_real_client_hello_passes,
	    test_a_huge_declared_hello_is_refused_at_nine_bytes,
	    test_other_speech_is_not_tls);
}
