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
 * rounded to the nearest double, ties to even.  q != 0; the result must
 * be a normal double (dec_exact's range is).
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

#define DIGIT(c) ((unsigned)((c) - '0') < 10u)

/*
 * A number at t->p that is not picked: only validated (the overflow
 * checks and the error messages are left to number_value).
 */
HOT int
number(struct st *t, int tgt)
{
	const char *p = t->p, *d;

	if (tgt >= 0 && tgt < KP_TK_N)
		return number_value(t, tgt);
	if (*p == '-')
		p++;
	d = p;
	if (!DIGIT(*p) || (*p == '0' && DIGIT(p[1])))
		return number_value(t, tgt);
	while (DIGIT(*p))
		p++;
	if (p - d > 18)
		return number_value(t, tgt);
	if (*p == '.') {
		p++;
		if (!DIGIT(*p))
			return number_value(t, tgt);
		while (DIGIT(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E')
		return number_value(t, tgt);
	t->p = p;
	return 0;
}

/*
 * A number at t->p, in full: validated as JSON and as jansson does
 * (int64 integers, reals that do not overflow); when tgt is a picked
 * member its value is stored there.  Relies on the NUL at s[n].
 */
static int
number_value(struct st *t, int tgt)
{
	const char *p = t->p, *start = p, *ip, *ie, *fp = NULL, *fe = NULL;
	const char *q;
	uint64_t m = 0;
	int neg = 0, isint = 1, ex = 0, exneg = 0, intd, x;
	struct kp_tickscan *js = t->js;
	double d;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	ip = p;
	if (!DIGIT(*p))
		return fail(t, start, "invalid number");
	if (*p == '0') {
		p++;
		if (DIGIT(*p))
			return fail(t, start, "invalid number (leading zero)");
	} else
		while (DIGIT(*p))
			p++;
	ie = p;
	if (*p == '.') {
		isint = 0;
		fp = ++p;
		if (!DIGIT(*p))
			return fail(t, p, "invalid number (digit expected)");
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
			return fail(t, p, "invalid number (digit expected)");
		for (; DIGIT(*p); p++)
			if (ex < 100000)
				ex = ex * 10 + (*p - '0');
		if (exneg)
			ex = -ex;
	}
	t->p = p;
	if (fp == NULL)
		fp = fe = ie;	/* no fraction: an empty one */
	intd = (int)(ie - ip);
	if (isint) {
		int64_t v;

		if (intd <= 18) {
			for (q = ip; q < ie; q++)
				m = m * 10 + (uint64_t)(*q - '0');
			v = neg ? -(int64_t)m : (int64_t)m;
		} else {
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
		errno = 0;
		d = strtod(start, NULL);
		if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
			return fail(t, start, "real number overflow");
	}
	if (tgt < 0 || tgt >= KP_TK_N)
		return 0;
	/* the significant digits: from the first nonzero one */
	q = ip;
	if (*ip == '0') {
		q = fp;
		while (q < fe && *q == '0')
			q++;
	}
	x = ex - (int)(fe - fp);
	if ((q < ie ? (ie - q) + (fe - fp) : fe - q) <= 19 && x >= -22 &&
	    x <= 22) {
		for (; q < ie; q++)
			m = m * 10 + (uint64_t)(*q - '0');
		if (q < fp)
			q = fp;
		for (; q < fe; q++)
			m = m * 10 + (uint64_t)(*q - '0');
		if (m > (1ull << 53))
			d = dec_exact(m, x);
#if FLT_EVAL_METHOD == 0
		/* exact m and 10^|x|: one correctly rounded operation */
		else
			d = x < 0 ? (double)m / pow10_exact[-x] :
			    (double)m * pow10_exact[x];
#else
		else
			d = fabs(strtod(start, NULL));
#endif
	} else
		d = fabs(strtod(start, NULL));
	js->kind[tgt] = KP_TV_REAL;
	js->num[tgt] = neg ? -d : d;
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
		case 2:
			return KEY(k, "oi") ? KP_TK_OI : T_NONE;
		case 5:
			return KEY(k, "close") ? KP_TK_CLOSE :
			    KEY(k, "depth") ? T_DEPTH : T_NONE;
		case 9:
			return KEY(k, "timestamp") ? KP_TK_TS : T_NONE;
		case 10:
			return KEY(k, "last_price") ? KP_TK_LAST_PRICE : T_NONE;
		case 13:
			return KEY(k, "volume_traded") ? KP_TK_VOLUME : T_NONE;
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
HOT int
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


/* Whitespace as JSON has it; the NUL at s[n] stops the loop. */
#define WS(p) do { \
	while (*(p) == ' ' || *(p) == '\n' || *(p) == '\r' || *(p) == '\t') \
		(p)++; \
} while (0)

/*
 * The parser keeps its position in a local p and relies on the NUL at
 * s[n]: a test for any other byte fails there, so only the branches that
 * report an error need to tell the end from a stray NUL.
 */
int
kp_tickscan_full(struct kp_tickscan *js, const char *s, size_t n)
{
	struct st t;
	const char *p = s, *e = s + n;
	int tgt = T_NONE;

	memset(js, 0, sizeof(*js));
	t.s = s;
	t.e = e;
	t.js = js;
	t.depth = 0;
	WS(p);
	if (*p != '{' && *p != '[')
		return fail(&t, p, "'{' or '[' expected");
	js->top = *p;
value:
	if (t.depth >= KP_TICKSCAN_MAX_DEPTH)
		return fail(&t, p, "nesting too deep");
	if (tgt >= 0 && tgt < KP_TK_N)
		js->kind[tgt] = KP_TV_NONE;
	switch (*p) {
	case '{':
		push(&t, '{', tgt);
		p++;
		WS(p);
		if (*p == '}') {
			p++;
			t.depth--;
			goto after;
		}
		goto key;
	case '[':
		push(&t, '[', tgt);
		p++;
		WS(p);
		if (*p == ']') {
			p++;
			t.depth--;
			goto after;
		}
		tgt = elem_target(&t);
		goto value;
	case '"': {
		const char *raw;
		size_t len;
		int esc;

		t.p = p;
		if (string(&t, &raw, &len, &esc) < 0)
			return -1;
		p = t.p;
		if (tgt == KP_TK_TS) {
			js->kind[tgt] = KP_TV_STR;
			js->str = raw;
			js->slen = len;
		}
		goto after;
	}
	case 't':
	case 'f':
	case 'n': {
		const char *w = *p == 't' ? "true" : *p == 'f' ? "false" :
		    "null";
		size_t k = strlen(w);

		if ((size_t)(e - p) < k || memcmp(p, w, k) != 0)
			return fail(&t, p, "invalid literal");
		p += k;
		goto after;
	}
	case '-': case '0': case '1': case '2': case '3': case '4': case '5':
	case '6': case '7': case '8': case '9':
		t.p = p;
		if (number(&t, tgt) < 0)
			return -1;
		p = t.p;
		goto after;
	default:
		return fail(&t, p, p >= e ? "unexpected end of line" :
		    "unexpected character");
	}
key:
	{
		const char *raw;
		size_t len;
		int esc, ctx = cur_ctx(&t);

		if (*p != '"')
			return fail(&t, p, p >= e ? "unexpected end of line" :
			    "string key expected");
		t.p = p;
		if (string(&t, &raw, &len, &esc) < 0)
			return -1;
		p = t.p;
		tgt = T_NONE;
		if (ctx != C_NONE) {
			char buf[32];

			if (!esc)
				tgt = key_target(ctx, raw, len);
			else if ((len = kp_tickscan_str(raw, len, buf,
			    sizeof(buf))) != (size_t)-1)
				tgt = key_target(ctx, buf, len);
			/* a later duplicate replaces what an earlier held */
			if (tgt == T_DEPTH)
				js->kind[KP_TK_BID] = js->kind[KP_TK_ASK] =
				    KP_TV_NONE;
			else if (tgt == T_BUY)
				js->kind[KP_TK_BID] = KP_TV_NONE;
			else if (tgt == T_SELL)
				js->kind[KP_TK_ASK] = KP_TV_NONE;
		}
		if (*p != ':') {
			WS(p);
			if (*p != ':')
				return fail(&t, p, p >= e ?
				    "unexpected end of line" : "':' expected");
		}
		p++;
		WS(p);
		goto value;
	}
after:
	WS(p);
	if (t.depth == 0) {
		if (p != e)
			return fail(&t, p, "end of line expected");
		return 0;
	}
	if (*p == ',') {
		p++;
		WS(p);
		if (!is_arr(&t))
			goto key;
		if (t.depth <= CTX_LEVELS)
			t.idx[t.depth - 1]++;
		tgt = elem_target(&t);
		goto value;
	}
	if (*p == (is_arr(&t) ? ']' : '}')) {
		p++;
		t.depth--;
		goto after;
	}
	return fail(&t, p, p >= e ? "unexpected end of line" : is_arr(&t) ?
	    "',' or ']' expected" : "',' or '}' expected");
}

/* The fast path ------------------------------------------------------ */

/*
 * kp_tickscan tries this first: the same scan for the lines ticks are
 * (an object; strings of printable ASCII without escapes; numbers
 * without exponents, integers of at most 18 digits, picked reals of at
 * most 19 significant digits; at most FAST_DEPTH levels), in tight
 * loops and with no state outside locals.  Anything else, errors
 * included, returns 1 before a decision, and kp_tickscan_full then scans
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
	while (p < e && !special[(unsigned char)*p])
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
 * A picked number at *pp, as number_value stores it, or 1 (the full
 * scanner decides).  Relies on the NUL at s[n].
 */
static int
fast_number(const char **pp, const char *e, struct kp_tickscan *js, int tgt)
{
	const char *p = *pp, *d;
	uint64_t m = 0;
	int neg = 0, sig = 0, x;
	double v;

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
		js->kind[tgt] = KP_TV_INT;
		js->i64[tgt] = neg ? -(int64_t)m : (int64_t)m;
		js->num[tgt] = (double)js->i64[tgt];
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
	v = m > (1ull << 53) ? dec_exact(m, x) : (double)m / pow10_exact[-x];
#else
	return 1;
#endif
	js->kind[tgt] = KP_TV_REAL;
	js->num[tgt] = neg ? -v : v;
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

static int
fast(struct kp_tickscan *js, const char *s, size_t n)
{
	const char *p = s, *e = s + n, *q;
	unsigned char ctx[FAST_DEPTH];
	int d, tgt, c, cur;	/* cur: ctx[d - 1], the open container */

	WS(p);
	if (*p != '{')
		return 1;
	js->top = '{';
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
	if (*p != '"' || (q = plain_string(p + 1, e)) == NULL)
		return 1;
	tgt = T_NONE;
	/* the lengths of the top-level keys picked (see key_target) */
#define TOP_LENS (1u << 2 | 1u << 5 | 1u << 9 | 1u << 10 | 1u << 13 | \
	1u << 16 | 1u << 17 | 1u << 18)
	if (cur == C_TOP ? q - p - 1 < 32 && (TOP_LENS >> (q - p - 1) & 1) :
	    cur != C_NONE) {
		tgt = key_target(cur, p + 1, (size_t)(q - p - 1));
		/* a later duplicate replaces what an earlier held */
		if ((unsigned)tgt < KP_TK_N)
			js->kind[tgt] = KP_TV_NONE;
		else if (tgt == T_DEPTH)
			js->kind[KP_TK_BID] = js->kind[KP_TK_ASK] = KP_TV_NONE;
		else if (tgt == T_BUY)
			js->kind[KP_TK_BID] = KP_TV_NONE;
		else if (tgt == T_SELL)
			js->kind[KP_TK_ASK] = KP_TV_NONE;
	}
	p = q + 1;
	if (*p != ':') {
		WS(p);
		if (*p != ':')
			return 1;
	}
	p++;
	FWS(p);
value:
	/* (a picked member was reset at its key: array elements never are) */
	if (DIGIT(*p) || *p == '-') {	/* most values: before the switch */
		if ((unsigned)tgt < KP_TK_N ? fast_number(&p, e, js, tgt) :
		    fast_skip_number(&p, e))
			return 1;
		goto after;
	}
	switch (*p) {
	case '"':
		if ((q = plain_string(p + 1, e)) == NULL)
			return 1;
		if (tgt == KP_TK_TS) {
			js->kind[tgt] = KP_TV_STR;
			js->str = p + 1;
			js->slen = (size_t)(q - p - 1);
		}
		p = q + 1;
		break;
	case 't':
	case 'n':
	case 'f':
		/* true, null, false: 4 bytes as a word, and false's 'e' */
		{
			uint32_t w, t4, n4, f4;

			memcpy(&t4, "true", 4);
			memcpy(&n4, "null", 4);
			memcpy(&f4, "fals", 4);
			c = *p == 'f';
			if (e - p < 4 + c)
				return 1;
			memcpy(&w, p, 4);
			if (w != (*p == 't' ? t4 : *p == 'n' ? n4 : f4) ||
			    (c && p[4] != 'e'))
				return 1;
			p += 4 + c;
		}
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

int
kp_tickscan(struct kp_tickscan *js, const char *s, size_t n)
{
	/* num and i64 are only read where kind says (kp_tickscan.h) */
	memset(js->kind, 0, sizeof(js->kind));
	js->top = 0;
	js->str = NULL;
	js->slen = 0;
	js->err = NULL;
	js->col = 0;
	if (fast(js, s, n) == 0)
		return 0;
	return kp_tickscan_full(js, s, n);
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
