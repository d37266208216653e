/* log.c: line format, levels, strerror, redaction, cuts, a full pipe. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kp.h"
#include "t.h"

#define SECRET "s3cr3t-token"

static int cap_fd = -1;		/* read end of the pipe on fd 2 */
static int cap_orig = -1;	/* another write end, opened before init */
static int saved_err = -1;	/* the real stderr */

static void
capture_start(void)
{
	int fds[2];

	if (pipe(fds) == -1 || dup2(fds[1], 2) == -1)
		abort();
	cap_orig = fds[1];
	cap_fd = fds[0];
	fcntl(cap_fd, F_SETFL, O_NONBLOCK);
}

static void
capture_end(void)
{
	dup2(saved_err, 2);
	close(cap_orig);
	close(cap_fd);
	cap_orig = cap_fd = -1;
}

/* Everything written to fd 2 so far, NUL-terminated. */
static const char *
captured(void)
{
	static char buf[16384];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof buf - 1) {
		r = read(cap_fd, buf + n, sizeof buf - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return buf;
}

static void
test_not_a_pipe(void)
{
	char path[] = "/tmp/kp-t-log-XXXXXX", buf[256];
	ssize_t n;
	int fd;

	fd = mkstemp(path);
	unlink(path);
	dup2(fd, 2);
	kp_log_init("t-log");
	t_ok(!(fcntl(2, F_GETFL) & O_NONBLOCK),
	    "stderr on a file stays blocking");
	kp_info("hello %d", 42);
	n = pread(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	T_EQ_STR(buf, "t-log: info: hello 42\n", "line on a file");
	dup2(saved_err, 2);
	close(fd);
	T_EQ_STR(kp_log_prog(), "t-log", "kp_log_prog");
}

static void
test_pipe_nonblock(void)
{
	kp_log_init("t-log");
	t_ok(fcntl(2, F_GETFL) & O_NONBLOCK, "stderr pipe made non-blocking");
	t_ok(!(fcntl(cap_orig, F_GETFL) & O_NONBLOCK),
	    "other holders of the pipe are not affected");
}

static void
test_levels(void)
{
	kp_warn("x=%s", "y");
	T_EQ_STR(captured(), "t-log: warning: x=y\n", "warning line");
	kp_log(KP_LOG_FATAL, "f");
	kp_info("i");
	kp_debug("hidden");
	T_EQ_STR(captured(), "t-log: fatal: f\nt-log: info: i\n",
	    "default level hides debug");
	kp_log_set_level(KP_LOG_DEBUG);
	kp_debug("d");
	T_EQ_STR(captured(), "t-log: debug: d\n", "debug shown at level 3");
	kp_log_set_level(KP_LOG_WARN);
	kp_info("hidden");
	kp_warn("w");
	T_EQ_STR(captured(), "t-log: warning: w\n", "level 1 hides info");
	kp_log_set_level(99);
	T_EQ_INT(kp_log_get_level(), KP_LOG_DEBUG, "level clamped high");
	kp_log_set_level(-3);
	T_EQ_INT(kp_log_get_level(), KP_LOG_FATAL, "level clamped low");
	kp_warn("hidden");
	kp_log(KP_LOG_FATAL, "still");
	T_EQ_STR(captured(), "t-log: fatal: still\n", "fatal always shown");
	kp_log_set_level(KP_LOG_INFO);
}

static void
test_errno(void)
{
	errno = ENOENT;
	kp_warn("unable to open %s:", "/x");
	T_EQ_INT(errno, ENOENT, "errno preserved");
	T_EQ_STR(captured(),
	    "t-log: warning: unable to open /x: No such file or directory\n",
	    "trailing ':' appends strerror");
	errno = EACCES;
	kp_info("a colon: inside");
	T_EQ_INT(errno, EACCES, "errno preserved without ':'");
	T_EQ_STR(captured(), "t-log: info: a colon: inside\n",
	    "':' inside the message is plain text");
}

static void
test_redact(void)
{
	kp_log_redact(SECRET);
	kp_log_redact("abc");
	kp_log_redact("abcdEFGH");
	kp_log_redact("abcd");
	kp_info("token=%s and again %s!", SECRET, SECRET);
	T_EQ_STR(captured(), "t-log: info: token=*** and again ***!\n",
	    "every occurrence redacted");
	kp_info("abc abcdEFGHx abcdx");
	T_EQ_STR(captured(), "t-log: info: abc ***x ***x\n",
	    "short secret ignored, longest match wins");
	kp_log_raw("{\"t\":\"" SECRET "\"}\n", 21);
	T_EQ_STR(captured(), "{\"t\":\"***\"}\n", "raw line redacted");
	kp_log_raw("no newline", 10);
	T_EQ_STR(captured(), "no newline\n", "raw line gets its newline");
}

/* A message of `pad` 'a's, then the secret, then more 'a's. */
static const char *
cut_line(size_t pad)
{
	static char msg[6000];

	memset(msg, 'a', sizeof msg - 1);
	msg[sizeof msg - 1] = '\0';
	memcpy(msg + pad, SECRET, strlen(SECRET));
	kp_info("%s", msg);
	return captured();
}

static void
test_cut(void)
{
	const char *out;
	size_t n, i;
	int plain = 1;

	out = cut_line(5000);
	n = strlen(out);
	T_EQ_INT(n, KP_LOG_LINE_MAX, "long line cut at 4 KiB");
	t_ok(n > 4 && strcmp(out + n - 4, "...\n") == 0, "cut marked ...");
	t_ok(strspn(out + 13, "a") == n - 17, "all of the text up to the cut");
	out = cut_line(10);
	t_ok(strncmp(out, "t-log: info: aaaaaaaaaa***a", 27) == 0,
	    "redacted before the cut");
	for (i = 0; i < 2; i++) {
		/* Secret straddles the 4 KiB cut: 5 or 10 bytes of it fit. */
		out = cut_line(i == 0 ? 4077 : 4072);
		n = strlen(out);
		plain = plain && strstr(out, "s3") == NULL;
		t_ok(n <= KP_LOG_LINE_MAX && strcmp(out + n - 4, "...\n") == 0,
		    "straddling line %zu cut (%zu bytes)", i, n);
	}
	t_ok(plain, "no prefix of a secret cut at 4 KiB");
}

static void
test_full_pipe(void)
{
	char junk[4096];
	uint64_t before;

	memset(junk, 'j', sizeof junk);
	while (write(2, junk, sizeof junk) > 0)
		;
	t_ok(errno == EAGAIN, "pipe filled");
	before = kp_log_dropped();
	alarm(5);	/* a blocking write would kill the test here */
	kp_warn("nobody reads this");
	kp_warn("nor this");
	alarm(0);
	T_EQ_INT(kp_log_dropped() - before, 2, "two lines dropped, counted");
	while (read(cap_fd, junk, sizeof junk) > 0)
		;
	kp_info("after drain");
	T_EQ_STR(captured(), "t-log: info: after drain\n", "logs again");
}

static void
test_die(void)
{
	pid_t pid;
	int st = 0;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		kp_die(111, "boom %d", 7);
	waitpid(pid, &st, 0);
	t_ok(WIFEXITED(st) && WEXITSTATUS(st) == 111, "kp_die exits with code");
	T_EQ_STR(captured(), "t-log: fatal: boom 7\n", "kp_die line");
}

/* Whether p[0..len) is one whole line written by test_atomic_lines. */
static int
whole_line(const char *p, size_t len)
{
	char line[512];
	int i, j, off = 0;

	if (len >= sizeof line)
		return 0;
	memcpy(line, p, len);
	line[len] = '\0';
	if (sscanf(line, "t-log: info: writer %d line %d %n", &i, &j,
	    &off) != 2 || off == 0)
		return 0;
	return len - (size_t)off == 200 &&
	    strspn(line + off, "0") == 200;
}

/* Consume the whole lines at the start of buf; return the bytes used. */
static size_t
check_lines(const char *buf, size_t have, int *whole, int *lines)
{
	const char *p = buf, *nl;

	for (;;) {
		nl = memchr(p, '\n', have - (size_t)(p - buf));
		if (nl == NULL)
			return (size_t)(p - buf);
		*whole = *whole && whole_line(p, (size_t)(nl - p));
		(*lines)++;
		p = nl + 1;
	}
}

/* Four writers at once: every line arrives whole (one write(2) each). */
static void
test_atomic_lines(void)
{
	char buf[65536];
	int i, j, whole = 1, lines = 0;
	size_t have = 0, used;
	ssize_t r;

	fcntl(cap_fd, F_SETFL, 0);
	fflush(stdout);
	for (i = 0; i < 4; i++) {
		if (fork() == 0) {
			for (j = 0; j < 300; j++)
				kp_info("writer %d line %d %0200d", i, j, 0);
			_exit(0);
		}
	}
	dup2(saved_err, 2);
	close(cap_orig);
	cap_orig = -1;
	while ((r = read(cap_fd, buf + have, sizeof buf - have)) > 0) {
		have += (size_t)r;
		used = check_lines(buf, have, &whole, &lines);
		have -= used;
		memmove(buf, buf + used, have);
	}
	while (wait(NULL) > 0)
		;
	t_ok(whole && have == 0, "%d concurrent lines, all whole", lines);
	t_ok(lines > 0, "some lines arrived");
}

int
main(void)
{
	saved_err = dup(2);
	test_not_a_pipe();
	capture_start();
	test_pipe_nonblock();
	test_levels();
	test_errno();
	test_redact();
	test_cut();
	test_full_pipe();
	test_die();
	test_atomic_lines();
	capture_end();
	return t_done();
}
