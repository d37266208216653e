/* opts.c: kite-sim's options, usage, defaults and credentials. */
/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simx.h"

#define DEMO_KEY "kitesim"
#define DEMO_TOKEN "kitesim-access-token"
#define DEMO_SECRET "kitesim-secret"
#define DEFAULT_PORT 8765

#define USAGE "usage: kite-sim [-qv] [-a ADDR] [-p PORT] [-d FD] " \
	"[-c SOCKET] [-s SEED] [-r RATE] [--replay CAPTURE] [OPTION...]"

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Serve Kite's ticker WebSocket and REST API over a simulated "
	    "market.\n\n"
	    "  -a ADDR            listen address (127.0.0.1; ::1 for "
	    "IPv6)\n"
	    "  -p PORT            port (8765); 0 picks a free one\n"
	    "  --port-file FILE   write the port there once listening\n"
	    "  -d FD              readiness: write a newline to FD\n"
	    "  -c PATH            control socket (one command a line)\n"
	    "  -s SEED            model seed (1)\n"
	    "  -r RATE            ticks/s per instrument (1)\n"
	    "  --flat-out         send as fast as each client takes\n"
	    "  --spread N         each period's ticks in N messages, "
	    "spread over it (1)\n"
	    "  --speed X          simulated seconds per second (1)\n"
	    "  --start TIME       simulated start: epoch s or "
	    "YYYY-MM-DDTHH:MM[:SS] IST\n"
	    "  --vol V            index volatility (0.15)\n"
	    "  --smile A,S,C[,T]  atm,skew,curv[,term] (0.13,-0.4,2,0)\n"
	    "  --riskfree R       rate (0.065); --divyield Q (0.012)\n"
	    "  --carry C          forwards S*exp((r-q+C)T), all "
	    "underlyings (0)\n"
	    "  --max-tokens N     per connection (3000)\n"
	    "  --max-conns N      per api_key (3)\n"
	    "  --account KEY:FILE another account: its API key and a file "
	    "holding\n                     its access token (repeatable)\n"
	    "  --orders-per-s N   order rate limit (10)\n"
	    "  --drop-after-ms N, --drop-after-msgs N, --stall, "
	    "--malformed P,\n"
	    "  --refuse-auth, --http-429 P, --http-5xx P, --delay-ms N,\n"
	    "  --ambiguous N,MS|never, --book-lag-ms N,\n"
	    "  --child-margin-fail N    faults from the start\n"
	    "  --freeze-qty NAME=N freeze quantity of NAME's F&O (an "
	    "underlying\n                     or a tradingsymbol); 0 none\n"
	    "  --bad-utf8 N       the first N ticker connections get a text "
	    "message\n                     that is not UTF-8\n"
	    "  --text-frame N     text messages in frames of N bytes\n"
	    "  --replay FILE      serve a capture instead of the model\n"
	    "  --replay-speed X|max, --replay-loop\n"
	    "  --latency-stamp    last_traded_quantity = send time "
	    "(benchmarks)\n"
	    "  -S INTERVAL        stats line every INTERVAL\n"
	    "  -q, -v             quieter, louder\n"
	    "  -h                 this help\n\n"
	    "Environment: KITE_API_KEY, KITE_ACCESS_TOKEN (or "
	    "KITE_ACCESS_TOKEN_FILE),\nKITE_API_SECRET; demo values when "
	    "unset.  See kite-sim(1).\n", f);
}

/* "2025-11-24T09:15[:SS]" in IST, or epoch seconds. */
static int64_t
parse_start(const char *v)
{
	long long n;
	int y, mo, d, h, mi, sec = 0, k;
	struct tm tm;
	char tail;

	if (kp_num_ll(v, 0, 4102444800LL, &n) == 0)
		return n * 1000000;
	k = sscanf(v, "%d-%d-%d%*[T ]%d:%d:%d%c", &y, &mo, &d, &h, &mi, &sec,
	    &tail);
	if (k != 5 && k != 6)
		kp_die(KP_EXIT_PERM, "--start: want epoch seconds or "
		    "YYYY-MM-DDTHH:MM[:SS], not '%s'", v);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return ((int64_t)timegm(&tm) - 19800) * 1000000;
}

static void
parse_smile(const char *v)
{
	double a[4] = { 0, 0, 0, 0 };
	char buf[128], *tok, *save = NULL;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ",", &save); tok != NULL && n < 4;
	    tok = strtok_r(NULL, ",", &save))
		a[n++] = kp_opt_double("--smile", tok, -100, 100);
	if (n < 3 || tok != NULL)
		kp_die(KP_EXIT_PERM, "--smile: want atm,skew,curv[,term]");
	if (a[0] <= 0)
		kp_die(KP_EXIT_PERM, "--smile: atm must be > 0");
	simx.atm = a[0];
	simx.skew = a[1];
	simx.curv = a[2];
	simx.term = a[3];
}

enum {
	O_PORT_FILE = 256, O_FLAT, O_SPEED, O_START, O_VOL, O_SMILE, O_RF,
	O_DY, O_CARRY, O_MAXTOK, O_MAXCONN, O_OPS, O_DROPMS, O_DROPMSGS,
	O_STALL, O_MALF, O_REFUSE, O_429, O_5XX, O_DELAY, O_AMB, O_REPLAY,
	O_RSPEED, O_RLOOP, O_STAMP, O_SPREAD, O_TFRAME, O_BADUTF8, O_LAG, O_CHILDFAIL, O_ACCOUNT,
	O_FREEZE
};

static const struct option lopts[] = {
	{ "listen", required_argument, NULL, 'a' },
	{ "port", required_argument, NULL, 'p' },
	{ "port-file", required_argument, NULL, O_PORT_FILE },
	{ "control", required_argument, NULL, 'c' },
	{ "seed", required_argument, NULL, 's' },
	{ "rate", required_argument, NULL, 'r' },
	{ "stats-interval", required_argument, NULL, 'S' },
	{ "flat-out", no_argument, NULL, O_FLAT },
	{ "speed", required_argument, NULL, O_SPEED },
	{ "start", required_argument, NULL, O_START },
	{ "vol", required_argument, NULL, O_VOL },
	{ "smile", required_argument, NULL, O_SMILE },
	{ "riskfree", required_argument, NULL, O_RF },
	{ "divyield", required_argument, NULL, O_DY },
	{ "div-yield", required_argument, NULL, O_DY },
	{ "carry", required_argument, NULL, O_CARRY },
	{ "max-tokens", required_argument, NULL, O_MAXTOK },
	{ "max-conns", required_argument, NULL, O_MAXCONN },
	{ "orders-per-s", required_argument, NULL, O_OPS },
	{ "drop-after-ms", required_argument, NULL, O_DROPMS },
	{ "drop-after-msgs", required_argument, NULL, O_DROPMSGS },
	{ "stall", no_argument, NULL, O_STALL },
	{ "malformed", required_argument, NULL, O_MALF },
	{ "refuse-auth", no_argument, NULL, O_REFUSE },
	{ "http-429", required_argument, NULL, O_429 },
	{ "http-5xx", required_argument, NULL, O_5XX },
	{ "delay-ms", required_argument, NULL, O_DELAY },
	{ "ambiguous", required_argument, NULL, O_AMB },
	{ "book-lag-ms", required_argument, NULL, O_LAG },
	{ "child-margin-fail", required_argument, NULL, O_CHILDFAIL },
	{ "freeze-qty", required_argument, NULL, O_FREEZE },
	{ "replay", required_argument, NULL, O_REPLAY },
	{ "replay-speed", required_argument, NULL, O_RSPEED },
	{ "replay-loop", no_argument, NULL, O_RLOOP },
	{ "latency-stamp", no_argument, NULL, O_STAMP },
	{ "spread", required_argument, NULL, O_SPREAD },
	{ "text-frame", required_argument, NULL, O_TFRAME },
	{ "bad-utf8", required_argument, NULL, O_BADUTF8 },
	{ "account", required_argument, NULL, O_ACCOUNT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
fault_opt(struct sim *s, int c, const char *v)
{
	struct sim_faults *f = &s->faults;
	const long long day = 86400000LL * 365;

	switch (c) {
	case O_DROPMS:
		f->drop_after_ms = kp_opt_ll("--drop-after-ms", v, 0, day);
		break;
	case O_DROPMSGS:
		f->drop_after_msgs = kp_opt_ll("--drop-after-msgs", v, 0, day);
		break;
	case O_STALL: f->stall = true; break;
	case O_MALF: f->malformed_p = kp_opt_double("--malformed", v, 0, 1);
		break;
	case O_REFUSE: f->refuse_auth = true; break;
	case O_429: f->http_429_p = kp_opt_double("--http-429", v, 0, 1);
		break;
	case O_5XX: f->http_5xx_p = kp_opt_double("--http-5xx", v, 0, 1);
		break;
	case O_DELAY: f->delay_ms = kp_opt_ll("--delay-ms", v, 0, day); break;
	case O_LAG: f->book_lag_ms = kp_opt_ll("--book-lag-ms", v, 0, day);
		break;
	case O_CHILDFAIL: f->child_fail_from = kp_opt_ll("--child-margin-fail",
		    v, 0, 1000);
		break;
	default: {
		const char *comma = strchr(v, ',');
		char n[32];

		if (comma == NULL || comma - v >= (long)sizeof(n))
			kp_die(KP_EXIT_PERM, "--ambiguous: want N,MS|never");
		memcpy(n, v, (size_t)(comma - v));
		n[comma - v] = '\0';
		f->ambiguous_n = kp_opt_ll("--ambiguous", n, -1, 1LL << 40);
		f->ambiguous_ms = strcmp(comma + 1, "never") == 0 ? -1 :
		    kp_opt_ll("--ambiguous", comma + 1, 0, day);
		break;
	}
	}
}

void
sim_parse_args(struct sim *s, struct main_opts *o, int argc, char **argv)
{
	struct sim_conf *cf = &s->conf;
	int c, level = KP_LOG_INFO;

	while ((c = getopt_long(argc, argv, "+a:p:d:c:s:r:S:qvh", lopts,
	    NULL)) != -1) {
		switch (c) {
		case 'a': o->addr = optarg; break;
		case 'p': o->port = kp_opt_ll("-p", optarg, 0, 65535); break;
		case O_PORT_FILE: o->port_file = optarg; break;
		case 'd': o->ready_fd = (int)kp_opt_ll("-d", optarg, 3, 1 << 20);
			break;
		case 'c': o->control = optarg; break;
		case 's':
			cf->seed = (uint64_t)kp_opt_ll("-s", optarg, 0,
			    INT64_MAX);
			break;
		case 'r': cf->tick_hz = kp_opt_double("-r", optarg, 0.001, 1e6);
			break;
		case 'S': o->stats_ms = kp_opt_duration_ms("-S", optarg, 0,
			    86400000);
			break;
		case O_FLAT: cf->flat_out = true; break;
		case O_SPEED: cf->speed = kp_opt_double("--speed", optarg,
			    0.001, 1e6);
			break;
		case O_START: simx.start_us = parse_start(optarg); break;
		case O_VOL: simx.vol = kp_opt_double("--vol", optarg, 0.001, 5);
			break;
		case O_SMILE: parse_smile(optarg); break;
		case O_RF: simx.r = kp_opt_double("--riskfree", optarg, -0.5,
			    1);
			break;
		case O_DY: simx.q = kp_opt_double("--divyield", optarg, -0.5,
			    1);
			break;
		case O_CARRY: simx.carry = kp_opt_double("--carry", optarg,
			    -0.5, 0.5);
			break;
		case O_MAXTOK: cf->max_tokens = (int)kp_opt_ll("--max-tokens",
			    optarg, 1, 1000000);
			break;
		case O_MAXCONN: cf->max_conns = (int)kp_opt_ll("--max-conns",
			    optarg, 1, 100000);
			break;
		case O_OPS: cf->orders_per_s = (int)kp_opt_ll("--orders-per-s",
			    optarg, 1, 1000000);
			break;
		case O_REPLAY: simx.replay_path = optarg; break;
		case O_RSPEED:
			simx.replay_speed = strcmp(optarg, "max") == 0 ? 0 :
			    kp_opt_double("--replay-speed", optarg, 0.001, 1e6);
			break;
		case O_RLOOP: simx.replay_loop = true; break;
		case O_STAMP: simx.latency_stamp = true; break;
		case O_SPREAD: simx.spread = (int)kp_opt_ll("--spread", optarg,
			    1, 1000);
			break;
		case O_TFRAME: simx.text_frame = (size_t)kp_opt_ll(
			    "--text-frame", optarg, 0, 1 << 20);
			break;
		case O_BADUTF8: simx.bad_utf8 = kp_opt_ll("--bad-utf8", optarg,
			    0, 1LL << 40);
			break;
		case O_FREEZE:
			if (o->n_freeze == 16 || strchr(optarg, '=') == NULL)
				kp_die(KP_EXIT_PERM, "--freeze-qty: want "
				    "NAME=N, at most 16 times");
			o->freeze[o->n_freeze++] = optarg;
			break;
		case O_ACCOUNT:
			if (o->n_account == 15)
				kp_die(KP_EXIT_PERM, "--account: at most 15");
			o->account[o->n_account++] = optarg;
			break;
		case 'q': case 'v': case 'h': case '?':
			kp_opt_common(c, &level, usage);
			break;
		default: fault_opt(s, c, optarg); break;
		}
	}
	kp_opt_end(argc, argv, 0, level, usage);
}

/* --freeze-qty NAME=N, once the universe exists. */
void
sim_freeze_opts(struct sim *s, const struct main_opts *o)
{
	int i;

	for (i = 0; i < o->n_freeze; i++) {
		const char *eq = strchr(o->freeze[i], '=');
		char name[48];
		long long n;

		if (eq - o->freeze[i] >= (long)sizeof(name))
			kp_die(KP_EXIT_PERM, "--freeze-qty: name too long");
		memcpy(name, o->freeze[i], (size_t)(eq - o->freeze[i]));
		name[eq - o->freeze[i]] = '\0';
		n = kp_opt_ll("--freeze-qty", eq + 1, 0, INT32_MAX);
		if (sim_set_freeze(s, name, (int32_t)n) == 0)
			kp_die(KP_EXIT_PERM, "--freeze-qty: no F&O instrument "
			    "named '%s'", name);
	}
}

/* Credentials from the environment, or the documented demo ones. */
void
sim_credentials(struct sim_conf *cf, char **owned)
{
	char err[KP_ERRLEN];
	bool demo = false;

	cf->api_key = kp_env("KITE_API_KEY");
	if (cf->api_key == NULL) {
		cf->api_key = DEMO_KEY;
		demo = true;
	}
	if (kp_env("KITE_ACCESS_TOKEN") == NULL &&
	    kp_env("KITE_ACCESS_TOKEN_FILE") == NULL) {
		cf->access_token = DEMO_TOKEN;
		demo = true;
	} else {
		owned[0] = kp_conf_secret("KITE_ACCESS_TOKEN",
		    "KITE_ACCESS_TOKEN_FILE", err);
		if (owned[0] == NULL)
			kp_die(KP_EXIT_PERM, "%s", err);
		cf->access_token = owned[0];
	}
	cf->api_secret = kp_env("KITE_API_SECRET");
	if (cf->api_secret == NULL) {
		cf->api_secret = DEMO_SECRET;
	} else {
		owned[1] = kp_xstrdup(cf->api_secret);
		kp_log_redact(owned[1]);
		cf->api_secret = owned[1];
	}
	/* demo values are public: say which ones are expected */
	if (demo)
		kp_info("demo credentials: api_key=%s access_token=%s "
		    "api_secret=%s", strcmp(cf->api_key, DEMO_KEY) == 0 ?
		    DEMO_KEY : "(from KITE_API_KEY)",
		    strcmp(cf->access_token, DEMO_TOKEN) == 0 ? DEMO_TOKEN :
		    "(from KITE_ACCESS_TOKEN)",
		    strcmp(cf->api_secret, DEMO_SECRET) == 0 ? DEMO_SECRET :
		    "(from KITE_API_SECRET)");
}

void
sim_defaults(struct sim *s, struct main_opts *o)
{
	memset(s, 0, sizeof(*s));
	memset(o, 0, sizeof(*o));
	s->conf.seed = 1;
	s->conf.speed = 1;
	s->conf.tick_hz = 1;
	s->conf.max_tokens = 3000;
	s->conf.max_conns = 3;
	s->conf.orders_per_s = 10;
	o->addr = "127.0.0.1";
	o->port = DEFAULT_PORT;
	o->ready_fd = -1;
}
