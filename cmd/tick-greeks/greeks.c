/* greeks.c: BSM and Black-76 prices and Greeks (options-math.md units). */
/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "kp.h"
#include "kp_greeks.h"

void
kp_greeks_quote(struct kp_greeks *g)
{
	g->theta_day = g->theta / 365;
	g->vega_pt = g->vega / 100;
	g->rho_pct = g->rho / 100;
}

/* At expiry or zero volatility: intrinsic value, step delta, no gamma. */
static int
degenerate(int call, double S, double K, double T, double sigma,
    double df, double dq, double r, double q, struct kp_greeks *g)
{
	double sT = sigma * sqrt(T > 0 ? T : 0);
	double F = S * dq / df;

	if (sT > 0)
		return 0;
	g->gamma = g->vega = 0;
	if (call ? F > K : F < K) {
		g->price = call ? S * dq - K * df : K * df - S * dq;
		g->delta = call ? dq : -dq;
		g->theta = call ? q * S * dq - r * K * df : r * K * df -
		    q * S * dq;
		g->rho = (call ? 1 : -1) * K * T * df;
	} else {
		g->price = g->delta = g->theta = g->rho = 0;
	}
	kp_greeks_quote(g);
	return 1;
}

void
kp_greeks_bsm(int call, double S, double K, double T, double r, double q,
    double sigma, struct kp_greeks *g)
{
	double df = exp(-r * T), dq = exp(-q * T), sq = sqrt(T);
	double sT = sigma * sq, mu = (r - q) * T, x, d1, nd1, Nd1;

	if (degenerate(call, S, K, T, sigma, df, dq, r, q, g))
		return;
	x = log1p((S - K) / K) + mu;
	d1 = x / sT + 0.5 * sT;
	nd1 = kp_norm_pdf(d1);
	g->price = df * kp_black_price(call, S * exp(mu), K,
	    (S - K) + S * expm1(mu), x, sT);
	g->gamma = dq * nd1 / (S * sT);
	g->vega = S * dq * nd1 * sq;
	/*
	 * theta from the pricing equation, theta = r V - (r - q) S delta -
	 * sigma^2 S^2 gamma / 2, written so that r V and the delta term
	 * do not cancel deep in the money
	 */
	if (call) {
		Nd1 = kp_norm_cdf(d1);
		g->delta = dq * Nd1;
		g->theta = -S * dq * nd1 * sigma / (2 * sq) + r * g->price -
		    (r - q) * S * dq * Nd1;
		g->rho = K * T * df * kp_norm_cdf(d1 - sT);
	} else {
		Nd1 = kp_norm_cdf(-d1);
		g->delta = -dq * Nd1;
		g->theta = -S * dq * nd1 * sigma / (2 * sq) + r * g->price +
		    (r - q) * S * dq * Nd1;
		g->rho = -K * T * df * kp_norm_cdf(sT - d1);
	}
	kp_greeks_quote(g);
}

void
kp_greeks_black76(int call, double F, double K, double T, double r,
    double sigma, struct kp_greeks *g)
{
	double df = exp(-r * T), sq = sqrt(T), sT = sigma * sq, x, d1, nd1;

	if (degenerate(call, F * df, K, T, sigma, df, df, r, r, g)) {
		/* F is held fixed: rho is -T times the price */
		g->theta = r * g->price;
		g->rho = -T * g->price;
		g->delta = g->price > 0 ? (call ? df : -df) : 0;
		kp_greeks_quote(g);
		return;
	}
	x = log1p((F - K) / K);
	d1 = x / sT + 0.5 * sT;
	nd1 = kp_norm_pdf(d1);
	g->price = df * kp_black_price(call, F, K, F - K, x, sT);
	g->delta = call ? df * kp_norm_cdf(d1) : -df * kp_norm_cdf(-d1);
	g->gamma = df * nd1 / (F * sT);
	g->vega = F * df * nd1 * sq;
	g->theta = -F * df * nd1 * sigma / (2 * sq) + r * g->price;
	g->rho = -T * g->price;
	kp_greeks_quote(g);
}
