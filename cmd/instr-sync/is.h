/* is.h: instr-sync's parts: options, fetch, output, chain, PostgreSQL. */
/* SPDX-License-Identifier: MIT */
#ifndef IS_H
#define IS_H

#include "kp.h"
#include "kp_instr.h"

#define IS_PROG "instr-sync"

enum is_mode { IS_LIST, IS_CHAIN, IS_SYNC };

struct is_opts {
	enum is_mode mode;
	const char *file;		/* -f: a local CSV instead of Kite */
	const char *exchange;		/* -x: fetch and filter one exchange */
	const char *segment, *name, *type;
	long long expiry_within;	/* days, -1 = no filter */
	int csv;			/* --csv */
	const char *cache;		/* --cache DIR */
	const char *api_url;		/* KITE_API_URL */
	long long timeout_ms, connect_ms, retries;
	int32_t today;			/* days since 1970 (IST) */
	/* chain */
	const char *chain;		/* underlying name */
	int64_t spot;			/* x 10^4, 0 = from the dump */
	long long strikes, expiries;
	const char *subs_mode;		/* --subs MODE: subscription file */
	/* sync */
	const char *db;			/* --db URL, NULL: DATABASE_URL/PG* */
	int dry_run, no_wait;
	double max_deactivate;		/* --max-deactivate, % of active */
	long long allow_bad;		/* --allow-bad N rejected rows */
	const char *prom;		/* -P FILE: the run's metrics */
};

/* input.c: the dump's bytes (plain or gzip) into the parser. */
struct is_in {
	struct kp_instr_parser *p;
	void *z;			/* z_stream */
	int mode, held;
	unsigned char last;		/* the last byte of CSV */
	uint64_t lines;			/* newlines in the CSV */
	uint64_t out;			/* bytes of CSV */
	int midrow;			/* the CSV ends without a newline */
	int damaged;			/* the gzip stream is bad or cut */
	char err[KP_ERRLEN];
};

void is_in_init(struct is_in *in, struct kp_instr_parser *p);
/* Return 0, or -1 (is_in_error says why: the parser's fatal error or a
 * damaged gzip stream); later calls then return -1 at once. */
int is_in_feed(struct is_in *in, const void *buf, size_t n);
/* End of input: a gzip stream not ended (cut short) is an error (-1).
 * With whole_lines, CSV that does not end with a newline sets midrow and
 * the partial row never reaches the parser (the caller counts it as a
 * rejected row); otherwise the parser finishes as usual. */
int is_in_finish(struct is_in *in, int whole_lines);
const char *is_in_error(const struct is_in *in);
/* Read a file ("-": stdin) through in and finish it; return 0 or -1. */
int is_in_read(struct is_in *in, const char *path, int whole_lines);
void is_in_free(struct is_in *in);

/* Where rows go while the input is parsed. */
struct is_sink {
	const struct is_opts *o;
	int (*row)(struct is_sink *s, const struct kp_instr *in);
	uint64_t bad;			/* bad rows reported */
	uint64_t out_rows;
	struct kp_out out;		/* stdout */
	struct kp_buf line;
	/* chain: the rows of the underlying */
	struct kp_instr *keep;
	size_t nkeep, capkeep;
	/* sync: the list as COPY text, and its tokens */
	struct kp_buf copy;
	uint32_t *toks;
	size_t ntoks, captoks;
	int feeding;			/* the parser has had bytes */
	/* the run, for -P: sync counts (added, reused, changed, unchanged,
	 * deactivated, repeated tokens) and a 304 */
	long long cnt[6];
	int not_modified;
};

/* Whether a row passes the filters of o. */
int is_filter(const struct is_opts *o, const struct kp_instr *in);

/* opts.c: the defaults (with the environment), then the command line. */
void is_opts_init(struct is_opts *o);
void is_parse_args(struct is_opts *o, int argc, char **argv);

/* fetch.c: Kite's dump into the parser, through in (finished there).
 * Return 0 (rows parsed; in->midrow may be set), 1 (304, nothing new) or
 * an exit code >= 100 (after logging why).  On success
 * *commit must be called once the result is safely used, to store the
 * cache validators. */
struct is_fetch;
int is_fetch(const struct is_opts *o, struct is_in *in,
    struct is_sink *s, struct is_fetch **f);
void is_fetch_commit(struct is_fetch *f);
void is_fetch_free(struct is_fetch *f);

/* chain.c: print the chain from s->keep; return an exit code. */
int is_chain(struct is_sink *s);
int is_chain_row(struct is_sink *s, const struct kp_instr *in);

/* db.c */
int is_sync_row(struct is_sink *s, const struct kp_instr *in);
/* Sync s->copy into PostgreSQL; bad = rows rejected by the parser.
 * More rejected rows (bad and repeated tokens) than --allow-bad, or more
 * active rows to deactivate than --max-deactivate, and nothing changes
 * (the run is recorded as refused).  Return an exit code. */
int is_sync(struct is_sink *s, const char *source, uint64_t bad);

/* prom.c: write the run's metrics to o->prom (when set); t0 is the
 * run's start (Unix time, seconds). */
void is_prom(const struct is_sink *s, const struct kp_instr_counts *n,
    int code, double t0);

#endif
