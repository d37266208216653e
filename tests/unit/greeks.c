/* greeks.c: BSM Greeks against reference.csv (quad-precision values). */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "kp_greeks.h"
#include "t.h"
#include "greeks_data.h"

#define NG 9

static const char *names[NG] = {
	"price", "delta", "gamma", "theta", "vega", "rho", "theta_day",
	"vega_pt", "rho_pct"
};

int
main(void)
{
	char line[2048], *f[MAXF];
	/* reference.csv columns of the Greeks above */
	static const int col[NG] = { 7, 8, 9, 10, 11, 12, 16, 17, 18 };
	double worst[NG] = { 0 }, scale;
	int rows = 0, bad[NG] = { 0 }, checked[NG] = { 0 }, i;
	FILE *fp = open_data("reference.csv");
	struct kp_greeks g;

	if (fp == NULL)
		return t_done();
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct row o;
		double sigma, got[NG];

		if (split(line, f) < 19)
			continue;
		rows++;
		parse_row(f, 0, 7, &o);
		sigma = strtod(f[6], NULL);
		kp_greeks_bsm(o.call, o.S, o.K, o.T, o.r, o.q, sigma, &g);
		got[0] = g.price;
		got[1] = g.delta;
		got[2] = g.gamma;
		got[3] = g.theta;
		got[4] = g.vega;
		got[5] = g.rho;
		got[6] = g.theta_day;
		got[7] = g.vega_pt;
		got[8] = g.rho_pct;
		for (i = 0; i < NG; i++) {
			double want = strtod(f[col[i]], NULL), rel;

			/*
			 * Relative to the reference wherever it is a normal
			 * number above 1e-280 of the natural scale of the
			 * Greek (S for price, theta, vega; 1 for delta; 1/S
			 * for gamma; K T for rho).  Below that (zero in the
			 * reference, or deep in the underflow of e^{-d^2/2})
			 * it is negligible: we check 1e-12 of the scale.
			 */
			scale = i == 1 ? 1 : i == 2 ? 1 / o.S :
			    (i == 5 || i == 8) ? o.K * o.T : o.S;
			if (i >= 6)
				scale /= i == 6 ? 365 : 100;
			if (fabs(want) > 1e-280 * scale) {
				checked[i]++;
				rel = fabs(got[i] - want) / fabs(want);
			} else
				rel = fabs(got[i] - want) / scale;
			if (rel > worst[i])
				worst[i] = rel;
			if (!(rel <= 1e-12)) {
				if (bad[i]++ < 3)
					t_diag("row %d %s: got %.17g want "
					    "%.17g", rows, names[i], got[i],
					    want);
			}
		}
	}
	fclose(fp);
	t_ok(rows == 5000, "reference.csv: 5000 rows (got %d)", rows);
	for (i = 0; i < NG; i++)
		t_ok(bad[i] == 0, "%s within 1e-12 relative on %d rows "
		    "(worst %.3g, %d fail)", names[i], checked[i], worst[i],
		    bad[i]);
	/* Black-76 on the forward equals BSM on spot */
	{
		struct kp_greeks b;
		double S = 25000, T = 0.05, r = 0.0525, q = 0.012;
		double F = S * exp((r - q) * T);

		kp_greeks_bsm(1, S, 25500, T, r, q, 0.14, &g);
		kp_greeks_black76(1, F, 25500, T, r, 0.14, &b);
		T_NEAR(b.price, g.price, 1e-9, "Black-76 price = BSM price");
		T_NEAR(b.vega, g.vega, 1e-8, "Black-76 vega = BSM vega");
		T_NEAR(b.delta * F / S, g.delta, 1e-12,
		    "Black-76 delta dF/dS = BSM delta");
		kp_greeks_black76(0, F, 25500, T, r, 0.14, &b);
		T_NEAR(b.price - g.price, exp(-r * T) * (25500 - F), 1e-9,
		    "Black-76 put-call parity");
	}
	/* candle timestamps: 2025-12-01 09:15 IST is 03:45 UTC */
	T_NEAR(kp_iso_time("2025-12-01T09:15:00+0530"), 1764560700, 0,
	    "ISO time with +0530");
	T_NEAR(kp_iso_time("2025-12-01T09:15:00+05:30"), 1764560700, 0,
	    "ISO time with +05:30");
	T_NEAR(kp_iso_time("2025-12-01 09:15:00"), 1764560700, 0,
	    "ISO time without offset is IST");
	T_NEAR(kp_iso_time("2025-12-01T03:45:00.5Z"), 1764560700, 0,
	    "ISO time in UTC with a fraction (dropped)");
	t_ok(isnan(kp_iso_time("2025-13-01T09:15:00")), "month 13: NaN");
	t_ok(isnan(kp_iso_time("2025-12-01T25:15:00")), "hour 25: NaN");
	t_ok(isnan(kp_iso_time("yesterday")), "not a time: NaN");
	return t_done();
}
