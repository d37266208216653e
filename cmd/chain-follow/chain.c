/*
 * chain.c: the option chain of one underlying from the instrument list,
 * and what to hold of it: the expiries still trading, the strike at the
 * money with hysteresis, the tokens around it.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf.h"

struct loader {
	struct cf_chain *c;
	const char *name, *exch;
	size_t cap;
	bool full;
};

static int
on_row(void *arg, const struct kp_instr *in)
{
	struct loader *l = arg;
	struct cf_chain *c = l->c;

	if (kp_instr_is_underlying(l->name, in) && c->und_token == 0)
		c->und_token = in->instrument_token;
	if ((in->type != KP_INSTR_CE && in->type != KP_INSTR_PE) ||
	    strcmp(in->name, l->name) != 0 ||
	    (l->exch != NULL && strcmp(in->exchange, l->exch) != 0) ||
	    in->expiry == KP_INSTR_NOEXP || in->strike <= 0)
		return 0;
	if (c->n == CF_ROWS_MAX) {
		l->full = true;
		return 1;
	}
	if (c->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		c->v = kp_xrealloc(c->v, l->cap * sizeof(*c->v));
	}
	c->v[c->n].token = in->instrument_token;
	c->v[c->n].expiry = in->expiry;
	c->v[c->n].strike = in->strike;
	c->v[c->n].call = in->type == KP_INSTR_CE;
	c->n++;
	return 0;
}

static void
on_bad(void *arg, uint64_t line, const char *why)
{
	struct loader *l = arg;

	l->c->bad++;
	kp_debug("instruments: line %llu: %s", (unsigned long long)line, why);
}

static int
by_expiry_strike(const void *a, const void *b)
{
	const struct cf_row *x = a, *y = b;

	if (x->expiry != y->expiry)
		return x->expiry < y->expiry ? -1 : 1;
	if (x->strike != y->strike)
		return x->strike < y->strike ? -1 : 1;
	if (x->call != y->call)
		return x->call ? -1 : 1;
	return (x->token > y->token) - (x->token < y->token);
}

int
cf_chain_load(struct cf_chain *c, const char *path, const char *name,
    const char *exch, char err[KP_ERRLEN])
{
	struct loader l = { c, name, exch, 0, false };

	memset(c, 0, sizeof(*c));
	if (kp_instr_parse_file(path, on_row, on_bad, &l, NULL, err) < 0 &&
	    !l.full) {
		cf_chain_free(c);
		return -1;
	}
	if (l.full) {
		snprintf(err, KP_ERRLEN, "%s: more than %d options of %s",
		    path, CF_ROWS_MAX, name);
		cf_chain_free(c);
		return -1;
	}
	if (c->n > 1)	/* qsort wants a pointer, even for nothing */
		qsort(c->v, c->n, sizeof(*c->v), by_expiry_strike);
	return 0;
}

void
cf_chain_free(struct cf_chain *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

size_t
cf_expiries(const struct cf_chain *c, int64_t now, size_t k, int32_t *out)
{
	size_t i, n = 0;

	for (i = 0; i < c->n && n < k; i++) {
		int64_t end = (int64_t)c->v[i].expiry * 86400 + CF_EXPIRY_SOD;

		if (now >= end || (n > 0 && out[n - 1] == c->v[i].expiry))
			continue;
		out[n++] = c->v[i].expiry;
	}
	return n;
}

/* The rows of expiry: [*lo, *hi). */
static void
expiry_rows(const struct cf_chain *c, int32_t expiry, size_t *lo,
    size_t *hi)
{
	size_t a = 0, b = c->n;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (c->v[mid].expiry < expiry)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	for (b = a; b < c->n && c->v[b].expiry == expiry; b++)
		;
	*hi = b;
}

static int64_t
dist(int64_t a, int64_t b)
{
	return a > b ? a - b : b - a;
}

/* The row index (in [lo, hi)) of the first row of the strike nearest
 * price; the lower strike on a tie. */
static size_t
nearest(const struct cf_chain *c, size_t lo, size_t hi, int64_t price)
{
	size_t i, best = lo;

	for (i = lo; i < hi; i++)
		if (dist(c->v[i].strike, price) <
		    dist(c->v[best].strike, price))
			best = i;
	return best;
}

int
cf_atm(const struct cf_chain *c, int32_t expiry, int64_t price,
    int64_t *atm, int64_t *step)
{
	size_t lo, hi, i, a;
	int64_t k, below = 0, above = 0;

	expiry_rows(c, expiry, &lo, &hi);
	if (lo == hi)
		return -1;
	a = nearest(c, lo, hi, price);
	k = c->v[a].strike;
	for (i = a; i > lo && below == 0; i--)
		if (c->v[i - 1].strike < k)
			below = k - c->v[i - 1].strike;
	for (i = a; i < hi && above == 0; i++)
		if (c->v[i].strike > k)
			above = c->v[i].strike - k;
	*atm = k;
	if (price >= k)
		*step = above ? above : below;
	else
		*step = below ? below : above;
	return 0;
}

bool
cf_recentre(const struct cf_chain *c, int32_t expiry, int64_t centre,
    int64_t price, double h, int64_t *to)
{
	int64_t atm, step, cstep;

	if (cf_atm(c, expiry, price, &atm, &step) < 0)
		return false;
	*to = atm;
	if (centre == 0)
		return true;
	if (atm == centre)
		return false;
	/* the step of the strikes around the centre, towards price */
	if (cf_atm(c, expiry, centre + (price > centre ? 1 : -1), &atm,
	    &cstep) < 0 || cstep == 0)
		return true;
	return (double)dist(price, centre) > h * (double)cstep;
}

void
cf_want(const struct cf_chain *c, const int32_t *ex, size_t n,
    int64_t centre, size_t nstrikes, struct cf_set *out)
{
	size_t e, i, lo, hi, a, left, right;

	out->n = 0;
	for (e = 0; e < n; e++) {
		expiry_rows(c, ex[e], &lo, &hi);
		if (lo == hi)
			continue;
		a = nearest(c, lo, hi, centre);
		/* walk out nstrikes distinct strikes either side */
		for (left = a, i = 0; left > lo && i < nstrikes; i++) {
			int64_t k = c->v[left - 1].strike;

			while (left > lo && c->v[left - 1].strike == k)
				left--;
		}
		for (right = a, i = 0; right < hi && i <= nstrikes; i++) {
			int64_t k = c->v[right].strike;

			while (right < hi && c->v[right].strike == k)
				right++;
		}
		for (i = left; i < right; i++)
			cf_set_add(out, c->v[i].token);
	}
	cf_set_sort(out);
}

void
cf_set_add(struct cf_set *s, uint32_t t)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = kp_xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = t;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void
cf_set_sort(struct cf_set *s)
{
	size_t i, k = 0;

	qsort(s->v, s->n, sizeof(*s->v), cmp_u32);
	for (i = 0; i < s->n; i++)
		if (k == 0 || s->v[k - 1] != s->v[i])
			s->v[k++] = s->v[i];
	s->n = k;
}

bool
cf_set_has(const struct cf_set *s, uint32_t t)
{
	return s->n > 0 && bsearch(&t, s->v, s->n, sizeof(*s->v),
	    cmp_u32) != NULL;
}

void
cf_set_minus(const struct cf_set *a, const struct cf_set *b,
    struct cf_set *out)
{
	size_t i;

	out->n = 0;
	for (i = 0; i < a->n; i++)
		if (!cf_set_has(b, a->v[i]))
			cf_set_add(out, a->v[i]);
}

void
cf_set_free(struct cf_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
