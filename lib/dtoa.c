/*
 * dtoa.c: the shortest decimal that reads back as a given double.
 *
 * The method is the digit-removal loop of Ryu (Ulf Adams, "Ryu: fast
 * float-to-string conversion", PLDI 2018), with the scaled bounds
 * computed exactly in 128-bit integers instead of from tables: v, its
 * upper and lower halfway points to the neighbouring doubles, times
 * 2^e2 / 10^q, floored, with a flag telling whether each floor was
 * exact.  q is chosen so that v * 10^-q has 18 or 19 digits, which is
 * more than the 17 that always suffice, and the loop then drops digits
 * while a shorter decimal still lies between the bounds.  Where the
 * products would not fit in 128 bits (v < 1e-14 or v >= 1e47) a slow
 * path uses snprintf and strtod instead.
 */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "kp_dtoa.h"
#include "pow5.h"

__extension__ typedef unsigned __int128 u128;

/* 5^i, i <= 55: from the 64-bit table, one product above 5^27. */
static u128
pow5(int i)
{
	if (i <= 27)
		return kp_pow5_64[i];
	return (u128)kp_pow5_64[27] * kp_pow5_64[i - 27];
}

/* floor(log10(2^e)) for -1100 <= e <= 1100. */
static int
log10_pow2(int e)
{
	/* 78913 / 2^18 is log10(2) to 6e-8, exact enough below 1650 */
	if (e >= 0)
		return (int)(((uint32_t)e * 78913u) >> 18);
	/* floor(-x) = -floor(x) - 1 for non-integral x (e != 0) */
	return -(int)(((uint32_t)-e * 78913u) >> 18) - 1;
}

/*
 * floor(x * 2^a2 * 5^a5) for x = mv, mp = mv + 2 and mm (mv - 1 or
 * mv - 2) into o[0..2], with ex[i] telling whether each was exact; -1
 * when a product would not fit (the caller takes the slow path).
 * mv < 2^55.
 */
static int
scale3(uint64_t mv, uint64_t mm, int a2, int a5, uint64_t o[3], int ex[3])
{
	u128 n[3], f;
	int i;

	if (a5 >= 0) {
		if (a5 > 31 || a2 > 8 || a2 <= -128)
			return -1;
		f = pow5(a5);		/* < 2^72, the products < 2^127 */
		/* one 64 x 64 multiply when 5^a5 fits in 64 bits */
		n[0] = a5 <= 27 ? (u128)mv * (uint64_t)f : mv * f;
		n[1] = n[0] + 2 * f;
		n[2] = n[0] - (mv - mm) * f;
		if (a2 >= 0) {
			if ((n[1] >> (127 - a2)) != 0)
				return -1;
			for (i = 0; i < 3; i++) {
				n[i] <<= a2;
				ex[i] = 1;
			}
		} else {
			u128 mask = ((u128)1 << -a2) - 1;

			for (i = 0; i < 3; i++) {
				ex[i] = (n[i] & mask) == 0;
				n[i] >>= -a2;
			}
		}
	} else {
		if (a5 < -31 || a2 < 0 || a2 > 72)
			return -1;
		f = pow5(-a5);
		n[0] = (u128)mv << a2;
		n[1] = (u128)(mv + 2) << a2;
		n[2] = (u128)mm << a2;
		for (i = 0; i < 3; i++) {
			ex[i] = n[i] % f == 0;
			n[i] /= f;
		}
	}
	if (n[1] >> 63)
		return -1;
	for (i = 0; i < 3; i++)
		o[i] = (uint64_t)n[i];
	return 0;
}

/* The slow path: the smallest %.*e precision that reads back. */
static void
slow_digits(double v, uint64_t *digits, int *exp10)
{
	char buf[48], *e;
	uint64_t d = 0;
	int prec, n = 0, i, x;

	for (prec = 0; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", prec, v);
	for (i = 0; buf[i] != 'e'; i++)
		if (buf[i] >= '0' && buf[i] <= '9') {
			d = d * 10 + (uint64_t)(buf[i] - '0');
			n++;
		}
	e = buf + i + 1;
	x = atoi(e);
	*digits = d;
	*exp10 = x - (n - 1);
}

/* The digit-removal state: v, its bounds, and what was dropped. */
struct drop {
	uint64_t vr, vp, vm;
	int vr_tz, vm_tz, removed;
	unsigned last;
};

/* Drop one digit of all three. */
static inline void
drop1(struct drop *d)
{
	d->vm_tz = d->vm_tz && d->vm % 10 == 0;
	d->vr_tz = d->vr_tz && d->last == 0;
	d->last = (unsigned)(d->vr % 10);
	d->vr /= 10;
	d->vp /= 10;
	d->vm /= 10;
	d->removed++;
}

/* A decimal: d * 10^e. */
struct dec {
	uint64_t d;
	int e;
};

/* The bits of v > 0 as Ryu takes them: v = m2 * 2^e2, the raw fields. */
struct bin {
	uint64_t m2;
	int e2, ie;
};

static inline struct bin
decompose(double v)
{
	struct bin b;
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	b.ie = (int)((bits >> 52) & 0x7ff);
	b.m2 = bits & ((1ull << 52) - 1);
	if (b.ie == 0) {
		b.e2 = 1 - 1075;
	} else {
		b.e2 = b.ie - 1075;
		b.m2 |= 1ull << 52;
	}
	return b;
}

/*
 * The general case: exact bounds in 128 bits with the exactness of
 * each tracked (ties to even, bounds that are themselves decimals), or
 * the slow path.  Out of line: the common case does not pay its frame.
 */
static struct dec __attribute__((noinline))
general_digits(double v, struct bin b, uint64_t mv, uint64_t mm, int e2,
    int q)
{
	uint64_t out, o[3];
	int vp_tz, accept = (b.m2 & 1) == 0, ex[3];
	struct drop d;
	struct dec r;

	if (scale3(mv, mm, e2 - q, -q, o, ex) < 0) {
		slow_digits(v, &r.d, &r.e);
		return r;
	}
	d.vr = o[0];
	d.vp = o[1];
	d.vm = o[2];
	d.vr_tz = ex[0];
	vp_tz = ex[1];
	d.vm_tz = ex[2] && accept;
	if (!accept && vp_tz)
		d.vp--;		/* the upper bound itself is excluded */
	d.last = 0;
	d.removed = 0;
	/* two digits at a time while both may go, then one */
	while (d.vp / 100 > d.vm / 100) {
		d.vm_tz = d.vm_tz && d.vm % 100 == 0;
		d.vr_tz = d.vr_tz && d.last == 0 && d.vr % 10 == 0;
		d.last = (unsigned)(d.vr % 100 / 10);
		d.vr /= 100;
		d.vp /= 100;
		d.vm /= 100;
		d.removed += 2;
	}
	if (d.vp / 10 > d.vm / 10)
		drop1(&d);
	if (d.vm_tz)
		while (d.vm % 10 == 0)
			drop1(&d);
	if (d.vr_tz && d.last == 5 && d.vr % 2 == 0)
		d.last = 4;	/* an exact tie: to even */
	out = d.vr + ((d.vr == d.vm && !d.vm_tz) || d.last >= 5);
	q += d.removed;
	while (out % 10 == 0) {
		out /= 10;
		q++;
	}
	r.d = out;
	r.e = q;
	return r;
}

/*
 * The shortest decimal of v > 0.  The common case in 64-bit words:
 * 5^-q fits in 64 bits and the scaling is a right shift by fewer than
 * 64 bits (about 1e-10 < v < 1e15), and no bound is exactly a decimal
 * of the grid (exactness only matters for ties and closed bounds);
 * everything else goes to general_digits.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline struct dec
digits_of(double v)
{
	struct bin b = decompose(v);
	uint64_t mv, mm, f, lo0, lo1, lo2, hi0, hi1, hi2, vr, vp, vm, vp100,
	    vm100;
	unsigned last = 0;
	u128 n0, n1, n2;
	int e2, q, s;
	struct dec r;

	/* an integer below 2^53: its digits are the integer's */
	if (b.e2 <= 0 && b.e2 > -53 && (b.m2 & ((1ull << -b.e2) - 1)) == 0) {
		r.d = b.m2 >> -b.e2;
		for (r.e = 0; r.d % 10 == 0; r.e++)
			r.d /= 10;
		return r;
	}
	e2 = b.e2 - 2;
	mv = 4 * b.m2;
	/* the gap below is half as wide at a power of two (not subnormal) */
	mm = mv - 1 - ((b.m2 & ((1ull << 52) - 1)) != 0 || b.ie <= 1);
	/* v in [2^(k-1), 2^k), k = 64 - clz(mv) + e2; 18 or 19 digits */
	q = log10_pow2(63 - __builtin_clzll(mv) + e2) - 17;
	s = q - e2;
	if (q > 0 || q < -27 || s <= 0 || s >= 64)
		return general_digits(v, b, mv, mm, e2, q);
	f = kp_pow5_64[-q];
	n0 = (u128)mv * f;
	n1 = n0 + 2 * (u128)f;
	n2 = n0 - (u128)((mv - mm) * f);
	lo0 = (uint64_t)n0;
	lo1 = (uint64_t)n1;
	lo2 = (uint64_t)n2;
	hi0 = (uint64_t)(n0 >> 64);
	hi1 = (uint64_t)(n1 >> 64);
	hi2 = (uint64_t)(n2 >> 64);
	/* a bound or v exact on the grid, or over 63 bits: general */
	if ((lo0 << (64 - s)) == 0 || (lo1 << (64 - s)) == 0 ||
	    (lo2 << (64 - s)) == 0 || (hi1 >> (s - 1)) != 0)
		return general_digits(v, b, mv, mm, e2, q);
	vr = lo0 >> s | hi0 << (64 - s);
	vp = lo1 >> s | hi1 << (64 - s);
	vm = lo2 >> s | hi2 << (64 - s);
	/* two digits at a time while both may go, then one */
	while ((vp100 = vp / 100) > (vm100 = vm / 100)) {
		last = (unsigned)(vr % 100 / 10);
		vr /= 100;
		vp = vp100;
		vm = vm100;
		q += 2;
	}
	if (vp / 10 > vm / 10) {
		last = (unsigned)(vr % 10);
		vr /= 10;
		vm /= 10;
		q++;
	}
	r.d = vr + (vr == vm || last >= 5);
	while (r.d % 10 == 0) {
		r.d /= 10;
		q++;
	}
	r.e = q;
	return r;
}

/*
 * Write the n digits of v < 10^17 at p, straight into place in 8-byte
 * stores (no copy through a buffer); may write up to 8 bytes.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
put17(char *p, uint64_t v, int n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w;

	if (n <= 8) {
		w = swar8((uint32_t)v) >> (8 * (8 - n));
		memcpy(p, &w, 8);
		return;
	}
	w = swar8((uint32_t)(v % 100000000));
	v /= 100000000;
	if (n == 17) {
		*p++ = (char)('0' + v / 100000000);
		v %= 100000000;
		n--;
	}
	/* the first n - 8 digits, then the last 8 over what spilled */
	{
		uint64_t hi = swar8((uint32_t)v) >> (8 * (16 - n));

		memcpy(p, &hi, 8);
		memcpy(p + n - 8, &w, 8);
	}
#else
	put_digits(p, v, (unsigned)n);
#endif
}

void
kp_dtoa_digits(double v, uint64_t *digits, int *exp10)
{
	struct dec r = digits_of(v);

	*digits = r.d;
	*exp10 = r.e;
}

/* The number of decimal digits of 0 < v < 10^19. */
static inline int
ndigits64(uint64_t v)
{
	static const uint64_t p10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
		10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
		100000000000ull, 1000000000000ull, 10000000000000ull,
		100000000000000ull, 1000000000000000ull,
		10000000000000000ull, 100000000000000000ull,
		1000000000000000000ull, 10000000000000000000ull
	};
	/* floor(log10(2^(bits - 1))) + 1 or one less: 1233 / 4096 ~ log10(2) */
	int t = ((64 - __builtin_clzll(v)) * 1233) >> 12;

	return t + (v >= p10[t]);
}

/*
 * The plain forms write their pieces with fixed-size copies, past the
 * end within KP_DTOA_ROOM (later writes overwrite what spills).
 */
char *
kp_dtoa(char *p, double v)
{
	uint64_t digits, a, b, c, d;
	int n, e, x;
	struct dec r;

	if (signbit(v)) {
		*p++ = '-';
		v = -v;
	}
	if (v == 0) {
		*p++ = '0';
		return p;
	}
	r = digits_of(v);
	digits = r.d;
	e = r.e;
	n = ndigits64(digits);
	x = e + n - 1;		/* exponent of the first digit */
	if (x >= 17 || x < -5) {
		put17(p + 1, digits, n);
		p[0] = p[1];
		if (n > 1) {
			p[1] = '.';
			p += n + 1;
		} else
			p++;
		*p++ = 'e';
		*p++ = x < 0 ? '-' : '+';
		if (x < 0)
			x = -x;
		if (x >= 100)
			*p++ = (char)('0' + x / 100);
		*p++ = (char)('0' + x / 10 % 10);
		*p++ = (char)('0' + x % 10);
		return p;
	}
	if (x < 0) {
		/* "0.", -x - 1 <= 4 zeros, the digits */
		memcpy(p, "0.000000", 8);
		put17(p + 1 - x, digits, n);
		return p + 1 - x + n;
	}
	if (n <= x + 1) {		/* an integer: the digits, x + 1 - n zeros */
		put17(p, digits, n);
		memcpy(p + n, "0000000000000000", 16);
		return p + x + 1;
	}
	/*
	 * The digits one byte on, where the fraction (<= 16 digits) ends up;
	 * then the first x + 1 <= 16 digits one byte back, the fraction
	 * put back over what that moved, and the point between.
	 */
	put17(p + 1, digits, n);
	memcpy(&a, p + 1, 8);
	memcpy(&b, p + 9, 8);
	memcpy(&c, p + x + 2, 8);
	memcpy(&d, p + x + 10, 8);
	memcpy(p, &a, 8);
	memcpy(p + 8, &b, 8);
	memcpy(p + x + 2, &c, 8);
	memcpy(p + x + 10, &d, 8);
	p[x + 1] = '.';
	return p + n + 1;
}
