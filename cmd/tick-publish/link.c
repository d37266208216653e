/*
 * link.c: the Redis connection: connect (AUTH, SELECT) with backoff, write
 * the queue's unsent bytes, read replies and retire the items they
 * acknowledge.  Replies go through hiredis's reader with object functions
 * that build nothing: only errors are kept, as text.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tp.h"

static char reply_ok, reply_err;

static void *
rep_string(const redisReadTask *task, char *str, size_t len)
{
	struct tp_replies *r = task->privdata;

	if (task->type != REDIS_REPLY_ERROR || task->parent != NULL)
		return &reply_ok;
	if (len >= sizeof r->msg)
		len = sizeof r->msg - 1;
	memcpy(r->msg, str, len);
	r->msg[len] = '\0';
	return &reply_err;
}

static void *
rep_array(const redisReadTask *task, int n)
{
	(void)task;
	(void)n;
	return &reply_ok;
}

static void *
rep_integer(const redisReadTask *task, long long v)
{
	(void)task;
	(void)v;
	return &reply_ok;
}

static void *
rep_nil(const redisReadTask *task)
{
	(void)task;
	return &reply_ok;
}

static void
rep_free(void *obj)
{
	(void)obj;
}

static redisReplyObjectFunctions rep_fns = {
	rep_string, rep_array, rep_integer, rep_nil, rep_free
};

int
tp_link_up(struct tp *t)
{
	char err[KP_ERRLEN], desc[KP_REDIS_HOST_MAX + KP_REDIS_PATH_MAX + 64];
	uint32_t delay;
	int perm;

	t->rc = kp_redis_connect(&t->url, t->o->timeout_ms, &perm, err);
	if (t->rc == NULL) {
		if (perm)
			kp_die(KP_EXIT_PERM, "%s", err);
		delay = kp_backoff_next(&t->bo);
		t->next_try_ms = kp_mono_ms() + delay;
		kp_warn("%s; retrying in %u ms, %zu lines queued", err, delay,
		    t->q.lines);
		return 0;
	}
	if (kp_redis_nonblock(t->rc) < 0)
		kp_die(KP_EXIT_TEMP, "unable to make the Redis socket "
		    "non-blocking:");
	t->rd = redisReaderCreateWithFunctions(&rep_fns);
	if (t->rd == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	t->rd->privdata = &t->rep;
	kp_backoff_reset(&t->bo);
	tp_queue_compact(&t->q);
	t->last_io_ms = kp_mono_ms();
	kp_redis_url_str(&t->url, desc, sizeof desc);
	if (t->lost) {
		t->st.reconnects++;
		kp_info("reconnected to %s; resending %zu lines", desc,
		    t->q.lines);
	} else {
		kp_info("connected to %s", desc);
	}
	t->ever_up = 1;
	return 1;
}

void
tp_link_down(struct tp *t, const char *why)
{
	uint32_t delay = kp_backoff_next(&t->bo);

	kp_warn("lost the connection to Redis: %s; retrying in %u ms, "
	    "%zu lines queued", why, delay, t->q.lines);
	redisReaderFree(t->rd);
	redisFree(t->rc);
	t->rd = NULL;
	t->rc = NULL;
	t->lost = 1;
	tp_queue_rewind(&t->q);
	t->next_try_ms = kp_mono_ms() + delay;
}

int
tp_link_write(struct tp *t)
{
	struct tp_queue *q = &t->q;
	ssize_t n;

	if (q->sent == q->bh && q->sent < q->bend)
		t->last_io_ms = kp_mono_ms();	/* the reply clock starts */
	while (q->sent < q->bend) {
		n = write(t->rc->fd, q->buf + q->sent, q->bend - q->sent);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			tp_link_down(t, strerror(errno));
			return -1;
		}
		q->sent += (size_t)n;
	}
	return 0;
}

/* Account one reply to the head item; retire the item when complete. */
static void
ack(struct tp *t, void *reply)
{
	struct tp_queue *q = &t->q;
	struct tp_item *it = &q->it[q->ih];
	size_t i = q->acked++;

	if (reply == &reply_err) {
		t->st.errors++;
		if (t->errors_logged++ < 100)
			kp_warn("Redis refused a %s: %s", i < it->npub ?
			    "PUBLISH" : i < (size_t)it->npub + it->nxadd ?
			    "XADD" : "HSET", t->rep.msg);
	} else if (i < it->npub) {
		t->st.published++;
	} else if (i < (size_t)it->npub + it->nxadd) {
		t->st.xadded++;
	} else {
		t->st.hset++;
	}
	if (q->acked < (size_t)it->npub + it->nxadd + it->nhset)
		return;
	q->bh += it->size;
	q->lines--;
	q->bytes -= it->size;
	q->ih++;
	q->acked = 0;
	if (q->ih == q->iend) {
		q->ih = q->iend = q->dropcur = 0;
		q->bh = q->bend = q->sent = 0;
	}
}

int
tp_link_read(struct tp *t)
{
	char buf[65536];
	void *reply;
	ssize_t n;

	for (;;) {
		n = read(t->rc->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			tp_link_down(t, n == 0 ? "the server closed it" :
			    strerror(errno));
			return -1;
		}
		t->last_io_ms = kp_mono_ms();
		if (redisReaderFeed(t->rd, buf, (size_t)n) != REDIS_OK)
			kp_die(KP_EXIT_TEMP, "out of memory");
		for (;;) {
			if (redisReaderGetReply(t->rd, &reply) != REDIS_OK) {
				tp_link_down(t, "bad reply from Redis");
				return -1;
			}
			if (reply == NULL)
				break;
			if (t->q.ih == t->q.iend || t->q.bh >= t->q.sent) {
				tp_link_down(t, "a reply to nothing sent");
				return -1;
			}
			ack(t, reply);
		}
		if ((size_t)n < sizeof buf)
			return 0;
	}
}
