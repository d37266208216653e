/*
 * iv_aux.c: kp_iv_bsm_aux and kp_iv_black76_aux give the same status and
 * volatility as kp_iv_bsm and kp_iv_black76, and x, s, d1, d2, F that
 * agree with a long double computation and with kp_greeks_bsm's delta.
 */
/* SPDX-License-Identifier: MIT */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_greeks.h"
#include "t.h"
#include "greeks_data.h"

static int
all_nan(const struct kp_iv_aux *a)
{
	return isnan(a->x) && isnan(a->s) && isnan(a->d1) && isnan(a->d2) &&
	    isnan(a->F);
}

/* |a - b| within k units of DBL_EPSILON of max(|b|, floor). */
static int
near(double a, long double b, double k, double floor)
{
	long double m = fabsl(b) > floor ? fabsl(b) : floor;

	return fabsl(a - b) <= k * DBL_EPSILON * m;
}

static void
run(const char *name, int pcol, int cls)
{
	char line[4096], *f[MAXF];
	int rows = 0, ok = 0, same = 0, nans = 0, fields = 0, delta = 0;
	int b76 = 0, b76n = 0;
	FILE *fp = open_data(name);

	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct row o;
		struct kp_iv_aux a, a76;
		struct kp_greeks g;
		double iv, iv2, iv76, F;
		long double mu, x, s, d1;
		int st, st2, st76;

		if (split(line, f) < (cls >= 0 ? cls + 1 : 8))
			continue;
		rows++;
		parse_row(f, 0, pcol, &o);
		st = kp_iv_bsm(o.call, o.price, o.S, o.K, o.T, o.r, o.q, &iv);
		st2 = kp_iv_bsm_aux(o.call, o.price, o.S, o.K, o.T, o.r, o.q,
		    &iv2, &a);
		if (st == st2 && (st != KP_IV_OK ? isnan(iv2) : iv == iv2))
			same++;
		if (st2 != KP_IV_OK) {
			nans += all_nan(&a);
			continue;
		}
		ok++;
		mu = ((long double)o.r - o.q) * o.T;
		x = log1pl(((long double)o.S - o.K) / o.K) + mu;
		s = (long double)iv2 * sqrtl(o.T);
		d1 = x / s + s / 2;
		/* x = ln(S/K) + mu: absolute error from the larger part */
		if (near(a.x, x, 4, fabsl(mu) + fabsl(x - mu)) &&
		    near(a.s, s, 4, 0) &&
		    near(a.d1, d1, 8, 1) && near(a.d2, d1 - s, 8, 1) &&
		    near(a.F, o.S * expl(mu), 4, 0))
			fields++;
		else if (ok - fields <= 5)
			t_diag("%s row %d: x %.17g/%.17Lg s %.17g/%.17Lg d1 "
			    "%.17g/%.17Lg F %.17g", name, rows, a.x, x, a.s, s,
			    a.d1, d1, a.F);
		kp_greeks_bsm(o.call, o.S, o.K, o.T, o.r, o.q, iv2, &g);
		if (fabs(g.delta - (o.call ? 1 : -1) * exp(-o.q * o.T) *
		    kp_norm_cdf(o.call ? a.d1 : -a.d1)) <= 1e-12)
			delta++;
		/*
		 * Black-76 on the same forward and rate: the same sigma,
		 * where it is well-conditioned (reference.csv's `ok`)
		 */
		if (cls >= 0 && strcmp(f[cls], "ok") != 0)
			continue;
		F = o.S * exp((o.r - o.q) * o.T);
		st76 = kp_iv_black76_aux(o.call, o.price, F, o.K, o.T, o.r,
		    &iv76, &a76);
		if (st76 == KP_IV_OK) {
			/*
			 * the two compute F and the undiscounted price with
			 * different roundings: a few ulps of each, through
			 * vega (which in the money is what decides)
			 */
			double tol = 1e-12 * iv2 + (4 * (nextafter(F, INFINITY) -
			    F) * exp(-o.r * o.T) + 4 * (nextafter(o.price,
			    INFINITY) - o.price)) / g.vega;

			/* d1 = x/s + s/2 moves with s and with x = ln(F/K) */
			double dx = 4 * (nextafter(F, INFINITY) - F) / F +
			    4 * DBL_EPSILON * fabs(a.x);
			double td1 = tol * sqrt(o.T) * (fabs(a.x) / (a.s * a.s) +
			    0.5) + dx / a.s;

			b76n++;
			if (fabs(iv76 - iv2) <= tol && a76.F == F &&
			    fabs(a76.d1 - a.d1) <= td1)
				b76++;
			else if (b76n - b76 <= 3)
				t_diag("%s row %d: Black-76 %.17g, BSM %.17g "
				    "(tol %.3g), d1 %.17g, %.17g (tol %.3g)", name,
				    rows, iv76, iv2, tol, a76.d1, a.d1, td1);
		}
	}
	fclose(fp);
	t_ok(rows > 0 && same == rows, "%s: _aux gives the same status and "
	    "sigma as kp_iv_bsm on %d of %d rows", name, same, rows);
	t_ok(nans == rows - ok, "%s: aux all NaN without a sigma (%d of %d)",
	    name, nans, rows - ok);
	t_ok(fields == ok, "%s: x, s, d1, d2, F as long double computes them "
	    "(%d of %d)", name, fields, ok);
	t_ok(delta == ok, "%s: kp_greeks_bsm's delta is e^{-qT} N(+-d1) "
	    "(%d of %d)", name, delta, ok);
	t_ok(b76n > ok / 2 && b76 == b76n, "%s: Black-76 on F = S e^{(r-q)T} "
	    "gives the same sigma and d1 (%d of %d%s)", name, b76, b76n,
	    cls >= 0 ? " well-conditioned" : "");
}

int
main(void)
{
	run("bench_cases.csv", 7, -1);
	run("reference.csv", 7, 14);
	return t_done();
}
