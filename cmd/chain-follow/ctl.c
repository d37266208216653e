/*
 * ctl.c: kite-stream's control socket (kite-stream -c), one connection
 * per request: send Kite's own subscribe, unsubscribe or mode message,
 * read the one-line answer, close.  A kite-stream that restarted is
 * simply reached again.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "cf.h"

/* The longest answer read (kite-stream's are short but for "list"). */
#define ANSWER_MAX 4096

static int
dial(const char *path, char err[KP_ERRLEN])
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, KP_ERRLEN, "%s: path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, KP_ERRLEN, "unable to connect to %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *p, size_t n, char err[KP_ERRLEN])
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			snprintf(err, KP_ERRLEN, "unable to send: %s",
			    strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one line (the answer) within timeout_ms into buf. */
static int
read_answer(int fd, long long timeout_ms, char *buf, size_t cap,
    char err[KP_ERRLEN])
{
	int64_t end = kp_mono_ms() + timeout_ms;
	size_t len = 0;

	while (len == 0 || buf[len - 1] != '\n') {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = end - kp_mono_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			snprintf(err, KP_ERRLEN, "no answer within %lld ms",
			    timeout_ms);
			return -1;
		}
		if (len == cap - 1) {
			snprintf(err, KP_ERRLEN, "answer too long");
			return -1;
		}
		r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, KP_ERRLEN, "no answer: %s", r < 0 ?
			    strerror(errno) : "connection closed");
			return -1;
		}
		len += (size_t)r;
	}
	buf[len] = '\0';
	return 0;
}

/* {"ok":true,...} is taken; {"ok":false,"error":"..."} or else is not. */
static int
check_answer(const char *ans, char err[KP_ERRLEN])
{
	json_t *root = json_loads(ans, JSON_REJECT_DUPLICATES, NULL);
	json_t *ok = json_object_get(root, "ok");
	const char *why = json_string_value(json_object_get(root, "error"));
	int rc = 0;

	if (!json_is_true(ok)) {
		snprintf(err, KP_ERRLEN, "refused: %.200s", why != NULL ? why :
		    "an answer that is not {\"ok\":...}");
		rc = -1;
	}
	json_decref(root);
	return rc;
}

static void
request(struct kp_buf *b, const char *action, const char *mode,
    const uint32_t *tokens, size_t n)
{
	size_t i;

	kp_buf_addstr(b, "{\"a\":");
	kp_json_cstr(b, mode != NULL ? "mode" : action);
	kp_buf_addstr(b, ",\"v\":[");
	if (mode != NULL) {
		kp_json_cstr(b, mode);
		kp_buf_addstr(b, ",[");
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			kp_buf_addc(b, ',');
		kp_json_u64(b, tokens[i]);
	}
	kp_buf_addstr(b, mode != NULL ? "]]}\n" : "]}\n");
}

int
cf_ctl_send(const char *path, long long timeout_ms, const char *action,
    const char *mode, const uint32_t *tokens, size_t n, char err[KP_ERRLEN])
{
	struct kp_buf b;
	char ans[ANSWER_MAX];
	int fd, rc = -1;

	kp_buf_init(&b, 64 + 12 * (n + 1));
	request(&b, action, mode, tokens, n);
	fd = dial(path, err);
	if (fd >= 0) {
		if (send_all(fd, b.p, b.len, err) == 0 &&
		    read_answer(fd, timeout_ms, ans, sizeof(ans), err) == 0)
			rc = check_answer(ans, err);
		close(fd);
	}
	kp_buf_free(&b);
	return rc;
}
