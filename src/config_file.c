/*
 * config_file.c: turn a --config file into the same words the command
 * line has, each remembering its file and line, so one parser and one set
 * of messages serve both.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echod/config.h"
#include "echod/config_file.h"

int
config_args_push(struct config_args *a, const char *word, const char *origin)
{
	if (a->argc + 2 > a->cap) {
		int cap = a->cap ? a->cap * 2 : 32;
		char **v = realloc(a->argv, (size_t)cap * sizeof(*v));
		char **o;

		if (v == NULL)
			return -1;
		a->argv = v;
		if ((o = realloc(a->origin, (size_t)cap * sizeof(*o))) == NULL)
			return -1;
		a->origin = o;
		a->cap = cap;
	}
	if ((a->argv[a->argc] = strdup(word)) == NULL)
		return -1;
	a->origin[a->argc] = origin ? strdup(origin) : NULL;
	a->argc++;
	a->argv[a->argc] = NULL;
	return 0;
}

void
config_args_free(struct config_args *a)
{
	int i;

	for (i = 0; i < a->argc; i++) {
		free(a->argv[i]);
		free(a->origin[i]);
	}
	free(a->argv);
	free(a->origin);
	memset(a, 0, sizeof(*a));
}

/* Trim LINE in place; cut a "#" comment at the start or after a blank. */
static char *
clean(char *line)
{
	char *p, *end;

	for (p = line; *p != '\0'; p++)
		if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return line;
}

/* The line of TEXT (1-based) that holds byte AT. */
static int
line_of(const char *text, size_t at)
{
	int line = 1;
	size_t i;

	for (i = 0; i < at; i++)
		line += text[i] == '\n';
	return line;
}

int
config_file_expand(struct config_args *a, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	char origin[512], opt[128], *copy, *line, *next, *value;
	const char *nul;
	int lineno = 0, rc = 0, takes;

	/* A NUL would silently end the file here: everything after it lost. */
	if ((nul = memchr(text, '\0', len)) != NULL) {
		snprintf(err, errlen, "%s:%d: a NUL byte; a config file is "
		    "text (is it damaged, or the wrong file?)", name,
		    line_of(text, (size_t)(nul - text)));
		return -1;
	}
	if ((copy = strndup(text, len)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	for (line = copy; line != NULL && rc == 0; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		line = clean(line);
		if (*line == '\0')
			continue;
		snprintf(origin, sizeof(origin), "%s:%d", name, lineno);
		value = line + strcspn(line, " \t");
		if (*value != '\0')
			*value++ = '\0';
		while (isspace((unsigned char)*value))
			value++;
		/* An unknown name goes on: the parser names it. */
		takes = config_option_takes_value(line);
		if (line[0] == '-' || strlen(line) + 3 > sizeof(opt) ||
		    (takes == 1 && *value == '\0') ||
		    (takes == 0 && *value != '\0')) {
			snprintf(err, errlen, "%s: write 'option value', e.g. "
			    "'listen 127.0.0.1:7777' (%s)", origin,
			    line[0] == '-' ? "no dashes before the option" :
			    strlen(line) + 3 > sizeof(opt) ? "no such option" :
			    takes == 0 ? "this option takes no value" :
			    "this option needs a value");
			rc = -1;
			break;
		}
		snprintf(opt, sizeof(opt), "--%s", line);
		if (config_args_push(a, opt, origin) == -1 ||
		    (*value != '\0' &&
		    config_args_push(a, value, origin) == -1)) {
			snprintf(err, errlen, "%s: out of memory", origin);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}
