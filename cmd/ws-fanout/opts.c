/* opts.c: ws-fanout's options, usage, defaults and their checks. */
/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

void
wf_opts_parse(struct wf_opts *o, int argc, char **argv)
{
	defaults(o);
	parse_args(o, argc, argv);
	validate(o);
}
