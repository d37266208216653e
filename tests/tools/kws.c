/*
 * kws: a small Kite ticker client for tests and benchmarks.  Connects to
 * a ws:// URL (KITE_API_KEY and KITE_ACCESS_TOKEN appended as Kite's
 * query parameters), sends the text messages given as arguments (and,
 * with -i, stdin lines), and prints every decoded tick as a
 * kitepipe-ticks(5) line and every text message as it came.  Not
 * installed.
 *
 * Exit: 0 a stop condition or the time limit was reached; 2 the upgrade
 * was refused (the HTTP status is on stderr); 3 the server closed the
 * connection (the close code is on stderr, 1006 when it just hung up);
 * 4 no connection; 100 usage.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"

#define PROG "kws"
#define RX_MAX (8u << 20)

struct kws {
	struct lws_context *cx;
	struct lws *wsi;
	lws_sorted_usec_list_t sul;
	char **msgs;		/* to send on connect */
	int nmsgs, sent;
	bool stdin_on, stdin_eof;
	struct kp_line lr;
	char *pending[64];	/* stdin lines waiting to go */
	int npending;
	bool events;
	bool quiet;		/* -q: count ticks, print nothing */
	int64_t deadline_ms;
	uint64_t max_ticks, max_texts, max_hb, max_bin;
	uint64_t ticks, texts, hb, bin, codec_errors, bytes;
	struct kp_buf rx;
	bool rx_bin;
	int status;		/* exit code once decided; -1 running */
	int close_code;
	bool connected;
	struct kp_out out;
};

static void
usage(void)
{
	fputs("usage: kws [-eiq] [-t SECONDS] [-c TICKS] [-m TEXTS] "
	    "[-H HEARTBEATS] [-b MESSAGES] [-n] [URL] [MESSAGE...]\n"
	    "  URL defaults to $KITE_WS_URL; api_key and access_token come "
	    "from\n  KITE_API_KEY and KITE_ACCESS_TOKEN unless -n or the URL "
	    "has them.\n"
	    "  -e  also print events ({\"kws\":\"heartbeat\"}, message, "
	    "codec_error)\n"
	    "  -i  send stdin lines too\n"
	    "  -q  decode and count ticks, print none (benchmarks)\n"
	    "exit: 0 done, 2 upgrade refused, 3 closed by server, 4 no "
	    "connection\n", stderr);
	exit(KP_EXIT_PERM);
}

static void
finish(struct kws *k, int code)
{
	if (k->status < 0)
		k->status = code;
	lws_cancel_service(k->cx);
}

static void
check_stop(struct kws *k)
{
	if ((k->max_ticks && k->ticks >= k->max_ticks) ||
	    (k->max_texts && k->texts >= k->max_texts) ||
	    (k->max_hb && k->hb >= k->max_hb) ||
	    (k->max_bin && k->bin >= k->max_bin))
		finish(k, 0);
}

static void
on_tick(void *arg, const struct kp_tick *t)
{
	struct kws *k = arg;
	char *p;

	if (k->quiet) {
		k->ticks++;
		return;
	}
	p = kp_out_room(&k->out, KP_TICK_JSON_MAX);
	if (p == NULL)
		return;
	kp_out_commit(&k->out, (size_t)(kp_tick_json(p, t, kp_time_us()) -
	    p));
	k->ticks++;
}

static void
on_err(void *arg, const struct kp_codec_report *r)
{
	struct kws *k = arg;
	char buf[256];
	struct kp_buf b;

	k->codec_errors++;
	kp_codec_strerror(r, buf, sizeof(buf));
	if (!k->events)
		return;
	kp_buf_init(&b, 1024);
	kp_buf_addstr(&b, "{\"kws\":\"codec_error\",\"error\":");
	kp_json_cstr(&b, buf);
	kp_buf_addstr(&b, "}\n");
	kp_out_write(&k->out, b.p, b.len);
	kp_buf_free(&b);
}

static void
event(struct kws *k, const char *fmt, ...) KP_PRINTF(2, 3);

static void
event(struct kws *k, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (!k->events)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(buf))
		kp_out_write(&k->out, buf, (size_t)n);
}

static void
message(struct kws *k)
{
	size_t n;

	if (!k->rx_bin) {
		kp_out_write(&k->out, k->rx.p, k->rx.len);
		kp_out_write(&k->out, "\n", 1);
		k->texts++;
	} else if (k->rx.len == 1) {
		k->hb++;
		event(k, "{\"kws\":\"heartbeat\"}\n");
	} else {
		k->bin++;
		n = kp_codec_decode((const uint8_t *)k->rx.p, k->rx.len,
		    on_tick, on_err, k);
		event(k, "{\"kws\":\"message\",\"ticks\":%zu,\"bytes\":%zu}\n",
		    n, k->rx.len);
	}
	k->bytes += k->rx.len;
	kp_out_flush(&k->out);
	check_stop(k);
}

static void
send_next(struct kws *k)
{
	unsigned char buf[LWS_PRE + 65536];
	const char *m;
	size_t n;

	if (k->sent < k->nmsgs) {
		m = k->msgs[k->sent++];
	} else if (k->npending > 0) {
		m = k->pending[0];
	} else {
		return;
	}
	n = strlen(m);
	if (n > sizeof(buf) - LWS_PRE)
		n = sizeof(buf) - LWS_PRE;
	memcpy(buf + LWS_PRE, m, n);
	if (lws_write(k->wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
		fprintf(stderr, "kws: unable to send a message\n");
	if (m == k->pending[0]) {
		free(k->pending[0]);
		memmove(k->pending, k->pending + 1,
		    (size_t)--k->npending * sizeof(k->pending[0]));
	}
	if (k->sent < k->nmsgs || k->npending > 0)
		lws_callback_on_writable(k->wsi);
}

static void
poll_stdin(struct kws *k)
{
	char *line;
	size_t len;
	int rc;

	while (k->stdin_on && !k->stdin_eof && k->npending < 64) {
		rc = kp_line_next(&k->lr, &line, &len);
		if (rc == KP_LINE_OK) {
			if (len > 0)
				k->pending[k->npending++] = kp_xstrdup(line);
			continue;
		}
		if (rc == KP_LINE_EOF || rc == KP_LINE_ERR)
			k->stdin_eof = true;
		break;
	}
	if (k->npending > 0 && k->connected)
		lws_callback_on_writable(k->wsi);
}

static void
tick_cb(lws_sorted_usec_list_t *sul)
{
	struct kws *k = lws_container_of(sul, struct kws, sul);

	if (kp_mono_ms() >= k->deadline_ms) {
		finish(k, k->connected ? 0 : 4);
		return;
	}
	if (kp_sig_stopping()) {
		finish(k, 0);
		return;
	}
	poll_stdin(k);
	lws_sul_schedule(k->cx, 0, &k->sul, tick_cb, 20000);
}

static int
refused_status(struct lws *wsi, const char *why)
{
	unsigned st = wsi != NULL ? lws_http_client_http_response(wsi) : 0;
	const char *p;

	if (st == 0 && why != NULL)
		for (p = why; *p; p++)
			if (p[0] >= '1' && p[0] <= '5' && p[1] >= '0' &&
			    p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
			    (p[3] < '0' || p[3] > '9') &&
			    (p == why || p[-1] < '0' || p[-1] > '9')) {
				st = (unsigned)((p[0] - '0') * 100 +
				    (p[1] - '0') * 10 + (p[2] - '0'));
				break;
			}
	return (int)st;
}

static int
cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
    size_t len)
{
	struct kws *k = lws_context_user(lws_get_context(wsi));
	int st;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		st = refused_status(wsi, in);
		if (st > 0 && st != 101) {
			fprintf(stderr, "kws: upgrade refused: HTTP %d\n", st);
			event(k, "{\"kws\":\"refused\",\"status\":%d}\n", st);
			finish(k, 2);
		} else {
			fprintf(stderr, "kws: unable to connect: %s\n",
			    in ? (const char *)in : "?");
			finish(k, 4);
		}
		k->wsi = NULL;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		k->connected = true;
		event(k, "{\"kws\":\"connected\"}\n");
		kp_out_flush(&k->out);
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		send_next(k);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (k->status >= 0)
			break;	/* done: what is still buffered is ignored */
		if (lws_is_first_fragment(wsi)) {
			kp_buf_reset(&k->rx);
			k->rx_bin = lws_frame_is_binary(wsi);
		}
		if (kp_buf_add(&k->rx, in, len) < 0) {
			fprintf(stderr, "kws: message too long\n");
			finish(k, 4);
			return -1;
		}
		if (lws_is_final_fragment(wsi))
			message(k);
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2)
			k->close_code = ((const unsigned char *)in)[0] << 8 |
			    ((const unsigned char *)in)[1];
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (k->status < 0) {
			int code = k->close_code ? k->close_code : 1006;

			fprintf(stderr, "kws: closed by server code=%d\n", code);
			event(k, "{\"kws\":\"closed\",\"code\":%d}\n", code);
			finish(k, 3);
		}
		k->wsi = NULL;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "kws", cb, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* Connect to url (ws://host[:port][/path][?query]). */
static void
connect_url(struct kws *k, const char *url, bool creds)
{
	static char path[8192];
	struct lws_client_connect_info ci;
	char host[256], *p;
	const char *rest, *key, *tok;
	long port = 80;
	size_t hl;

	if (strncmp(url, "ws://", 5) != 0) {
		fprintf(stderr, "kws: only ws:// URLs: %s\n", url);
		exit(KP_EXIT_PERM);
	}
	rest = url + 5;
	hl = strcspn(rest, ":/?");
	if (hl == 0 || hl >= sizeof(host))
		usage();
	memcpy(host, rest, hl);
	host[hl] = '\0';
	rest += hl;
	if (*rest == ':') {
		port = strtol(rest + 1, &p, 10);
		rest = p;
	}
	snprintf(path, sizeof(path), "%s%s", *rest == '/' ? "" : "/", rest);
	key = kp_env("KITE_API_KEY");
	tok = kp_env("KITE_ACCESS_TOKEN");
	if (creds && strstr(path, "api_key=") == NULL) {
		size_t n = strlen(path);

		snprintf(path + n, sizeof(path) - n, "%capi_key=%s&"
		    "access_token=%s", strchr(path, '?') ? '&' : '?',
		    key ? key : "", tok ? tok : "");
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = k->cx;
	ci.address = host;
	ci.port = (int)port;
	ci.path = path;
	ci.host = host;
	ci.origin = host;
	ci.protocol = NULL;
	ci.pwsi = &k->wsi;
	if (lws_client_connect_via_info(&ci) == NULL && k->status < 0) {
		fprintf(stderr, "kws: unable to connect to %s\n", host);
		exit(4);
	}
}

int
main(int argc, char **argv)
{
	static struct kws k;
	struct lws_context_creation_info info;
	const char *url;
	bool creds = true;
	double secs = 10;
	int c;

	kp_log_init(PROG);
	kp_fds_ensure();
	k.status = -1;
	while ((c = getopt(argc, argv, "eiqt:c:m:H:b:nh")) != -1) {
		switch (c) {
		case 'e': k.events = true; break;
		case 'i': k.stdin_on = true; break;
		case 'q': k.quiet = true; break;
		case 't': secs = kp_opt_double("-t", optarg, 0.01, 86400); break;
		case 'c': k.max_ticks = (uint64_t)kp_opt_ll("-c", optarg, 1,
			    INT64_MAX);
			break;
		case 'm': k.max_texts = (uint64_t)kp_opt_ll("-m", optarg, 1,
			    INT64_MAX);
			break;
		case 'H': k.max_hb = (uint64_t)kp_opt_ll("-H", optarg, 1,
			    INT64_MAX);
			break;
		case 'b': k.max_bin = (uint64_t)kp_opt_ll("-b", optarg, 1,
			    INT64_MAX);
			break;
		case 'n': creds = false; break;
		default: usage();
		}
	}
	url = kp_env("KITE_WS_URL");
	if (optind < argc && strncmp(argv[optind], "ws", 2) == 0)
		url = argv[optind++];
	if (url == NULL)
		usage();
	k.msgs = argv + optind;
	k.nmsgs = argc - optind;
	if (kp_sig_init() < 0)
		return KP_EXIT_TEMP;
	kp_out_init(&k.out, 1, 1 << 16);
	kp_buf_init(&k.rx, RX_MAX);
	if (k.stdin_on) {
		fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
		if (kp_line_init(&k.lr, 0, 65536) < 0)
			return KP_EXIT_TEMP;
	}
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = &k;
	info.gid = -1;
	info.uid = -1;
	k.cx = lws_create_context(&info);
	if (k.cx == NULL)
		return KP_EXIT_TEMP;
	k.deadline_ms = kp_mono_ms() + (int64_t)(secs * 1000);
	connect_url(&k, url, creds);
	lws_sul_schedule(k.cx, 0, &k.sul, tick_cb, 20000);
	while (k.status < 0)
		if (lws_service(k.cx, 0) < 0)
			break;
	kp_out_flush(&k.out);
	fprintf(stderr, "kws: ticks=%llu messages=%llu heartbeats=%llu "
	    "texts=%llu codec_errors=%llu bytes=%llu\n",
	    (unsigned long long)k.ticks, (unsigned long long)k.bin,
	    (unsigned long long)k.hb, (unsigned long long)k.texts,
	    (unsigned long long)k.codec_errors, (unsigned long long)k.bytes);
	lws_sul_cancel(&k.sul);
	lws_context_destroy(k.cx);
	kp_buf_free(&k.rx);
	if (k.stdin_on)
		kp_line_free(&k.lr);
	kp_out_free(&k.out);
	return k.status < 0 ? KP_EXIT_TEMP : k.status;
}
