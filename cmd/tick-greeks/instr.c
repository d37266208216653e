/*
 * instr.c: tick-greeks's instruments: the list (Kite's CSV, instr-sync's
 * NDJSON, or PostgreSQL through db.c), the underlying map, the index by
 * token, each option's underlying, and the underlyings' latest prices.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"
#include "kp_instr.h"
#include "kp_tginst.h"
#include "tg.h"
#include "tg_db.h"

static int
table_add(struct table *t, const struct inst *in)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024, old = t->v ?
		    (size_t)((char *)t->v - (char *)t->raw) : 0;
		char *raw = realloc(t->raw, cap * sizeof(*t->v) + INST_ALIGN);
		struct inst *v;

		/*
		 * realloc grows in place or remaps cheaply but keeps no
		 * alignment: v is the first aligned address of raw, and the
		 * rows move when that is not where they were
		 */
		if (raw == NULL)
			return -1;
		v = (struct inst *)(void *)(raw + (INST_ALIGN - (uintptr_t)raw %
		    INST_ALIGN) % INST_ALIGN);
		if (t->n > 0 && (char *)v != raw + old)
			memmove(v, raw + old, t->n * sizeof(*v));
		t->raw = raw;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *in;
	return 0;
}

/* Build the hash index (last row of a token wins). */
static int
table_index(struct table *t)
{
	size_t cap = 16, i, j;

	while (cap < 2 * t->n + 2)
		cap *= 2;
	free(t->slot);
	t->slot = calloc(cap, sizeof(*t->slot));
	if (t->slot == NULL)
		return -1;
	t->mask = cap - 1;
	for (i = 0; i < t->n; i++) {
		for (j = tg_hash32(t->v[i].token) & t->mask;
		    t->slot[j].i != 0; j = (j + 1) & t->mask)
			if (t->slot[j].token == t->v[i].token)
				break;
		t->slot[j].token = t->v[i].token;
		t->slot[j].i = (uint32_t)i + 1;
	}
	return 0;
}

void
tg_table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nchunk; i++)
		free(t->chunk[i]);
	free(t->chunk);
	free(t->raw);
	free(t->slot);
	tg_chains_free(t);
	memset(t, 0, sizeof(*t));
}

double *
tg_price_slot(struct prices *p, uint32_t tok, int add)
{
	size_t i;

	if (p->key == NULL || (add && 2 * (p->n + 1) > p->mask + 1)) {
		struct prices np;
		size_t cap = p->key ? 2 * (p->mask + 1) : 1024, k;

		if (!add)
			return NULL;
		np.key = calloc(cap, sizeof(*np.key));
		np.val = calloc(cap, sizeof(*np.val));
		if (np.key == NULL || np.val == NULL)
			kp_die(KP_EXIT_TEMP, "out of memory");
		np.mask = cap - 1;
		np.n = p->n;
		for (k = 0; p->key && k <= p->mask; k++) {
			if (p->key[k] == 0)
				continue;
			for (i = tg_hash32(p->key[k]) & np.mask;
			    np.key[i] != 0; i = (i + 1) & np.mask)
				;
			np.key[i] = p->key[k];
			np.val[i] = p->val[k];
		}
		free(p->key);
		free(p->val);
		*p = np;
	}
	for (i = tg_hash32(tok) & p->mask; p->key[i] != 0;
	    i = (i + 1) & p->mask)
		if (p->key[i] == tok)
			return &p->val[i];
	if (!add)
		return NULL;
	p->key[i] = tok;
	p->n++;
	return &p->val[i];
}

void
tg_free(struct tg *g)
{
	tg_table_free(&g->t);
	free(g->umap);
	free(g->p.key);
	free(g->p.val);
}

/* Loading ----------------------------------------------------------- */

static int
add_row(void *arg, const struct kp_instr *in)
{
	struct inst x;

	memset(&x, 0, sizeof(x));
	x.token = in->instrument_token;
	x.type = in->type;
	x.expiry = in->expiry;
	x.strike = (double)in->strike / KP_INSTR_SCALE;
	memcpy(x.tsym, in->tradingsymbol, sizeof(x.tsym));
	memcpy(x.name, in->name, sizeof(x.name));
	memcpy(x.exch, in->exchange, sizeof(x.exch));
	memcpy(x.expiry_str, in->expiry_str, sizeof(x.expiry_str));
	return table_add(arg, &x);
}

/* Longest instrument line of an NDJSON list (instr-sync's are < 1 KiB). */
#define NDJSON_LINE_MAX (64 * 1024)

/*
 * Open path and set up a line reader on it with lines of at most max
 * bytes; return 0, or -1 with err filled.
 */
static int
open_lines(const char *path, size_t max, struct kp_line *lr,
    char err[KP_ERRLEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, KP_ERRLEN, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (kp_line_init(lr, fd, max) < 0) {
		close(fd);
		snprintf(err, KP_ERRLEN, "out of memory");
		return -1;
	}
	return 0;
}

/* The next line (a signal's EINTR retried); a kp_line status. */
static int
next_line(struct kp_line *lr, char **line, size_t *len)
{
	int st;

	while ((st = kp_line_next(lr, line, len)) == KP_LINE_ERR &&
	    errno == EINTR)
		;
	return st;
}

static void
close_lines(struct kp_line *lr)
{
	close(lr->fd);
	kp_line_free(lr);
}

/* instr-sync's NDJSON: one instrument object per line, Kite's names;
 * bad lines are reported (the first ten) and skipped. */
static int
load_ndjson(const char *path, struct table *t, char err[KP_ERRLEN])
{
	struct kp_line lr;
	struct kp_instr in;
	char why[KP_TGINST_WHY], *line;
	size_t len;
	unsigned long bad = 0;
	int st, rc = 0;

	if (open_lines(path, NDJSON_LINE_MAX, &lr, err) < 0)
		return -1;
	while (rc == 0 && (st = next_line(&lr, &line, &len)) != KP_LINE_EOF) {
		if (st == KP_LINE_ERR) {
			snprintf(err, KP_ERRLEN, "%s: %s", path,
			    strerror(errno));
			rc = -1;
		} else if (st == KP_LINE_TOOLONG) {
			if (bad++ < 10)
				kp_warn("%s: line %llu: longer than %d bytes, "
				    "skipped", path,
				    (unsigned long long)lr.lineno,
				    NDJSON_LINE_MAX);
		} else if (st != KP_LINE_OK ||
		    (st = kp_tginst_ndjson(line, len, &in, why)) ==
		    KP_TGINST_SKIP) {
			continue;
		} else if (st < 0) {
			if (bad++ < 10)
				kp_warn("%s: line %llu: %s, skipped", path,
				    (unsigned long long)lr.lineno, why);
		} else if (add_row(t, &in) < 0) {
			snprintf(err, KP_ERRLEN, "out of memory");
			rc = -1;
		}
	}
	close_lines(&lr);
	if (rc == 0 && bad > 10)
		kp_warn("%s: %lu bad lines skipped in all", path, bad);
	return rc;
}

static void
umap_set(struct tg *g, const char *name, uint32_t tok)
{
	size_t i;

	for (i = 0; i < g->numap; i++)
		if (strcmp(g->umap[i].name, name) == 0) {
			g->umap[i].token = tok;
			return;
		}
	g->umap = realloc(g->umap, (g->numap + 1) * sizeof(*g->umap));
	if (g->umap == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	snprintf(g->umap[g->numap].name, sizeof(g->umap[g->numap].name), "%s",
	    name);
	g->umap[g->numap++].token = tok;
}

void
tg_load_map(struct tg *g, const char *path)
{
	static const struct { const char *n; uint32_t t; } builtin[] = {
		{ "NIFTY", 256265 }, { "BANKNIFTY", 260105 },
		{ "FINNIFTY", 257801 }, { "MIDCPNIFTY", 288009 },
		{ "SENSEX", 265 }
	};
	struct kp_line lr;
	struct kp_tgmap m;
	char err[KP_ERRLEN], why[KP_TGINST_WHY], *line;
	size_t i, len;
	int st;

	g->numap = 0;
	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		umap_set(g, builtin[i].n, builtin[i].t);
	if (path == NULL)
		return;
	if (open_lines(path, KP_TGMAP_LINE_MAX, &lr, err) < 0)
		kp_die(KP_EXIT_PERM, "%s", err);
	while ((st = next_line(&lr, &line, &len)) != KP_LINE_EOF) {
		if (st == KP_LINE_ERR)
			kp_die(KP_EXIT_PERM, "%s: %s", path, strerror(errno));
		if (st == KP_LINE_TOOLONG)
			kp_die(KP_EXIT_PERM, "%s: line %llu: longer than %d "
			    "bytes", path, (unsigned long long)lr.lineno,
			    KP_TGMAP_LINE_MAX);
		if (st != KP_LINE_OK ||
		    (st = kp_tginst_map(line, len, &m, why)) ==
		    KP_TGINST_SKIP)
			continue;
		if (st < 0)
			kp_die(KP_EXIT_PERM, "%s: line %llu: %s", path,
			    (unsigned long long)lr.lineno, why);
		umap_set(g, m.name, m.token);
	}
	close_lines(&lr);
}

/* Two NSE equities by symbol (qsort over pointers into the table). */
static int
cmp_eq(const void *a, const void *b)
{
	return strcmp((*(const struct inst *const *)a)->tsym,
	    (*(const struct inst *const *)b)->tsym);
}

/* o's name in the underlying map, else the NSE equity of that symbol
 * (eq sorted by symbol).  The forward models find the future of the
 * same expiry (fwd.c); the future of another expiry is never used. */
static void
under_spot(const struct tg *g, const struct inst *const *eq, size_t neq,
    struct inst *o)
{
	size_t j, k, lo = 0, hi = neq;

	for (k = 0; k < g->numap; k++)
		if (strcmp(g->umap[k].name, o->name) == 0)
			o->under = g->umap[k].token;
	while (o->under == 0 && lo < hi) {
		int c;

		j = lo + (hi - lo) / 2;
		c = strcmp(o->name, eq[j]->tsym);
		if (c == 0)
			o->under = eq[j]->token;
		else if (c < 0)
			hi = j;
		else
			lo = j + 1;
	}
}

/*
 * Resolve each option's underlying token (the NSE equities sorted by
 * symbol for a binary search), and the chains of the forward models.
 */
static void
resolve(struct tg *g, struct table *t)
{
	const struct inst **eq;
	size_t i, neq = 0;

	eq = calloc(t->n + 1, sizeof(*eq));
	if (eq == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	for (i = 0; i < t->n; i++)
		if (t->v[i].type == KP_INSTR_EQ &&
		    strcmp(t->v[i].exch, "NSE") == 0)
			eq[neq++] = &t->v[i];
	qsort(eq, neq, sizeof(*eq), cmp_eq);
	for (i = 0; i < t->n; i++) {
		struct inst *o = &t->v[i];

		if (o->type == KP_INSTR_CE || o->type == KP_INSTR_PE)
			under_spot(g, eq, neq, o);
	}
	free(eq);
	if (g->o.model != MODEL_BSM)
		tg_chains_build(g, t);
	/* mark the underlyings so their prices are recorded */
	for (i = 0; i < t->n; i++)
		if (t->v[i].under != 0)
			(void)tg_price_slot(&g->p, t->v[i].under, 1);
}

/*
 * The database of --db: its CONNINFO, else DATABASE_URL, else libpq's
 * PG* variables ("").
 */
static const char *
db_conninfo(const struct tg *g)
{
	if (g->o.db != NULL)
		return g->o.db;
	return kp_env("DATABASE_URL") ? kp_env("DATABASE_URL") : "";
}

/* The list of -i: instr-sync's NDJSON when it starts with '{', else
 * Kite's CSV. */
static int
load_file(const char *path, struct table *t, char err[KP_ERRLEN])
{
	FILE *f;
	int c;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, KP_ERRLEN, "%s: %s", path, strerror(errno));
		return KP_EXIT_PERM;
	}
	while ((c = getc(f)) == ' ' || c == '\n' || c == '\r' || c == '\t')
		;
	fclose(f);
	if (c == '{') {
		if (load_ndjson(path, t, err) < 0)
			return KP_EXIT_PERM;
	} else if (kp_instr_parse_file(path, add_row, NULL, t, NULL,
	    err) < 0)
		return KP_EXIT_PERM;
	return 0;
}

int
tg_load(struct tg *g, struct table *t, char err[KP_ERRLEN])
{
	int c;

	memset(t, 0, sizeof(*t));
	if (g->o.use_db) {
		unsigned long bad;

		if ((c = tg_db_load(db_conninfo(g), add_row, t, &bad, err)) !=
		    0)
			return c;
		if (bad > 0)
			kp_warn("instruments: %lu bad rows in the database "
			    "skipped", bad);
	} else if ((c = load_file(g->o.instr_path, t, err)) != 0)
		return c;
	if (table_index(t) < 0) {
		snprintf(err, KP_ERRLEN, "out of memory");
		return KP_EXIT_TEMP;
	}
	resolve(g, t);
	return 0;
}
