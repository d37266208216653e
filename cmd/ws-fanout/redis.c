/*
 * redis.c: the Redis source, on lws's loop.  Two non-blocking hiredis
 * contexts: one subscribed to the channels of the instruments clients
 * want (SUBSCRIBE on the first client, UNSUBSCRIBE after the last), one
 * for HMGET on the last-value hash (snapshots).  lws polls a dup(2) of
 * each socket, so lws and hiredis each close their own descriptor.  A
 * lost connection closes both; they are made again with backoff and
 * every wanted channel is subscribed again, without clients noticing.
 * Connecting blocks the loop for at most WF_REDIS_TIMEOUT_MS.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp_redis.h"
#include "wf.h"

#define WF_REDIS_TIMEOUT_MS 1000
#define BATCH 512		/* channels or fields per command */

struct rconn {
	redisContext *c;
	struct lws *wsi;
	struct wf_fd tag;
	const char *name;
};

struct wf_redis {
	struct kp_redis_url url;
	char url_str[512];
	struct kp_jfields jf;
	struct kp_tmpl *chan;
	struct rconn sub, cmd;
	int up;
	uint64_t attempts, msgs, connects;
	struct kp_backoff bo;
	lws_sorted_usec_list_t retry;
	struct wf *w;
};

/* The channel of a token: the template filled from a stand-in line. */
static int
channel_of(struct wf_redis *r, uint32_t token, char *out, size_t cap)
{
	struct kp_jval v[KP_JFIELDS_MAX];
	char line[64], err[KP_ERRLEN];
	long n;
	int len;

	len = snprintf(line, sizeof(line), "{\"instrument_token\":%u}",
	    (unsigned)token);
	if (kp_jscan(line, (size_t)len, &r->jf, v, err) < 0)
		return -1;
	n = kp_tmpl_render(r->chan, v, out, cap - 1, NULL);
	if (n < 0)
		return -1;
	out[n] = 0;
	return 0;
}

static void conn_close(struct rconn *cn);
static void redis_down(struct wf *w, const char *why);

static int
conn_flush(struct wf *w, struct rconn *cn)
{
	int done = 0;

	if (cn->c == NULL)
		return 0;
	if (redisBufferWrite(cn->c, &done) == REDIS_ERR) {
		redis_down(w, cn->c->errstr);
		return -1;
	}
	if (!done)
		lws_callback_on_writable(cn->wsi);
	return 0;
}

/* Queue "CMD [KEY] a b c ..." on cn, BATCH arguments at a time. */
static void
conn_send(struct wf *w, struct rconn *cn, const char *cmd, const char *key,
    char **args, size_t n)
{
	const char *argv[BATCH + 2];
	size_t i, k, j;

	for (i = 0; i < n; i += BATCH) {
		k = 0;
		argv[k++] = cmd;
		if (key != NULL)
			argv[k++] = key;
		for (j = i; j < n && j < i + BATCH; j++)
			argv[k++] = args[j];
		redisAppendCommandArgv(cn->c, (int)k, argv, NULL);
	}
	conn_flush(w, cn);
}

/* SUBSCRIBE (or UNSUBSCRIBE) the channels of n instruments. */
static void
subscribe(struct wf *w, const char *cmd, struct wf_inst **in, size_t n)
{
	struct wf_redis *r = w->redis;
	char **ch = kp_xcalloc(n + 1, sizeof(*ch));
	size_t i, k = 0;
	char buf[KP_TMPL_OUT_MAX + 1];

	for (i = 0; i < n; i++) {
		if (channel_of(r, in[i]->token, buf, sizeof(buf)) < 0)
			continue;
		ch[k++] = kp_xstrdup(buf);
		in[i]->upstream = cmd[0] == 'S';
	}
	if (k > 0)
		conn_send(w, &r->sub, cmd, NULL, ch, k);
	for (i = 0; i < k; i++)
		free(ch[i]);
	free(ch);
}

void
wf_redis_want(struct wf *w, struct wf_inst *in)
{
	if (w->redis != NULL && w->redis->up && !in->upstream)
		subscribe(w, "SUBSCRIBE", &in, 1);
}

void
wf_redis_unwant(struct wf *w, struct wf_inst *in)
{
	if (w->redis != NULL && w->redis->up && in->upstream)
		subscribe(w, "UNSUBSCRIBE", &in, 1);
	in->upstream = 0;
	in->snap_pending = 0;
}

void
wf_redis_snapshot(struct wf *w, const uint32_t *tokens, size_t n)
{
	struct wf_redis *r = w->redis;
	char **f;
	size_t i;

	if (r == NULL || w->o->hash == NULL || !r->up) {
		for (i = 0; i < n; i++) {
			struct wf_inst *in = wf_inst_get(w, tokens[i], 0);

			if (in != NULL)
				in->snap_pending = 0;
		}
		return;
	}
	f = kp_xcalloc(n + 1, sizeof(*f));
	for (i = 0; i < n; i++) {
		f[i] = kp_xmalloc(16);
		snprintf(f[i], 16, "%u", (unsigned)tokens[i]);
	}
	conn_send(w, &r->cmd, "HMGET", w->o->hash, f, n);
	for (i = 0; i < n; i++)
		free(f[i]);
	free(f);
}

int
wf_redis_state(struct wf *w)
{
	return w->redis != NULL && w->redis->up;
}

static void
sub_reply(struct wf *w, redisReply *rp)
{
	redisReply **e = rp->element;

	if (rp->type == REDIS_REPLY_ARRAY && rp->elements == 3 &&
	    e[0]->type == REDIS_REPLY_STRING &&
	    strcmp(e[0]->str, "message") == 0 &&
	    e[2]->type == REDIS_REPLY_STRING) {
		w->st.redis_messages++;
		w->redis->msgs++;
		wf_tick_line(w, e[2]->str, e[2]->len, w->redis->msgs,
		    "redis message");
	} else if (rp->type == REDIS_REPLY_ERROR) {
		kp_warn("redis: %s", rp->str);
	}
}

static void
cmd_reply(struct wf *w, redisReply *rp)
{
	size_t i;

	if (rp->type == REDIS_REPLY_ERROR) {
		kp_warn("redis HMGET %s: %s", w->o->hash, rp->str);
		return;
	}
	if (rp->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i < rp->elements; i++)
		if (rp->element[i]->type == REDIS_REPLY_STRING)
			wf_snapshot_line(w, rp->element[i]->str,
			    rp->element[i]->len);
}

int
wf_redis_event(struct wf *w, struct wf_fd *tag, int writable)
{
	struct rconn *cn = tag->p;
	void *reply;

	if (cn == NULL || cn->c == NULL)
		return 0;
	if (writable)
		return conn_flush(w, cn) < 0 ? 0 : 0;
	if (redisBufferRead(cn->c) == REDIS_ERR) {
		redis_down(w, cn->c->err == REDIS_ERR_EOF ?
		    "connection closed" : cn->c->errstr);
		return 0;
	}
	for (;;) {
		if (redisGetReplyFromReader(cn->c, &reply) == REDIS_ERR) {
			redis_down(w, "protocol error");
			return 0;
		}
		if (reply == NULL)
			break;
		if (cn == &w->redis->sub)
			sub_reply(w, reply);
		else
			cmd_reply(w, reply);
		freeReplyObject(reply);
		if (w->redis->sub.c == NULL)	/* went down meanwhile */
			break;
	}
	return 0;
}

void
wf_redis_closed(struct wf *w, struct wf_fd *tag)
{
	struct rconn *cn = tag->p;

	(void)w;
	if (cn != NULL)
		cn->wsi = NULL;
}

static void
conn_close(struct rconn *cn)
{
	if (cn->wsi != NULL) {
		/* lws closes its dup, on its own time */
		lws_set_opaque_user_data(cn->wsi, NULL);
		lws_set_timeout(cn->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
		cn->wsi = NULL;
	}
	if (cn->c != NULL) {
		redisFree(cn->c);
		cn->c = NULL;
	}
}

static int
conn_open(struct wf *w, struct rconn *cn, int *perm, char err[KP_ERRLEN])
{
	int fd;

	cn->c = kp_redis_connect(&w->redis->url, WF_REDIS_TIMEOUT_MS, perm,
	    err);
	if (cn->c == NULL)
		return -1;
	fd = dup(cn->c->fd);
	if (kp_redis_nonblock(cn->c) < 0 || fd < 0) {
		snprintf(err, KP_ERRLEN, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		conn_close(cn);
		return -1;
	}
	cn->tag.kind = WF_FD_REDIS;
	cn->tag.p = cn;
	cn->wsi = wf_adopt(w, fd, &cn->tag);
	if (cn->wsi == NULL) {
		close(fd);
		snprintf(err, KP_ERRLEN, "lws would not take the socket");
		conn_close(cn);
		return -1;
	}
	return 0;
}

static void retry_cb(lws_sorted_usec_list_t *sul);

static void
schedule_retry(struct wf *w)
{
	uint32_t ms = kp_backoff_next(&w->redis->bo);

	lws_sul_schedule(w->ctx, 0, &w->redis->retry, retry_cb,
	    (lws_usec_t)ms * LWS_US_PER_MS);
}

/* Everyone wanted again: SUBSCRIBE, then HMGET what has no value. */
static void
resubscribe(struct wf *w)
{
	struct wf_inst **want = NULL, *in;
	uint32_t *snap = NULL;
	size_t i, n = 0, ns = 0, cap = 0;

	for (i = 0; i < WF_HASH; i++) {
		for (in = w->inst[i]; in != NULL; in = in->next) {
			in->upstream = 0;
			in->snap_pending = 0;
			if (in->nsubs == 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				want = kp_xrealloc(want, cap * sizeof(*want));
				snap = kp_xrealloc(snap, cap * sizeof(*snap));
			}
			want[n++] = in;
			if (in->last == NULL) {
				in->snap_pending = 1;
				snap[ns++] = in->token;
			}
		}
	}
	if (n > 0)
		subscribe(w, "SUBSCRIBE", want, n);
	if (ns > 0)
		wf_redis_snapshot(w, snap, ns);
	free(want);
	free(snap);
}

static int
redis_connect(struct wf *w, int *perm, char err[KP_ERRLEN])
{
	struct wf_redis *r = w->redis;

	r->attempts++;
	if (conn_open(w, &r->sub, perm, err) < 0)
		return -1;
	if (conn_open(w, &r->cmd, perm, err) < 0) {
		conn_close(&r->sub);
		return -1;
	}
	r->up = 1;
	kp_backoff_reset(&r->bo);
	if (r->connects++ > 0)
		w->st.redis_reconnects++;
	kp_info("redis: connected to %s", r->url_str);
	resubscribe(w);
	wf_ready(w);
	return 0;
}

static void
retry_cb(lws_sorted_usec_list_t *sul)
{
	struct wf_redis *r = lws_container_of(sul, struct wf_redis, retry);
	char err[KP_ERRLEN];
	int perm;

	if (r->up)
		return;
	if (redis_connect(r->w, &perm, err) < 0) {
		if (r->attempts < 3 || r->attempts % 20 == 0)
			kp_warn("redis: %s (attempt %llu)%s", err,
			    (unsigned long long)r->attempts,
			    perm ? "; retrying anyway" : "");
		schedule_retry(r->w);
	}
}

static void
redis_down(struct wf *w, const char *why)
{
	struct wf_redis *r = w->redis;
	size_t i;
	struct wf_inst *in;

	if (!r->up)
		return;
	kp_warn("redis: lost the connection: %s; reconnecting",
	    why != NULL && why[0] != 0 ? why : "error");
	r->up = 0;
	conn_close(&r->sub);
	conn_close(&r->cmd);
	for (i = 0; i < WF_HASH; i++)
		for (in = w->inst[i]; in != NULL; in = in->next)
			in->upstream = in->snap_pending = 0;
	r->attempts = 0;
	schedule_retry(w);
}

int
wf_redis_start(struct wf *w, char err[KP_ERRLEN])
{
	struct wf_redis *r = kp_xcalloc(1, sizeof(*r));
	char line[64], out[KP_TMPL_OUT_MAX + 1];
	struct kp_jval v[KP_JFIELDS_MAX];
	int perm = 0;

	w->redis = r;
	r->w = w;
	if (kp_redis_url_parse(&r->url, w->o->redis_url, err) < 0)
		return -1;
	kp_redis_url_str(&r->url, r->url_str, sizeof(r->url_str));
	kp_jfields_init(&r->jf);
	r->chan = kp_tmpl_compile(w->o->channel, &r->jf, err);
	if (r->chan == NULL)
		return -1;
	snprintf(line, sizeof(line), "{\"instrument_token\":1}");
	if (kp_jscan(line, strlen(line), &r->jf, v, err) < 0 ||
	    kp_tmpl_render(r->chan, v, out, sizeof(out) - 1, NULL) < 0) {
		snprintf(err, KP_ERRLEN, "-c %s: a channel template may use "
		    "only {instrument_token}", w->o->channel);
		return -1;
	}
	kp_backoff_init(&r->bo, 100, 5000, kp_rng_seed_auto());
	if (redis_connect(w, &perm, err) < 0) {
		if (perm)
			return -1;
		kp_warn("redis: %s; retrying", err);
		schedule_retry(w);
	}
	return 0;
}

void
wf_redis_free(struct wf *w)
{
	struct wf_redis *r = w->redis;

	if (r == NULL)
		return;
	if (r->sub.c != NULL)
		redisFree(r->sub.c);
	if (r->cmd.c != NULL)
		redisFree(r->cmd.c);
	kp_tmpl_free(r->chan);
	kp_redis_url_clear(&r->url);
	free(r);
	w->redis = NULL;
}
