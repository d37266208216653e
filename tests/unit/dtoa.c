/*
 * dtoa.c: kp_dtoa against glibc on random doubles (every bit pattern,
 * the range of prices and Greeks, subnormals), powers of ten and two and
 * their neighbours, and the formats of a few known values.
 * KP_DTOA_N sets the random count (default 100000 per kind; 1000000 passed when written).
 */
/* SPDX-License-Identifier: MIT */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_dtoa.h"
#include "t.h"
#include "dtoa_check.h"

static struct kp_rng rng;

static uint64_t
rnd(void)
{
	return kp_rng_u64(&rng);
}

static double
from_bits(uint64_t b)
{
	double v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

static long bad;

static void
check(double v)
{
	const char *why = dc_check(v);

	if (why != NULL && bad++ < 10)
		t_diag("%.17g (%a): %s", v, v, why);
}

static void
kind(const char *name, long n, double (*gen)(void))
{
	long i;

	bad = 0;
	for (i = 0; i < n; i++)
		check(gen());
	t_ok(bad == 0, "%s: %ld doubles, %ld wrong", name, n, bad);
}

static double
g_bits(void)
{
	double v;

	do
		v = from_bits(rnd());
	while (!isfinite(v));
	return v;
}

/* 1e-9 .. 1e9 with 1 to 17 significant digits, as prices and Greeks */
static double
g_range(void)
{
	double m = (double)(rnd() >> 11) / 9007199254740992.0;
	int e = (int)(rnd() % 19) - 9, digits = 1 + (int)(rnd() % 17);
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*e", digits - 1, (0.1 + m) *
	    pow(10, e));
	return (rnd() & 1 ? -1 : 1) * (rnd() % 4 == 0 ? strtod(buf, NULL) :
	    (0.1 + m) * pow(10, e));
}

static double
g_sub(void)
{
	return from_bits(rnd() % (1ull << 52));
}

/* a random exponent, a mantissa near 0, 1/2 or all ones */
static double
g_edge(void)
{
	uint64_t m = rnd() % 64, e = rnd() % 2047;

	switch (rnd() % 3) {
	case 0: break;
	case 1: m = (1ull << 51) + m - 32; break;
	default: m = (1ull << 52) - 1 - m; break;
	}
	return from_bits(e << 52 | m);
}

static void
fixed(void)
{
	static const struct { double v; const char *s; } c[] = {
		{ 0.0, "0" }, { -0.0, "-0" }, { 0.5, "0.5" }, { 1, "1" },
		{ 24000, "24000" }, { -2.5, "-2.5" }, { 0.1, "0.1" },
		{ 1.0 / 3, "0.3333333333333333" }, { 2.0 / 3,
		"0.6666666666666666" }, { 1e-5, "0.00001" },
		{ 1.5e-6, "1.5e-06" }, { 1e16, "10000000000000000" },
		{ 1.2345e16, "12345000000000000" }, { 1e17, "1e+17" },
		{ 1.5e300, "1.5e+300" }, { 5e-324, "5e-324" },
		{ DBL_MAX, "1.7976931348623157e+308" },
		{ DBL_MIN, "2.2250738585072014e-308" },
		{ 9007199254740993.0, "9007199254740992" },
		{ 101.985, "101.985" }, { 0.38440403423666153,
		"0.38440403423666153" }, { 1766369854.209522,
		"1766369854.209522" }, { 123456.7, "123456.7" },
		{ 0.000123, "0.000123" }, { 1e23, "1e+23" },
		{ 5e-5, "0.00005" }, { 2e-6, "2e-06" }
	};
	char s[KP_DTOA_ROOM + 1];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		*kp_dtoa(s, c[i].v) = '\0';
		t_ok(strcmp(s, c[i].s) == 0, "format %s", c[i].s);
		if (strcmp(s, c[i].s) != 0)
			t_diag("  got %s", s);
	}
}

int
main(void)
{
	const char *env = getenv("KP_DTOA_N");
	long n = env ? atol(env) : 100000;
	int e, k;

	kp_rng_seed(&rng, 1);
	fixed();
	bad = 0;
	for (e = -330; e <= 310; e++) {
		char buf[32];
		double v;

		snprintf(buf, sizeof(buf), "1e%d", e);
		v = strtod(buf, NULL);
		for (k = -3; k <= 3; k++) {
			double w = v;
			int j;

			for (j = 0; j < (k < 0 ? -k : k); j++)
				w = nextafter(w, k < 0 ? 0 : INFINITY);
			if (isfinite(w))
				check(w);
		}
	}
	for (e = -1074; e <= 1023; e++)
		for (k = -1; k <= 1; k++)
			check(nextafter(ldexp(1, e), k < 0 ? 0 : k > 0 ?
			    INFINITY : ldexp(1, e)));
	t_ok(bad == 0, "powers of ten and two and their neighbours: "
	    "%ld wrong", bad);
	kind("every bit pattern", n, g_bits);
	kind("prices and Greeks", n, g_range);
	kind("subnormals", n / 10, g_sub);
	kind("mantissa edges", n, g_edge);
	return t_done();
}
