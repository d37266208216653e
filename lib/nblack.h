/* nblack.h: the normalised Black function's core (bs.c, tick-greeks). */
/* SPDX-License-Identifier: MIT */
/*
 * b(x, s) = Phi(x/s + s/2) e^{x/2} - Phi(x/s - s/2) e^{-x/2} for x <= 0,
 * accurate in relative terms everywhere (options-math.md), written for
 * speed: one exponential (exp_in, inline) and W. J. Cody's rational
 * approximations of erf and erfcx (no libm erfc).  Static inline, so
 * that the implied-volatility solver of tick-greeks (cmd/tick-greeks/
 * lbr.c), which evaluates b three times a solve on one long chain of
 * dependent operations, has it in its own translation unit; bs.c builds
 * kp_normalised_black and kp_black_price on it.
 */
#ifndef KP_NBLACK_H
#define KP_NBLACK_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define INV_SQRT_2PI 0.3989422804014327
#define INV_SQRT_PI 0.5641895835477563
#define SQRT_2_OVER_PI 0.79788456080286536

/* 2^(j/32), j = 0..31, correctly rounded. */
static const double exp2_32[32] = {
	1, 1.0218971486541166, 1.0442737824274138,
	1.0671404006768237, 1.0905077326652577, 1.1143867425958924,
	1.1387886347566916, 1.1637248587775775, 1.189207115002721,
	1.215247359980469, 1.241857812073484, 1.2690509571917332,
	1.2968395546510096, 1.3252366431597413, 1.3542555469368927,
	1.383909881963832, 1.4142135623730951, 1.4451808069770467,
	1.4768261459394993, 1.5091644275934228, 1.5422108254079407,
	1.5759808451078865, 1.6104903319492543, 1.6457554781539649,
	1.681792830507429, 1.7186192981224779, 1.7562521603732995,
	1.7947090750031072, 1.8340080864093424, 1.8741676341103,
	1.9152065613971474, 1.9571441241754002
};

/*
 * e^a within about 1.5 ulp, inline (the libm call for |a| >= 700): a =
 * (32e + j) ln2/32 + r with |r| <= ln2/64, ln2/32 split in a part whose
 * multiples are exact and a tail; e^r by its Taylor polynomial of degree
 * 6 (truncation 4e-18), times 2^(j/32) from the table, the exponent
 * added to the bits.
 */
static inline double
exp_in(double a)
{
	double kd, r, r2, p, sc;
	int64_t k, j;
	uint64_t bits;

	if (!(fabs(a) < 700))
		return exp(a);
	kd = a * 46.166241308446828 + 0x1.8p52;	/* round(a 32/ln2) */
	kd -= 0x1.8p52;
	r = a - kd * (6.93147180369123816490e-01 / 32) -
	    kd * (1.90821492927058770002e-10 / 32);
	k = (int64_t)kd;
	j = k & 31;
	memcpy(&bits, &exp2_32[j], sizeof(bits));
	bits += (uint64_t)((k - j) / 32) << 52;
	memcpy(&sc, &bits, sizeof(sc));
	r2 = r * r;
	p = (r + r2 * (0.5 + r * (1.0 / 6))) + r2 * r2 * ((1.0 / 24 +
	    r * (1.0 / 120)) + r2 * (1.0 / 720));
	return sc + sc * p;
}

#define ERF_SPLIT 0.46875	/* Cody's boundary between erf and erfcx */

/*
 * The error function by W. J. Cody's rational Chebyshev approximations
 * ("Rational Chebyshev approximations for the error function", Math.
 * Comp. 23 (1969) 631-637; the coefficients of his published tables, as
 * in his SPECFUN CALERF): erf on |z| <= 0.5 as z P(z^2)/Q(z^2), and the
 * scaled complementary function erfcx(z) = e^{z^2} erfc(z) directly,
 * without an exponential, as P(z)/Q(z) on [0.46875, 4] and as
 * (1/sqrt(pi) - P(1/z^2)/(z^2 Q(1/z^2)))/z beyond.  Relative errors are
 * a few units in the last place.
 */
static inline double
erf_small(double z)
{
	double y = z * z, y2 = y * y;

	/* Estrin's scheme: the powers and the pairs side by side */
	return z * ((3.20937758913846947e3 + 3.77485237685302021e2 * y) +
	    y2 * ((1.13864154151050156e2 + 3.16112374387056560e0 * y) +
	    1.85777706184603153e-1 * y2)) / ((2.84423683343917062e3 +
	    1.28261652607737228e3 * y) + y2 * ((2.44024637934444173e2 +
	    2.36012909523441209e1 * y) + y2));
}

/* erfcx(z) for z >= 0.46875 (and any z above; +inf gives 0). */
static inline double
erfcx_big(double z)
{
	double y;

	if (z <= 4) {
		double z2 = z * z, z4 = z2 * z2;

		return ((1.23033935479799725e3 + 2.05107837782607147e3 * z) +
		    z2 * (1.71204761263407058e3 + 8.81952221241769090e2 * z) +
		    z4 * ((2.98635138197400131e2 + 6.61191906371416295e1 * z) +
		    z2 * (8.88314979438837594e0 + 5.64188496988670089e-1 * z) +
		    z4 * 2.15311535474403846e-8)) /
		    ((1.23033935480374942e3 + 3.43936767414372164e3 * z) +
		    z2 * (4.36261909014324716e3 + 3.29079923573345963e3 * z) +
		    z4 * ((1.62138957456669019e3 + 5.37181101862009858e2 * z) +
		    z2 * (1.17693950891312499e2 + 1.57449261107098347e1 * z) +
		    z4));
	}
	y = 1 / (z * z);
	return (INV_SQRT_PI - y * (((((1.63153871373020978e-2 * y +
	    3.05326634961232344e-1) * y + 3.60344899949804439e-1) * y +
	    1.25781726111229246e-1) * y + 1.60837851487422766e-2) * y +
	    6.58749161529837803e-4) / (((((y + 2.56852019228982242e0) * y +
	    1.87295284992346047e0) * y + 5.27905102951428412e-1) * y +
	    6.05183413124413191e-2) * y + 2.33520497626869185e-3)) / z;
}

/* Phi(x) by Cody's functions: for the initial guess only. */
/* 1/((k+1)(k+2)) for odd k and 1/k: the small-t series' coefficients. */
static const double inv_pair[20] = {
	1.0 / (2 * 3), 1.0 / (4 * 5), 1.0 / (6 * 7), 1.0 / (8 * 9),
	1.0 / (10 * 11), 1.0 / (12 * 13), 1.0 / (14 * 15), 1.0 / (16 * 17),
	1.0 / (18 * 19), 1.0 / (20 * 21), 1.0 / (22 * 23), 1.0 / (24 * 25),
	1.0 / (26 * 27), 1.0 / (28 * 29), 1.0 / (30 * 31), 1.0 / (32 * 33),
	1.0 / (34 * 35), 1.0 / (36 * 37), 1.0 / (38 * 39), 1.0 / (40 * 41)
};

static const double inv_int[42] = {
	0, 1, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6, 1.0 / 7, 1.0 / 8,
	1.0 / 9, 1.0 / 10, 1.0 / 11, 1.0 / 12, 1.0 / 13, 1.0 / 14, 1.0 / 15,
	1.0 / 16, 1.0 / 17, 1.0 / 18, 1.0 / 19, 1.0 / 20, 1.0 / 21, 1.0 / 22,
	1.0 / 23, 1.0 / 24, 1.0 / 25, 1.0 / 26, 1.0 / 27, 1.0 / 28, 1.0 / 29,
	1.0 / 30, 1.0 / 31, 1.0 / 32, 1.0 / 33, 1.0 / 34, 1.0 / 35, 1.0 / 36,
	1.0 / 37, 1.0 / 38, 1.0 / 39, 1.0 / 40, 1.0 / 41
};

/* sinh(y) for 0 <= y <= 0.11, to 1e-18 relative by six Taylor terms. */
static inline double
sinh_small(double y)
{
	double y2 = y * y;

	return y * (1 + y2 * (1.0 / 6 + y2 * (1.0 / 120 + y2 * (1.0 / 5040 +
	    y2 * (1.0 / 362880 + y2 * (1.0 / 39916800))))));
}

/*
 * b(x, s) for x <= 0, s > 0 given bmax = e^{x/2}, and its derivative db/ds in
 * *vega.  With h = x/s, t = s/2 and pre = e^{-(h^2+t^2)/2} (the only
 * exponential),
 *   b = Phi(h+t) bmax - Phi(h-t)/bmax,
 * and each term is pre erfcx(u)/2 for its u = -(h+t)/sqrt2 or
 * (t-h)/sqrt2 when u >= 0.46875, since e^{x/2 - (h+t)^2/2} = e^{-x/2 -
 * (h-t)^2/2} = pre; otherwise bmax erfc(u)/2 (or erfc(u)/(2 bmax)) by
 * Cody's erf.  Small t: the odd part of the Taylor series of
 * pre (erfcx(m - d) - erfcx(m + d)) about m = -h/sqrt2, d = t/sqrt2,
 * which has no cancellation.
 */
static inline double
nblack_core(double x, double s, double h, double bmax, double *vega)
{
	double t = 0.5 * s, pre, m, d, u, v, t1;

	pre = exp_in(-0.5 * (h * h + t * t));
	*vega = INV_SQRT_2PI * pre;
	m = -h * M_SQRT1_2;
	d = t * M_SQRT1_2;
	if (t < 0.21 && x > -1) {
		/*
		 * b = pre sqrt(2/pi) (Y(h+t) - Y(h-t))/2 with Y = Phi/phi,
		 * whose Taylor terms g_k = pre sqrt(2/pi) Y^(k)(h) t^k/k!
		 * (all positive) follow from Y' = 1 + hY, Y^(k+1) = h Y^(k)
		 * + k Y^(k-1):
		 *   g_(k+1) = (x/2 g_k + t^2 g_(k-1))/(k+1),
		 * g_0 = pre sqrt(2/pi) Y(h) = pre erfcx(m), or below Cody's
		 * split e^{-t^2/2} erfc(m), since pre e^{m^2} = e^{-t^2/2}
		 * (t^2/2 < 0.023: eight Taylor terms); b is the sum of the odd
		 * terms.
		 */
		double g0, g1, g2, g3, sum, c = 0.5 * x, tt = t * t;
		double cc = c * c, ct = c * tt;
		int k;

		if (m >= ERF_SPLIT)
			g0 = pre * erfcx_big(m);
		else {
			double y = 0.5 * tt, g;

			g = 1.0 / 720 - y * (1.0 / 5040);
			g = 1.0 / 24 - y * (1.0 / 120 - y * g);
			g = 1 - y * (1 - y * (0.5 - y * (1.0 / 6 - y * g)));
			g0 = (1 - erf_small(m)) * g;
		}
		g1 = t * (SQRT_2_OVER_PI * pre + h * g0);
		sum = g1;
		/*
		 * Two steps at once, g_(k+1) and g_(k+2) both from g_k and
		 * g_(k-1), so that each pass waits on one multiply-add
		 * rather than on four operations in a row.
		 */
		for (k = 1; k < 40; k += 2) {
			double r1 = inv_int[k + 1], r12 = inv_pair[k / 2];

			g2 = c * r1 * g1 + tt * r1 * g0;
			g3 = (cc * r12 + tt * inv_int[k + 2]) * g1 + ct * r12 * g0;
			sum += g3;
			/*
			 * The odd terms fall at least geometrically: stop when
			 * the next one, about g3^2/g1, is below 1e-17 of the sum.
			 * Not before four passes, which is what t < 0.02 needs
			 * (half the options): a loop whose length does not
			 * depend on the data is one whose end the CPU predicts.
			 */
			if (k >= 7 && g3 * g3 <= 1e-17 * sum * g1)
				break;
			g0 = g2;
			g1 = g3;
		}
		return sum;
	}
	u = m - d;
	v = m + d;
	if (v < ERF_SPLIT)	/* so |u| < 0.47 too, and |x|/2 = 2md < 0.11 */
		return 0.5 * (erf_small(v) / bmax - bmax * erf_small(u)) -
		    sinh_small(-0.5 * x);
	if (u >= ERF_SPLIT)
		t1 = 0.5 * pre * erfcx_big(u);
	else if (u > -ERF_SPLIT)
		t1 = 0.5 * bmax * (1 - erf_small(u));
	else
		t1 = bmax - 0.5 * pre * erfcx_big(-u);
	return t1 - 0.5 * pre * erfcx_big(v);
}

/* b(x, s) for x <= 0, any s, given h = x/s. */
static inline double
nblack_h(double x, double s, double h, double bmax, double *vega)
{
	if (!(s > 0)) {
		*vega = 0;
		return 0;
	}
	return nblack_core(x, s, h, bmax, vega);
}

#endif
