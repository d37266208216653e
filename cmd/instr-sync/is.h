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
};

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
	/* sync: the list as COPY text */
	struct kp_buf copy;
	int feeding;			/* the parser has had bytes */
};

/* Whether a row passes the filters of o. */
int is_filter(const struct is_opts *o, const struct kp_instr *in);

/* fetch.c: Kite's dump into the parser.  Return 0 (rows parsed), 1 (304,
 * nothing new) or an exit code >= 100 (after logging why).  On success
 * *commit must be called once the result is safely used, to store the
 * cache validators. */
struct is_fetch;
int is_fetch(const struct is_opts *o, struct kp_instr_parser *p,
    struct is_sink *s, struct is_fetch **f);
void is_fetch_commit(struct is_fetch *f);
void is_fetch_free(struct is_fetch *f);

/* chain.c: print the chain from s->keep; return an exit code. */
int is_chain(struct is_sink *s);
int is_chain_row(struct is_sink *s, const struct kp_instr *in);

/* db.c */
int is_sync_row(struct is_sink *s, const struct kp_instr *in);
/* Sync s->copy into PostgreSQL; bad = rows rejected by the parser.
 * Return an exit code. */
int is_sync(struct is_sink *s, const char *source, uint64_t bad);

#endif
