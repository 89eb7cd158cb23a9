/*
 * http_request: the head of one HTTP/1.x request, as far as the metrics
 * port needs it (method and path; header lines are read past, not kept).
 * Pure and bounded: a head longer than HTTP_HEAD_MAX is an error, so a
 * peer cannot make echod hold more than that per connection.
 */
#ifndef ECHOD_HTTP_REQUEST_H
#define ECHOD_HTTP_REQUEST_H

#include <stddef.h>

#define HTTP_HEAD_MAX	8192	/* request line and headers */
#define HTTP_PATH_MAX	256

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER,		/* answered 405 */
};

struct http_request {
	enum http_method	method;
	char			path[HTTP_PATH_MAX];	/* no query string */
};

/*
 * Look at the first LEN bytes a client sent.  Returns 1 when the head is
 * complete (*REQ filled), 0 when more is needed, or -1 when it can never
 * be served, with *STATUS the HTTP status to answer (400 malformed, 414
 * path too long, 431 head too long, 505 not HTTP/1.x).
 */
int	http_request_parse(const char *buf, size_t len,
	    struct http_request *req, int *status);

#endif
