/* kp_greeks.h: implied volatility (Let's Be Rational) and option Greeks. */
/* SPDX-License-Identifier: MIT */
#ifndef KP_GREEKS_H
#define KP_GREEKS_H

/* Why an implied volatility could not be found (KP_IV_OK: it was). */
enum kp_iv_status {
	KP_IV_OK = 0,
	KP_IV_EXPIRED,		/* T <= 0 */
	KP_IV_BELOW_INTRINSIC,	/* price below the (forward) intrinsic value */
	KP_IV_NO_TIME_VALUE,	/* price equals intrinsic: IV 0 or undefined */
	KP_IV_ABOVE_MAX,	/* price at or above the upper bound */
	KP_IV_BAD_INPUT		/* NaN, non-positive F or K */
};

/* A short token naming the status ("below_intrinsic", ...). */
const char *kp_iv_reason(int status);

/*
 * The implied total volatility s = sigma sqrt(T) of a normalised
 * out-of-the-money call price beta (0 < beta < e^{x/2}, x <= 0), by
 * Jaeckel's "Let's Be Rational".  Returns NaN outside the bounds.
 */
double kp_lbr_normalised(double beta, double x);

/*
 * Implied volatility of an undiscounted Black price on forward F.
 * Stores sigma in *iv and returns KP_IV_OK, or returns the reason and
 * stores NaN.
 */
int kp_iv_black(int call, double price, double F, double K, double T,
    double *iv);

/* The same for a discounted BSM price on spot S with rates r and q. */
int kp_iv_bsm(int call, double price, double S, double K, double T,
    double r, double q, double *iv);

/* The same for a discounted Black-76 price on forward F. */
int kp_iv_black76(int call, double price, double F, double K, double T,
    double r, double *iv);

/*
 * What the solver had in hand when it found sigma, for Greeks without a
 * second logarithm: x = ln(F/K) (signed), s = sigma sqrt(T), d1 = x/s +
 * s/2, d2 = d1 - s and the forward F (S e^{(r-q)T} for BSM).  All NaN
 * unless the status is KP_IV_OK.
 */
struct kp_iv_aux {
	double x, s, d1, d2, F;
};

/* kp_iv_bsm and kp_iv_black76, and *aux filled in as above. */
int kp_iv_bsm_aux(int call, double price, double S, double K, double T,
    double r, double q, double *iv, struct kp_iv_aux *aux);
int kp_iv_black76_aux(int call, double price, double F, double K, double T,
    double r, double *iv, struct kp_iv_aux *aux);

/*
 * Price and Greeks.  Raw: theta per year, vega per 1.00 volatility, rho
 * per 1.00 rate.  Quoted (options-math.md): theta_day = theta/365,
 * vega_pt = vega/100, rho_pct = rho/100.  Delta and gamma are per unit of
 * the underlying (spot for BSM, the forward for Black-76).
 */
struct kp_greeks {
	double price, delta, gamma, theta, vega, rho;
	double theta_day, vega_pt, rho_pct;
};

void kp_greeks_bsm(int call, double S, double K, double T, double r,
    double q, double sigma, struct kp_greeks *g);
void kp_greeks_black76(int call, double F, double K, double T, double r,
    double sigma, struct kp_greeks *g);

/* Set the quoted Greeks of *g from its raw theta, vega and rho. */
void kp_greeks_quote(struct kp_greeks *g);

/*
 * Implied volatility and the Greeks at it in one call: kp_iv_bsm
 * (kp_iv_black76), then, when the status is KP_IV_OK, the Greeks of
 * kp_greeks_bsm (kp_greeks_black76) into *g, computed from the solver's
 * own discount factors, ln(F/K) and sigma sqrt(T) instead of a second
 * round of exponentials and logarithms.  g->price is the price given
 * (the model's price at *iv equals it to the solver's precision), and
 * theta (and Black-76's rho) use it.  The Greeks agree with kp_greeks_*
 * at *iv to a few units in the last place; any other status leaves *g
 * all NaN.
 */
int kp_iv_greeks_bsm(int call, double price, double S, double K, double T,
    double r, double q, double *iv, struct kp_greeks *g);
int kp_iv_greeks_black76(int call, double price, double F, double K,
    double T, double r, double *iv, struct kp_greeks *g);

/*
 * "2025-11-20T09:15:00+0530" (also "+05:30", "Z", a fraction of a
 * second, a space for the T; no offset means IST) to epoch seconds, or
 * NaN when s is not such a timestamp.
 */
double kp_iso_time(const char *s);

#endif
