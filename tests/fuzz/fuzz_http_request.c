/*
 * Fuzz target: the request head a client sends to the metrics port.
 * Beyond "no crash" (the bytes are not NUL-terminated, as they arrive): a
 * served request has a path that starts with '/' and fits, an error has
 * one of the statuses the server knows, and a head never needs more than
 * HTTP_HEAD_MAX bytes to be decided.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echod/http_request.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;
	char *copy;
	int rc, status = 0;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = http_request_parse(copy, size, &req, &status);
	if (rc == 1 && (req.path[0] != '/' ||
	    strlen(req.path) >= HTTP_PATH_MAX))
		abort();
	if (rc == -1 && status != 400 && status != 414 && status != 431 &&
	    status != 505)
		abort();
	if (rc == 0 && size >= HTTP_HEAD_MAX)
		abort();
	free(copy);
	return 0;
}
