/* ready.c: readiness notification, s6 style and sd_notify by hand. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kp.h"

int
kp_ready_check_fd(int fd)
{
	int fl;

	if (fd < 3) {
		errno = EINVAL;
		return -1;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl == -1)
		return -1;
	if ((fl & O_ACCMODE) == O_RDONLY) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

/* Fill *sa from $NOTIFY_SOCKET ('@' is the abstract namespace). */
static int
ready_addr(const char *path, struct sockaddr_un *sa, socklen_t *salen)
{
	size_t n = strlen(path);

	if (path[0] != '/' && path[0] != '@') {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (n >= sizeof sa->sun_path || n < 2) {
		errno = EINVAL;
		return -1;
	}
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@')
		sa->sun_path[0] = '\0';
	*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

int
kp_ready_sd(const char *state)
{
	struct sockaddr_un sa;
	socklen_t salen;
	const char *path;
	ssize_t r;
	int fd, e;

	path = kp_env("NOTIFY_SOCKET");
	if (path == NULL)
		return 0;
	if (ready_addr(path, &sa, &salen) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	do
		r = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		    (struct sockaddr *)&sa, salen);
	while (r == -1 && errno == EINTR);
	e = errno;
	close(fd);
	errno = e;
	return r == -1 ? -1 : 0;
}

/* s6: write a newline to the notification fd, then close it. */
static int
ready_fd(int fd)
{
	ssize_t r;
	int e;

	do
		r = write(fd, "\n", 1);
	while (r == -1 && errno == EINTR);
	e = r == 0 ? EIO : errno;
	if (close(fd) == -1 && r == 1)
		return -1;
	errno = e;
	return r == 1 ? 0 : -1;
}

int
kp_ready_notify(int fd)
{
	int rc = 0, e = 0;

	if (fd >= 0 && ready_fd(fd) == -1) {
		rc = -1;
		e = errno;
	}
	if (kp_ready_sd("READY=1") == -1) {
		if (rc == 0)
			e = errno;
		rc = -1;
	}
	if (rc == -1)
		errno = e;
	return rc;
}
