/*
 * Fuzz target: a --config file, through the same option parser as the
 * command line (every option, every number, every SPEC and CIDR).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echod/config.h"
#include "echod/config_file.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	struct config_args a;
	char *text, err[512];

	/* Exactly SIZE bytes, no terminator: the parser must not need one. */
	if ((text = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	memset(&a, 0, sizeof(a));
	if (config_args_push(&a, "echod", NULL) == 0 &&
	    config_file_expand(&a, "fuzz.conf", text, size, err,
	    sizeof(err)) == 0)
		(void)config_parse_words(&cfg, a.argc, a.argv, a.origin, err,
		    sizeof(err));
	config_args_free(&a);
	free(text);
	return 0;
}
