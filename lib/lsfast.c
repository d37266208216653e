/*
 * lsfast.c: the fast path of lib/linescan.c, for the lines ticks are.
 */
/* SPDX-License-Identifier: MIT */
#include <float.h>
#include <string.h>

#include "ls.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * kp_linescan tries this first: the same scan for the lines ticks are
 * (an object; strings of printable ASCII without escapes; numbers
 * without exponents, integers of at most 18 digits, picked reals of at
 * most 19 significant digits; at most FAST_DEPTH levels), in tight
 * loops and with no state outside locals.  Anything else, errors
 * included, returns 1 before a decision, and the general scanner then scans
 * the line from the start: what is accepted and picked, and every error
 * message, are the full scanner's.
 */
#define FAST_DEPTH CTX_LEVELS
#define ARR 0x80	/* in a fast context byte: the container is an array */

/* Whitespace, tested with one compare when there is none. */
#define FWS(p) do { \
	if ((unsigned char)*(p) <= ' ') \
		WS(p); \
} while (0)

/*
 * The closing quote of a plain string whose body starts at p (only
 * bytes 0x20-0x7f but '"' and '\\'), or NULL for anything else.
 */
HOT const char *
plain_string(const char *p, const char *e)
{
#if defined(__SSE2__)
	while (e - p >= 16) {
		/* as signed bytes, < 0x20 is a control byte or >= 0x80 */
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
		    _mm_cmplt_epi8(x, _mm_set1_epi8(0x20))));

		if (mask != 0) {
			p += __builtin_ctz(mask);
			return *p == '"' ? p : NULL;
		}
		p += 16;
	}
#endif
	while (p < e && !kp_ls_special[(unsigned char)*p])
		p++;
	return p < e && *p == '"' ? p : NULL;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_DIGITS 1
/*
 * The value of eight ASCII digits read as a little-endian word (the first
 * digit in the low byte): pairs of digits, then of pairs, then of quads,
 * each one multiply over lanes that cannot carry into each other (99,
 * 9999 fit their lanes).
 */
HOT uint64_t
eight_value(uint64_t w)
{
	w -= 0x3030303030303030ull;
	w = (w * 10 + (w >> 8)) & 0x00ff00ff00ff00ffull;
	w = (w * 100 + (w >> 16)) & 0x0000ffff0000ffffull;
	return (w * 10000 + (w >> 32)) & 0xffffffffull;
}

static const uint64_t pow10_u64[9] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
};
#endif

/*
 * The run of digits at *pp into *m (m * 10 + digit each, modulo 2^64:
 * the caller rejects runs too long to be exact); *pp moves past it.
 * Return the run's length.  While the line (up to e) holds eight more
 * bytes, eight at a time: a byte is a digit when it XOR '0' is below 10
 * (adding 0x76 leaves its high bit clear, and the byte had it clear);
 * a carry out of a byte only reaches later bytes, past the first
 * non-digit, which is all that counts.  A run's last k < 8 digits are
 * moved to the top of the word, below them '0's: the same value.
 */
HOT size_t
read_digits(const char **pp, const char *e, uint64_t *m)
{
	const char *p = *pp, *d = p;
	uint64_t v = *m;

#ifdef SWAR_DIGITS
	while (e - p >= 8) {
		uint64_t w, t, nd;
		unsigned k;

		memcpy(&w, p, 8);
		t = w ^ 0x3030303030303030ull;
		nd = ((t + 0x7676767676767676ull) | t) & 0x8080808080808080ull;
		if (nd == 0) {
			v = v * 100000000u + eight_value(w);
			p += 8;
			continue;
		}
		k = (unsigned)__builtin_ctzll(nd) >> 3;
		if (k > 0) {
			w = w << (64 - 8 * k) |
			    0x3030303030303030ull >> (8 * k);
			v = v * pow10_u64[k] + eight_value(w);
			p += k;
		}
		goto done;
	}
#else
	(void)e;
#endif
	while (DIGIT(*p))
		v = v * 10 + (uint64_t)(*p++ - '0');
#ifdef SWAR_DIGITS
done:
#endif
	*pp = p;
	*m = v;
	return (size_t)(p - d);
}

/*
 * A picked number at *pp, as kp_ls_number stores it, or 1 (the full
 * scanner decides).  Relies on the NUL at s[n].
 */
HOT int
fast_number(const char **pp, const char *e, struct kp_jval *v)
{
	const char *p = *pp, *d;
	uint64_t m = 0;
	int neg = 0, sig = 0, x;
	double r;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p == '0') {
		p++;
		if (DIGIT(*p))
			return 1;
	} else {
		sig = (int)read_digits(&p, e, &m);
		if (sig == 0 || sig > 18)
			return 1;
	}
	if (*p != '.') {
		if ((*p | 0x20) == 'e')
			return 1;
		v->type = KP_J_NUMBER;
		v->nkind = KP_JN_INT;
		v->i64 = neg ? -(int64_t)m : (int64_t)m;
		v->num = (double)v->i64;
		*pp = p;
		return 0;
	}
	d = ++p;
	if (!DIGIT(*p))
		return 1;
	/* leading zeros of the fraction count only in the exponent */
	if (m == 0)
		while (*p == '0')
			p++;
	sig += (int)read_digits(&p, e, &m);
	x = -(int)(p - d);
	if (sig > 19 || x < -22 || (*p | 0x20) == 'e')
		return 1;
#if FLT_EVAL_METHOD == 0
	r = m > (1ull << 53) ? kp_ls_dec_exact(m, x) : (double)m / kp_ls_pow10[-x];
#else
	return 1;
#endif
	v->type = KP_J_NUMBER;
	v->nkind = KP_JN_REAL;
	v->num = neg ? -r : r;
	*pp = p;
	return 0;
}

/* p past the run of digits at p: 16 bytes at a time while 16 are left. */
HOT const char *
skip_digits(const char *p, const char *e)
{
#if defined(__SSE2__)
	while (e - p >= 16) {
		/* '0'..'9' shifted to -128..-119: the only bytes below -118 */
		__m128i x = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const
		    void *)p), _mm_set1_epi8((char)('0' + 128)));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(x,
		    _mm_set1_epi8(-118))) ^ 0xffffu;

		if (m != 0)
			return p + __builtin_ctz(m);
		p += 16;
	}
#else
	(void)e;
#endif
	while (DIGIT(*p))
		p++;
	return p;
}

/* Skip a number that is not picked, or 1 (the full scanner decides). */
HOT int
fast_skip_number(const char **pp, const char *e)
{
	const char *p = *pp, *d;

	if (*p == '-')
		p++;
	if (*p == '0') {
		p++;
		if (DIGIT(*p))
			return 1;
	} else {
		d = p;
		p = skip_digits(p, e);
		if (p == d || p - d > 18)
			return 1;
	}
	if (*p == '.') {
		p++;
		if (!DIGIT(*p))
			return 1;
		p = skip_digits(p, e);
	}
	if ((*p | 0x20) == 'e')
		return 1;
	*pp = p;
	return 0;
}

/* true, null, false at *pp: 4 bytes as a word, and false's 'e'; or 1 */
HOT int
fast_literal(const char **pp, const char *e)
{
	const char *p = *pp;
	uint32_t w, t4, n4, f4;
	int c = *p == 'f';

	memcpy(&t4, "true", 4);
	memcpy(&n4, "null", 4);
	memcpy(&f4, "fals", 4);
	if (e - p < 4 + c)
		return 1;
	memcpy(&w, p, 4);
	if (w != (*p == 't' ? t4 : *p == 'n' ? n4 : f4) || (c && p[4] != 'e'))
		return 1;
	*pp = p + 4 + c;
	return 0;
}

/*
 * The key at p (on its '"') and its ':': where its value starts, its
 * target in *tgtp (and *pend and *vb when a table field's); or NULL
 * (the general scanner decides).  lens: the table's name lengths, and 5
 * for "depth" with KP_LS_BEST.
 */
HOT const char *
fast_key(struct ls *t, uint64_t lens, int cur, const char *p, int *tgtp,
    int *pend, const char **vb)
{
	const char *q;
	int tgt = T_NONE;

	if (*p != '"' || (q = plain_string(p + 1, t->e)) == NULL)
		return NULL;
	if (cur == C_TOP ? q - p - 1 < 64 && (lens >> (q - p - 1) & 1) :
	    cur != C_NONE) {
		tgt = ls_target(t, cur, p + 1, (size_t)(q - p - 1));
		if ((unsigned)tgt < (unsigned)t->nf)
			*pend = tgt;
		else
			ls_reset(t, tgt);
	}
	*tgtp = tgt;
	p = q + 1;
	if (*p != ':') {
		WS(p);
		if (*p != ':')
			return NULL;
	}
	p++;
	FWS(p);
	if (*pend == tgt)
		*vb = p;
	return p;
}

/*
 * 0: done, 1: the general scanner decides, 2: the quick tail is due.
 * (A picked best price is reset at its key: array elements never are.)
 */
int
kp_ls_fast(struct ls *t, struct kp_lsres *r)
{
	const char *p = t->s, *e = t->e, *q, *vb = NULL;
	unsigned char ctx[FAST_DEPTH];
	int d, tgt, c, cur;	/* cur: ctx[d - 1], the open container */
	int pend = -1;
	/* the targets whose numbers are read: fields, then best prices */
	unsigned npick = (t->flags & KP_LS_VALUES) ? (unsigned)t->nf +
	    (t->bid >= 0 ? 2 : 0) : 0;
	uint64_t lens = t->t->lens | (t->bid >= 0 ? 1u << 5 : 0);

	WS(p);
	if (*p != '{')
		return 1;
	r->top = '{';
	ctx[0] = cur = C_TOP;
	d = 1;
	p++;
object:
	FWS(p);
	if (*p == '}') {
		p++;
		goto close;
	}
key:
	p = fast_key(t, lens, cur, p, &tgt, &pend, &vb);
	if (p == NULL)
		return 1;
value:
	if (DIGIT(*p) || *p == '-') {	/* most values: before the switch */
		if ((unsigned)tgt < npick ? fast_number(&p, e, &t->v[tgt]) :
		    fast_skip_number(&p, e))
			return 1;
		goto after;
	}
	switch (*p) {
	case '"':
		if ((q = plain_string(p + 1, e)) == NULL)
			return 1;
		p = q + 1;
		break;
	case 't':
	case 'n':
	case 'f':
		if (fast_literal(&p, e))
			return 1;
		break;
	case '{':
		if (d == FAST_DEPTH)
			return 1;
		cur = tgt == T_DEPTH ? C_DEPTH : tgt == T_BUY0 ? C_BUY0 :
		    tgt == T_SELL0 ? C_SELL0 : C_NONE;
		ctx[d++] = (unsigned char)cur;
		p++;
		goto object;
	case '[':
		if (d == FAST_DEPTH)
			return 1;
		c = tgt == T_BUY ? C_BUY : tgt == T_SELL ? C_SELL : C_NONE;
		cur = c | ARR;
		ctx[d++] = (unsigned char)cur;
		p++;
		FWS(p);
		if (*p == ']') {
			p++;
			goto close;
		}
		/* the first element of buy or sell is the best level */
		tgt = c == C_BUY ? T_BUY0 : c == C_SELL ? T_SELL0 : T_NONE;
		goto value;
	default:
		return 1;
	}
after:
	if (pend >= 0 && d == 1) {
		if (ls_record(t, pend, vb, p, 0))
			return 2;
		pend = -1;
	}
	FWS(p);
	if (*p == ',') {
		p++;
		FWS(p);
		if (!(cur & ARR))
			goto key;
		tgt = T_NONE;
		goto value;
	}
	if (*p != (cur & ARR ? ']' : '}'))
		return 1;
	p++;
close:
	if (--d > 0) {
		cur = ctx[d - 1];
		goto after;
	}
	WS(p);
	return p == e ? 0 : 1;
}
