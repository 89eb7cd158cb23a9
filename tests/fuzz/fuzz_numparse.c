/*
 * Fuzz target: strict numbers.  Properties: a parsed value is in range,
 * and for plain digits it equals what strtoull says (no wrap-around).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echod/numparse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[64];
	uint64_t v, min = 0, max = UINT64_MAX, ref;
	const char *why;
	char *end;

	if (size < 2 || size - 2 >= sizeof(text))
		return 0;
	/* The first two bytes pick a range. */
	min = data[0] * 1000ULL;
	max = data[1] == 0xff ? UINT64_MAX : min + data[1] * 100000ULL;
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	if (num_parse_u64(text, min, max, &v, &why) == 0) {
		if (v < min || v > max || text[0] < '0' || text[0] > '9')
			abort();
		errno = 0;
		ref = strtoull(text, &end, 10);
		if (errno != 0 || *end != '\0' || ref != v)
			abort();
	}
	if (num_parse_size(text, min, max, &v, &why) == 0 &&
	    (v < min || v > max))
		abort();
	return 0;
}
