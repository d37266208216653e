/* line.c: the bounded line reader across reads, limits, CRLF, EOF. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kp.h"
#include "t.h"

#define BIG_LINES 20000
#define BIG_MAX 300
#define BIG_LONG 2000

/* Line i (from 1) of the big stream: its length and whether CRLF. */
static size_t
big_len(int i)
{
	if (i % 997 == 0)
		return BIG_LONG;
	return (size_t)(i * 7919) % BIG_MAX;
}

static char
big_char(int i)
{
	return (char)('a' + i % 26);
}

/* The whole stream; the last line has no '\n'. */
static char *
big_stream(size_t *n)
{
	size_t len, cap = (size_t)BIG_LINES * (BIG_MAX + 2) + 100 * BIG_LONG;
	char *p = malloc(cap), *q = p;
	int i;

	for (i = 1; i <= BIG_LINES; i++) {
		len = big_len(i);
		memset(q, big_char(i), len);
		q += len;
		if (i % 5 == 0 && len < BIG_MAX)
			*q++ = '\r';
		if (i < BIG_LINES)
			*q++ = '\n';
	}
	*n = (size_t)(q - p);
	return p;
}

/* Write p in uneven chunks of 1 to 1000 bytes, then exit. */
static void
big_writer(int fd, const char *p, size_t n)
{
	unsigned seed = 12345;
	size_t k;
	ssize_t w;

	while (n > 0) {
		seed = seed * 1103515245u + 12345u;
		k = 1 + (seed >> 16) % 1000;
		if (k > n)
			k = n;
		w = write(fd, p, k);
		if (w <= 0)
			_exit(1);
		p += w;
		n -= (size_t)w;
	}
	_exit(0);
}

/* Check one result of the big stream; return 1 when it is right. */
static int
big_check(struct kp_line *lr, int st, const char *line, size_t len)
{
	int i = (int)lr->lineno;
	size_t want = big_len(i);
	char c[2] = { big_char(i), '\0' };

	if (lr->end > lr->max + 1 || lr->start > lr->end)
		return 0;
	if (want > BIG_MAX || (want == BIG_MAX && i % 5 == 0))
		return st == KP_LINE_TOOLONG;
	if (st != KP_LINE_OK || len != want || line[len] != '\0')
		return 0;
	return strspn(line, c) == len;
}

static void
test_big_stream(void)
{
	struct kp_line lr;
	size_t n, len;
	char *data, *line;
	int fds[2], st, good = 1, toolong = 0;
	uint64_t seen = 0;

	data = big_stream(&n);
	if (pipe(fds) == -1)
		abort();
	fflush(stdout);
	if (fork() == 0) {
		close(fds[0]);
		big_writer(fds[1], data, n);
	}
	close(fds[1]);
	kp_line_init(&lr, fds[0], BIG_MAX);
	for (;;) {
		st = kp_line_next(&lr, &line, &len);
		if (st == KP_LINE_EOF || st == KP_LINE_ERR)
			break;
		toolong += st == KP_LINE_TOOLONG;
		if (lr.lineno != seen + 1 || !big_check(&lr, st, line, len)) {
			if (good)
				t_diag("line %llu wrong (status %d, len %zu)",
				    (unsigned long long)lr.lineno, st, len);
			good = 0;
		}
		seen = lr.lineno;
	}
	T_EQ_INT(st, KP_LINE_EOF, "big stream ends in EOF");
	t_ok(good, "20000 lines through uneven reads, numbered right");
	T_EQ_INT(lr.lineno, BIG_LINES, "last line (no newline) counted");
	T_EQ_INT(toolong, BIG_LINES / 997, "overlong lines reported once");
	kp_line_free(&lr);
	close(fds[0]);
	wait(NULL);
	free(data);
}

static int
next(struct kp_line *lr, const char **s)
{
	char *line = NULL;
	size_t len = 0;
	int st;

	st = kp_line_next(lr, &line, &len);
	*s = st == KP_LINE_OK ? line : "";
	if (st == KP_LINE_OK && strlen(line) != len)
		return 99;
	return st;
}

static void
put(int fd, const char *s)
{
	size_t n = strlen(s);

	if (write(fd, s, n) != (ssize_t)n)
		abort();
}

#define EXPECT(want_st, want_s, name) do { \
	const char *s_; \
	int st_ = next(&lr, &s_); \
	t_ok(st_ == (want_st) && strcmp(s_, (want_s)) == 0, "%s", name); \
	if (st_ != (want_st) || strcmp(s_, (want_s)) != 0) \
		t_diag("  got %d '%s'", st_, s_); \
} while (0)

/* max = 16, data fed by hand through a non-blocking pipe. */
static void
test_limits(void)
{
	struct kp_line lr;
	int fds[2], i;

	if (pipe(fds) == -1)
		abort();
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	kp_line_init(&lr, fds[0], 16);
	EXPECT(KP_LINE_AGAIN, "", "empty non-blocking pipe: AGAIN");
	put(fds[1], "0123456789abc");
	EXPECT(KP_LINE_AGAIN, "", "partial line: AGAIN");
	put(fds[1], "def\n");
	EXPECT(KP_LINE_OK, "0123456789abcdef", "exactly max bytes is OK");
	put(fds[1], "0123456789abcdefg\nok\n");
	EXPECT(KP_LINE_TOOLONG, "", "max + 1 bytes is TOOLONG");
	T_EQ_INT(lr.lineno, 2, "TOOLONG carries its line number");
	EXPECT(KP_LINE_OK, "ok", "line after TOOLONG");
	for (i = 0; i < 10; i++)
		put(fds[1], "xxxxxxx");
	EXPECT(KP_LINE_TOOLONG, "", "overlong line reported early");
	T_EQ_INT(lr.lineno, 4, "overlong line number");
	for (i = 0; i < 10; i++) {
		put(fds[1], "yyyyyyyyyy");
		EXPECT(KP_LINE_AGAIN, "", "still skipping");
	}
	put(fds[1], "zz\n\n\nab\r\n\r\na\rb\n");
	EXPECT(KP_LINE_OK, "", "empty line after the skipped one");
	T_EQ_INT(lr.lineno, 5, "numbering resumes after the long line");
	EXPECT(KP_LINE_OK, "", "second empty line");
	EXPECT(KP_LINE_OK, "ab", "CRLF stripped");
	EXPECT(KP_LINE_OK, "", "lone CRLF is an empty line");
	EXPECT(KP_LINE_OK, "a\rb", "inner CR kept");
	put(fds[1], "0123456789abcdef\r\n");
	EXPECT(KP_LINE_TOOLONG, "", "CR counts towards max");
	put(fds[1], "x\n0123456789abcdef");
	EXPECT(KP_LINE_OK, "x", "line before a full-size last line");
	EXPECT(KP_LINE_AGAIN, "", "last line not ended yet");
	close(fds[1]);
	EXPECT(KP_LINE_OK, "0123456789abcdef", "max-size last line at EOF");
	T_EQ_INT(lr.lineno, 12, "line count at EOF");
	EXPECT(KP_LINE_EOF, "", "then EOF");
	EXPECT(KP_LINE_EOF, "", "EOF again");
	kp_line_free(&lr);
	close(fds[0]);
}

static void
test_eof_cases(void)
{
	struct kp_line lr;
	int fds[2];

	if (pipe(fds) == -1)
		abort();
	kp_line_init(&lr, fds[0], 8);
	put(fds[1], "a\nlast");
	close(fds[1]);
	EXPECT(KP_LINE_OK, "a", "first line");
	EXPECT(KP_LINE_OK, "last", "no trailing newline at EOF");
	EXPECT(KP_LINE_EOF, "", "EOF");
	kp_line_free(&lr);
	close(fds[0]);
	if (pipe(fds) == -1)
		abort();
	kp_line_init(&lr, fds[0], 8);
	put(fds[1], "123456789012");
	close(fds[1]);
	EXPECT(KP_LINE_TOOLONG, "", "overlong unterminated last line");
	EXPECT(KP_LINE_EOF, "", "then EOF, not a fragment");
	kp_line_free(&lr);
	close(fds[0]);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

static void
test_eintr(void)
{
	struct sigaction sa;
	struct kp_line lr;
	int fds[2], st;
	char *line;
	size_t len;
	pid_t pid;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	if (pipe(fds) == -1)
		abort();
	kp_line_init(&lr, fds[0], 64);
	put(fds[1], "half");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Ends the read should the reader retry EINTR itself. */
		sleep(3);
		put(fds[1], "!\n");
		_exit(0);
	}
	alarm(1);
	st = kp_line_next(&lr, &line, &len);
	t_ok(st == KP_LINE_ERR && errno == EINTR, "EINTR reported");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	put(fds[1], " and half\n");
	st = kp_line_next(&lr, &line, &len);
	t_ok(st == KP_LINE_OK && strcmp(line, "half and half") == 0,
	    "nothing lost across EINTR");
	kp_line_free(&lr);
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	struct kp_line lr;

	test_big_stream();
	test_limits();
	test_eof_cases();
	test_eintr();
	errno = 0;
	t_ok(kp_line_init(&lr, 0, (size_t)-1) == -1 && errno == EINVAL,
	    "max + 1 overflow refused");
	return t_done();
}
