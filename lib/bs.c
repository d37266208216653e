/* bs.c: Black-Scholes-Merton and Black-76 prices. */
/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "kp.h"

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

/*
 * The undiscounted Black price of a call or put on a forward F; at
 * expiry or zero volatility, the intrinsic value.
 */
static double
black(int call, double F, double K, double T, double sigma)
{
	double s = sigma * sqrt(T), d1, d2;

	if (!(s > 0))
		return call ? fmax(F - K, 0) : fmax(K - F, 0);
	d1 = log(F / K) / s + s / 2;
	d2 = d1 - s;
	if (call)
		return F * kp_norm_cdf(d1) - K * kp_norm_cdf(d2);
	return K * kp_norm_cdf(-d2) - F * kp_norm_cdf(-d1);
}

double
kp_bsm_price(int call, double S, double K, double T, double r, double q,
    double sigma)
{
	double F = S * exp((r - q) * T);

	return exp(-r * T) * black(call, F, K, T, sigma);
}

double
kp_black76_price(int call, double F, double K, double T, double r,
    double sigma)
{
	return exp(-r * T) * black(call, F, K, T, sigma);
}
