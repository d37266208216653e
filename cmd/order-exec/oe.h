/*
 * oe.h: how the parts of order-exec meet.
 * SPDX-License-Identifier: MIT
 *
 *   main.c       options, the event loop, clients (stdin, the socket),
 *                the scheduler: intents -> journal -> Kite -> results
 *   journal.c    the write-ahead journal: CRC'd lines, fsync, replay
 *   ratelimit.c  sliding-window limits (per second, minute, day)
 *   breaker.c    the circuit breaker over transient failures
 *   kite.c       Kite's order endpoints over libcurl, answers classified
 *   status.c     the status op: an order's history and fills, read
 */
#ifndef ORDER_EXEC_H
#define ORDER_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "kp.h"

/* ratelimit.c ------------------------------------------------------- */

/*
 * A sliding-window limit: at most n requests in any period_ms (a log of
 * the last n send times, so the limit holds over every window, not just
 * on average as a token bucket's would: Kite answers 429 to an 11th
 * order within any second).
 */
struct oe_window {
	int64_t *t;		/* ring of the last n send times */
	long n;			/* 0: no limit */
	long head, count;
	int64_t period_ms;
};

#define OE_NWINDOWS 3
#define OE_WINDOW_MAX 1000000	/* largest n (8 MB of log) */

struct oe_limits {
	struct oe_window w[OE_NWINDOWS];
};

/* Per second, per minute, per day; a limit <= 0 is no limit. */
void oe_limits_init(struct oe_limits *l, long per_s, long per_min,
    long per_day);
void oe_limits_free(struct oe_limits *l);
/* Milliseconds until a request may go under every limit (0: now). */
int64_t oe_limits_wait(const struct oe_limits *l, int64_t now_ms);
/* Record a request sent now. */
void oe_limits_take(struct oe_limits *l, int64_t now_ms);
/* Kite said 429: count the last second as full, so sending pauses. */
void oe_limits_drain(struct oe_limits *l, int64_t now_ms);

/* breaker.c --------------------------------------------------------- */

enum oe_breaker_state {
	OE_BR_CLOSED = 0,
	OE_BR_OPEN = 1,
	OE_BR_HALF = 2		/* one probe may go */
};

struct oe_breaker {
	int state;
	int fails;		/* consecutive transient failures */
	int threshold;		/* fails that open it */
	int64_t cooldown_ms;
	int64_t until_ms;	/* open until */
	int probing;		/* a half-open probe is out */
	uint64_t opened;	/* times it opened */
};

void oe_breaker_init(struct oe_breaker *b, int threshold, int64_t cooldown_ms);
/* The state now (an open breaker whose cooldown ended is half-open). */
int oe_breaker_state(struct oe_breaker *b, int64_t now_ms);
/* Whether a request may go now; in half-open, only one (the probe). */
int oe_breaker_allow(struct oe_breaker *b, int64_t now_ms);
/* Milliseconds until oe_breaker_allow may say yes. */
int64_t oe_breaker_wait(struct oe_breaker *b, int64_t now_ms);
void oe_breaker_success(struct oe_breaker *b);
/* Return 1 when this failure opened the breaker. */
int oe_breaker_failure(struct oe_breaker *b, int64_t now_ms);
const char *oe_breaker_name(int state);

/* journal.c --------------------------------------------------------- */

/*
 * The journal is a text file of records, one a line: 8 lowercase hex
 * digits of the CRC-32 of the JSON that follows, a space, one JSON
 * object, '\n'.  Each record is written with one write(2) and, unless
 * fsync is off, fdatasync'd before oe_journal_append returns.
 */
struct oe_journal {
	int fd;
	int fsync;
	uint64_t records;
	uint64_t bytes;
};

#define OE_JOURNAL_REC_MAX 16384

/* Called for each good record during replay: lineno from 1. */
typedef int (*oe_replay_fn)(void *arg, uint64_t lineno, const char *json,
    size_t len);

/*
 * Lock the journal at path for this process's life (a missing file is
 * created empty), replay it, then leave it open for appending.  A torn
 * last record (no '\n': a crash mid-write) is cut off and reported in
 * *cut (bytes); any whole line that fails its check is an error: the file
 * is not trusted.  fn returning < 0 stops replay with an error.
 * read_only: no lock, replay only, never cut or open for writing (j may
 * then be NULL).  Return 0; -2 when another process holds the lock (err
 * names its pid); -1 on any other error.  err is filled on failure.
 */
int oe_journal_open(struct oe_journal *j, const char *path, int fsync_on,
    int read_only, oe_replay_fn fn, void *arg, uint64_t *cut,
    char err[KP_ERRLEN]);
/* Append one record (json without '\n'); 0 or -1 with errno. */
int oe_journal_append(struct oe_journal *j, const char *json, size_t len);
void oe_journal_close(struct oe_journal *j);
/* Check one line's CRC and split it: 0 and json/len, or -1. */
int oe_journal_check(const char *line, size_t len, const char **json,
    size_t *jlen);

/* kite.c ------------------------------------------------------------ */

/* What an answer means for the intent. */
enum oe_kite_kind {
	OE_K_OK = 0,		/* success envelope */
	OE_K_FINAL,		/* Kite refused it: never retried */
	OE_K_NOTSENT,		/* not processed (no connection, 429): retry */
	OE_K_UNKNOWN		/* maybe processed (timeout, 5xx, lost
				 * connection, "timed out" 400): reconcile */
};

struct oe_resp {
	int kind;		/* enum oe_kite_kind */
	long http;		/* 0: no HTTP answer */
	char error_type[48];
	char message[256];
	char order_id[40];
	char why[128];		/* a short reason for logs and results */
	char *children;		/* autoslice: the children as a JSON array
				 * ({"order_id"} or {"error_type","message",
				 * "http"} each), malloc'd; else NULL */
};

/* Free what an answer holds. */
void oe_resp_free(struct oe_resp *r);

struct oe_kite;

/* base without a trailing '/'; auth is "api_key:access_token". */
struct oe_kite *oe_kite_new(const char *base, const char *auth,
    long timeout_ms);
void oe_kite_free(struct oe_kite *k);
/* The User-Agent order-exec sends (the official clients send theirs). */
#define OE_USER_AGENT "kitepipe-order-exec/" KP_VERSION

/* Replace the credentials (a reloaded access token). */
void oe_kite_set_auth(struct oe_kite *k, const char *auth);
/* method "POST", "PUT" or "DELETE"; path "/orders/regular..."; body
 * form-encoded (may be empty). */
void oe_kite_order(struct oe_kite *k, const char *method, const char *path,
    const char *body, struct oe_resp *r);

/*
 * GET path (an order's history or trades): the answer's "data" (a new
 * reference, json_decref it) when r->kind is OE_K_OK, else NULL.
 */
struct json_t;
struct json_t *oe_kite_get(struct oe_kite *k, const char *path,
    struct oe_resp *r);

/* One order of the order book, as far as order-exec cares. */
struct oe_book_order {
	char order_id[40];
	char status[32];
	char tag[32];
	char parent[40];	/* autoslice:<parent> in tags[], else "" */
};

/*
 * GET /orders.  On success (r->kind OE_K_OK) *out holds the orders
 * (malloc'd, free it) and *n their number.
 */
void oe_kite_orders(struct oe_kite *k, struct oe_book_order **out, size_t *n,
    struct oe_resp *r);

/* status.c --------------------------------------------------------- */

struct kp_intent;

/* Read in->order_id's history and trades; append the answer line (no
 * newline): result "status", or "rejected" / "busy" when Kite would not
 * say. */
void oe_status_answer(struct oe_kite *k, const struct kp_intent *in,
    struct kp_buf *b);

#endif
