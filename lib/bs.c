/* bs.c: Black-Scholes-Merton and Black-76 prices. */
/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "kp.h"
#include "nblack.h"

double
kp_norm_cdf(double x)
{
	/* erfc keeps full relative accuracy far into the lower tail */
	return 0.5 * erfc(-x / M_SQRT2);
}

double
kp_norm_pdf(double x)
{
	return exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
}

double
kp_normalised_black(double x, double s)
{
	double v;

	if (x > 0)		/* parity: intrinsic value plus the OTM call */
		return 2 * sinh(0.5 * x) + nblack_h(-x, s, -x / s,
		    exp(-0.5 * x), &v);
	return nblack_h(x, s, x / s, exp(0.5 * x), &v);
}

double
kp_black_price(int call, double F, double K, double FmK, double x,
    double s)
{
	double otm = sqrt(F * K) * kp_normalised_black(-fabs(x), s);

	if (call)
		return x > 0 ? FmK + otm : otm;
	return x < 0 ? -FmK + otm : otm;
}

/* kp_black_price, or at expiry or zero volatility the intrinsic value. */
static double
black(int call, double F, double K, double FmK, double x, double s)
{
	if (!(s > 0))
		return call ? fmax(FmK, 0) : fmax(-FmK, 0);
	return kp_black_price(call, F, K, FmK, x, s);
}

double
kp_bsm_price(int call, double S, double K, double T, double r, double q,
    double sigma)
{
	double mu = (r - q) * T;

	return exp(-r * T) * black(call, S * exp(mu), K,
	    (S - K) + S * expm1(mu), log1p((S - K) / K) + mu, sigma * sqrt(T));
}

double
kp_black76_price(int call, double F, double K, double T, double r,
    double sigma)
{
	return exp(-r * T) * black(call, F, K, F - K, log1p((F - K) / K),
	    sigma * sqrt(T));
}
