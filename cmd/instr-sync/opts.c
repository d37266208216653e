/* opts.c: instr-sync's options, usage and defaults. */
/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "is.h"

#define USAGE "usage: instr-sync [-qv] [-f FILE | -x EXCHANGE] [--cache DIR] " \
	"[filters] [--csv]\n" \
	"       instr-sync --chain NAME [--spot PRICE] [--strikes N] " \
	"[--expiries K] [--subs MODE] ...\n" \
	"       instr-sync --sync [--db URL] [--dry-run] [--no-wait] " \
	"[--max-deactivate PCT] [--allow-bad N] ..."

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Read Kite's instrument list and write it as NDJSON (or CSV),\n"
	    "pick an option chain, or sync it into PostgreSQL.\n\n"
	    "  -f FILE            read a local CSV (- for stdin; gzip or not),\n"
	    "                     not Kite\n"
	    "  -x, --exchange EX  fetch /instruments/EX; keep exchange EX\n"
	    "  --segment S, --name N, --type T, --expiry-within DAYS\n"
	    "                     keep only matching rows\n"
	    "  --csv              write CSV, not NDJSON\n"
	    "  --cache DIR        conditional GET; nothing new: exit 0\n"
	    "  --chain NAME       options of NAME around the money\n"
	    "  --spot PRICE       the spot for --chain (default: the dump's\n"
	    "                     last_price of the nearest future)\n"
	    "  --strikes N        strikes either side of ATM (default 5)\n"
	    "  --expiries K       nearest K expiries (default 1)\n"
	    "  --subs MODE        write a kite-stream subscription file\n"
	    "                     (ltp, quote or full) instead of NDJSON\n"
	    "  --today DATE       the date for expiries (default today, IST)\n"
	    "  --sync             sync into PostgreSQL (DATABASE_URL, PG*)\n"
	    "  --db URL           the database (implies --sync)\n"
	    "  --dry-run          count the changes, commit nothing\n"
	    "  --no-wait          fail (111) if another sync holds the lock\n"
	    "  --max-deactivate PCT\n"
	    "                     refuse (exit 1, nothing changed) a sync that\n"
	    "                     would mark more than PCT% of the active\n"
	    "                     instruments inactive (default 5)\n"
	    "  --allow-bad N      commit despite up to N rejected rows (bad,\n"
	    "                     repeated, or a last row cut short); more:\n"
	    "                     refuse, exit 1 (default 0)\n"
	    "  -P, --prom-file FILE\n"
	    "                     write the run's time, exit code and counts\n"
	    "                     as a Prometheus textfile\n"
	    "  -q, -v             quieter, louder; -h this help\n\n"
	    "Environment: KITE_API_URL, KITE_API_KEY, KITE_ACCESS_TOKEN(_FILE),\n"
	    "DATABASE_URL, PG*, INSTR_SYNC_TIMEOUT, INSTR_SYNC_RETRIES,\n"
	    "KITEPIPE_PROM_FILE (-P).\n"
	    "Exit: 0 ok (or nothing new), 1 some rows rejected, 100 usage or\n"
	    "permanent error, 111 temporary error (network, HTTP, database).\n"
	    "See instr-sync(1).\n", f);
}

enum {
	O_SEGMENT = 256, O_NAME, O_TYPE, O_WITHIN, O_CSV, O_CACHE, O_CHAIN,
	O_SPOT, O_STRIKES, O_EXPIRIES, O_SUBS, O_TODAY, O_SYNC, O_DB,
	O_DRY, O_NOWAIT, O_MAXDEACT, O_ALLOWBAD
};

static int32_t
today_ist(void)
{
	return (int32_t)(((long long)time(NULL) + 19800) / 86400);
}

static void check_args(struct is_opts *o, int sync, int bounds);

void
is_parse_args(struct is_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "exchange", required_argument, NULL, 'x' },
		{ "segment", required_argument, NULL, O_SEGMENT },
		{ "name", required_argument, NULL, O_NAME },
		{ "type", required_argument, NULL, O_TYPE },
		{ "expiry-within", required_argument, NULL, O_WITHIN },
		{ "csv", no_argument, NULL, O_CSV },
		{ "cache", required_argument, NULL, O_CACHE },
		{ "chain", required_argument, NULL, O_CHAIN },
		{ "spot", required_argument, NULL, O_SPOT },
		{ "strikes", required_argument, NULL, O_STRIKES },
		{ "expiries", required_argument, NULL, O_EXPIRIES },
		{ "subs", required_argument, NULL, O_SUBS },
		{ "today", required_argument, NULL, O_TODAY },
		{ "sync", no_argument, NULL, O_SYNC },
		{ "db", required_argument, NULL, O_DB },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "no-wait", no_argument, NULL, O_NOWAIT },
		{ "max-deactivate", required_argument, NULL, O_MAXDEACT },
		{ "allow-bad", required_argument, NULL, O_ALLOWBAD },
		{ "prom-file", required_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, level = KP_LOG_INFO, sync = 0, bounds = 0;

	while ((c = getopt_long(argc, argv, "+f:x:P:qvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 'x': o->exchange = optarg; break;
		case 'P': o->prom = optarg; break;
		case O_SEGMENT: o->segment = optarg; break;
		case O_NAME: o->name = optarg; break;
		case O_TYPE: o->type = optarg; break;
		case O_WITHIN:
			o->expiry_within = kp_opt_ll("--expiry-within", optarg,
			    0, 100000);
			break;
		case O_CSV: o->csv = 1; break;
		case O_CACHE: o->cache = optarg; break;
		case O_CHAIN: o->chain = optarg; break;
		case O_SPOT:
			if (kp_instr_price(optarg, strlen(optarg), &o->spot) < 0
			    || o->spot <= 0)
				kp_die(KP_EXIT_PERM, "--spot: bad price '%s'",
				    optarg);
			break;
		case O_STRIKES:
			o->strikes = kp_opt_ll("--strikes", optarg, 0, 500);
			break;
		case O_EXPIRIES:
			o->expiries = kp_opt_ll("--expiries", optarg, 1, 100);
			break;
		case O_SUBS:
			if (strcmp(optarg, "ltp") && strcmp(optarg, "quote") &&
			    strcmp(optarg, "full"))
				kp_die(KP_EXIT_PERM, "--subs: mode '%s' is not "
				    "ltp, quote or full", optarg);
			o->subs_mode = optarg;
			break;
		case O_TODAY:
			if (kp_instr_date(optarg, strlen(optarg), &o->today) < 0)
				kp_die(KP_EXIT_PERM, "--today: bad date '%s' "
				    "(want YYYY-MM-DD)", optarg);
			break;
		case O_SYNC: sync = 1; break;
		case O_DB: o->db = optarg; sync = 1; break;
		case O_DRY: o->dry_run = 1; break;
		case O_NOWAIT: o->no_wait = 1; break;
		case O_MAXDEACT:
			o->max_deactivate = kp_opt_double("--max-deactivate",
			    optarg, 0, 100);
			bounds = 1;
			break;
		case O_ALLOWBAD:
			o->allow_bad = kp_opt_ll("--allow-bad", optarg, 0,
			    1000000000);
			bounds = 1;
			break;
		default: kp_opt_common(c, &level, usage); break;
		}
	}
	kp_opt_end(argc, argv, 0, level, usage);
	check_args(o, sync, bounds);
}

/* The options that do not go together; then the mode. */
static void
check_args(struct is_opts *o, int sync, int bounds)
{
	if (sync && o->chain != NULL)
		kp_die(KP_EXIT_PERM, "--chain and --sync do not go together");
	if (sync && (o->segment || o->name || o->type ||
	    o->expiry_within >= 0 || o->csv))
		kp_die(KP_EXIT_PERM, "--sync takes the whole list (or one "
		    "exchange with -x); filters and --csv do not apply");
	if ((o->dry_run || o->no_wait || bounds) && !sync)
		kp_die(KP_EXIT_PERM, "--dry-run, --no-wait, --max-deactivate "
		    "and --allow-bad need --sync");
	if (o->subs_mode != NULL && o->chain == NULL)
		kp_die(KP_EXIT_PERM, "--subs needs --chain");
	o->mode = sync ? IS_SYNC : o->chain != NULL ? IS_CHAIN : IS_LIST;
}

void
is_opts_init(struct is_opts *o)
{
	static const struct is_opts def = {
		.expiry_within = -1, .strikes = 5, .expiries = 1,
		.timeout_ms = 60000, .connect_ms = 10000, .retries = 3,
		.max_deactivate = 5,
	};

	*o = def;
	o->prom = kp_env("KITEPIPE_PROM_FILE");
	o->today = today_ist();
	o->api_url = kp_env("KITE_API_URL");
	if (o->api_url == NULL)
		o->api_url = "https://api.kite.trade";
	kp_env_duration_ms("INSTR_SYNC_TIMEOUT", 1000, 3600000,
	    &o->timeout_ms);
	kp_env_ll("INSTR_SYNC_RETRIES", 0, 20, &o->retries);
}
