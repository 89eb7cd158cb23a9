/*
 * readfile: the whole of a file an operator names (--config, --tls-*),
 * read without ever blocking the daemon: opened non-blocking and checked
 * to be a regular file before a byte is read (a FIFO put at the path
 * would otherwise block the loop), and bounded in size.
 */
#ifndef ECHOD_READFILE_H
#define ECHOD_READFILE_H

#include <stddef.h>

/*
 * Read PATH, given as --OPTION, into *BUF (malloc'd, *LEN bytes, at most
 * MAX).  Returns 0, or a sysexits code (66 unreadable, not a regular file
 * or too large; 71 out of memory) with one line in ERR naming the option,
 * the file and the problem.
 */
int	readfile(const char *option, const char *path, size_t max,
	    char **buf, size_t *len, char *err, size_t errlen);

#endif
