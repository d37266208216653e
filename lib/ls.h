/* ls.h: the internals lib/linescan.c, lsfast.c and lsnum.c share. */
/* SPDX-License-Identifier: MIT */
#ifndef KP_LS_H
#define KP_LS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kp_linescan.h"

#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

/* Errors: one code, worded by kp_linescan for the flags. */
enum {
	E_UNTERM = 1, E_CTRL, E_UTF8, E_ESC, E_UESC, E_U0, E_LOW, E_HIGH,
	E_NUM, E_LEAD0, E_DIGIT, E_BIGINT, E_BIGNEG, E_RANGE, E_LITERAL,
	E_VEOL, E_VCHAR, E_KEY, E_KEOL, E_COLON, E_CEOL,
	E_COMMA_OBJ, E_COMMA_ARR,	/* in this order: + 1 for an array */
	E_AEOL_OBJ, E_AEOL_ARR,		/* the same */
	E_END, E_TOP, E_EMPTY, E_DEEP, E_TAIL, E_N
};

/*
 * Targets (where the next value goes): 0 .. t->n - 1 a table field,
 * then the two best prices of KP_LS_BEST; the rest steer the contexts.
 */
enum {
	T_NONE = -1,
	T_DEPTH = KP_JFIELDS_MAX + 2, T_BUY, T_SELL, T_BUY0, T_SELL0
};
/* What a container is: ctx. */
enum { C_NONE, C_TOP, C_DEPTH, C_BUY, C_SELL, C_BUY0, C_SELL0 };
#define CTX_LEVELS 8

struct ls {
	const char *s, *e;
	const struct kp_jfields *t;
	struct kp_jval *v;
	unsigned flags;
	int code;			/* on error: E_* */
	const char *at;			/* and where */
	int nf;				/* t->n */
	int bid;			/* KP_LS_BEST: t->n, else -2 */
	uint64_t have;			/* bit k: v[k] filled (but bests:
					 * the fast path's only) */
	uint64_t all;			/* bits 0 .. t->n - 1 */
	unsigned char *ckind;		/* KP_LS_COLS: struct kp_jcols */
	double *cnum;
	int64_t *ci64;
	int pend;			/* lsfast.c: a top-level container */
	const char *cb;			/* picked, and where it began */
};

#define DIGIT(c) ((unsigned)((c) - '0') < 10u)

/* Whitespace as JSON has it; the NUL at s[n] stops the loop. */
#define WS(p) do { \
	while (*(p) == ' ' || *(p) == '\n' || *(p) == '\r' || *(p) == '\t') \
		(p)++; \
} while (0)

extern const unsigned char kp_ls_special[256];

static inline int
ls_fail(struct ls *t, const char *at, int code)
{
	t->code = code;
	t->at = at;
	return -1;
}

#define KEY(k, lit) (memcmp(k, lit, sizeof(lit) - 1) == 0)

/*
 * Whether a[0, n) == b[0, n), n >= 1: in overlapping words, reading no
 * byte outside either (memcmp is a call), the differences or'ed.
 */
HOT int
same(const char *a, const char *b, size_t n)
{
	uint64_t x, y, d;
	uint32_t u, w;
	size_t i;

	if (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		d = x ^ y;
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		d |= x ^ y;
		for (i = 8; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			d |= x ^ y;
		}
		return d == 0;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&w, b, 4);
		if (u != w)
			return 0;
		memcpy(&u, a + n - 4, 4);
		memcpy(&w, b + n - 4, 4);
		return u == w;
	}
	return a[0] == b[0] && a[n - 1] == b[n - 1] && a[n / 2] == b[n / 2];
}

/* The table field a top-level key of n < 64 bytes names, or -1. */
HOT int
ls_top(const struct kp_jfields *tb, const char *k, size_t n)
{
	unsigned i = tb->bylen[n];
	uint64_t x, y;

	if (i == 0)
		return -1;
	if (n >= 8) {	/* the first of that length: by its words */
		memcpy(&x, k, 8);
		memcpy(&y, k + n - 8, 8);
		x = (x ^ tb->head[n][0]) | (y ^ tb->head[n][1]);
		if (n > 16) {
			memcpy(&y, k + 8, 8);
			x |= y ^ tb->head[n][2];
		}
		if (x == 0 && (n <= 24 || same(tb->f[i - 1].name, k, n)))
			return (int)i - 1;
		i = tb->next[i - 1];
	}
	for (; i != 0; i = tb->next[i - 1])
		if (same(tb->f[i - 1].name, k, n))
			return (int)i - 1;
	return -1;
}

/* The table field a top-level key names, or T_NONE. */
HOT int
ls_field(const struct ls *t, unsigned fl, const char *k, size_t n)
{
	const struct kp_jfields *tb = t->t;
	int i;

	if (n < 64 && (i = ls_top(tb, k, n)) >= 0)
		return i;
	if (n == KP_JFIELD_NAME_MAX)	/* past bylen: compared in full */
		for (i = 0; i < t->nf; i++)
			if (tb->f[i].len == n &&
			    memcmp(tb->f[i].name, k, n) == 0)
				return i;
	if ((fl & KP_LS_BEST) && n == 5 && KEY(k, "depth"))
		return T_DEPTH;
	return T_NONE;
}

/* Which member a key names in a context (T_NONE: none we pick). */
HOT int
ls_target(const struct ls *t, unsigned fl, int ctx, const char *k, size_t n)
{
	switch (ctx) {
	case C_TOP:
		return ls_field(t, fl, k, n);
	case C_DEPTH:
		return n == 3 && KEY(k, "buy") ? T_BUY : n == 4 &&
		    KEY(k, "sell") ? T_SELL : T_NONE;
	case C_BUY0:
		return n == 5 && KEY(k, "price") ? t->bid : T_NONE;
	case C_SELL0:
		return n == 5 && KEY(k, "price") ? t->bid + 1 : T_NONE;
	default:
		return T_NONE;
	}
}

/* A later duplicate replaces what an earlier held: at its key. */
HOT void
ls_reset(struct ls *t, int tgt)
{
	uint64_t bid = (uint64_t)1 << t->nf, ask = bid << 1;

	if (tgt == T_DEPTH) {
		t->v[t->bid].type = t->v[t->bid + 1].type = KP_J_ABSENT;
		t->have &= ~(bid | ask);
		if (t->flags & KP_LS_COLS)
			t->ckind[t->bid] = t->ckind[t->bid + 1] = 0;
	} else if (tgt == T_BUY || (tgt >= t->nf && tgt == t->bid)) {
		t->v[t->bid].type = KP_J_ABSENT;
		t->have &= ~bid;
		if (t->flags & KP_LS_COLS)
			t->ckind[t->bid] = 0;
	} else if (tgt == T_SELL || (tgt >= t->nf && tgt == t->bid + 1)) {
		t->v[t->bid + 1].type = KP_J_ABSENT;
		t->have &= ~ask;
		if (t->flags & KP_LS_COLS)
			t->ckind[t->bid + 1] = 0;
	}
}

/*
 * Record top-level field f's value: its type and span (a string's
 * contents, unescaped).  Return 1 when KP_LS_QUICK has found them all.
 */
HOT int
ls_put(struct ls *t, unsigned fl, int f, int type, const char *b, size_t len)
{
	struct kp_jval *v = &t->v[f];

	v->type = (uint8_t)type;
	v->escaped = 0;
	v->p = b;
	v->len = (uint32_t)len;
	t->have |= (uint64_t)1 << f;
	if (fl & KP_LS_COLS)	/* not a number: what the columns say */
		t->ckind[f] = 0;
	return (fl & KP_LS_QUICK) && (t->have & t->all) == t->all;
}

/*
 * A top-level member's value, from b to p (esc: a string with escapes):
 * recorded in v[f].  Return 1 when KP_LS_QUICK has found them all.
 */
HOT int
ls_record(struct ls *t, int f, const char *b, const char *p, int esc)
{
	static const unsigned char type[256] = {
		['"'] = KP_J_STRING, ['{'] = KP_J_OBJECT, ['['] = KP_J_ARRAY,
		['t'] = KP_J_TRUE, ['f'] = KP_J_FALSE, ['n'] = KP_J_NULL
	};
	int r;

	if (*b == '"')
		r = ls_put(t, t->flags, f, KP_J_STRING, b + 1, (size_t)(p - b - 2));
	else
		r = ls_put(t, t->flags, f, type[(unsigned char)*b] ?
		    type[(unsigned char)*b] : KP_J_NUMBER, b,
		    (size_t)(p - b));
	t->v[f].escaped = (uint8_t)esc;
	return r;
}

/* lsnum.c */
extern const double kp_ls_pow10[23];	/* exact 1e0 .. 1e22 */
double kp_ls_dec_exact(uint64_t m, int x);
int kp_ls_number(struct ls *t, const char **pp, struct kp_jval *v);

/* linescan.c: after the fast path's 0, 1 (the general scanner
 * decides) or 2 (the quick tail is due): the outcome */
int kp_ls_rest(struct ls *l, struct kp_lsres *r, int rc);

#endif
