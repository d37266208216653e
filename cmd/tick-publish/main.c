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

#define USAGE "usage: tick-publish [-qVv] [-c TEMPLATE]... [-f TEMPLATE] " \
	"[-x STREAM [-m N]]\n" \
	"    [-H HASH [-k FIELD]] [-u URL] [-b SIZE] [-Q LINES] [-B SIZE] " \
	"[-D TIME]\n" \
	"    [-T TIME] [-L SIZE] [-s INTERVAL] [-P FILE] [-d FD]"

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Publish NDJSON lines from stdin to Redis.\n\n"
	    "  -c TEMPLATE  PUBLISH to this channel (repeatable; default "
	    "ticks:{instrument_token})\n"
	    "               {FIELD} is a top-level member, {FIELD|lower} "
	    "lower-cased\n"
	    "  -f TEMPLATE  channel for lines missing a template's field "
	    "(else reported)\n"
	    "  -x STREAM    also XADD each line (field \"data\") to STREAM "
	    "(a template)\n"
	    "  -m N         trim the stream with MAXLEN ~ N (default 10000; "
	    "0: no trimming)\n"
	    "  -H HASH      also HSET each line into HASH (a template), "
	    "field -k\n"
	    "  -k FIELD     the hash field template (default "
	    "{instrument_token})\n"
	    "  -u URL       Redis URL without a password (default "
	    "$REDIS_URL)\n"
	    "  -b SIZE      write after SIZE bytes of commands (default "
	    "64k)\n"
	    "  -Q LINES     queue at most LINES lines (default 100000)\n"
	    "  -B SIZE      queue at most SIZE bytes (default 64M)\n"
	    "  -D TIME      at EOF or SIGTERM, wait at most TIME for Redis "
	    "(default 10s)\n"
	    "  -T TIME      connect and reply timeout (default 5s)\n"
	    "  -L SIZE      longest line (default 1M)\n"
	    "  -V           check whole lines: JSON, UTF-8, numbers fit a double\n"
	    "               (default: JSON up to the fields used,\n"
	    "               then that the line ends in '}')\n"
	    "  -s INTERVAL  write a stats line to stderr every INTERVAL\n"
	    "  -P FILE      also write stats to FILE in Prometheus format\n"
	    "  -d FD        write a newline to FD once connected "
	    "(readiness)\n"
	    "  -q           quieter (warnings off); -v louder (debug)\n"
	    "  -h           this help\n\n"
	    "Environment: REDIS_URL, REDIS_PASSWORD, REDIS_PASSWORD_FILE,\n"
	    "KITEPIPE_STATS_INTERVAL, KITEPIPE_PROM_FILE.\n"
	    "Exit: 0 ok, 1 some lines not published, 100 usage or "
	    "credentials, 111 Redis\n"
	    "unreachable when draining.  See tick-publish(1), "
	    "kitepipe-ticks(5).\n", f);
}

static void
add_channel(struct tp_opts *o, const char *s)
{
	if (o->nchannels == TP_MAX_CHANNELS)
		kp_die(KP_EXIT_PERM, "-c: at most %d channel templates",
		    TP_MAX_CHANNELS);
	o->channels[o->nchannels++] = s;
}

static void
parse_args(struct tp_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "fallback", required_argument, NULL, 'f' },
		{ "stream", required_argument, NULL, 'x' },
		{ "maxlen", required_argument, NULL, 'm' },
		{ "hash", required_argument, NULL, 'H' },
		{ "hash-field", required_argument, NULL, 'k' },
		{ "url", required_argument, NULL, 'u' },
		{ "batch", required_argument, NULL, 'b' },
		{ "queue-lines", required_argument, NULL, 'Q' },
		{ "queue-bytes", required_argument, NULL, 'B' },
		{ "drain-timeout", required_argument, NULL, 'D' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-line", required_argument, NULL, 'L' },
		{ "stats-interval", required_argument, NULL, 's' },
		{ "prom-file", required_argument, NULL, 'P' },
		{ "ready-fd", required_argument, NULL, 'd' },
		{ "strict", no_argument, NULL, 'V' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *optstr = "+c:f:x:m:H:k:u:b:Q:B:D:T:L:s:P:d:Vqvh";
	int c, level = KP_LOG_INFO;

	while ((c = getopt_long(argc, argv, optstr, lopts, NULL)) != -1) {
		switch (c) {
		case 'c': add_channel(o, optarg); break;
		case 'f': o->fallback = optarg; break;
		case 'x': o->stream = optarg; break;
		case 'm':
			o->maxlen = kp_opt_ll("-m", optarg, 0, 1LL << 40);
			break;
		case 'H': o->hash = optarg; break;
		case 'k': o->hash_field = optarg; break;
		case 'u': o->url = optarg; break;
		case 'b':
			o->batch = kp_opt_size("-b", optarg, 1, 64 << 20);
			break;
		case 'Q':
			o->queue_lines = kp_opt_ll("-Q", optarg, 1,
			    100000000);
			break;
		case 'B':
			o->queue_bytes = kp_opt_size("-B", optarg, 1024,
			    1LL << 40);
			break;
		case 'D':
			o->drain_ms = kp_opt_duration_ms("-D", optarg, 0,
			    86400000);
			break;
		case 'T':
			o->timeout_ms = kp_opt_duration_ms("-T", optarg, 10,
			    3600000);
			break;
		case 'L':
			o->max_line = kp_opt_size("-L", optarg, 64,
			    64 << 20);
			break;
		case 's':
			o->stats_ms = kp_opt_duration_ms("-s", optarg, 0,
			    86400000);
			break;
		case 'P': o->prom_path = optarg; break;
		case 'd':
			o->ready_fd = (int)kp_opt_ll("-d", optarg, 3, 1 << 20);
			break;
		case 'V': o->strict = 1; break;
		default: kp_opt_common(c, &level, usage); break;
		}
	}
	kp_opt_end(argc, argv, 0, level, usage);
}

/* REDIS_URL (or -u), and a password from REDIS_PASSWORD[_FILE]. */
static void
setup_url(struct tp *t, const char *url, int from_argv)
{
	char err[KP_ERRLEN];
	char *pw;

	if (kp_redis_url_parse(&t->url, url, err) < 0)
		kp_die(KP_EXIT_PERM, "%s: %s", from_argv ? "-u" : "REDIS_URL",
		    err);
	if (from_argv && t->url.has_password)
		kp_die(KP_EXIT_PERM, "-u: a password on the command line is "
		    "refused; use REDIS_URL or REDIS_PASSWORD_FILE");
	if (t->url.has_password || (kp_env("REDIS_PASSWORD") == NULL &&
	    kp_env("REDIS_PASSWORD_FILE") == NULL))
		return;
	pw = kp_conf_secret("REDIS_PASSWORD", "REDIS_PASSWORD_FILE", err);
	if (pw == NULL)
		kp_die(KP_EXIT_PERM, "%s", err);
	if (strlen(pw) >= sizeof t->url.password)
		kp_die(KP_EXIT_PERM, "REDIS_PASSWORD: longer than %zu bytes",
		    sizeof t->url.password - 1);
	strcpy(t->url.password, pw);
	t->url.has_password = 1;
	memset(pw, 0, strlen(pw));
	free(pw);
}

static void
write_stats(struct tp *t)
{
	struct tp_stats *s = &t->st;
	const struct kp_stat st[] = {
		{ "lines", "lines read", KP_STAT_COUNTER, &s->lines, NULL },
		{ "published", "PUBLISH commands acknowledged",
		    KP_STAT_COUNTER, &s->published, NULL },
		{ "xadded", "XADD commands acknowledged", KP_STAT_COUNTER,
		    &s->xadded, NULL },
		{ "hset", "HSET commands acknowledged", KP_STAT_COUNTER,
		    &s->hset, NULL },
		{ "dropped", "ticks dropped from a full queue",
		    KP_STAT_COUNTER, &s->dropped, NULL },
		{ "bad", "lines that are not JSON objects", KP_STAT_COUNTER,
		    &s->bad, NULL },
		{ "missing", "template fields missing from lines",
		    KP_STAT_COUNTER, &s->missing, NULL },
		{ "errors", "commands Redis refused", KP_STAT_COUNTER,
		    &s->errors, NULL },
		{ "reconnects", "connections made again after a loss",
		    KP_STAT_COUNTER, &s->reconnects, NULL },
		{ "queue_lines", "lines queued or awaiting replies",
		    KP_STAT_GAUGE, &s->queue_lines, NULL },
		{ "queue_bytes", "bytes of commands queued", KP_STAT_GAUGE,
		    &s->queue_bytes, NULL },
	};
	size_t n = sizeof st / sizeof st[0];

	s->queue_lines = t->q.lines;
	s->queue_bytes = t->q.bytes;
	kp_stats_log(TP_PROG, st, n);
	if (t->o->prom_path != NULL &&
	    kp_stats_prom(t->o->prom_path, TP_PROG, st, n) < 0)
		kp_warn("unable to write %s:", t->o->prom_path);
}

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
		write_stats(t);
	if (t->o->stats_ms > 0 && now >= l->next_stats) {
		if (l->next_stats != 0)
			write_stats(t);
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
	parse_args(&o, argc, argv);
	if (o.nchannels == 0)
		add_channel(&o, "ticks:{instrument_token}");
	if (o.ready_fd >= 0 && kp_ready_check_fd(o.ready_fd) < 0)
		kp_die(KP_EXIT_PERM, "-d %d: not an open descriptor",
		    o.ready_fd);
	if (tp_init(&t, &o, err) < 0)
		kp_die(KP_EXIT_PERM, "%s", err);
	v = o.url != NULL ? o.url : kp_env("REDIS_URL");
	setup_url(&t, v != NULL ? v : "redis://127.0.0.1:6379",
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
		write_stats(&t);
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
