/*
 * lsnum.c: the numbers of lib/linescan.c: checked as the flags ask, and
 * a picked one's value correctly rounded (exact integers, reals of up to
 * 19 significant digits in exact arithmetic, the rest by strtod).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ls.h"
#include "pow5.h"

__extension__ typedef unsigned __int128 u128;

const double kp_ls_pow10[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/*
 * q (plus a sticky bit for a nonzero remainder below it) times 2^e2,
 * rounded to the nearest double, ties to even.  q != 0; the result must
 * be a normal double (kp_ls_dec_exact's range is).
 */
static double
round_u128(u128 q, int sticky, int e2)
{
	int len = 128 - (int)(q >> 64 ? (unsigned)__builtin_clzll(
	    (uint64_t)(q >> 64)) : 64u + (unsigned)__builtin_clzll(
	    (uint64_t)q));
	int sh = len - 53;
	uint64_t mant, bits;
	double d;

	if (sh <= 0)
		return ldexp((double)(uint64_t)q, e2);
	{
		u128 rest = q & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);

		mant = (uint64_t)(q >> sh);
		if (rest > half || (rest == half && (sticky || (mant & 1))))
			mant++;
	}
	e2 += sh;
	if (mant >> 53) {		/* rounded up to 2^53 */
		mant >>= 1;
		e2++;
	}
	/* mant * 2^e2, mant in [2^52, 2^53): the fields of a normal double */
	bits = (uint64_t)(e2 + 52 + 1023) << 52 | (mant & ((1ull << 52) - 1));
	memcpy(&d, &bits, sizeof(d));
	return d;
}

/*
 * m * 10^x correctly rounded, m < 10^19 (m > 2^53: the quick path
 * takes the rest), -22 <= x <= 22, in exact 128-bit integers: for
 * x >= 0 the product m * 5^x, for x < 0 the quotient (m * 2^64) / 5^-x
 * with its remainder as the sticky bit; the power of two goes into the
 * exponent.
 */
double
kp_ls_dec_exact(uint64_t m, int x)
{
	u128 n;

	if (m == 0)
		return 0;
	if (x >= 0)
		return round_u128((u128)m * kp_pow5_64[x], 0, x);
	n = (u128)m << 64;
	return round_u128(n / kp_pow5_64[-x], n % kp_pow5_64[-x] != 0, x - 64);
}

/* The integer at start (int digits ip..ie) into v, checked. */
static int
integer(struct ls *t, const char *start, const char *ip, const char *ie,
    struct kp_jval *v)
{
	int neg = *start == '-';
	uint64_t m = 0;
	int64_t i = 0;
	const char *q;
	double d = 0;

	if (ie - ip <= 18) {
		for (q = ip; q < ie; q++)
			m = m * 10 + (uint64_t)(*q - '0');
		i = neg ? -(int64_t)m : (int64_t)m;
		d = (double)i;
	} else if (t->flags & KP_LS_JANSSON) {
		errno = 0;
		i = strtoll(start, NULL, 10);
		if (errno == ERANGE)
			return ls_fail(t, start, neg ? E_BIGNEG : E_BIGINT);
		d = (double)i;
	} else if ((t->flags & KP_LS_STRICT) || v != NULL) {
		d = strtod(start, NULL);
		if (isinf(d) && (t->flags & KP_LS_STRICT))
			return ls_fail(t, start, E_RANGE);
		if (v != NULL) {
			v->type = KP_J_NUMBER;
			v->nkind = KP_JN_REAL;
			v->num = d;
		}
		return 0;
	}
	if (v != NULL) {
		v->type = KP_J_NUMBER;
		v->nkind = KP_JN_INT;
		v->i64 = i;
		v->num = d;
	}
	return 0;
}

/* A real's value: m significant digits from q, exponent x. */
static double
real_value(const char *start, const char *ip, const char *ie,
    const char *fp, const char *fe, int ex)
{
	const char *q = ip;
	uint64_t m = 0;
	int x;

	/* the significant digits: from the first nonzero one */
	if (*ip == '0') {
		q = fp;
		while (q < fe && *q == '0')
			q++;
	}
	x = ex - (int)(fe - fp);
	if ((q < ie ? (ie - q) + (fe - fp) : fe - q) > 19 || x < -22 ||
	    x > 22)
		return fabs(strtod(start, NULL));
	for (; q < ie; q++)
		m = m * 10 + (uint64_t)(*q - '0');
	if (q < fp)
		q = fp;
	for (; q < fe; q++)
		m = m * 10 + (uint64_t)(*q - '0');
	if (m > (1ull << 53))
		return kp_ls_dec_exact(m, x);
#if FLT_EVAL_METHOD == 0
	/* exact m and 10^|x|: one correctly rounded operation */
	return x < 0 ? (double)m / kp_ls_pow10[-x] : (double)m * kp_ls_pow10[x];
#else
	return fabs(strtod(start, NULL));
#endif
}

/*
 * A number at *pp, in full: validated as JSON and as the flags ask
 * (KP_LS_JANSSON: int64 integers, reals that do not overflow;
 * KP_LS_STRICT: every number within a double's range); when v is not
 * NULL its value is stored there.  Relies on the NUL at s[n].
 */
int
kp_ls_number(struct ls *t, const char **pp, struct kp_jval *v)
{
	const char *p = *pp, *start = p, *ip, *ie, *fp = NULL, *fe = NULL;
	int isint = 1, ex = 0, exneg = 0;
	double d;

	if (*p == '-')
		p++;
	ip = p;
	if (!DIGIT(*p))
		return ls_fail(t, start, E_NUM);
	if (*p == '0') {
		p++;
		if (DIGIT(*p))
			return ls_fail(t, start, E_LEAD0);
	} else
		while (DIGIT(*p))
			p++;
	ie = p;
	if (*p == '.') {
		isint = 0;
		fp = ++p;
		if (!DIGIT(*p))
			return ls_fail(t, p, E_DIGIT);
		while (DIGIT(*p))
			p++;
		fe = p;
	}
	if (*p == 'e' || *p == 'E') {
		isint = 0;
		p++;
		if (*p == '+' || *p == '-')
			exneg = *p++ == '-';
		if (!DIGIT(*p))
			return ls_fail(t, p, E_DIGIT);
		for (; DIGIT(*p); p++)
			if (ex < 100000)
				ex = ex * 10 + (*p - '0');
		if (exneg)
			ex = -ex;
	}
	*pp = p;
	if (isint)
		return integer(t, start, ip, ie, v);
	if (fp == NULL)
		fp = fe = ie;	/* no fraction: an empty one */
	/* |value| < 10^(intd + ex): only then can it not overflow */
	if ((t->flags & (KP_LS_JANSSON | KP_LS_STRICT)) &&
	    (int)(ie - ip) + ex > DBL_MAX_10_EXP) {
		errno = 0;
		d = strtod(start, NULL);
		if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
			return ls_fail(t, start, E_RANGE);
	}
	if (v == NULL)
		return 0;
	d = real_value(start, ip, ie, fp, fe, ex);
	v->type = KP_J_NUMBER;
	v->nkind = KP_JN_REAL;
	v->num = *start == '-' ? -d : d;
	return 0;
}
