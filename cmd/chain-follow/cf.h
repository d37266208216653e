/*
 * cf.h: chain-follow's parts: the chain (chain.c, what to subscribe for a
 * centre and a time), the control client (ctl.c, kite-stream's socket),
 * the follower (follow.c, ticks in, subscriptions and status lines out).
 */
/* SPDX-License-Identifier: MIT */
#ifndef CF_H
#define CF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kp.h"
#include "kp_instr.h"

/* Bounds: options of one underlying kept from the list, strikes either
 * side, expiries. */
#define CF_ROWS_MAX 200000
#define CF_STRIKES_MAX 200
#define CF_EXPIRIES_MAX 12
/* Tokens in one subscribe or unsubscribe message. */
#define CF_MSG_TOKENS 500

/* 15:30 IST, seconds into the UTC day of the expiry date. */
#define CF_EXPIRY_SOD (15 * 3600 + 30 * 60 - 19800)

struct cf_row {
	uint32_t token;
	int32_t expiry;		/* days since 1970-01-01 */
	int64_t strike;		/* x 10^4 */
	bool call;
};

/* The options of one underlying, sorted by expiry, strike, call first. */
struct cf_chain {
	struct cf_row *v;
	size_t n;
	uint32_t und_token;	/* the underlying's row, 0 if not listed */
	uint64_t bad;		/* bad rows of the list */
};

/* A sorted set of tokens (at most 2 * (2N + 1) * K). */
struct cf_set {
	uint32_t *v;
	size_t n, cap;
};

struct cf_opts {
	const char *ctl;	/* kite-stream's control socket */
	const char *instr;	/* the instruments CSV */
	const char *name;	/* the options' underlying name */
	const char *exch;	/* only options of this exchange, or NULL */
	const char *mode;	/* ltp, quote, full, or NULL */
	long long strikes;	/* either side */
	long long expiries;
	long long und_token;	/* 0: the list's row of name */
	long long timeout_ms;	/* per control request */
	long long max_line;
	double h;		/* hysteresis, in strike steps */
	int ready_fd;
};

struct cf_stats {
	uint64_t lines, ticks, bad, recentres, rolls, reloads;
	uint64_t sub_msgs, unsub_msgs, ctl_errors, held;
};

/* The follower: what it holds, where the centre is. */
struct cf {
	const struct cf_opts *o;
	struct cf_chain chain;
	uint32_t und;		/* the underlying's token, followed */
	struct kp_out out;
	struct cf_set have;	/* what kite-stream took from us */
	struct cf_set want;
	int64_t spot;		/* last price, x 10^4; 0 none yet */
	int64_t centre;		/* x 10^4; 0 none yet */
	int32_t ex[CF_EXPIRIES_MAX];
	size_t nex;
	int64_t clock_off;	/* the ticks' clock less ours, s */
	bool und_held;		/* the underlying subscribed */
	bool dirty;		/* want and have differ: retry */
	bool warned_none;	/* no expiry left, said once */
	int64_t retry_ms;	/* monotonic time of the next try */
	struct kp_backoff bo;
	struct cf_stats st;
};

/* follow.c ---------------------------------------------------------- */

/* Set up f (the chain already loaded into f->chain). */
void cf_init(struct cf *f, const struct cf_opts *o);
/* One line of stdin: pass it on; follow the underlying's price. */
void cf_line(struct cf *f, const char *line, size_t len);
/* Every second and after a signal: retries, the expiry roll. */
void cf_timer(struct cf *f);
/* SIGHUP: read the instrument list again (the old one stays on error). */
void cf_reload(struct cf *f);
void cf_stats_log(const struct cf *f);
void cf_free(struct cf *f);

/* chain.c ----------------------------------------------------------- */

/*
 * Load the options named name (and, when exch is not NULL, of that
 * exchange) from Kite's instruments CSV at path.  Return 0, or -1 with
 * err filled (unreadable, no header, more than CF_ROWS_MAX options).
 * Options of no strike or expiry are left out.
 */
int cf_chain_load(struct cf_chain *c, const char *path, const char *name,
    const char *exch, char err[KP_ERRLEN]);
void cf_chain_free(struct cf_chain *c);

/*
 * The first k expiries (days) still trading at now (epoch s): an expiry
 * rolls off at 15:30 IST of its day.  Return how many (<= k).
 */
size_t cf_expiries(const struct cf_chain *c, int64_t now, size_t k,
    int32_t *out);

/*
 * The strike nearest price among the first expiry's strikes
 * (x 10^4), and the step: the gap from it to its neighbour on the
 * side of price (either neighbour when equal).  Return 0, or -1 when
 * the expiry has no strikes.
 */
int cf_atm(const struct cf_chain *c, int32_t expiry, int64_t price,
    int64_t *atm, int64_t *step);

/*
 * Whether to re-centre from centre (0: none yet) at price: when there is
 * no centre, or price is more than h steps of the strikes around centre
 * away from it.  *to gets the new centre (the strike nearest price).
 */
bool cf_recentre(const struct cf_chain *c, int32_t expiry, int64_t centre,
    int64_t price, double h, int64_t *to);

/*
 * The tokens to hold: for each of the n expiries ex[], the CE and PE of
 * the nstrikes strikes either side of the strike nearest centre.
 */
void cf_want(const struct cf_chain *c, const int32_t *ex, size_t n,
    int64_t centre, size_t nstrikes, struct cf_set *out);

void cf_set_add(struct cf_set *s, uint32_t t);
bool cf_set_has(const struct cf_set *s, uint32_t t);
void cf_set_sort(struct cf_set *s);
/* out = a - b (all sorted). */
void cf_set_minus(const struct cf_set *a, const struct cf_set *b,
    struct cf_set *out);
void cf_set_free(struct cf_set *s);

/* ctl.c ------------------------------------------------------------- */

/*
 * Send one request to kite-stream's control socket at path and read its
 * answer: {"a":action,"v":[tokens]} (mode non-NULL: {"a":"mode","v":
 * [mode,[tokens]]}).  Return 0 when kite-stream took it, -1 with err
 * filled (unreachable, timeout, refused: its error text).
 */
int cf_ctl_send(const char *path, long long timeout_ms, const char *action,
    const char *mode, const uint32_t *tokens, size_t n, char err[KP_ERRLEN]);

#endif
