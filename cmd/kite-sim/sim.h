/*
 * sim.h: the parts of kite-sim and how they meet.
 * SPDX-License-Identifier: MIT
 *
 * kite-sim is one process, one libwebsockets context, one port: the ticker
 * WebSocket (an upgrade on any path, as ws.kite.trade takes it on "/") and
 * Kite's REST API (every other request) share it, so KITE_WS_URL and
 * KITE_API_URL can both point at it.
 *
 *   main.c     options, the lws context and event loop, HTTP plumbing,
 *              the control socket, signals, readiness, /sim/ endpoints
 *   market.c   the universe (instruments, tokens) and the market model:
 *              GBM underlyings, futures, option chains priced from a smile,
 *              the simulated clock
 *   ticker.c   the ticker WebSocket: auth, subscribe/unsubscribe/mode,
 *              binary messages by lib's encoder, heartbeats, text messages,
 *              ticker faults, replay of captures
 *   rest.c     everything under Kite's REST API: instruments CSV (gzip,
 *              conditional GET), orders and trades with paper fills,
 *              session token, historical candles, HTTP faults
 *
 * All of it runs on the one event-loop thread: nothing here locks.
 * Prices are integer paise (1/100 rupee) as on Kite's wire, except where a
 * field says rupees.
 */
#ifndef KITE_SIM_H
#define KITE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kp.h"

/* One instrument of the simulated universe (a row of /instruments). */
struct sim_instr {
	uint32_t token;			/* instrument_token; segment = token & 0xff */
	uint32_t exchange_token;	/* token >> 8 */
	char tradingsymbol[40];
	char name[32];			/* "NIFTY", "NIFTY 50", "RELIANCE" */
	char exchange[8];		/* "NSE", "NFO", "BSE", "BFO" */
	char segment[16];		/* "INDICES", "NSE", "NFO-FUT", "NFO-OPT" */
	char instrument_type[4];	/* "EQ", "FUT", "CE", "PE" */
	int32_t expiry_day;		/* days since 1970-01-01 (IST date); -1 none */
	int64_t strike;			/* paise; 0 when none */
	int32_t tick_size;		/* paise (5 = 0.05) */
	int32_t lot_size;
	bool is_index;			/* gets index packets on the ticker */
	int32_t underlying;		/* index into sim.instr of the underlying, -1 */
	int32_t freeze_qty;		/* largest quantity of one order; 0 none */
};

/* Faults, set by flags and at run time by the control socket (main.c). */
struct sim_faults {
	/* ticker (ticker.c) */
	int64_t drop_after_ms;		/* close every connection after this; 0 off */
	int64_t drop_after_msgs;	/* ... or after this many messages; 0 off */
	bool stall;			/* send nothing at all, not even heartbeats */
	double malformed_p;		/* probability a binary message is corrupted */
	bool refuse_auth;		/* 403 on every upgrade and REST call */
	/* REST (rest.c) */
	double http_429_p;		/* probability of a 429 answer */
	double http_5xx_p;		/* probability of a 5xx answer (503) */
	int64_t delay_ms;		/* added before every REST answer */
	/*
	 * Ambiguous order writes: a placement, modification or cancellation
	 * changes the book (and may fill) but is answered only after
	 * ambiguous_ms, or never when ambiguous_ms < 0; the next
	 * `ambiguous_n` order writes are affected (-1: all of them).
	 */
	int64_t ambiguous_n;
	int64_t ambiguous_ms;
	/* GET /orders, /orders/{id}, /orders/{id}/trades and /trades show
	 * an order only this long after it was booked */
	int64_t book_lag_ms;
	/* autoslice: child N and the later ones fail (MarginException);
	 * 0 off */
	int64_t child_fail_from;
	/* the instruments dump: its body (gzip'd or not, as served) cut to
	 * this many bytes (0: whole), or one byte of it changed */
	int64_t dump_cut;
	bool dump_corrupt;
};

struct sim_conf {
	const char *api_key;
	const char *access_token;
	const char *api_secret;		/* for /session/token checksums */
	uint64_t seed;
	double speed;			/* simulated seconds per real second */
	double tick_hz;			/* ticks/s per subscribed instrument */
	bool flat_out;			/* send as fast as the sockets take */
	int max_tokens;			/* per connection (3000) */
	int max_conns;			/* per api_key (3) */
	int orders_per_s;		/* 429 past this (10) */
};

struct sim_rest;			/* rest.c's private state */
struct sim_ticker;			/* ticker.c's private state */
struct sim_market;			/* market.c's private state */
struct sim_account;			/* accounts.c's */

struct sim {
	struct sim_conf conf;
	struct sim_faults faults;
	struct kp_rng rng;		/* for faults; the market has its own */
	struct sim_instr *instr;	/* the universe, ordered by token */
	size_t n_instr;
	struct sim_market *market;
	struct sim_ticker *ticker;
	struct sim_rest *rest;
	void *lws_context;		/* struct lws_context *, for main.c */
	struct sim_account *acct;	/* 0: conf's key and token */
	size_t nacct;
};

/* market.c ---------------------------------------------------------- */

/* Build the universe and the model from conf; 0 or -1 (logged). */
int sim_market_init(struct sim *s);
void sim_market_free(struct sim *s);
/* The simulated clock, microseconds since the epoch. */
int64_t sim_now_us(const struct sim *s);
/* Advance the model to the current simulated time. */
void sim_market_step(struct sim *s);
/* Index into s->instr of a token, or -1. */
long sim_find(const struct sim *s, uint32_t token);
/*
 * The current state of instrument i as a full tick (every field filled;
 * index instruments fill what index packets carry).  Timestamps are from
 * the simulated clock.
 */
void sim_quote(const struct sim *s, size_t i, struct kp_tick *out);
/* Last price of instrument i, paise. */
int32_t sim_ltp(const struct sim *s, size_t i);
/*
 * The model's price of instrument i, rupees (not on the tick), when its
 * underlying is at S rupees at simulated time t_us: what the live ticks
 * use, and the historical candles of derivatives.
 */
double sim_price_at(const struct sim *s, size_t i, double S, int64_t t_us);
/*
 * Set the freeze quantity (0: none) of every F&O instrument whose name
 * (the underlying, "NIFTY") or tradingsymbol is name; the number set.
 */
size_t sim_set_freeze(struct sim *s, const char *name, int32_t qty);
/* "move" (level > 0) and "trend" (rate non-NULL) an underlying by name;
 * return 0, or -1 when there is none so named. */
int sim_market_move(struct sim *s, const char *name, double level,
    const double *rate);

/* ticker.c ---------------------------------------------------------- */

/*
 * Send a text message (Kite's {"type":"order","data":{...}} shape, or
 * any other) to every ticker connection authenticated with api_key.
 */
void sim_ticker_text(struct sim *s, const char *api_key, const char *json,
    size_t len);

/* rest.c ------------------------------------------------------------ */

/* One HTTP request, as main.c received it (body complete). */
struct sim_req {
	const char *method;		/* "GET", "POST", "PUT", "DELETE" */
	const char *path;		/* "/orders/regular", no query */
	const char *query;		/* raw, without '?'; "" when none */
	const char *authorization;	/* header value or NULL */
	const char *kite_version;	/* X-Kite-Version or NULL */
	const char *content_type;	/* or NULL */
	const char *if_none_match;	/* or NULL */
	const char *if_modified_since;	/* or NULL */
	bool accept_gzip;
	const char *body;		/* form-encoded for POST/PUT; may be NULL */
	size_t body_len;
};

#define SIM_RESP_MAX_HEADERS 6

/* What rest.c answers; main.c sends it and frees body with free(). */
struct sim_resp {
	int status;			/* 200, 400, 403, 429, 503, ... */
	const char *content_type;	/* static string */
	char *body;			/* malloc'd, or NULL */
	size_t body_len;
	/* extra headers ("ETag", "\"abc\""): static or owned by rest.c
	 * until the next call; Content-Encoding is one of them when gzipped */
	const char *hname[SIM_RESP_MAX_HEADERS];
	const char *hvalue[SIM_RESP_MAX_HEADERS];
	int nheaders;
	/* answer after this many ms (0: now); < 0: never (hold until the
	 * client goes away) */
	int64_t delay_ms;
};

int sim_rest_init(struct sim *s);
void sim_rest_free(struct sim *s);
/* Answer one request; always fills *resp (404 for unknown paths). */
void sim_rest_handle(struct sim *s, const struct sim_req *req,
    struct sim_resp *resp);
/* Called by main.c after every market step: fill crossed limit orders. */
void sim_rest_on_market(struct sim *s);

#endif
