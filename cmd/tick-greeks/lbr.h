/* lbr.h: the Let's Be Rational solver (lbr.c) as iv.c calls it. */
/* SPDX-License-Identifier: MIT */
#ifndef TG_LBR_H
#define TG_LBR_H

/*
 * The implied total volatility s = sigma sqrt(T) of a normalised
 * out-of-the-money call price beta, for x <= 0 and bmax = e^{x/2}, with
 * 0 < beta < bmax already checked (kp_lbr_normalised is the checked
 * entry).
 */
double tg_lbr(double beta, double x, double bmax);

/*
 * fmax without the libm call: the larger of a and b, the other one if
 * either is a NaN (only the sign of a zero may differ, which no caller
 * sees).
 */
static inline double
max_nan(double a, double b)
{
	return a >= b || b != b ? a : b;
}

#endif
