/* conf.c: env overlay, kp_opt_* exit 100, secrets from env and file. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kp.h"
#include "t.h"

static char tmpdir[] = "/tmp/kp-t-conf-XXXXXX";

/* Run fn in a child with stderr on a pipe; return the exit status and
 * put what it printed in out. */
static int
run_child(void (*fn)(void), char *out, size_t cap)
{
	int fds[2], st = 0;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(fds) == -1)
		abort();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		fn();
		_exit(0);
	}
	close(fds[1]);
	while (n < cap - 1) {
		r = read(fds[0], out + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	out[n] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
bad_ll(void)
{
	kp_opt_ll("-L", "abc", 1, 1048576);
}

static void
bad_ll_range(void)
{
	kp_opt_ll("-L", "0", 1, 1048576);
}

static void
bad_double(void)
{
	kp_opt_double("-r", "1.5", 0, 1);
}

static void
bad_duration(void)
{
	kp_opt_duration_ms("-t", "5d", 100, 60000);
}

static void
bad_size(void)
{
	kp_opt_size("-b", "1T", 1024, 1 << 20);
}

static void
bad_env(void)
{
	long long v = 5;

	setenv("KITEPIPE_T_N", "12x", 1);
	kp_env_ll("KITEPIPE_T_N", 1, 100, &v);
}

static void
bad_control(void)
{
	kp_opt_ll("-n", "a\033[31m", 1, 2);
}

static void
check_exit(void (*fn)(void), const char *want, const char *name)
{
	char out[1024];
	int st;

	st = run_child(fn, out, sizeof out);
	T_EQ_INT(st, 100, name);
	T_EQ_STR(out, want, name);
}

static void
test_opt_exit(void)
{
	check_exit(bad_ll, "t-conf: fatal: -L: bad value 'abc': must be an "
	    "integer between 1 and 1048576\n", "-L abc");
	check_exit(bad_ll_range, "t-conf: fatal: -L: bad value '0': must be "
	    "an integer between 1 and 1048576\n", "-L 0");
	check_exit(bad_double, "t-conf: fatal: -r: bad value '1.5': must be "
	    "a number between 0 and 1\n", "-r 1.5");
	check_exit(bad_duration, "t-conf: fatal: -t: bad value '5d': must be "
	    "a duration (250ms, 1.5s, 2m, 1h; default unit s) between 100ms "
	    "and 1m\n", "-t 5d");
	check_exit(bad_size, "t-conf: fatal: -b: bad value '1T': must be a "
	    "size in bytes (suffix k, M or G allowed) between 1k and 1M\n",
	    "-b 1T");
	check_exit(bad_env, "t-conf: fatal: KITEPIPE_T_N: bad value '12x': "
	    "must be an integer between 1 and 100\n", "bad env value");
	check_exit(bad_control, "t-conf: fatal: -n: bad value 'a?[31m': must "
	    "be an integer between 1 and 2\n", "control bytes not echoed");
}

static void
test_env(void)
{
	long long v = 5, d = 1000, s = 4096;

	unsetenv("KITEPIPE_T_N");
	t_ok(kp_env("KITEPIPE_T_N") == NULL, "unset is NULL");
	setenv("KITEPIPE_T_N", "", 1);
	t_ok(kp_env("KITEPIPE_T_N") == NULL, "empty counts as unset");
	kp_env_ll("KITEPIPE_T_N", 1, 100, &v);
	T_EQ_INT(v, 5, "empty env keeps the default");
	setenv("KITEPIPE_T_N", "42", 1);
	T_EQ_STR(kp_env("KITEPIPE_T_N"), "42", "set is the value");
	kp_env_ll("KITEPIPE_T_N", 1, 100, &v);
	T_EQ_INT(v, 42, "env overlays the default");
	setenv("KITEPIPE_T_D", "1.5s", 1);
	kp_env_duration_ms("KITEPIPE_T_D", 0, 10000, &d);
	T_EQ_INT(d, 1500, "duration from env");
	setenv("KITEPIPE_T_S", "64k", 1);
	kp_env_size("KITEPIPE_T_S", 0, 1 << 20, &s);
	T_EQ_INT(s, 65536, "size from env");
	T_EQ_INT(kp_opt_ll("-L", "7", 1, 10), 7, "kp_opt_ll good value");
	T_NEAR(kp_opt_double("-r", "0.5", 0, 1), 0.5, 0, "kp_opt_double");
	T_EQ_INT(kp_opt_duration_ms("-t", "2m", 0, 600000), 120000,
	    "kp_opt_duration_ms");
	T_EQ_INT(kp_opt_size("-b", "1M", 0, 1 << 20), 1 << 20, "kp_opt_size");
}

static void
write_file(const char *path, const char *data, size_t n)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, data, n) != (ssize_t)n)
		abort();
	close(fd);
}

/* Log the secret through a pipe on fd 2 and return the line. */
static const char *
logged(const char *s)
{
	static char out[256];
	int fds[2], saved;
	ssize_t n;

	saved = dup(2);
	if (pipe(fds) == -1)
		abort();
	dup2(fds[1], 2);
	kp_info("token=%s", s);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, sizeof out - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	return out;
}

static void
test_secret_env(void)
{
	char err[KP_ERRLEN] = "", *s;

	setenv("T_TOKEN", "tok-env-1234 \r\n", 1);
	setenv("T_TOKEN_FILE", "/nonexistent/x", 1);
	s = kp_conf_secret("T_TOKEN", "T_TOKEN_FILE", err);
	T_EQ_STR(s, "tok-env-1234", "secret from env, env wins, CRLF cut");
	T_EQ_STR(logged("tok-env-1234"), "t-conf: info: token=***\n",
	    "env secret registered for redaction");
	free(s);
	setenv("T_TOKEN", " \t\n", 1);
	s = kp_conf_secret("T_TOKEN", NULL, err);
	t_ok(s == NULL, "blank env secret refused");
	T_EQ_STR(err, "T_TOKEN: empty secret", "blank env secret error");
	unsetenv("T_TOKEN");
	s = kp_conf_secret("T_TOKEN", "T_TOKEN_FILE", err);
	t_ok(s == NULL, "missing file refused");
	T_EQ_STR(err, "T_TOKEN_FILE /nonexistent/x: No such file or "
	    "directory", "missing file error text");
	unsetenv("T_TOKEN_FILE");
	s = kp_conf_secret("T_TOKEN", "T_TOKEN_FILE", err);
	t_ok(s == NULL, "neither set");
	T_EQ_STR(err, "neither T_TOKEN nor T_TOKEN_FILE is set",
	    "neither set error text");
	s = kp_conf_secret("T_TOKEN", NULL, err);
	T_EQ_STR(err, "T_TOKEN is not set", "no file variable error text");
}

static void
test_secret_file(void)
{
	char err[KP_ERRLEN] = "", path[64], *s, big[4200];

	snprintf(path, sizeof path, "%s/tok", tmpdir);
	write_file(path, "tok-file-5678\r\nsecond line\n", 27);
	setenv("T_TOKEN_FILE", path, 1);
	s = kp_conf_secret("T_TOKEN", "T_TOKEN_FILE", err);
	T_EQ_STR(s, "tok-file-5678", "first line of the file, CRLF cut");
	T_EQ_STR(logged("xtok-file-5678x"), "t-conf: info: token=x***x\n",
	    "file secret registered for redaction");
	free(s);
	write_file(path, "tok-no-newline", 14);
	s = kp_conf_secret_file(path, err);
	T_EQ_STR(s, "tok-no-newline", "file without a newline");
	free(s);
	write_file(path, "\n", 1);
	s = kp_conf_secret_file(path, err);
	t_ok(s == NULL && strstr(err, ": empty secret") != NULL,
	    "empty file refused (%s)", err);
	memset(big, 'k', sizeof big);
	big[4096] = '\n';
	write_file(path, big, sizeof big);
	s = kp_conf_secret_file(path, err);
	t_ok(s != NULL && strlen(s) == 4096, "4096-byte secret accepted");
	free(s);
	big[4096] = 'k';
	write_file(path, big, sizeof big);
	s = kp_conf_secret_file(path, err);
	t_ok(s == NULL && strstr(err, "longer than 4096") != NULL &&
	    strstr(err, "kkkk") == NULL, "4097 bytes refused");
	s = kp_conf_secret_file(tmpdir, err);
	t_ok(s == NULL && strstr(err, "Is a directory") != NULL,
	    "directory refused (%s)", err);
	unlink(path);
}

int
main(void)
{
	kp_log_init("t-conf");
	if (mkdtemp(tmpdir) == NULL)
		abort();
	test_opt_exit();
	test_env();
	test_secret_env();
	test_secret_file();
	rmdir(tmpdir);
	return t_done();
}
