/*
 * chain-follow: keep kite-stream's option chain centred on the money.
 * Reads kite-stream's NDJSON on stdin and passes every line on; follows
 * the underlying's live price and, when the strike at the money moves
 * past the hysteresis or an expiry rolls off, subscribes the new strikes
 * and unsubscribes the far ones through kite-stream's control socket.
 * See chain-follow(1).  The parts are mapped in cf.h.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf.h"

#define PROG "chain-follow"
#define USAGE "usage: chain-follow [-qv] [-c SOCKET] -i FILE -u NAME " \
	"[-t TOKEN] [-x EXCHANGE]\n" \
	"                    [-n N] [-k K] [-H STEPS] [-m MODE] [-T TIME] " \
	"[-L SIZE] [-d FD]"

static void
usage(FILE *f)
{
	fprintf(f, "%s\n", USAGE);
	if (f != stdout)
		return;
	fputs("\n"
	    "Pass kite-stream's NDJSON from stdin to stdout unchanged, and "
	    "keep the\nsubscribed option chain of NAME centred on the "
	    "underlying's live price\nthrough kite-stream's control socket.\n\n"
	    "  -c SOCKET  kite-stream's control socket (default "
	    "$KITE_STREAM_CONTROL)\n"
	    "  -i FILE    the instruments: Kite's CSV dump or instr-sync "
	    "--csv\n"
	    "  -u NAME    the options' underlying name (NIFTY, BANKNIFTY, "
	    "RELIANCE, ...)\n"
	    "  -t TOKEN   the underlying's token (default: its row in FILE)\n"
	    "  -x EXCH    only options of exchange EXCH (NFO, BFO)\n"
	    "  -n N       strikes either side of the money (default 10)\n"
	    "  -k K       expiries, nearest first (default 1)\n"
	    "  -H STEPS   re-centre when the price is more than STEPS strike "
	    "steps\n"
	    "             from the centre (default 0.6, 0.5 to 10)\n"
	    "  -m MODE    subscribe the options in ltp, quote or full "
	    "(default:\n"
	    "             kite-stream's -m)\n"
	    "  -T TIME    give up on a control request after TIME "
	    "(default 5s)\n"
	    "  -L SIZE    longest input line (default 1M)\n"
	    "  -d FD      write a newline to FD when ready\n"
	    "  -q, -v     quieter, more verbose\n"
	    "  -h         this help\n\n"
	    "Status lines {\"type\":\"status\",\"program\":\"chain-follow\","
	    "\"event\":\"recentred\",...}\ngo to stdout with the data.  "
	    "SIGHUP reads FILE again, SIGUSR1 logs stats.\n"
	    "Exit: 0 done (EOF, SIGTERM), 100 usage or a bad list, "
	    "111 system.\nSee chain-follow(1).\n", f);
}

static void
parse_opts(struct cf_opts *o, int argc, char **argv)
{
	int c, level = KP_LOG_INFO;

	o->ctl = kp_env("KITE_STREAM_CONTROL");
	o->strikes = 10;
	o->expiries = 1;
	o->h = 0.6;
	o->timeout_ms = 5000;
	o->max_line = 1 << 20;
	o->ready_fd = -1;
	while ((c = getopt(argc, argv, "c:i:u:t:x:n:k:H:m:T:L:d:qvh")) != -1) {
		switch (c) {
		case 'c': o->ctl = optarg; break;
		case 'i': o->instr = optarg; break;
		case 'u': o->name = optarg; break;
		case 'x': o->exch = optarg; break;
		case 't':
			o->und_token = kp_opt_ll("-t", optarg, 1, UINT32_MAX);
			break;
		case 'n':
			o->strikes = kp_opt_ll("-n", optarg, 0, CF_STRIKES_MAX);
			break;
		case 'k':
			o->expiries = kp_opt_ll("-k", optarg, 1,
			    CF_EXPIRIES_MAX);
			break;
		case 'H': o->h = kp_opt_double("-H", optarg, 0.5, 10); break;
		case 'm':
			if (strcmp(optarg, "ltp") && strcmp(optarg, "quote") &&
			    strcmp(optarg, "full"))
				kp_die(KP_EXIT_PERM, "-m: ltp, quote or full, "
				    "not '%s'", optarg);
			o->mode = optarg;
			break;
		case 'T':
			o->timeout_ms = kp_opt_duration_ms("-T", optarg, 1,
			    600000);
			break;
		case 'L':
			o->max_line = kp_opt_size("-L", optarg, 64, 1 << 26);
			break;
		case 'd':
			o->ready_fd = (int)kp_opt_ll("-d", optarg, 3, 1 << 20);
			break;
		default: kp_opt_common(c, &level, usage);
		}
	}
	kp_opt_end(argc, argv, 0, level, usage);
	if (o->ctl == NULL || o->instr == NULL || o->name == NULL) {
		kp_log(KP_LOG_FATAL, "%s", o->ctl == NULL ? "no control socket "
		    "(-c or KITE_STREAM_CONTROL)" : o->instr == NULL ?
		    "no instrument list (-i)" : "no underlying name (-u)");
		fprintf(stderr, "%s\n", USAGE);
		exit(KP_EXIT_PERM);
	}
	if (o->ready_fd >= 0 && kp_ready_check_fd(o->ready_fd) < 0)
		kp_die(KP_EXIT_PERM, "-d %d: not open for writing", o->ready_fd);
}

/* Lines until stdin would block; return -1 at EOF or a read error. */
static int
drain_stdin(struct cf *f, struct kp_line *lr, int *rerr)
{
	char *line;
	size_t len;

	for (;;) {
		int st = kp_line_next(lr, &line, &len);

		if (st == KP_LINE_OK) {
			cf_line(f, line, len);
		} else if (st == KP_LINE_TOOLONG) {
			f->st.bad++;
			kp_warn("line %llu: longer than %lld bytes, skipped",
			    (unsigned long long)lr->lineno, f->o->max_line);
		} else if (st == KP_LINE_AGAIN) {
			return 0;
		} else if (st == KP_LINE_ERR && errno == EINTR) {
			return 0;
		} else {
			if (st == KP_LINE_ERR)
				*rerr = errno;
			return -1;
		}
	}
}

static int
run(struct cf *f, int sigfd)
{
	struct kp_line lr;
	int64_t next_tick = 0;
	int rerr = 0;

	if (kp_line_init(&lr, 0, (size_t)f->o->max_line) < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	for (;;) {
		struct pollfd p[2] = { { 0, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
		int64_t now = kp_mono_ms();

		if (now >= next_tick) {
			cf_timer(f);
			next_tick = now + 1000;
		}
		if (kp_out_flush(&f->out) < 0)
			break;
		if (poll(p, 2, (int)(next_tick - now)) < 0 && errno != EINTR)
			kp_die(KP_EXIT_TEMP, "poll:");
		if (p[1].revents)
			kp_sig_drain();
		if (kp_sig_stopping())
			break;
		if (kp_sig_take(SIGHUP))
			cf_reload(f);
		if (kp_sig_take(SIGUSR1))
			cf_stats_log(f);
		if (p[0].revents && drain_stdin(f, &lr, &rerr) < 0)
			break;
	}
	kp_line_free(&lr);
	if (rerr != 0)
		kp_die(KP_EXIT_TEMP, "stdin: %s", strerror(rerr));
	return 0;
}

int
main(int argc, char **argv)
{
	struct cf_opts o;
	struct cf f;
	char err[KP_ERRLEN];
	int sigfd, werr;

	memset(&o, 0, sizeof(o));
	memset(&f, 0, sizeof(f));
	kp_log_init(PROG);
	kp_fds_ensure();
	parse_opts(&o, argc, argv);
	if (cf_chain_load(&f.chain, o.instr, o.name, o.exch, err) < 0)
		kp_die(KP_EXIT_PERM, "instruments: %s", err);
	if (f.chain.n == 0)
		kp_die(KP_EXIT_PERM, "instruments: no options of %s in %s",
		    o.name, o.instr);
	cf_init(&f, &o);
	if (f.und == 0)
		kp_die(KP_EXIT_PERM, "instruments: no row of the underlying "
		    "%s in %s; give -t", o.name, o.instr);
	kp_info("loaded options=%zu underlying=%u bad_rows=%llu", f.chain.n,
	    f.und, (unsigned long long)f.chain.bad);
	if ((sigfd = kp_sig_init()) < 0)
		kp_die(KP_EXIT_TEMP, "signals:");
	if (fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) < 0)
		kp_die(KP_EXIT_TEMP, "stdin:");
	if (kp_ready_notify(o.ready_fd) < 0)
		kp_warn("unable to signal readiness:");
	run(&f, sigfd);
	kp_out_flush(&f.out);
	werr = kp_out_error(&f.out);
	cf_stats_log(&f);
	cf_free(&f);
	if (werr != 0 && werr != EPIPE) {
		kp_log(KP_LOG_FATAL, "stdout: %s", strerror(werr));
		return KP_EXIT_TEMP;
	}
	return KP_EXIT_OK;
}
