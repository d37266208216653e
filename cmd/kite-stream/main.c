/*
 * kite-stream: Kite's ticker messages to NDJSON ticks (kitepipe-ticks(5)).
 * This build decodes captures (-r); see kite-stream(1).
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

#define USAGE "usage: kite-stream -r FILE [-qv] [-s INTERVAL] [-P FILE]"

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Decode Kite ticker messages to NDJSON ticks on stdout.\n\n"
	    "  -r FILE      decode the capture FILE (- for stdin) as fast "
	    "as possible\n"
	    "  -s INTERVAL  write a stats line to stderr every INTERVAL "
	    "(e.g. 10s)\n"
	    "  -P FILE      also write stats to FILE in Prometheus text "
	    "format\n"
	    "  -q           quieter (warnings off); -v louder (debug)\n"
	    "  -h           this help\n\n"
	    "Environment: KITEPIPE_STATS_INTERVAL, KITEPIPE_PROM_FILE.\n"
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
		{ "stats-interval", required_argument, NULL, 's' },
		{ "prom-file", required_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, level = KP_LOG_INFO;

	while ((c = getopt_long(argc, argv, "+r:s:P:qvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->read_path = optarg; break;
		case 's':
			o->stats_ms = kp_opt_duration_ms("-s", optarg, 0,
			    86400000);
			break;
		case 'P': o->prom_path = optarg; break;
		case 'q': level--; break;
		case 'v': level++; break;
		case 'h': usage(stdout); exit(KP_EXIT_OK);
		default: usage(stderr); exit(KP_EXIT_PERM);
		}
	}
	if (optind != argc) {
		kp_log(KP_LOG_FATAL, "unexpected argument '%s'", argv[optind]);
		usage(stderr);
		exit(KP_EXIT_PERM);
	}
	if (o->read_path == NULL) {
		usage(stderr);
		exit(KP_EXIT_PERM);
	}
	kp_log_set_level(level < KP_LOG_FATAL ? KP_LOG_FATAL : level);
}

static void
start_stats_timer(long long ms)
{
	struct itimerval it;

	if (ms <= 0)
		return;
	it.it_interval.tv_sec = ms / 1000;
	it.it_interval.tv_usec = (ms % 1000) * 1000;
	it.it_value = it.it_interval;
	if (setitimer(ITIMER_REAL, &it, NULL) < 0)
		kp_die(KP_EXIT_TEMP, "unable to start the stats timer:");
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
	struct ks_opts o = { .max_warn = 1000 };
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
	start_stats_timer(o.stats_ms);
	ks_emit_init(&e, &o, 1);
	code = ks_replay(&e, o.read_path);
	code = finish_output(&e, code);
	if (o.stats_ms > 0 || o.prom_path != NULL ||
	    kp_log_get_level() >= KP_LOG_DEBUG)
		ks_emit_stats(&e);
	ks_emit_free(&e);
	return code;
}
