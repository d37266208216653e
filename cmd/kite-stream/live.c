/*
 * live.c: kite-stream's live client.  A pool of ticker WebSocket
 * connections (conn.c, over dial.c's plain sockets or OpenSSL, in one
 * poll(2) loop), each with its share of the subscriptions (pool.c),
 * a watchdog, reconnects with backoff and jitter, resubscription, a
 * patient answer to refused credentials, status lines for every gap, and
 * output that never blocks the sockets: past a bound, ticks are conflated
 * to the latest per instrument (conflate.c, status.c).  This file sets it
 * up, runs the loop and its housekeeping, and tears it down.  See
 * kite-stream(1).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks.h"

#define PERIOD_MS 50		/* housekeeping every 50 ms */

/* SIGHUP: apply only the difference with the subscription file. */
static void
reload_subs(struct ks *l)
{
	struct ks_subs nw;

	if (ks_subs_load(l->o, &nw) < 0) {
		kp_warn("SIGHUP: the subscriptions were not changed");
		ks_subs_free(&nw);
		return;
	}
	(void)ks_pool_apply(l, nw, "SIGHUP");
}

/* Housekeeping ------------------------------------------------------ */

static void
stats(struct ks *l)
{
	int64_t now = kp_mono_ms(), oldest = 0;
	unsigned k;

	for (k = 0; k < l->nconns; k++)
		if (l->c[k].state >= KS_UP && now - l->c[k].last_ms > oldest)
			oldest = now - l->c[k].last_ms;
	l->e->st.last_msg_age_ms = (uint64_t)oldest;
	ks_emit_stats(l->e);
}

static void
stop(struct ks *l)
{
	unsigned k;

	if (l->stopping)
		return;
	l->stopping = true;
	kp_info("stopping");
	for (k = 0; k < l->nconns; k++)
		ks_conn_close(&l->c[k], "stopping");
}

static bool
any_open(const struct ks *l)
{
	unsigned k;

	for (k = 0; k < l->nconns; k++)
		if (l->c[k].fd >= 0)
			return true;
	for (k = 0; k < KS_MAX_CONNS; k++)
		if (l->lg[k].fd >= 0)
			return true;	/* bounded by its deadline */
	return false;
}

/* A connect, name lookup included, past -T. */
static void
connect_timeout(struct ks *l, struct ks_conn *c)
{
	char why[sizeof(l->host) + 128];

	if (c->ph == KS_P_DNS) {
		l->e->st.dns_timeouts++;
		snprintf(why, sizeof(why), "unable to connect: looking up %s "
		    "timed out after %lld ms", l->host, l->o->connect_ms);
	} else {
		snprintf(why, sizeof(why), "unable to connect: timed out "
		    "after %lld ms", l->o->connect_ms);
	}
	ks_conn_lost(l, c, why, 0);
}

/* The watchdog: a connection silent past -W is closed, to reconnect. */
static void
watchdog(struct ks *l, struct ks_conn *c, int64_t now)
{
	char extra[64];

	l->e->st.stale++;
	snprintf(extra, sizeof(extra), "\"silent_ms\":%lld",
	    (long long)(now - c->last_ms));
	kp_warn("connection %u: no message for %lld ms; reconnecting", c->id,
	    (long long)(now - c->last_ms));
	ks_status_line(l, (int)c->id, "stale", extra);
	ks_conn_close(c, "watchdog: no message");
}

/* Each connection's deadlines: our close, the connect, the retry, the
 * watchdog. */
static void
timers(struct ks *l, int64_t now)
{
	unsigned k;

	/* our close frames had their time */
	for (k = 0; k < l->nconns; k++)
		if (l->c[k].fd >= 0 && l->c[k].closing &&
		    now >= l->c[k].deadline_ms)
			ks_conn_fail(l, &l->c[k], l->c[k].close_why);
	for (k = 0; k < l->nconns && !l->stopping; k++) {
		struct ks_conn *c = &l->c[k];

		if ((c->fd >= 0 || c->ph == KS_P_DNS) &&
		    c->state == KS_CONNECTING && now >= c->deadline_ms)
			connect_timeout(l, c);
		else if (c->state == KS_WAIT && now >= c->retry_ms)
			ks_conn_start(l, c);
		else if ((c->state == KS_UP || c->state == KS_SUBSCRIBED) &&
		    now - c->last_ms > l->o->watchdog_ms && !c->closing)
			watchdog(l, c, now);
	}
}

static void
periodic(struct ks *l)
{
	int64_t now = kp_mono_ms();

	if (kp_sig_stopping())
		stop(l);
	if (kp_sig_take(SIGUSR1) || kp_sig_take(SIGALRM))
		stats(l);
	if (!l->stopping && kp_sig_take(SIGHUP)) {
		kp_info("SIGHUP: reloading");
		ks_acct_tokens(l, true);
		reload_subs(l);
	}
	if (!l->stopping && now >= l->next_sec_ms) {
		l->next_sec_ms = now + 1000;
		ks_acct_tokens(l, false);
	}
	timers(l, now);
	if (!l->stopping)
		ks_acct_watch(l, now);
	if (!l->stopping)
		ks_ctl_poll(l);
	ks_flush_nb(l);
	ks_drain_conflated(l, false);
	ks_flush_nb(l);
	if (kp_out_error(&l->e->out) != 0) {
		if (kp_out_error(&l->e->out) != EPIPE) {
			errno = kp_out_error(&l->e->out);
			kp_log(KP_LOG_WARN, "unable to write to stdout:");
			l->code = KP_EXIT_TEMP;
		}
		stop(l);
	}
}

/* Setup ------------------------------------------------------------- */

static void
parse_url(struct ks *l, const char *url)
{
	struct kp_wsurl u;
	char err[KP_ERRLEN];

	if (kp_wsurl_parse(url, &u, err) < 0)
		kp_die(KP_EXIT_PERM, "KITE_WS_URL: %s", err);
	l->tls = u.tls;
	l->port = u.port;
	l->numeric_host = u.ip;
	memcpy(l->host, u.host, sizeof(l->host));
	memcpy(l->host_hdr, u.host_hdr, sizeof(l->host_hdr));
	memcpy(l->path, u.path, sizeof(l->path));
}

/* One turn: wait for the sockets (or the next housekeeping), serve them. */
static int
serve(struct ks *l)
{
	struct pollfd pf[2 * KS_MAX_CONNS + 3];
	struct ks_conn *pc[2 * KS_MAX_CONNS + 3];
	int64_t now = kp_mono_ms();
	unsigned k, n = 0, i;
	int r, timeout;

	if (now >= l->next_period_ms) {
		periodic(l);
		l->next_period_ms = now + PERIOD_MS;
	}
	if (l->stopping && !any_open(l))
		return 1;
	for (k = 0; k < KS_MAX_CONNS; k++)
		if (l->lg[k].fd >= 0) {
			if (now >= l->lg[k].until_ms) {
				ks_linger_io(&l->lg[k], true);
				continue;
			}
			pf[n].fd = l->lg[k].fd;
			pf[n].events = POLLIN;
			pc[n++] = NULL;
		}
	for (k = 0; k < l->nconns; k++)
		if (l->c[k].fd >= 0) {
			pf[n].fd = l->c[k].fd;
			pf[n].events = ks_conn_events(&l->c[k]);
			pc[n++] = &l->c[k];
		}
	if (l->sig_fd >= 0) {
		pf[n].fd = l->sig_fd;
		pf[n].events = POLLIN;
		pc[n++] = NULL;
	}
	pf[n].fd = l->dns_fd[0];
	pf[n].events = POLLIN;
	pc[n++] = NULL;
	if (l->out_wait) {
		pf[n].fd = 1;
		pf[n].events = POLLOUT;
		pc[n++] = NULL;
	}
	timeout = (int)(l->next_period_ms - now);
	r = poll(pf, n, timeout < 0 ? 0 : timeout);
	if (r < 0 && errno != EINTR) {
		kp_log(KP_LOG_WARN, "poll:");
		l->code = KP_EXIT_TEMP;
		return 1;
	}
	for (i = 0; r > 0 && i < n; i++) {
		if (pf[i].revents == 0)
			continue;
		if (pc[i] != NULL && pc[i]->fd == pf[i].fd)
			ks_conn_io(l, pc[i], pf[i].revents);
		else if (pf[i].fd == l->sig_fd) {
			kp_sig_drain();
			l->next_period_ms = 0;	/* now */
		} else if (pf[i].fd == l->dns_fd[0]) {
			ks_conn_lookups(l);
		} else if (pf[i].fd != 1) {
			for (k = 0; k < KS_MAX_CONNS; k++)
				if (l->lg[k].fd == pf[i].fd)
					ks_linger_io(&l->lg[k], false);
		}
	}
	ks_flush_nb(l);
	return 0;
}

/* Everything but the sockets, which the loop opens; 0, or an exit code. */
static int
setup(struct ks *l, struct ks_emit *e, const struct ks_opts *o)
{
	const char *url;
	char err[KP_ERRLEN];
	uint64_t cut = 0;
	int code;

	url = kp_env("KITE_WS_URL");
	parse_url(l, url != NULL ? url : "wss://ws.kite.trade");
	code = ks_acct_load(l);
	if (code != KP_EXIT_OK)
		return code;
	if (ks_subs_load(o, &l->subs) < 0)
		return KP_EXIT_PERM;
	for (size_t i = 0; i < l->subs.n; i++)
		l->subs.v[i].conn = -1;
	if (ks_pool_assign(l) < 0) {
		kp_log(KP_LOG_FATAL, "%zu instruments do not fit in %lld "
		    "connections of %lld for each of %u account(s) (Kite "
		    "allows 3 of 3000 per API key); subscribe fewer",
		    l->subs.n, o->max_conns, o->max_tokens, l->nacct);
		return KP_EXIT_PERM;
	}
	if (o->write_path != NULL) {
		l->cap_fd = kp_cap_open_append(o->write_path, &cut, err);
		if (l->cap_fd < 0)
			kp_die(KP_EXIT_PERM, "%s", err);
		if (cut > 0)
			kp_warn("%s: cut %llu bytes of a truncated last "
			    "record", o->write_path, (unsigned long long)cut);
	}
	if (o->control_path != NULL)
		ks_ctl_open(l, o->control_path);
	ks_conflate_init(e, (size_t)(o->max_conns * o->max_tokens) * l->nacct,
	    (size_t)o->out_max);
	kp_out_free(&e->out);
	/* ticks stop at out_max; text and status lines have the rest */
	kp_out_init(&e->out, 1, (size_t)o->out_max + (1u << 20));
	return KP_EXIT_OK;
}

/* After the loop: close, drain, flush. */
static void
teardown(struct ks *l, int fl)
{
	unsigned k;

	for (k = 0; k < KS_MAX_CONNS; k++) {
		ks_conn_drop(&l->c[k]);
		if (l->lg[k].fd >= 0)
			ks_linger_io(&l->lg[k], true);
	}
	if (l->tls_ctx != NULL)
		SSL_CTX_free(l->tls_ctx);
	ks_drain_conflated(l, true);
	if (fl >= 0)
		(void)fcntl(1, F_SETFL, fl);
	kp_out_flush(&l->e->out);
	if (l->cap_fd >= 0 && close(l->cap_fd) < 0)
		kp_warn("unable to close %s:", l->o->write_path);
	for (k = 0; k < KS_MAX_CONNS; k++)
		ks_conn_free(&l->c[k]);
	ks_ctl_close_all(l);
}

int
ks_live(struct ks_emit *e, const struct ks_opts *o)
{
	struct ks *l = kp_xcalloc(1, sizeof(*l));
	unsigned k, n;
	int fl, code;

	l->e = e;
	l->o = o;
	l->cap_fd = -1;
	l->ctl_fd = -1;
	for (k = 0; k < KS_CTL_MAX_CLIENTS; k++)
		l->ctl[k].fd = -1;
	for (k = 0; k < KS_MAX_CONNS; k++)
		l->lg[k].fd = -1;
	l->code = KP_EXIT_OK;
	code = setup(l, e, o);
	if (code != KP_EXIT_OK) {
		ks_subs_free(&l->subs);
		ks_acct_free(l);
		free(l);
		return code;
	}
	fl = fcntl(1, F_GETFL);
	if (fl >= 0)
		(void)fcntl(1, F_SETFL, fl | O_NONBLOCK);
	ks_dial_init(l);
	l->sig_fd = kp_sig_init();
	for (k = 0; k < KS_MAX_CONNS; k++)
		ks_conn_init(l, &l->c[k], k);
	for (k = 0, n = 0; k < l->nconns; k++)
		n += l->c[k].state != KS_IDLE;
	kp_info("%zu instrument(s) over %u connection(s) of %u account(s) "
	    "to %s:%d", l->subs.n, n, l->nacct, l->host_hdr, l->port);
	while (serve(l) == 0)
		;
	teardown(l, fl);
	ks_conflate_free(e);
	ks_subs_free(&l->subs);
	ks_acct_free(l);
	code = l->code;
	free(l);
	return code;
}
