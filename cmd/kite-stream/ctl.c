/*
 * ctl.c: kite-stream's control socket (-c): Kite's own subscribe,
 * unsubscribe and mode messages, one JSON line each, applied to the pool
 * (pool.c) and answered with one line.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "kp_tkreq.h"
#include "ks.h"

#define CTL_LINE_MAX (1u << 20)

void
ks_ctl_open(struct ks *l, const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		kp_die(KP_EXIT_PERM, "-c %s: path too long", path);
	strcpy(sa.sun_path, path);
	/* a socket left by an earlier run is replaced; anything else not */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			kp_die(KP_EXIT_PERM, "-c %s: exists and is not a "
			    "socket", path);
		(void)unlink(path);
	}
	l->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (l->ctl_fd < 0)
		kp_die(KP_EXIT_TEMP, "-c %s: socket:", path);
	old = umask(077);
	if (bind(l->ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		kp_die(KP_EXIT_TEMP, "-c %s: bind:", path);
	umask(old);
	if (chmod(path, 0600) < 0)
		kp_die(KP_EXIT_TEMP, "-c %s: chmod:", path);
	if (listen(l->ctl_fd, 8) < 0)
		kp_die(KP_EXIT_TEMP, "-c %s: listen:", path);
}

static void
ctl_answer(struct ks_ctl_client *cc, struct kp_buf *b)
{
	size_t done = 0;

	kp_buf_addc(b, '\n');
	while (done < b->len) {
		ssize_t n = write(cc->fd, b->p + done, b->len - done);

		if (n > 0)
			done += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break;	/* a client that does not read loses answers */
	}
}

static void
ctl_error(struct ks_ctl_client *cc, const char *why)
{
	struct kp_buf b;

	kp_buf_init(&b, 512);
	kp_buf_addstr(&b, "{\"ok\":false,\"error\":");
	kp_json_cstr(&b, why);
	kp_buf_addc(&b, '}');
	ctl_answer(cc, &b);
	kp_buf_free(&b);
}

/* The subscriptions once rq is applied (sorted), in *nw. */
static void
ctl_next(const struct ks *l, const struct kp_tkreq *rq, unsigned mode,
    struct ks_subs *nw)
{
	size_t i;

	memset(nw, 0, sizeof(*nw));
	for (i = 0; i < l->subs.n; i++)
		ks_subs_put(nw, l->subs.v[i].token, l->subs.v[i].mode);
	if (rq->action == KP_TKREQ_UNSUBSCRIBE) {
		size_t k = 0;

		ks_subs_sort(nw);
		for (i = 0; i < nw->n; i++) {
			size_t t;
			bool drop = false;

			for (t = 0; t < rq->n && !drop; t++)
				drop = rq->tokens[t] == nw->v[i].token;
			if (!drop)
				nw->v[k++] = nw->v[i];
		}
		nw->n = k;
	} else {
		for (i = 0; i < rq->n; i++) {
			long at = ks_subs_find(&l->subs, rq->tokens[i]);

			/* subscribe keeps a subscribed token's mode */
			ks_subs_put(nw, rq->tokens[i],
			    rq->action == KP_TKREQ_SUBSCRIBE && at >= 0 ?
			    l->subs.v[at].mode : mode);
		}
		ks_subs_sort(nw);
	}
}

/*
 * The two reads: {"a":"list"} answers the subscriptions as
 * {"ok":true,"a":"list","total":N,"v":[[token,"mode"],...]} (sorted by
 * token), {"a":"stats"} the stats line's fields after "ok" and "a".
 * Return 1 when line was one of them (answered).
 */
static int
ctl_read_only(struct ks *l, struct ks_ctl_client *cc, const char *line,
    size_t len)
{
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *a = json_string_value(json_object_get(root, "a"));
	json_t *v = json_object_get(root, "v");
	struct kp_buf b;
	size_t i;
	int list;

	if (a == NULL || (strcmp(a, "list") && strcmp(a, "stats"))) {
		json_decref(root);
		return 0;
	}
	list = !strcmp(a, "list");
	if (json_object_size(root) != 1 + (v != NULL) ||
	    (v != NULL && (!json_is_array(v) || json_array_size(v) > 0))) {
		ctl_error(cc, list ? "list: takes no values" :
		    "stats: takes no values");
		json_decref(root);
		return 1;
	}
	json_decref(root);
	kp_buf_init(&b, CTL_LINE_MAX);
	if (list) {
		kp_buf_addstr(&b, "{\"ok\":true,\"a\":\"list\",\"total\":");
		kp_json_u64(&b, l->subs.n);
		kp_buf_addstr(&b, ",\"v\":[");
		for (i = 0; i < l->subs.n; i++) {
			kp_buf_addstr(&b, i ? ",[" : "[");
			kp_json_u64(&b, l->subs.v[i].token);
			kp_buf_addstr(&b, ",\"");
			kp_buf_addstr(&b, ks_mode_name(l->subs.v[i].mode));
			kp_buf_addstr(&b, "\"]");
		}
		kp_buf_addstr(&b, "]}");
	} else {
		kp_buf_addstr(&b, "{\"ok\":true,\"a\":\"stats\",");
		ks_emit_stats_json(l->e, &b);
		/* its own '{' and '\n' go: one object, one line */
		memmove(b.p + 23, b.p + 24, b.len - 24);
		b.len -= 2;
	}
	ctl_answer(cc, &b);
	kp_buf_free(&b);
	return 1;
}

/*
 * One control line, in Kite's own shapes: {"a":"subscribe","v":[...]},
 * {"a":"unsubscribe","v":[...]}, {"a":"mode","v":["full",[...]]}, read
 * by the ticker-request parser kite-sim uses too (lib/tkreq.c, fuzzed).
 * Unlike a ticker, a value that is not a token refuses the whole line.
 */
static void
ctl_line(struct ks *l, struct ks_ctl_client *cc, const char *line, size_t len)
{
	static const char *const names[] = { "", "subscribe", "unsubscribe",
	    "mode" };
	struct kp_tkreq rq;
	char err[KP_ERRLEN], why[200];
	const char *a;
	size_t i;
	struct ks_subs nw;
	unsigned mode = l->o->default_mode;
	struct kp_buf b;

	if (ctl_read_only(l, cc, line, len))
		return;
	if (kp_tkreq_parse(line, len, &rq, err) < 0) {
		ctl_error(cc, err);
		return;
	}
	a = names[rq.action];
	if (rq.bad > 0 || rq.n > KS_SUBS_MAX) {
		ctl_error(cc, "\"v\": expected an array of instrument tokens");
		goto out;
	}
	for (i = 0; i < rq.n; i++)
		if (rq.tokens[i] == 0) {
			ctl_error(cc, "\"v\": 0 is not an instrument token");
			goto out;
		}
	if (rq.action == KP_TKREQ_MODE)
		mode = rq.mode == KP_TKREQ_LTP ? 0 :
		    rq.mode == KP_TKREQ_QUOTE ? 1 : 2;
	ctl_next(l, &rq, mode, &nw);
	if (ks_pool_apply(l, nw, "control") < 0) {
		snprintf(why, sizeof(why), "%s: more instruments than %lld "
		    "connections of %lld hold; nothing changed", a,
		    l->o->max_conns, l->o->max_tokens);
		ctl_error(cc, why);
		goto out;
	}
	kp_buf_init(&b, 256);
	kp_buf_addstr(&b, "{\"ok\":true,\"a\":");
	kp_json_cstr(&b, a);
	kp_buf_addstr(&b, ",\"count\":");
	kp_json_u64(&b, rq.n);
	kp_buf_addstr(&b, ",\"total\":");
	kp_json_u64(&b, l->subs.n);
	kp_buf_addc(&b, '}');
	ctl_answer(cc, &b);
	kp_buf_free(&b);
out:
	kp_tkreq_free(&rq);
}

static void
ctl_close(struct ks_ctl_client *cc)
{
	kp_line_free(&cc->lr);
	close(cc->fd);
	cc->fd = -1;
}

void
ks_ctl_poll(struct ks *l)
{
	unsigned k;
	int fd;

	if (l->ctl_fd < 0)
		return;
	while ((fd = accept(l->ctl_fd, NULL, NULL)) >= 0) {
		if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			close(fd);
			continue;
		}
		for (k = 0; k < KS_CTL_MAX_CLIENTS && l->ctl[k].fd >= 0; k++)
			;
		if (k == KS_CTL_MAX_CLIENTS ||
		    kp_line_init(&l->ctl[k].lr, fd, CTL_LINE_MAX) < 0) {
			kp_warn("control: more than %d clients; one refused",
			    KS_CTL_MAX_CLIENTS);
			close(fd);
			continue;
		}
		l->ctl[k].fd = fd;
	}
	for (k = 0; k < KS_CTL_MAX_CLIENTS; k++) {
		struct ks_ctl_client *cc = &l->ctl[k];
		char *line;
		size_t len;
		int rc;

		while (cc->fd >= 0) {
			rc = kp_line_next(&cc->lr, &line, &len);
			if (rc == KP_LINE_OK) {
				if (len > 0)
					ctl_line(l, cc, line, len);
			} else if (rc == KP_LINE_TOOLONG) {
				ctl_error(cc, "line too long");
			} else if (rc == KP_LINE_AGAIN) {
				break;
			} else {
				ctl_close(cc);
			}
		}
	}
}

void
ks_ctl_close_all(struct ks *l)
{
	unsigned k;

	for (k = 0; k < KS_CTL_MAX_CLIENTS; k++)
		if (l->ctl[k].fd >= 0)
			ctl_close(&l->ctl[k]);
	if (l->ctl_fd >= 0) {
		close(l->ctl_fd);
		(void)unlink(l->o->control_path);
	}
}
