/* num.c: whole-string number parsing with range checks (never atoi). */
/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"

static int
num_fail(int err)
{
	errno = err;
	return -1;
}

/* Length of an optionally signed run of digits at s, or 0 if none. */
static size_t
num_int_len(const char *s)
{
	size_t i = 0;

	if (s[i] == '+' || s[i] == '-')
		i++;
	if (!isdigit((unsigned char)s[i]))
		return 0;
	while (isdigit((unsigned char)s[i]))
		i++;
	return i;
}

/* Length of a plain decimal at s ("-1.5", "250", ".5", "2."), or 0. */
static size_t
num_dec_len(const char *s)
{
	size_t i = 0, digits = 0;

	if (s[i] == '+' || s[i] == '-')
		i++;
	for (; isdigit((unsigned char)s[i]); i++)
		digits++;
	if (s[i] == '.')
		for (i++; isdigit((unsigned char)s[i]); i++)
			digits++;
	return digits > 0 ? i : 0;
}

int
kp_num_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
kp_num_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || num_int_len(s) == 0)
		return num_fail(EINVAL);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return num_fail(EINVAL);
	if (errno == ERANGE || v < min || v > max)
		return num_fail(ERANGE);
	*out = v;
	return 0;
}

int
kp_num_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (s == NULL || num_dec_len(s) == 0)
		return num_fail(EINVAL);
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0')
		return num_fail(EINVAL);
	if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
		return num_fail(ERANGE);
	if (!isfinite(v))
		return num_fail(EINVAL);
	if (v < min || v > max)
		return num_fail(ERANGE);
	*out = v;
	return 0;
}

/* Milliseconds per unit, or -1 for an unknown unit. */
static double
num_unit_ms(const char *u)
{
	if (*u == '\0' || strcmp(u, "s") == 0)
		return 1000.0;
	if (strcmp(u, "ms") == 0)
		return 1.0;
	if (strcmp(u, "m") == 0)
		return 60000.0;
	if (strcmp(u, "h") == 0)
		return 3600000.0;
	return -1.0;
}

int
kp_num_duration_ms(const char *s, long long min_ms, long long max_ms,
    long long *out)
{
	char *end;
	size_t n;
	double v, unit, ms;
	long long r;

	if (s == NULL)
		return num_fail(EINVAL);
	n = num_dec_len(s);
	if (n == 0)
		return num_fail(EINVAL);
	v = strtod(s, &end);
	unit = num_unit_ms(s + n);
	if (end != s + n || unit < 0)
		return num_fail(EINVAL);
	ms = v * unit;
	/* Both bounds are exact doubles well inside long long. */
	if (!(ms > -9.2e18 && ms < 9.2e18))
		return num_fail(ERANGE);
	r = llround(ms);
	if (r < min_ms || r > max_ms)
		return num_fail(ERANGE);
	*out = r;
	return 0;
}

/* Bytes per suffix (either case), or 0 for an unknown one. */
static long long
num_unit_size(const char *u)
{
	if (*u == '\0')
		return 1;
	if (u[1] != '\0')
		return 0;
	switch (*u) {
	case 'k': case 'K':
		return 1LL << 10;
	case 'm': case 'M':
		return 1LL << 20;
	case 'g': case 'G':
		return 1LL << 30;
	}
	return 0;
}

int
kp_num_size(const char *s, long long min, long long max, long long *out)
{
	char *end;
	size_t n;
	long long v, unit;

	if (s == NULL)
		return num_fail(EINVAL);
	n = num_int_len(s);
	if (n == 0)
		return num_fail(EINVAL);
	unit = num_unit_size(s + n);
	if (unit == 0)
		return num_fail(EINVAL);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end != s + n)
		return num_fail(EINVAL);
	if (errno == ERANGE || v > LLONG_MAX / unit || v < LLONG_MIN / unit)
		return num_fail(ERANGE);
	v *= unit;
	if (v < min || v > max)
		return num_fail(ERANGE);
	*out = v;
	return 0;
}
