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
	size_t found;			/* KP_LS_QUICK: fields seen */
	uint32_t seen;			/* which */
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
 * byte outside either (memcmp is a call).
 */
HOT int
same(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	uint32_t u, w;

	if (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y && (n <= 16 || memcmp(a + 8, b + 8, n - 16) == 0);
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

/* The table field a top-level key names, or T_NONE. */
HOT int
ls_field(const struct ls *t, const char *k, size_t n)
{
	const struct kp_jfields *tb = t->t;
	int i = n < 64 ? tb->bylen[n] - 1 : -1;

	for (; i >= 0; i = tb->next[i] - 1)
		if (same(tb->f[i].name, k, n))
			return i;
	if (n == KP_JFIELD_NAME_MAX)	/* past bylen: compared in full */
		for (i = 0; i < t->nf; i++)
			if (tb->f[i].len == n &&
			    memcmp(tb->f[i].name, k, n) == 0)
				return i;
	if (t->bid >= 0 && n == 5 && KEY(k, "depth"))
		return T_DEPTH;
	return T_NONE;
}

/* Which member a key names in a context (T_NONE: none we pick). */
HOT int
ls_target(const struct ls *t, int ctx, const char *k, size_t n)
{
	switch (ctx) {
	case C_TOP:
		return ls_field(t, k, n);
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
	if (tgt == T_DEPTH)
		t->v[t->bid].type = t->v[t->bid + 1].type = KP_J_ABSENT;
	else if (tgt == T_BUY || (tgt >= t->nf && tgt == t->bid))
		t->v[t->bid].type = KP_J_ABSENT;
	else if (tgt == T_SELL || (tgt >= t->nf && tgt == t->bid + 1))
		t->v[t->bid + 1].type = KP_J_ABSENT;
}

/*
 * A top-level member's value, from b to p (esc: a string with escapes):
 * recorded in v[f].  Return 1 when KP_LS_QUICK has found them all.
 */
HOT int
ls_record(struct ls *t, int f, const char *b, const char *p, int esc)
{
	struct kp_jval *v = &t->v[f];
	static const unsigned char type[256] = {
		['"'] = KP_J_STRING, ['{'] = KP_J_OBJECT, ['['] = KP_J_ARRAY,
		['t'] = KP_J_TRUE, ['f'] = KP_J_FALSE, ['n'] = KP_J_NULL
	};
	v->type = type[(unsigned char)*b] ? type[(unsigned char)*b] :
	    KP_J_NUMBER;
	v->escaped = (uint8_t)esc;
	if (*b == '"') {
		v->p = b + 1;
		v->len = (uint32_t)(p - b - 2);
	} else {
		v->p = b;
		v->len = (uint32_t)(p - b);
	}
	if (!(t->flags & KP_LS_QUICK))
		return 0;
	if (!(t->seen >> f & 1)) {
		t->seen |= (uint32_t)1 << f;
		t->found++;
	}
	return t->found == (size_t)t->nf;
}

/* lsnum.c */
extern const double kp_ls_pow10[23];	/* exact 1e0 .. 1e22 */
double kp_ls_dec_exact(uint64_t m, int x);
int kp_ls_number(struct ls *t, const char **pp, struct kp_jval *v);

/* lsfast.c: 0 done, 1 the general scanner decides, 2 quick tail due */
int kp_ls_fast(struct ls *t, struct kp_lsres *r);

#endif
