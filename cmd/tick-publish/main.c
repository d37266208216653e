/*
 * tick-publish: NDJSON lines on stdin to Redis: PUBLISH to channels named
 * by templates, optionally XADD to a stream and HSET into a last-value
 * hash.  Commands are pipelined and flushed when input pauses or a batch
 * fills; while Redis is away lines wait in a bounded queue.  See
 * tick-publish(1).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tp.h"

/* The main loop's state besides struct tp. */
struct loop {
	struct kp_line lr;
	int sigfd;
	int eof;		/* stdin ended */
	int draining;		/* EOF or SIGTERM: no more input */
	int64_t deadline;	/* of the drain */
	int64_t next_stats;	/* -s: the next stats line */
	int ready_sent;
};

/* Drop the oldest ticks while the queue is over its bounds. */
static void
enforce_bounds(struct tp *t)
{
	struct tp_queue *q = &t->q;

	while (q->lines > (size_t)t->o->queue_lines ||
	    q->bytes > (size_t)t->o->queue_bytes) {
		if (tp_queue_drop_oldest(q) < 0)
			break;
		if (t->st.dropped++ == 0)
			kp_warn("queue full (%zu lines, %zu bytes): dropping "
			    "the oldest ticks", q->lines, q->bytes);
	}
	if (q->dead > (1u << 20) && q->dead > q->bytes)
		tp_queue_compact(q);
}

/* Read and queue lines until input pauses, a batch fills or the queue
 * is full; return 1 when more input may be ready at once. */
static int
read_input(struct tp *t, struct loop *l)
{
	struct tp_queue *q = &t->q;
	char *line;
	size_t len, unsent0 = q->bend - q->sent;
	int st;

	for (;;) {
		if (tp_up(t) && (q->lines >= (size_t)t->o->queue_lines ||
		    q->bytes >= (size_t)t->o->queue_bytes))
			return 0;
		if (q->bend - q->sent >= unsent0 + (size_t)t->o->batch)
			return 1;
		st = kp_line_next(&l->lr, &line, &len);
		switch (st) {
		case KP_LINE_OK:
			tp_line(t, line, len, l->lr.lineno);
			if (!tp_up(t))
				enforce_bounds(t);
			break;
		case KP_LINE_TOOLONG:
			t->st.lines++;
			t->st.bad++;
			kp_warn("line %llu: longer than %lld bytes; skipped",
			    (unsigned long long)l->lr.lineno,
			    t->o->max_line);
			break;
		case KP_LINE_AGAIN:
			return 0;
		case KP_LINE_EOF:
			l->eof = 1;
			return 0;
		default:
			if (errno == EINTR)
				return 1;
			kp_die(KP_EXIT_TEMP, "unable to read stdin:");
		}
	}
}

static void
handle_signals(struct tp *t, struct loop *l)
{
	int64_t now = kp_mono_ms();

	if (kp_sig_take(SIGUSR1))
		tp_write_stats(t);
	if (t->o->stats_ms > 0 && now >= l->next_stats) {
		if (l->next_stats != 0)
			tp_write_stats(t);
		l->next_stats = now + t->o->stats_ms;
	}
	kp_sig_take(SIGHUP);
	if (kp_sig_stopping() && !l->draining)
		kp_info("signal: draining %zu queued lines", t->q.lines);
}

/* Connect when due, give up a connect or handshake past -T; tell the
 * supervisor once up the first time. */
static void
maybe_connect(struct tp *t, struct loop *l, int64_t now)
{
	if (t->phase == TP_DOWN && now >= t->next_try_ms)
		tp_link_start(t);
	else if ((t->phase == TP_CONNECTING || t->phase == TP_HANDSHAKE) &&
	    now - t->last_io_ms >= t->o->timeout_ms)
		tp_link_timeout(t);
	if (tp_up(t) && !l->ready_sent) {
		l->ready_sent = 1;
		if (kp_ready_notify(t->o->ready_fd) < 0)
			kp_warn("unable to notify readiness:");
	}
}

/* poll(2) timeout: until the next thing that is due. */
static int
poll_timeout(struct tp *t, struct loop *l, int64_t now, int more)
{
	int64_t due = INT64_MAX;

	if (more)
		return 0;
	if (t->phase == TP_DOWN)
		due = t->next_try_ms;
	else if (!tp_up(t) || t->q.sent > t->q.bh)
		due = t->last_io_ms + t->o->timeout_ms;
	if (l->draining && l->deadline < due)
		due = l->deadline;
	if (t->o->stats_ms > 0 && l->next_stats < due)
		due = l->next_stats;
	if (due == INT64_MAX)
		return -1;
	if (due <= now)
		return 0;
	return due - now > 60000 ? 60000 : (int)(due - now);
}

/* Connected, with a batch written that the socket did not take yet. */
static int
backlogged(const struct tp *t)
{
	return tp_up(t) && t->q.bend - t->q.sent >= (size_t)t->o->batch;
}

static int
run(struct tp *t, struct loop *l)
{
	struct pollfd pfd[3];
	int64_t now;
	int more = 0, want_in, n;

	for (;;) {
		handle_signals(t, l);
		now = kp_mono_ms();
		if (!l->draining && (l->eof || kp_sig_stopping())) {
			l->draining = 1;
			l->deadline = now + t->o->drain_ms;
		}
		/* a connect under way finishes first: refused credentials
		 * still exit 100 */
		if (l->draining && t->q.lines == 0 && (tp_up(t) ||
		    t->phase == TP_DOWN))
			return 0;
		if (l->draining && now >= l->deadline)
			return t->q.lines == 0 ? 0 : -1;
		maybe_connect(t, l, now);
		if (tp_up(t) && t->q.sent > t->q.bh &&
		    now - t->last_io_ms >= t->o->timeout_ms)
			tp_link_down(t, "no reply within the timeout");
		more = 0;
		if (!l->draining && !backlogged(t))
			more = read_input(t, l);
		if (tp_up(t))
			tp_link_write(t);
		/* a full socket: wait for POLLOUT rather than queue more */
		if (backlogged(t))
			more = 0;
		want_in = !l->draining && !more && !backlogged(t) &&
		    (!tp_up(t) || (t->q.lines < (size_t)t->o->queue_lines &&
		    t->q.bytes < (size_t)t->o->queue_bytes));
		pfd[0].fd = l->sigfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = want_in ? 0 : -1;
		pfd[1].events = POLLIN;
		pfd[2].fd = t->fd;
		pfd[2].events = t->phase == TP_CONNECTING ? POLLOUT :
		    POLLIN | (tp_up(t) && t->q.sent < t->q.bend ? POLLOUT : 0);
		n = poll(pfd, 3, poll_timeout(t, l, now, more));
		if (n < 0 && errno != EINTR)
			kp_die(KP_EXIT_TEMP, "poll:");
		if (n <= 0)
			continue;
		if (pfd[0].revents)
			kp_sig_drain();
		if (t->phase == TP_CONNECTING && pfd[2].revents)
			tp_link_connected(t);
		else if (t->phase != TP_DOWN && pfd[2].revents & (POLLIN |
		    POLLERR | POLLHUP))
			tp_link_read(t);
	}
}

static void
set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

int
main(int argc, char **argv)
{
	struct tp_opts o = {
		.maxlen = 10000,
		.hash_field = "{instrument_token}",
		.batch = 64 << 10,
		.queue_lines = 100000,
		.queue_bytes = 64 << 20,
		.drain_ms = 10000,
		.timeout_ms = 5000,
		.max_line = 1 << 20,
		.ready_fd = -1,
	};
	struct tp t;
	struct loop l = { .sigfd = -1 };
	char err[KP_ERRLEN];
	const char *v;
	int code;

	kp_log_init(TP_PROG);
	kp_fds_ensure();
	kp_env_duration_ms("KITEPIPE_STATS_INTERVAL", 0, 86400000,
	    &o.stats_ms);
	v = kp_env("KITEPIPE_PROM_FILE");
	if (v != NULL)
		o.prom_path = v;
	tp_parse_args(&o, argc, argv);
	if (o.ready_fd >= 0 && kp_ready_check_fd(o.ready_fd) < 0)
		kp_die(KP_EXIT_PERM, "-d %d: not an open descriptor",
		    o.ready_fd);
	if (tp_init(&t, &o, err) < 0)
		kp_die(KP_EXIT_PERM, "%s", err);
	v = o.url != NULL ? o.url : kp_env("REDIS_URL");
	tp_setup_url(&t, v != NULL ? v : "redis://127.0.0.1:6379",
	    o.url != NULL);
	kp_backoff_init(&t.bo, 100, 5000, kp_rng_seed_auto());
	if ((l.sigfd = kp_sig_init()) < 0)
		kp_die(KP_EXIT_TEMP, "unable to set up signals:");
	if (kp_line_init(&l.lr, 0, (size_t)o.max_line) < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	set_nonblock(0, 1);
	code = run(&t, &l);
	set_nonblock(0, 0);
	if (code < 0) {
		kp_log(KP_LOG_FATAL, "Redis did not come back within %lld ms;"
		    " %zu lines not delivered", o.drain_ms, t.q.lines);
		code = KP_EXIT_TEMP;
	} else if (t.st.bad || t.st.missing || t.st.dropped || t.st.errors) {
		code = KP_EXIT_REJECTED;
	}
	if (o.stats_ms > 0 || o.prom_path != NULL ||
	    kp_log_get_level() >= KP_LOG_DEBUG || code != 0)
		tp_write_stats(&t);
	if (t.rd != NULL)
		redisReaderFree(t.rd);
	if (t.fd >= 0)
		close(t.fd);
	if (t.ai != NULL)
		freeaddrinfo(t.ai);
	kp_line_free(&l.lr);
	kp_redis_url_clear(&t.url);
	tp_free(&t);
	return code;
}
