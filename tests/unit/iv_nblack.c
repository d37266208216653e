/*
 * iv_nblack.c: the normalised Black function and the Let's Be Rational
 * solver on 100,000 random (x, s) each, against a long double
 * evaluation by the region scheme cmd/tick-greeks/iv.c used before Cody's erfcx
 * (libm's erfcl and expl in 64-bit precision: 11 bits more than double).
 */
/* SPDX-License-Identifier: MIT */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "kp.h"
#include "kp_greeks.h"
#include "t.h"

#define N 100000
#define EPS DBL_EPSILON

/* e^{z^2} erfc(z) in long double. */
static long double
erfcx_ld(long double z)
{
	long double u, term = 1, sum = 1;
	int k;

	if (z < 10)
		return expl(z * z) * erfcl(z);
	/* asymptotic series: at z >= 10 its terms fall below 1e-21 by k = 20 */
	u = 1 / (2 * z * z);
	for (k = 1; k < 20; k++) {
		term *= -(2 * k - 1) * u;
		sum += term;
	}
	return sum / (z * sqrtl(3.14159265358979323846264338327950288L));
}

static long double
ncdf_ld(long double z)
{
	return 0.5L * erfcl(-z / sqrtl(2.0L));
}

/*
 * b(x, s) for x <= 0 and its vega: plain Phi where h + t > 0.85, the
 * odd Taylor series of erfcx(m - d) - erfcx(m + d) about m for t < 0.21
 * and x > -1, their difference elsewhere.
 */
static long double
nblack_ld(long double x, long double s, long double *vega)
{
	long double h = x / s, t = s / 2, pre, m, d;

	pre = expl(-(h * h + t * t) / 2);
	*vega = pre / sqrtl(2 * 3.14159265358979323846264338327950288L);
	if (h + t > 0.85L)
		return ncdf_ld(h + t) * expl(x / 2) - ncdf_ld(h - t) *
		    expl(-x / 2);
	m = -h / sqrtl(2.0L);
	d = t / sqrtl(2.0L);
	if (t < 0.21L && x > -1) {
		long double e0 = erfcx_ld(m), e1, e2, e3, sum, dk = d;
		long double rsqpi = 1 / sqrtl(3.14159265358979323846264338327950288L);
		int n;

		e1 = 2 * m * e0 - 2 * rsqpi;
		sum = e1 * dk;
		for (n = 1; n < 80; n += 2) {
			e2 = 2 * m * e1 + 2 * n * e0;
			e3 = 2 * m * e2 + 2 * (n + 1) * e1;
			dk *= d * d / ((n + 1) * (n + 2));
			sum += e3 * dk;
			if (fabsl(e3 * dk) <= 1e-22L * fabsl(sum))
				break;
			e0 = e2;
			e1 = e3;
		}
		return -sum * pre;
	}
	return pre / 2 * (erfcx_ld(m - d) - erfcx_ld(m + d));
}

/* x = -10^U(-9, 1.5) (some 0), s = 10^U(-4, 1.4); a third near the money */
static void
draw(struct kp_rng *r, double *x, double *s)
{
	double u = kp_rng_double(r);

	if (u < 0.3) {
		*x = -pow(10, -6 + 5 * kp_rng_double(r));
		*s = pow(10, -3 + 2.5 * kp_rng_double(r));
	} else {
		*x = u < 0.32 ? 0 : -pow(10, -9 + 10.5 * kp_rng_double(r));
		*s = pow(10, -4 + 5.4 * kp_rng_double(r));
	}
}

/*
 * |b - b_ref| against eps (s b' + b): the first term is the change of b
 * when s moves by one relative ulp (what matters to an implied
 * volatility), the second the rounding of b itself.
 */
static void
black(void)
{
	struct kp_rng r;
	double worst = 0, wx = 0, ws = 0, par = 0;
	int i, n = 0;

	kp_rng_seed(&r, 20260511);
	for (i = 0; i < N; i++) {
		double x, s, b, e;
		long double v, ref;

		draw(&r, &x, &s);
		ref = nblack_ld(x, s, &v);
		b = kp_normalised_black(x, s);
		if (!(ref > 1e-290L))	/* double's own range ends here */
			continue;
		n++;
		e = (double)(fabsl(b - ref) / (EPS * (s * v + ref)));
		if (!(e <= worst)) {
			worst = e;
			wx = x;
			ws = s;
		}
		if (x < 0 && i % 10 == 0) {
			/* in the money: intrinsic 2 sinh(|x|/2) plus b(-|x|) */
			double in = kp_normalised_black(-x, s) - b;

			e = fabs(in - 2 * sinh(-0.5 * x)) / (EPS *
			    kp_normalised_black(-x, s));
			if (e > par)
				par = e;
		}
	}
	t_ok(n > N / 2, "normalised Black: %d of %d draws in double range",
	    n, N);
	t_ok(worst <= 8, "normalised Black vs long double: |b - ref| <= 8 eps "
	    "(s b' + b); worst %.3g at x=%.17g s=%.17g", worst, wx, ws);
	t_ok(par <= 4, "x > 0 is intrinsic plus b(-x): worst %.3g ulp", par);
}

/*
 * The solver on beta = b_ref(x, s) rounded to double: |s' - s| <= 16
 * eps (s + beta/b'), its own evaluation error of b in volatility terms
 * (beta/b' is what one rounding of beta moves s by, in ulps).
 */
static void
solve(void)
{
	struct kp_rng r;
	double worst = 0, wx = 0, ws = 0;
	int i, n = 0, nan = 0;

	kp_rng_seed(&r, 77);
	for (i = 0; i < N; i++) {
		double x, s, beta, got, e;
		long double v;

		draw(&r, &x, &s);
		if (s > 8)	/* beta within an ulp of e^{x/2}: no digits left */
			s = 8 * kp_rng_double(&r);
		beta = (double)nblack_ld(x, s, &v);
		if (!(beta > 1e-290) || !(beta < exp(0.5 * x)) || !(v > 0))
			continue;
		n++;
		got = kp_lbr_normalised(beta, x);
		if (isnan(got)) {
			if (nan++ < 5)
				t_diag("NaN at beta=%.17g x=%.17g", beta, x);
			continue;
		}
		e = fabs(got - s) / (EPS * (s + beta / (double)v));
		if (!(e <= worst)) {
			worst = e;
			wx = x;
			ws = s;
		}
	}
	t_ok(n > N / 2 && nan == 0, "LBR: %d solves, %d NaN", n, nan);
	t_ok(worst <= 16, "LBR round trip: |s' - s| <= 16 eps (s + beta/b'); "
	    "worst %.3g at x=%.17g s=%.17g", worst, wx, ws);
}

int
main(void)
{
	black();
	solve();
	return t_done();
}
