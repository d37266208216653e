/* sig.c: pending flags, the self-pipe, no SA_RESTART, SIGPIPE ignored. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kp.h"
#include "t.h"

static const struct {
	int sig;
	const char *name;
} sigs[] = {
	{ SIGHUP, "SIGHUP" },
	{ SIGUSR1, "SIGUSR1" },
	{ SIGALRM, "SIGALRM" },
	{ SIGINT, "SIGINT" },
	{ SIGTERM, "SIGTERM" },
};

/* Bytes waiting in the self-pipe (read them all). */
static int
pipe_bytes(int fd, char *last)
{
	char buf[64];
	ssize_t r;
	int n = 0;

	while ((r = read(fd, buf, sizeof buf)) > 0) {
		n += (int)r;
		*last = buf[r - 1];
	}
	return n;
}

static void
test_each(int rfd)
{
	size_t i;
	char last = 0;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		t_ok(!kp_sig_take(sigs[i].sig), "%s not pending before",
		    sigs[i].name);
		t_ok(!kp_sig_stopping() || sigs[i].sig == SIGTERM,
		    "not stopping before %s", sigs[i].name);
		raise(sigs[i].sig);
		t_ok(pipe_bytes(rfd, &last) == 1 && last == (char)sigs[i].sig,
		    "%s: one byte in the self-pipe", sigs[i].name);
		t_ok(kp_sig_take(sigs[i].sig), "%s pending", sigs[i].name);
		t_ok(!kp_sig_take(sigs[i].sig), "%s cleared by take",
		    sigs[i].name);
	}
	t_ok(kp_sig_stopping(), "stopping after SIGINT/SIGTERM, even taken");
}

static void
test_flags(int rfd)
{
	struct sigaction sa;
	int fds[2], fl;
	char last;

	fl = fcntl(rfd, F_GETFL);
	t_ok(fl != -1 && (fl & O_NONBLOCK), "self-pipe is non-blocking");
	t_ok(fcntl(rfd, F_GETFD) & FD_CLOEXEC, "self-pipe is close-on-exec");
	sigaction(SIGTERM, NULL, &sa);
	t_ok(!(sa.sa_flags & SA_RESTART), "SIGTERM without SA_RESTART");
	sigaction(SIGPIPE, NULL, &sa);
	t_ok(sa.sa_handler == SIG_IGN, "SIGPIPE ignored");
	if (pipe(fds) == -1)
		abort();
	close(fds[0]);
	errno = 0;
	t_ok(write(fds[1], "x", 1) == -1 && errno == EPIPE,
	    "write to a closed pipe gives EPIPE and we live");
	close(fds[1]);
	raise(SIGHUP);
	raise(SIGUSR1);
	kp_sig_drain();
	T_EQ_INT(pipe_bytes(rfd, &last), 0, "kp_sig_drain empties the pipe");
	t_ok(kp_sig_take(SIGHUP) && kp_sig_take(SIGUSR1),
	    "drain leaves the flags");
	T_EQ_INT(kp_sig_init(), rfd, "second init returns the same fd");
	t_ok(!kp_sig_take(SIGQUIT), "unknown signal never pending");
}

static void
test_eintr(void)
{
	int fds[2];
	char c;

	pid_t pid;

	if (pipe(fds) == -1)
		abort();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Ends the read should SA_RESTART have swallowed the EINTR. */
		sleep(3);
		_exit(write(fds[1], "x", 1) != 1);
	}
	alarm(1);
	errno = 0;
	t_ok(read(fds[0], &c, 1) == -1 && errno == EINTR,
	    "blocking read interrupted by SIGALRM");
	t_ok(kp_sig_take(SIGALRM), "SIGALRM pending after EINTR");
	kp_sig_drain();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	int rfd;

	t_ok(!kp_sig_stopping(), "not stopping at start");
	rfd = kp_sig_init();
	t_ok(rfd > 2, "kp_sig_init returns the pipe");
	test_each(rfd);
	test_flags(rfd);
	test_eintr();
	return t_done();
}
