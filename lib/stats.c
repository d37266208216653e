/* stats.c: counters and gauges as a JSON log line or Prometheus text. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "kp.h"

#define STATS_PROM_MAX (1 << 20)
#define STATS_PATH_MAX 4096

static int
stats_json_value(struct kp_buf *b, const struct kp_stat *s)
{
	if (s->u != NULL)
		return kp_json_u64(b, *s->u);
	if (s->d != NULL)
		return kp_json_double(b, *s->d);
	return kp_buf_addstr(b, "null");
}

int
kp_stats_json(struct kp_buf *b, const char *prog,
    const struct kp_stat *st, size_t n)
{
	size_t i, mark = b->len;
	int bad;

	bad = kp_buf_addstr(b, "{\"type\":\"stats\",\"program\":") == -1 ||
	    kp_json_cstr(b, prog) == -1 ||
	    kp_buf_addstr(b, ",\"time\":") == -1 ||
	    kp_json_fixed(b, kp_time_us() / 1000, 3) == -1;
	for (i = 0; i < n && !bad; i++)
		bad = kp_buf_addc(b, ',') == -1 ||
		    kp_json_cstr(b, st[i].name) == -1 ||
		    kp_buf_addc(b, ':') == -1 ||
		    stats_json_value(b, &st[i]) == -1;
	if (!bad)
		bad = kp_buf_addstr(b, "}\n") == -1;
	if (bad) {
		b->len = mark;
		errno = ENOBUFS;
		return -1;
	}
	return 0;
}

void
kp_stats_log(const char *prog, const struct kp_stat *st, size_t n)
{
	struct kp_buf b;

	kp_buf_init(&b, KP_LOG_LINE_MAX);
	if (kp_stats_json(&b, prog, st, n) == 0)
		kp_log_raw(b.p, b.len);
	else
		kp_warn("stats line longer than %d bytes, not written",
		    KP_LOG_LINE_MAX);
	kp_buf_free(&b);
}

/* Append s with every byte outside [A-Za-z0-9_] turned into '_'. */
static int
stats_prom_ident(struct kp_buf *b, const char *s)
{
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')))
			c = '_';
		if (kp_buf_addc(b, (char)c) == -1)
			return -1;
	}
	return 0;
}

/* kitepipe_<prog>_<name>, and _total for a counter. */
static int
stats_prom_name(struct kp_buf *b, const char *prog, const struct kp_stat *s)
{
	size_t n = strlen(s->name);

	if (kp_buf_addstr(b, "kitepipe_") == -1 ||
	    stats_prom_ident(b, prog) == -1 ||
	    kp_buf_addc(b, '_') == -1 ||
	    stats_prom_ident(b, s->name) == -1)
		return -1;
	if (s->type == KP_STAT_COUNTER &&
	    (n < 6 || strcmp(s->name + n - 6, "_total") != 0))
		return kp_buf_addstr(b, "_total");
	return 0;
}

/* HELP text: backslash and newline escaped, as the format requires. */
static int
stats_prom_help(struct kp_buf *b, const char *s)
{
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		if (*s == '\\')
			rc = kp_buf_addstr(b, "\\\\");
		else if (*s == '\n')
			rc = kp_buf_addstr(b, "\\n");
		else
			rc = kp_buf_addc(b, *s);
	}
	return rc;
}

static int
stats_prom_value(struct kp_buf *b, const struct kp_stat *s)
{
	double v;

	if (s->u != NULL)
		return kp_json_u64(b, *s->u);
	if (s->d == NULL)
		return kp_buf_addstr(b, "NaN");
	v = *s->d;
	if (isnan(v))
		return kp_buf_addstr(b, "NaN");
	if (isinf(v))
		return kp_buf_addstr(b, v > 0 ? "+Inf" : "-Inf");
	return kp_json_double(b, v);
}

static int
stats_prom_metric(struct kp_buf *b, const char *prog,
    const struct kp_stat *s)
{
	const char *type = s->type == KP_STAT_COUNTER ? "counter" : "gauge";

	if (s->help != NULL && *s->help != '\0' &&
	    (kp_buf_addstr(b, "# HELP ") == -1 ||
	    stats_prom_name(b, prog, s) == -1 ||
	    kp_buf_addc(b, ' ') == -1 ||
	    stats_prom_help(b, s->help) == -1 ||
	    kp_buf_addc(b, '\n') == -1))
		return -1;
	if (kp_buf_addstr(b, "# TYPE ") == -1 ||
	    stats_prom_name(b, prog, s) == -1 ||
	    kp_buf_addc(b, ' ') == -1 ||
	    kp_buf_addstr(b, type) == -1 ||
	    kp_buf_addc(b, '\n') == -1 ||
	    stats_prom_name(b, prog, s) == -1 ||
	    kp_buf_addc(b, ' ') == -1 ||
	    stats_prom_value(b, s) == -1 ||
	    kp_buf_addc(b, '\n') == -1)
		return -1;
	return 0;
}

/* "dir/.base.XXXXXX" beside path: same file system, hidden from *.prom. */
static int
stats_tmp_name(char *tmp, size_t cap, const char *path)
{
	const char *slash = strrchr(path, '/');
	int dlen = slash != NULL ? (int)(slash - path) + 1 : 0;
	int r;

	r = snprintf(tmp, cap, "%.*s.%s.XXXXXX", dlen, path,
	    slash != NULL ? slash + 1 : path);
	if (r < 0 || (size_t)r >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
stats_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w == -1 && errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

/* Write, fsync and rename tmp over path; on failure nothing is left. */
static int
stats_replace(const char *path, char *tmp, const char *p, size_t n)
{
	int fd, e;

	fd = mkstemp(tmp);
	if (fd == -1)
		return -1;
	if (fchmod(fd, 0644) == -1 || stats_write_all(fd, p, n) == -1 ||
	    fsync(fd) == -1) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int
kp_stats_prom_text(struct kp_buf *b, const char *prog,
    const struct kp_stat *st, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (stats_prom_metric(b, prog, &st[i]) < 0)
			return -1;
	return 0;
}

int
kp_stats_prom(const char *path, const char *prog,
    const struct kp_stat *st, size_t n)
{
	char tmp[STATS_PATH_MAX];
	struct kp_buf b;
	int rc = 0, e;

	if (stats_tmp_name(tmp, sizeof tmp, path) == -1)
		return -1;
	kp_buf_init(&b, STATS_PROM_MAX);
	rc = kp_stats_prom_text(&b, prog, st, n);
	if (rc == 0)
		rc = stats_replace(path, tmp, b.len > 0 ? b.p : "", b.len);
	else
		errno = ENOBUFS;
	e = errno;
	kp_buf_free(&b);
	errno = e;
	return rc;
}

void
kp_stats_timer(long long ms)
{
	struct itimerval it;

	if (ms <= 0)
		return;
	it.it_interval.tv_sec = ms / 1000;
	it.it_interval.tv_usec = (ms % 1000) * 1000;
	it.it_value = it.it_interval;
	if (setitimer(ITIMER_REAL, &it, NULL) < 0)
		kp_die(KP_EXIT_TEMP, "unable to start the stats timer:");
}
