/* out.c: buffered output to a file descriptor, with sticky errors. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"

void
kp_out_init(struct kp_out *o, int fd, size_t cap)
{
	o->fd = fd;
	o->err = 0;
	o->buf = kp_xmalloc(cap);
	o->len = 0;
	o->cap = cap;
	o->bytes = 0;
}

void
kp_out_free(struct kp_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

/* Wait until fd can take more (it was non-blocking and full). */
static void
wait_writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	(void)poll(&p, 1, -1);
}

/* Write out the buffer; on EAGAIN wait for room, or (nowait) stop. */
static int
flush(struct kp_out *o, int nowait)
{
	size_t done = 0;

	while (done < o->len && o->err == 0) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n > 0) {
			done += (size_t)n;
			o->bytes += (uint64_t)n;
		} else if (n < 0 && errno == EINTR) {
			if (!nowait && kp_sig_stopping())
				break;
		} else if (n < 0 && errno == EAGAIN) {
			if (nowait)
				break;
			wait_writable(o->fd);
		} else {
			o->err = n < 0 ? errno : EIO;
		}
	}
	if (o->err != 0)
		done = o->len;
	memmove(o->buf, o->buf + done, o->len - done);
	o->len -= done;
	if (o->err != 0) {
		errno = o->err;
		return -1;
	}
	return o->len == 0 ? 0 : -1;
}

int
kp_out_flush(struct kp_out *o)
{
	return flush(o, 0);
}

int
kp_out_flush_nowait(struct kp_out *o)
{
	return flush(o, 1);
}

char *
kp_out_room(struct kp_out *o, size_t n)
{
	if (o->cap - o->len < n)
		(void)kp_out_flush(o);
	if (o->cap - o->len < n)
		return NULL;
	return o->buf + o->len;
}

void
kp_out_commit(struct kp_out *o, size_t n)
{
	if (o->err == 0)
		o->len += n;
}

int
kp_out_write(struct kp_out *o, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		size_t k;
		char *dst = kp_out_room(o, 1);

		if (dst == NULL)
			return -1;
		k = o->cap - o->len;
		if (k > n)
			k = n;
		memcpy(dst, s, k);
		kp_out_commit(o, k);
		s += k;
		n -= k;
	}
	return o->err ? -1 : 0;
}

int
kp_out_error(const struct kp_out *o)
{
	return o->err;
}

void
kp_fds_ensure(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(KP_EXIT_TEMP);
	}
}
