/* conn.c: one connection to kite-stream's control socket, with a deadline. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kc.h"

/* Wait for events on fd until deadline_ms; 0 when ready, -1 (ETIMEDOUT
 * or poll's errno) otherwise. */
static int
wait_fd(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline_ms - kp_mono_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int
dial(const char *path, int64_t deadline_ms)
{
	struct sockaddr_un sa;
	socklen_t elen = sizeof(int);
	int fd, e = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	/* a full backlog: EAGAIN on Linux, EINPROGRESS elsewhere */
	if ((errno == EINPROGRESS || errno == EAGAIN) &&
	    wait_fd(fd, POLLOUT, deadline_ms) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && e == 0)
		return fd;
	if (e != 0)
		errno = e;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int
send_all(int fd, const struct kp_buf *b, int64_t deadline_ms)
{
	size_t done = 0;
	ssize_t n;

	while (done < b->len) {
		n = send(fd, b->p + done, b->len - done, MSG_NOSIGNAL);
		if (n > 0)
			done += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLOUT, deadline_ms) < 0)
				return -1;
		} else
			return -1;
	}
	return 0;
}

/* Read one answer line; KP_LINE_OK, or the status that ended the wait
 * (errno ETIMEDOUT for a timeout). */
static int
next_line(struct kp_line *lr, char **line, size_t *len, int64_t deadline_ms)
{
	int rc;

	for (;;) {
		rc = kp_line_next(lr, line, len);
		if (rc != KP_LINE_AGAIN)
			return rc;
		if (wait_fd(lr->fd, POLLIN, deadline_ms) < 0)
			return KP_LINE_ERR;
	}
}

/* Read the n answers; the worst of their codes, or KP_EXIT_TEMP. */
static int
answers(const char *path, struct kp_line *lr, struct kc_req *rq, size_t n,
    int64_t deadline_ms, bool plain)
{
	char err[KP_ERRLEN], *line;
	size_t i, len;
	int rc, worst = KP_EXIT_OK;

	for (i = 0; i < n; i++) {
		rc = next_line(lr, &line, &len, deadline_ms);
		if (rc == KP_LINE_EOF) {
			kp_log(KP_LOG_FATAL, "unable to read the answer to %s "
			    "from %s: closed by kite-stream", rq[i].what, path);
			return KP_EXIT_TEMP;
		}
		if (rc == KP_LINE_TOOLONG) {
			kp_log(KP_LOG_FATAL, "unable to read the answer to %s "
			    "from %s: longer than %u bytes", rq[i].what, path,
			    KC_LINE_MAX);
			return KP_EXIT_TEMP;
		}
		if (rc != KP_LINE_OK) {
			kp_log(KP_LOG_FATAL, "unable to read the answer to %s "
			    "from %s:", rq[i].what, path);
			return KP_EXIT_TEMP;
		}
		rc = kc_answer(&rq[i], line, len, plain, err);
		if (rc < 0) {
			kp_log(KP_LOG_FATAL, "unable to read the answer to %s "
			    "from %s: %s", rq[i].what, path, err);
			return KP_EXIT_TEMP;
		}
		if (rc > worst)
			worst = rc;
	}
	return worst;
}

int
kc_run(const char *path, struct kc_req *rq, size_t n, int64_t deadline_ms,
    bool plain)
{
	struct kp_line lr;
	size_t i;
	int fd, rc;

	fd = dial(path, deadline_ms);
	if (fd < 0) {
		kp_log(KP_LOG_FATAL, "unable to connect to %s:", path);
		return KP_EXIT_TEMP;
	}
	for (i = 0; i < n; i++)
		if (send_all(fd, &rq[i].line, deadline_ms) < 0) {
			kp_log(KP_LOG_FATAL, "unable to send %s to %s:",
			    rq[i].what, path);
			close(fd);
			return KP_EXIT_TEMP;
		}
	if (kp_line_init(&lr, fd, KC_LINE_MAX) < 0) {
		close(fd);
		kp_die(KP_EXIT_TEMP, "unable to allocate a line buffer:");
	}
	rc = answers(path, &lr, rq, n, deadline_ms, plain);
	kp_line_free(&lr);
	close(fd);
	return rc;
}
