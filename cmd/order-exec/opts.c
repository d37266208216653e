/* opts.c: order-exec's options and usage. */
/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oe.h"

#define USAGE "usage: order-exec -j JOURNAL [-l SOCKET] [options] | " \
    "order-exec -j JOURNAL --status"

void
oe_opts_default(struct oe_opts *o)
{
	static const struct oe_opts def = {
		.fsync_on = 1, .notify_fd = -1, .mode = 0600,
		.timeout_ms = 7000, .per_s = 10, .per_min = 400,
		.per_day = 5000, .queue_max = 1000, .attempts = 5,
		.br_threshold = 5, .br_cooldown_ms = 5000,
		.recon_window_ms = 30000, .backoff_base_ms = 200,
		.backoff_cap_ms = 5000, .market_protection = -1,
	};

	*o = def;
	kp_env_duration_ms("KITEPIPE_STATS_INTERVAL", 0, 86400000,
	    &o->stats_ms);
	o->prom_path = kp_env("KITEPIPE_PROM_FILE");
}

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Send order intents (NDJSON on stdin and on -l SOCKET) to Kite, "
	    "never twice.\n\n"
	    "  -j FILE        the write-ahead journal (required)\n"
	    "  -D FILE        dead letters (default JOURNAL.dead)\n"
	    "  -l PATH        also take intents on this Unix socket\n"
	    "  -m MODE        the socket's mode (default 0600)\n"
	    "  -t DURATION    HTTP timeout (default 7s)\n"
	    "  -a N           attempts per intent (default 5)\n"
	    "  -Q N           unfinished intents at most (default 1000)\n"
	    "  --per-second N, --per-minute N, --per-day N   order limits "
	    "(10, 400, 5000; 0 none)\n"
	    "  --breaker N    transient failures in a row that open it (5)\n"
	    "  --breaker-cooldown DURATION (5s)\n"
	    "  --reconcile-window DURATION   how long an unknown outcome is "
	    "looked for in\n"
	    "                 the order book before it is dead, maybe placed "
	    "(30s)\n"
	    "  --backoff-base DURATION (200ms), --backoff-cap DURATION (5s)\n"
	    "  --market-protection N   for MARKET and SL-M intents without "
	    "one:\n"
	    "                 -1 automatic (default) or a percentage 1-100\n"
	    "  --no-fsync     do not fsync the journal (tests only)\n"
	    "  --status       print the journal's state and dead letters\n"
	    "  -d FD          readiness notification fd\n"
	    "  -s DURATION    write the stats line this often (default: at "
	    "exit, SIGUSR1)\n"
	    "  -P FILE        also write the stats as a Prometheus textfile\n"
	    "  -q, -v, -h     quieter, louder, this help\n\n"
	    "Environment: KITE_API_KEY, KITE_ACCESS_TOKEN or "
	    "KITE_ACCESS_TOKEN_FILE, KITE_API_URL,\n"
	    "KITEPIPE_STATS_INTERVAL (-s), KITEPIPE_PROM_FILE (-P).\n"
	    "Exit: 0 ok, 1 some intents invalid, 100 usage or "
	    "configuration, 111 system error.\n"
	    "See order-exec(1).\n", f);
}

enum { O_PS = 256, O_PM, O_PD, O_BR, O_BRC, O_RW, O_BB, O_BC, O_MP,
	O_NOFSYNC, O_STATUS };

static const struct option lopts[] = {
	{ "journal", required_argument, NULL, 'j' },
	{ "dead-letters", required_argument, NULL, 'D' },
	{ "stats-interval", required_argument, NULL, 's' },
	{ "prom-file", required_argument, NULL, 'P' },
	{ "listen", required_argument, NULL, 'l' },
	{ "mode", required_argument, NULL, 'm' },
	{ "timeout", required_argument, NULL, 't' },
	{ "attempts", required_argument, NULL, 'a' },
	{ "queue", required_argument, NULL, 'Q' },
	{ "per-second", required_argument, NULL, O_PS },
	{ "per-minute", required_argument, NULL, O_PM },
	{ "per-day", required_argument, NULL, O_PD },
	{ "breaker", required_argument, NULL, O_BR },
	{ "breaker-cooldown", required_argument, NULL, O_BRC },
	{ "reconcile-window", required_argument, NULL, O_RW },
	{ "backoff-base", required_argument, NULL, O_BB },
	{ "backoff-cap", required_argument, NULL, O_BC },
	{ "market-protection", required_argument, NULL, O_MP },
	{ "no-fsync", no_argument, NULL, O_NOFSYNC },
	{ "status", no_argument, NULL, O_STATUS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* The long-only options with a value: limits, breaker, timing. */
static void
long_opt(struct oe_opts *o, int c, const char *arg)
{
	switch (c) {
	case O_PS:
		o->per_s = kp_opt_ll("--per-second", arg, 0, OE_WINDOW_MAX);
		break;
	case O_PM:
		o->per_min = kp_opt_ll("--per-minute", arg, 0, OE_WINDOW_MAX);
		break;
	case O_PD:
		o->per_day = kp_opt_ll("--per-day", arg, 0, OE_WINDOW_MAX);
		break;
	case O_BR:
		o->br_threshold = kp_opt_ll("--breaker", arg, 1, 1000);
		break;
	case O_BRC:
		o->br_cooldown_ms = kp_opt_duration_ms("--breaker-cooldown",
		    arg, 10, 3600000);
		break;
	case O_RW:
		o->recon_window_ms = kp_opt_duration_ms("--reconcile-window",
		    arg, 0, 3600000);
		break;
	case O_BB:
		o->backoff_base_ms = kp_opt_duration_ms("--backoff-base", arg,
		    1, 600000);
		break;
	case O_BC:
		o->backoff_cap_ms = kp_opt_duration_ms("--backoff-cap", arg,
		    1, 3600000);
		break;
	case O_MP:
		o->market_protection = kp_opt_ll("--market-protection", arg,
		    -1, 100);
		if (o->market_protection == 0)
			kp_die(KP_EXIT_PERM, "--market-protection 0: "
			    "Kite refuses MARKET and SL-M orders "
			    "without protection; -1 or 1-100");
		break;
	}
}

void
oe_parse_args(struct oe_opts *o, int argc, char **argv)
{
	int c, level = KP_LOG_INFO;
	char *end;

	while ((c = getopt_long(argc, argv, "+j:D:l:m:t:a:Q:d:s:P:qvh", lopts,
	    NULL)) != -1) {
		switch (c) {
		case 'j': o->journal_path = optarg; break;
		case 'D': o->dead_path = optarg; break;
		case 'l': o->listen_path = optarg; break;
		case 'm':
			o->mode = strtol(optarg, &end, 8);
			if (*optarg == 0 || *end != 0 || o->mode < 0 ||
			    o->mode > 0777)
				kp_die(KP_EXIT_PERM, "-m %s: not an octal mode",
				    optarg);
			break;
		case 't':
			o->timeout_ms = kp_opt_duration_ms("-t", optarg, 100,
			    600000);
			break;
		case 'a': o->attempts = kp_opt_ll("-a", optarg, 1, 100); break;
		case 'Q':
			o->queue_max = kp_opt_ll("-Q", optarg, 1, 1000000);
			break;
		case 'd':
			o->notify_fd = (int)kp_opt_ll("-d", optarg, 3, 1024);
			break;
		case 's':
			o->stats_ms = kp_opt_duration_ms("-s", optarg, 0,
			    86400000);
			break;
		case 'P': o->prom_path = optarg; break;
		case O_PS: case O_PM: case O_PD: case O_BR: case O_BRC:
		case O_RW: case O_BB: case O_BC: case O_MP:
			long_opt(o, c, optarg);
			break;
		case O_NOFSYNC: o->fsync_on = 0; break;
		case O_STATUS: o->status = 1; break;
		default: kp_opt_common(c, &level, usage); break;
		}
	}
	kp_opt_end(argc, argv, 0, level, usage);
	if (o->journal_path == NULL) {
		usage(stderr);
		exit(KP_EXIT_PERM);
	}
}

char *
oe_dead_default(const char *journal_path)
{
	size_t n = strlen(journal_path);
	char *s = kp_xmalloc(n + 6);

	memcpy(s, journal_path, n);
	memcpy(s + n, ".dead", 6);
	return s;
}
