/* conf.c: option and environment parsing, secrets from env or file. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"

#define SECRET_MAX 4096

/* Copy s for an error message: at most cap - 4 bytes, controls as '?'. */
static void
conf_shown(char *dst, size_t cap, const char *s)
{
	size_t i;
	unsigned char c;

	for (i = 0; s[i] != '\0' && i + 4 < cap; i++) {
		c = (unsigned char)s[i];
		dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (s[i] != '\0') {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

static void
conf_bad(const char *what, const char *s, const char *want)
{
	char shown[80];

	conf_shown(shown, sizeof shown, s);
	kp_die(KP_EXIT_PERM, "%s: bad value '%s': %s", what, shown, want);
}

/* A duration in its largest whole unit: "90s", "2m", "1500ms". */
static void
conf_fmt_ms(char *dst, size_t cap, long long ms)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(dst, cap, "%lldh", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(dst, cap, "%lldm", ms / 60000);
	else if (ms != 0 && ms % 1000 == 0)
		snprintf(dst, cap, "%llds", ms / 1000);
	else
		snprintf(dst, cap, "%lldms", ms);
}

/* A size in its largest whole unit: "64k", "1M", "1000". */
static void
conf_fmt_size(char *dst, size_t cap, long long n)
{
	if (n != 0 && n % (1LL << 30) == 0)
		snprintf(dst, cap, "%lldG", n >> 30);
	else if (n != 0 && n % (1LL << 20) == 0)
		snprintf(dst, cap, "%lldM", n >> 20);
	else if (n != 0 && n % (1LL << 10) == 0)
		snprintf(dst, cap, "%lldk", n >> 10);
	else
		snprintf(dst, cap, "%lld", n);
}

long long
kp_opt_ll(const char *what, const char *s, long long min, long long max)
{
	char want[192];
	long long v;

	if (kp_num_ll(s, min, max, &v) == 0)
		return v;
	snprintf(want, sizeof want, "must be an integer between %lld and %lld",
	    min, max);
	conf_bad(what, s, want);
	return 0;
}

double
kp_opt_double(const char *what, const char *s, double min, double max)
{
	char want[192];
	double v;

	if (kp_num_double(s, min, max, &v) == 0)
		return v;
	snprintf(want, sizeof want, "must be a number between %g and %g",
	    min, max);
	conf_bad(what, s, want);
	return 0;
}

long long
kp_opt_duration_ms(const char *what, const char *s, long long min_ms,
    long long max_ms)
{
	char want[192], lo[32], hi[32];
	long long v;

	if (kp_num_duration_ms(s, min_ms, max_ms, &v) == 0)
		return v;
	conf_fmt_ms(lo, sizeof lo, min_ms);
	conf_fmt_ms(hi, sizeof hi, max_ms);
	snprintf(want, sizeof want, "must be a duration (250ms, 1.5s, 2m, "
	    "1h; default unit s) between %s and %s", lo, hi);
	conf_bad(what, s, want);
	return 0;
}

long long
kp_opt_size(const char *what, const char *s, long long min, long long max)
{
	char want[192], lo[32], hi[32];
	long long v;

	if (kp_num_size(s, min, max, &v) == 0)
		return v;
	conf_fmt_size(lo, sizeof lo, min);
	conf_fmt_size(hi, sizeof hi, max);
	snprintf(want, sizeof want, "must be a size in bytes (suffix k, M "
	    "or G allowed) between %s and %s", lo, hi);
	conf_bad(what, s, want);
	return 0;
}

const char *
kp_env(const char *name)
{
	const char *v;

	v = getenv(name);
	return v != NULL && *v != '\0' ? v : NULL;
}

void
kp_env_ll(const char *name, long long min, long long max, long long *val)
{
	const char *s;

	s = kp_env(name);
	if (s != NULL)
		*val = kp_opt_ll(name, s, min, max);
}

void
kp_env_duration_ms(const char *name, long long min_ms, long long max_ms,
    long long *val)
{
	const char *s;

	s = kp_env(name);
	if (s != NULL)
		*val = kp_opt_duration_ms(name, s, min_ms, max_ms);
}

void
kp_env_size(const char *name, long long min, long long max, long long *val)
{
	const char *s;

	s = kp_env(name);
	if (s != NULL)
		*val = kp_opt_size(name, s, min, max);
}

/* Zero memory that held a secret in a way the compiler cannot drop. */
static void
conf_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/*
 * Make a secret of the first line of p[0..len): trailing CR, LF, blanks
 * removed.  `what` names the source in errors (never the secret itself).
 */
static char *
conf_secret_make(const char *p, size_t len, const char *what,
    char err[KP_ERRLEN])
{
	const char *nl;
	char *s;

	nl = memchr(p, '\n', len);
	if (nl != NULL)
		len = (size_t)(nl - p);
	while (len > 0 && strchr(" \t\r", p[len - 1]) != NULL)
		len--;
	if (len == 0) {
		snprintf(err, KP_ERRLEN, "%s: empty secret", what);
		return NULL;
	}
	if (len > SECRET_MAX || memchr(p, '\0', len) != NULL) {
		snprintf(err, KP_ERRLEN, "%s: %s", what, len > SECRET_MAX ?
		    "secret longer than 4096 bytes" : "secret has a NUL byte");
		return NULL;
	}
	s = malloc(len + 1);
	if (s == NULL) {
		snprintf(err, KP_ERRLEN, "%s: %s", what, strerror(errno));
		return NULL;
	}
	memcpy(s, p, len);
	s[len] = '\0';
	kp_log_redact(s);
	return s;
}

/* Read up to cap bytes; return the count, or -1 with errno. */
static ssize_t
conf_read_upto(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t r;

	while (got < cap) {
		r = read(fd, buf + got, cap - got);
		if (r == 0)
			break;
		if (r > 0)
			got += (size_t)r;
		else if (errno != EINTR)
			return -1;
	}
	return (ssize_t)got;
}

char *
kp_conf_secret_file(const char *path, char err[KP_ERRLEN])
{
	char buf[SECRET_MAX + 1];
	char *s = NULL;
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		snprintf(err, KP_ERRLEN, "%s: %s", path, strerror(errno));
		return NULL;
	}
	n = conf_read_upto(fd, buf, sizeof buf);
	e = errno;
	close(fd);
	if (n == -1)
		snprintf(err, KP_ERRLEN, "%s: %s", path, strerror(e));
	else if ((size_t)n == sizeof buf && !memchr(buf, '\n', sizeof buf))
		snprintf(err, KP_ERRLEN, "%s: secret longer than 4096 bytes",
		    path);
	else
		s = conf_secret_make(buf, (size_t)n, path, err);
	conf_wipe(buf, sizeof buf);
	return s;
}

char *
kp_conf_secret(const char *name, const char *file_name,
    char err[KP_ERRLEN])
{
	char sub[KP_ERRLEN];
	const char *v, *path;
	char *s;

	v = kp_env(name);
	if (v != NULL)
		return conf_secret_make(v, strlen(v), name, err);
	path = file_name != NULL ? kp_env(file_name) : NULL;
	if (path == NULL) {
		if (file_name != NULL)
			snprintf(err, KP_ERRLEN, "neither %s nor %s is set",
			    name, file_name);
		else
			snprintf(err, KP_ERRLEN, "%s is not set", name);
		return NULL;
	}
	s = kp_conf_secret_file(path, sub);
	if (s == NULL)
		snprintf(err, KP_ERRLEN, "%.60s %.190s", file_name, sub);
	return s;
}

void
kp_opt_common(int c, int *level, void (*usage)(FILE *))
{
	switch (c) {
	case 'q':
		(*level)--;
		return;
	case 'v':
		(*level)++;
		return;
	case 'h':
		usage(stdout);
		exit(KP_EXIT_OK);
	default:
		usage(stderr);
		exit(KP_EXIT_PERM);
	}
}

void
kp_opt_end(int argc, char **argv, int operands_ok, int level,
    void (*usage)(FILE *))
{
	if (!operands_ok && optind < argc) {
		kp_log(KP_LOG_FATAL, "unexpected argument '%s'", argv[optind]);
		usage(stderr);
		exit(KP_EXIT_PERM);
	}
	kp_log_set_level(level < KP_LOG_FATAL ? KP_LOG_FATAL : level);
}
