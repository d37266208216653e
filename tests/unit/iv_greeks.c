/*
 * iv_greeks.c: kp_iv_greeks_bsm and kp_iv_greeks_black76 give the status
 * and volatility of kp_iv_bsm and kp_iv_black76, and Greeks that agree
 * with kp_greeks_bsm and kp_greeks_black76 at that volatility to a few
 * units in the last place (theta: of its largest term, plus r times the
 * gap between the price given and the model's price, which the fused
 * call uses instead); all NaN without a volatility.
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

/* |a - b| <= k ulps of |b|, or both NaN. */
static int
ulps(double a, double b, double k)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return fabs(a - b) <= k * DBL_EPSILON * fabs(b) + DBL_MIN;
}

static int
all_nan(const struct kp_greeks *g)
{
	return isnan(g->price) && isnan(g->delta) && isnan(g->gamma) &&
	    isnan(g->theta) && isnan(g->vega) && isnan(g->rho) &&
	    isnan(g->theta_day) && isnan(g->vega_pt) && isnan(g->rho_pct);
}

/*
 * The fused Greeks f against the two-call ones w at the same sigma, with
 * the price given V.  The two take d1 = x/s + s/2 from s = sigma sqrt(T)
 * rounded differently (the solver's s, or sigma times sqrt(T)): an ulp
 * or two of x/s and s, which N(d) and its density turn into |d| times
 * as much, relatively, far in the tails.  So: delta, gamma, vega within
 * 8 ulps times 1 + |d1| (|x/s| + s), BSM's rho the same with d2; theta
 * within that of its largest term plus r |V - w->price| (Black-76's rho,
 * -T V, within 8 ulps plus T times the same gap); the quoted ones are
 * the raw / 365, / 100.
 */
static int
agree(const struct kp_greeks *f, const struct kp_greeks *w, double V,
    double r, double T, double sigma, double Sdq, double x, int b76,
    char *why, size_t n)
{
	double s = sigma * sqrt(T), d1 = x / s + 0.5 * s, d2 = d1 - s;
	double nd1 = kp_norm_pdf(d1), xs = fabs(x / s) + s;
	double k1 = 8 * (1 + fabs(d1) * xs), k2 = 8 * (1 + fabs(d2) * xs);
	double big = fmax(fmax(fabs(r * V), fabs(Sdq * nd1 * sigma /
	    (2 * sqrt(T)))), fabs(w->theta - r * w->price));
	double tth = k1 * DBL_EPSILON * big + 1.01 * fabs(r) *
	    fabs(V - w->price) + DBL_MIN;

	if (f->price != V)
		snprintf(why, n, "price %.17g, not the price given %.17g",
		    f->price, V);
	else if (!ulps(f->delta, w->delta, k1))
		snprintf(why, n, "delta %.17g vs %.17g", f->delta, w->delta);
	else if (!ulps(f->gamma, w->gamma, k1))
		snprintf(why, n, "gamma %.17g vs %.17g", f->gamma, w->gamma);
	else if (!ulps(f->vega, w->vega, k1))
		snprintf(why, n, "vega %.17g vs %.17g", f->vega, w->vega);
	else if (!(fabs(f->theta - w->theta) <= tth))
		snprintf(why, n, "theta %.17g vs %.17g (tol %.3g)", f->theta,
		    w->theta, tth);
	else if (b76 ? !(fabs(f->rho - w->rho) <= 8 * DBL_EPSILON * T *
	    fabs(V) + 1.01 * T * fabs(V - w->price) + DBL_MIN) :
	    !ulps(f->rho, w->rho, k2))
		snprintf(why, n, "rho %.17g vs %.17g", f->rho, w->rho);
	else if (f->theta_day != f->theta / 365 || f->vega_pt != f->vega /
	    100 || f->rho_pct != f->rho / 100)
		snprintf(why, n, "quoted Greeks not theta/365, vega/100, "
		    "rho/100");
	else
		return 1;
	return 0;
}

static void
run(const char *name)
{
	char line[4096], *f[MAXF], why[256];
	int rows = 0, same = 0, ok = 0, good = 0, nans = 0;
	int same76 = 0, ok76 = 0, good76 = 0, nans76 = 0;
	FILE *fp = open_data(name);

	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct row o;
		struct kp_greeks g, w;
		double iv, ivf, F;
		int st, stf;

		if (split(line, f) < 8)
			continue;
		rows++;
		parse_row(f, 0, 7, &o);

		/* BSM on spot */
		st = kp_iv_bsm(o.call, o.price, o.S, o.K, o.T, o.r, o.q, &iv);
		stf = kp_iv_greeks_bsm(o.call, o.price, o.S, o.K, o.T, o.r,
		    o.q, &ivf, &g);
		if (st == stf && (st != KP_IV_OK ? isnan(ivf) : iv == ivf))
			same++;
		if (stf != KP_IV_OK) {
			nans += all_nan(&g);
		} else {
			ok++;
			kp_greeks_bsm(o.call, o.S, o.K, o.T, o.r, o.q, ivf, &w);
			if (agree(&g, &w, o.price, o.r, o.T, ivf, o.S *
			    exp(-o.q * o.T), log1p((o.S - o.K) / o.K) +
			    (o.r - o.q) * o.T, 0, why, sizeof(why)))
				good++;
			else if (ok - good <= 5)
				t_diag("%s row %d BSM: %s", name, rows, why);
		}

		/* Black-76 on the forward of the same row */
		F = o.S * exp((o.r - o.q) * o.T);
		st = kp_iv_black76(o.call, o.price, F, o.K, o.T, o.r, &iv);
		stf = kp_iv_greeks_black76(o.call, o.price, F, o.K, o.T, o.r,
		    &ivf, &g);
		if (st == stf && (st != KP_IV_OK ? isnan(ivf) : iv == ivf))
			same76++;
		if (stf != KP_IV_OK) {
			nans76 += all_nan(&g);
			continue;
		}
		ok76++;
		kp_greeks_black76(o.call, F, o.K, o.T, o.r, ivf, &w);
		if (agree(&g, &w, o.price, o.r, o.T, ivf, F * exp(-o.r * o.T),
		    log1p((F - o.K) / o.K), 1, why, sizeof(why)))
			good76++;
		else if (ok76 - good76 <= 5)
			t_diag("%s row %d Black-76: %s", name, rows, why);
	}
	fclose(fp);
	t_ok(rows > 0 && same == rows, "%s: kp_iv_greeks_bsm gives the "
	    "status and sigma of kp_iv_bsm on %d of %d rows", name, same,
	    rows);
	t_ok(ok > rows / 2 && good == ok, "%s: its Greeks agree with "
	    "kp_greeks_bsm at that sigma (%d of %d)", name, good, ok);
	t_ok(nans == rows - ok, "%s: all NaN without a sigma (%d of %d)",
	    name, nans, rows - ok);
	t_ok(same76 == rows, "%s: kp_iv_greeks_black76 gives the status and "
	    "sigma of kp_iv_black76 on %d of %d rows", name, same76, rows);
	t_ok(ok76 > rows / 2 && good76 == ok76, "%s: its Greeks agree with "
	    "kp_greeks_black76 at that sigma (%d of %d)", name, good76, ok76);
	t_ok(nans76 == rows - ok76, "%s: Black-76 all NaN without a sigma "
	    "(%d of %d)", name, nans76, rows - ok76);
}

int
main(void)
{
	struct kp_greeks g;
	double iv;

	run("bench_cases.csv");
	run("reference.csv");
	/* the reasons, with the Greeks all NaN */
	t_ok(kp_iv_greeks_bsm(1, 1, 100, 100, 0, 0.05, 0, &iv, &g) ==
	    KP_IV_EXPIRED && isnan(iv) && all_nan(&g), "expired: NaN");
	t_ok(kp_iv_greeks_bsm(1, 0.5, 100, 90, 0.1, 0.05, 0, &iv, &g) ==
	    KP_IV_BELOW_INTRINSIC && all_nan(&g), "below intrinsic: NaN");
	t_ok(kp_iv_greeks_black76(0, 200, 100, 150, 0.1, 0.05, &iv, &g) ==
	    KP_IV_ABOVE_MAX && all_nan(&g), "Black-76 above the bound: NaN");
	t_ok(kp_iv_greeks_bsm(1, NAN, 100, 100, 0.1, 0.05, 0, &iv, &g) ==
	    KP_IV_BAD_INPUT && all_nan(&g), "NaN price: NaN");
	return t_done();
}
