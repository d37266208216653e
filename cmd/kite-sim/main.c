/*
 * kite-sim: a Kite Connect simulator.  One libwebsockets context on one
 * port serves Kite's ticker WebSocket and REST API over a simulated
 * Indian F&O market; faults can be injected for tests.  See kite-sim(1).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "simx.h"

#define DEMO_KEY "kitesim"
#define DEMO_TOKEN "kitesim-access-token"
#define DEMO_SECRET "kitesim-secret"
#define DEFAULT_PORT 8765

#define USAGE "usage: kite-sim [-qv] [-a ADDR] [-p PORT] [-d FD] " \
	"[-c SOCKET] [-s SEED] [-r RATE] [--replay CAPTURE] [OPTION...]"

struct simx_opts simx = {
	.vol = 0.15,
	.atm = 0.13,
	.skew = -0.4,
	.curv = 2.0,
	.term = 0,
	.r = 0.065,
	.q = 0.012,
	.step_us = 250000,
	.replay_speed = 1,
};

struct main_opts {
	const char *addr;
	long long port;
	const char *port_file;
	const char *control;
	int ready_fd;
	long long stats_ms;
	const char *freeze[16];		/* --freeze-qty NAME=N, in order */
	int n_freeze;
	const char *account[16];	/* --account KEY:TOKEN_FILE */
	int n_account;
};

static volatile int stopping;	/* set by the signal pipe's callback */

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

static void
parse_args(struct sim *s, struct main_opts *o, int argc, char **argv)
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
static void
freeze_opts(struct sim *s, const struct main_opts *o)
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
static void
credentials(struct sim_conf *cf, char **owned)
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

static struct sim *
sim_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

static int
kite_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	return sim_http_cb(sim_of(wsi), wsi, reason, user, in, len);
}

static void
stats_line(struct sim *s)
{
	struct sim_tk_stats st;
	struct kp_buf b;

	sim_ticker_stats(s, &st);
	kp_buf_init(&b, 4096);
	sim_control(s, "status", &b);
	kp_buf_addc(&b, '\0');
	if (b.p != NULL)
		kp_info("stats %s", b.p + 3);
	kp_buf_free(&b);
}

static int
sig_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	(void)user;
	(void)in;
	(void)len;
	if (reason != LWS_CALLBACK_RAW_RX_FILE)
		return 0;
	kp_sig_drain();
	if (kp_sig_take(SIGUSR1) || kp_sig_take(SIGALRM))
		stats_line(sim_of(wsi));
	if (kp_sig_take(SIGHUP))
		kp_info("SIGHUP: nothing to reload");
	if (kp_sig_stopping()) {
		stopping = 1;
		lws_cancel_service(lws_get_context(wsi));
	}
	return 0;
}

static int
ctl_listen_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	(void)in;
	(void)len;
	return sim_ctl_cb(sim_of(wsi), wsi, reason, user, true);
}

static int
ctl_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	(void)in;
	(void)len;
	return sim_ctl_cb(sim_of(wsi), wsi, reason, user, false);
}

static struct lws_protocols protocols[] = {
	{ "kite", kite_cb, 0, 0, 0, NULL, 1 << 20 },
	{ "sim-sig", sig_cb, 0, 0, 0, NULL, 0 },
	{ "sim-ctl-listen", ctl_listen_cb, sizeof(void *), 0, 0, NULL, 0 },
	{ "sim-ctl", ctl_cb, sizeof(void *), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
adopt(struct lws_vhost *vh, int fd, const char *proto)
{
	lws_sock_file_fd_type u;

	u.filefd = fd;
	if (lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, u, proto,
	    NULL) == NULL)
		kp_die(KP_EXIT_TEMP, "unable to adopt a descriptor into lws");
}

static int
control_socket(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		kp_die(KP_EXIT_PERM, "-c %s: path too long", path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		kp_die(KP_EXIT_TEMP, "unable to create the control socket:");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 16) < 0)
		kp_die(KP_EXIT_TEMP, "unable to listen on %s:", path);
	return fd;
}

static void
write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0)
		kp_die(KP_EXIT_TEMP, "unable to write %s:", path);
}

static void
lws_logger(int level, const char *line)
{
	size_t n = strlen(line);

	(void)level;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	kp_debug("lws: %.*s", (int)n, line);
}

static struct lws_context *
start_lws(struct sim *s, struct main_opts *o, int *port)
{
	struct lws_context_creation_info info;
	struct lws_context *cx;
	struct lws_vhost *vh;
	int sigfd;

	lws_set_log_level(kp_log_get_level() >= KP_LOG_DEBUG ?
	    LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR, lws_logger);
	protocols[0].per_session_data_size = sim_http_sess_size();
	memset(&info, 0, sizeof(info));
	info.port = (int)o->port;
	info.iface = o->addr;
	info.protocols = protocols;
	info.user = s;
	info.gid = -1;
	info.uid = -1;
	/* an IPv6 address (with a ':') listens on IPv6 */
	info.options = strchr(o->addr, ':') != NULL ? 0 :
	    LWS_SERVER_OPTION_DISABLE_IPV6;
	info.timeout_secs = 30;
	info.pt_serv_buf_size = 64 * 1024;
	info.max_http_header_data = 16 * 1024;	/* long queries */
	cx = lws_create_context(&info);
	if (cx == NULL) {
		kp_log(KP_LOG_FATAL, "unable to listen on %s port %lld",
		    o->addr, o->port);
		/* _exit: lws leaks on this path, and nothing needs flushing
		 * (stdout is still unwritten); exit() would run LSan on it */
		_exit(KP_EXIT_TEMP);
	}
	s->lws_context = cx;
	vh = lws_get_vhost_by_name(cx, "default");
	if (vh == NULL)
		kp_die(KP_EXIT_TEMP, "lws has no default vhost");
	*port = lws_get_vhost_listen_port(vh);
	/* after lws_create_context, which installs handlers of its own */
	sigfd = kp_sig_init();
	if (sigfd < 0)
		kp_die(KP_EXIT_TEMP, "unable to set up signals:");
	adopt(vh, sigfd, "sim-sig");
	if (o->control != NULL)
		adopt(vh, control_socket(o->control), "sim-ctl-listen");
	return cx;
}

/* The model moves (and limit orders fill) even with no ticker client. */
struct market_timer {
	struct sim *s;
	lws_sorted_usec_list_t sul;
};

static void
market_cb(lws_sorted_usec_list_t *sul)
{
	struct market_timer *mt = lws_container_of(sul, struct market_timer,
	    sul);

	sim_market_step(mt->s);
	sim_rest_on_market(mt->s);
	lws_sul_schedule(mt->s->lws_context, 0, &mt->sul, market_cb,
	    LWS_US_PER_SEC);
}

static void
defaults(struct sim *s, struct main_opts *o)
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

int
main(int argc, char **argv)
{
	static struct sim s;
	static struct market_timer mt;
	struct main_opts o;
	char *owned[2] = { NULL, NULL };
	struct lws_context *cx;
	int port;

	kp_log_init(SIM_PROG);
	kp_fds_ensure();
	defaults(&s, &o);
	kp_env_duration_ms("KITEPIPE_STATS_INTERVAL", 0, 86400000, &o.stats_ms);
	parse_args(&s, &o, argc, argv);
	if (o.ready_fd >= 0 && kp_ready_check_fd(o.ready_fd) < 0)
		kp_die(KP_EXIT_PERM, "-d %d: not an open descriptor:",
		    o.ready_fd);
	credentials(&s.conf, owned);
	sim_accounts_init(&s);
	for (int i = 0; i < o.n_account; i++)
		sim_account_add(&s, o.account[i]);
	kp_rng_seed(&s.rng, s.conf.seed ^ 0x5eed);
	if (sim_market_init(&s) < 0 || sim_ticker_init(&s) < 0)
		return KP_EXIT_PERM;
	freeze_opts(&s, &o);
	if (sim_rest_init(&s) < 0)
		return KP_EXIT_PERM;
	cx = start_lws(&s, &o, &port);
	if (o.stats_ms > 0) {
		struct itimerval it;

		it.it_interval.tv_sec = o.stats_ms / 1000;
		it.it_interval.tv_usec = (o.stats_ms % 1000) * 1000;
		it.it_value = it.it_interval;
		setitimer(ITIMER_REAL, &it, NULL);
	}
	mt.s = &s;
	lws_sul_schedule(cx, 0, &mt.sul, market_cb, LWS_US_PER_SEC);
	if (o.port_file != NULL)
		write_port_file(o.port_file, port);
	{
		const char *lb = strchr(o.addr, ':') ? "[" : "";
		const char *rb = *lb ? "]" : "";

		printf("KITE_WS_URL=ws://%s%s%s:%d KITE_API_URL=http://%s%s%s:"
		    "%d\n", lb, o.addr, rb, port, lb, o.addr, rb, port);
	}
	fflush(stdout);
	kp_info("listening addr=%s port=%d", o.addr, port);
	if (kp_ready_notify(o.ready_fd) < 0)
		kp_warn("unable to notify readiness:");
	/* the flag too: a signal pipe lws stopped reporting must not leave
	 * us serving (spinning) after SIGTERM */
	while (!stopping && !kp_sig_stopping())
		if (lws_service(cx, 0) < 0)
			break;
	kp_ready_sd("STOPPING=1");
	kp_info("stopping");
	lws_sul_cancel(&mt.sul);
	lws_context_destroy(cx);
	sim_ticker_free(&s);
	sim_rest_free(&s);
	sim_market_free(&s);
	sim_accounts_free(&s);
	if (o.control != NULL)
		unlink(o.control);
	free(owned[0]);
	free(owned[1]);
	return KP_EXIT_OK;
}
