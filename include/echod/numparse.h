/*
 * numparse: strict decimal parsing for command-line values.
 *
 * Unlike atoi()/strtoul(), these never wrap, never accept a sign, blanks,
 * trailing junk or an empty string, and say in words what was wrong.
 */
#ifndef ECHOD_NUMPARSE_H
#define ECHOD_NUMPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse STR as a whole number in [MIN, MAX].  Returns 0 and sets *OUT, or
 * returns -1 and points *WHY at a short reason ("is not a number",
 * "is too large", ...) suitable for an error message.
 */
int	num_parse_u64(const char *str, uint64_t min, uint64_t max,
	    uint64_t *out, const char **why);

/*
 * Like num_parse_u64() but accepts one optional binary suffix:
 * K/k (KiB), M/m (MiB), G/g (GiB), e.g. "256K".
 */
int	num_parse_size(const char *str, uint64_t min, uint64_t max,
	    uint64_t *out, const char **why);

/*
 * For option --NAME: parse ARG (with K/M/G suffixes if SIZES) in
 * [MIN, MAX], or write "--NAME 'ARG' <why>; give a whole number from MIN
 * to MAX" to ERR and return -1.
 */
int	num_parse_option(const char *name, const char *arg, uint64_t min,
	    uint64_t max, int sizes, uint64_t *out, char *err, size_t errlen);

#endif
