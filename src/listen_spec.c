/*
 * listen_spec.c: parse and print --listen values ("7777", "host:7777",
 * "[::1]:7777", "unix:/path").  Pure logic, no sockets: the listener module
 * resolves and binds what this module has validated.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "echod/listen_spec.h"
#include "echod/numparse.h"

#define PORT_FIX "give a port from 1 to 65535 (0 lets the kernel choose)"

static int
parse_port(const char *text, const char *port, uint16_t *out, char *err,
    size_t errlen)
{
	uint64_t v;
	const char *why;

	if (num_parse_u64(port, 0, 65535, &v, &why) == -1) {
		if (*port == '\0')
			snprintf(err, errlen, "--listen '%s': the port is "
			    "missing; %s", text, PORT_FIX);
		else
			snprintf(err, errlen, "--listen '%s': port '%s' %s; "
			    "%s", text, port, why, PORT_FIX);
		return -1;
	}
	*out = (uint16_t)v;
	return 0;
}

static int
parse_unix(const char *text, struct listen_spec *spec, char *err,
    size_t errlen)
{
	const char *path = text + strlen("unix:");
	size_t len = strlen(path);

	if (len == 0 || (path[0] == '@' && len == 1)) {
		snprintf(err, errlen, "--listen '%s': the socket path is "
		    "missing; write unix:/run/echod.sock", text);
		return -1;
	}
	if (len >= LISTEN_PATH_MAX) {
		snprintf(err, errlen, "--listen '%.40s...': the path is %zu "
		    "bytes, a Unix socket path may have at most %d; choose a "
		    "shorter path", text, len, LISTEN_PATH_MAX - 1);
		return -1;
	}
	spec->kind = LISTEN_UNIX;
	memcpy(spec->path, path, len + 1);
	return 0;
}

static int
parse_bracketed(const char *text, struct listen_spec *spec, char *err,
    size_t errlen)
{
	const char *close = strchr(text, ']');
	size_t hlen;
	struct in6_addr a6;

	if (close == NULL || close[1] != ':') {
		snprintf(err, errlen, "--listen '%s': write an IPv6 address "
		    "as [ADDRESS]:PORT, e.g. [::1]:7777", text);
		return -1;
	}
	hlen = (size_t)(close - text - 1);
	if (hlen == 0 || hlen >= sizeof(spec->host)) {
		snprintf(err, errlen, "--listen '%s': the address between "
		    "[ and ] is %s; write e.g. [::1]:7777", text,
		    hlen == 0 ? "empty" : "too long");
		return -1;
	}
	memcpy(spec->host, text + 1, hlen);
	spec->host[hlen] = '\0';
	if (inet_pton(AF_INET6, spec->host, &a6) != 1) {
		snprintf(err, errlen, "--listen '%s': '%s' is not an IPv6 "
		    "address; write e.g. [::1]:7777 or [::]:7777", text,
		    spec->host);
		return -1;
	}
	spec->kind = LISTEN_INET;
	return parse_port(text, close + 2, &spec->port, err, errlen);
}

static int
parse_host_port(const char *text, const char *colon, struct listen_spec *spec,
    char *err, size_t errlen)
{
	size_t hlen = (size_t)(colon - text);

	if (strchr(colon + 1, ':') != NULL) {
		snprintf(err, errlen, "--listen '%s': an IPv6 address needs "
		    "brackets; write e.g. [::1]:7777", text);
		return -1;
	}
	if (hlen == 0) {
		snprintf(err, errlen, "--listen '%s': the host is missing; "
		    "write HOST:PORT, e.g. 0.0.0.0%s for every IPv4 address",
		    text, colon);
		return -1;
	}
	if (hlen >= sizeof(spec->host)) {
		snprintf(err, errlen, "--listen '%.40s...': the host name is "
		    "too long (at most %d bytes)", text, LISTEN_HOST_MAX - 1);
		return -1;
	}
	memcpy(spec->host, text, hlen);
	spec->host[hlen] = '\0';
	spec->kind = LISTEN_INET;
	return parse_port(text, colon + 1, &spec->port, err, errlen);
}

/*
 * Parse what follows a "udp:" or "tls:" prefix of SKIP bytes; an error
 * names the whole value the operator wrote, not the part after it.
 */
static int
parse_inner(const char *text, size_t skip, struct listen_spec *spec,
    char *err, size_t errlen)
{
	char inner[512];
	size_t quoted;

	if (listen_spec_parse(text + skip, spec, err, errlen) == 0)
		return 0;
	quoted = strlen("--listen '") + strlen(text + skip) + 1;
	if (strncmp(err, "--listen '", 10) == 0 && strlen(err) >= quoted &&
	    strncmp(err + 10, text + skip, quoted - 11) == 0 &&
	    err[quoted - 1] == '\'') {
		snprintf(inner, sizeof(inner), "%s", err + quoted);
		snprintf(err, errlen, "--listen '%s'%s", text, inner);
	}
	return -1;
}

int
listen_spec_parse(const char *text, struct listen_spec *spec, char *err,
    size_t errlen)
{
	const char *colon;

	memset(spec, 0, sizeof(*spec));
	if (*text == '\0') {
		snprintf(err, errlen, "--listen '': empty; write PORT, "
		    "HOST:PORT, [IPV6]:PORT, unix:PATH, udp:... or tls:...");
		return -1;
	}
	if (strncmp(text, "unix:", 5) == 0)
		return parse_unix(text, spec, err, errlen);
	if (strncmp(text, "udp:", 4) == 0) {
		if (strncmp(text + 4, "unix:", 5) == 0) {
			snprintf(err, errlen, "--listen '%s': UDP echo is for "
			    "IP addresses; write udp:HOST:PORT", text);
			return -1;
		}
		if (strncmp(text + 4, "tls:", 4) == 0) {
			snprintf(err, errlen, "--listen '%s': TLS is for stream "
			    "sockets (DTLS is not served); write tls:HOST:PORT",
			    text);
			return -1;
		}
		if (parse_inner(text, 4, spec, err, errlen) == -1)
			return -1;
		spec->kind = LISTEN_UDP;
		return 0;
	}
	if (strncmp(text, "tls:", 4) == 0) {
		if (strncmp(text + 4, "udp:", 4) == 0 ||
		    strncmp(text + 4, "tls:", 4) == 0) {
			snprintf(err, errlen, "--listen '%s': TLS is for stream "
			    "sockets; write tls:HOST:PORT or tls:unix:PATH",
			    text);
			return -1;
		}
		if (parse_inner(text, 4, spec, err, errlen) == -1)
			return -1;
		spec->tls = 1;
		return 0;
	}
	if (text[0] == '[')
		return parse_bracketed(text, spec, err, errlen);
	if ((colon = strchr(text, ':')) != NULL)
		return parse_host_port(text, colon, spec, err, errlen);

	/* No colon: a bare port on localhost, or a host missing its port. */
	if (strspn(text, "0123456789") == 0 && text[0] != '-') {
		snprintf(err, errlen, "--listen '%s': the port is missing; "
		    "write %s:PORT, e.g. %s:%d", text, text, text,
		    LISTEN_DEFAULT_PORT);
		return -1;
	}
	spec->kind = LISTEN_INET;
	strcpy(spec->host, LISTEN_DEFAULT_HOST);
	return parse_port(text, text, &spec->port, err, errlen);
}

void
listen_spec_format(const struct listen_spec *spec, char *buf, size_t len)
{
	const char *udp = spec->kind == LISTEN_UDP ? "udp:" :
	    spec->tls ? "tls:" : "";

	if (spec->kind == LISTEN_UNIX)
		snprintf(buf, len, "%sunix:%s", udp, spec->path);
	else if (strchr(spec->host, ':') != NULL)
		snprintf(buf, len, "%s[%s]:%u", udp, spec->host, spec->port);
	else
		snprintf(buf, len, "%s%s:%u", udp, spec->host, spec->port);
}

int
listen_host_is_dotted(const char *host)
{
	return host[0] != '\0' && strspn(host, "0123456789.") == strlen(host);
}
