/* ready.c: s6 notification fd and NOTIFY_SOCKET (path and abstract). */
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
#include "t.h"

static void
test_check_fd(void)
{
	int fds[2], fd;

	errno = 0;
	t_ok(kp_ready_check_fd(0) == -1 && errno == EINVAL, "fd 0 refused");
	errno = 0;
	t_ok(kp_ready_check_fd(1) == -1 && errno == EINVAL, "fd 1 refused");
	errno = 0;
	t_ok(kp_ready_check_fd(2) == -1 && errno == EINVAL, "fd 2 refused");
	errno = 0;
	t_ok(kp_ready_check_fd(-1) == -1 && errno == EINVAL, "fd -1 refused");
	if (pipe(fds) == -1)
		abort();
	T_EQ_INT(kp_ready_check_fd(fds[1]), 0, "open write end accepted");
	errno = 0;
	t_ok(kp_ready_check_fd(fds[0]) == -1 && errno == EBADF,
	    "read-only end refused");
	fd = fds[1];
	close(fds[0]);
	close(fds[1]);
	errno = 0;
	t_ok(kp_ready_check_fd(fd) == -1 && errno == EBADF,
	    "closed fd refused");
}

static void
test_notify_fd(void)
{
	char buf[8];
	int fds[2];
	ssize_t n;

	unsetenv("NOTIFY_SOCKET");
	if (pipe(fds) == -1)
		abort();
	T_EQ_INT(kp_ready_notify(fds[1]), 0, "notify returns 0");
	n = read(fds[0], buf, sizeof buf);
	t_ok(n == 1 && buf[0] == '\n', "a newline was written");
	n = read(fds[0], buf, sizeof buf);
	T_EQ_INT(n, 0, "then EOF: the fd was closed");
	t_ok(fcntl(fds[1], F_GETFD) == -1 && errno == EBADF,
	    "our copy is closed");
	close(fds[0]);
	T_EQ_INT(kp_ready_notify(-1), 0, "no fd, no socket: nothing to do");
	T_EQ_INT(kp_ready_sd("STOPPING=1"), 0, "sd without NOTIFY_SOCKET");
}

/* Bind a datagram socket at name ('@' = abstract); return it. */
static int
bind_dgram(const char *name)
{
	struct sockaddr_un sa;
	size_t n = strlen(name);
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) == -1)
		abort();
	return fd;
}

static const char *
recv_msg(int fd)
{
	static char buf[128];
	ssize_t n;

	n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_socket(const char *name, const char *what)
{
	int fd, fds[2];
	char c;

	fd = bind_dgram(name);
	setenv("NOTIFY_SOCKET", name, 1);
	if (pipe(fds) == -1)
		abort();
	t_ok(kp_ready_notify(fds[1]) == 0, "%s: notify ok", what);
	T_EQ_STR(recv_msg(fd), "READY=1", what);
	t_ok(read(fds[0], &c, 1) == 1 && c == '\n', "%s: fd too", what);
	t_ok(kp_ready_sd("STATUS=connected") == 0, "%s: sd ok", what);
	T_EQ_STR(recv_msg(fd), "STATUS=connected", what);
	close(fds[0]);
	close(fd);
}

static void
test_bad_socket(void)
{
	char path[128];

	snprintf(path, sizeof path, "/tmp/kp-t-ready-none-%ld",
	    (long)getpid());
	setenv("NOTIFY_SOCKET", path, 1);
	errno = 0;
	t_ok(kp_ready_notify(-1) == -1 && errno == ENOENT,
	    "missing socket reported (%s)", strerror(errno));
	setenv("NOTIFY_SOCKET", "vsock:2:3", 1);
	t_ok(kp_ready_sd("READY=1") == -1, "unsupported address refused");
	unsetenv("NOTIFY_SOCKET");
}

int
main(void)
{
	char dir[] = "/tmp/kp-t-ready-XXXXXX", path[128], abst[64];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/notify", dir);
	snprintf(abst, sizeof abst, "@kp-t-ready-%ld", (long)getpid());
	test_check_fd();
	test_notify_fd();
	test_socket(path, "path socket");
	test_socket(abst, "abstract socket");
	test_bad_socket();
	unlink(path);
	rmdir(dir);
	return t_done();
}
