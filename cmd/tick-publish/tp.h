/* tp.h: tick-publish's parts: options, the queue, the Redis link. */
/* SPDX-License-Identifier: MIT */
#ifndef TP_H
#define TP_H

#include <netdb.h>

#include <hiredis/read.h>

#include "kp.h"
#include "kp_redis.h"

#define TP_PROG "tick-publish"
#define TP_MAX_CHANNELS 16

struct tp_opts {
	const char *url;		/* REDIS_URL */
	const char *channels[TP_MAX_CHANNELS];
	size_t nchannels;
	const char *fallback;		/* -f */
	const char *stream;		/* -x */
	long long maxlen;		/* -m: MAXLEN ~ N, 0 = none */
	const char *hash;		/* -H */
	const char *hash_field;		/* -k */
	long long batch;		/* -b bytes */
	long long queue_lines;		/* -Q */
	long long queue_bytes;		/* -B */
	long long drain_ms;		/* -D */
	long long timeout_ms;		/* -T */
	long long max_line;		/* -L */
	long long stats_ms;		/* -s */
	const char *prom_path;		/* -P */
	int ready_fd;			/* -d */
	int strict;			/* -V: check whole lines */
};

/*
 * One input line's commands, in the order sent.  The RESP bytes of all
 * items lie back to back in the queue's byte buffer.
 */
#define TP_DROPPABLE 1		/* a tick: may be dropped when full */
#define TP_DEAD 2		/* dropped; its bytes wait for compaction */

struct tp_item {
	uint32_t size;		/* RESP bytes */
	uint8_t npub, nxadd, nhset;
	uint8_t flags;
};

struct tp_queue {
	struct tp_item *it;	/* items [ih, iend) */
	size_t ih, iend, icap;
	char *buf;		/* bytes [bh, bend) */
	size_t bh, bend, bcap;
	size_t sent;		/* bytes in [bh, sent) have been written */
	size_t acked;		/* replies seen for item ih */
	size_t lines;		/* live items */
	size_t bytes;		/* their RESP bytes */
	size_t dead;		/* bytes of dropped items still in buf */
	size_t dropcur;		/* no live droppable item before this */
};

void tp_queue_init(struct tp_queue *q);
void tp_queue_free(struct tp_queue *q);
/* Room for n more bytes at q->buf + q->bend. */
char *tp_queue_room(struct tp_queue *q, size_t n);
/* Add an item whose bytes were written at tp_queue_room. */
void tp_queue_push(struct tp_queue *q, const struct tp_item *item);
/* Drop the oldest droppable item; return 0, or -1 when there is none. */
int tp_queue_drop_oldest(struct tp_queue *q);
/* Forget what was sent (the connection died): resend from the head. */
void tp_queue_rewind(struct tp_queue *q);
/* Squeeze dropped items out (only when nothing is sent). */
void tp_queue_compact(struct tp_queue *q);

struct tp_stats {
	uint64_t lines, published, xadded, hset, dropped, bad, missing;
	uint64_t errors, reconnects, queue_lines, queue_bytes;
};

enum tp_phase {
	TP_DOWN,		/* no socket; the next try at next_try_ms */
	TP_CONNECTING,		/* connect(2) in progress: wait for POLLOUT */
	TP_HANDSHAKE,		/* AUTH / SELECT / PING sent, replies awaited */
	TP_UP			/* commands flow */
};

/* The reply reader's view of one reply. */
struct tp_replies {
	int error;		/* the last reply was an error */
	char msg[200];		/* its text */
};

struct tp {
	struct tp_opts *o;
	struct kp_redis_url url;
	struct kp_jfields fields;
	struct kp_jval *vals;
	struct kp_tmpl *chan[TP_MAX_CHANNELS];
	struct kp_tmpl *fallback, *stream, *hash, *hash_field;
	int type_field;			/* index of "type" in fields */
	char xadd_tail[64];		/* "$6\r\nMAXLEN\r\n$1\r\n~..." */
	size_t xadd_tail_len;
	unsigned xadd_argc;
	struct tp_queue q;
	struct tp_stats st;
	/* the Redis link: connected without blocking (link.c) */
	int phase;			/* enum tp_phase */
	int fd;				/* the socket, -1 when down */
	struct addrinfo *ai, *ai_cur;	/* tcp: addresses, the one tried */
	const char *hs_name[2];		/* handshake commands sent */
	int hs_n, hs_i;			/* how many, replies seen */
	redisReader *rd;
	struct tp_replies rep;
	struct kp_backoff bo;
	int64_t next_try_ms;
	int64_t last_io_ms;		/* last reply progress */
	int ever_up;
	int lost;			/* had a connection and lost it */
	uint64_t errors_logged;
};

/* publish.c */
int tp_init(struct tp *t, struct tp_opts *o, char err[KP_ERRLEN]);
void tp_free(struct tp *t);
/* Turn one line into queued commands (or a warning). */
void tp_line(struct tp *t, const char *line, size_t len, uint64_t lineno);

/* link.c */
#define tp_up(t) ((t)->phase == TP_UP)
/* Start connecting (never blocks on the network; a host name is resolved
 * with getaddrinfo, which may).  Exits 100 when the server later refuses
 * our credentials or database. */
void tp_link_start(struct tp *t);
/* The socket of a connect in progress became writable. */
void tp_link_connected(struct tp *t);
/* The connect or handshake took longer than -T. */
void tp_link_timeout(struct tp *t);
void tp_link_down(struct tp *t, const char *why);
/* Write queued bytes; -1 when the link died. */
int tp_link_write(struct tp *t);
/* Read and account replies; -1 when the link died. */
int tp_link_read(struct tp *t);

/* publish.c: the stats line (and -P's file), from t->st. */
void tp_write_stats(struct tp *t);

/* opts.c: the command line into o; REDIS_URL (or -u) and the password
 * from REDIS_PASSWORD[_FILE] into t->url.  Both exit 100 when wrong. */
void tp_parse_args(struct tp_opts *o, int argc, char **argv);
void tp_setup_url(struct tp *t, const char *url, int from_argv);

#endif
