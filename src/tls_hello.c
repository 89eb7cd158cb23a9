/*
 * tls_hello.c: a TLS client's first bytes, judged (see tls_hello.h).
 *
 *   b[0]      record type: 22, handshake
 *   b[1..2]   record version: 3.x
 *   b[3..4]   record length: 1 to 2^14 (RFC 8446 5.1)
 *   b[5]      handshake type: 1, ClientHello
 *   b[6..8]   ClientHello length: 1 to TLS_HELLO_MAX (it may span
 *             records; OpenSSL allocates it whole)
 *
 * A first record too short to hold the handshake header (legal, never
 * sent by a real client) is refused rather than read across records.
 */
#include "echod/tls_hello.h"

enum tls_hello
tls_hello_check(const uint8_t *b, size_t n)
{
	uint32_t len;

	if (n >= 1 && b[0] != 22)
		return TLS_HELLO_NOT_TLS;
	if (n >= 2 && b[1] != 3)
		return TLS_HELLO_NOT_TLS;
	if (n >= 5) {
		len = (uint32_t)b[3] << 8 | b[4];
		if (len == 0 || len > (1 << 14))
			return TLS_HELLO_NOT_TLS;
		if (len < 4)
			return TLS_HELLO_BAD;
	}
	if (n >= 6 && b[5] != 1)
		return TLS_HELLO_BAD;
	if (n < TLS_HELLO_PEEK)
		return TLS_HELLO_MORE;
	len = (uint32_t)b[6] << 16 | (uint32_t)b[7] << 8 | b[8];
	if (len == 0 || len > TLS_HELLO_MAX)
		return TLS_HELLO_BAD;
	return TLS_HELLO_OK;
}

enum tls_hello
tls_hello_whole(const uint8_t *b, size_t n)
{
	uint32_t need, got = 0, len;
	size_t off = 0;
	unsigned records = 0;

	if (n < TLS_HELLO_PEEK)
		return TLS_HELLO_MORE;
	need = 4 + ((uint32_t)b[6] << 16 | (uint32_t)b[7] << 8 | b[8]);
	while (got < need) {
		if (n - off < 5)
			return TLS_HELLO_MORE;
		len = (uint32_t)b[off + 3] << 8 | b[off + 4];
		if (b[off] != 22 || len == 0 || len > (1 << 14) ||
		    ++records > TLS_HELLO_RECORDS)
			return TLS_HELLO_BAD;
		off += 5;
		if (n - off < len)
			return got + (n - off) >= need ? TLS_HELLO_OK :
			    TLS_HELLO_MORE;
		got += len;
		off += len;
	}
	return TLS_HELLO_OK;
}
