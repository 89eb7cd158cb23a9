/*
 * config_load.c: read the command line and its --config files into a
 * validated struct config (see config_load.h).
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "echod/config.h"
#include "echod/config_file.h"
#include "echod/config_load.h"

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

/*
 * The whole of PATH in *BUF (*LEN bytes), or a sysexits code with ERR.
 * Opened non-blocking and checked to be a regular file before a byte is
 * read: a FIFO put at the path would otherwise block the daemon's loop.
 */
static int
slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n = 0;
	size_t used = 0;
	char *b;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		snprintf(err, errlen, "--config '%s': cannot read it: %s",
		    path, strerror(errno));
		return EX_NOINPUT;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "--config '%s': cannot read it: %s",
		    path, strerror(errno));
		close(fd);
		return EX_NOINPUT;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--config '%s': it is %s; give the path "
		    "of a regular file", path, file_kind(st.st_mode));
		close(fd);
		return EX_NOINPUT;
	}
	/* One byte more than allowed tells "too large" from "just fits". */
	if ((b = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "--config '%s': out of memory", path);
		return EX_OSERR;
	}
	while (used <= CONFIG_FILE_MAX &&
	    (n = read(fd, b + used, CONFIG_FILE_MAX + 1 - used)) > 0)
		used += (size_t)n;
	close(fd);
	if (n == -1 || used > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "--config '%s': cannot read it: %s",
		    path, n == -1 ? strerror(errno) : "larger than 1 MiB");
		free(b);
		return EX_NOINPUT;
	}
	*buf = b;
	*len = used;
	return 0;
}

/* Nothing but blanks: what a file being rewritten in place looks like. */
static int
blank(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)text[i]))
			return 0;
	return 1;
}

/*
 * Copy ARGV into A, putting each --config file's words after it.  The
 * first file that is empty (or blank) is named in EMPTY; one of comments
 * only is not empty (a packaged file with every option commented out).
 */
static int
expand_argv(int argc, char **argv, struct config_args *a, char *empty,
    size_t emptylen, char *err, size_t errlen)
{
	size_t len;
	char *text;
	int i, rc;

	for (i = 0; i < argc; i++) {
		const char *path = NULL;

		if (config_args_push(a, argv[i], NULL) == -1)
			goto oom;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			if (config_args_push(a, argv[++i], NULL) == -1)
				goto oom;
			path = argv[i];
		} else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		if (path == NULL)
			continue;
		if ((rc = slurp(path, &text, &len, err, errlen)) != 0)
			return rc;
		if (blank(text, len) && empty[0] == '\0')
			snprintf(empty, emptylen, "%s", path);
		rc = config_file_expand(a, path, text, len, err, errlen);
		free(text);
		if (rc == -1)
			return EX_USAGE;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory reading the command line");
	return EX_OSERR;
}

int
config_load(int argc, char **argv, struct config *cfg, char *err,
    size_t errlen)
{
	struct config_args a;
	char empty[sizeof(cfg->empty_config)] = "";
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = expand_argv(argc, argv, &a, empty, sizeof(empty), err,
	    errlen)) == 0)
		rc = config_parse_words(cfg, a.argc, a.argv, a.origin, err,
		    errlen);
	config_args_free(&a);
	if (rc == 0)
		memcpy(cfg->empty_config, empty, sizeof(empty));
	return rc;
}
