/*
 * config_load.c: read the command line and its --config files into a
 * validated struct config (see config_load.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "echod/config.h"
#include "echod/config_file.h"
#include "echod/config_load.h"
#include "echod/readfile.h"

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
		if ((rc = readfile("config", path, CONFIG_FILE_MAX, &text,
		    &len, err, errlen)) != 0)
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
