/* fmt.h: the number formatters behind kp_fmt_*, inlinable on hot paths. */
/* SPDX-License-Identifier: MIT */
#ifndef KP_FMT_H
#define KP_FMT_H

/*
 * Private to lib/: json.c wraps these as kp_fmt_*, and the tick writer
 * inlines them.  The room rules of kp_fmt_* (KP_FMT_ROOM) apply.
 */
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define FMT_INLINE static inline __attribute__((always_inline))
#else
#define FMT_INLINE static inline
#endif

static const char fmt_pairs[201] =
    "00010203040506070809"
    "10111213141516171819"
    "20212223242526272829"
    "30313233343536373839"
    "40414243444546474849"
    "50515253545556575859"
    "60616263646566676869"
    "70717273747576777879"
    "80818283848586878889"
    "90919293949596979899";

static const uint64_t fmt_pow10[10] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000
};

/* Number of decimal digits of v (1 for 0). */
static inline unsigned
ndigits32(uint32_t v)
{
	if (v < 100000)
		return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 :
		    v < 10000 ? 4 : 5;
	return v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 :
	    v < 1000000000 ? 9 : 10;
}

static inline unsigned
ndigits(uint64_t v)
{
	unsigned n = 0;

	while (v > UINT32_MAX) {
		v /= 10000;
		n += 4;
	}
	return n + ndigits32((uint32_t)v);
}

/*
 * Write exactly n digits of v (v < 10^n, n <= 10) ending at p + n, in
 * 32-bit arithmetic, two digits at a time.
 */
static inline void
put_digits32(char *p, uint32_t v, unsigned n)
{
	char *q = p + n;

	while (v >= 100) {
		uint32_t r = v % 100;

		v /= 100;
		q -= 2;
		memcpy(q, fmt_pairs + 2 * r, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, fmt_pairs + 2 * v, 2);
	} else {
		*--q = (char)('0' + v);
	}
	while (q > p)
		*--q = '0';
}

/* The same for any uint64_t: 8 digits at a time in 32-bit chunks. */
static inline void
put_digits(char *p, uint64_t v, unsigned n)
{
	while (n > 8) {
		put_digits32(p + n - 8, (uint32_t)(v % 100000000), 8);
		v /= 100000000;
		n -= 8;
	}
	put_digits32(p, (uint32_t)v, n);
}

static const uint32_t fmt_pow10_32[10] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000
};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * The eight decimal digits of x < 10^8 as ASCII in one 64-bit word, first
 * digit in the lowest byte (SWAR: split into 4-digit halves in 32-bit
 * lanes, then 2-digit pairs in 16-bit lanes, then digits in bytes; each
 * division by 100 or 10 is a multiply and shift that is exact for the
 * lane's range).
 */
FMT_INLINE uint64_t
swar8(uint32_t x)
{
	uint64_t y = x / 10000 | (uint64_t)(x % 10000) << 32;
	uint64_t z = ((y * 10486) >> 20) & 0x0000007f0000007fULL;

	y = (y - z * 100) << 16 | z;
	z = ((y * 103) >> 10) & 0x000f000f000f000fULL;
	y = (y - z * 10) << 8 | z;
	return y | 0x3030303030303030ULL;
}

/*
 * A uint32_t: the digit count from the bit length, the digits from
 * swar8, one 8-byte store.  Writes up to 16 bytes at p; returns one past
 * the last digit.
 */
FMT_INLINE char *
fmt_u32(char *p, uint32_t v)
{
	uint32_t w = v | 1;
	unsigned t, n;
	uint64_t d;

	if (v < 100) {
		if (v < 10) {
			*p = (char)('0' + v);
			return p + 1;
		}
		memcpy(p, fmt_pairs + 2 * v, 2);
		return p + 2;
	}
	if (v < 10000) {
		/* 4 digits: 2-digit halves in 16-bit lanes, then bytes */
		uint32_t y = v / 100 | (v % 100) << 16;
		uint32_t z = ((y * 103) >> 10) & 0x000f000fu;

		y = ((y - z * 10) << 8 | z | 0x30303030u) >> (v < 1000 ? 8 : 0);
		memcpy(p, &y, 4);
		return p + (v < 1000 ? 3 : 4);
	}
	t = ((32 - (unsigned)__builtin_clz(w)) * 1233) >> 12;
	n = t + (w >= fmt_pow10_32[t]);

	if (n <= 8) {
		d = swar8(v) >> (8 * (8 - n));
		memcpy(p, &d, 8);
		return p + n;
	}
	t = v / 100000000;
	if (t >= 10) {
		memcpy(p, fmt_pairs + 2 * t, 2);
		p += 2;
	} else {
		*p++ = (char)('0' + t);
	}
	d = swar8(v % 100000000);
	memcpy(p, &d, 8);
	return p + 8;
}
#else
FMT_INLINE char *
fmt_u32(char *p, uint32_t v)
{
	unsigned n = ndigits32(v);

	put_digits32(p, v, n);
	return p + n;
}
#endif

static inline char *
fmt_u64(char *p, uint64_t v)
{
	unsigned n;

	if (v <= UINT32_MAX)
		return fmt_u32(p, (uint32_t)v);
	n = ndigits(v);
	put_digits(p, v, n);
	return p + n;
}

static inline char *
fmt_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return fmt_u64(p, -(uint64_t)v);
	}
	return fmt_u64(p, (uint64_t)v);
}

/* Two decimals of a value below 2^32: the common case, kept cheap. */
static inline char *
fmt_fixed2(char *p, uint32_t a)
{
	uint32_t ip = a / 100, fp = a % 100;

	p = fmt_u32(p, ip);
	if (fp == 0)
		return p;
	*p++ = '.';
	if (fp % 10 == 0) {
		*p++ = (char)('0' + fp / 10);
		return p;
	}
	memcpy(p, fmt_pairs + 2 * fp, 2);
	return p + 2;
}

/*
 * a / 10^dec and a % 10^dec with the divisor a constant, so the compiler
 * turns each into a multiply: a divide by a variable costs 30-90 cycles.
 */
static inline uint64_t
fmt_divmod(uint64_t a, unsigned dec, uint64_t *rem)
{
	switch (dec) {
	case 2: *rem = a % 100; return a / 100;
	case 4: *rem = a % 10000; return a / 10000;
	case 6: *rem = a % 1000000; return a / 1000000;
	case 7: *rem = a % 10000000; return a / 10000000;
	default: *rem = a % fmt_pow10[dec]; return a / fmt_pow10[dec];
	}
}

static inline char *
fmt_fixed(char *p, int64_t v, unsigned dec)
{
	uint64_t a, ip, fp;

	if (v < 0) {
		*p++ = '-';
		a = -(uint64_t)v;
	} else {
		a = (uint64_t)v;
	}
	if (dec == 2 && a <= UINT32_MAX)
		return fmt_fixed2(p, (uint32_t)a);
	if (dec == 0 || dec > 9)
		return fmt_u64(p, a);
	ip = fmt_divmod(a, dec, &fp);
	p = fmt_u64(p, ip);
	if (fp == 0)
		return p;
	while (fp % 10 == 0) {
		fp /= 10;
		dec--;
	}
	*p++ = '.';
	put_digits(p, fp, dec);
	return p + dec;
}

static inline char *
fmt_fixed_all(char *p, int64_t v, unsigned dec)
{
	uint64_t a, ip, fp;

	if (v < 0) {
		*p++ = '-';
		a = -(uint64_t)v;
	} else {
		a = (uint64_t)v;
	}
	if (dec == 0 || dec > 9)
		return fmt_u64(p, a);
	ip = fmt_divmod(a, dec, &fp);
	p = fmt_u64(p, ip);
	*p++ = '.';
	put_digits(p, fp, dec);
	return p + dec;
}

#endif
