/* ivbench.c: implied-volatility solves per second on bench_cases.csv. */
/* SPDX-License-Identifier: MIT */
/*
 * usage: ivbench FILE [SECONDS]
 * Reads type,spot,strike,t_years,r,q,sigma,price rows, solves each with
 * kp_iv_bsm repeatedly for about SECONDS (default 2) on one thread, and
 * prints "solves_per_s worst_relative_error failures".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kp.h"
#include "kp_greeks.h"

struct c {
	int call;
	double S, K, T, r, q, sigma, price;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	FILE *f;
	char line[1024], type[8];
	struct c *v = NULL;
	size_t n = 0, cap = 0, i, passes = 0;
	double secs = argc > 2 ? atof(argv[2]) : 2, t0, t1, el, worst = 0, sink = 0;
	double best = 1e30;
	long fails = 0;

	if (argc < 2 || (f = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: ivbench FILE [SECONDS]\n");
		return 100;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		return 100;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct c x;

		if (sscanf(line, "%7[^,],%lf,%lf,%lf,%lf,%lf,%lf,%lf", type,
		    &x.S, &x.K, &x.T, &x.r, &x.q, &x.sigma, &x.price) != 8)
			continue;
		x.call = type[0] == 'C';
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			v = realloc(v, cap * sizeof(*v));
			if (v == NULL)
				return 111;
		}
		v[n++] = x;
	}
	fclose(f);
	if (n == 0)
		return 100;
	for (i = 0; i < n; i++) {
		double iv, e;

		if (kp_iv_bsm(v[i].call, v[i].price, v[i].S, v[i].K, v[i].T,
		    v[i].r, v[i].q, &iv) != KP_IV_OK) {
			fails++;
			continue;
		}
		e = fabs(iv - v[i].sigma) / v[i].sigma;
		if (e > worst)
			worst = e;
	}
	t0 = t1 = now();
	do {
		double t2;

		for (i = 0; i < n; i++) {
			double iv;

			kp_iv_bsm(v[i].call, v[i].price, v[i].S, v[i].K,
			    v[i].T, v[i].r, v[i].q, &iv);
			sink += iv;
		}
		passes++;
		t2 = now();
		if (t2 - t1 < best)
			best = t2 - t1;
		t1 = t2;
		el = t2 - t0;
	} while (el < secs);
	/* the mean over the run (what the machine gave us) and the fastest
	 * pass over every case (the core's speed when nothing else ran) */
	printf("%.0f %.3g %ld %.0f\n", (double)(passes * n) / el, worst, fails,
	    (double)n / best);
	free(v);
	return sink == 42 ? 1 : 0;
}
