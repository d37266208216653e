/*
 * tg.h: how the parts of tick-greeks meet.
 * SPDX-License-Identifier: MIT
 *
 *   main.c      main(): set up, the read loop (-j 1: each line classified,
 *               settled, enriched and written there), SIGHUP's reload
 *   opts.c      the options: defaults, getopt, checks, -h
 *   instr.c     the instrument list (Kite's CSV, instr-sync's NDJSON or
 *               PostgreSQL through db.c), the underlying map, the index
 *               by token, the underlyings' latest prices
 *   db.c        the instrument list from PostgreSQL (tg_db.h)
 *   enrich.c    one tick: classify (scan, look up), settle (in stream
 *               order: prices, counts), enrich (solve, format)
 *   fwd.c       the chains (underlying and expiry): the forward implied
 *               by put-call parity, each option's forward, the chain lines
 *   pipeline.c  -j N: the batches, their ring, the workers, the writer
 *
 * Calls go one way, nothing calls back up: main.c calls the others,
 * pipeline.c calls enrich.c, enrich.c reads instr.c's index and prices.
 * One struct tg, filled by main.c, is passed to every part.
 */
#ifndef TG_H
#define TG_H

#include <stddef.h>
#include <stdint.h>

#include "kp.h"
#include "kp_dtoa.h"
#include "kp_instr.h"

#define TG_PROG "tick-greeks"
#define LINE_MAX_BYTES (1 << 20)
#define JOBS_MAX 64

enum { F_IV, F_DELTA, F_GAMMA, F_THETA, F_VEGA, F_RHO, F_UNDERLYING,
	F_TTE, F_TSYM, F_NAME, F_STRIKE, F_EXPIRY, F_TYPE, F_IVSRC,
	F_THETA_HOUR, F_FORWARD, F_FSRC, F_N };

/* --model: Black-76 on the chain's forward (parity first, or the future
 * first), or Black-Scholes-Merton on the spot. */
enum { MODEL_PARITY, MODEL_BLACK76, MODEL_BSM };

/* Where an option's forward came from (forward_source). */
enum { FSRC_NONE, FSRC_PARITY, FSRC_FUTURE, FSRC_CARRY };

struct tg_opts {
	const char *instr_path, *map_path;
	const char *db;		/* --db's CONNINFO, or NULL */
	int use_db;
	double r, q;
	int model, mid;		/* MODEL_*, --price mid */
	int iv_otm;		/* --iv-from otm */
	double parity_age;	/* --parity-age: seconds of feed time */
	long chain_every;	/* --chain: seconds of feed time, 0: none */
	int fields[F_N];
	int jobs;		/* -j: 1, or the worker threads */
};

/* opts.c: fill o from the defaults and argv; exits 0 after -h, 100 on a
 * usage error.  Sets the log level (-v, -Q). */
void tg_opts_parse(struct tg_opts *o, int argc, char **argv);

/* instr.c ----------------------------------------------------------- */

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

_Static_assert(sizeof(struct inst) % INST_ALIGN == 0,
    "struct inst: a whole number of cache lines");
_Static_assert(offsetof(struct inst, sfx_len) + sizeof(uint32_t) <= 40,
    "struct inst: what a tick reads in its first 40 bytes");

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
	/* fwd.c: the chains, and each instrument's place in them (by its
	 * index in v; chain 0: none) */
	struct chain *ch;
	size_t nch;
	struct optref { uint32_t ch, k; } *ref;
};

/* token -> latest price, kept across reloads */
struct prices {
	uint32_t *key;
	double *val;
	size_t n, mask;
};

/* An underlying's name and token (-m, and the built-in ones). */
struct ulmap {
	char name[KP_INSTR_NAME_MAX + 1];
	uint32_t token;
};

/* ,"name": for each field, written once (tg_fields_init) */
#define FIELD_PRE 32

struct tg {
	struct tg_opts o;
	struct table t;		/* the instruments (swapped on SIGHUP) */
	struct prices p;
	struct ulmap *umap;
	size_t numap;
	char field_pre[F_N][FIELD_PRE];
	size_t field_pre_len[F_N];
	struct tg_pipe *pp;	/* -j N > 1: the pipeline, else NULL */
};

/*
 * Murmur3's finaliser: every bit of the token reaches the low bits the
 * tables use (a bare multiply left runs of consecutive tokens on a
 * lattice that a miss had to walk).
 */
static inline size_t
tg_hash32(uint32_t k)
{
	k ^= k >> 16;
	k *= 0x85ebca6bu;
	k ^= k >> 13;
	k *= 0xc2b2ae35u;
	k ^= k >> 16;
	return k;
}

static inline struct inst *
tg_table_get(const struct table *t, uint32_t tok)
{
	size_t i;

	if (t->slot == NULL)
		return NULL;
	for (i = tg_hash32(tok) & t->mask; t->slot[i].i != 0;
	    i = (i + 1) & t->mask)
		if (t->slot[i].token == tok)
			return &t->v[t->slot[i].i - 1];
	return NULL;
}

/* The price slot of tok, or NULL: tg_price_slot without adding, inline. */
static inline double *
tg_price_get(const struct prices *p, uint32_t tok)
{
	size_t i;

	if (p->key == NULL)
		return NULL;
	for (i = tg_hash32(tok) & p->mask; p->key[i] != 0;
	    i = (i + 1) & p->mask)
		if (p->key[i] == tok)
			return &p->val[i];
	return NULL;
}

/* The price slot of tok; with add, made when missing (else NULL). */
double *tg_price_slot(struct prices *p, uint32_t tok, int add);
/* The underlying map: the built-in one, then path's lines (may be NULL);
 * exits 100 on a file that cannot be read or parsed. */
void tg_load_map(struct tg *g, const char *path);
/* Load the instruments into t; return 0, or an exit status (err filled):
 * KP_EXIT_PERM for a file that cannot be read or parsed, KP_EXIT_TEMP or
 * KP_EXIT_PERM from the database. */
int tg_load(struct tg *g, struct table *t, char err[KP_ERRLEN]);
void tg_table_free(struct table *t);
/* Free the instruments, the map and the prices. */
void tg_free(struct tg *g);

/* enrich.c ---------------------------------------------------------- */

extern const char *const tg_field_names[F_N];

/* Room enrich may take: numbers, iv_reason, strings escaped (<= 6x). */
#define ENRICH_ROOM (F_N * (FIELD_PRE + KP_DTOA_ROOM) + 64 + \
	6 * (KP_INSTR_SYM_MAX + KP_INSTR_NAME_MAX + 16) + 64)

/*
 * The last ISO timestamp read and its value: candles of one minute share
 * it, and the instruments of a minute come one after another.
 */
struct iso_cache {
	char raw[40];
	size_t n;
	double t;
};

/*
 * A number field that many ticks in a row write with the same value
 * (the underlying's price; the time to expiry of ticks with the same
 * exchange second and expiry): the last text written, kept by the
 * value's bits and copied.
 */
struct num_cache {
	uint64_t bits;
	size_t n;		/* 0: empty */
	char text[FIELD_PRE + KP_DTOA_ROOM];
};

/*
 * What enrich keeps from tick to tick: one per thread that formats
 * (the main thread, or each worker of -j).
 */
struct fmt_ctx {
	struct num_cache under, tte, fwd;
	struct iso_cache ic;
	/* reasons as put_jstr writes them, by the address of the string */
	struct { const char *s; size_t n; char j[128]; } reason[8];
	unsigned long long noiv;
};

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
	/* fwd.c: the quote for parity (mid, else last), oi, volume_traded
	 * (classify); the forward and its source, the out-of-the-money
	 * option's price at the strike or NaN, the chain's rate (settle) */
	double pq, oi, vol;
	double F, opx, r;	/* r: the rate to discount at */
	double oF;		/* the forward when opx was quoted */
	int fsrc;
};

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
	char *pre;		/* a chain line to write first (malloc'd), */
	size_t prelen;		/* or NULL (step B) */
};

/* ,"name": of each field, once, before any tick. */
void tg_fields_init(struct tg *g);
/* What a line is, by itself (any thread); see enrich.c. */
void tg_classify(const struct tg *g, const char *line, size_t len,
    struct job *j, struct iso_cache *ic);
/* The rest of a classified line, in stream order (one thread at a time). */
void tg_settle(struct tg *g, struct job *j, struct counts *c);
/* Enrich one option tick: write the fields at p (after the line without
 * its closing brace), at most ENRICH_ROOM bytes; return the end. */
char *tg_enrich(const struct tg *g, char *p, const struct opt_tick *ot,
    struct fmt_ctx *fc);

/* fwd.c ------------------------------------------------------------- */

/* Build t's chains (the forward models); exits 111 out of memory. */
void tg_chains_build(struct tg *g, struct table *t);
void tg_chains_free(struct table *t);
/* In stream order, an option tick of the forward models: update its
 * chain, give it its forward and the out-of-the-money price, and maybe
 * a chain line to write before it (j->pre). */
void tg_fwd_settle(struct tg *g, struct job *j);

/* pipeline.c -------------------------------------------------------- */

/*
 * Start n workers and the writer, no signal unblocked in them (n may be
 * 0: the main thread and the writer alone).  The tg_pipe_* calls below
 * return the writer's errno so far (0: none; a batch is dropped after
 * an error).
 */
struct tg_pipe *tg_pipe_start(struct tg *g, int n);
/* One line, left to a worker. */
int tg_pipe_line(struct tg_pipe *pp, const char *line, size_t len,
    uint64_t lineno);
/* A line too long, reported in its place. */
int tg_pipe_long(struct tg_pipe *pp, uint64_t lineno);
/* Send the batch being filled to the workers. */
int tg_pipe_send(struct tg_pipe *pp);
/* Send what is filled and wait until all of it is written. */
int tg_pipe_drain(struct tg_pipe *pp);
/* Drain, stop the threads, free pp; add the option ticks without an IV
 * to *noiv and the counts of the lines the workers settled to *c. */
int tg_pipe_stop(struct tg_pipe *pp, unsigned long long *noiv,
    struct counts *c);

#endif
