/*
 * order-exec: order intents (NDJSON, stdin or a Unix socket) to Kite's
 * order endpoints, never placing an order twice; see order-exec(1).
 *
 * One thread, one request in flight.  Every intent is journaled before
 * anything is sent and every attempt is journaled (and fsync'd) before
 * its request leaves; an attempt whose outcome is unknown is settled by
 * the order book (GET /orders, by our tag) before anything else is sent.
 *
 * main.c: startup, the event loop, shutdown.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp_intent.h"
#include "oe.h"

/* The stats line, from the counters in oe->st. */
static void
log_stats(const struct oe_ctx *oe)
{
	const struct oe_stats *s = &oe->st;
	const struct kp_stat st[] = {
		{ "intents", "intent lines read", KP_STAT_COUNTER,
		    &s->intents, NULL },
		{ "invalid", "intents answered invalid", KP_STAT_COUNTER,
		    &s->invalid, NULL },
		{ "busy", "intents refused (queue full, breaker open)",
		    KP_STAT_COUNTER, &s->busy, NULL },
		{ "duplicates", "ids seen before", KP_STAT_COUNTER,
		    &s->duplicates, NULL },
		{ "placed", "orders placed", KP_STAT_COUNTER, &s->placed,
		    NULL },
		{ "modified", "orders modified", KP_STAT_COUNTER,
		    &s->modified, NULL },
		{ "cancelled", "orders cancelled", KP_STAT_COUNTER,
		    &s->cancelled, NULL },
		{ "rejected", "intents Kite refused", KP_STAT_COUNTER,
		    &s->rejected, NULL },
		{ "dead", "intents out of retries", KP_STAT_COUNTER, &s->dead,
		    NULL },
		{ "requests", "order requests sent", KP_STAT_COUNTER,
		    &s->sent, NULL },
		{ "retries", "transient failures retried", KP_STAT_COUNTER,
		    &s->retries, NULL },
		{ "reconciled", "unknown outcomes settled by the order book",
		    KP_STAT_COUNTER, &s->reconciled, NULL },
		{ "unknown", "requests with an unknown outcome",
		    KP_STAT_COUNTER, &s->unknown, NULL },
		{ "http_429", "429 answers", KP_STAT_COUNTER, &s->http429,
		    NULL },
		{ "breaker_opened", "times the breaker opened",
		    KP_STAT_COUNTER, &s->breaker_opened, NULL },
		{ "status", "status reads answered", KP_STAT_COUNTER,
		    &s->status, NULL },
	};

	kp_stats_log(OE_PROG, st, sizeof(st) / sizeof(st[0]));
	if (oe->opt.prom_path != NULL && kp_stats_prom(oe->opt.prom_path,
	    OE_PROG, st, sizeof(st) / sizeof(st[0])) < 0)
		kp_warn("unable to write %s:", oe->opt.prom_path);
}

/* Open and replay the journal; queue what is unfinished. */
static void
open_journal(struct oe_ctx *oe)
{
	char err[KP_ERRLEN];
	uint64_t cut;
	size_t n, pending_replay = 0, unknown_replay = 0;
	int rc;

	rc = oe_journal_open(&oe->journal, oe->opt.journal_path,
	    oe->opt.fsync_on, 0, oe_replay_rec, oe, &cut, err);
	if (rc == -2)
		kp_die(KP_EXIT_TEMP, "%s", err);
	if (rc < 0)
		kp_die(KP_EXIT_PERM, "%s", err);
	if (cut > 0)
		kp_warn("journal %s: cut a torn last record (%llu bytes)",
		    oe->opt.journal_path, (unsigned long long)cut);
	for (n = 0; n < oe->nall; n++) {
		struct oe_entry *e = oe->all[n];

		if (e->state == OE_ST_DONE)
			continue;
		oe_enqueue(oe, e);
		pending_replay++;
		if (e->state == OE_ST_SENT)
			unknown_replay++;
		/* whatever its last record says, a place is looked for in
		 * the order book before it is sent again */
		if (e->in.op == KP_OP_PLACE)
			oe_settle(oe, e, e->state == OE_ST_SENT, kp_mono_ms());
	}
	kp_info("journal %s: %llu records, %zu unfinished intents, %zu with "
	    "an unknown outcome (all places are looked for in the order "
	    "book before anything is sent)", oe->opt.journal_path,
	    (unsigned long long)oe->journal.records, pending_replay,
	    unknown_replay);
}

/* The event loop's own state. */
struct loop {
	int sigfd;
	int stdin_slot;
	struct pollfd pfd[OE_MAXCONN + 2];
	int slot[OE_MAXCONN + 2];	/* -1 signals, -2 listen, else client */
	int np;
};

/* Close clients that are gone and owed nothing. */
static void
close_gone(struct oe_ctx *oe, const struct loop *l)
{
	int i;

	for (i = 0; i < OE_MAXCONN; i++) {
		struct oe_conn *c = &oe->conns[i];

		if (c->used && c->eof && c->pending == 0 &&
		    c->ob.len == 0 && i != l->stdin_slot) {
			kp_info("client %d closed", i);
			oe_conn_close(oe, i);
		}
	}
}

static void
poll_add(struct loop *l, int fd, short events, int slot)
{
	l->pfd[l->np].fd = fd;
	l->pfd[l->np].events = events;
	l->slot[l->np++] = slot;
}

/* What to poll: signals, the listening socket, clients. */
static void
poll_set(struct oe_ctx *oe, struct loop *l)
{
	short ev;
	int i;

	l->np = 0;
	poll_add(l, l->sigfd, POLLIN, -1);
	if (oe->listen_fd >= 0)
		poll_add(l, oe->listen_fd, POLLIN, -2);
	for (i = 0; i < OE_MAXCONN; i++) {
		struct oe_conn *c = &oe->conns[i];

		if (!c->used)
			continue;
		ev = 0;
		if (!c->eof)
			ev |= POLLIN;
		if (c->ob.len > 0 && c->out == c->in)
			ev |= POLLOUT;
		if (ev != 0)
			poll_add(l, c->in, ev, i);
	}
}

static void
poll_handle(struct oe_ctx *oe, const struct loop *l)
{
	int i;

	for (i = 0; i < l->np; i++) {
		if (l->pfd[i].revents == 0)
			continue;
		if (l->slot[i] == -1)
			kp_sig_drain();
		else if (l->slot[i] == -2)
			oe_accept(oe);
		else {
			if (l->pfd[i].revents & POLLOUT)
				oe_conn_flush(oe, l->slot[i]);
			if (l->pfd[i].revents & (POLLIN | POLLHUP |
			    POLLERR))
				oe_conn_read(oe, l->slot[i]);
		}
	}
	if (oe->conns[l->stdin_slot].ob.len > 0)
		oe_conn_flush(oe, l->stdin_slot);
}

static void
run(struct oe_ctx *oe, struct loop *l)
{
	const struct oe_conn *in = &oe->conns[l->stdin_slot];
	int64_t wait;

	for (;;) {
		if (kp_sig_take(SIGUSR1) || kp_sig_take(SIGALRM))
			log_stats(oe);
		if (kp_sig_take(SIGHUP))
			oe_reload_auth(oe, "SIGHUP");
		else if (oe->token_hold && oe_token_file_changed(oe))
			oe_reload_auth(oe, "token file changed");
		if (kp_sig_stopping())
			break;
		close_gone(oe, l);
		if (in->eof && in->pending == 0 &&
		    oe->opt.listen_path == NULL && oe->nqueue == 0)
			break;
		wait = oe_step(oe);
		if (wait < 0 || wait > 1000)
			wait = 1000;
		poll_set(oe, l);
		if (poll(l->pfd, (nfds_t)l->np, (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			kp_die(KP_EXIT_TEMP, "poll:");
		}
		poll_handle(oe, l);
	}
}

int
main(int argc, char **argv)
{
	struct oe_ctx oe;
	struct loop l;
	char *dead = NULL;
	int i, stdin_flags;

	memset(&oe, 0, sizeof(oe));
	oe.gen_next = 1;
	oe.journal.fd = -1;
	oe.listen_fd = -1;
	kp_log_init(OE_PROG);
	kp_fds_ensure();
	oe_opts_default(&oe.opt);	/* reads the environment: may exit */
	oe_parse_args(&oe.opt, argc, argv);
	if (oe.opt.dead_path == NULL)
		oe.opt.dead_path = dead = oe_dead_default(oe.opt.journal_path);
	if (oe.opt.status) {
		i = oe_print_status(&oe);
		oe_state_free(&oe);
		free(dead);
		return i;
	}
	oe.crash_at = kp_env("KP_ORDER_EXEC_CRASH_AT");
	oe_open_kite(&oe);
	memset(&l, 0, sizeof(l));
	if ((l.sigfd = kp_sig_init()) < 0)
		kp_die(KP_EXIT_TEMP, "signals:");
	open_journal(&oe);
	kp_stats_timer(oe.opt.stats_ms);
	oe_limits_init(&oe.limits, (long)oe.opt.per_s, (long)oe.opt.per_min,
	    (long)oe.opt.per_day);
	oe_breaker_init(&oe.breaker, (int)oe.opt.br_threshold,
	    oe.opt.br_cooldown_ms);
	if (oe.opt.listen_path != NULL)
		oe_listen(&oe);
	/* stdin's file description may be shared: its flags go back at exit */
	stdin_flags = fcntl(0, F_GETFL);
	if (stdin_flags >= 0)
		fcntl(0, F_SETFL, stdin_flags | O_NONBLOCK);
	l.stdin_slot = oe_conn_open(&oe, 0, 1);
	if (oe.opt.notify_fd >= 0 && kp_ready_notify(oe.opt.notify_fd) < 0)
		kp_warn("readiness notification:");
	else if (oe.opt.notify_fd < 0)
		kp_ready_notify(-1);
	run(&oe, &l);
	for (i = 0; i < OE_MAXCONN; i++)
		if (oe.conns[i].used) {
			oe_conn_flush(&oe, i);
			oe_conn_close(&oe, i);
		}
	if (stdin_flags >= 0)
		fcntl(0, F_SETFL, stdin_flags);
	if (oe.nqueue > 0)
		kp_info("stopping with %zu unfinished intents in the journal; "
		    "they go on at the next start", oe.nqueue);
	log_stats(&oe);
	oe_journal_close(&oe.journal);
	oe_limits_free(&oe.limits);
	oe_kite_free(oe.kite);
	oe_state_free(&oe);
	if (oe.listen_fd >= 0)
		unlink(oe.opt.listen_path);
	free(dead);
	return oe.st.invalid > 0 ? KP_EXIT_REJECTED : KP_EXIT_OK;
}
