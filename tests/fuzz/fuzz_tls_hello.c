/*
 * Fuzz target: a TLS client's first bytes, judged before OpenSSL sees
 * them.  Beyond "no crash": the verdict on a prefix is MORE or the same
 * as on the whole (more bytes never undo a refusal), and only a sane
 * ClientHello size is let through; the same for the whole hello.
 */
#include <stdint.h>
#include <stdlib.h>

#include "echod/tls_hello.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum tls_hello whole, part;
	size_t n, i;
	uint32_t len;

	n = size < TLS_HELLO_PEEK ? size : TLS_HELLO_PEEK;
	whole = tls_hello_check(data, n);
	if (whole == TLS_HELLO_OK) {
		len = (uint32_t)data[6] << 16 | (uint32_t)data[7] << 8 |
		    data[8];
		if (n != TLS_HELLO_PEEK || data[0] != 22 || data[5] != 1 ||
		    len == 0 || len > TLS_HELLO_MAX)
			abort();
	}
	if (whole == TLS_HELLO_MORE && n == TLS_HELLO_PEEK)
		abort();
	for (i = 0; i < n; i++) {
		part = tls_hello_check(data, i);
		if (part != TLS_HELLO_MORE && part != whole)
			abort();
	}
	/* The whole hello: never past the bytes, never a verdict undone. */
	if (whole == TLS_HELLO_OK) {
		whole = tls_hello_whole(data, size);
		part = tls_hello_whole(data, size / 2);
		if (part != TLS_HELLO_MORE && part != whole)
			abort();
	}
	return 0;
}
