/*
 * http_request.c: parse a request head (see http_request.h).  Accepts
 * CRLF or bare LF line ends, as RFC 9112 allows a server to.
 */
#include <string.h>

#include "echod/http_request.h"

/* The end of the head: the byte after its empty line, or 0. */
static size_t
head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int
is_token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* "METHOD SP TARGET SP HTTP/1.x" in LINE (LEN bytes, no line end). */
static int
request_line(const char *line, size_t len, struct http_request *req,
    int *status)
{
	const char *sp1, *sp2, *target, *q;
	size_t mlen, tlen, vlen, i;

	*status = 400;
	sp1 = memchr(line, ' ', len);
	if (sp1 == NULL || sp1 == line)
		return -1;
	mlen = (size_t)(sp1 - line);
	for (i = 0; i < mlen; i++)
		if (!is_token_char(line[i]))
			return -1;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', len - mlen - 1);
	if (sp2 == NULL || sp2 == target || *target != '/')
		return -1;
	tlen = (size_t)(sp2 - target);
	vlen = (size_t)(line + len - (sp2 + 1));
	if (vlen != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		*status = vlen >= 5 && memcmp(sp2 + 1, "HTTP/", 5) == 0 ?
		    505 : 400;
		return -1;
	}
	if (sp2[8] != '0' && sp2[8] != '1') {
		*status = 505;
		return -1;
	}
	for (i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= ' ' ||
		    (unsigned char)target[i] >= 0x7f)
			return -1;
	if ((q = memchr(target, '?', tlen)) != NULL)
		tlen = (size_t)(q - target);
	if (tlen >= sizeof(req->path)) {
		*status = 414;
		return -1;
	}
	memcpy(req->path, target, tlen);
	req->path[tlen] = '\0';
	if (mlen == 3 && memcmp(line, "GET", 3) == 0)
		req->method = HTTP_GET;
	else if (mlen == 4 && memcmp(line, "HEAD", 4) == 0)
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;
	return 1;
}

/* The request line: up to the first line end of BUF (LEN bytes). */
static int
first_line(const char *buf, size_t len, struct http_request *req,
    int *status)
{
	const char *nl = memchr(buf, '\n', len);
	size_t llen = (size_t)(nl - buf);

	if (llen > 0 && buf[llen - 1] == '\r')
		llen--;
	return request_line(buf, llen, req, status);
}

int
http_request_parse(const char *buf, size_t len, struct http_request *req,
    int *status)
{
	memset(req, 0, sizeof(*req));
	if (len > HTTP_HEAD_MAX)
		len = HTTP_HEAD_MAX;
	if (head_end(buf, len) > 0)
		return first_line(buf, len, req, status);
	/* Not complete: a request line already there may be wrong. */
	if (memchr(buf, '\n', len) != NULL &&
	    first_line(buf, len, req, status) == -1)
		return -1;
	memset(req, 0, sizeof(*req));
	if (len < HTTP_HEAD_MAX)
		return 0;
	*status = 431;
	return -1;
}
