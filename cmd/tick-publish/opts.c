/* opts.c: tick-publish's options and usage, and where Redis is. */
/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void
tp_parse_args(struct tp_opts *o, int argc, char **argv)
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
	if (o->nchannels == 0)
		add_channel(o, "ticks:{instrument_token}");
}

/* REDIS_URL (or -u), and a password from REDIS_PASSWORD[_FILE]. */
void
tp_setup_url(struct tp *t, const char *url, int from_argv)
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

