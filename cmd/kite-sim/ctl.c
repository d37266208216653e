/*
 * ctl.c: kite-sim's fault control: one command a line, one answer a
 * line, over a Unix socket (--control PATH) or POST /sim/control.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kp_simctl.h"
#include "simx.h"

void
sim_kv_i64(struct kp_buf *b, const char *key, int64_t v)
{
	kp_buf_addstr(b, key);
	kp_json_i64(b, v);
}

void
sim_kv_u64(struct kp_buf *b, const char *key, uint64_t v)
{
	kp_buf_addstr(b, key);
	kp_json_u64(b, v);
}

void
sim_kv_dbl(struct kp_buf *b, const char *key, double v)
{
	kp_buf_addstr(b, key);
	kp_json_double(b, v);
}

void
sim_kv_str(struct kp_buf *b, const char *key, const char *v)
{
	kp_buf_addstr(b, key);
	kp_json_cstr(b, v);
}

/* The faults and counters as one JSON object. */
static void
status_json(struct sim *s, struct kp_buf *b)
{
	const struct sim_faults *f = &s->faults;
	struct sim_tk_stats st;

	sim_ticker_stats(s, &st);
	sim_kv_i64(b, "{\"now_us\":", sim_now_us(s));
	sim_kv_i64(b, ",\"start_us\":", sim_market_start_us(s));
	sim_kv_dbl(b, ",\"speed\":", s->conf.speed);
	sim_kv_u64(b, ",\"instruments\":", s->n_instr);
	sim_kv_i64(b, ",\"faults\":{\"drop_after_ms\":", f->drop_after_ms);
	sim_kv_i64(b, ",\"drop_after_msgs\":", f->drop_after_msgs);
	kp_buf_addstr(b, f->stall ? ",\"stall\":true" : ",\"stall\":false");
	sim_kv_dbl(b, ",\"malformed\":", f->malformed_p);
	kp_buf_addstr(b, f->refuse_auth ? ",\"refuse_auth\":true" :
	    ",\"refuse_auth\":false");
	sim_kv_dbl(b, ",\"http_429\":", f->http_429_p);
	sim_kv_dbl(b, ",\"http_5xx\":", f->http_5xx_p);
	sim_kv_i64(b, ",\"delay_ms\":", f->delay_ms);
	sim_kv_i64(b, ",\"ambiguous_n\":", f->ambiguous_n);
	sim_kv_i64(b, ",\"ambiguous_ms\":", f->ambiguous_ms);
	sim_kv_i64(b, ",\"book_lag_ms\":", f->book_lag_ms);
	sim_kv_i64(b, ",\"child_margin_fail\":", f->child_fail_from);
	sim_kv_i64(b, ",\"dump_cut\":", f->dump_cut);
	kp_buf_addstr(b, f->dump_corrupt ? ",\"dump_corrupt\":true" :
	    ",\"dump_corrupt\":false");
	sim_kv_u64(b, "},\"ticker\":{\"connections\":", st.conns);
	sim_kv_u64(b, ",\"connections_total\":", st.conns_total);
	sim_kv_u64(b, ",\"refused\":", st.refused);
	sim_kv_u64(b, ",\"subscriptions\":", st.subs);
	sim_kv_u64(b, ",\"messages\":", st.msgs);
	sim_kv_u64(b, ",\"ticks\":", st.ticks);
	sim_kv_u64(b, ",\"heartbeats\":", st.heartbeats);
	sim_kv_u64(b, ",\"texts\":", st.texts);
	sim_kv_u64(b, ",\"dropped\":", st.dropped);
	sim_kv_u64(b, ",\"malformed\":", st.malformed);
	sim_kv_u64(b, ",\"bad_requests\":", st.bad_requests);
	kp_buf_addc(b, '}');
	sim_accounts_json(s, b);
	kp_buf_addc(b, '}');
}

static int
answer(struct kp_buf *b, int rc, const char *cmd)
{
	if (rc < 0) {
		kp_buf_addstr(b, "error: bad command or value: ");
		kp_buf_addstr(b, cmd);
		kp_buf_addstr(b, " (try: drop, drop-after-ms N, "
		    "drop-after-msgs N, stall on|off, malformed P, "
		    "refuse-auth on|off, http-429 P, http-5xx P, delay-ms N, "
		    "ambiguous N MS|never, book-lag-ms N, "
		    "child-margin-fail N, freeze-qty NAME N, move NAME LEVEL, "
		    "trend NAME RATE/s, message TEXT, "
		    "revoke KEY, restore KEY, clear, status)");
		return -1;
	}
	kp_buf_addstr(b, "ok");
	return 0;
}

/* "message TEXT": Kite's broker alert text message to every client. */
static int
broadcast(struct sim *s, const char *text, struct kp_buf *b)
{
	struct kp_buf m;

	kp_buf_init(&m, 8192);
	kp_buf_addstr(&m, "{\"type\":\"message\",\"data\":");
	kp_json_cstr(&m, text);
	if (kp_buf_addc(&m, '}') == 0)
		sim_ticker_text(s, s->conf.api_key, m.p, m.len);
	kp_buf_free(&m);
	kp_buf_addstr(b, "ok");
	return 0;
}

int
sim_control(struct sim *s, const char *line, struct kp_buf *b)
{
	struct sim_faults *f = &s->faults;
	struct kp_simctl c;

	if (kp_simctl_parse(line, &c) < 0)
		return answer(b, -1, line);
	switch (c.cmd) {
	case KP_SIMCTL_MESSAGE:
		return broadcast(s, c.text, b);
	case KP_SIMCTL_STATUS:
		kp_buf_addstr(b, "ok ");
		status_json(s, b);
		return 0;
	case KP_SIMCTL_DROP:
		sim_ticker_drop_all(s);
		break;
	case KP_SIMCTL_DROP_AFTER_MS:
		f->drop_after_ms = c.n;
		break;
	case KP_SIMCTL_DROP_AFTER_MSGS:
		f->drop_after_msgs = c.n;
		break;
	case KP_SIMCTL_STALL:
		f->stall = c.on;
		break;
	case KP_SIMCTL_MALFORMED:
		f->malformed_p = c.p;
		break;
	case KP_SIMCTL_REFUSE_AUTH:
		f->refuse_auth = c.on;
		break;
	case KP_SIMCTL_HTTP_429:
		f->http_429_p = c.p;
		break;
	case KP_SIMCTL_HTTP_5XX:
		f->http_5xx_p = c.p;
		break;
	case KP_SIMCTL_DELAY_MS:
		f->delay_ms = c.n;
		break;
	case KP_SIMCTL_AMBIGUOUS:
		f->ambiguous_n = c.n;
		f->ambiguous_ms = c.n2;
		break;
	case KP_SIMCTL_BOOK_LAG_MS:
		f->book_lag_ms = c.n;
		break;
	case KP_SIMCTL_CHILD_MARGIN_FAIL:
		f->child_fail_from = c.n;
		break;
	case KP_SIMCTL_DUMP_CUT:
		f->dump_cut = c.n;
		break;
	case KP_SIMCTL_DUMP_CORRUPT:
		f->dump_corrupt = c.on;
		break;
	case KP_SIMCTL_FREEZE_QTY:
		if (sim_set_freeze(s, c.word, (int32_t)c.n) == 0)
			return answer(b, -1, line);
		break;
	case KP_SIMCTL_REVOKE:
	case KP_SIMCTL_RESTORE:
		if (sim_account_revoke(s, c.word, c.cmd ==
		    KP_SIMCTL_REVOKE) < 0)
			return answer(b, -1, line);
		break;
	case KP_SIMCTL_MOVE:
	case KP_SIMCTL_TREND:
		if (sim_market_move(s, c.word, c.cmd == KP_SIMCTL_MOVE ? c.x : 0,
		    c.cmd == KP_SIMCTL_TREND ? &c.x : NULL) < 0)
			return answer(b, -1, line);
		break;
	case KP_SIMCTL_CLEAR:
		memset(f, 0, sizeof(*f));
		break;
	default:
		return answer(b, -1, line);
	}
	kp_info("control: %.200s", line);
	sim_ticker_faults_changed(s);
	return answer(b, 0, line);
}

/* --- the Unix control socket, adopted into the lws loop ------------- */

#define CTL_LINE 512

struct ctl_client {
	char buf[CTL_LINE];
	size_t len;
	bool skip;
};

/* Handle what one client sent; -1 closes it. */
static int
ctl_read(struct sim *s, struct lws *wsi, struct ctl_client *c)
{
	int fd = lws_get_socket_fd(wsi);
	char in[1024];
	ssize_t n = read(fd, in, sizeof(in));
	ssize_t i;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct kp_buf b;

		if (in[i] != '\n') {
			if (c->len < CTL_LINE - 1)
				c->buf[c->len++] = in[i];
			else
				c->skip = true;
			continue;
		}
		c->buf[c->len] = '\0';
		kp_buf_init(&b, 64 * 1024);
		if (c->skip)
			kp_buf_addstr(&b, "error: line too long");
		else
			sim_control(s, c->buf, &b);
		kp_buf_addc(&b, '\n');
		/* small answers on a local socket: a full one is dropped */
		if (write(fd, b.p, b.len) < 0)
			kp_debug("control: unable to answer:");
		kp_buf_free(&b);
		c->len = 0;
		c->skip = false;
	}
	return 0;
}

int
sim_ctl_cb(struct sim *s, struct lws *wsi, enum lws_callback_reasons reason,
    void *user, bool listener)
{
	struct ctl_client **pc = user;

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (listener) {
			lws_sock_file_fd_type fd;

			fd.filefd = accept(lws_get_socket_fd(wsi), NULL, NULL);
			if (fd.filefd < 0)
				return 0;
			fcntl(fd.filefd, F_SETFL, O_NONBLOCK);
			fcntl(fd.filefd, F_SETFD, FD_CLOEXEC);
			if (lws_adopt_descriptor_vhost(lws_get_vhost(wsi),
			    LWS_ADOPT_RAW_FILE_DESC, fd, "sim-ctl",
			    NULL) == NULL)
				kp_warn("control: unable to adopt a client");
			return 0;
		}
		if (*pc == NULL)
			*pc = kp_xcalloc(1, sizeof(**pc));
		return ctl_read(s, wsi, *pc);
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (!listener && pc != NULL) {
			free(*pc);
			*pc = NULL;
		}
		return 0;
	default:
		return 0;
	}
}
