/*
 * test_proxy_header.c: the PROXY protocol v2 parser, on headers built
 * byte by byte as the specification lays them out.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "echod/proxy_header.h"
#include "unit.h"

static const uint8_t sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static struct proxy_header h;
static const char *why;

/* Signature, version/command, family/protocol, then LEN address bytes. */
static size_t
header(uint8_t *buf, uint8_t ver_cmd, uint8_t fam, const uint8_t *addr,
    size_t len)
{
	memcpy(buf, sig, 12);
	buf[12] = ver_cmd;
	buf[13] = fam;
	buf[14] = (uint8_t)(len >> 8);
	buf[15] = (uint8_t)len;
	memcpy(buf + 16, addr, len);
	return 16 + len;
}

START_TEST(test_tcp4_names_the_client)
{
	/* 192.0.2.7:51000 -> 198.51.100.1:7777, then the client's bytes. */
	uint8_t a[12] = { 192, 0, 2, 7, 198, 51, 100, 1, 0xc7, 0x38, 0x1e,
	    0x61 }, buf[64];
	size_t n = header(buf, 0x21, 0x11, a, sizeof(a));
	struct sockaddr_in *sin = (struct sockaddr_in *)&h.src;
	char text[INET_ADDRSTRLEN];

	memcpy(buf + n, "hello", 5);
	ck_assert_int_eq(proxy_header_parse(buf, n + 5, &h, &why), 1);
	ck_assert_uint_eq(h.need, 28);
	ck_assert_int_eq(h.local, 0);
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(h.srclen, sizeof(*sin));
	inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
	ck_assert_str_eq(text, "192.0.2.7");
	ck_assert_uint_eq(ntohs(sin->sin_port), 51000);
}
END_TEST

START_TEST(test_tcp6_names_the_client)
{
	uint8_t a[36] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1, [16] = 0xfe,
	    [17] = 0x80, [32] = 0x1f, [33] = 0x90, [34] = 0x1e, [35] = 0x61 };
	uint8_t buf[64];
	size_t n = header(buf, 0x21, 0x21, a, sizeof(a));
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h.src;
	char text[INET6_ADDRSTRLEN];

	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), 1);
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
	ck_assert_str_eq(text, "2001:db8::1");
	ck_assert_uint_eq(ntohs(sin6->sin6_port), 8080);
}
END_TEST

START_TEST(test_tlvs_are_skipped)
{
	/* IPv4 addresses plus a 7-byte TLV (type 0x05, unique id). */
	uint8_t a[19] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2, 0x05, 0, 4,
	    'a', 'b', 'c', 'd' }, buf[64];
	size_t n = header(buf, 0x21, 0x11, a, sizeof(a));

	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), 1);
	ck_assert_uint_eq(h.need, 35);
}
END_TEST

START_TEST(test_local_and_unspec_name_nobody)
{
	uint8_t none[1] = { 0 }, buf[64];
	size_t n = header(buf, 0x20, 0x00, none, 0);

	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), 1);
	ck_assert_int_eq(h.local, 1);
	ck_assert_uint_eq(h.need, 16);
	n = header(buf, 0x21, 0x00, none, 0);
	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), 1);
	ck_assert_int_eq(h.local, 1);
}
END_TEST

START_TEST(test_partial_headers_ask_for_exactly_the_rest)
{
	uint8_t a[12] = { 127, 0, 0, 2 }, buf[64];
	size_t n = header(buf, 0x21, 0x11, a, sizeof(a)), i;

	/* i = 0: nothing read yet; the caller asks how much to read. */
	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(proxy_header_parse(buf, i, &h, &why), 0);
		ck_assert_uint_eq(h.need, 16);
	}
	for (i = 16; i < n; i++) {
		ck_assert_int_eq(proxy_header_parse(buf, i, &h, &why), 0);
		ck_assert_uint_eq(h.need, n);
	}
	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), 1);
}
END_TEST

START_TEST(test_bad_headers_are_named)
{
	uint8_t a[36] = { 0 }, buf[64];
	size_t n;

	ck_assert_int_eq(proxy_header_parse((const uint8_t *)"hello\n", 6, &h,
	    &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "no PROXY protocol v2 header"));
	/* A plain client is refused on its first byte, not after a wait. */
	ck_assert_int_eq(proxy_header_parse((const uint8_t *)"h", 1, &h,
	    &why), -1);
	ck_assert_int_eq(proxy_header_parse((const uint8_t *)
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 32, &h, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "v1"));
	n = header(buf, 0x11, 0x11, a, 12);		/* version 1 */
	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), -1);
	n = header(buf, 0x22, 0x11, a, 12);		/* command 2 */
	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), -1);
	n = header(buf, 0x21, 0x41, a, 12);		/* family 4 */
	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), -1);
	n = header(buf, 0x21, 0x12, a, 12);		/* UDP */
	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "datagram"));
	n = header(buf, 0x21, 0x11, a, 8);		/* IPv4 too short */
	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), -1);
	n = header(buf, 0x21, 0x21, a, 20);		/* IPv6 too short */
	ck_assert_int_eq(proxy_header_parse(buf, n, &h, &why), -1);
	/* Longer than echod takes: refused from the fixed part alone. */
	n = header(buf, 0x21, 0x11, a, 12);
	buf[14] = 0x04;
	buf[15] = 0x00;
	ck_assert_int_eq(proxy_header_parse(buf, 16, &h, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "longer"));
}
END_TEST

int
main(void)
{
	return UNIT_RUN("proxy_header",
	    test_tcp4_names_the_client,
	    test_tcp6_names_the_client,
	    test_tlvs_are_skipped,
	    test_local_and_unspec_name_nobody,
	    test_partial_headers_ask_for_exactly_the_rest,
	    test_bad_headers_are_named);
}
