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

static int
on_off(const char *v, bool *out)
{
	if (v != NULL && strcmp(v, "on") == 0)
		*out = true;
	else if (v != NULL && strcmp(v, "off") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

static int
prob(const char *v, double *out)
{
	return v == NULL ? -1 : kp_num_double(v, 0, 1, out);
}

static int
ms(const char *v, int64_t *out)
{
	long long n;

	if (v == NULL || kp_num_ll(v, 0, 86400000LL * 365, &n) < 0)
		return -1;
	*out = n;
	return 0;
}

static int
ambiguous(struct sim_faults *f, const char *n, const char *t)
{
	long long v;

	if (n == NULL || t == NULL)
		return -1;
	if (strcmp(n, "all") == 0)
		v = -1;
	else if (kp_num_ll(n, -1, 1LL << 40, &v) < 0)
		return -1;
	if (strcmp(t, "never") == 0) {
		f->ambiguous_ms = -1;
	} else if (ms(t, &f->ambiguous_ms) < 0) {
		return -1;
	}
	f->ambiguous_n = v;
	return 0;
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
	kp_buf_addstr(b, "}}");
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
		    "ambiguous N MS|never, message TEXT, clear, status)");
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
	char buf[256], *cmd, *a1, *a2, *save = NULL;
	int rc = 0;

	if (strncmp(line, "message ", 8) == 0)
		return broadcast(s, line + 8, b);
	snprintf(buf, sizeof(buf), "%s", line);
	cmd = strtok_r(buf, " \t\r\n", &save);
	a1 = strtok_r(NULL, " \t\r\n", &save);
	a2 = strtok_r(NULL, " \t\r\n", &save);
	if (cmd == NULL) {
		rc = -1;
		cmd = "";
	} else if (strcmp(cmd, "status") == 0) {
		kp_buf_addstr(b, "ok ");
		status_json(s, b);
		return 0;
	} else if (strcmp(cmd, "drop") == 0) {
		sim_ticker_drop_all(s);
	} else if (strcmp(cmd, "drop-after-ms") == 0) {
		rc = ms(a1, &f->drop_after_ms);
	} else if (strcmp(cmd, "drop-after-msgs") == 0) {
		rc = ms(a1, &f->drop_after_msgs);
	} else if (strcmp(cmd, "stall") == 0) {
		rc = on_off(a1, &f->stall);
	} else if (strcmp(cmd, "malformed") == 0) {
		rc = prob(a1, &f->malformed_p);
	} else if (strcmp(cmd, "refuse-auth") == 0) {
		rc = on_off(a1, &f->refuse_auth);
	} else if (strcmp(cmd, "http-429") == 0) {
		rc = prob(a1, &f->http_429_p);
	} else if (strcmp(cmd, "http-5xx") == 0) {
		rc = prob(a1, &f->http_5xx_p);
	} else if (strcmp(cmd, "delay-ms") == 0) {
		rc = ms(a1, &f->delay_ms);
	} else if (strcmp(cmd, "ambiguous") == 0) {
		rc = ambiguous(f, a1, a2);
	} else if (strcmp(cmd, "clear") == 0) {
		memset(f, 0, sizeof(*f));
	} else {
		rc = -1;
	}
	if (rc == 0) {
		kp_info("control: %s%s%s%s%s", cmd, a1 ? " " : "", a1 ? a1 : "",
		    a2 ? " " : "", a2 ? a2 : "");
		sim_ticker_faults_changed(s);
	}
	return answer(b, rc, line);
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
