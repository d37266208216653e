/*
 * ws-fanout: ticks from Redis (or NDJSON on stdin) to WebSocket clients,
 * JWT-authenticated, with per-client conflation; HTTP /health, /stats,
 * /metrics and a live option-chain page on the same port.  ws-fanout(1).
 */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wf.h"

#define USAGE "usage: ws-fanout [-iqv] [-l ADDR] [-p PORT] [-J JWKS] " \
	"[-K SECRETFILE]\n" \
	"                 [--iss ISS] [--aud AUD] [--insecure-no-auth] " \
	"[--cert F --key F]\n" \
	"                 [-c CHANNEL] [-H HASH] [--chain FILE] [-d FD] " \
	"[limits]"

enum {
	OPT_ISS = 256, OPT_AUD, OPT_LEEWAY, OPT_INSECURE, OPT_CERT, OPT_KEY,
	OPT_CHAIN, OPT_MAX_SUBS, OPT_MAX_MSG, OPT_MAX_RATE, OPT_MAX_CONN_IP,
	OPT_MAX_CLIENTS, OPT_QUEUE, OPT_QUEUE_HARD, OPT_SLOW, OPT_SNDBUF
};

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Serve ticks to WebSocket clients (protocol in ws-fanout(1)).\n\n"
	    "  -l ADDR             IPv4/IPv6 address to bind (127.0.0.1)\n"
	    "  -p PORT             port (8765)\n"
	    "  -i, --stdin         read NDJSON ticks on stdin, not Redis\n"
	    "  -J FILE, --jwks     JWKS file of RS256/ES256 public keys\n"
	    "  -K FILE             HS256 secret file (at least 32 bytes)\n"
	    "  --iss ISS, --aud AUD  required issuer and audience\n"
	    "  --leeway DUR        clock skew allowed on exp/nbf (30s)\n"
	    "  --insecure-no-auth  no authentication (loopback only)\n"
	    "  --cert F --key F    TLS certificate and key (PEM)\n"
	    "  -c TEMPLATE         Redis channel (ticks:{instrument_token})\n"
	    "  -H KEY              Redis last-value hash (ticks:last; - for "
	    "none)\n"
	    "  --chain FILE        instrument NDJSON served at /chain for "
	    "the page\n"
	    "  --max-subs N (1000) --max-msg BYTES (4096) --max-rate N/s "
	    "(20)\n"
	    "  --max-conn-ip N (256) --max-clients N (10000)\n"
	    "  --queue N (256) --queue-hard N (4096) --slow DUR (5s)\n"
	    "  --sndbuf SIZE       kernel send buffer per client (system's)\n"
	    "  -d FD               readiness notification fd (s6)\n"
	    "  -q, -v              quieter, louder\n"
	    "  -h                  this help\n\n"
	    "Environment: REDIS_URL, KITEPIPE_JWKS_FILE, "
	    "KITEPIPE_JWT_SECRET_FILE,\n"
	    "KITEPIPE_JWT_ISS, KITEPIPE_JWT_AUD, KITEPIPE_WS_LISTEN, "
	    "KITEPIPE_WS_PORT.\n"
	    "Exit: 0 ok, 100 usage or configuration, 111 system error.\n"
	    "See ws-fanout(1), kitepipe-ticks(5).\n", f);
}

static void
defaults(struct wf_opts *o)
{
	const char *v;

	o->listen = "127.0.0.1";
	o->port = 8765;
	o->leeway_ms = 30000;
	o->channel = "ticks:{instrument_token}";
	o->hash = "ticks:last";
	o->max_subs = 1000;
	o->max_msg = 4096;
	o->max_rate = 20;
	o->max_conn_ip = 256;
	o->max_clients = 10000;
	o->queue = 256;
	o->queue_hard = 4096;
	o->slow_ms = 5000;
	o->max_line = 1 << 20;
	o->ready_fd = -1;
	if ((v = kp_env("KITEPIPE_WS_LISTEN")) != NULL)
		o->listen = v;
	kp_env_ll("KITEPIPE_WS_PORT", 1, 65535, &o->port);
	o->jwks_path = kp_env("KITEPIPE_JWKS_FILE");
	o->secret_path = kp_env("KITEPIPE_JWT_SECRET_FILE");
	o->iss = kp_env("KITEPIPE_JWT_ISS");
	o->aud = kp_env("KITEPIPE_JWT_AUD");
	o->redis_url = kp_env("REDIS_URL");
}

/* The limit options, in enum order from OPT_MAX_SUBS. */
static const struct {
	const char *flag;
	char kind;		/* n number, s size, d duration */
	long long min, max;
	size_t off;
} limit_opts[] = {
	{ "--max-subs", 'n', 1, 100000, offsetof(struct wf_opts, max_subs) },
	{ "--max-msg", 's', 64, 1 << 20, offsetof(struct wf_opts, max_msg) },
	{ "--max-rate", 'n', 1, 1000000, offsetof(struct wf_opts, max_rate) },
	{ "--max-conn-ip", 'n', 1, 1000000,
	    offsetof(struct wf_opts, max_conn_ip) },
	{ "--max-clients", 'n', 1, 1000000,
	    offsetof(struct wf_opts, max_clients) },
	{ "--queue", 'n', 1, 1000000, offsetof(struct wf_opts, queue) },
	{ "--queue-hard", 'n', 1, 10000000,
	    offsetof(struct wf_opts, queue_hard) },
	{ "--slow", 'd', 1, 3600000, offsetof(struct wf_opts, slow_ms) },
	{ "--sndbuf", 's', 0, 64 << 20, offsetof(struct wf_opts, sndbuf) },
};

static void
set_limit(struct wf_opts *o, int c, const char *arg)
{
	long long *v;
	int i = c - OPT_MAX_SUBS;

	v = (long long *)(void *)((char *)o + limit_opts[i].off);
	if (limit_opts[i].kind == 's')
		*v = kp_opt_size(limit_opts[i].flag, arg, limit_opts[i].min,
		    limit_opts[i].max);
	else if (limit_opts[i].kind == 'd')
		*v = kp_opt_duration_ms(limit_opts[i].flag, arg,
		    limit_opts[i].min, limit_opts[i].max);
	else
		*v = kp_opt_ll(limit_opts[i].flag, arg, limit_opts[i].min,
		    limit_opts[i].max);
}

static void
parse_args(struct wf_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "stdin", no_argument, NULL, 'i' },
		{ "jwks", required_argument, NULL, 'J' },
		{ "secret-file", required_argument, NULL, 'K' },
		{ "iss", required_argument, NULL, OPT_ISS },
		{ "aud", required_argument, NULL, OPT_AUD },
		{ "leeway", required_argument, NULL, OPT_LEEWAY },
		{ "insecure-no-auth", no_argument, NULL, OPT_INSECURE },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "channel", required_argument, NULL, 'c' },
		{ "hash", required_argument, NULL, 'H' },
		{ "chain", required_argument, NULL, OPT_CHAIN },
		{ "max-subs", required_argument, NULL, OPT_MAX_SUBS },
		{ "max-msg", required_argument, NULL, OPT_MAX_MSG },
		{ "max-rate", required_argument, NULL, OPT_MAX_RATE },
		{ "max-conn-ip", required_argument, NULL, OPT_MAX_CONN_IP },
		{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
		{ "queue", required_argument, NULL, OPT_QUEUE },
		{ "queue-hard", required_argument, NULL, OPT_QUEUE_HARD },
		{ "slow", required_argument, NULL, OPT_SLOW },
		{ "sndbuf", required_argument, NULL, OPT_SNDBUF },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, level = KP_LOG_INFO;

	while ((c = getopt_long(argc, argv, "+l:p:iJ:K:c:H:d:qvh", lopts,
	    NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'p': o->port = kp_opt_ll("-p", optarg, 1, 65535); break;
		case 'i': o->use_stdin = 1; break;
		case 'J': o->jwks_path = optarg; break;
		case 'K': o->secret_path = optarg; break;
		case OPT_ISS: o->iss = optarg; break;
		case OPT_AUD: o->aud = optarg; break;
		case OPT_LEEWAY:
			o->leeway_ms = kp_opt_duration_ms("--leeway", optarg,
			    0, 3600000);
			break;
		case OPT_INSECURE: o->insecure = 1; break;
		case OPT_CERT: o->cert = optarg; break;
		case OPT_KEY: o->key = optarg; break;
		case 'c': o->channel = optarg; break;
		case 'H':
			o->hash = strcmp(optarg, "-") == 0 ? NULL : optarg;
			break;
		case OPT_CHAIN: o->chain_path = optarg; break;
		case 'd':
			o->ready_fd = (int)kp_opt_ll("-d", optarg, 3, 1 << 20);
			break;
		default:
			if (c < OPT_MAX_SUBS || c > OPT_SNDBUF)
				kp_opt_common(c, &level, usage);
			else
				set_limit(o, c, optarg);
		}
	}
	kp_opt_end(argc, argv, 0, level, usage);
}

static void
validate(struct wf_opts *o)
{
	struct sockaddr_storage sa;

	if (o->insecure && (o->jwks_path != NULL || o->secret_path != NULL))
		kp_die(KP_EXIT_PERM, "--insecure-no-auth and JWT keys "
		    "exclude each other");
	if (wf_listen_parse(o->listen, &sa) < 0)
		kp_die(KP_EXIT_PERM, "-l %s: give a numeric IPv4 or IPv6 "
		    "address (not a name, not ::ffff:a.b.c.d)", o->listen);
	if (!o->insecure && o->jwks_path == NULL && o->secret_path == NULL)
		kp_die(KP_EXIT_PERM, "no authentication configured: give -J "
		    "JWKS or -K SECRETFILE (or --insecure-no-auth on "
		    "loopback)");
	if ((o->cert == NULL) != (o->key == NULL))
		kp_die(KP_EXIT_PERM, "--cert and --key go together");
	if (o->queue_hard < o->queue)
		kp_die(KP_EXIT_PERM, "--queue-hard %lld is below --queue %lld",
		    o->queue_hard, o->queue);
	if (!o->use_stdin && o->redis_url == NULL)
		kp_die(KP_EXIT_PERM, "no source: set REDIS_URL or give -i "
		    "(--stdin)");
	if (o->ready_fd >= 0 && kp_ready_check_fd(o->ready_fd) < 0)
		kp_die(KP_EXIT_PERM, "-d %d: not an open descriptor",
		    o->ready_fd);
}

static void
load_chain(struct wf *w)
{
	struct kp_buf b;
	char buf[65536];
	ssize_t n;
	int fd;

	if (w->o->chain_path == NULL)
		return;
	fd = open(w->o->chain_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		kp_die(KP_EXIT_PERM, "unable to open %s:", w->o->chain_path);
	kp_buf_init(&b, 64 << 20);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (kp_buf_add(&b, buf, (size_t)n) < 0)
			kp_die(KP_EXIT_PERM, "%s: larger than 64 MiB",
			    w->o->chain_path);
	if (n < 0)
		kp_die(KP_EXIT_PERM, "unable to read %s:", w->o->chain_path);
	close(fd);
	w->chain = b.p != NULL ? b.p : "";
	w->chain_len = b.len;
}

static void
lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	/* lws lines start with a timestamp; ours carry none */
	if (line[0] == '[') {
		const char *p = strchr(line, ']');

		if (p != NULL && p < line + n) {
			n -= (size_t)(p + 2 - line) < n ?
			    (size_t)(p + 2 - line) : n;
			line = p + 2;
		}
	}
	kp_log(level == LLL_ERR ? KP_LOG_WARN : KP_LOG_DEBUG, "lws: %.*s",
	    (int)n, line);
}

static const struct lws_extension exts[] = {
	{ "permessage-deflate", lws_extension_callback_pm_deflate,
	    "permessage-deflate; client_no_context_takeover; "
	    "client_max_window_bits" },
	{ NULL, NULL, NULL }
};

static void
on_tick(lws_sorted_usec_list_t *sul)
{
	struct wf *w = lws_container_of(sul, struct wf, tick_sul);

	wf_check_slow(w);
	lws_sul_schedule(w->ctx, 0, &w->tick_sul, on_tick,
	    200 * LWS_US_PER_MS);
}

void
wf_ready(struct wf *w)
{
	if (w->ready_sent)
		return;
	w->ready_sent = 1;
	if (kp_ready_notify(w->o->ready_fd) < 0)
		kp_warn("unable to notify readiness:");
}

/*
 * lws 4.1 binds iface on an IPv6 socket unless IPv6 is off: an IPv4
 * address became [::], dual-stack.  So IPv6 is off for an IPv4 address,
 * and an IPv6 address gets an IPv6-only socket.
 */
static uint64_t
listen_options(const struct wf_opts *o)
{
	struct sockaddr_storage sa;

	if (wf_listen_parse(o->listen, &sa) == 0 && sa.ss_family == AF_INET)
		return LWS_SERVER_OPTION_DISABLE_IPV6;
	return LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY |
	    LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
}

/*
 * What the kernel bound, not the text of -l, decides: it must be -l's
 * address, and loopback if there is no authentication.  Nothing has been
 * accepted yet: lws_service has not run.
 */
static void
check_listener(struct wf *w, char *addr, size_t size)
{
	struct sockaddr_storage sa;
	char err[KP_ERRLEN];

	if (wf_listen_check(w->o, &sa, err) < 0)
		kp_die(KP_EXIT_TEMP, "unable to listen on %s port %lld: %s",
		    w->o->listen, w->o->port, err);
	wf_sockaddr_str(&sa, addr, size);
	if (w->o->insecure && !wf_sockaddr_loopback(&sa))
		kp_die(KP_EXIT_PERM, "--insecure-no-auth is only allowed on "
		    "a loopback address, and %s is not one", addr);
}

static void
start(struct wf *w)
{
	struct lws_context_creation_info ci;
	char err[KP_ERRLEN], addr[INET6_ADDRSTRLEN];

	memset(&ci, 0, sizeof(ci));
	ci.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
	    LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (w->o->cert != NULL)
		ci.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	ci.user = w;
	ci.max_http_header_data = KP_JWT_MAX + 2048;
	ci.fd_limit_per_thread = 0;
	w->ctx = lws_create_context(&ci);
	if (w->ctx == NULL)
		kp_die(KP_EXIT_TEMP, "unable to create the lws context");

	memset(&ci, 0, sizeof(ci));
	ci.vhost_name = "raw";
	ci.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	ci.protocols = wf_raw_protocols;
	w->raw_vh = lws_create_vhost(w->ctx, &ci);
	if (w->raw_vh == NULL)
		kp_die(KP_EXIT_TEMP, "unable to create the raw vhost");

	memset(&ci, 0, sizeof(ci));
	ci.vhost_name = "ws-fanout";
	ci.port = (int)w->o->port;
	ci.iface = w->o->listen;
	ci.protocols = wf_protocols;
	ci.extensions = exts;
	ci.ssl_cert_filepath = w->o->cert;
	ci.ssl_private_key_filepath = w->o->key;
	ci.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | listen_options(w->o);
	if (w->o->cert != NULL)
		ci.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	w->vh = lws_create_vhost(w->ctx, &ci);
	if (w->vh == NULL)
		kp_die(KP_EXIT_TEMP, "unable to listen on %s port %lld",
		    w->o->listen, w->o->port);
	check_listener(w, addr, sizeof(addr));

	if (wf_signals_start(w) < 0)
		kp_die(KP_EXIT_TEMP, "unable to watch signals");
	if (w->o->use_stdin) {
		if (wf_stdin_start(w) < 0)
			kp_die(KP_EXIT_TEMP, "unable to read stdin:");
		wf_ready(w);
	} else if (wf_redis_start(w, err) < 0) {
		kp_die(KP_EXIT_PERM, "%s", err);
	}
	lws_sul_schedule(w->ctx, 0, &w->tick_sul, on_tick,
	    200 * LWS_US_PER_MS);
	kp_info("listening on %s port %lld%s, source %s, auth %s",
	    addr, w->o->port, w->o->cert != NULL ? " (TLS)" : "",
	    w->o->use_stdin ? "stdin" : "redis",
	    w->o->insecure ? "NONE (--insecure-no-auth)" : "JWT");
}

int
main(int argc, char **argv)
{
	static struct wf w;
	struct wf_opts o;
	char err[KP_ERRLEN];

	kp_log_init(WF_PROG);
	kp_fds_ensure();
	memset(&o, 0, sizeof(o));
	defaults(&o);
	parse_args(&o, argc, argv);
	validate(&o);
	w.o = &o;
	w.pol.iss = o.iss;
	w.pol.aud = o.aud;
	w.pol.leeway_s = o.leeway_ms / 1000;
	w.started_ms = kp_mono_ms();
	if (wf_auth_load(&w, err) < 0)
		kp_die(KP_EXIT_PERM, "%s", err);
	load_chain(&w);
	w.sigfd = kp_sig_init();
	if (w.sigfd < 0)
		kp_die(KP_EXIT_TEMP, "unable to set up signals:");
	lws_set_log_level(LLL_ERR | (kp_log_get_level() >= KP_LOG_DEBUG ?
	    LLL_WARN : 0), lws_log_emit);
	start(&w);
	while (!w.stopping)
		if (lws_service(w.ctx, 0) < 0)
			break;
	lws_context_destroy(w.ctx);
	wf_redis_free(&w);
	kp_jwt_keys_free(w.keys);
	return KP_EXIT_OK;
}
