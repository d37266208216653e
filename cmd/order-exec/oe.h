/*
 * oe.h: how the parts of order-exec meet.
 * SPDX-License-Identifier: MIT
 *
 *   main.c       startup, the event loop, shutdown, the stats line
 *   opts.c       options and usage
 *   state.c      entries and their tables, the journal's records and
 *                replay, finishing results (and dead letters), --status
 *   send.c       sending, settling by the order book, the scheduler
 *                step: intents -> journal -> Kite -> results; the
 *                credentials and the token hold
 *   clients.c    clients (stdin, the socket), intent lines, waiters
 *   journal.c    the write-ahead journal: CRC'd lines, fsync, replay
 *   ratelimit.c  sliding-window limits (per second, minute, day)
 *   breaker.c    the circuit breaker over transient failures
 *   kite.c       Kite's order endpoints over libcurl, answers classified
 *   status.c     the status op: an order's history and fills, read
 *
 * One struct oe_ctx holds all of a run's state and is passed to every
 * function that needs it.  main.c calls the others; clients.c takes
 * intents into state.c; send.c sends and finishes through state.c;
 * state.c and send.c call back into clients.c only to answer waiters.
 */
#ifndef ORDER_EXEC_H
#define ORDER_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "kp.h"
#include "kp_intent.h"

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

/* Read in->order_id's history and trades; append the answer line (no
 * newline): result "status", or "rejected" / "busy" when Kite would not
 * say. */
void oe_status_answer(struct oe_kite *k, const struct kp_intent *in,
    struct kp_buf *b);

/* the program: main.c, opts.c, state.c, send.c, clients.c ------------ */

#define OE_PROG "order-exec"
#define OE_MAXCONN 64
#define OE_OUT_MAX (1u << 20)
#define OE_NBUCKET 4096

enum oe_entry_state { OE_ST_QUEUED = 1, OE_ST_SENT = 2, OE_ST_DONE = 3 };

/* A client owed an answer; gen tells a reused slot from its old client. */
struct oe_waiter {
	int slot;
	uint64_t gen;
};

/* One intent accepted (or replayed from the journal). */
struct oe_entry {
	struct kp_intent in;
	char tag[KP_INTENT_TAG_MAX + 1];
	int state;		/* enum oe_entry_state */
	int attempts;		/* requests sent (or about to be) */
	int unknown;		/* reconciling an attempt's unknown outcome
				 * (else a restart's look before sending) */
	int64_t recon_until;	/* the last look at the order book */
	int recon_fails;	/* failed GET /orders in a row */
	int64_t next_ms;
	char *result;		/* final answer without its closing '}' */
	int told_waiting;	/* answered "waiting" (a token hold) */
	struct oe_waiter *w;
	size_t nw;
	struct kp_backoff bo;
	struct oe_entry *id_next, *tag_next;
};

/* A client: stdin (in 0, out 1) or a socket (in == out). */
struct oe_conn {
	int used;
	int in, out;
	uint64_t gen;
	struct kp_line lr;
	struct kp_buf ob;
	int eof;
	unsigned pending;	/* intents still owed an answer */
};

struct oe_opts {
	const char *journal_path, *dead_path, *listen_path;
	long mode;
	int status, fsync_on, notify_fd;
	long long timeout_ms, per_s, per_min, per_day, queue_max, attempts;
	long long br_threshold, br_cooldown_ms, recon_window_ms;
	long long backoff_base_ms, backoff_cap_ms, market_protection;
	long long stats_ms;		/* -s: stats every, 0 off */
	const char *prom_path;		/* -P: Prometheus textfile */
};

struct oe_stats {
	uint64_t intents, invalid, busy, duplicates, placed, modified,
	    cancelled, rejected, dead, sent, retries, reconciled, unknown,
	    http429, breaker_opened, status;
};

struct oe_ctx {
	struct oe_opts opt;
	struct oe_entry *by_id[OE_NBUCKET], *by_tag[OE_NBUCKET];
	struct oe_entry **all;	/* in the order accepted */
	size_t nall, capall;
	struct oe_entry **queue;	/* unfinished, in order */
	size_t nqueue, capqueue;
	struct oe_conn conns[OE_MAXCONN];
	uint64_t gen_next;
	struct oe_journal journal;
	struct oe_limits limits;
	struct oe_breaker breaker;
	struct oe_kite *kite;
	int listen_fd;
	const char *crash_at;	/* KP_ORDER_EXEC_CRASH_AT */
	/* Kite refused the access token on an order: nothing is sent until
	 * the token file changes or SIGHUP (token_seen: the file when
	 * refused). */
	int token_hold;
	struct stat token_seen;
	struct oe_stats st;
};

/* opts.c */
/* The compiled defaults. */
void oe_opts_default(struct oe_opts *o);
/* getopt_long into o; exits 0 on -h and 100 on a usage error. */
void oe_parse_args(struct oe_opts *o, int argc, char **argv);
/* JOURNAL.dead, malloc'd. */
char *oe_dead_default(const char *journal_path);

/* state.c */
/* The test-only crash hook (KP_ORDER_EXEC_CRASH_AT): die like kill -9. */
void oe_crash(const struct oe_ctx *oe, const char *point);
struct oe_entry *oe_find_id(struct oe_ctx *oe, const char *id);
struct oe_entry *oe_find_tag(struct oe_ctx *oe, const char *tag);
/* A new queued entry, in the tables (not yet on the queue). */
struct oe_entry *oe_entry_new(struct oe_ctx *oe, const struct kp_intent *in,
    const char *tag);
void oe_enqueue(struct oe_ctx *oe, struct oe_entry *e);
/* Free every entry and the tables (at exit). */
void oe_state_free(struct oe_ctx *oe);
/* Journal record t ("accept", "send", "void", "done") of e; extra is
 * appended inside the object.  Exits 111 when it cannot be written. */
void oe_journal_rec(struct oe_ctx *oe, const char *t,
    const struct oe_entry *e, const char *extra);
/* The oe_replay_fn that rebuilds the tables; arg is the struct oe_ctx. */
int oe_replay_rec(void *arg, uint64_t lineno, const char *json,
    size_t len);
/* Append ,"k":"v" (v escaped). */
void oe_res_field(struct kp_buf *b, const char *k, const char *v);
/* Finish e (journal the result, then answer its waiters). */
void oe_finish_ok(struct oe_ctx *oe, struct oe_entry *e,
    const char *order_id, int reconciled, const char *children);
void oe_finish_rejected(struct oe_ctx *oe, struct oe_entry *e,
    const struct oe_resp *r);
void oe_finish_dead(struct oe_ctx *oe, struct oe_entry *e, const char *why,
    int maybe_placed);
/* --status: print the journal's state and dead letters; the exit code. */
int oe_print_status(struct oe_ctx *oe);

/* send.c */
/* Settle e by the order book before anything else is sent. */
void oe_settle(struct oe_ctx *oe, struct oe_entry *e, int unknown,
    int64_t now);
/* Do one step of work if one is due; 0 when something was done, else
 * the milliseconds until the next thing may be due (-1: nothing). */
int64_t oe_step(struct oe_ctx *oe);
/* oe->kite from the environment's credentials and KITE_API_URL; exits
 * 100 when they are missing or wrong. */
void oe_open_kite(struct oe_ctx *oe);
/* New credentials; a token hold ends (held intents go, in order). */
void oe_reload_auth(struct oe_ctx *oe, const char *why);
/* Whether the token file changed since the token was refused. */
int oe_token_file_changed(const struct oe_ctx *oe);

/* clients.c */
/* A client slot for fds in and out, or -1 when all are taken. */
int oe_conn_open(struct oe_ctx *oe, int in, int out);
void oe_conn_close(struct oe_ctx *oe, int slot);
void oe_conn_flush(struct oe_ctx *oe, int slot);
/* Read and handle the client's complete intent lines. */
void oe_conn_read(struct oe_ctx *oe, int slot);
void oe_accept(struct oe_ctx *oe);
/* Bind and listen on opt.listen_path; exits on failure. */
void oe_listen(struct oe_ctx *oe);
/* Answer every waiter of a finished entry. */
void oe_answer_waiters(struct oe_ctx *oe, struct oe_entry *e);
/* Tell e's waiters, once, that it is held for a new access token. */
void oe_tell_waiting(struct oe_ctx *oe, struct oe_entry *e);

#endif
