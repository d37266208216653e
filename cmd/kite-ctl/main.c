/*
 * kite-ctl: kite-stream's control socket from a shell or cron.  Turns
 * one command (subscribe, unsubscribe, mode, list, stats) into Kite's
 * own JSON messages, sends them to the socket of kite-stream -c, and
 * prints each answer; the exit status says whether kite-stream took
 * them.  See kite-ctl(1).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"
#include "kp_tkreq.h"

#define USAGE "usage: kite-ctl [-pq] [-c SOCKET] [-t TIME] " \
	"subscribe TOKEN[:MODE]...\n" \
	"       kite-ctl [-pq] [-c SOCKET] [-t TIME] unsubscribe TOKEN...\n" \
	"       kite-ctl [-pq] [-c SOCKET] [-t TIME] mode MODE TOKEN...\n" \
	"       kite-ctl [-pq] [-c SOCKET] [-t TIME] list | stats"

struct kc_opts {
	const char *path;
	long long timeout_ms;
	bool plain;
};

/* Indexed by enum kp_tkreq_mode - 1. */
static const char *const modes[] = { "ltp", "quote", "full" };
static const char *const mode_what[] = { "mode ltp", "mode quote",
    "mode full" };

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Send a command to kite-stream's control socket (kite-stream -c) "
	    "and print\nits answer, one JSON line a request.\n\n"
	    "  subscribe TOKEN[:MODE]...  subscribe; MODE ltp, quote or full "
	    "(default:\n"
	    "                             kite-stream's -m; a subscribed "
	    "token keeps its mode)\n"
	    "  unsubscribe TOKEN...       unsubscribe\n"
	    "  mode MODE TOKEN...         change the mode (ltp, quote, full)\n"
	    "  list                       the subscribed instruments\n"
	    "  stats                      kite-stream's counters\n\n"
	    "  -c SOCKET  kite-stream's control socket (default "
	    "$KITE_STREAM_CONTROL)\n"
	    "  -t TIME    give up after TIME (default 5s)\n"
	    "  -p         plain answers: key=value ... (\"ok\" left out; "
	    "refusals on stderr only)\n"
	    "  -q         no refusal lines on stderr\n"
	    "  -h         this help\n\n"
	    "Exit: 0 done, 1 kite-stream refused a request, 100 usage, "
	    "111 the socket\nunreachable, a timeout or no answer.  "
	    "See kite-ctl(1), kite-stream(1).\n", f);
}

KP_NORETURN KP_PRINTF(1, 2) static void
bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kp_vlog(KP_LOG_FATAL, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", USAGE);
	exit(KP_EXIT_PERM);
}

/* "TOKEN" or "TOKEN:MODE" (when modes_ok); *mode is 0 when none given,
 * else 1 + an index into modes[]. */
static uint32_t
token_arg(const char *s, bool modes_ok, int *mode)
{
	char buf[32];
	const char *colon = strchr(s, ':');
	size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);
	long long v;

	*mode = 0;
	if (colon != NULL) {
		if (!modes_ok)
			bad_usage("%s: a mode here is not allowed", s);
		*mode = kp_tkreq_mode(colon + 1);
		if (*mode == 0)
			bad_usage("%s: the mode is ltp, quote or full", s);
	}
	if (n >= sizeof(buf))
		bad_usage("%s: not an instrument token", s);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (kp_num_ll(buf, 1, UINT32_MAX, &v) < 0)
		bad_usage("%s: not an instrument token", s);
	return (uint32_t)v;
}

static struct kc_req *
req_new(struct kc_req *rq, size_t *n, const char *what, const char *head)
{
	struct kc_req *r = &rq[(*n)++];

	kp_buf_init(&r->line, KC_LINE_MAX);
	r->what = what;
	kp_buf_addstr(&r->line, head);
	return r;
}

static void
req_token(struct kc_req *r, uint32_t t, bool first)
{
	if (!first)
		kp_buf_addc(&r->line, ',');
	kp_json_u64(&r->line, t);
}

/* subscribe, unsubscribe: one request; subscribe adds a mode request
 * for each mode named after a token. */
static size_t
build_subs(struct kc_req *rq, const char *verb, int argc, char **argv)
{
	bool sub = strcmp(verb, "subscribe") == 0;
	struct kc_req *r, *byk[3] = { NULL, NULL, NULL };
	size_t n = 0;
	int i, m;
	uint32_t t;

	r = req_new(rq, &n, verb, sub ? "{\"a\":\"subscribe\",\"v\":[" :
	    "{\"a\":\"unsubscribe\",\"v\":[");
	for (i = 0; i < argc; i++) {
		t = token_arg(argv[i], sub, &m);
		req_token(r, t, i == 0);
		if (m == 0)
			continue;
		if (byk[m - 1] == NULL) {
			byk[m - 1] = req_new(rq, &n, mode_what[m - 1],
			    "{\"a\":\"mode\",\"v\":[");
			kp_json_cstr(&byk[m - 1]->line, modes[m - 1]);
			kp_buf_addstr(&byk[m - 1]->line, ",[");
			req_token(byk[m - 1], t, true);
		} else {
			req_token(byk[m - 1], t, false);
		}
	}
	kp_buf_addstr(&r->line, "]}\n");
	for (m = 0; m < 3; m++)
		if (byk[m] != NULL)
			kp_buf_addstr(&byk[m]->line, "]]}\n");
	return n;
}

static size_t
build_mode(struct kc_req *rq, int argc, char **argv)
{
	struct kc_req *r;
	size_t n = 0;
	int i, m = kp_tkreq_mode(argv[0]), dummy;

	if (m == 0)
		bad_usage("mode %s: the mode is ltp, quote or full", argv[0]);
	r = req_new(rq, &n, mode_what[m - 1], "{\"a\":\"mode\",\"v\":[");
	kp_json_cstr(&r->line, modes[m - 1]);
	kp_buf_addstr(&r->line, ",[");
	for (i = 1; i < argc; i++)
		req_token(r, token_arg(argv[i], false, &dummy), i == 1);
	kp_buf_addstr(&r->line, "]]}\n");
	return n;
}

/* The requests for argv (the verb first); exits 100 on a usage error. */
static size_t
build(struct kc_req *rq, int argc, char **argv)
{
	const char *verb = argv[0];
	size_t n = 0;

	if (strcmp(verb, "list") == 0 || strcmp(verb, "stats") == 0) {
		if (argc != 1)
			bad_usage("%s takes no arguments", verb);
		req_new(rq, &n, verb, "{\"a\":");
		kp_json_cstr(&rq[0].line, verb);
		kp_buf_addstr(&rq[0].line, ",\"v\":[]}\n");
		return n;
	}
	if (strcmp(verb, "subscribe") != 0 &&
	    strcmp(verb, "unsubscribe") != 0 && strcmp(verb, "mode") != 0)
		bad_usage("%s: unknown command", verb);
	if (argc < (strcmp(verb, "mode") == 0 ? 3 : 2))
		bad_usage("%s: no instrument token", verb);
	if (argc - 1 > KC_TOKENS_MAX)
		bad_usage("%s: too many tokens", verb);
	if (strcmp(verb, "mode") == 0)
		return build_mode(rq, argc - 1, argv + 1);
	return build_subs(rq, verb, argc - 1, argv + 1);
}

static int
parse_args(struct kc_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "plain", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, level = KP_LOG_INFO;

	while ((c = getopt_long(argc, argv, "+c:t:pqh", lopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'c': o->path = optarg; break;
		case 't':
			o->timeout_ms = kp_opt_duration_ms("-t", optarg, 1,
			    3600000);
			break;
		case 'p': o->plain = true; break;
		case 'q': level = KP_LOG_FATAL; break;
		case 'h': usage(stdout); exit(KP_EXIT_OK);
		default: usage(stderr); exit(KP_EXIT_PERM);
		}
	}
	kp_log_set_level(level);
	return optind;
}

int
main(int argc, char **argv)
{
	struct kc_opts o = { .path = NULL, .timeout_ms = 5000 };
	struct kc_req rq[KC_REQ_MAX];
	size_t n, i;
	int rc;

	kp_log_init("kite-ctl");
	kp_fds_ensure();
	o.path = kp_env("KITE_STREAM_CONTROL");
	argc -= parse_args(&o, argc, argv);
	argv += optind;
	if (argc < 1)
		bad_usage("no command");
	n = build(rq, argc, argv);
	if (o.path == NULL)
		bad_usage("no socket: give -c SOCKET or set "
		    "KITE_STREAM_CONTROL");
	for (i = 0; i < n; i++)
		if (rq[i].line.len == 0 || rq[i].line.p[rq[i].line.len - 1] !=
		    '\n')
			kp_die(KP_EXIT_PERM, "%s: request longer than %u bytes",
			    rq[i].what, KC_LINE_MAX);
	signal(SIGPIPE, SIG_IGN);
	rc = kc_run(o.path, rq, n, kp_mono_ms() + o.timeout_ms, o.plain);
	for (i = 0; i < n; i++)
		kp_buf_free(&rq[i].line);
	if (fclose(stdout) != 0 && errno != EPIPE) {
		kp_log(KP_LOG_FATAL, "unable to write to stdout:");
		return KP_EXIT_TEMP;
	}
	return rc;
}
