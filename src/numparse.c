/*
 * numparse.c: strict parsing of the numbers operators type (ports, limits,
 * sizes, seconds).  Pure functions: no I/O, no globals.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "echod/numparse.h"

/* Digits only, checked for overflow one digit at a time. */
static int
parse_digits(const char *s, size_t len, uint64_t *out, const char **why)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0) {
		*why = "is empty";
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i])) {
			*why = (s[i] == '-') ? "is negative" : "is not a number";
			return -1;
		}
	}
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			*why = "is too large";
			return -1;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
check_range(uint64_t v, uint64_t min, uint64_t max, uint64_t *out,
    const char **why)
{
	if (v < min) {
		*why = "is too small";
		return -1;
	}
	if (v > max) {
		*why = "is too large";
		return -1;
	}
	*out = v;
	return 0;
}

int
num_parse_u64(const char *str, uint64_t min, uint64_t max, uint64_t *out,
    const char **why)
{
	uint64_t v;
	size_t len = 0;

	while (str[len] != '\0')
		len++;
	if (parse_digits(str, len, &v, why) == -1)
		return -1;
	return check_range(v, min, max, out, why);
}

int
num_parse_option(const char *name, const char *arg, uint64_t min,
    uint64_t max, int sizes, uint64_t *out, char *err, size_t errlen)
{
	const char *why;
	int rc = sizes ? num_parse_size(arg, min, max, out, &why) :
	    num_parse_u64(arg, min, max, out, &why);

	if (rc == 0)
		return 0;
	snprintf(err, errlen, "--%s '%s' %s; give a whole number from %llu "
	    "to %llu", name, arg, why, (unsigned long long)min,
	    (unsigned long long)max);
	return -1;
}

int
num_parse_size(const char *str, uint64_t min, uint64_t max, uint64_t *out,
    const char **why)
{
	uint64_t v, mult = 1;
	size_t len = 0;

	while (str[len] != '\0')
		len++;
	if (len > 0) {
		switch (str[len - 1]) {
		case 'k': case 'K': mult = 1ULL << 10; len--; break;
		case 'm': case 'M': mult = 1ULL << 20; len--; break;
		case 'g': case 'G': mult = 1ULL << 30; len--; break;
		}
	}
	if (parse_digits(str, len, &v, why) == -1)
		return -1;
	if (v > UINT64_MAX / mult) {
		*why = "is too large";
		return -1;
	}
	return check_range(v * mult, min, max, out, why);
}
