/*
 * dtoa_check.h: the oracle for kp_dtoa, against glibc (shared by
 * tests/unit/dtoa.c and fuzz/dtoa.c).
 */
/* SPDX-License-Identifier: MIT */
#ifndef KP_DTOA_CHECK_H
#define KP_DTOA_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_dtoa.h"

/* Does the decimal d * 10^x read back as v? */
static int
dc_reads_back(uint64_t d, int x, double v)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%llue%d", (unsigned long long)d, x);
	return strtod(buf, NULL) == v;
}

/* glibc's correctly rounded n significant digits of v > 0 as d * 10^x. */
static void
dc_glibc(double v, int n, uint64_t *d, int *x)
{
	char buf[48];
	int i, k = 0;

	snprintf(buf, sizeof(buf), "%.*e", n - 1, v);
	*d = 0;
	for (i = 0; buf[i] != 'e'; i++)
		if (buf[i] >= '0' && buf[i] <= '9') {
			*d = *d * 10 + (uint64_t)(buf[i] - '0');
			k++;
		}
	*x = atoi(buf + i + 1) - (k - 1);
}

/*
 * Check kp_dtoa(v) for a finite v: the text reads back bit for bit; for
 * v > 0 in the exact range no decimal with one digit fewer reads back
 * (shortest), and when glibc's correctly rounded decimal with as many
 * digits reads back it is ours (nearest).  0 ok, else a reason.
 */
static const char *
dc_check(double v)
{
	char s[KP_DTOA_ROOM + 1], *e;
	uint64_t d, g, t;
	int x, gx, n = 0, fast;
	double a = fabs(v), r;

	e = kp_dtoa(s, v);
	if (e - s > 24 || e <= s)
		return "length";
	*e = '\0';
	if (strspn(s, "-0123456789.e+") != (size_t)(e - s) || strstr(s,
	    "inf") != NULL)
		return "characters";
	r = strtod(s, NULL);
	if (memcmp(&r, &v, sizeof(r)) != 0)
		return "read back";
	if (a == 0)
		return strcmp(s, signbit(v) ? "-0" : "0") == 0 ? NULL : "zero";
	kp_dtoa_digits(a, &d, &x);
	if (d == 0 || d % 10 == 0)
		return "trailing zero";
	for (t = d; t != 0; t /= 10)
		n++;
	if (n > 17)
		return "more than 17 digits";
	if (!dc_reads_back(d, x, a))
		return "digits read back";
	fast = a >= 1e-14 && a < 1e47;
	if (fast && n > 1) {
		dc_glibc(a, n - 1, &g, &gx);
		if (dc_reads_back(g, gx, a) || dc_reads_back(g + 1, gx, a) ||
		    dc_reads_back(g - 1, gx, a))
			return "not the shortest";
	}
	dc_glibc(a, n, &g, &gx);
	while (g % 10 == 0 && g != 0) {
		g /= 10;
		gx++;
	}
	if (dc_reads_back(g, gx, a) && (g != d || gx != x))
		return "not the nearest";
	return NULL;
}

#endif
