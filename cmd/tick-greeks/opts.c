/*
 * opts.c: tick-greeks's options: the defaults, getopt, the checks; -h.
 */
/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"
#include "tg.h"

#define USAGE "usage: tick-greeks -i FILE | --db[=CONNINFO] [-m MAP] " \
	"[-r RATE] [-q YIELD]\n       [--model parity|black76|bsm] " \
	"[--price last|mid] [--iv-from otm|own]\n       " \
	"[--parity-age SECS] [--chain SECS] [--fields LIST] [-j N]"
#define DEF_R 0.0525
#define DEF_Q 0.013
#define DEF_AGE 5.0

/* -j 0: the online CPUs, at most JOBS_AUTO_MAX. */
#define JOBS_AUTO_MAX 4

static int
jobs_auto(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > JOBS_AUTO_MAX ? JOBS_AUTO_MAX : (int)n;
}

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Add implied volatility and Greeks to option ticks (NDJSON on\n"
	    "stdin to stdout); every other line passes through unchanged.\n\n"
	    "  -i FILE          instruments: Kite's CSV or instr-sync NDJSON\n"
	    "  --db[=CONNINFO]  instruments: instr-sync's PostgreSQL table\n"
	    "                   (default DATABASE_URL, else libpq's PG*)\n"
	    "  -m FILE          underlying map lines \"NAME TOKEN\"\n"
	    "  -r RATE          risk-free rate, continuous (default 0.0525)\n"
	    "  -q YIELD         dividend yield, continuous (default 0.013)\n"
	    "  --model M        parity (default): Black-76 on the forward of\n"
	    "                   put-call parity, else the future of the same\n"
	    "                   expiry, else the spot carried at r and q;\n"
	    "                   black76: the future first; bsm: BSM on spot\n"
	    "  --price P        last (default) or mid (depth's best bid/ask)\n"
	    "  --iv-from F      otm (default): an in-the-money option takes\n"
	    "                   the IV of the out-of-the-money one; own\n"
	    "  --parity-age S   quotes older than S seconds of feed time are\n"
	    "                   stale for parity and otm (default 5)\n"
	    "  --chain S        a chain line every S seconds of feed time\n"
	    "                   per underlying and expiry (default 1; 0 none)\n"
	    "  --fields LIST    comma-separated fields to add (default all)\n"
	    "  -j N             N threads (the main one counted), same output\n"
	    "                   (default 1; 0: the online CPUs, at most 4)\n"
	    "  -v / -Q          louder / quieter logging\n"
	    "  -h               this help\n\n"
	    "SIGHUP reloads the instruments.  Exit: 0 ok, 1 bad lines seen,\n"
	    "100 usage or bad instruments, 111 system error.\n"
	    "See tick-greeks(1).\n", f);
}

static void
parse_fields(struct tg_opts *o, const char *s)
{
	char buf[512], *tok, *save = NULL;
	int i;

	memset(o->fields, 0, sizeof(o->fields));
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < F_N; i++)
			if (strcmp(tok, tg_field_names[i]) == 0)
				break;
		if (i == F_N)
			kp_die(KP_EXIT_PERM, "--fields: unknown field '%s'",
			    tok);
		o->fields[i] = 1;
	}
}

void
tg_opts_parse(struct tg_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "instruments", required_argument, NULL, 'i' },
		{ "db", optional_argument, NULL, 'D' },
		{ "map", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "yield", required_argument, NULL, 'q' },
		{ "model", required_argument, NULL, 'M' },
		{ "price", required_argument, NULL, 'p' },
		{ "fields", required_argument, NULL, 'f' },
		{ "iv-from", required_argument, NULL, 'O' },
		{ "parity-age", required_argument, NULL, 'A' },
		{ "chain", required_argument, NULL, 'C' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, i, level = KP_LOG_INFO;
	long long n;

	o->r = DEF_R;
	o->q = DEF_Q;
	o->jobs = 1;
	o->iv_otm = 1;
	o->parity_age = DEF_AGE;
	o->chain_every = 1;
	for (i = 0; i < F_N; i++)
		o->fields[i] = 1;
	while ((c = getopt_long(argc, argv, "+i:m:r:q:j:vQh", lopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'i': o->instr_path = optarg; break;
		case 'D': o->use_db = 1; o->db = optarg; break;
		case 'm': o->map_path = optarg; break;
		case 'r':
		case 'q':
			if (kp_num_double(optarg, -1, 1, c == 'r' ? &o->r :
			    &o->q) < 0)
				kp_die(KP_EXIT_PERM, "-%c: bad rate '%s'", c,
				    optarg);
			break;
		case 'M':
			if (strcmp(optarg, "parity") == 0)
				o->model = MODEL_PARITY;
			else if (strcmp(optarg, "black76") == 0)
				o->model = MODEL_BLACK76;
			else if (strcmp(optarg, "bsm") == 0)
				o->model = MODEL_BSM;
			else
				kp_die(KP_EXIT_PERM, "--model: parity, black76 "
				    "or bsm");
			break;
		case 'O':
			if (strcmp(optarg, "otm") != 0 &&
			    strcmp(optarg, "own") != 0)
				kp_die(KP_EXIT_PERM, "--iv-from: otm or own");
			o->iv_otm = strcmp(optarg, "otm") == 0;
			break;
		case 'A':
			if (kp_num_double(optarg, 0, 86400, &o->parity_age) <
			    0)
				kp_die(KP_EXIT_PERM, "--parity-age: 0 to 86400 "
				    "seconds, not '%s'", optarg);
			break;
		case 'C':
			if (kp_num_ll(optarg, 0, 86400, &n) < 0)
				kp_die(KP_EXIT_PERM, "--chain: 0 to 86400 "
				    "seconds, not '%s'", optarg);
			o->chain_every = (long)n;
			break;
		case 'p':
			if (strcmp(optarg, "last") != 0 &&
			    strcmp(optarg, "mid") != 0)
				kp_die(KP_EXIT_PERM, "--price: last or mid");
			o->mid = strcmp(optarg, "mid") == 0;
			break;
		case 'f': parse_fields(o, optarg); break;
		case 'j':
			if (kp_num_ll(optarg, 0, JOBS_MAX, &n) < 0)
				kp_die(KP_EXIT_PERM, "-j: 0 to %d threads, not "
				    "'%s'", JOBS_MAX, optarg);
			o->jobs = n == 0 ? jobs_auto() : (int)n;
			break;
		case 'v': level++; break;
		case 'Q': level--; break;
		case 'h': usage(stdout); exit(KP_EXIT_OK);
		default: usage(stderr); exit(KP_EXIT_PERM);
		}
	}
	if (optind != argc || (o->instr_path == NULL) == !o->use_db) {
		if (o->instr_path != NULL && o->use_db)
			kp_log(KP_LOG_FATAL, "-i and --db do not go together");
		usage(stderr);
		exit(KP_EXIT_PERM);
	}
	kp_log_set_level(level < KP_LOG_FATAL ? KP_LOG_FATAL : level);
}
