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

/*
 * Whitespace, tested with one compare when there is none; skipped out
 * of line (tick lines have none, and a loop here would be aligned with
 * padding the scan then runs through).
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static const char *
ws_skip(const char *p)
{
	WS(p);
	return p;
}
#define FWS(p) do { \
	if ((unsigned char)*(p) <= ' ') \
		(p) = ws_skip(p); \
} while (0)

#if defined(__SSE2__)
/*
 * The vector constants, set once a line (the compiler keeps them in
 * registers, rather than loading them at each string or number).
 */
struct vk {
	__m128i quote, bslash, space, dig0, dig9;
};

HOT void
vk_init(struct vk *k)
{
	k->quote = _mm_set1_epi8('"');
	k->bslash = _mm_set1_epi8('\\');
	k->space = _mm_set1_epi8(0x20);
	k->dig0 = _mm_set1_epi8((char)('0' + 128));
	k->dig9 = _mm_set1_epi8(-118);
#if defined(__GNUC__)
	/* opaque: kept in registers, not reloaded from the constant pool */
	__asm__("" : "+x"(k->quote), "+x"(k->bslash), "+x"(k->space),
	    "+x"(k->dig0), "+x"(k->dig9));
#endif
}
#define VK const struct vk *k,
#define VKA k,
#define VK_SETUP struct vk vk_, *k = &vk_; vk_init(k)
#else
#define VK
#define VKA
#define VK_SETUP do { } while (0)
#endif

/*
 * The closing quote of a plain string whose body starts at p (only
 * bytes 0x20-0x7f but '"' and '\\'), or NULL for anything else.
 */
HOT const char *
plain_string(VK const char *p, const char *e)
{
#if defined(__SSE2__)
	while (e - p >= 16) {
		/* as signed bytes, < 0x20 is a control byte or >= 0x80 */
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, k->quote),
		    _mm_cmpeq_epi8(x, k->bslash)), _mm_cmplt_epi8(x,
		    k->space)));

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
 * A picked number at *pp, as kp_ls_number stores it (its kind, the
 * exact integer, the value), or 1 (the full scanner decides).  Relies on
 * the NUL at s[n].
 */
HOT int
fast_number(const char **pp, const char *e, unsigned char *kind,
    int64_t *i64, double *num)
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
		*kind = KP_JN_INT;
		*i64 = neg ? -(int64_t)m : (int64_t)m;
		*num = (double)*i64;
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
	*kind = KP_JN_REAL;
	*num = neg ? -r : r;
	*pp = p;
	return 0;
}

/* p past the run of digits at p: 16 bytes at a time while 16 are left. */
HOT const char *
skip_digits(VK const char *p, const char *e)
{
#if defined(__SSE2__)
	while (e - p >= 16) {
		/* '0'..'9' shifted to -128..-119: the only bytes below -118 */
		__m128i x = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const
		    void *)p), k->dig0);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(x,
		    k->dig9)) ^ 0xffffu;

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
fast_skip_number(VK const char **pp, const char *e)
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
		p = skip_digits(VKA p, e);
		if (p == d || p - d > 18)
			return 1;
	}
	if (*p == '.') {
		p++;
		if (!DIGIT(*p))
			return 1;
		p = skip_digits(VKA p, e);
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

/* The targets whose numbers are read: fields, then best prices. */
HOT unsigned
fast_npick(const struct ls *t, const unsigned fl)
{
	return (fl & KP_LS_VALUES) ? (unsigned)t->nf +
	    (fl & KP_LS_BEST ? 2 : 0) : 0;
}

/* After a key, at p: the ':', and where the value starts; or NULL. */
HOT const char *
fast_colon(const char *p)
{
	if (*p != ':') {
		FWS(p);
		if (*p != ':')
			return NULL;
	}
	p++;
	FWS(p);
	return p;
}

/*
 * The target of a key k of n bytes in context cur: a table field at the
 * top ("depth" too with KP_LS_BEST, which may share its length with a
 * field), else what ls_target says; a best price's earlier value reset.
 */
HOT int
fast_target(struct ls *t, const unsigned fl, int cur, const char *k,
    size_t n)
{
	const struct kp_jfields *tb = t->t;
	int tgt;

	if (cur == C_TOP) {
		if (n < 64 && tb->bylen[n] != 0) {
			tgt = ls_top(tb, k, n);
			if ((fl & KP_LS_BEST) && tgt < 0 && n == 5 &&
			    KEY(k, "depth"))
				tgt = T_DEPTH;
		} else if ((fl & KP_LS_BEST) && n == 5 && KEY(k, "depth"))
			tgt = T_DEPTH;
		else
			tgt = T_NONE;
		if ((fl & KP_LS_BEST) && tgt == T_DEPTH)
			ls_reset(t, tgt);
		return tgt;
	}
	if ((fl & KP_LS_BEST) && cur != C_NONE) {
		tgt = ls_target(t, fl, cur, k, n);
		ls_reset(t, tgt);
		return tgt;
	}
	return T_NONE;
}

/* A top-level field's value (tgt < t->n), recorded: 1 when the quick
 * tail is due. */
HOT int
pick(struct ls *t, const unsigned fl, int tgt, int type, const char *b,
    size_t len)
{
	return (unsigned)tgt < (unsigned)t->nf && ls_put(t, fl, tgt, type, b,
	    len);
}

/*
 * The number at *pp for tgt: skipped, or its value read (npick: the
 * targets whose values are), into the columns with KP_LS_COLS; a field
 * recorded.  0, 1 (the general scanner decides) or 2 (quick tail due).
 */
HOT int
fast_num(VK struct ls *t, const unsigned fl, unsigned npick, int tgt,
    const char **pp)
{
	const char *b = *pp, *e = t->e;

	if ((unsigned)tgt >= npick) {
		if (fast_skip_number(VKA pp, e))
			return 1;
		if (fl & KP_LS_VALUES)	/* npick >= t->n: not a field */
			return 0;
	} else if (fl & KP_LS_COLS) {
		/* straight into the caller's columns */
		unsigned char kd;
		int64_t iv = 0;
		double dv;

		if (fast_number(pp, e, &kd, &iv, &dv))
			return 1;
		t->ckind[tgt] = kd;
		t->cnum[tgt] = dv;
		t->ci64[tgt] = iv;
		return 0;
	} else {
		if (fast_number(pp, e, &t->v[tgt].nkind, &t->v[tgt].i64,
		    &t->v[tgt].num))
			return 1;
		t->v[tgt].type = KP_J_NUMBER;
		if (fl & KP_LS_BEST)	/* a best price's too */
			t->have |= (uint64_t)1 << tgt;
	}
	return pick(t, fl, tgt, KP_J_NUMBER, b, (size_t)(*pp - b)) ? 2 : 0;
}

/* The context of a container opened for tgt (an array: arr). */
HOT int
fast_ctx(int tgt, int arr)
{
	if (arr)
		return (tgt == T_BUY ? C_BUY : tgt == T_SELL ? C_SELL :
		    C_NONE) | ARR;
	return tgt == T_DEPTH ? C_DEPTH : tgt == T_BUY0 ? C_BUY0 :
	    tgt == T_SELL0 ? C_SELL0 : C_NONE;
}

/* The picked top-level container that ends at p, recorded: 1 when the
 * quick tail is due. */
HOT int
fast_close(struct ls *t, const unsigned fl, const char *p)
{
	int f = t->pend;

	t->pend = -1;
	return ls_put(t, fl, f, *t->cb == '{' ? KP_J_OBJECT : KP_J_ARRAY,
	    t->cb, (size_t)(p - t->cb));
}

/*
 * 0: done, 1: the general scanner decides, 2: the quick tail is due.
 * (A picked best price is reset at its key: array elements never are.)
 * fl: t->flags' KP_LS_QUICK, KP_LS_VALUES and KP_LS_BEST, a constant
 * where kp_linescan_cols instantiates it.
 */
HOT int
fast(struct ls *t, struct kp_lsres *r, const unsigned fl)
{
	const char *p = t->s, *e = t->e, *q, *vb;
	unsigned char ctx[FAST_DEPTH];
	int d = 1, tgt, c, cur;	/* cur: ctx[d - 1], the open container */
	int arr = 0;		/* cur & ARR */
	unsigned npick = fast_npick(t, fl);
	VK_SETUP;

	WS(p);
	if (*p != '{')
		return 1;
	r->top = '{';
	ctx[0] = cur = C_TOP;
	p++;
object:
	FWS(p);
	if (*p == '}') {
		p++;
		goto close;
	}
key:
	if (*p != '"' || (q = plain_string(VKA p + 1, e)) == NULL)
		return 1;
	tgt = fast_target(t, fl, cur, p + 1, (size_t)(q - p - 1));
	if ((p = fast_colon(q + 1)) == NULL)
		return 1;
value:
	if (DIGIT(*p) || *p == '-') {	/* most values: before the switch */
		if ((c = fast_num(VKA t, fl, npick, tgt, &p)) != 0)
			return c;
		goto after;
	}
	vb = p;
	switch (*p) {
	case '"':
		if ((q = plain_string(VKA p + 1, e)) == NULL)
			return 1;
		p = q + 1;
		if (pick(t, fl, tgt, KP_J_STRING, vb + 1, (size_t)(q - vb - 1)))
			return 2;
		break;
	case 't':
	case 'n':
	case 'f':
		if (fast_literal(&p, e))
			return 1;
		if (pick(t, fl, tgt, *vb == 't' ? KP_J_TRUE : *vb == 'f' ?
		    KP_J_FALSE : KP_J_NULL, vb, (size_t)(p - vb)))
			return 2;
		break;
	case '{':
	case '[':
		if (d == FAST_DEPTH)
			return 1;
		if ((unsigned)tgt < (unsigned)t->nf) {	/* recorded at its close */
			t->pend = tgt;
			t->cb = p;
		}
		arr = *p++ == '[';
		cur = fast_ctx(tgt, arr);
		ctx[d++] = (unsigned char)cur;
		if (!arr)
			goto object;
		FWS(p);
		if (*p == ']') {
			p++;
			goto close;
		}
		/* the first element of buy or sell is the best level */
		tgt = cur == (C_BUY | ARR) ? T_BUY0 : cur == (C_SELL | ARR) ?
		    T_SELL0 : T_NONE;
		goto value;
	default:
		return 1;
	}
after:
	FWS(p);
	if (*p == ',') {
		p++;
		FWS(p);
		if (!arr)
			goto key;
		tgt = T_NONE;
		goto value;
	}
	if (*p != (arr ? ']' : '}'))
		return 1;
	p++;
close:
	if (--d > 0) {
		cur = ctx[d - 1];
		arr = cur & ARR;
		if (d == 1 && t->pend >= 0 && fast_close(t, fl, p))
			return 2;
		goto after;
	}
	FWS(p);
	return p == e ? 0 : 1;
}

/*
 * kp_linescan's driver: the fast path, instantiated for the usual flags,
 * then kp_ls_rest for what it leaves.
 */
int
kp_linescan_cols(const char *s, size_t n, const struct kp_jfields *tb,
    struct kp_jval *v, const struct kp_jcols *c, unsigned flags,
    struct kp_lsres *r)
{
	struct ls l, *t = &l;
	int rc = 1, i;

	if (c != NULL) {
		l.ckind = c->kind;
		l.cnum = c->num;
		l.ci64 = c->i64;
	}
	l.s = s;
	l.e = s + n;
	l.t = tb;
	l.v = v;
	/* KP_LS_BEST implies KP_LS_VALUES */
	l.flags = flags | (flags & KP_LS_BEST) / (KP_LS_BEST / KP_LS_VALUES);
	l.nf = (int)tb->n;
	l.bid = (flags & KP_LS_BEST) ? l.nf : -2;
	l.have = 0;
	l.pend = -1;
	if (flags & KP_LS_QUICK)
		l.all = ((uint64_t)1 << l.nf) - 1;
	r->top = 0;
	if (!(flags & KP_LS_SEEN))
		for (i = 0; i < l.nf + (l.bid >= 0 ? 2 : 0); i++)
			v[i].type = KP_J_ABSENT;
	if (!(flags & KP_LS_SLOW)) {
		switch (l.flags & (KP_LS_QUICK | KP_LS_VALUES | KP_LS_BEST |
		    KP_LS_COLS | KP_LS_SEEN)) {
		case 0:
			rc = fast(t, r, 0);
			break;
		case KP_LS_QUICK:
			rc = fast(t, r, KP_LS_QUICK);
			break;
		case KP_LS_VALUES:
			rc = fast(t, r, KP_LS_VALUES);
			break;
		case KP_LS_VALUES | KP_LS_BEST | KP_LS_COLS | KP_LS_SEEN:
			rc = fast(t, r, KP_LS_VALUES | KP_LS_BEST |
			    KP_LS_COLS);
			break;
		default:
			rc = fast(t, r, l.flags);
			break;
		}
	}
	if (rc == 0) {
		r->seen = l.have;
		return 0;
	}
	return kp_ls_rest(t, r, rc);
}
