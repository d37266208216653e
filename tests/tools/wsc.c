/*
 * wsc: a WebSocket client for ws-fanout's tests and benchmarks.  Prints
 * each received message as "RECV_US MESSAGE" (receive time in epoch
 * microseconds), and events as "RECV_US close CODE REASON" and
 * "RECV_US error TEXT".  With -n N, runs N clients and prints one summary
 * line with tick latencies (receive time minus the tick's
 * receive_timestamp) instead.  -S K stops reading after K messages until
 * -R DUR has passed or SIGUSR1 arrives.
 */
/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "kp.h"

#define USAGE "usage: wsc [-qz] [-a|-C TOKENFILE] [-P PROTOCOLS] [-s MSG]... " \
	"[-c COUNT] [-t TIMEOUT]\n" \
	"           [-S K [-R DUR]] [-n N] [-w DUR] URL"
#define MAX_SEND 16
#define MAX_RX (4 << 20)

struct opts {
	const char *url, *protocols;
	char *token, *cookie;
	const char *send[MAX_SEND];
	int nsend;
	long long count, timeout_ms, stop_after, resume_ms, nclients;
	long long wait_ms;
	int quiet, deflate;
};

struct cl {
	struct lws *wsi;
	int idx, state;		/* 0 connecting, 1 open, 2 done */
	long long nrecv;
	int stopped, sent;
	int64_t stopped_ms;
	char *rx;
	size_t rxlen;
};

static struct opts o;
static struct cl *cls;
static int64_t *lat;
static size_t nlat, caplat;
static int open_now, done_n, failed_n, closed_n, interrupted;
static long long total_msgs;

static volatile sig_atomic_t resume_now;

static void
on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void
on_usr1(int sig)
{
	(void)sig;
	resume_now = 1;
}

static void
event(const char *fmt, ...) KP_PRINTF(1, 2);

static void
event(const char *fmt, ...)
{
	va_list ap;

	if (o.nclients > 1)
		return;
	printf("%lld ", (long long)kp_time_us());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* receive_timestamp of a tick message, in microseconds, or 0. */
static int64_t
tick_ts(const char *m, size_t n)
{
	const char *p = memmem(m, n, "\"receive_timestamp\":", 20);
	int64_t s = 0, us = 0;
	int d = 0;

	if (p == NULL)
		return 0;
	for (p += 20; p < m + n && *p >= '0' && *p <= '9'; p++)
		s = s * 10 + (*p - '0');
	if (p < m + n && *p == '.')
		for (p++; p < m + n && *p >= '0' && *p <= '9' && d < 6; p++, d++)
			us = us * 10 + (*p - '0');
	for (; d < 6; d++)
		us *= 10;
	return s * 1000000 + us;
}

static void
finish(struct cl *c)
{
	if (c->state == 2)
		return;
	c->state = 2;
	done_n++;
}

static void
on_message(struct cl *c, const char *m, size_t n)
{
	int64_t now = kp_time_us(), ts;

	c->nrecv++;
	total_msgs++;
	if (o.nclients > 1) {
		ts = tick_ts(m, n);
		if (ts > 0 && memmem(m, n, "\"type\":\"tick\"", 13)) {
			if (nlat == caplat) {
				caplat = caplat ? caplat * 2 : 65536;
				lat = kp_xrealloc(lat, caplat * sizeof(*lat));
			}
			lat[nlat++] = now - ts;
		}
	} else if (!o.quiet) {
		printf("%lld %.*s\n", (long long)now, (int)n, m);
		fflush(stdout);
	}
	if (o.count > 0 && c->nrecv >= o.count)
		finish(c);
	if (o.stop_after > 0 && c->nrecv == o.stop_after) {
		c->stopped = 1;
		c->stopped_ms = kp_mono_ms();
		lws_rx_flow_control(c->wsi, 0);
		event("stopped reading");
	}
}

static int
append_auth(struct lws *wsi, void *in, size_t len)
{
	unsigned char **p = in, *end = *p + len;
	char v[16384];
	int n;

	if (o.cookie != NULL) {
		n = snprintf(v, sizeof(v), "kp_token=%s", o.cookie);
		if (n < 0 || (size_t)n >= sizeof(v) ||
		    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_COOKIE,
		    (unsigned char *)v, n, p, end))
			return -1;
	}
	if (o.token == NULL)
		return 0;
	n = snprintf(v, sizeof(v), "Bearer %s", o.token);
	if (n < 0 || (size_t)n >= sizeof(v))
		return -1;
	return lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
	    (unsigned char *)v, n, p, end) ? -1 : 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct cl *c = lws_get_opaque_user_data(wsi);
	unsigned char buf[LWS_PRE + 4096];
	size_t n;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return append_auth(wsi, in, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		event("error %s", in != NULL ? (const char *)in : "connect");
		if (c != NULL) {
			failed_n++;
			finish(c);
			c->wsi = NULL;
		}
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (o.stop_after > 0) {
			/* a small window, so a stall shows at the server
			 * soon rather than after megabytes */
			int sz = 4096;

			setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET,
			    SO_RCVBUF, &sz, sizeof(sz));
		}
		c->state = 1;
		open_now++;
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c->sent < o.nsend) {
			n = strlen(o.send[c->sent]);
			if (n > sizeof(buf) - LWS_PRE)
				n = sizeof(buf) - LWS_PRE;
			memcpy(buf + LWS_PRE, o.send[c->sent], n);
			if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) <
			    (int)n)
				return -1;
			c->sent++;
			if (c->sent < o.nsend)
				lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c->rxlen + len > MAX_RX)
			return -1;
		if (c->rx == NULL)
			c->rx = kp_xmalloc(MAX_RX);
		memcpy(c->rx + c->rxlen, in, len);
		c->rxlen += len;
		if (lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0) {
			on_message(c, c->rx, c->rxlen);
			c->rxlen = 0;
		}
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *p = in;

			event("close %u %.*s", (unsigned)(p[0] << 8 | p[1]),
			    (int)(len - 2), (const char *)in + 2);
		} else {
			event("close 1005");
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c != NULL) {
			closed_n++;
			if (c->state == 1)
				open_now--;
			event("closed");
			finish(c);
			c->wsi = NULL;
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{ "kitepipe", callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const struct lws_extension exts[] = {
	{ "permessage-deflate", lws_extension_callback_pm_deflate,
	    "permessage-deflate; client_no_context_takeover; "
	    "client_max_window_bits" },
	{ NULL, NULL, NULL }
};

/* Wake lws_service at least every 100 ms, for -R and -t. */
static struct lws_context *tick_ctx;
static lws_sorted_usec_list_t tick_sul;

static void
on_tick(lws_sorted_usec_list_t *sul)
{
	lws_sul_schedule(tick_ctx, 0, sul, on_tick, 100 * LWS_US_PER_MS);
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
summary(int64_t ms)
{
	int64_t p50 = 0, p99 = 0, mx = 0;

	if (nlat > 0) {
		qsort(lat, nlat, sizeof(*lat), cmp64);
		p50 = lat[nlat / 2];
		p99 = lat[nlat * 99 / 100];
		mx = lat[nlat - 1];
	}
	printf("clients=%lld connected=%d failed=%d closed=%d messages=%lld "
	    "ticks=%zu seconds=%.3f p50_us=%lld p99_us=%lld max_us=%lld\n",
	    o.nclients, (int)(o.nclients - failed_n), failed_n, closed_n,
	    total_msgs, nlat, (double)ms / 1000.0, (long long)p50,
	    (long long)p99, (long long)mx);
}

static void
parse_args(int argc, char **argv)
{
	char err[KP_ERRLEN];
	int c;

	o.nclients = 1;
	while ((c = getopt(argc, argv, "a:C:P:s:c:t:S:R:n:w:qzh")) != -1) {
		switch (c) {
		case 'a':
			o.token = kp_conf_secret_file(optarg, err);
			if (o.token == NULL)
				kp_die(KP_EXIT_PERM, "%s", err);
			break;
		case 'C':
			o.cookie = kp_conf_secret_file(optarg, err);
			if (o.cookie == NULL)
				kp_die(KP_EXIT_PERM, "%s", err);
			break;
		case 'P': o.protocols = optarg; break;
		case 's':
			if (o.nsend == MAX_SEND)
				kp_die(KP_EXIT_PERM, "at most %d -s", MAX_SEND);
			o.send[o.nsend++] = optarg;
			break;
		case 'c': o.count = kp_opt_ll("-c", optarg, 1, 1LL << 40);
			break;
		case 't': o.timeout_ms = kp_opt_duration_ms("-t", optarg, 1,
			    86400000);
			break;
		case 'S': o.stop_after = kp_opt_ll("-S", optarg, 1, 1LL << 40);
			break;
		case 'R': o.resume_ms = kp_opt_duration_ms("-R", optarg, 1,
			    86400000);
			break;
		case 'n': o.nclients = kp_opt_ll("-n", optarg, 1, 100000);
			break;
		case 'w': o.wait_ms = kp_opt_duration_ms("-w", optarg, 0,
			    86400000);
			break;
		case 'q': o.quiet = 1; break;
		case 'z': o.deflate = 1; break;
		case 'h': printf("%s\n", USAGE); exit(0);
		default: fprintf(stderr, "%s\n", USAGE); exit(KP_EXIT_PERM);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s\n", USAGE);
		exit(KP_EXIT_PERM);
	}
	o.url = argv[optind];
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info ci;
	struct lws_client_connect_info cc;
	struct lws_context *ctx;
	const char *prot, *addr, *path;
	char url[4096];
	int port, i, code = 0;
	int64_t t0, now;

	kp_log_init("wsc");
	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	signal(SIGUSR1, on_usr1);
	snprintf(url, sizeof(url), "%s", o.url);
	if (lws_parse_uri(url, &prot, &addr, &port, &path))
		kp_die(KP_EXIT_PERM, "bad URL %s", o.url);
	lws_set_log_level(0, NULL);
	memset(&ci, 0, sizeof(ci));
	ci.port = CONTEXT_PORT_NO_LISTEN;
	ci.protocols = protocols;
	if (o.deflate)
		ci.extensions = exts;
	ci.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	ci.fd_limit_per_thread = (unsigned)(o.nclients + 64);
	ctx = lws_create_context(&ci);
	if (ctx == NULL)
		kp_die(KP_EXIT_TEMP, "unable to create the lws context");
	tick_ctx = ctx;
	on_tick(&tick_sul);
	cls = kp_xcalloc((size_t)o.nclients, sizeof(*cls));
	t0 = kp_mono_ms();
	for (i = 0; i < o.nclients; i++) {
		char p2[2048];

		memset(&cc, 0, sizeof(cc));
		snprintf(p2, sizeof(p2), "/%s", path);
		cc.context = ctx;
		cc.address = addr;
		cc.port = port;
		cc.path = p2;
		cc.host = addr;
		cc.origin = addr;
		cc.protocol = o.protocols;
		cc.local_protocol_name = "kitepipe";
		cc.ssl_connection = strcmp(prot, "wss") == 0 ?
		    LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
		    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK : 0;
		cc.opaque_user_data = &cls[i];
		cls[i].idx = i;
		cc.pwsi = &cls[i].wsi;
		if (lws_client_connect_via_info(&cc) == NULL && cls[i].state
		    != 2) {
			failed_n++;
			finish(&cls[i]);
		}
	}
	while (!interrupted && done_n < o.nclients) {
		lws_service(ctx, 0);
		now = kp_mono_ms();
		for (i = 0; i < o.nclients; i++) {
			if (cls[i].stopped && cls[i].wsi != NULL &&
			    (resume_now || (o.resume_ms > 0 &&
			    now - cls[i].stopped_ms >= o.resume_ms))) {
				cls[i].stopped = 0;
				lws_rx_flow_control(cls[i].wsi, 1);
				event("resumed reading");
			}
		}
		if (o.timeout_ms > 0 && now - t0 > o.timeout_ms) {
			event("timeout");
			code = 2;
			break;
		}
	}
	/* -w: keep the connections a while after the count (load tests) */
	while (!interrupted && o.wait_ms > 0 &&
	    kp_mono_ms() - t0 < o.wait_ms)
		lws_service(ctx, 0);
	if (o.nclients > 1)
		summary(kp_mono_ms() - t0);
	if (code == 0 && failed_n > 0)
		code = 1;
	lws_context_destroy(ctx);
	return code;
}
