/* lbr.c: the implied-volatility solver, Jaeckel's "Let's Be Rational". */
/* SPDX-License-Identifier: MIT */
/*
 * Our own implementation from the paper's mathematics: every input is
 * turned into an out-of-the-money call in normalised form, beta =
 * b(x, s) with x = ln(F/K) <= 0 and s = sigma sqrt(T); an initial guess
 * from rational cubic interpolation in four branches (lower map, two
 * middle branches in s(beta), upper map) and Householder(3) steps on a
 * branch-specific objective.
 *
 * Speed (issue 5: 3 M solves/s on one core): b is evaluated with one
 * exponential and W. J. Cody's rational approximations of erf and erfcx
 * (no libm erfc), b at the inflection point in closed form, so a solve
 * costs three evaluations of b (guess, two steps).  A solve is one long
 * chain of dependent operations, so the code is written for latency:
 * Estrin's scheme for the polynomials, reciprocals computed beside the
 * work that needs them, divisions folded together, a series whose
 * passes each wait on one multiply-add, and loops whose length the
 * branch predictor can learn.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kp.h"
#include "kp_greeks.h"
#include "lbr.h"
#include "nblack.h"

#define SQRT_2PI 2.5066282746310002
#define SQRT3 1.7320508075688772
#define TWO_PI_OVER_SQRT27 1.2091995761561452
#define RC_MIN (-(1 - 1.4901161193847656e-08))
#define RC_MAX (2 / (DBL_EPSILON * DBL_EPSILON))

/* Phi(x) by Cody's functions: for the initial guess only. */
static double
norm_cdf(double x)
{
	double w = -x * M_SQRT1_2;

	if (w >= ERF_SPLIT)
		return 0.5 * exp(-w * w) * erfcx_big(w);
	if (w > -ERF_SPLIT)
		return 0.5 * (1 - erf_small(w));
	return 1 - 0.5 * exp(-w * w) * erfcx_big(-w);
}

static double
nblack(double x, double s, double bmax, double *vega)
{
	return nblack_h(x, s, x / s, bmax, vega);
}

/*
 * b at the inflection point s_c = sqrt(2|x|), where h + t = 0:
 * b_c = bmax/2 - Phi(-s_c)/bmax = bmax (1 - erfcx(z))/2 with z =
 * sqrt(|x|).  Below Cody's split, with e^{z^2} = 1/bmax^2, that is
 * erf(z)/(2 bmax) - sinh(|x|/2) (|x|/2 < 0.11), free of
 * the cancellation in 1 - erfcx(z).
 */
static double
b_c(double x, double bmax, double ibmax)
{
	double z = sqrt(-x);

	if (z >= ERF_SPLIT)
		return 0.5 * bmax * (1 - erfcx_big(z));
	return 0.5 * erf_small(z) * ibmax - sinh_small(-0.5 * x);
}

/* Delbourgo-Gregory rational cubic interpolation. */
static double
rc_interp(double x, double xl, double xr, double yl, double yr, double dl,
    double dr, double r)
{
	double h = xr - xl, t, omt;

	if (fabs(h) <= 0)
		return 0.5 * (yl + yr);
	t = (x - xl) / h;
	if (!(r < RC_MAX / 2))
		return yr * t + yl * (1 - t);
	omt = 1 - t;
	return (yr * t * t * t + (r * yr - h * dr) * t * t * omt +
	    (r * yl + h * dl) * t * omt * omt + yl * omt * omt * omt) /
	    (1 + (r - 3) * t * omt);
}

static double
rc_min_param(double dl, double dr, double s, int prefer_shape)
{
	int mono = dl * s >= 0 && dr * s >= 0;
	int convex = dl <= s && s <= dr, concave = dl >= s && s >= dr;
	double r1 = -DBL_MAX, r2 = -DBL_MAX;

	if (!mono && !convex && !concave)
		return RC_MIN;
	if (mono) {
		if (s != 0)
			r1 = (dr + dl) / s;
		else if (prefer_shape)
			r1 = RC_MAX;
	}
	if (convex || concave) {
		double sl = s - dl, rs = dr - s;

		if (sl != 0 && rs != 0)
			r2 = max_nan(fabs((dr - dl) / rs), fabs((dr - dl) / sl));
		else if (prefer_shape)
			r2 = RC_MAX;
	} else if (mono && prefer_shape)
		r2 = RC_MAX;
	return max_nan(RC_MIN, max_nan(r1, r2));
}

/*
 * The control parameter r that makes the interpolant match the second
 * derivative d2 at the left (right == 0) or right side, kept no lower
 * than what preserves monotonicity and convexity.
 */
static double
rc_param(int right, double xl, double xr, double yl, double yr, double dl,
    double dr, double d2, int prefer_shape)
{
	double h = xr - xl, num = 0.5 * h * d2 + (dr - dl), den, r;

	den = right ? dr - (yr - yl) / h : (yr - yl) / h - dl;
	if (num == 0)
		r = 0;
	else if (den == 0)
		r = num > 0 ? RC_MAX : RC_MIN;
	else
		r = num / den;
	return max_nan(r, rc_min_param(dl, dr, (yr - yl) / h, prefer_shape));
}

/*
 * The inverse normal CDF for the initial guess by P. J. Acklam's
 * rational approximations (relative error below 1.2e-9, far inside the
 * guess's own): the lower tail p < 0.02425 from t = sqrt(-2 ln p), and
 * the centre.
 */
#define P_LOW 0.02425

static inline double
acklam_tail_nd(double t, double *den)
{
	double t2 = t * t, t4 = t2 * t2;

	*den = (1 + 3.754408661907416e+00 * t) + t2 * (2.445134137142996e+00 +
	    3.224671290700398e-01 * t) + t4 * 7.784695709041462e-03;
	return (2.938163982698783e+00 + 4.374664141464968e+00 * t) + t2 *
	    (-2.549732539343734e+00 - 2.400758277161838e+00 * t) + t4 *
	    (-3.223964580411365e-01 - 7.784894002430293e-03 * t);
}

/* The centre, 0.02425 <= p <= 0.97575, as z = num/den. */
static inline double
acklam_mid_nd(double p, double *den)
{
	double q = p - 0.5, r = q * q, r2 = r * r, r4 = r2 * r2;

	*den = (1 - 1.328068155288572e+01 * r) + r2 * (6.680131188771972e+01 -
	    1.556989798598866e+02 * r) + r4 * (1.615858368580409e+02 -
	    5.447609879822406e+01 * r);
	return q * ((2.506628277459239e+00 - 3.066479806614716e+01 * r) + r2 *
	    (1.383577518672690e+02 - 2.759285104469687e+02 * r) + r4 *
	    (2.209460984245205e+02 - 3.969683028665376e+01 * r));
}

static double
inv_norm_cdf(double p)
{
	double n, d;

	if (p < P_LOW) {
		if (!(p > 0))
			return -HUGE_VAL;
		n = acklam_tail_nd(sqrt(-2 * log(p)), &d);
	} else if (p > 1 - P_LOW) {
		if (!(p < 1))
			return HUGE_VAL;
		n = -acklam_tail_nd(sqrt(-2 * log1p(-p)), &d);
	} else
		n = acklam_mid_nd(p, &d);
	return n / d;
}

/*
 * u^(1/3) for 1e-300 < u < 1 to about 1e-12 relative: a start from
 * the exponent bits divided by three (within 7%), then two Halley
 * steps, each cubing the relative error.
 */
static inline double
cbrt_fast(double u)
{
	uint64_t bits;
	double y, y3;

	memcpy(&bits, &u, sizeof(bits));
	bits = bits / 3 + 0x2aa0000000000000;	/* 2/3 of 1.0's bits */
	memcpy(&y, &bits, sizeof(y));
	y3 = y * y * y;
	y *= (y3 + 2 * u) / (2 * y3 + u);
	y3 = y * y * y;
	return y * ((y3 + 2 * u) / (2 * y3 + u));
}

/*
 * s = -w / Phi^-1(u^(1/3)) for the lower map, u > 0, w > 0, with the
 * inverse's num/den folded into one division.
 */
static double
lower_map_s(double u, double w)
{
	double n, d, p;

	if (u < P_LOW * P_LOW * P_LOW) {	/* ln p = ln(u)/3: no cube root */
		n = acklam_tail_nd(sqrt(-(2.0 / 3) * log(u)), &d);
		return -w * d / n;
	}
	p = u < 1 ? cbrt_fast(u) : 1;
	if (!(p <= 1 - P_LOW))
		return -w / inv_norm_cdf(p);
	n = acklam_mid_nd(p, &d);
	return -w * d / n;
}

/* Householder(3) factor for Newton step nu and ratios h2, h3. */
static double
householder(double nu, double h2, double h3)
{
	return (1 + 0.5 * h2 * nu) / (1 + nu * (h2 + h3 * nu / 6));
}

/*
 * The lowest branch's guess (beta < b_l, x < 0): rational cubic
 * interpolation of the lower map f = c Phi(-|x|/(sqrt3 s))^3, c =
 * 2pi/sqrt27 |x|, between 0 and b_l = b(s_l), inverted for s.
 */
static double
guess_lower(double beta, double x, double sl, double bl, double vl)
{
	double ax = fabs(x), z, phi, Phi, h2, f1s, f2s;
	double fl, dfl, d2fl, r, u, ica, f, s;

	ica = 1 / (TWO_PI_OVER_SQRT27 * ax);	/* early */
	z = -ax / (SQRT3 * sl);
	phi = INV_SQRT_2PI * exp_in(-0.5 * z * z);
	/* Phi(z) = erfc(u)/2 = e^{-u^2} erfcx(u)/2, u = -z/sqrt2 */
	u = -z * M_SQRT1_2;
	Phi = u >= ERF_SPLIT ? 0.5 * SQRT_2PI * phi *
	    erfcx_big(u) : 0.5 * (1 - erf_small(u));
	fl = TWO_PI_OVER_SQRT27 * ax * Phi * Phi * Phi;
	h2 = x * x / (sl * sl * sl) - 0.25 * sl;
	{
		double w = ax / SQRT3, c = TWO_PI_OVER_SQRT27 * ax;

		f1s = 3 * c * Phi * Phi * phi * w / (sl * sl);
		f2s = 3 * c * w * Phi * phi * ((2 * phi - z * Phi) *
		    w / (sl * sl * sl * sl) -
		    2 * Phi / (sl * sl * sl));
	}
	dfl = f1s / vl;
	d2fl = (f2s - f1s * h2) / (vl * vl);
	r = rc_param(1, 0, bl, 0, fl, 1, dfl, d2fl, 1);
	f = rc_interp(beta, 0, bl, 0, fl, 1, dfl, r);
	if (!(f > 0)) {
		double tt = beta / bl;

		f = (fl * tt + bl * (1 - tt)) * tt;
	}
	/* invert f = c Phi(-ax/(sqrt3 s))^3 */
	s = lower_map_s(f * ica, ax / SQRT3);
	if (!(s > 0) || !isfinite(s))
		s = sl * 0.5;
	return s;
}

/*
 * The highest branch's guess (beta > b_h = b(s_h)): rational cubic
 * interpolation of the upper map f = Phi(-s/2) between b_h and bmax,
 * inverted for s.
 */
static double
guess_upper(double beta, double x, double bmax, double sh, double bh)
{
	double h = x / sh, fh, dfh, d2fh, r, f, s;

	fh = norm_cdf(-0.5 * sh);
	dfh = -0.5 * exp(0.5 * h * h);
	d2fh = 0.5 * SQRT_2PI * (x * x / (sh * sh * sh)) *
	    exp(h * h + sh * sh / 8);
	r = rc_param(0, bh, bmax, fh, 0, dfh, -0.5, d2fh, 1);
	f = rc_interp(beta, bh, bmax, fh, 0, dfh, -0.5, r);
	if (!(f > 0)) {
		double hh = bmax - bh, tt = (beta - bh) / hh;

		f = (fh * (1 - tt) + 0.5 * hh * tt) * (1 - tt);
	}
	s = -2 * inv_norm_cdf(f);
	if (!(s > 0) || !isfinite(s))
		s = sh * 2;
	return s;
}

/*
 * The initial guess of s for beta, given the inflection point s_c and
 * b_c = b(s_c), and its branch in *branch: 0 below b_l = b(s_l) (the
 * lower map), 1 between b_l and b_h = b(s_h) (s(beta) interpolated
 * either side of s_c), 2 above b_h (the upper map); s_l and s_h are one
 * Newton step from s_c either way.
 */
static double
guess(double beta, double x, double bmax, double ibmax, double sc,
    double bc, int *branch)
{
	double vc, sl, bl, sh, bh, vl, vh, r;

	vc = INV_SQRT_2PI * bmax;	/* pre = e^{-(h^2+t^2)/2} = e^{x/2} */
	if (beta < bc) {
		sl = sc - bc * (SQRT_2PI * ibmax);
		bl = nblack(x, sl, bmax, &vl);
		if (beta < bl) {
			*branch = 0;
			if (x == 0)
				return SQRT_2PI * beta;	/* b ~ s/sqrt(2pi) */
			return guess_lower(beta, x, sl, bl, vl);
		}
		*branch = 1;
		r = rc_param(1, bl, bc, sl, sc, 1 / vl, 1 / vc, 0, 0);
		return rc_interp(beta, bl, bc, sl, sc, 1 / vl, 1 / vc, r);
	}
	sh = vc > DBL_MIN ? sc + (bmax - bc) * (SQRT_2PI * ibmax) : sc;
	bh = nblack(x, sh, bmax, &vh);
	if (beta <= bh) {
		*branch = 1;
		r = rc_param(0, bc, bh, sc, sh, 1 / vc, 1 / vh, 0, 0);
		return rc_interp(beta, bc, bh, sc, sh, 1 / vc, 1 / vh, r);
	}
	*branch = 2;
	return guess_upper(beta, x, bmax, sh, bh);
}

/*
 * A Householder(3) step on the lowest branch's objective 1/ln b -
 * 1/ln beta (lbeta = ln beta, ilbeta = 1/lbeta), for b and bp = db/ds
 * above zero: its ratios h2 = H2/L and h3 = H3/L^2 with L = ln b, and
 * the factor with numerator and denominator times L^2.
 */
static inline double
step_lower(double b, double bp, double c2, double c3, double lbeta,
    double ilbeta)
{
	double L = log(b), L2, B1 = bp / b, Q = b / bp, H2, H3, nu, fac;

	L2 = L * L;
	nu = L * (lbeta - L) * ilbeta * Q;
	H2 = c2 * L - B1 * (L + 2);
	H3 = c3 * L2 + B1 * B1 * (2 * L2 + 6 * L + 6) -
	    c2 * B1 * (3 * L2 + 6 * L);
	fac = (L2 + 0.5 * H2 * L * nu) /
	    (L2 + nu * (H2 * L + H3 * nu / 6));
	return nu * fac;
}

/*
 * A Householder(3) step on the highest branch's objective ln(bmax -
 * beta) - ln(bmax - b), for bp > 0 and D = bmax - b > 0.
 */
static inline double
step_upper(double beta, double bmax, double D, double bp, double c2,
    double c3)
{
	double qq = bp / D, nu;

	nu = (log(D) - log(bmax - beta)) / qq;
	return nu * householder(nu, c2 + qq, c3 + 3 * c2 * qq + 2 * qq * qq);
}

/*
 * Householder(3) from the guess s on its branch's objective.  The
 * paper's guess makes two steps enough; we allow a few more as a safety
 * net when a step is still large.
 */
static double
iterate(double beta, double x, double bmax, double bc, int branch,
    double s)
{
	double lbeta, ilbeta;
	int it, near = 0;

	lbeta = branch == 0 ? log(beta) : 0;
	ilbeta = branch == 0 ? 1 / lbeta : 0;
	for (it = 0; it < 8; it++) {
		/*
		 * Divisions are slow and each one here is on the path from
		 * one iterate to the next: two independent ones for x/s and
		 * 1/s, and one for the Householder factor.
		 */
		double is = 1 / s, h = x / s, bp, b, hs, c2, c3, nu, ds;

		b = nblack_h(x, s, h, bmax, &bp);
		hs = h * is;
		c2 = h * hs - 0.25 * s;
		c3 = c2 * c2 - 3 * hs * hs - 0.25;
		if (branch == 0 && beta < bc && !near) {
			if (!(b > 0) || !(bp > 0)) {
				s *= 1.5;	/* underflow: move up */
				continue;
			}
			ds = step_lower(b, bp, c2, c3, lbeta, ilbeta);
		} else if (branch == 2 && beta > 0.5 * bmax) {
			if (!(bp > 0) || !(bmax - b > 0)) {
				s *= 0.75;
				continue;
			}
			ds = step_upper(beta, bmax, bmax - b, bp, c2, c3);
		} else {
			if (!(bp > 0)) {
				s *= beta > b ? 1.5 : 0.75;
				continue;
			}
			nu = (beta - b) * (1 / bp);	/* 1/bp while b sums */
			ds = nu * householder(nu, c2, c3);
		}
		if (!(ds >= -0.5 * s))	/* fmax's NaN rule without the call */
			ds = -0.5 * s;
		s += ds;
		if (it >= 1 && fabs(ds) <= 1e-6 * s)
			break;
		/*
		 * The logarithmic objective is for the way in from the
		 * guess (mostly 1% to 10% off here); after a step below 10%
		 * the next lands near 1e-5 or closer, from where b - beta
		 * converges as fast, without the logarithm (all of 250,000
		 * random (x, s) in two steps either way).
		 */
		near = fabs(ds) <= 0.1 * s;
	}
	return s;
}

double
tg_lbr(double beta, double x, double bmax)
{
	/* 1/bmax beside the square roots, the two divisions below saved */
	double ibmax = 1 / bmax, sc = sqrt(2 * fabs(x)), bc, s;
	int branch;

	bc = b_c(x, bmax, ibmax);
	s = guess(beta, x, bmax, ibmax, sc, bc, &branch);
	return iterate(beta, x, bmax, bc, branch, s);
}

double
kp_lbr_normalised(double beta, double x)
{
	double bmax;

	if (x > 0)
		x = -x;		/* caller passes an OTM call */
	bmax = exp(0.5 * x);
	if (!(beta > 0) || !(beta < bmax))
		return NAN;
	return tg_lbr(beta, x, bmax);
}
