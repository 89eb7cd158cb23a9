/*
 * readfile.c: read a whole configuration file (see readfile.h).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "echod/readfile.h"

static const char *
too_large(size_t max, char *buf, size_t len)
{
	if (max % (1 << 20) == 0)
		snprintf(buf, len, "larger than %zu MiB", max >> 20);
	else
		snprintf(buf, len, "larger than %zu bytes", max);
	return buf;
}

static const char *
file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

int
readfile(const char *option, const char *path, size_t max, char **buf,
    size_t *len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n = 0;
	size_t used = 0;
	char tl[64], *b;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		snprintf(err, errlen, "--%s '%s': cannot read it: %s",
		    option, path, strerror(errno));
		return EX_NOINPUT;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "--%s '%s': cannot read it: %s",
		    option, path, strerror(errno));
		close(fd);
		return EX_NOINPUT;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--%s '%s': it is %s; give the path "
		    "of a regular file", option, path, file_kind(st.st_mode));
		close(fd);
		return EX_NOINPUT;
	}
	/* One byte more than allowed tells "too large" from "just fits". */
	if ((b = malloc(max + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "--%s '%s': out of memory", option,
		    path);
		return EX_OSERR;
	}
	while (used <= max && (n = read(fd, b + used, max + 1 - used)) > 0)
		used += (size_t)n;
	close(fd);
	if (n == -1 || used > max) {
		snprintf(err, errlen, "--%s '%s': cannot read it: %s", option,
		    path, n == -1 ? strerror(errno) : too_large(max, tl,
		    sizeof(tl)));
		free(b);
		return EX_NOINPUT;
	}
	*buf = b;
	*len = used;
	return 0;
}

