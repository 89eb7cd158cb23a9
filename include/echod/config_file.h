/*
 * config_file: the text of a --config file as command-line words.  One
 * "option value" per line (the long option without its dashes), blank
 * lines and "#" comments ignored.  Pure: the caller reads the file.
 */
#ifndef ECHOD_CONFIG_FILE_H
#define ECHOD_CONFIG_FILE_H

#include <stddef.h>

struct config_args {
	char	**argv;		/* words, argv[0] is the program */
	char	**origin;	/* "FILE:LINE" per word, or NULL (command line) */
	int	  argc, cap;
};

/* Append WORD (copied) coming from ORIGIN (copied, may be NULL). */
int	config_args_push(struct config_args *a, const char *word,
	    const char *origin);

/*
 * Append the options in TEXT (LEN bytes), read from the file NAME, as
 * "--opt" "value" words.  Returns 0, or -1 with "NAME:LINE: ..." in ERR
 * (a NUL byte is an error: it would silently end the file).
 */
int	config_file_expand(struct config_args *a, const char *name,
	    const char *text, size_t len, char *err, size_t errlen);

void	config_args_free(struct config_args *a);

#endif
