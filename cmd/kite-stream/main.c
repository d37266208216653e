/*
 * kite-stream: Kite's ticker messages to NDJSON ticks (kitepipe-ticks(5)).
 * Live from Kite's ticker WebSocket, or from a capture (-r); see
 * kite-stream(1).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "ks.h"

#define USAGE "usage: kite-stream [-qv] [-f FILE] [-m MODE] [-w CAPTURE] " \
	"[-d FD] [-c SOCKET] [-C N] [-N N] [-W TIME] [-T TIME] [-B TIME] [-o SIZE]\n" \
	"                   [-s INTERVAL] [-P FILE] [-A FILE [-S fill|balance] " \
	"[-F TIME]]\n                   [TOKEN[:MODE]...]\n" \
	"       kite-stream -r CAPTURE [-qv] [-s INTERVAL] [-P FILE]"

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Stream Kite's ticker (or decode a capture) to NDJSON ticks on "
	    "stdout.\n\n"
	    "  TOKEN[:MODE] subscribe to an instrument (mode ltp, quote or "
	    "full)\n"
	    "  -f FILE      subscriptions, a token per line with an optional "
	    "mode;\n"
	    "               SIGHUP re-reads it and applies the difference\n"
	    "  -m MODE      mode when none is given (quote)\n"
	    "  -w CAPTURE   also record every raw message to CAPTURE\n"
	    "  -d FD        write a newline to FD once subscribed (s6)\n"
	    "  -c SOCKET    control socket: Kite's subscribe, unsubscribe "
	    "and mode\n               messages, one JSON line each, "
	    "answered\n"
	    "  -C N         at most N connections (3) per account; -N N "
	    "tokens each (3000)\n"
	    "  -A FILE      accounts, one a line: NAME API_KEY|@KEYFILE "
	    "TOKEN_FILE\n"
	    "  -S SPREAD    fill (each account in turn, the default) or "
	    "balance\n"
	    "  -F TIME      an account whose connection is down TIME fails "
	    "over (5s)\n"
	    "  -W TIME      reconnect after TIME without any message (10s)\n"
	    "  -T TIME      connect timeout, name lookup included (10s)\n"
	    "  -B TIME      longest reconnect delay (30s)\n"
	    "  -o SIZE      output held for a slow reader before ticks are "
	    "conflated (4M)\n"
	    "  -r FILE      decode the capture FILE (- for stdin) as fast "
	    "as possible\n"
	    "  -s INTERVAL  write a stats line to stderr every INTERVAL "
	    "(e.g. 10s)\n"
	    "  -P FILE      also write stats to FILE in Prometheus text "
	    "format\n"
	    "  -q           quieter (warnings off); -v louder (debug)\n"
	    "  -h           this help\n\n"
	    "Environment: KITE_WS_URL (wss://ws.kite.trade), KITE_API_KEY,\n"
	    "KITE_ACCESS_TOKEN or KITE_ACCESS_TOKEN_FILE, "
	    "KITEPIPE_STATS_INTERVAL,\nKITEPIPE_PROM_FILE.\n"
	    "Exit: 0 ok, 1 some input rejected, 100 usage or bad input "
	    "file, 111 system error.\n"
	    "See kite-stream(1), kitepipe-ticks(5), kitepipe-capture(5).\n",
	    f);
}

static void
parse_args(struct ks_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "file", required_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' },
		{ "write", required_argument, NULL, 'w' },
		{ "ready-fd", required_argument, NULL, 'd' },
		{ "control", required_argument, NULL, 'c' },
		{ "connections", required_argument, NULL, 'C' },
		{ "tokens-per-connection", required_argument, NULL, 'N' },
		{ "watchdog", required_argument, NULL, 'W' },
		{ "connect-timeout", required_argument, NULL, 'T' },
		{ "backoff-max", required_argument, NULL, 'B' },
		{ "output-buffer", required_argument, NULL, 'o' },
		{ "stats-interval", required_argument, NULL, 's' },
		{ "prom-file", required_argument, NULL, 'P' },
		{ "accounts", required_argument, NULL, 'A' },
		{ "spread", required_argument, NULL, 'S' },
		{ "failover", required_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, m, level = KP_LOG_INFO;

	while ((c = getopt_long(argc, argv, "+r:f:m:w:d:c:C:N:W:T:B:o:s:P:A:S:F:qvh",
	    lopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->read_path = optarg; break;
		case 'f': o->subs_path = optarg; break;
		case 'm':
			m = ks_mode_parse(optarg, strlen(optarg));
			if (m < 0)
				kp_die(KP_EXIT_PERM, "-m: unknown mode '%s' "
				    "(ltp, quote, full)", optarg);
			o->default_mode = (unsigned)m;
			break;
		case 'w': o->write_path = optarg; break;
		case 'c': o->control_path = optarg; break;
		case 'd':
			o->ready_fd = (int)kp_opt_ll("-d", optarg, 3, 1 << 20);
			if (kp_ready_check_fd(o->ready_fd) < 0)
				kp_die(KP_EXIT_PERM, "-d %d: not an open file "
				    "descriptor", o->ready_fd);
			break;
		case 'C': o->max_conns = kp_opt_ll("-C", optarg, 1, 16); break;
		case 'N':
			o->max_tokens = kp_opt_ll("-N", optarg, 1, 100000);
			break;
		case 'W':
			o->watchdog_ms = kp_opt_duration_ms("-W", optarg, 100,
			    3600000);
			break;
		case 'T':
			o->connect_ms = kp_opt_duration_ms("-T", optarg, 100,
			    600000);
			break;
		case 'B':
			o->backoff_max_ms = kp_opt_duration_ms("-B", optarg, 100,
			    3600000);
			break;
		case 'o':
			o->out_max = kp_opt_size("-o", optarg, 64 << 10,
			    1LL << 30);
			break;
		case 's':
			o->stats_ms = kp_opt_duration_ms("-s", optarg, 0,
			    86400000);
			break;
		case 'P': o->prom_path = optarg; break;
		case 'A': o->accounts_path = optarg; break;
		case 'S':
			if (strcmp(optarg, "fill") != 0 &&
			    strcmp(optarg, "balance") != 0)
				kp_die(KP_EXIT_PERM, "-S: want fill or "
				    "balance, not '%s'", optarg);
			o->balance = optarg[0] == 'b';
			break;
		case 'F':
			o->failover_ms = kp_opt_duration_ms("-F", optarg, 100,
			    3600000);
			break;
		default: kp_opt_common(c, &level, usage); break;
		}
	}
	/* tokens are operands, except with -r */
	kp_opt_end(argc, argv, o->read_path == NULL, level, usage);
	o->tokens = argv + optind;
	o->ntokens = argc - optind;
	if (o->read_path == NULL && o->subs_path == NULL && o->ntokens == 0) {
		usage(stderr);
		exit(KP_EXIT_PERM);
	}
	kp_log_set_level(level < KP_LOG_FATAL ? KP_LOG_FATAL : level);
}

/* Flush stdout; a reader that went away (EPIPE) is not an error. */
static int
finish_output(struct ks_emit *e, int code)
{
	kp_out_flush(&e->out);
	if (kp_out_error(&e->out) == EPIPE)
		return code;
	if (kp_out_error(&e->out) != 0) {
		errno = kp_out_error(&e->out);
		kp_log(KP_LOG_FATAL, "unable to write to stdout:");
		return KP_EXIT_TEMP;
	}
	return code;
}

int
main(int argc, char **argv)
{
	struct ks_opts o = {
		.max_warn = 1000,
		.default_mode = 1,
		.max_conns = 3,
		.max_tokens = 3000,
		.watchdog_ms = 10000,
		.connect_ms = 10000,
		.backoff_ms = 500,
		.backoff_max_ms = 30000,
		.out_max = 4 << 20,
		.ready_fd = -1,
		.failover_ms = 5000,
	};
	struct ks_emit e;
	const char *v;
	int code;

	kp_log_init(KS_PROG);
	kp_fds_ensure();
	kp_env_duration_ms("KITEPIPE_STATS_INTERVAL", 0, 86400000,
	    &o.stats_ms);
	v = kp_env("KITEPIPE_PROM_FILE");
	if (v != NULL)
		o.prom_path = v;
	parse_args(&o, argc, argv);
	if (kp_sig_init() < 0)
		kp_die(KP_EXIT_TEMP, "unable to set up signals:");
	kp_stats_timer(o.stats_ms);
	ks_emit_init(&e, &o, 1);
	if (o.read_path != NULL)
		code = ks_replay(&e, o.read_path);
	else
		code = ks_live(&e, &o);
	code = finish_output(&e, code);
	if (o.stats_ms > 0 || o.prom_path != NULL ||
	    kp_log_get_level() >= KP_LOG_DEBUG)
		ks_emit_stats(&e);
	ks_emit_free(&e);
	return code;
}
