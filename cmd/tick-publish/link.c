/*
 * link.c: the Redis connection: connect (AUTH, SELECT) with backoff, never
 * blocking (a non-blocking connect(2) and the handshake's replies go
 * through the main poll loop, each bounded by -T, so stdin is read and the
 * queue bound applies while a host is unreachable), write
 * the queue's unsent bytes, read replies and retire the items they
 * acknowledge.  Replies go through hiredis's reader with object functions
 * that build nothing: only errors are kept, as text.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

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

/* "HOST port P" or the socket path, for messages. */
static void
peer(const struct tp *t, char *buf, size_t size)
{
	if (t->url.is_unix)
		snprintf(buf, size, "%s", t->url.path);
	else
		snprintf(buf, size, "%s port %u", t->url.host, t->url.port);
}

static void
close_link(struct tp *t)
{
	if (t->rd != NULL)
		redisReaderFree(t->rd);
	if (t->fd >= 0)
		close(t->fd);
	t->rd = NULL;
	t->fd = -1;
	t->phase = TP_DOWN;
}

/* This try failed before the link was up: retry after a backoff. */
static void
give_up(struct tp *t, const char *why)
{
	char desc[KP_REDIS_HOST_MAX + 32];
	uint32_t delay = kp_backoff_next(&t->bo);

	close_link(t);
	if (t->ai != NULL)
		freeaddrinfo(t->ai);
	t->ai = t->ai_cur = NULL;
	t->next_try_ms = kp_mono_ms() + delay;
	peer(t, desc, sizeof desc);
	kp_warn("unable to connect to %s: %s; retrying in %u ms, %zu lines "
	    "queued", desc, why, delay, t->q.lines);
}

/* Append one RESP bulk string; return the new length (cap is ample). */
static size_t
resp_arg(char *buf, size_t n, const char *s)
{
	size_t len = strlen(s);

	n += (size_t)sprintf(buf + n, "$%zu\r\n", len);
	memcpy(buf + n, s, len);
	memcpy(buf + n + len, "\r\n", 2);
	return n + len + 2;
}

/* Connected: send AUTH and SELECT, or PING, and await their replies. */
static void
handshake(struct tp *t)
{
	char buf[2 * KP_REDIS_CRED_MAX + 128], db[16];
	struct kp_redis_url *u = &t->url;
	size_t n = 0;
	ssize_t w;

	t->hs_n = t->hs_i = 0;
	if (u->has_password) {
		n += (size_t)sprintf(buf + n, "*%d\r\n", u->user[0] ? 3 : 2);
		n = resp_arg(buf, n, "AUTH");
		if (u->user[0] != '\0')
			n = resp_arg(buf, n, u->user);
		n = resp_arg(buf, n, u->password);
		t->hs_name[t->hs_n++] = "AUTH";
	}
	if (u->db != 0) {
		snprintf(db, sizeof db, "%d", u->db);
		n += (size_t)sprintf(buf + n, "*2\r\n");
		n = resp_arg(buf, n, "SELECT");
		n = resp_arg(buf, n, db);
		t->hs_name[t->hs_n++] = "SELECT";
	}
	if (t->hs_n == 0) {
		n = (size_t)sprintf(buf, "*1\r\n$4\r\nPING\r\n");
		t->hs_name[t->hs_n++] = "PING";
	}
	do
		w = write(t->fd, buf, n);
	while (w < 0 && errno == EINTR);
	explicit_bzero(buf, sizeof buf);
	if (w != (ssize_t)n) {
		give_up(t, w < 0 ? strerror(errno) :
		    "a short write");
		return;
	}
	t->rd = redisReaderCreateWithFunctions(&rep_fns);
	if (t->rd == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	t->rd->privdata = &t->rep;
	t->phase = TP_HANDSHAKE;
	t->last_io_ms = kp_mono_ms();
}

/* The handshake's replies are in: commands may flow. */
static void
link_ready(struct tp *t)
{
	char desc[KP_REDIS_HOST_MAX + KP_REDIS_PATH_MAX + 64];

	if (t->ai != NULL)
		freeaddrinfo(t->ai);
	t->ai = t->ai_cur = NULL;
	t->phase = TP_UP;
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
}

/* One handshake reply; -1 when the link was given up. */
static int
handshake_reply(struct tp *t, void *reply)
{
	const char *what = t->hs_name[t->hs_i++];
	char msg[sizeof t->rep.msg + 32];

	if (reply == &reply_err) {
		/* LOADING and BUSY pass; the rest is configuration */
		if (strncmp(t->rep.msg, "LOADING", 7) != 0 &&
		    strncmp(t->rep.msg, "BUSY", 4) != 0)
			kp_die(KP_EXIT_PERM, "%s refused: %s", what,
			    t->rep.msg);
		snprintf(msg, sizeof msg, "%s refused: %s", what, t->rep.msg);
		give_up(t, msg);
		return -1;
	}
	if (t->hs_i == t->hs_n)
		link_ready(t);
	return 0;
}

/* Connect to t->ai_cur and those after it until one is in progress or
 * done; give up when none is left. */
static void
try_addrs(struct tp *t, const char *err)
{
	struct addrinfo *a;
	int fd, one = 1;

	for (; (a = t->ai_cur) != NULL; t->ai_cur = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			err = strerror(errno);
			continue;
		}
		if (a->ai_family != AF_UNIX)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof one);
		t->fd = fd;
		t->last_io_ms = kp_mono_ms();
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			handshake(t);
			return;
		}
		if (errno == EINPROGRESS) {
			t->phase = TP_CONNECTING;
			return;
		}
		err = strerror(errno);
		close(fd);
		t->fd = -1;
	}
	give_up(t, err);
}

void
tp_link_start(struct tp *t)
{
	static struct sockaddr_un sun;
	static struct addrinfo unix_ai;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_ADDRCONFIG };
	char port[16];
	int rc;

	if (t->url.is_unix) {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, t->url.path, strlen(t->url.path));
		unix_ai.ai_family = AF_UNIX;
		unix_ai.ai_socktype = SOCK_STREAM;
		unix_ai.ai_addr = (struct sockaddr *)&sun;
		unix_ai.ai_addrlen = sizeof sun;
		t->ai = NULL;
		t->ai_cur = &unix_ai;
		try_addrs(t, "no address");
		return;
	}
	snprintf(port, sizeof port, "%u", t->url.port);
	rc = getaddrinfo(t->url.host, port, &hints, &t->ai);
	if (rc != 0) {
		t->ai = NULL;
		give_up(t, rc == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(rc));
		return;
	}
	t->ai_cur = t->ai;
	try_addrs(t, "no address");
}

void
tp_link_connected(struct tp *t)
{
	int e = 0;
	socklen_t len = sizeof e;

	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	if (e == 0) {
		handshake(t);
		return;
	}
	close(t->fd);
	t->fd = -1;
	t->phase = TP_DOWN;
	t->ai_cur = t->ai_cur->ai_next;
	try_addrs(t, strerror(e));
}

void
tp_link_timeout(struct tp *t)
{
	char why[64];

	snprintf(why, sizeof why, "no %s within %lld ms",
	    t->phase == TP_CONNECTING ? "connection" : "reply to the handshake",
	    t->o->timeout_ms);
	if (t->phase == TP_CONNECTING && t->ai_cur != NULL &&
	    t->ai_cur->ai_next != NULL) {
		close(t->fd);
		t->fd = -1;
		t->phase = TP_DOWN;
		t->ai_cur = t->ai_cur->ai_next;
		try_addrs(t, why);
		return;
	}
	give_up(t, why);
}

void
tp_link_down(struct tp *t, const char *why)
{
	uint32_t delay = kp_backoff_next(&t->bo);

	kp_warn("lost the connection to Redis: %s; retrying in %u ms, "
	    "%zu lines queued", why, delay, t->q.lines);
	close_link(t);
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
		n = write(t->fd, q->buf + q->sent, q->bend - q->sent);
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

/* The link died: before it was up, this try failed. */
static void
link_fail(struct tp *t, const char *why)
{
	if (tp_up(t))
		tp_link_down(t, why);
	else
		give_up(t, why);
}

int
tp_link_read(struct tp *t)
{
	char buf[65536];
	void *reply;
	ssize_t n;

	for (;;) {
		n = read(t->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			link_fail(t, n == 0 ? "the server closed it" :
			    strerror(errno));
			return -1;
		}
		t->last_io_ms = kp_mono_ms();
		if (redisReaderFeed(t->rd, buf, (size_t)n) != REDIS_OK)
			kp_die(KP_EXIT_TEMP, "out of memory");
		for (;;) {
			if (redisReaderGetReply(t->rd, &reply) != REDIS_OK) {
				link_fail(t, "bad reply from Redis");
				return -1;
			}
			if (reply == NULL)
				break;
			if (t->phase == TP_HANDSHAKE) {
				if (handshake_reply(t, reply) < 0)
					return -1;
				continue;
			}
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
