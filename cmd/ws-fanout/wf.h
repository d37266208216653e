/* wf.h: ws-fanout's parts and how they meet (see ws-fanout(1)). */
/* SPDX-License-Identifier: MIT */
#ifndef WF_H
#define WF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "kp.h"
#include "kp_jwt.h"

#define WF_PROG "ws-fanout"
#define WF_SUBPROTOCOL "kitepipe"
#define WF_CLOSE_SLOW 4008	/* fell behind past the hard limit */
#define WF_CLOSE_POLICY 4009	/* too many errors / rate abuse */
#define WF_MAX_TOKENS_MSG 1000	/* tokens in one client message */
#define WF_INST_MAX 100000	/* instruments remembered */

struct wf_opts {
	const char *listen;		/* address, default 127.0.0.1 */
	long long port;
	int use_stdin;
	const char *jwks_path;
	const char *secret_path;
	const char *iss, *aud;
	long long leeway_ms;
	int insecure;
	const char *cert, *key;
	const char *chain_path;
	const char *redis_url;
	const char *channel;		/* template, {instrument_token} */
	const char *hash;		/* last-value hash key, or NULL */
	long long max_subs;
	long long max_msg;
	long long max_rate;		/* client messages per second */
	long long max_conn_ip;
	long long max_clients;
	long long queue;		/* soft send queue depth */
	long long queue_hard;
	long long slow_ms;		/* behind this long: closed */
	long long sndbuf;		/* SO_SNDBUF per client, 0: system's */
	long long max_line;
	int ready_fd;
};

/*
 * A message as sent: refcounted, shared by every client queueing it.  Its
 * WebSocket frame header (text, FIN, unmasked) is made once, kept apart
 * from the LWS_PRE bytes (which lws_write may write into).
 */
struct wf_msg {
	uint32_t refs;
	uint32_t token;		/* 0: not a tick (never conflated) */
	unsigned char hdr[4];	/* frame header, hl bytes */
	unsigned char hl;	/* 0: over 65535 bytes, sent by lws_write */
	size_t len;
	unsigned char buf[];	/* LWS_PRE bytes, then the payload */
};

struct wf_client;

struct wf_inst {
	uint32_t token;
	struct wf_msg *last;
	struct wf_client **subs;
	size_t nsubs, capsubs;
	int upstream;		/* subscribed at the source (Redis) */
	int snap_pending;	/* a snapshot was asked for */
	struct wf_inst *next;	/* hash chain */
};

enum wf_close {
	WF_OPEN = 0,
	WF_CLOSING_SLOW,
	WF_CLOSING_POLICY,
	WF_CLOSING_BIG
};

struct wf_client {
	struct lws *wsi;
	uint64_t id;
	char ip[64];
	char sub[KP_JWT_SUB_MAX];
	uint32_t *subs;
	size_t nsubs, capsubs;
	struct wf_msg **q;	/* ring of qcap */
	size_t qhead, qlen, qcap;
	int64_t behind_ms;	/* since when the queue is past soft, or 0 */
	double bucket;		/* rate-limit tokens */
	int64_t bucket_ms;
	unsigned char *rx;	/* a message being reassembled */
	size_t rxlen;
	int closing;		/* enum wf_close */
	int ext;		/* an extension (permessage-deflate) is on */
	uint64_t sent, conflated;
	struct wf_client *prev, *next;
};

/* Per-connection data of the HTTP/WebSocket protocol. */
struct wf_conn {
	struct wf_client *c;
	char sub[KP_JWT_SUB_MAX];
	int ip_counted;
	int ext;
	char ip[64];
	/* HTTP response body */
	const char *body;
	size_t body_len, body_off;
	char *body_owned;
};

struct wf_ipcount {
	char ip[64];
	uint32_t n;
	struct wf_ipcount *next;
};

#define WF_HASH 4096

struct wf_stats {
	uint64_t lines, bad_lines, ticks_in, skipped;
	uint64_t msgs_sent, conflated, slow_closed, policy_closed;
	uint64_t auth_ok, auth_refused, conn_refused_ip, client_errors;
	uint64_t clients, subscriptions, instruments, queued, queue_max;
	uint64_t http_requests, connections_total;
	uint64_t redis_connected, redis_reconnects, redis_messages;
	uint64_t snapshots;
};

struct wf_redis;

struct wf {
	struct wf_opts *o;
	struct lws_context *ctx;
	struct lws_vhost *vh, *raw_vh;
	struct kp_jwt_keys *keys;
	struct kp_jwt_policy pol;
	struct wf_inst *inst[WF_HASH];
	struct wf_ipcount *ips[256];
	struct wf_client *clients;
	uint64_t next_id;
	struct wf_stats st;
	struct kp_line stdin_lr;
	int stdin_eof;
	int sigfd;
	int stopping;
	int ready_sent;
	struct wf_redis *redis;
	lws_sorted_usec_list_t tick_sul;
	lws_sorted_usec_list_t stdin_sul;
	struct lws *stdin_wsi;
	const char *chain;		/* instrument lines for the page */
	size_t chain_len;
	int64_t started_ms;
};

/* hub.c */
struct wf_msg *wf_msg_new(uint32_t token, const char *a, size_t alen,
    const char *b, size_t blen, const char *c, size_t clen);
void wf_msg_unref(struct wf_msg *m);
struct wf_inst *wf_inst_get(struct wf *w, uint32_t token, int create);
void wf_tick_line(struct wf *w, const char *line, size_t len,
    uint64_t lineno, const char *where);
void wf_snapshot_line(struct wf *w, const char *line, size_t len);
struct wf_client *wf_client_new(struct wf *w, struct lws *wsi,
    const char *ip, const char *sub);
void wf_client_free(struct wf *w, struct wf_client *c);
void wf_client_close(struct wf *w, struct wf_client *c, int why);
void wf_ready(struct wf *w);
void wf_client_push(struct wf *w, struct wf_client *c, struct wf_msg *m);
void wf_client_send_text(struct wf *w, struct wf_client *c, const char *s,
    size_t n);
void wf_client_error(struct wf *w, struct wf_client *c, const char *msg);
int wf_client_writable(struct wf *w, struct wf_client *c);
void wf_client_message(struct wf *w, struct wf_client *c, const char *buf,
    size_t len);
void wf_check_slow(struct wf *w);
int wf_stats_json(struct wf *w, struct kp_buf *b);
int wf_stats_prom(struct wf *w, struct kp_buf *b);
int wf_ip_acquire(struct wf *w, const char *ip);
void wf_ip_release(struct wf *w, const char *ip);

/* auth.c */
int wf_auth_load(struct wf *w, char err[KP_ERRLEN]);
int wf_auth_check(struct wf *w, struct lws *wsi, char sub[KP_JWT_SUB_MAX]);

/* listen.c */
int wf_listen_parse(const char *text, struct sockaddr_storage *sa);
int wf_sockaddr_loopback(const struct sockaddr_storage *sa);
void wf_sockaddr_str(const struct sockaddr_storage *sa, char *buf,
    size_t len);
int wf_listen_check(const struct wf_opts *o, struct sockaddr_storage *got,
    char err[KP_ERRLEN]);

/* proto.c */
void wf_peer(struct lws *wsi, char *ip, size_t size);
/* The struct wf of the context a connection belongs to. */
struct wf *wf_of(struct lws *wsi);
extern const struct lws_protocols wf_protocols[];
extern const struct lws_protocols wf_raw_protocols[];

/* src.c: descriptors lws polls for us (a tag says which) */
enum wf_fd_kind {
	WF_FD_STDIN = 1,
	WF_FD_SIG,
	WF_FD_REDIS
};

struct wf_fd {
	int kind;
	void *p;
};

struct lws *wf_adopt(struct wf *w, int fd, struct wf_fd *tag);
int wf_signals_start(struct wf *w);
int wf_stdin_start(struct wf *w);

/* redis.c: the Redis source */
int wf_redis_event(struct wf *w, struct wf_fd *tag, int writable);
void wf_redis_closed(struct wf *w, struct wf_fd *tag);
int wf_redis_start(struct wf *w, char err[KP_ERRLEN]);
void wf_redis_want(struct wf *w, struct wf_inst *in);
void wf_redis_unwant(struct wf *w, struct wf_inst *in);
void wf_redis_snapshot(struct wf *w, const uint32_t *tokens, size_t n);
int wf_redis_state(struct wf *w);
void wf_redis_free(struct wf *w);

/* page.c (generated by mkpage.sh from page.html) */
extern const char *const wf_page_html;
extern const size_t wf_page_html_len;

/* opts.c: defaults (with the environment), the command line, then the
 * checks that make a bad combination exit 100. */
void wf_opts_parse(struct wf_opts *o, int argc, char **argv);

#endif
