/*
 * book-sync: the account's book from Kite's REST API (orders, trades,
 * positions net and day, holdings, margins) as NDJSON, or synced into
 * PostgreSQL in one transaction per run (--sync); --follow keeps the
 * orders table current from kite-stream's order lines on stdin.
 * See book-sync(1).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs.h"

struct opts {
	bool sync, follow;
	const char *db;
	long long timeout_ms, retries;
};

static void
usage(FILE *f)
{
	fputs("usage: book-sync [-qv] [--sync [--db CONNINFO]] [--timeout D]"
	    " [--retries N]\n"
	    "       book-sync [-qv] --sync --follow [--db CONNINFO]"
	    " < kite-stream-lines\n"
	    "Fetch orders, trades, positions (net, day), holdings and margins"
	    " from Kite.\n"
	    "  (default)          one NDJSON line per record on stdout:\n"
	    "                     {\"type\":\"order\"|\"trade\"|\"position\"|"
	    "\"holding\"|\"margins\",...,\"data\":{...}}\n"
	    "  --sync             upsert into PostgreSQL, one transaction"
	    " per run\n"
	    "  --db CONNINFO      libpq conninfo or URL (default DATABASE_URL,"
	    " PG*)\n"
	    "  --follow           with --sync: apply kite-stream's order"
	    " lines from stdin\n"
	    "                     to book_orders, until EOF or SIGTERM"
	    " (no fetch)\n"
	    "  --timeout D        per request (default 7s)\n"
	    "  --retries N        on network errors, 429, 5xx (default 3)\n"
	    "  -q, -v             quieter, more verbose; -h this help\n"
	    "Environment: KITE_API_URL, KITE_API_KEY, KITE_ACCESS_TOKEN or\n"
	    "KITE_ACCESS_TOKEN_FILE, DATABASE_URL, PG*.\n"
	    "Exit: 0 ok, 1 some records rejected, 100 usage, configuration"
	    " or\ncredentials refused, 111 network, HTTP or database error."
	    "\nSee book-sync(1).\n", f);
}

enum { O_SYNC = 256, O_DB, O_FOLLOW, O_TIMEOUT, O_RETRIES };

static void
parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "sync", no_argument, NULL, O_SYNC },
		{ "db", required_argument, NULL, O_DB },
		{ "follow", no_argument, NULL, O_FOLLOW },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, level = KP_LOG_INFO;

	while ((c = getopt_long(argc, argv, "+qvh", lopts, NULL)) != -1) {
		switch (c) {
		case O_SYNC: o->sync = true; break;
		case O_DB: o->db = optarg; break;
		case O_FOLLOW: o->follow = true; break;
		case O_TIMEOUT:
			o->timeout_ms = kp_opt_duration_ms("--timeout", optarg,
			    100, 600000);
			break;
		case O_RETRIES:
			o->retries = kp_opt_ll("--retries", optarg, 0, 100);
			break;
		case 'q': level = KP_LOG_WARN; break;
		case 'v': level = KP_LOG_DEBUG; break;
		case 'h': usage(stdout); exit(KP_EXIT_OK);
		default: usage(stderr); exit(KP_EXIT_PERM);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(KP_EXIT_PERM);
	}
	if (o->follow && !o->sync)
		kp_die(KP_EXIT_PERM, "--follow needs --sync");
	if (o->db && !o->sync)
		kp_die(KP_EXIT_PERM, "--db needs --sync");
	kp_log_set_level(level);
}

/* "api_key:access_token", registered for redaction; exits 100. */
static char *
load_auth(void)
{
	char err[KP_ERRLEN], *key, *tok, *auth;
	size_t n;

	if ((key = kp_conf_secret("KITE_API_KEY", "KITE_API_KEY_FILE",
	    err)) == NULL)
		kp_die(KP_EXIT_PERM, "%s", err);
	if ((tok = kp_conf_secret("KITE_ACCESS_TOKEN",
	    "KITE_ACCESS_TOKEN_FILE", err)) == NULL)
		kp_die(KP_EXIT_PERM, "%s", err);
	n = strlen(key) + strlen(tok) + 2;
	auth = kp_xmalloc(n);
	snprintf(auth, n, "%s:%s", key, tok);
	kp_log_redact(auth);
	free(key);
	free(tok);
	return auth;
}

static const struct {
	enum bs_kind kind;
	const char *path;
} gets[] = {
	{ BS_ORDER, "/orders" },
	{ BS_TRADE, "/trades" },
	{ BS_POS_NET, "/portfolio/positions" },
	{ BS_HOLDING, "/portfolio/holdings" },
	{ BS_MARGIN, "/user/margins" },
};

/* Fetch every endpoint into s; 0 or an exit code. */
static int
fetch_all(const struct opts *o, struct bs_set *s)
{
	const char *url = kp_env("KITE_API_URL");
	char *auth = load_auth(), err[KP_ERRLEN];
	struct bs_fetch *f;
	struct kp_buf body;
	size_t i;
	int rc = 0;

	f = bs_fetch_new(url ? url : "https://api.kite.trade", auth,
	    (long)o->timeout_ms, (int)o->retries);
	memset(auth, 0, strlen(auth));
	free(auth);
	kp_buf_init(&body, BS_BODY_MAX);
	for (i = 0; i < sizeof(gets) / sizeof(gets[0]) && rc == 0; i++) {
		if ((rc = bs_fetch_get(f, gets[i].path, &body)) != 0)
			break;
		if (bs_set_body(s, gets[i].kind, body.p ? body.p : "",
		    body.len, err) < 0) {
			kp_log(KP_LOG_FATAL, "%s: %s", gets[i].path, err);
			rc = KP_EXIT_TEMP;
		}
	}
	kp_buf_free(&body);
	bs_fetch_free(f);
	bs_set_finish(s);
	return rc;
}

static int
write_all(const struct kp_buf *b)
{
	size_t off = 0;
	ssize_t w;

	while (off < b->len) {
		w = write(1, b->p + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static int
run_once(const struct opts *o)
{
	struct bs_set s;
	struct bs_counts n;
	long long t0 = kp_time_us();
	int rc;

	bs_set_init(&s);
	rc = fetch_all(o, &s);
	if (rc == 0 && !o->sync) {
		if (write_all(&s.lines) < 0) {
			kp_log(KP_LOG_FATAL, "writing stdout: %s",
			    strerror(errno));
			rc = KP_EXIT_TEMP;
		}
	} else if (rc == 0) {
		rc = bs_db_sync(o->db, &s, t0, &n);
		if (rc == 0)
			kp_info("synced orders=%zu trades=%zu positions=%zu "
			    "holdings=%zu margins=%zu rejected=%zu "
			    "inserted=%lld updated=%lld deleted=%lld",
			    s.n[BS_ORDER], s.n[BS_TRADE],
			    s.n[BS_POS_NET] + s.n[BS_POS_DAY],
			    s.n[BS_HOLDING], s.n[BS_MARGIN], s.rejected,
			    n.inserted, n.updated, n.deleted);
	}
	if (rc == 0 && s.rejected > 0)
		rc = KP_EXIT_REJECTED;
	bs_set_free(&s);
	return rc;
}

static int
follow(const struct opts *o)
{
	struct kp_line lr;
	struct kp_buf rec;
	struct bs_db *d;
	struct bs_counts n;
	char *line, err[KP_ERRLEN], id[129];
	size_t len;
	long long t0 = kp_time_us(), orders = 0, bad = 0;
	int st, rc = 0, code = 0;

	if ((d = bs_db_open(o->db, &code)) == NULL)
		return code;
	if (kp_line_init(&lr, 0, BS_LINE_MAX) < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	kp_buf_init(&rec, BS_LINE_MAX * 2);
	while (!kp_sig_stopping()) {
		st = kp_line_next(&lr, &line, &len);
		if (st == KP_LINE_EOF)
			break;
		if (st == KP_LINE_ERR) {
			if (errno == EINTR)
				continue;
			kp_log(KP_LOG_FATAL, "reading stdin: %s",
			    strerror(errno));
			rc = KP_EXIT_TEMP;
			break;
		}
		if (st == KP_LINE_TOOLONG) {
			kp_warn("line %llu: longer than %u bytes; skipped",
			    (unsigned long long)lr.lineno, BS_LINE_MAX);
			bad++;
			continue;
		}
		kp_buf_reset(&rec);
		st = bs_stream_line(line, len, &rec, id, err);
		if (st < 0) {
			kp_warn("line %llu: %s", (unsigned long long)lr.lineno,
			    err);
			bad++;
			continue;
		}
		if (st == 0)
			continue;
		kp_buf_addc(&rec, '\0');
		orders++;
		if ((st = bs_db_order(d, id, &rec)) < 0) {
			rc = KP_EXIT_TEMP;
			break;
		}
		kp_debug("line %llu: order %s %s",
		    (unsigned long long)lr.lineno, id,
		    st ? "applied" : "unchanged");
	}
	if (bs_db_follow_done(d, t0, orders, bad, &n) < 0 && rc == 0)
		rc = KP_EXIT_TEMP;
	kp_info("followed orders=%lld bad=%lld inserted=%lld updated=%lld",
	    orders, bad, n.inserted, n.updated);
	kp_line_free(&lr);
	kp_buf_free(&rec);
	bs_db_close(d);
	return rc == 0 && bad > 0 ? KP_EXIT_REJECTED : rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { .timeout_ms = 7000, .retries = 3 };

	kp_log_init(BS_PROG);
	kp_fds_ensure();
	signal(SIGPIPE, SIG_IGN);
	parse_args(&o, argc, argv);
	if (o.follow) {
		if (kp_sig_init() < 0)
			kp_die(KP_EXIT_TEMP, "unable to set signal handlers");
		return follow(&o);
	}
	return run_once(&o);
}
