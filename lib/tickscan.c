/*
 * tickscan.c: validate one NDJSON line and pick out a tick's few members
 * in a single pass, with no tree and no allocation.  See kp_tickscan.h.
 *
 * An iterative parser: one byte per open container (object or array) up
 * to KP_TICKSCAN_MAX_DEPTH, and for the first levels a context telling
 * whether the container is the top object, its "depth" object, a
 * buy/sell array or that array's first element, which decides where a
 * number is stored.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kp_tickscan.h"
#include "pow5.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

__extension__ typedef unsigned __int128 u128;

/* where the next value goes (targets) and what a container is (ctx) */
enum {
	T_NONE = -1,
	/* 0 .. KP_TK_N - 1: a picked member */
	T_DEPTH = KP_TK_N, T_BUY, T_SELL, T_BUY0, T_SELL0
};
enum { C_NONE, C_TOP, C_DEPTH, C_BUY, C_SELL, C_BUY0, C_SELL0 };
#define CTX_LEVELS 8

struct st {
	const char *s, *p, *e;
	struct kp_tickscan *js;
	int depth;
	unsigned char arr[KP_TICKSCAN_MAX_DEPTH];	/* 1: array */
	unsigned char ctx[CTX_LEVELS];
	size_t idx[CTX_LEVELS];			/* array element index */
};

/* 1: byte ends a run of plain string bytes */
static const unsigned char special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

static int
fail(struct st *t, const char *at, const char *what)
{
	t->js->err = what;
	t->js->col = (size_t)(at - t->s) + 1;
	return -1;
}

static void
ws_skip(struct st *t)
{
	while (t->p < t->e && (*t->p == ' ' || *t->p == '\t' ||
	    *t->p == '\n' || *t->p == '\r'))
		t->p++;
}

/* Most tokens follow no whitespace: one test before the loop. */
static inline void
ws(struct st *t)
{
	if (t->p < t->e && (unsigned char)*t->p <= ' ')
		ws_skip(t);
}

static int
hex4(const char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		unsigned c = (unsigned char)p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* One UTF-8 sequence at p (first byte >= 0x80): its length, or 0. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *e)
{
	unsigned c = p[0], v;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, v = c & 0x07;
	else
		return 0;
	if ((size_t)(e - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	return n;
}

/*
 * A string at t->p (on its '"'): validate it, leave t->p past the
 * closing quote, return its raw content in *raw, *n and whether it has
 * escapes in *esc.
 */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

HOT int
string(struct st *t, const char **raw, size_t *n, int *esc)
{
	const char *p = t->p + 1, *e = t->e;

	*raw = p;
	*esc = 0;
	for (;;) {
		unsigned c;

#if defined(__SSE2__)
		/* 16 bytes at a time: '"', '\\', < 0x20 or >= 0x80 */
		while (e - p >= 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const
			    void *)p);
			__m128i hit = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
			    _mm_cmplt_epi8(_mm_xor_si128(x,
			    _mm_set1_epi8((char)0x80)), _mm_set1_epi8(-96)));
			unsigned mask = (unsigned)_mm_movemask_epi8(
			    _mm_or_si128(hit, x));

			if (mask != 0) {
				p += __builtin_ctz(mask);
				break;
			}
			p += 16;
		}
#endif
		while (p < e && !special[(unsigned char)*p])
			p++;
		if (p >= e)
			return fail(t, p, "unterminated string");
		c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(t, p, "control character in string");
		if (c >= 0x80) {
			size_t k = utf8_len((const unsigned char *)p,
			    (const unsigned char *)e);

			if (k == 0)
				return fail(t, p, "invalid UTF-8");
			p += k;
			continue;
		}
		/* a backslash */
		*esc = 1;
		if (p + 1 >= e)
			return fail(t, p, "unterminated string");
		if (p[1] != 'u') {
			if (p[1] == '\0' || strchr("\"\\/bfnrt", p[1]) == NULL)
				return fail(t, p, "invalid escape");
			p += 2;
			continue;
		}
		{
			unsigned v, w;

			if (e - p < 6 || hex4(p + 2, &v) < 0)
				return fail(t, p, "invalid \\u escape");
			if (v == 0)
				return fail(t, p, "\\u0000 not allowed");
			if (v >= 0xdc00 && v <= 0xdfff)
				return fail(t, p, "lone low surrogate");
			if (v >= 0xd800 && v <= 0xdbff) {
				if (e - p < 12 || p[6] != '\\' || p[7] != 'u' ||
				    hex4(p + 8, &w) < 0 || w < 0xdc00 ||
				    w > 0xdfff)
					return fail(t, p, "lone high surrogate");
				p += 6;
			}
			p += 6;
		}
	}
	*n = (size_t)(p - *raw);
	t->p = p + 1;
	return 0;
}

static const double pow10_exact[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/*
 * A number at t->p.  Validate it as JSON and as jansson does (int64
 * integers, reals that do not overflow); when tgt is a picked member,
 * store its value there.
 */
static int number_value(struct st *t, int tgt);

/*
 * q (plus a sticky bit for a nonzero remainder below it) times 2^e2,
 * rounded to the nearest double, ties to even.  q != 0; the result is
 * normal.
 */
static double
round_u128(u128 q, int sticky, int e2)
{
	int len = 128 - (int)(q >> 64 ? (unsigned)__builtin_clzll(
	    (uint64_t)(q >> 64)) : 64u + (unsigned)__builtin_clzll(
	    (uint64_t)q));
	int sh = len - 53;
	uint64_t mant;

	if (sh <= 0)
		return ldexp((double)(uint64_t)q, e2);
	{
		u128 rest = q & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);

		mant = (uint64_t)(q >> sh);
		if (rest > half || (rest == half && (sticky || (mant & 1))))
			mant++;
	}
	return ldexp((double)mant, e2 + sh);	/* 2^53 is exact too */
}

/*
 * m * 10^x correctly rounded, m < 10^19 (m > 2^53: the quick path
 * takes the rest), -22 <= x <= 22, in exact 128-bit integers: for
 * x >= 0 the product m * 5^x, for x < 0 the quotient (m * 2^64) / 5^-x
 * with its remainder as the sticky bit; the power of two goes into the
 * exponent.
 */
static double
dec_exact(uint64_t m, int x)
{
	u128 n;

	if (m == 0)
		return 0;
	if (x >= 0)
		return round_u128((u128)m * kp_pow5_64[x], 0, x);
	n = (u128)m << 64;
	return round_u128(n / kp_pow5_64[-x], n % kp_pow5_64[-x] != 0, x - 64);
}

/*
 * A number at t->p that is not picked: only validated (the overflow
 * checks fall back to the full path).
 */
HOT int
number(struct st *t, int tgt)
{
	const char *p = t->p, *e = t->e, *d;
	int ex = 0;

	if (tgt >= 0 && tgt < KP_TK_N)
		return number_value(t, tgt);
	if (*p == '-')
		p++;
	d = p;
	if (p >= e || *p < '0' || *p > '9' || (*p == '0' && p + 1 < e &&
	    p[1] >= '0' && p[1] <= '9'))
		return number_value(t, tgt);	/* for its message */
	while (p < e && *p >= '0' && *p <= '9')
		p++;
	if (p - d > 18)
		return number_value(t, tgt);
	if (p < e && *p == '.') {
		p++;
		if (p >= e || *p < '0' || *p > '9')
			return number_value(t, tgt);
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return number_value(t, tgt);
		for (; p < e && *p >= '0' && *p <= '9'; p++)
			if (ex < 100000)
				ex = ex * 10 + (*p - '0');
		if (ex > DBL_MAX_10_EXP - 19)
			return number_value(t, tgt);
	}
	t->p = p;
	return 0;
}

static int
number_value(struct st *t, int tgt)
{
	const char *p = t->p, *e = t->e, *start = p;
	uint64_t m = 0;
	int neg = 0, isint = 1, sig = 0, frac = 0, ex = 0, exneg = 0;
	int intd = 0;
	struct kp_tickscan *js = t->js;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p >= e || *p < '0' || *p > '9')
		return fail(t, start, "invalid number");
	if (*p == '0') {
		p++;
		intd = 1;
		if (p < e && *p >= '0' && *p <= '9')
			return fail(t, start, "invalid number (leading zero)");
	} else
		for (; p < e && *p >= '0' && *p <= '9'; p++, intd++)
			if (sig < 19 && (sig > 0 || *p != '0')) {
				m = m * 10 + (uint64_t)(*p - '0');
				sig++;
			} else if (sig >= 19)
				sig++;
	if (p < e && *p == '.') {
		isint = 0;
		p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(t, p, "invalid number (digit expected)");
		for (; p < e && *p >= '0' && *p <= '9'; p++) {
			if (sig < 19 && (sig > 0 || *p != '0')) {
				m = m * 10 + (uint64_t)(*p - '0');
				sig++;
			} else if (sig >= 19)
				sig++;
			frac++;
		}
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		isint = 0;
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			exneg = *p++ == '-';
		if (p >= e || *p < '0' || *p > '9')
			return fail(t, p, "invalid number (digit expected)");
		for (; p < e && *p >= '0' && *p <= '9'; p++)
			if (ex < 100000)
				ex = ex * 10 + (*p - '0');
		if (exneg)
			ex = -ex;
	}
	t->p = p;
	if (isint) {
		int64_t v;

		if (intd <= 18)
			v = neg ? -(int64_t)m : (int64_t)m;
		else {
			errno = 0;
			v = strtoll(start, NULL, 10);
			if (errno == ERANGE)
				return fail(t, start, neg ?
				    "too big negative integer" :
				    "too big integer");
		}
		if (tgt >= 0 && tgt < KP_TK_N) {
			js->kind[tgt] = KP_TV_INT;
			js->i64[tgt] = v;
			js->num[tgt] = (double)v;
		}
		return 0;
	}
	/* |value| < 10^(intd + ex): only then can it not overflow */
	if (intd + ex > DBL_MAX_10_EXP) {
		double d;

		errno = 0;
		d = strtod(start, NULL);
		if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
			return fail(t, start, "real number overflow");
	}
	if (tgt >= 0 && tgt < KP_TK_N) {
		double d;
		int x = ex - frac;

#if FLT_EVAL_METHOD == 0
		/* exact m and 10^|x|: one correctly rounded operation */
		if (sig <= 19 && m <= (1ull << 53) && x >= -22 && x <= 22)
			d = x < 0 ? (double)m / pow10_exact[-x] :
			    (double)m * pow10_exact[x];
		else
#endif
		if (sig <= 19 && x >= -22 && x <= 22)
			d = dec_exact(m, x);
		else
			d = fabs(strtod(start, NULL));
		js->kind[tgt] = KP_TV_REAL;
		js->num[tgt] = neg ? -d : d;
	}
	return 0;
}

#define KEY(k, lit) (memcmp(k, lit, sizeof(lit) - 1) == 0)

/* Which member a key names in a context (T_NONE: none we pick). */
HOT int
key_target(int ctx, const char *k, size_t n)
{
	switch (ctx) {
	case C_TOP:
		switch (n) {
		case 5:
			return KEY(k, "close") ? KP_TK_CLOSE :
			    KEY(k, "depth") ? T_DEPTH : T_NONE;
		case 9:
			return KEY(k, "timestamp") ? KP_TK_TS : T_NONE;
		case 10:
			return KEY(k, "last_price") ? KP_TK_LAST_PRICE : T_NONE;
		case 16:
			return KEY(k, "instrument_token") ? KP_TK_TOKEN :
			    T_NONE;
		case 17:
			return KEY(k, "receive_timestamp") ? KP_TK_RECV_TS :
			    T_NONE;
		case 18:
			return KEY(k, "exchange_timestamp") ? KP_TK_EXCH_TS :
			    T_NONE;
		default:
			return T_NONE;
		}
	case C_DEPTH:
		return n == 3 && KEY(k, "buy") ? T_BUY : n == 4 &&
		    KEY(k, "sell") ? T_SELL : T_NONE;
	case C_BUY0:
		return n == 5 && KEY(k, "price") ? KP_TK_BID : T_NONE;
	case C_SELL0:
		return n == 5 && KEY(k, "price") ? KP_TK_ASK : T_NONE;
	default:
		return T_NONE;
	}
}

static int
cur_ctx(const struct st *t)
{
	return t->depth >= 1 && t->depth <= CTX_LEVELS ?
	    t->ctx[t->depth - 1] : C_NONE;
}

/* Open a container of kind c ('{' or '[') for target tgt. */
static int
push(struct st *t, int c, int tgt)
{
	int ctx = C_NONE, d = t->depth;

	if (c == '{')
		ctx = d == 0 ? C_TOP : tgt == T_DEPTH ? C_DEPTH :
		    tgt == T_BUY0 ? C_BUY0 : tgt == T_SELL0 ? C_SELL0 : C_NONE;
	else
		ctx = tgt == T_BUY ? C_BUY : tgt == T_SELL ? C_SELL : C_NONE;
	t->arr[d] = c == '[';
	if (d < CTX_LEVELS) {
		t->ctx[d] = (unsigned char)ctx;
		t->idx[d] = 0;
	}
	t->depth = d + 1;
	return 0;
}

static int
is_arr(const struct st *t)
{
	return t->arr[t->depth - 1];
}

/* Target of the next element of the current array. */
static int
elem_target(const struct st *t)
{
	int ctx = cur_ctx(t);
	size_t i = t->depth <= CTX_LEVELS ? t->idx[t->depth - 1] : 1;

	if (i != 0)
		return T_NONE;
	return ctx == C_BUY ? T_BUY0 : ctx == C_SELL ? T_SELL0 : T_NONE;
}

static int
literal(struct st *t, const char *w, size_t n)
{
	if ((size_t)(t->e - t->p) < n || memcmp(t->p, w, n) != 0)
		return fail(t, t->p, "invalid literal");
	t->p += n;
	return 0;
}

int
kp_tickscan(struct kp_tickscan *js, const char *s, size_t n)
{
	struct st t;
	int tgt = T_NONE;

	memset(js, 0, sizeof(*js));
	t.s = t.p = s;
	t.e = s + n;
	t.js = js;
	t.depth = 0;
	ws(&t);
	if (t.p >= t.e || (*t.p != '{' && *t.p != '['))
		return fail(&t, t.p, "'{' or '[' expected");
	js->top = *t.p;
value:
	if (t.p >= t.e)
		return fail(&t, t.p, "value expected");
	if (t.depth + 1 > KP_TICKSCAN_MAX_DEPTH)
		return fail(&t, t.p, "nesting too deep");
	if (tgt >= 0 && tgt < KP_TK_N)
		js->kind[tgt] = KP_TV_NONE;
	switch (*t.p) {
	case '{':
		push(&t, '{', tgt);
		t.p++;
		ws(&t);
		if (t.p < t.e && *t.p == '}') {
			t.p++;
			t.depth--;
			goto after;
		}
		goto key;
	case '[':
		push(&t, '[', tgt);
		t.p++;
		ws(&t);
		if (t.p < t.e && *t.p == ']') {
			t.p++;
			t.depth--;
			goto after;
		}
		tgt = elem_target(&t);
		goto value;
	case '"': {
		const char *raw;
		size_t len;
		int esc;

		if (string(&t, &raw, &len, &esc) < 0)
			return -1;
		if (tgt == KP_TK_TS) {
			js->kind[tgt] = KP_TV_STR;
			js->str = raw;
			js->slen = len;
		}
		goto after;
	}
	case 't':
		if (literal(&t, "true", 4) < 0)
			return -1;
		goto after;
	case 'f':
		if (literal(&t, "false", 5) < 0)
			return -1;
		goto after;
	case 'n':
		if (literal(&t, "null", 4) < 0)
			return -1;
		goto after;
	default:
		if (*t.p != '-' && (*t.p < '0' || *t.p > '9'))
			return fail(&t, t.p, "unexpected character");
		if (number(&t, tgt) < 0)
			return -1;
		goto after;
	}
key:
	{
		const char *raw;
		size_t len;
		int esc, ctx = cur_ctx(&t);

		if (t.p >= t.e || *t.p != '"')
			return fail(&t, t.p, "string key expected");
		if (string(&t, &raw, &len, &esc) < 0)
			return -1;
		tgt = T_NONE;
		if (ctx != C_NONE) {
			char buf[32];

			if (!esc)
				tgt = key_target(ctx, raw, len);
			else if ((len = kp_tickscan_str(raw, len, buf,
			    sizeof(buf))) != (size_t)-1)
				tgt = key_target(ctx, buf, len);
		}
		/* a later duplicate replaces what an earlier one held */
		if (tgt == T_DEPTH)
			js->kind[KP_TK_BID] = js->kind[KP_TK_ASK] = KP_TV_NONE;
		else if (tgt == T_BUY)
			js->kind[KP_TK_BID] = KP_TV_NONE;
		else if (tgt == T_SELL)
			js->kind[KP_TK_ASK] = KP_TV_NONE;
		ws(&t);
		if (t.p >= t.e || *t.p != ':')
			return fail(&t, t.p, "':' expected");
		t.p++;
		ws(&t);
		goto value;
	}
after:
	ws(&t);
	if (t.depth == 0) {
		if (t.p != t.e)
			return fail(&t, t.p, "end of line expected");
		return 0;
	}
	if (t.p >= t.e)
		return fail(&t, t.p, "unexpected end of line");
	if (*t.p == ',') {
		t.p++;
		ws(&t);
		if (!is_arr(&t))
			goto key;
		if (t.depth <= CTX_LEVELS)
			t.idx[t.depth - 1]++;
		tgt = elem_target(&t);
		goto value;
	}
	if (*t.p == (is_arr(&t) ? ']' : '}')) {
		t.p++;
		t.depth--;
		goto after;
	}
	return fail(&t, t.p, is_arr(&t) ? "',' or ']' expected" :
	    "',' or '}' expected");
}

/* Append code point v as UTF-8: the lead byte, then 6 bits a byte. */
static size_t
put_utf8(char *d, unsigned v)
{
	static const unsigned char lead[5] = { 0, 0, 0xc0, 0xe0, 0xf0 };
	size_t n = v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4, i;

	if (n == 1) {
		d[0] = (char)v;
		return 1;
	}
	for (i = n - 1; i > 0; i--) {
		d[i] = (char)(0x80 | (v & 0x3f));
		v >>= 6;
	}
	d[0] = (char)(lead[n] | v);
	return n;
}

size_t
kp_tickscan_str(const char *raw, size_t n, char *dst, size_t cap)
{
	const char *p = raw, *e = raw + n;
	size_t o = 0;

	while (p < e) {
		char tmp[4];
		size_t k = 1;
		unsigned v, w;

		if (*p != '\\') {
			tmp[0] = *p++;
		} else {
			/* the one-letter escapes map by position */
			static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
			const char *q = memchr(from, p[1], 5);

			if (p[1] != 'u') {
				tmp[0] = q != NULL ? to[q - from] : p[1];
			} else {
				(void)hex4(p + 2, &v);
				if (v >= 0xd800 && v <= 0xdbff) {
					(void)hex4(p + 8, &w);
					v = 0x10000 + ((v - 0xd800) << 10) +
					    (w - 0xdc00);
					p += 6;
				}
				k = put_utf8(tmp, v);
				p += 4;
			}
			p += 2;
		}
		if (o + k >= cap) {
			dst[o] = '\0';
			return (size_t)-1;
		}
		memcpy(dst + o, tmp, k);
		o += k;
	}
	dst[o] = '\0';
	return o;
}
