/*
 * listen_error.c: map the errors of socket()/bind()/listen() and of name
 * resolution to a message that says what to do, and to a sysexits code.
 * Pure: the caller passes the errno; nothing here touches a socket.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "echod/listen_error.h"

int
listen_error_explain(int errnum, const char *where, unsigned port, char *err,
    size_t errlen)
{
	int is_unix = strncmp(where, "unix:", 5) == 0;

	switch (errnum) {
	case EADDRINUSE:
		if (is_unix)
			snprintf(err, errlen, "cannot listen on %s: address "
			    "in use by a running program; stop it or choose "
			    "another path", where);
		else
			snprintf(err, errlen, "cannot listen on %s: address "
			    "already in use; another program holds port %u: "
			    "choose another port with --listen, or find it "
			    "with 'ss -l%snp sport = :%u'", where, port,
			    strncmp(where, "udp:", 4) == 0 ? "u" : "t", port);
		return EX_UNAVAILABLE;
	case EACCES:
	case EPERM:
		if (is_unix)
			snprintf(err, errlen, "cannot listen on %s: permission "
			    "denied; choose a directory echod may write to",
			    where);
		else if (port > 0 && port < 1024)
			snprintf(err, errlen, "cannot listen on %s: permission "
			    "denied; ports below 1024 need root or "
			    "CAP_NET_BIND_SERVICE: use a port of 1024 or "
			    "more, e.g. --listen %u", where, 7000 + port);
		else
			snprintf(err, errlen, "cannot listen on %s: permission "
			    "denied (%s)", where, strerror(errnum));
		return EX_NOPERM;
	case EADDRNOTAVAIL:
		snprintf(err, errlen, "cannot listen on %s: no interface of "
		    "this host has that address; use one 'ip addr' shows, or "
		    "0.0.0.0 / [::] for all", where);
		return EX_NOHOST;
	case EAFNOSUPPORT:
		snprintf(err, errlen, "cannot listen on %s: this host does "
		    "not support that address family (IPv6 disabled?)", where);
		return EX_UNAVAILABLE;
	case EMFILE:
	case ENFILE:
		snprintf(err, errlen, "cannot listen on %s: out of file "
		    "descriptors (%s); raise 'ulimit -n'", where,
		    strerror(errnum));
		return EX_OSERR;
	case ENOENT:
	case ENOTDIR:
		if (is_unix) {
			snprintf(err, errlen, "cannot listen on %s: the "
			    "directory does not exist; create it first", where);
			return EX_CANTCREAT;
		}
		break;
	case EROFS:
		snprintf(err, errlen, "cannot listen on %s: read-only file "
		    "system; choose a path on a writable one", where);
		return EX_CANTCREAT;
	}
	snprintf(err, errlen, "cannot listen on %s: %s", where,
	    strerror(errnum));
	return EX_OSERR;
}

int
listen_error_resolve(int gai_err, const char *host, const char *where,
    char *err, size_t errlen)
{
	if (gai_err == EAI_AGAIN) {
		snprintf(err, errlen, "cannot listen on %s: looking up '%s' "
		    "failed for now (%s); try again or give an IP address",
		    where, host, gai_strerror(gai_err));
		return EX_TEMPFAIL;
	}
	snprintf(err, errlen, "cannot listen on %s: '%s' is not a valid "
	    "address or known host name (%s); give an IP address such as "
	    "127.0.0.1 or a name in /etc/hosts", where, host,
	    gai_strerror(gai_err));
	return EX_NOHOST;
}
