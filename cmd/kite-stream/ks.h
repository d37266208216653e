/*
 * ks.h: kite-stream's parts: options, output of decoded messages, replay,
 * and the live client's context.  The files:
 *   main.c      options, then replay (-r) or the live client
 *   emit.c      decoded ticker messages to kitepipe-ticks(5) lines
 *   conflate.c  ticks held per instrument while the output is behind
 *   orders.c    order updates already written on another connection
 *   replay.c    a capture (-r) decoded through emit.c
 *   subs.c      subscriptions: tokens, modes, the file, the arguments
 *   live.c      the live client: setup, the poll(2) loop, housekeeping
 *               (watchdog, credentials, signals), teardown
 *   status.c    the live output: status lines, flushes that never block,
 *               conflated ticks drained
 *   ctl.c       the control socket (-c): Kite's subscribe, unsubscribe
 *               and mode messages
 *   pool.c      subscriptions spread over the accounts and their
 *               connections, and the messages that (un)subscribe them;
 *               readiness
 *   acct.c      the accounts (-A): their file, credentials, failover of
 *               a failed account's instruments and rebalancing
 *   conn.c      a ticker WebSocket connection: connect, reconnect with
 *               backoff, upgrade, frames in and out, close, linger
 *   dial.c      its transport: name lookups on a thread, TCP, TLS
 * Calls go one way, never back up: main.c to emit.c, replay.c, live.c;
 * live.c to acct.c, ctl.c, pool.c, conn.c, dial.c and status.c (and
 * emit.c, conflate.c, subs.c); acct.c to pool.c, conn.c and status.c;
 * ctl.c to pool.c; conn.c to dial.c, pool.c,
 * status.c and emit.c; status.c to emit.c and conflate.c; emit.c to
 * conflate.c and orders.c.
 */
/* SPDX-License-Identifier: MIT */
#ifndef KS_H
#define KS_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "kp.h"
#include "kp_wsframe.h"
#include "kp_wsurl.h"

#define KS_PROG "kite-stream"

struct ks_opts {
	const char *read_path;		/* -r: decode a capture */
	const char *subs_path;		/* -f: subscription file */
	const char *write_path;		/* -w: record a capture */
	unsigned default_mode;		/* -m: 0 ltp, 1 quote, 2 full */
	long long max_conns;		/* -C: connections (3) */
	long long max_tokens;		/* -N: tokens a connection (3000) */
	long long watchdog_ms;		/* -W: silence that means dead (10 s) */
	long long connect_ms;		/* -T: connect timeout (10 s) */
	long long backoff_ms;		/* first reconnect delay (500 ms) */
	long long backoff_max_ms;	/* -B: longest (30 s) */
	long long out_max;		/* -o: output buffer for ticks (4 MiB) */
	int ready_fd;			/* -d: s6 readiness fd, -1 */
	const char *control_path;	/* -c: control socket */
	char **tokens;			/* subscriptions given as arguments */
	int ntokens;
	long long stats_ms;		/* -s: stats interval, 0 = off */
	const char *prom_path;		/* -P: Prometheus textfile */
	long long max_warn;		/* decode warnings before going quiet */
	const char *accounts_path;	/* -A: accounts file */
	bool balance;			/* --spread balance (else fill) */
	long long failover_ms;		/* -F: a connection down this long
					 * fails its account (5 s) */
};

/* Counters, exported through kp_stats. */
struct ks_stats {
	uint64_t records;
	uint64_t messages;
	uint64_t heartbeats;
	uint64_t text_messages;
	uint64_t status_lines;
	uint64_t bytes_in;
	uint64_t packets;
	uint64_t bad_parts;
	uint64_t bad_text;
	uint64_t order_copies;		/* order updates already written */
	uint64_t lines_out;
	uint64_t bytes_out;
	/* the live client */
	uint64_t connects;
	uint64_t reconnects;
	uint64_t disconnects;
	uint64_t stale;
	uint64_t refused;
	uint64_t protocol_errors;	/* connections failed by a bad frame */
	uint64_t invalid_utf8;		/* of them: text that was not UTF-8 */
	uint64_t dns_timeouts;		/* name lookups past the connect timeout */
	uint64_t conflated;
	uint64_t last_msg_age_ms;	/* the oldest connection's, a gauge */
	uint64_t lag_ms;		/* exchange to receive, last tick */
};

/*
 * Order updates written lately, so that the copies Kite sends on the
 * other connections are not written again (orders.c).
 */
#define KS_SEEN_MAX 64
#define KS_SEEN_KEY_MAX (16u << 10)
#define KS_SEEN_WINDOW_US (5 * 1000000LL)
struct ks_seen {
	struct {
		char *key;		/* the update's data, canonical JSON */
		size_t len;
		int64_t at_us;		/* received */
	} e[KS_SEEN_MAX];
	size_t next;			/* the slot to fill next */
};

/*
 * 1 if the update key[0..len) was received within KS_SEEN_WINDOW_US of
 * now_us; else remember it (unless longer than KS_SEEN_KEY_MAX) and
 * return 0.
 */
int ks_seen_order(struct ks_seen *s, const char *key, size_t len,
    int64_t now_us);
void ks_seen_free(struct ks_seen *s);

/* Conflation of ticks while the consumer is behind (live only). */
struct ks_conflate;

/*
 * The output side shared by replay and (later) the live client: every
 * message, whatever its source, becomes lines through these functions, so
 * -r on a capture reproduces what the live run wrote.
 */
struct ks_emit {
	struct kp_out out;
	struct ks_stats st;
	const struct ks_opts *opts;
	int64_t recv_us;		/* receive time of the current message */
	char ts[KP_FMT_ROOM];		/* recv_us formatted, for every tick */
	size_t tslen;
	const char *where;		/* "record 12 at byte 345" for warnings */
	uint64_t warnings;
	struct ks_conflate *cf;		/* live: NULL when not conflating */
	struct ks_seen seen;		/* order updates written lately */
};

void ks_emit_init(struct ks_emit *e, const struct ks_opts *o, int fd);
void ks_emit_free(struct ks_emit *e);
/* Set the receive time of the messages that follow. */
void ks_emit_time(struct ks_emit *e, int64_t recv_us);
/* A binary ticker message: its ticks as lines; bad parts warned about. */
void ks_emit_binary(struct ks_emit *e, const uint8_t *msg, size_t len);
/* A text ticker message (order, error, message): one line. */
void ks_emit_text(struct ks_emit *e, const char *msg, size_t len);
/* A status line recorded in a capture (JSON, no newline). */
void ks_emit_status(struct ks_emit *e, const char *line, size_t len);
/* Warn about bad input, going quiet after opts->max_warn warnings. */
void ks_emit_warn(struct ks_emit *e, const char *fmt, ...) KP_PRINTF(2, 3);
/* Stats to stderr and the textfile. */
void ks_emit_stats(struct ks_emit *e);
/* The same stats as one JSON object and '\n', appended to b. */
void ks_emit_stats_json(struct ks_emit *e, struct kp_buf *b);

/*
 * Live conflation (conflate.c): a tick goes to the per-instrument table
 * instead of the output while ks_conflate_active (the output is past its
 * bound, or older conflated ticks still wait).
 */
/* A table for ninstr instruments, ticks held past hiwater output bytes. */
void ks_conflate_init(struct ks_emit *e, size_t ninstr, size_t hiwater);
void ks_conflate_free(struct ks_emit *e);
int ks_conflate_active(struct ks_emit *e);
void ks_conflate_put(struct ks_emit *e, const struct kp_tick *t);
/* Whether held ticks are to be written: the output drained below half
 * its bound, or force. */
bool ks_conflate_due(struct ks_emit *e, bool force);
/* The ticks replaced since the last call (counted in the stats). */
uint64_t ks_conflate_take_lost(struct ks_emit *e);
/* Write the held ticks to the output, oldest instrument first. */
void ks_conflate_flush(struct ks_emit *e);

/* Subscriptions: sorted by token, one mode each. */
#define KS_SUBS_MAX 100000u
struct ks_sub {
	uint32_t token;
	uint8_t mode;			/* 0 ltp, 1 quote, 2 full */
	int8_t conn;			/* the connection it is on, -1 */
	uint32_t seq;
};
struct ks_subs {
	struct ks_sub *v;
	size_t n, cap;
};
const char *ks_mode_name(unsigned mode);
int ks_mode_parse(const char *s, size_t n);
/* "TOKEN[:MODE]"; 0, or -1 logged */
int ks_subs_arg(struct ks_subs *s, const char *arg, unsigned dflt);
/* A file of "TOKEN [MODE]" lines, '#' comments; 0, or -1 logged. */
int ks_subs_file(struct ks_subs *s, const char *path, unsigned dflt);
long ks_subs_find(const struct ks_subs *s, uint32_t token);
/* Append (unsorted until ks_subs_sort; of duplicates the last wins). */
void ks_subs_put(struct ks_subs *s, uint32_t token, unsigned mode);
void ks_subs_sort(struct ks_subs *s);
void ks_subs_free(struct ks_subs *s);
/* The subscriptions of -f and the arguments; 0, or -1 logged. */
int ks_subs_load(const struct ks_opts *o, struct ks_subs *s);


/* The live client --------------------------------------------------- */

#define KS_MAX_CONNS 24
#define KS_ACCT_MAX 8
#define KS_CTL_MAX_CLIENTS 16

enum ks_conn_state {
	KS_IDLE,		/* not wanted (no tokens, not the first) */
	KS_WAIT,		/* waiting to (re)connect at retry_ms */
	KS_CONNECTING,
	KS_UP,			/* connected, subscriptions being sent */
	KS_SUBSCRIBED,		/* everything sent */
	KS_REFUSED		/* 403: waiting for new credentials */
};

struct ks_msg {
	struct ks_msg *next;
	size_t len;
	char data[];
};

/* Where a connection's transport is. */
enum ks_phase {
	KS_P_NONE,		/* no socket */
	KS_P_DNS,		/* the host name being looked up */
	KS_P_TCP,		/* connect(2) in progress */
	KS_P_TLS,		/* TLS handshake */
	KS_P_HTTP,		/* upgrade request out, response head awaited */
	KS_P_WS			/* WebSocket frames */
};

struct ks_conn {
	struct ks *l;
	unsigned id;
	char name[24];			/* "connection 1", for warnings */
	enum ks_conn_state state;
	enum ks_phase ph;
	int fd;				/* -1 without a socket */
	SSL *ssl;
	bool want_r, want_w;		/* TLS: what SSL_* is waiting for */
	struct addrinfo *ai, *ai_next;	/* addresses being tried */
	struct ks_lookup *dns;		/* a name lookup running, or NULL */
	int64_t deadline_ms;		/* connect, or our close, must end */
	char key[KP_WS_KEY_LEN + 1];
	struct kp_ws_head head;
	struct kp_ws_dec dec;
	uint8_t *rx;			/* bytes read, not yet decoded */
	size_t rxoff, rxlen, rxcap;
	struct kp_buf tx;		/* bytes to write */
	size_t txoff;
	struct kp_backoff bo;
	int64_t retry_ms;
	int64_t last_ms;		/* last message (or connect) */
	uint64_t attempts;
	bool ever_up;
	bool closing;			/* our close frame is going out */
	const char *close_why;		/* our reason, for the status line */
	int close_code;
	size_t ntokens;			/* tokens assigned */
	struct ks_msg *q, **qtail;	/* text messages to send */
	unsigned acct;			/* its account */
	int64_t down_ms;		/* wanted but not subscribed since */
	bool retire;			/* once closed: idle */
	/* moved away while this connection was up: unsubscribed once the
	 * connections in unsub_to are subscribed (make before break) */
	uint32_t *unsub;
	size_t nunsub;
	uint32_t unsub_to;		/* bit k: connection k */
	int64_t unsub_at_ms;		/* 0: not yet timed */
};

/* An account: an API key, its access token, its connections. */
struct ks_acct {
	char name[32];
	char *api_key;
	char *token;
	char *token_file;		/* NULL: KITE_ACCESS_TOKEN */
	struct stat token_st;
	bool failed;			/* its instruments moved away */
	int64_t ok_since_ms;		/* failed: all its connections up */
	unsigned first;			/* its first connection */
};

/*
 * A name lookup runs getaddrinfo(3) on a thread of its own, so that a
 * resolver that never answers stops neither the loop nor the other
 * connections: the connect timeout counts while it runs, and a
 * connection gives up on it as on a slow connect.  When done, the thread
 * writes the lookup's address to a pipe the loop polls, and the loop
 * takes it from there.  A connection has at most one lookup running: a
 * new attempt while the last one still runs waits for that one.
 */
struct ks_lookup {
	char host[256], port[16];
	unsigned conn;
	int wfd;			/* the pipe to the loop */
	int rc, err;			/* getaddrinfo's answer, errno */
	struct addrinfo *res;
};

struct ks_ctl_client {
	int fd;
	struct kp_line lr;
};

/*
 * A socket whose close frame went out: the server is to close the TCP
 * connection (RFC 6455 section 7.1.1).  Until it does, or until a
 * deadline, what it sends is read and dropped: closed at once, the socket
 * would answer the server's next bytes with a reset, and the server might
 * never read our close frame and its code.
 */
struct ks_linger {
	int fd;				/* -1: a free slot */
	int64_t until_ms;
};

/* The live client's context, passed to every function of its files. */
struct ks {
	struct ks_emit *e;
	struct ks_linger lg[KS_MAX_CONNS];
	int ctl_fd;
	struct ks_ctl_client ctl[KS_CTL_MAX_CLIENTS];
	const struct ks_opts *o;
	SSL_CTX *tls_ctx;		/* wss:// only */
	int sig_fd;
	int dns_fd[2];			/* lookups done: read end, write end */
	bool numeric_host;		/* an IP address: no lookup */
	bool out_wait;			/* output waiting for the reader */
	int64_t next_period_ms;
	struct ks_conn c[KS_MAX_CONNS];
	unsigned nconns;
	struct ks_subs subs;
	struct ks_acct acct[KS_ACCT_MAX];
	unsigned nacct;
	bool multi;			/* -A: account names in status lines,
					 * failover */
	char host[KP_WSURL_HOST_MAX];	/* to resolve, and for TLS: no [] */
	char host_hdr[KP_WSURL_HOST_MAX + 2];	/* Host header: [v6] */
	char path[KP_WSURL_PATH_MAX];
	int port;
	bool tls;
	bool ready;
	bool stopping;
	int cap_fd;
	int64_t next_sec_ms;
	int code;
};

/* live.c: the live client; returns the exit code. */
int ks_live(struct ks_emit *e, const struct ks_opts *o);

/* status.c */
/*
 * Write what the consumer takes now, never waiting; l->out_wait when
 * some is left for the loop to write once stdout takes more.
 */
void ks_flush_nb(struct ks *l);
/*
 * A status line (kitepipe-ticks(5)): into the output, never dropped, and
 * into the capture.  conn < 0: not about one connection.
 */
void ks_status_line(struct ks *l, int conn, const char *event,
    const char *extra);
/* Once the output drained below half its bound (or force), write the
 * held ticks, after a status line counting those replaced. */
void ks_drain_conflated(struct ks *l, bool force);

/* acct.c */
/* The accounts: -A's file, or KITE_API_KEY and its token; 0, or an exit
 * code (logged). */
int ks_acct_load(struct ks *l);
void ks_acct_free(struct ks *l);
/* Token files changed (or hup): reread, and retry refused connections. */
void ks_acct_tokens(struct ks *l, bool hup);
/* Failover, recovery, and unsubscribes due on old connections. */
void ks_acct_watch(struct ks *l, int64_t now);

/* ctl.c */
void ks_ctl_open(struct ks *l, const char *path);
/* Accept and serve what is ready, never waiting. */
void ks_ctl_poll(struct ks *l);
/* Close the clients and the socket, and remove it. */
void ks_ctl_close_all(struct ks *l);

/* pool.c */
/*
 * Put every token without a connection on the least loaded one, opening
 * connections as needed.  Return -1 (nothing assigned) when they do not
 * fit.
 */
int ks_pool_assign(struct ks *l);
/*
 * Make nw (sorted, owned by us from now on) the subscriptions, sending
 * only the difference on the live connections.  Return 0, or -1 when nw
 * does not fit (nothing changed).  who names the caller in logs.
 */
int ks_pool_apply(struct ks *l, struct ks_subs nw, const char *who);
/* Everything a fresh connection must send: subscribe, then modes. */
void ks_queue_all(struct ks *l, struct ks_conn *c);
/* Subscribe c to toks[0..n) (subscriptions), in their modes. */
void ks_queue_subscribe(struct ks *l, struct ks_conn *c, const uint32_t *toks,
    size_t n);
void ks_queue_unsubscribe(struct ks *l, struct ks_conn *c,
    const uint32_t *toks, size_t n);
/* Tokens on account a's connections. */
size_t ks_pool_acct_load(const struct ks *l, unsigned a);
/* Each account's share of total tokens (a failed one: none). */
void ks_pool_targets(const struct ks *l, size_t total, size_t *tgt);
/* A connection of account a for one more token when a is to hold
 * want tokens in all: the least loaded of as many as that needs
 * (opened if idle). */
unsigned ks_pool_pick(struct ks *l, unsigned a, size_t want);
void ks_queue_clear(struct ks_conn *c);
/* Readiness: once every wanted connection is up and subscribed. */
void ks_check_ready(struct ks *l);

/* conn.c */
void ks_conn_init(struct ks *l, struct ks_conn *c, unsigned id);
void ks_conn_free(struct ks_conn *c);
void ks_conn_start(struct ks *l, struct ks_conn *c);
/* Close the transport, keeping the connection's plan. */
void ks_conn_drop(struct ks_conn *c);
/* The connection is gone: say so and plan what comes next. */
void ks_conn_lost(struct ks *l, struct ks_conn *c, const char *why,
    int http);
/* A failure: before the upgrade, "unable to connect"; ours if closing. */
void ks_conn_fail(struct ks *l, struct ks_conn *c, const char *what);
/* Close c ourselves: a close frame, then the socket. */
void ks_conn_close(struct ks_conn *c, const char *why);
/* What to poll the socket of c for, and what it was ready for. */
short ks_conn_events(const struct ks_conn *c);
void ks_conn_io(struct ks *l, struct ks_conn *c, short rev);
/* Name lookups done: each goes on, if its connection still waits. */
void ks_conn_lookups(struct ks *l);
/* Read and drop what a lingering socket sent; closed at the end, an
 * error, or done. */
void ks_linger_io(struct ks_linger *g, bool done);

/* dial.c: never calls back into conn.c; failures come back in why. */
/* The TLS context (wss://) and the lookups' pipe. */
void ks_dial_init(struct ks *l);
/* Start the transport: a lookup, or connect(2); 0, or -1 with why. */
int ks_dial_start(struct ks *l, struct ks_conn *c, char *why, size_t wl);
/* Addresses (or not) for c: try them; 0, or -1 with why. */
int ks_dial_addrs(struct ks *l, struct ks_conn *c, int rc, int err,
    struct addrinfo *res, char *why, size_t wl);
/* A finished lookup from the pipe, or NULL. */
struct ks_lookup *ks_dial_lookup_next(struct ks *l);
/* The socket of a TCP connect or TLS handshake is ready: 1 the transport
 * is up, 0 wait, -1 failed with why. */
int ks_dial_step(struct ks *l, struct ks_conn *c, char *why, size_t wl);
/*
 * Read (wr false) or write: >0 bytes, 0 at the end (reading), -1 nothing
 * now, -2 an error described in why.
 */
ssize_t ks_dial_rw(struct ks_conn *c, void *p, size_t n, bool wr,
    char *why, size_t wl);

/*
 * Decode the capture at path ("-": stdin) to stdout.  Return the exit
 * code.
 */
int ks_replay(struct ks_emit *e, const char *path);

#endif
