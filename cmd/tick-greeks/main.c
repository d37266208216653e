/*
 * tick-greeks: NDJSON ticks in, the same lines out, option ticks enriched
 * with implied volatility and Greeks.  See tick-greeks(1).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"
#include "kp_greeks.h"
#include "kp_instr.h"
#include "kp_dtoa.h"
#include "kp_tginst.h"
#include "kp_tickscan.h"
#include "tg_db.h"

#define USAGE "usage: tick-greeks -i FILE | --db[=CONNINFO] [-m MAP] " \
	"[-r RATE] [-q YIELD]\n       [--model bsm|black76] " \
	"[--price last|mid] [--fields LIST] [-j N]"
#define LINE_MAX_BYTES (1 << 20)
#define DEF_R 0.0525
#define DEF_Q 0.013

enum { F_IV, F_DELTA, F_GAMMA, F_THETA, F_VEGA, F_RHO, F_UNDERLYING,
	F_TTE, F_TSYM, F_NAME, F_STRIKE, F_EXPIRY, F_TYPE, F_N };
static const char *field_names[F_N] = {
	"iv", "delta", "gamma", "theta", "vega", "rho", "underlying_price",
	"time_to_expiry", "tradingsymbol", "name", "strike", "expiry",
	"instrument_type"
};

/*
 * An instrument.  What a tick reads comes first, in the 40 bytes at the
 * start of the struct, which is a whole number of cache lines and kept
 * aligned to one (table_add): an option tick touches one line of it.
 */
#define INST_ALIGN 64
struct inst {
	uint32_t token, under;
	int type;		/* enum kp_instr_type */
	int32_t expiry;
	double strike;
	const char *sfx;	/* an option's suffix (see struct table) */
	uint32_t sfx_len;	/* 0 until it is built */
	char tsym[KP_INSTR_SYM_MAX + 1];
	char name[KP_INSTR_NAME_MAX + 1];
	char exch[KP_INSTR_EXCH_MAX + 1];
	char expiry_str[11];
	/* up to a multiple of INST_ALIGN */
	char pad_[INST_ALIGN - (40 + KP_INSTR_SYM_MAX + 1 +
	    KP_INSTR_NAME_MAX + 1 + KP_INSTR_EXCH_MAX + 1 + 11) % INST_ALIGN];
};

/* A slot of the index: the token and its index + 1 into v (0: empty),
 * so that a probe reads the slot alone. */
struct slot {
	uint32_t token, i;
};

struct table {
	struct inst *v;		/* INST_ALIGN-aligned, in raw */
	void *raw;
	size_t n, cap;
	struct slot *slot;
	size_t mask;
	/*
	 * Each option's fields that do not change from tick to tick, as
	 * they are written after time_to_expiry (tradingsymbol to
	 * instrument_type, per --fields), then "}\n": one copy per tick.
	 * Built on an option's first tick (sfx_len 0 until then), in
	 * chunks that never move: the workers of -j read them while the
	 * main thread adds more.
	 */
	char **chunk;
	size_t nchunk, used;	/* bytes used in the last chunk */
};

/* token -> latest price, kept across reloads */
struct prices {
	uint32_t *key;
	double *val;
	size_t n, mask;
};

struct opts {
	const char *instr_path, *map_path;
	const char *db;		/* --db's CONNINFO, or NULL */
	int use_db;
	double r, q;
	int black76, mid;
	int fields[F_N];
	int jobs;		/* -j: 1, or the worker threads */
};

static struct opts O;
static struct table T;
static struct prices P;

/*
 * Murmur3's finaliser: every bit of the token reaches the low bits the
 * tables use (a bare multiply left runs of consecutive tokens on a
 * lattice that a miss had to walk).
 */
static size_t
hash32(uint32_t k)
{
	k ^= k >> 16;
	k *= 0x85ebca6bu;
	k ^= k >> 13;
	k *= 0xc2b2ae35u;
	k ^= k >> 16;
	return k;
}

static inline struct inst *
table_get(const struct table *t, uint32_t tok)
{
	size_t i;

	if (t->slot == NULL)
		return NULL;
	for (i = hash32(tok) & t->mask; t->slot[i].i != 0;
	    i = (i + 1) & t->mask)
		if (t->slot[i].token == tok)
			return &t->v[t->slot[i].i - 1];
	return NULL;
}

_Static_assert(sizeof(struct inst) % INST_ALIGN == 0,
    "struct inst: a whole number of cache lines");
_Static_assert(offsetof(struct inst, sfx_len) + sizeof(uint32_t) <= 40,
    "struct inst: what a tick reads in its first 40 bytes");

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
		for (j = hash32(t->v[i].token) & t->mask; t->slot[j].i != 0;
		    j = (j + 1) & t->mask)
			if (t->slot[j].token == t->v[i].token)
				break;
		t->slot[j].token = t->v[i].token;
		t->slot[j].i = (uint32_t)i + 1;
	}
	return 0;
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nchunk; i++)
		free(t->chunk[i]);
	free(t->chunk);
	free(t->raw);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static double *
price_slot(struct prices *p, uint32_t tok, int add)
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
			for (i = hash32(p->key[k]) & np.mask; np.key[i] != 0;
			    i = (i + 1) & np.mask)
				;
			np.key[i] = p->key[k];
			np.val[i] = p->val[k];
		}
		free(p->key);
		free(p->val);
		*p = np;
	}
	for (i = hash32(tok) & p->mask; p->key[i] != 0; i = (i + 1) & p->mask)
		if (p->key[i] == tok)
			return &p->val[i];
	if (!add)
		return NULL;
	p->key[i] = tok;
	p->n++;
	return &p->val[i];
}

/* The price slot of tok, or NULL: price_slot without adding, inline. */
static inline double *
price_get(const struct prices *p, uint32_t tok)
{
	size_t i;

	if (p->key == NULL)
		return NULL;
	for (i = hash32(tok) & p->mask; p->key[i] != 0; i = (i + 1) & p->mask)
		if (p->key[i] == tok)
			return &p->val[i];
	return NULL;
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

struct ulmap {
	char name[KP_INSTR_NAME_MAX + 1];
	uint32_t token;
};

static struct ulmap *umap;
static size_t numap;

static void
umap_set(const char *name, uint32_t tok)
{
	size_t i;

	for (i = 0; i < numap; i++)
		if (strcmp(umap[i].name, name) == 0) {
			umap[i].token = tok;
			return;
		}
	umap = realloc(umap, (numap + 1) * sizeof(*umap));
	if (umap == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	snprintf(umap[numap].name, sizeof(umap[numap].name), "%s", name);
	umap[numap++].token = tok;
}

/* The underlying map: the built-in one, then the file's lines. */
static void
load_map(const char *path)
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

	numap = 0;
	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		umap_set(builtin[i].n, builtin[i].t);
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
		umap_set(m.name, m.token);
	}
	close_lines(&lr);
}

static const struct table *cmp_t;

static int
cmp_eq(const void *a, const void *b)
{
	return strcmp(cmp_t->v[*(const size_t *)a].tsym,
	    cmp_t->v[*(const size_t *)b].tsym);
}

/*
 * Resolve each option's underlying (or forward) token: the NSE equities
 * sorted by symbol for a binary search, the futures in a short list.
 */
static void
resolve(struct table *t)
{
	size_t i, j, k, neq = 0, nfut = 0, *eq, *fut;

	eq = calloc(t->n + 1, sizeof(*eq));
	fut = calloc(t->n + 1, sizeof(*fut));
	if (eq == NULL || fut == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	for (i = 0; i < t->n; i++) {
		if (t->v[i].type == KP_INSTR_EQ &&
		    strcmp(t->v[i].exch, "NSE") == 0)
			eq[neq++] = i;
		else if (t->v[i].type == KP_INSTR_FUT)
			fut[nfut++] = i;
	}
	cmp_t = t;
	qsort(eq, neq, sizeof(*eq), cmp_eq);
	for (i = 0; i < t->n; i++) {
		struct inst *o = &t->v[i];
		long best = -1, bestd = 0;
		size_t lo = 0, hi = neq;

		if (o->type != KP_INSTR_CE && o->type != KP_INSTR_PE)
			continue;
		if (O.black76) {
			for (k = 0; k < nfut; k++) {
				const struct inst *f = &t->v[fut[k]];
				long d;

				if (strcmp(f->name, o->name) != 0)
					continue;
				d = labs((long)f->expiry - o->expiry);
				if (best < 0 || d < bestd) {
					best = (long)fut[k];
					bestd = d;
				}
			}
			if (best >= 0)
				o->under = t->v[best].token;
			continue;
		}
		for (k = 0; k < numap; k++)
			if (strcmp(umap[k].name, o->name) == 0)
				o->under = umap[k].token;
		while (o->under == 0 && lo < hi) {
			int c;

			j = lo + (hi - lo) / 2;
			c = strcmp(o->name, t->v[eq[j]].tsym);
			if (c == 0)
				o->under = t->v[eq[j]].token;
			else if (c < 0)
				hi = j;
			else
				lo = j + 1;
		}
	}
	free(eq);
	free(fut);
	/* mark the underlyings so their prices are recorded */
	for (i = 0; i < t->n; i++)
		if (t->v[i].under != 0)
			(void)price_slot(&P, t->v[i].under, 1);
}

/*
 * The database of --db: its CONNINFO, else DATABASE_URL, else libpq's
 * PG* variables ("").
 */
static const char *
db_conninfo(void)
{
	if (O.db != NULL)
		return O.db;
	return kp_env("DATABASE_URL") ? kp_env("DATABASE_URL") : "";
}

/* Load the instruments into t; return 0, or an exit status (err filled):
 * KP_EXIT_PERM for a file that cannot be read or parsed, KP_EXIT_TEMP or
 * KP_EXIT_PERM from the database. */
static int
load(struct table *t, char err[KP_ERRLEN])
{
	FILE *f;
	int c;

	memset(t, 0, sizeof(*t));
	if (O.use_db) {
		unsigned long bad;

		if ((c = tg_db_load(db_conninfo(), add_row, t, &bad, err)) !=
		    0)
			return c;
		if (bad > 0)
			kp_warn("instruments: %lu bad rows in the database "
			    "skipped", bad);
		goto index;
	}
	f = fopen(O.instr_path, "r");
	if (f == NULL) {
		snprintf(err, KP_ERRLEN, "%s: %s", O.instr_path,
		    strerror(errno));
		return KP_EXIT_PERM;
	}
	while ((c = getc(f)) == ' ' || c == '\n' || c == '\r' || c == '\t')
		;
	fclose(f);
	if (c == '{') {
		if (load_ndjson(O.instr_path, t, err) < 0)
			return KP_EXIT_PERM;
	} else if (kp_instr_parse_file(O.instr_path, add_row, NULL, t, NULL,
	    err) < 0)
		return KP_EXIT_PERM;
index:
	if (table_index(t) < 0) {
		snprintf(err, KP_ERRLEN, "out of memory");
		return KP_EXIT_TEMP;
	}
	resolve(t);
	return 0;
}

/* Ticks ------------------------------------------------------------- */

static double
num(const struct kp_tickscan *js, int k)
{
	return js->kind[k] == KP_TV_INT || js->kind[k] == KP_TV_REAL ?
	    js->num[k] : NAN;
}

/*
 * The last ISO timestamp read and its value: candles of one minute share
 * it, and the instruments of a minute come one after another.
 */
struct iso_cache {
	char raw[40];
	size_t n;
	double t;
};

/* Tick time: exchange_timestamp, else receive_timestamp, else the
 * candle's timestamp (epoch seconds or ISO 8601). */
static double
tick_time(const struct kp_tickscan *js, struct iso_cache *ic)
{
	double t = num(js, KP_TK_EXCH_TS);
	char buf[256], *s;
	size_t n;

	if (isnan(t) || t <= 0)
		t = num(js, KP_TK_RECV_TS);
	if (!isnan(t))
		return t;
	if (js->kind[KP_TK_TS] != KP_TV_STR)
		return num(js, KP_TK_TS);
	if (js->slen == ic->n && ic->n > 0 &&
	    memcmp(js->str, ic->raw, ic->n) == 0)
		return ic->t;
	n = kp_tickscan_str(js->str, js->slen, buf, sizeof(buf));
	if (n != (size_t)-1) {
		t = kp_iso_time(buf);
		if (js->slen <= sizeof(ic->raw)) {
			memcpy(ic->raw, js->str, js->slen);
			ic->n = js->slen;
			ic->t = t;
		}
		return t;
	}
	/* longer than any real timestamp, but decoded all the same */
	if ((s = malloc(js->slen + 1)) == NULL)
		return NAN;
	(void)kp_tickscan_str(js->str, js->slen, s, js->slen + 1);
	t = kp_iso_time(s);
	free(s);
	return t;
}

static double
tick_price(const struct kp_tickscan *js)
{
	double p = num(js, KP_TK_LAST_PRICE);

	if (isnan(p))
		p = num(js, KP_TK_CLOSE);	/* a candle */
	return p;
}

static double
mid_price(const struct kp_tickscan *js)
{
	double b = num(js, KP_TK_BID), s = num(js, KP_TK_ASK);

	return b > 0 && s > 0 ? 0.5 * (b + s) : NAN;
}

/* ,"name": for each field, written once */
static char field_pre[F_N][32];
static size_t field_pre_len[F_N];

static void
field_pre_init(void)
{
	int i;

	for (i = 0; i < F_N; i++)
		field_pre_len[i] = (size_t)snprintf(field_pre[i],
		    sizeof(field_pre[i]), ",\"%s\":", field_names[i]);
}

/* Room enrich may take: numbers, iv_reason, strings escaped (<= 6x). */
#define ENRICH_ROOM (F_N * (32 + KP_DTOA_ROOM) + 64 + \
	6 * (KP_INSTR_SYM_MAX + KP_INSTR_NAME_MAX + 16) + 64)

/*
 * ,"name": and a number in the shortest form that reads back exactly
 * (kp_dtoa), or null when not finite.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *
put_num(char *p, int f, double v)
{
	if (!O.fields[f])
		return p;
	/* all 32 bytes (one fixed-size copy), the room allows it */
	memcpy(p, field_pre[f], sizeof(field_pre[f]));
	p += field_pre_len[f];
	if (isfinite(v))
		return kp_dtoa(p, v);
	memcpy(p, "null", 4);
	return p + 4;
}

/* A JSON string: copied when nothing needs escaping, else kp_json_str. */
static char *
put_jstr(char *p, const char *s)
{
	size_t n, i;
	unsigned char c;
	struct kp_buf t;

	*p = '"';
	for (i = 0; (c = (unsigned char)s[i]) != 0; i++) {
		if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
			break;
		p[i + 1] = (char)c;
	}
	if (c == 0) {
		p[i + 1] = '"';
		return p + i + 2;
	}
	n = i + strlen(s + i);
	kp_buf_init(&t, 6 * n + 2);
	if (kp_json_str(&t, s, n) == 0) {
		memcpy(p, t.p, t.len);
		p += t.len;
	} else {
		memcpy(p, "null", 4);
		p += 4;
	}
	kp_buf_free(&t);
	return p;
}

static char *
put_str(char *p, int f, const char *s)
{
	if (!O.fields[f])
		return p;
	memcpy(p, field_pre[f], field_pre_len[f]);
	return put_jstr(p + field_pre_len[f], s);
}

/*
 * A number field that many ticks in a row write with the same value
 * (the underlying's price; the time to expiry of ticks with the same
 * exchange second and expiry): the last text written, kept by the
 * value's bits and copied.
 */
struct num_cache {
	uint64_t bits;
	size_t n;		/* 0: empty */
	char text[32 + KP_DTOA_ROOM];
};

#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *
put_num_cached(char *p, int f, double v, struct num_cache *nc)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	if (nc->n == 0 || b != nc->bits) {
		/* written in place, then kept: all of text, one fixed-size
		 * copy each way (the room allows it) */
		nc->n = (size_t)(put_num(p, f, v) - p);
		nc->bits = b;
		memcpy(nc->text, p, sizeof(nc->text));
		return p + nc->n;
	}
	memcpy(p, nc->text, sizeof(nc->text));
	return p + nc->n;
}

/*
 * What enrich keeps from tick to tick: one per thread that formats
 * (the main thread, or each worker of -j).
 */
struct fmt_ctx {
	struct num_cache under, tte;
	struct iso_cache ic;
	/* reasons as put_jstr writes them, by the address of the string */
	struct { const char *s; size_t n; char j[128]; } reason[8];
	unsigned long long noiv;
};

/*
 * A reason as put_jstr writes it, from a few kept by the address of the
 * string (the reasons are string constants), else put_jstr itself.
 */
static char *
put_reason(char *p, const char *reason, struct fmt_ctx *fc)
{
	size_t i;

	for (i = 0; i < 8 && fc->reason[i].s != NULL; i++)
		if (fc->reason[i].s == reason) {
			memcpy(p, fc->reason[i].j, fc->reason[i].n);
			return p + fc->reason[i].n;
		}
	/* <= 20 bytes escaped (<= 6x, quotes) fit in j */
	if (i == 8 || strlen(reason) > 20)
		return put_jstr(p, reason);
	fc->reason[i].n = (size_t)(put_jstr(fc->reason[i].j, reason) -
	    fc->reason[i].j);
	fc->reason[i].s = reason;
	memcpy(p, fc->reason[i].j, fc->reason[i].n);
	return p + fc->reason[i].n;
}

struct counts {
	unsigned long long lines, options, bad, pass;
};

/*
 * What classify() and settle() hand to the formatting
 * of an option tick: the instrument, the option price, the tick time and
 * the underlying's price at that point of the stream (NaN: none), and
 * where the line's closing brace is.
 */
struct opt_tick {
	const struct inst *in;
	double px, ts, S;
	size_t end;
};

/* Enrich one option tick: write the fields at p (after the line without
 * its closing brace), at most ENRICH_ROOM bytes; return the end. */
static char *
enrich(char *p, const struct opt_tick *ot, struct fmt_ctx *fc)
{
	const struct inst *in = ot->in;
	double ts = ot->ts, px = ot->px, S = ot->S, Tyr, iv = NAN;
	const char *reason = NULL;
	struct kp_greeks g;
	int call = in->type == KP_INSTR_CE, st;

	Tyr = ((double)in->expiry * 86400 + 36000 - ts) / (365.0 * 86400);
	if (in->expiry == KP_INSTR_NOEXP || isnan(ts))
		reason = "no_time";
	else if (isnan(px))
		reason = "no_price";
	else if (isnan(S))
		reason = "no_underlying_price";
	else {
		/* the Greeks from the solver's own d1 and discounting */
		st = O.black76 ? kp_iv_greeks_black76(call, px, S, in->strike,
		    Tyr, O.r, &iv, &g) : kp_iv_greeks_bsm(call, px, S,
		    in->strike, Tyr, O.r, O.q, &iv, &g);
		if (st != KP_IV_OK)
			reason = kp_iv_reason(st);
	}
	if (reason != NULL) {
		fc->noiv++;
		g.delta = g.gamma = g.theta_day = g.vega_pt = g.rho_pct = NAN;
	}
	p = put_num(p, F_IV, iv);
	if (reason != NULL && O.fields[F_IV]) {
		memcpy(p, ",\"iv_reason\":", 13);
		p = put_reason(p + 13, reason, fc);
	}
	p = put_num(p, F_DELTA, g.delta);
	p = put_num(p, F_GAMMA, g.gamma);
	p = put_num(p, F_THETA, g.theta_day);
	p = put_num(p, F_VEGA, g.vega_pt);
	p = put_num(p, F_RHO, g.rho_pct);
	p = put_num_cached(p, F_UNDERLYING, S, &fc->under);
	p = put_num_cached(p, F_TTE, isnan(ts) ? NAN : Tyr, &fc->tte);
	memcpy(p, in->sfx, in->sfx_len);
	return p + in->sfx_len;
}

/*
 * The part of an option's enrichment that is fixed by its instrument
 * (see struct table), with the closing brace and newline.
 */
static char *
put_fixed(char *p, const struct inst *in)
{
	p = put_str(p, F_TSYM, in->tsym);
	p = put_str(p, F_NAME, in->name);
	p = put_num(p, F_STRIKE, in->strike);
	p = put_str(p, F_EXPIRY, in->expiry_str);
	p = put_str(p, F_TYPE, in->type == KP_INSTR_CE ? "CE" : "PE");
	*p++ = '}';
	*p++ = '\n';
	return p;
}

/* Size of a chunk of option suffixes (one suffix <= ENRICH_ROOM). */
#define SFX_CHUNK (64 * 1024)

/*
 * Point in->sfx/sfx_len at the instrument's suffix, built on its first
 * tick (an instrument list has far more options than a stream carries);
 * return 0, or -1 when out of memory.
 */
static int
build_sfx(struct table *t, struct inst *in)
{
	char tmp[ENRICH_ROOM], *dst;
	size_t k = (size_t)(put_fixed(tmp, in) - tmp);

	if (t->nchunk == 0 || t->used + k > SFX_CHUNK) {
		char **v = realloc(t->chunk, (t->nchunk + 1) * sizeof(*v));

		if (v == NULL)
			return -1;
		t->chunk = v;
		if ((v[t->nchunk] = malloc(SFX_CHUNK)) == NULL)
			return -1;
		t->nchunk++;
		t->used = 0;
	}
	dst = t->chunk[t->nchunk - 1] + t->used;
	memcpy(dst, tmp, k);
	t->used += k;
	in->sfx = dst;
	in->sfx_len = (uint32_t)k;
	return 0;
}

/*
 * The option tick *ot of a line kp_tickscan accepted as js, for
 * instrument in, with S the underlying's price at its place.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
opt_fill(struct opt_tick *ot, const struct kp_tickscan *js,
    const char *line, size_t len, const struct inst *in, double S,
    struct iso_cache *ic)
{
	size_t end = len;

	while (end > 0 && line[end - 1] != '}')
		end--;
	ot->in = in;
	ot->end = end;
	ot->ts = tick_time(js, ic);
	ot->px = O.mid ? mid_price(js) : NAN;
	if (isnan(ot->px))
		ot->px = tick_price(js);
	ot->S = S;
}

/* The underlying's price for in at this point of the stream, or NaN. */
static inline double
under_price(const struct inst *in)
{
	double *up = in->under ? price_get(&P, in->under) : NULL;

	return up != NULL && *up > 0 ? *up : NAN;
}

/*
 * What a line is: not scanned yet, passed through, passed
 * through with a price to record (J_PRICE: tok, px, known), an option
 * tick, a bad line, a line too long (both reported in order).
 */
enum { J_NEW, J_PASS, J_PRICE, J_OPT, J_BAD, J_LONG };

struct job {
	size_t off, len;	/* the line in the batch's in (NUL after) */
	uint64_t lineno;
	int kind;		/* J_* */
	const char *err;	/* J_BAD: what */
	size_t col;		/* and where */
	uint32_t tok;		/* J_PRICE: the instrument, */
	int known;		/* in the instrument list or not, */
	double px;		/* and its price */
	struct opt_tick ot;	/* J_OPT (ot.S from step B) */
};

/*
 * What a line is, by itself (any thread): check it, look its instrument
 * up, and for an option tick its price and time; what depends on the
 * lines before it (the underlying's price) is left to settle().
 */
static void
classify(const char *line, size_t len, struct job *j, struct iso_cache *ic)
{
	struct kp_tickscan js;
	struct inst *in;
	uint32_t tok;

	if (kp_tickscan(&js, line, len) < 0) {
		j->kind = J_BAD;
		j->err = js.err;
		j->col = js.col;
		return;
	}
	j->kind = J_PASS;
	if (js.top != '{' || js.kind[KP_TK_TOKEN] != KP_TV_INT ||
	    js.i64[KP_TK_TOKEN] <= 0 || js.i64[KP_TK_TOKEN] > UINT32_MAX)
		return;
	tok = (uint32_t)js.i64[KP_TK_TOKEN];
	in = table_get(&T, tok);
	if (in == NULL || (in->type != KP_INSTR_CE && in->type !=
	    KP_INSTR_PE)) {
		j->kind = J_PRICE;
		j->tok = tok;
		j->known = in != NULL;
		j->px = tick_price(&js);
		return;
	}
	j->kind = J_OPT;
	opt_fill(&j->ot, &js, line, len, in, NAN, ic);
}

/*
 * The rest of a classified line, in stream order: record the price of a
 * non-option (every known instrument's, bounded by the instrument list,
 * so that a reload adding options on it finds the price there), give an
 * option tick the underlying's price at this point of the stream, count.
 */
static void
settle(struct job *j, struct counts *c)
{
	double *up;

	c->lines++;
	switch (j->kind) {
	case J_BAD:
		c->bad++;
		break;
	case J_PRICE:
		up = j->known ? price_slot(&P, j->tok, 1) :
		    price_get(&P, j->tok);
		if (up != NULL && j->px > 0)
			*up = j->px;
		/* FALLTHROUGH */
	case J_PASS:
		c->pass++;
		break;
	case J_OPT:
		if (j->ot.in->sfx_len == 0 && build_sfx(&T,
		    (struct inst *)j->ot.in) < 0)
			kp_die(KP_EXIT_TEMP, "out of memory");
		j->ot.S = under_price(j->ot.in);
		c->options++;
		break;
	}
}

/* One line, all of it, on one thread (-j 1). */
static void
process(struct kp_out *out, struct kp_buf *b, char *line, size_t len,
    uint64_t lineno, struct iso_cache *ic, struct fmt_ctx *fc,
    struct counts *c)
{
	struct job j;
	const struct opt_tick *ot = &j.ot;
	size_t need;
	char *p0, *p;

	classify(line, len, &j, ic);
	settle(&j, c);
	if (j.kind == J_BAD) {
		kp_warn("line %llu: bad JSON: %s (column %zu)",
		    (unsigned long long)lineno, j.err, j.col);
		return;
	}
	if (j.kind != J_OPT)
		goto pass;
	/* straight into the output buffer when it can hold the line */
	need = ot->end - 1 + ENRICH_ROOM + 2;
	if (need > out->cap || (p0 = kp_out_room(out, need)) == NULL) {
		kp_buf_reset(b);
		if ((p0 = kp_buf_room(b, need)) == NULL)
			goto pass;
	}
	memcpy(p0, line, ot->end - 1);
	p = enrich(p0 + ot->end - 1, ot, fc);
	if (p0 == b->p)
		kp_out_write(out, p0, (size_t)(p - p0));
	else
		kp_out_commit(out, (size_t)(p - p0));
	return;
pass:
	kp_out_write(out, line, len);
	kp_out_write(out, "\n", 1);
}

/*
 * Does the reader hold another complete line?  *last_nl is the offset of
 * the last '\n' it held when last asked (SIZE_MAX: none): until that
 * line is taken the reader cannot read(2), so its buffer stays put and
 * the answer is yes without a search; the search, from the end, runs
 * about once per read.
 */
static inline int
line_buffered(const struct kp_line *lr, size_t *last_nl)
{
	size_t i;

	if (*last_nl != SIZE_MAX && lr->start <= *last_nl)
		return 1;
	*last_nl = SIZE_MAX;
	for (i = lr->end; i > lr->start; i--)
		if (lr->buf[i - 1] == '\n') {
			*last_nl = i - 1;
			return 1;
		}
	return 0;
}

/* The -j pipeline ---------------------------------------------------- */

/*
 * -j N: the main thread reads the lines into batches and does nothing
 * else with them; N - 1 workers take whole batches, any batch on any
 * worker, and for each
 *   A. scan its lines and look their instruments up (in parallel);
 *   B. in stream order, batch after batch (under the lock, about 30
 *      instructions a line): record the underlying prices the batch's
 *      lines carry and give each option tick the underlying's price at
 *      its place, as the single-threaded filter does line by line;
 *   C. compute and format its option ticks (in parallel);
 * and a writer thread writes the batches, with the warnings about their
 * bad lines, in the order they were filled.  The main thread computes a
 * batch itself only when the workers fall behind (two batches waiting,
 * or no free batch to fill): N threads in all share the work.
 *
 * A ring of 2N + 2 batches bounds the memory: the main thread waits for
 * a free one.  A batch is sent when full, or as soon as the reader holds
 * no further line, so a live stream is not held back.
 */
#ifndef BATCH_LINES
#define BATCH_LINES 512
#endif
#ifndef BATCH_BYTES
#define BATCH_BYTES (256 * 1024)
#endif
#define JOBS_MAX 64

enum { B_FREE, B_FILLED, B_BUSY, B_DONE };

struct batch {
	int state;		/* B_*, under the pipeline's mutex */
	struct kp_buf in;	/* the lines, back to back */
	struct job *job;
	size_t njob, nopt;
	size_t nmsg;		/* J_BAD and J_LONG jobs */
	uint64_t no;		/* its place in the stream: pp->fill when sent */
	struct kp_buf out;	/* the batch's output, from its worker */
};

struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t cv_work;		/* workers: a batch sent, or the end */
	pthread_cond_t cv_done;		/* the writer: a batch computed */
	pthread_cond_t cv_free;		/* the main thread: a batch written */
	pthread_cond_t cv_seq;		/* workers: a batch through step B */
	struct batch *b, *cur;	/* cur: the batch being filled */
	size_t nb;
	uint64_t fill, work, write;	/* next batch to send, compute, write */
	uint64_t seq;		/* next batch for step B (stream order) */
	struct counts c;	/* the lines counted in step B */
	int eof;		/* nothing more will be sent */
	int werr;		/* the writer's errno (EPIPE...), 0 if none */
	int nworker;
	pthread_t *worker, writer;
	struct fmt_ctx *fc;	/* one per worker, then the main thread's */
	struct wctx { struct pipeline *pp; int i; } *wc;
};

static void
lock(struct pipeline *pp)
{
	pthread_mutex_lock(&pp->mu);
}

static void
unlock(struct pipeline *pp)
{
	pthread_mutex_unlock(&pp->mu);
}

/*
 * Step B, with the lock held and every earlier batch through it: each
 * line settled in stream order (a line too long was counted by the main
 * thread).
 */
static void
sequence(struct pipeline *pp, struct batch *b)
{
	size_t i;

	for (i = 0; i < b->njob; i++)
		if (b->job[i].kind != J_LONG)
			settle(&b->job[i], &pp->c);
}

/* Steps A to C for a whole batch, into its out; called unlocked. */
static void
compute(struct pipeline *pp, struct batch *b, struct fmt_ctx *fc)
{
	size_t i, need;
	char *p0, *p;

	for (i = 0; i < b->njob; i++) {
		struct job *j = &b->job[i];

		if (j->kind != J_NEW)
			continue;
		classify(b->in.p + j->off, j->len, j, &fc->ic);
		b->nmsg += j->kind == J_BAD;
		b->nopt += j->kind == J_OPT;
	}
	lock(pp);
	while (pp->seq != b->no)
		pthread_cond_wait(&pp->cv_seq, &pp->mu);
	sequence(pp, b);
	pp->seq++;
	pthread_cond_broadcast(&pp->cv_seq);
	unlock(pp);
	need = b->in.len + b->njob + b->nopt * (ENRICH_ROOM + 2);
	kp_buf_reset(&b->out);
	if ((p0 = kp_buf_room(&b->out, need)) == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	p = p0;
	for (i = 0; i < b->njob; i++) {
		struct job *j = &b->job[i];
		const char *line = b->in.p + j->off;

		if (j->kind == J_PASS || j->kind == J_PRICE) {
			memcpy(p, line, j->len);
			p += j->len;
			*p++ = '\n';
		} else if (j->kind == J_OPT) {
			memcpy(p, line, j->ot.end - 1);
			p = enrich(p + j->ot.end - 1, &j->ot, fc);
		}
	}
	b->out.len = (size_t)(p - p0);
}

/* The warnings of a batch's bad lines, in order. */
static void
warn_batch(const struct batch *b)
{
	size_t i;

	for (i = 0; i < b->njob; i++) {
		const struct job *j = &b->job[i];

		if (j->kind == J_BAD)
			kp_warn("line %llu: bad JSON: %s (column %zu)",
			    (unsigned long long)j->lineno, j->err, j->col);
		else if (j->kind == J_LONG)
			kp_warn("line %llu: longer than %d bytes, skipped",
			    (unsigned long long)j->lineno, LINE_MAX_BYTES);
	}
}

/*
 * With the lock held: take the oldest batch sent and not yet taken,
 * compute it (unlocked) with fc, and mark it done.
 */
static void
run_one(struct pipeline *pp, struct fmt_ctx *fc)
{
	struct batch *b = &pp->b[pp->work++ % pp->nb];

	b->state = B_BUSY;
	unlock(pp);
	compute(pp, b, fc);
	lock(pp);
	b->state = B_DONE;
	pthread_cond_signal(&pp->cv_done);
}

static void *
worker_main(void *arg)
{
	struct wctx *wc = arg;
	struct pipeline *pp = wc->pp;

	lock(pp);
	for (;;) {
		while (pp->work == pp->fill && !pp->eof)
			pthread_cond_wait(&pp->cv_work, &pp->mu);
		if (pp->work == pp->fill)
			break;
		run_one(pp, &pp->fc[wc->i]);
	}
	unlock(pp);
	return NULL;
}

/* Write all of p; 0, or the errno (EINTR retried, EAGAIN waited out). */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			if (errno == EAGAIN || errno == EWOULDBLOCK)
				(void)poll(&pf, 1, -1);
			else if (errno != EINTR)
				return errno;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The writer: the batches in order; after an error, they are dropped. */
static void *
writer_main(void *arg)
{
	struct pipeline *pp = arg;
	struct batch *b;
	int e = 0;

	lock(pp);
	for (;;) {
		b = &pp->b[pp->write % pp->nb];
		while (b->state != B_DONE && !(pp->eof &&
		    pp->write == pp->fill))
			pthread_cond_wait(&pp->cv_done, &pp->mu);
		if (b->state != B_DONE)
			break;
		unlock(pp);
		if (b->nmsg > 0)
			warn_batch(b);
		if (e == 0)
			e = write_all(1, b->out.p, b->out.len);
		lock(pp);
		pp->werr = e;
		b->state = B_FREE;
		pp->write++;
		pthread_cond_signal(&pp->cv_free);
	}
	unlock(pp);
	return NULL;
}

/* Start n workers and the writer, with no signal unblocked: the
 * signals go to the main thread, whose read(2) they interrupt.  n may be
 * 0 (the main thread and the writer alone). */
static void
pipe_start(struct pipeline *pp, int n)
{
	sigset_t all, old;
	size_t i;
	int e;

	memset(pp, 0, sizeof(*pp));
	pp->nworker = n;
	pp->nb = 2 * (size_t)n + 4;
	pp->b = calloc(pp->nb, sizeof(*pp->b));
	pp->worker = calloc((size_t)n + 1, sizeof(*pp->worker));
	pp->fc = calloc((size_t)n + 1, sizeof(*pp->fc));
	pp->wc = calloc((size_t)n + 1, sizeof(*pp->wc));
	if (pp->b == NULL || pp->worker == NULL || pp->fc == NULL ||
	    pp->wc == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	for (i = 0; i < pp->nb; i++) {
		kp_buf_init(&pp->b[i].in, BATCH_BYTES + LINE_MAX_BYTES);
		kp_buf_init(&pp->b[i].out, BATCH_BYTES + LINE_MAX_BYTES +
		    BATCH_LINES * (ENRICH_ROOM + 3));
		if ((pp->b[i].job = calloc(BATCH_LINES,
		    sizeof(*pp->b[i].job))) == NULL)
			kp_die(KP_EXIT_TEMP, "out of memory");
	}
	pthread_mutex_init(&pp->mu, NULL);
	pthread_cond_init(&pp->cv_work, NULL);
	pthread_cond_init(&pp->cv_done, NULL);
	pthread_cond_init(&pp->cv_free, NULL);
	pthread_cond_init(&pp->cv_seq, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < (size_t)n; i++) {
		pp->wc[i].pp = pp;
		pp->wc[i].i = (int)i;
		if ((e = pthread_create(&pp->worker[i], NULL, worker_main,
		    &pp->wc[i])) != 0)
			kp_die(KP_EXIT_TEMP, "threads: %s", strerror(e));
	}
	if ((e = pthread_create(&pp->writer, NULL, writer_main, pp)) != 0)
		kp_die(KP_EXIT_TEMP, "threads: %s", strerror(e));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * Send the batch being filled, if any, to the workers; compute one
 * batch here when two or more are waiting for a worker.  Return the
 * writer's errno so far (0: none).
 */
static int
pipe_send(struct pipeline *pp)
{
	int e;

	lock(pp);
	if (pp->cur != NULL) {
		pp->cur->state = B_FILLED;
		pp->cur->no = pp->fill++;
		pp->cur = NULL;
		pthread_cond_signal(&pp->cv_work);
		if (pp->fill - pp->work >= 2 || pp->nworker == 0)
			run_one(pp, &pp->fc[pp->nworker]);
	}
	e = pp->werr;
	unlock(pp);
	return e;
}

/* The batch being filled, a free one taken when there is none. */
static struct batch *
pipe_cur(struct pipeline *pp)
{
	struct batch *b;

	if ((b = pp->cur) == NULL) {
		b = &pp->b[pp->fill % pp->nb];
		lock(pp);
		while (b->state != B_FREE) {
			if (pp->work != pp->fill)
				run_one(pp, &pp->fc[pp->nworker]);
			else
				pthread_cond_wait(&pp->cv_free, &pp->mu);
		}
		unlock(pp);
		kp_buf_reset(&b->in);
		b->njob = b->nopt = b->nmsg = 0;
		pp->cur = b;
	}
	return b;
}

/*
 * One line into the batch, left to its worker.  Return the writer's
 * errno so far (0: none).
 */
static int
pipe_line(struct pipeline *pp, const char *line, size_t len,
    uint64_t lineno)
{
	struct batch *b = pipe_cur(pp);
	struct job *j = &b->job[b->njob++];

	j->lineno = lineno;
	j->off = b->in.len;
	j->len = len;
	j->kind = J_NEW;
	/* the line and a NUL (kp_tickscan's end) */
	if (kp_buf_add(&b->in, line, len) < 0 ||
	    kp_buf_addc(&b->in, '\0') < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	if (b->njob == BATCH_LINES || b->in.len >= BATCH_BYTES)
		return pipe_send(pp);
	return 0;
}

/* A line too long, reported in its place. */
static int
pipe_long(struct pipeline *pp, uint64_t lineno)
{
	struct batch *b = pipe_cur(pp);
	struct job *j = &b->job[b->njob++];

	j->lineno = lineno;
	j->kind = J_LONG;
	j->off = b->in.len;
	j->len = 0;
	b->nmsg++;
	if (b->njob == BATCH_LINES)
		return pipe_send(pp);
	return 0;
}

/* Send what is filled and wait until all of it is written; return the
 * writer's errno (0: all written). */
static int
pipe_drain(struct pipeline *pp)
{
	int e;

	(void)pipe_send(pp);
	lock(pp);
	while (pp->write != pp->fill) {
		if (pp->work != pp->fill)
			run_one(pp, &pp->fc[pp->nworker]);
		else
			pthread_cond_wait(&pp->cv_free, &pp->mu);
	}
	e = pp->werr;
	unlock(pp);
	return e;
}

/*
 * Drain, stop the threads, free; return the writer's errno, add the
 * counts of option ticks without an IV to *noiv and move the option
 * ticks the workers found bad over in *c.
 */
static int
pipe_stop(struct pipeline *pp, unsigned long long *noiv, struct counts *c)
{
	int i, e = pipe_drain(pp);
	size_t k;

	lock(pp);
	pp->eof = 1;
	pthread_cond_broadcast(&pp->cv_work);
	pthread_cond_broadcast(&pp->cv_done);
	unlock(pp);
	for (i = 0; i < pp->nworker; i++)
		pthread_join(pp->worker[i], NULL);
	for (i = 0; i <= pp->nworker; i++)
		*noiv += pp->fc[i].noiv;
	pthread_join(pp->writer, NULL);
	c->lines += pp->c.lines;
	c->options += pp->c.options;
	c->bad += pp->c.bad;
	c->pass += pp->c.pass;
	for (k = 0; k < pp->nb; k++) {
		kp_buf_free(&pp->b[k].in);
		kp_buf_free(&pp->b[k].out);
		free(pp->b[k].job);
	}
	pthread_mutex_destroy(&pp->mu);
	pthread_cond_destroy(&pp->cv_work);
	pthread_cond_destroy(&pp->cv_done);
	pthread_cond_destroy(&pp->cv_free);
	pthread_cond_destroy(&pp->cv_seq);
	free(pp->b);
	free(pp->worker);
	free(pp->fc);
	free(pp->wc);
	return e;
}

/* -j 0: the online CPUs, at most JOBS_AUTO_MAX. */
#define JOBS_AUTO_MAX 4

static int
jobs_auto(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > JOBS_AUTO_MAX ? JOBS_AUTO_MAX : (int)n;
}

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Add implied volatility and Greeks to option ticks (NDJSON on\n"
	    "stdin to stdout); every other line passes through unchanged.\n\n"
	    "  -i FILE          instruments: Kite's CSV or instr-sync NDJSON\n"
	    "  --db[=CONNINFO]  instruments: instr-sync's PostgreSQL table\n"
	    "                   (default DATABASE_URL, else libpq's PG*)\n"
	    "  -m FILE          underlying map lines \"NAME TOKEN\"\n"
	    "  -r RATE          risk-free rate, continuous (default 0.0525)\n"
	    "  -q YIELD         dividend yield, continuous (default 0.013)\n"
	    "  --model M        bsm (spot, default) or black76 (future)\n"
	    "  --price P        last (default) or mid (depth's best bid/ask)\n"
	    "  --fields LIST    comma-separated fields to add (default all)\n"
	    "  -j N             N threads (the main one counted), same output\n"
	    "                   (default 1; 0: the online CPUs, at most 4)\n"
	    "  -v / -Q          louder / quieter logging\n"
	    "  -h               this help\n\n"
	    "SIGHUP reloads the instruments.  Exit: 0 ok, 1 bad lines seen,\n"
	    "100 usage or bad instruments, 111 system error.\n"
	    "See tick-greeks(1).\n", f);
}

static void
parse_fields(const char *s)
{
	char buf[512], *tok, *save = NULL;
	int i;

	memset(O.fields, 0, sizeof(O.fields));
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < F_N; i++)
			if (strcmp(tok, field_names[i]) == 0)
				break;
		if (i == F_N)
			kp_die(KP_EXIT_PERM, "--fields: unknown field '%s'",
			    tok);
		O.fields[i] = 1;
	}
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "instruments", required_argument, NULL, 'i' },
		{ "db", optional_argument, NULL, 'D' },
		{ "map", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "yield", required_argument, NULL, 'q' },
		{ "model", required_argument, NULL, 'M' },
		{ "price", required_argument, NULL, 'p' },
		{ "fields", required_argument, NULL, 'f' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, i, level = KP_LOG_INFO;
	long long n;

	O.r = DEF_R;
	O.q = DEF_Q;
	O.jobs = 1;
	for (i = 0; i < F_N; i++)
		O.fields[i] = 1;
	while ((c = getopt_long(argc, argv, "+i:m:r:q:j:vQh", lopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'i': O.instr_path = optarg; break;
		case 'D': O.use_db = 1; O.db = optarg; break;
		case 'm': O.map_path = optarg; break;
		case 'r':
		case 'q':
			if (kp_num_double(optarg, -1, 1, c == 'r' ? &O.r :
			    &O.q) < 0)
				kp_die(KP_EXIT_PERM, "-%c: bad rate '%s'", c,
				    optarg);
			break;
		case 'M':
			if (strcmp(optarg, "bsm") != 0 &&
			    strcmp(optarg, "black76") != 0)
				kp_die(KP_EXIT_PERM, "--model: bsm or black76");
			O.black76 = strcmp(optarg, "black76") == 0;
			break;
		case 'p':
			if (strcmp(optarg, "last") != 0 &&
			    strcmp(optarg, "mid") != 0)
				kp_die(KP_EXIT_PERM, "--price: last or mid");
			O.mid = strcmp(optarg, "mid") == 0;
			break;
		case 'f': parse_fields(optarg); break;
		case 'j':
			if (kp_num_ll(optarg, 0, JOBS_MAX, &n) < 0)
				kp_die(KP_EXIT_PERM, "-j: 0 to %d threads, not "
				    "'%s'", JOBS_MAX, optarg);
			O.jobs = n == 0 ? jobs_auto() : (int)n;
			break;
		case 'v': level++; break;
		case 'Q': level--; break;
		case 'h': usage(stdout); exit(KP_EXIT_OK);
		default: usage(stderr); exit(KP_EXIT_PERM);
		}
	}
	if (optind != argc || (O.instr_path == NULL) == !O.use_db) {
		if (O.instr_path != NULL && O.use_db)
			kp_log(KP_LOG_FATAL, "-i and --db do not go together");
		usage(stderr);
		exit(KP_EXIT_PERM);
	}
	kp_log_set_level(level < KP_LOG_FATAL ? KP_LOG_FATAL : level);
}

int
main(int argc, char **argv)
{
	struct kp_line lr;
	struct kp_out out;
	struct kp_buf b;
	struct counts c;
	struct iso_cache ic;
	struct fmt_ctx fc;
	struct pipeline pp;
	unsigned long long noiv = 0;
	char err[KP_ERRLEN], *line;
	size_t len, last_nl = SIZE_MAX;
	int st, rerr = 0, werr;

	kp_log_init("tick-greeks");
	parse_args(argc, argv);
	field_pre_init();
	load_map(O.map_path);
	if ((st = load(&T, err)) != 0)
		kp_die(st, "instruments: %s", err);
	kp_log(KP_LOG_INFO, "loaded instruments=%zu", T.n);
	if (kp_sig_init() < 0)
		kp_die(KP_EXIT_TEMP, "signals: %s", strerror(errno));
	if (kp_line_init(&lr, 0, LINE_MAX_BYTES) < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	kp_out_init(&out, 1, 1 << 16);
	kp_buf_init(&b, 2 * LINE_MAX_BYTES);
	memset(&c, 0, sizeof(c));
	memset(&ic, 0, sizeof(ic));
	memset(&fc, 0, sizeof(fc));
	if (O.jobs > 1)
		pipe_start(&pp, O.jobs - 1);
	for (;;) {
		/*
		 * Signals between lines: whenever no further line is
		 * buffered (before a read(2) that may wait), and every 64
		 * lines.
		 */
		if ((lr.lineno & 63) == 0 || !line_buffered(&lr, &last_nl)) {
			if (kp_sig_take(SIGHUP)) {
				struct table nt;

				/* nothing in flight uses the old table */
				if (O.jobs > 1)
					(void)pipe_drain(&pp);
				else
					kp_out_flush(&out);
				if (load(&nt, err) != 0) {
					table_free(&nt);
					kp_warn("reload failed, keeping the "
					    "old instruments: %s", err);
				} else {
					table_free(&T);
					T = nt;
					kp_log(KP_LOG_INFO, "reloaded "
					    "instruments=%zu", T.n);
				}
			}
			if (kp_sig_stopping())
				break;
		}
		st = kp_line_next(&lr, &line, &len);
		if (st == KP_LINE_EOF)
			break;
		if (st == KP_LINE_ERR) {
			if (errno == EINTR)
				continue;
			rerr = errno;
			break;
		}
		if (st == KP_LINE_TOOLONG) {
			c.bad++;
			if (O.jobs == 1)
				kp_warn("line %llu: longer than %d bytes, "
				    "skipped", (unsigned long long)lr.lineno,
				    LINE_MAX_BYTES);
			else if (pipe_long(&pp, lr.lineno) != 0)
				break;
			continue;
		}
		if (st != KP_LINE_OK)
			continue;
		if (O.jobs > 1) {
			/* send when no further line is already buffered */
			if (pipe_line(&pp, line, len, lr.lineno) != 0 ||
			    (!line_buffered(&lr, &last_nl) &&
			    pipe_send(&pp) != 0))
				break;
			continue;
		}
		process(&out, &b, line, len, lr.lineno, &ic, &fc, &c);
		/* flush when no further line is already buffered */
		if (!line_buffered(&lr, &last_nl))
			kp_out_flush(&out);
		if (kp_out_error(&out) != 0)
			break;
	}
	if (O.jobs > 1) {
		werr = pipe_stop(&pp, &noiv, &c);
	} else {
		kp_out_flush(&out);
		werr = kp_out_error(&out);
		noiv = fc.noiv;
	}
	kp_log(KP_LOG_INFO, "done lines=%llu options=%llu no_iv=%llu "
	    "bad=%llu passed=%llu", c.lines, c.options, noiv, c.bad,
	    c.pass);
	if (rerr != 0)
		kp_die(KP_EXIT_TEMP, "stdin: %s", strerror(rerr));
	kp_line_free(&lr);
	kp_out_free(&out);
	kp_buf_free(&b);
	table_free(&T);
	free(umap);
	free(P.key);
	free(P.val);
	if (werr != 0 && werr != EPIPE)
		return KP_EXIT_TEMP;
	return c.bad ? KP_EXIT_REJECTED : KP_EXIT_OK;
}
