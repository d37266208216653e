/*
 * simx.h: what main.c, market.c and ticker.c share beyond sim.h (rest.c
 * does not need it): the model's options, the ticker's lws callback and
 * the control commands.
 * SPDX-License-Identifier: MIT
 */
#ifndef KITE_SIM_X_H
#define KITE_SIM_X_H

#include <libwebsockets.h>

#include "sim.h"

#define SIM_PROG "kite-sim"

/* Options only main.c, market.c and ticker.c read (set once by main). */
struct simx_opts {
	double vol;		/* annual volatility of the indices */
	double atm, skew, curv, term;	/* the smile, see market.c */
	double r, q;		/* rate; dividend yield of the indices */
	double carry;		/* hidden carry: every underlying's yield
				 * priced with is its dividend yield minus
				 * this (--carry) */
	int64_t start_us;	/* simulated start; 0: now */
	int64_t step_us;	/* simulated time per model step */
	bool latency_stamp;
	int spread;		/* messages per tick period per connection */
	const char *replay_path;
	double replay_speed;	/* 0: as fast as the socket takes */
	bool replay_loop;
	size_t text_frame;	/* text messages in frames of this; 0 whole */
	int64_t bad_utf8;	/* connections still to get invalid UTF-8 */
};

extern struct simx_opts simx;

/* market.c: the smile and model parameters as one JSON object. */
int sim_market_json(struct sim *s, struct kp_buf *b);
/* The simulated clock's start, for /sim/state. */
int64_t sim_market_start_us(const struct sim *s);
/* Annualised time to expiry of instrument i (0 when none or past). */
double sim_market_t(const struct sim *s, size_t i);

/* ticker.c */
struct sim_tk_stats {
	uint64_t conns, conns_total, refused, subs;
	uint64_t msgs, ticks, heartbeats, texts, bytes, dropped, malformed;
	uint64_t bad_requests;
};

int sim_ticker_init(struct sim *s);
void sim_ticker_free(struct sim *s);
/* Called by main.c's protocol callback for every websocket reason
 * (FILTER_PROTOCOL_CONNECTION, ESTABLISHED, RECEIVE, SERVER_WRITEABLE,
 * CLOSED); user is the connection's per-session slot, a pointer. */
int sim_ticker_cb(struct sim *s, struct lws *wsi,
    enum lws_callback_reasons reason, void **user, void *in, size_t len);
/* Close every ticker connection now, abruptly (the "drop" fault). */
void sim_ticker_drop_all(struct sim *s);
void sim_ticker_stats(const struct sim *s, struct sim_tk_stats *st);
/* A fault changed: rearm timers. */
void sim_ticker_faults_changed(struct sim *s);

/* accounts.c: account 0 is the default key and token; --account adds
 * more.  The ticker takes each key's token, at most --max-conns
 * connections a key, and refuses a revoked one (403). */
#define SIM_ACCOUNTS_MAX 16
struct sim_account {
	char *key;
	char *token;
	bool revoked;
};
void sim_accounts_init(struct sim *s);
/* --account KEY:TOKEN_FILE; dies on a bad one. */
void sim_account_add(struct sim *s, const char *arg);
void sim_accounts_free(struct sim *s);
long sim_account_find(const struct sim *s, const char *key);
/* The account of key and token, or -1. */
long sim_account_auth(const struct sim *s, const char *key,
    const char *token);
/* revoke (its connections closed, new ones refused) or restore; 0, or
 * -1 for an unknown key. */
int sim_account_revoke(struct sim *s, const char *key, bool revoked);
/* ,"accounts":[...] for the status answer. */
void sim_accounts_json(struct sim *s, struct kp_buf *b);

/* ticker.c: close account a's connections; its connections and
 * subscriptions as ,"connections":N,"subscriptions":[n per connection] */
void sim_ticker_drop_account(struct sim *s, int a);
void sim_ticker_account_json(struct sim *s, int a, struct kp_buf *b);

/* ctl.c: append `key` (text such as ",\"name\":") then a value. */
void sim_kv_i64(struct kp_buf *b, const char *key, int64_t v);
void sim_kv_u64(struct kp_buf *b, const char *key, uint64_t v);
void sim_kv_dbl(struct kp_buf *b, const char *key, double v);
void sim_kv_str(struct kp_buf *b, const char *key, const char *v);

/* http.c: the protocol callback and its per-session size */
int sim_http_cb(struct sim *s, struct lws *wsi,
    enum lws_callback_reasons reason, void *user, void *in, size_t len);
size_t sim_http_sess_size(void);

/* ctl.c: one control command line; the one-line answer goes to b
 * (without '\n').  Return 0, or -1 for an error answer. */
int sim_control(struct sim *s, const char *line, struct kp_buf *b);

int sim_ctl_cb(struct sim *s, struct lws *wsi,
    enum lws_callback_reasons reason, void *user, bool listener);

/* opts.c: main()'s options besides the simulation's own (struct sim). */
struct main_opts {
	const char *addr;
	long long port;
	const char *port_file;
	const char *control;
	int ready_fd;
	long long stats_ms;
	const char *freeze[16];		/* --freeze-qty NAME=N, in order */
	int n_freeze;
	const char *account[16];	/* --account KEY:TOKEN_FILE */
	int n_account;
};

/* Defaults, then the command line (exit 100 when wrong). */
void sim_defaults(struct sim *s, struct main_opts *o);
void sim_parse_args(struct sim *s, struct main_opts *o, int argc,
    char **argv);
/* --freeze-qty NAME=N, once the universe exists. */
void sim_freeze_opts(struct sim *s, const struct main_opts *o);
/* The API key, token and secret (the environment, else the demo's);
 * owned[] gets what was allocated. */
void sim_credentials(struct sim_conf *cf, char **owned);

#endif
