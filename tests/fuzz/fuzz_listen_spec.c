/*
 * Fuzz target: --listen SPEC parsing.  Property: whatever parses prints
 * back to a SPEC that parses to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echod/listen_spec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct listen_spec a, b;
	char text[1024], back[512], err[512];

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (listen_spec_parse(text, &a, err, sizeof(err)) != 0)
		return 0;
	listen_spec_format(&a, back, sizeof(back));
	if (listen_spec_parse(back, &b, err, sizeof(err)) != 0 ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		abort();		/* a SPEC we print must read back */
	return 0;
}
