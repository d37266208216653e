/* bs.c: Black-Scholes prices against ../shared/testdata/greeks/reference.csv. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "t.h"

int
main(void)
{
	const char *dir = getenv("KP_TESTDATA");
	char path[1024], line[1024];
	double worst = 0;
	int rows = 0, bad = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/greeks/reference.csv",
	    dir ? dir : "../shared/testdata");
	f = fopen(path, "r");
	t_ok(f != NULL, "open %s", path);
	if (f == NULL)
		return t_done();
	if (fgets(line, sizeof(line), f) == NULL)
		t_ok(0, "header");
	while (fgets(line, sizeof(line), f) != NULL) {
		char type[8];
		double S, K, T, r, q, v, price, got, rel;

		if (sscanf(line, "%7[^,],%lf,%lf,%lf,%lf,%lf,%lf,%lf", type,
		    &S, &K, &T, &r, &q, &v, &price) != 8) {
			bad++;
			continue;
		}
		rows++;
		got = kp_bsm_price(type[0] == 'c' || type[0] == 'C', S, K, T, r,
		    q, v);
		/* relative error where the price is not negligible */
		if (price > 1e-8 * S) {
			rel = fabs(got - price) / price;
			if (rel > worst)
				worst = rel;
		}
	}
	fclose(f);
	T_EQ_INT(bad, 0, "every row parses");
	t_ok(rows == 5000, "5000 rows (got %d)", rows);
	t_ok(worst < 1e-9, "BSM price within 1e-9 relative of the quad-"
	    "precision reference (worst %.3g)", worst);
	T_NEAR(kp_norm_cdf(-38.0), 2.885428351e-316, 1e-320,
	    "norm_cdf keeps the far lower tail");
	T_NEAR(kp_black76_price(1, 100, 100, 1, 0, 0.2),
	    kp_bsm_price(1, 100, 100, 1, 0, 0, 0.2), 1e-14,
	    "Black-76 with r=q=0 equals BSM");
	return t_done();
}
