/* sig.c: signals as pending flags plus a self-pipe for poll(2). */
/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1	/* pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"

static const int sig_list[] = {
	SIGTERM,
	SIGINT,
	SIGHUP,
	SIGUSR1,
	SIGALRM
};
#define SIG_COUNT (sizeof sig_list / sizeof sig_list[0])

static volatile sig_atomic_t sig_pending[SIG_COUNT];
static volatile sig_atomic_t sig_stop;
static volatile sig_atomic_t sig_wfd = -1;
static int sig_rfd = -1;

/* Index of sig in sig_list, or -1 (async-signal-safe). */
static int
sig_slot(int sig)
{
	size_t i;

	for (i = 0; i < SIG_COUNT; i++)
		if (sig_list[i] == sig)
			return (int)i;
	return -1;
}

static void
sig_handler(int sig)
{
	int saved = errno, slot;
	char c = (char)sig;

	slot = sig_slot(sig);
	if (slot >= 0)
		sig_pending[slot] = 1;
	if (sig == SIGTERM || sig == SIGINT)
		sig_stop = 1;
	if (sig_wfd >= 0)
		(void)!write(sig_wfd, &c, 1);
	errno = saved;
}

static int
sig_install(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = sig_handler;
	sa.sa_flags = 0;	/* no SA_RESTART: blocking calls get EINTR */
	for (i = 0; i < SIG_COUNT; i++)
		if (sigaction(sig_list[i], &sa, NULL) == -1)
			return -1;
	return 0;
}

int
kp_sig_init(void)
{
	int fds[2], e;

	if (sig_rfd >= 0)
		return sig_rfd;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	sig_rfd = fds[0];
	sig_wfd = fds[1];
	if (sig_install() == -1) {
		e = errno;
		sig_wfd = -1;
		close(fds[0]);
		close(fds[1]);
		sig_rfd = -1;
		errno = e;
		return -1;
	}
	return sig_rfd;
}

int
kp_sig_take(int sig)
{
	int slot;

	slot = sig_slot(sig);
	if (slot < 0 || !sig_pending[slot])
		return 0;
	sig_pending[slot] = 0;
	return 1;
}

int
kp_sig_stopping(void)
{
	return sig_stop != 0;
}

void
kp_sig_drain(void)
{
	char buf[64];
	ssize_t r;
	int saved = errno;

	if (sig_rfd < 0)
		return;
	do
		r = read(sig_rfd, buf, sizeof buf);
	while (r > 0 || (r == -1 && errno == EINTR));
	errno = saved;
}
