/*
 * src.c: descriptors lws polls for us besides the listening port: the
 * signal self-pipe and the NDJSON source on stdin (Redis: redis.c).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wf.h"

static struct wf_fd fd_stdin = { WF_FD_STDIN, NULL };
static struct wf_fd fd_sig = { WF_FD_SIG, NULL };

struct lws *
wf_adopt(struct wf *w, int fd, struct wf_fd *tag)
{
	lws_sock_file_fd_type u;
	struct lws *wsi;

	u.filefd = fd;
	wsi = lws_adopt_descriptor_vhost(w->raw_vh, LWS_ADOPT_RAW_FILE_DESC,
	    u, "wf-raw", NULL);
	if (wsi != NULL)
		lws_set_opaque_user_data(wsi, tag);
	return wsi;
}

static void stdin_more(lws_sorted_usec_list_t *sul);

/* Read what is there, at most 4096 lines at a time (then yield). */
static int
stdin_read(struct wf *w)
{
	char *line;
	size_t len;
	int st, n = 0;

	while (n++ < 4096) {
		st = kp_line_next(&w->stdin_lr, &line, &len);
		switch (st) {
		case KP_LINE_OK:
			if (len > 0)
				wf_tick_line(w, line, len,
				    w->stdin_lr.lineno, "stdin");
			break;
		case KP_LINE_TOOLONG:
			w->st.bad_lines++;
			kp_warn("stdin line %llu: longer than %lld bytes; "
			    "skipped", (unsigned long long)w->stdin_lr.lineno,
			    w->o->max_line);
			break;
		case KP_LINE_AGAIN:
			return 0;
		case KP_LINE_EOF:
			kp_info("end of input after %llu lines; serving the "
			    "last values", (unsigned long long)
			    w->stdin_lr.lineno);
			w->stdin_eof = 1;
			return -1;
		default:
			if (errno == EINTR || errno == EAGAIN)
				return 0;
			kp_warn("unable to read stdin:");
			w->stdin_eof = 1;
			return -1;
		}
	}
	lws_sul_schedule(w->ctx, 0, &w->stdin_sul, stdin_more, 1);
	return 0;
}

static void
stdin_more(lws_sorted_usec_list_t *sul)
{
	struct wf *w = lws_container_of(sul, struct wf, stdin_sul);

	if (stdin_read(w) < 0 && w->stdin_wsi != NULL)
		lws_set_timeout(w->stdin_wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
}

static void
on_signal(struct wf *w)
{
	kp_sig_drain();
	if (kp_sig_stopping()) {
		kp_info("stopping");
		w->stopping = 1;
		lws_cancel_service(w->ctx);
	}
	if (kp_sig_take(SIGHUP)) {
		char err[KP_ERRLEN];

		if (wf_auth_load(w, err) < 0)
			kp_warn("SIGHUP: keeping the old JWT keys: %s", err);
		else
			kp_info("SIGHUP: JWT keys reloaded");
	}
	if (kp_sig_take(SIGUSR1)) {
		struct kp_buf b;

		kp_buf_init(&b, KP_LOG_LINE_MAX);
		if (wf_stats_json(w, &b) == 0)
			kp_log_raw(b.p, b.len);
		kp_buf_free(&b);
	}
	kp_sig_take(SIGALRM);
}

static int
callback_raw(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct wf_fd *tag = lws_get_opaque_user_data(wsi);
	struct wf *w = wf_of(wsi);

	if (tag == NULL)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (tag->kind == WF_FD_SIG)
			on_signal(w);
		else if (tag->kind == WF_FD_STDIN && stdin_read(w) < 0) {
			w->stdin_wsi = NULL;
			return -1;
		}
		else if (tag->kind == WF_FD_REDIS)
			return wf_redis_event(w, tag, 0);
		break;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		if (tag->kind == WF_FD_REDIS)
			return wf_redis_event(w, tag, 1);
		break;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (tag->kind == WF_FD_REDIS)
			wf_redis_closed(w, tag);
		break;
	default:
		break;
	}
	return 0;
}

const struct lws_protocols wf_raw_protocols[] = {
	{ "wf-raw", callback_raw, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

int
wf_signals_start(struct wf *w)
{
	if (wf_adopt(w, w->sigfd, &fd_sig) == NULL)
		return -1;
	return 0;
}

int
wf_stdin_start(struct wf *w)
{
	int fl = fcntl(0, F_GETFL);

	if (fl < 0 || fcntl(0, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	if (kp_line_init(&w->stdin_lr, 0, (size_t)w->o->max_line) < 0)
		return -1;
	w->stdin_wsi = wf_adopt(w, 0, &fd_stdin);
	if (w->stdin_wsi == NULL)
		return -1;
	/* lines already waiting are read when lws first polls */
	return 0;
}
