/* ks.h: kite-stream's parts: options, output of decoded messages, replay. */
/* SPDX-License-Identifier: MIT */
#ifndef KS_H
#define KS_H

#include "kp.h"

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

/*
 * Live conflation: a tick goes to the per-instrument table instead of the
 * output while ks_conflate_active (the output is past its bound, or
 * older conflated ticks still wait).
 */
int ks_conflate_active(struct ks_emit *e);
void ks_conflate_put(struct ks_emit *e, const struct kp_tick *t);

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

/* The live client; returns the exit code. */
int ks_live(struct ks_emit *e, const struct ks_opts *o);

/*
 * Decode the capture at path ("-": stdin) to stdout.  Return the exit
 * code.
 */
int ks_replay(struct ks_emit *e, const char *path);

#endif
