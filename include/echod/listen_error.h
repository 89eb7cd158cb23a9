/*
 * listen_error: why a listener could not be opened, as one line an operator
 * can act on, and the sysexits.h code echod exits with.
 */
#ifndef ECHOD_LISTEN_ERROR_H
#define ECHOD_LISTEN_ERROR_H

#include <stddef.h>

/*
 * ERRNUM is the errno from socket()/bind()/listen(); WHERE is the address
 * as printed ("127.0.0.1:80", "unix:/run/x.sock"); PORT is its port (0 for
 * Unix sockets).  Writes the message to ERR and returns the exit code.
 */
int	listen_error_explain(int errnum, const char *where, unsigned port,
	    char *err, size_t errlen);

/*
 * A getaddrinfo() failure (EAI_*) for HOST in the spec WHERE.
 */
int	listen_error_resolve(int gai_err, const char *host, const char *where,
	    char *err, size_t errlen);

#endif
