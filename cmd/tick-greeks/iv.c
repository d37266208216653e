/* iv.c: implied volatility and the Greeks at it (see kp_greeks.h). */
/* SPDX-License-Identifier: MIT */
/*
 * Prices are checked against their no-arbitrage bounds and turned into
 * the normalised out-of-the-money call of lbr.c's solver; what it finds
 * is turned back into sigma and, on request, the Greeks at it.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kp.h"
#include "kp_greeks.h"
#include "lbr.h"

const char *
kp_iv_reason(int status)
{
	switch (status) {
	case KP_IV_OK:
		return "ok";
	case KP_IV_EXPIRED:
		return "expired";
	case KP_IV_BELOW_INTRINSIC:
		return "below_intrinsic";
	case KP_IV_NO_TIME_VALUE:
		return "no_time_value";
	case KP_IV_ABOVE_MAX:
		return "above_max";
	default:
		return "bad_input";
	}
}

/*
 * The spacing of the doubles above a positive finite v, nextafter(v,
 * inf) - v without the libm call: 2^(e-52) for v in [2^e, 2^(e+1)), the
 * smallest subnormal below DBL_MIN, infinity above DBL_MAX's binade.
 */
static double
ulp(double v)
{
	uint64_t bits;
	double p;

	if (!(v >= DBL_MIN))
		return DBL_TRUE_MIN;
	if (v == DBL_MAX)
		return HUGE_VAL;
	memcpy(&bits, &v, sizeof(bits));
	bits &= 0x7ff0000000000000;	/* 2^e */
	memcpy(&p, &bits, sizeof(p));
	return p * DBL_EPSILON;
}

/* No volatility: NaN in *iv and in every field of *aux. */
static int
iv_fail(double *iv, struct kp_iv_aux *aux, int status)
{
	*iv = NAN;
	if (aux != NULL)
		aux->x = aux->s = aux->d1 = aux->d2 = aux->F = NAN;
	return status;
}

/*
 * The solver on an undiscounted price, with x = ln(F/K) and F - K given
 * accurately by the caller (near the money they decide the answer).
 */
static int
iv_core(int call, double price, double F, double K, double FmK, double x,
    double T, double *iv, struct kp_iv_aux *aux)
{
	double intrinsic, beta, s, tv, bmax, xs = x;

	iv_fail(iv, aux, 0);
	if (isnan(price) || isnan(F) || isnan(K) || isnan(T) || !(F > 0) ||
	    !(K > 0) || isinf(F) || isinf(K) || isinf(price))
		return KP_IV_BAD_INPUT;
	if (!(T > 0))
		return KP_IV_EXPIRED;
	intrinsic = call ? FmK : -FmK;	/* finite: F, K checked */
	if (!(intrinsic > 0))
		intrinsic = 0;
	if (price < intrinsic)
		return KP_IV_BELOW_INTRINSIC;
	if (price >= (call ? F : K))
		return KP_IV_ABOVE_MAX;
	tv = price - intrinsic;
	/*
	 * In the money, a time value within 1.5 units in the last place of
	 * F or K and 64 of the price is below the resolution of the inputs
	 * themselves: rounding noise, not value.
	 */
	if (intrinsic > 0 && tv <= 1.5 * ulp(max_nan(F, K)) &&
	    tv <= 64 * ulp(price))
		return KP_IV_NO_TIME_VALUE;
	if (!(tv > 0))
		return KP_IV_NO_TIME_VALUE;
	beta = tv / sqrt(F * K);
	if (beta < DBL_MIN)	/* subnormal: too few digits to invert */
		return KP_IV_NO_TIME_VALUE;
	x = -fabs(x);
	bmax = exp(0.5 * x);
	if (!(beta < bmax))
		return KP_IV_ABOVE_MAX;
	s = tg_lbr(beta, x, bmax);
	if (!(s > 0) || !isfinite(s))
		return KP_IV_NO_TIME_VALUE;
	*iv = s / sqrt(T);
	if (!(*iv > 0) || !isfinite(*iv)) {
		*iv = NAN;	/* sigma itself outside the doubles */
		return KP_IV_BAD_INPUT;
	}
	if (aux != NULL) {
		aux->x = xs;
		aux->s = s;
		aux->d1 = xs / s + 0.5 * s;
		aux->d2 = aux->d1 - s;
		aux->F = F;
	}
	return KP_IV_OK;
}

int
kp_iv_black(int call, double price, double F, double K, double T,
    double *iv)
{
	return iv_core(call, price, F, K, F - K, log1p((F - K) / K), T, iv,
	    NULL);
}

/* No Greeks: NaN in every field of *g. */
static void
greeks_nan(struct kp_greeks *g)
{
	g->price = g->delta = g->gamma = g->theta = g->vega = g->rho =
	    g->theta_day = g->vega_pt = g->rho_pct = NAN;
}

/*
 * BSM Greeks at the volatility the solver found, from what it had in
 * hand: the discount factors df = e^{-rT} and dq = e^{-qT}, x = ln(F/K)
 * and s = sigma sqrt(T) (a->x, a->s); V is the price given.  The same
 * formulas as kp_greeks_bsm (greeks.c), theta with V in place of the
 * model's price, which the solver matched to its precision.
 */
static void
greeks_bsm_at(int call, double V, double S, double K, double T, double r,
    double q, double df, double dq, double sigma, const struct kp_iv_aux *a,
    struct kp_greeks *g)
{
	double sq = sqrt(T), s = a->s, d1 = a->x / s + 0.5 * s, nd1, N;

	nd1 = kp_norm_pdf(d1);
	g->price = V;
	g->gamma = dq * nd1 / (S * s);
	g->vega = S * dq * nd1 * sq;
	if (call) {
		N = kp_norm_cdf(d1);
		g->delta = dq * N;
		g->theta = -S * dq * nd1 * sigma / (2 * sq) + r * V -
		    (r - q) * S * dq * N;
		g->rho = K * T * df * kp_norm_cdf(d1 - s);
	} else {
		N = kp_norm_cdf(-d1);
		g->delta = -dq * N;
		g->theta = -S * dq * nd1 * sigma / (2 * sq) + r * V +
		    (r - q) * S * dq * N;
		g->rho = -K * T * df * kp_norm_cdf(s - d1);
	}
	kp_greeks_quote(g);
}

static int
bsm(int call, double price, double S, double K, double T, double r,
    double q, double *iv, struct kp_iv_aux *aux, struct kp_greeks *g)
{
	double mu = (r - q) * T, df, dq;
	struct kp_iv_aux own;
	int st;

	if (g != NULL) {
		greeks_nan(g);
		if (aux == NULL)
			aux = &own;
	}
	if (!(T > 0) && !isnan(T))
		return iv_fail(iv, aux, KP_IV_EXPIRED);
	/*
	 * Time value resolvable in double: the price of the call with the
	 * same strike (by parity for a put) must exceed the discounted
	 * forward intrinsic value as computed in double, and the price must
	 * be a normal number.
	 */
	df = exp(-r * T);
	dq = exp(-q * T);
	if (isfinite(price) && isfinite(S) && isfinite(K) && price >= 0) {
		double I = S * dq - K * df;
		double C = call ? price : price + I;

		if (price < (call ? I : -I))
			return iv_fail(iv, aux, KP_IV_BELOW_INTRINSIC);
		if (!(C - max_nan(I, 0) > 0) ||
		    !(price - max_nan(call ? I : -I, 0) > 0) || price < DBL_MIN)
			return iv_fail(iv, aux, KP_IV_NO_TIME_VALUE);
	}
	/*
	 * e^{rT} = 1/df and e^{(r-q)T} = dq/df to an ulp or two, unless
	 * the rates are so far out that df or dq are not normal numbers
	 */
	if (df >= DBL_MIN && dq >= DBL_MIN && df <= DBL_MAX && dq <= DBL_MAX)
		st = iv_core(call, price / df, S * (dq / df), K,
		    (S - K) + S * expm1(mu), log1p((S - K) / K) + mu, T, iv,
		    aux);
	else
		st = iv_core(call, price * exp(r * T), S * exp(mu), K,
		    (S - K) + S * expm1(mu), log1p((S - K) / K) + mu, T, iv,
		    aux);
	if (st == KP_IV_OK && g != NULL)
		greeks_bsm_at(call, price, S, K, T, r, q, df, dq, *iv, aux, g);
	return st;
}

int
kp_iv_bsm(int call, double price, double S, double K, double T, double r,
    double q, double *iv)
{
	return bsm(call, price, S, K, T, r, q, iv, NULL, NULL);
}

int
kp_iv_bsm_aux(int call, double price, double S, double K, double T,
    double r, double q, double *iv, struct kp_iv_aux *aux)
{
	return bsm(call, price, S, K, T, r, q, iv, aux, NULL);
}

int
kp_iv_greeks_bsm(int call, double price, double S, double K, double T,
    double r, double q, double *iv, struct kp_greeks *g)
{
	return bsm(call, price, S, K, T, r, q, iv, NULL, g);
}

static int
black76(int call, double price, double F, double K, double T, double r,
    double *iv, struct kp_iv_aux *aux, struct kp_greeks *g)
{
	struct kp_iv_aux own;
	double erT, df, sq, nd1, d1;
	int st;

	if (g != NULL) {
		greeks_nan(g);
		if (aux == NULL)
			aux = &own;
	}
	if (!(T > 0) && !isnan(T))
		return iv_fail(iv, aux, KP_IV_EXPIRED);
	erT = exp(r * T);
	st = iv_core(call, price * erT, F, K, F - K, log1p((F - K) / K), T,
	    iv, aux);
	if (st != KP_IV_OK || g == NULL)
		return st;
	/* kp_greeks_black76's formulas, theta and rho with the price given */
	df = 1 / erT;
	sq = sqrt(T);
	d1 = aux->x / aux->s + 0.5 * aux->s;
	nd1 = kp_norm_pdf(d1);
	g->price = price;
	g->delta = call ? df * kp_norm_cdf(d1) : -df * kp_norm_cdf(-d1);
	g->gamma = df * nd1 / (F * aux->s);
	g->vega = F * df * nd1 * sq;
	g->theta = -F * df * nd1 * *iv / (2 * sq) + r * price;
	g->rho = -T * price;
	kp_greeks_quote(g);
	return st;
}

int
kp_iv_black76(int call, double price, double F, double K, double T,
    double r, double *iv)
{
	return black76(call, price, F, K, T, r, iv, NULL, NULL);
}

int
kp_iv_black76_aux(int call, double price, double F, double K, double T,
    double r, double *iv, struct kp_iv_aux *aux)
{
	return black76(call, price, F, K, T, r, iv, aux, NULL);
}

int
kp_iv_greeks_black76(int call, double price, double F, double K, double T,
    double r, double *iv, struct kp_greeks *g)
{
	return black76(call, price, F, K, T, r, iv, NULL, g);
}
