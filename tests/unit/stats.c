/* stats.c: the JSON stats line and the atomic Prometheus text file. */
/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kp.h"
#include "t.h"

static uint64_t packets = 12345, bytes = 7, clients = 3;
static double lag = 1.5, odd;

static const struct kp_stat stats[] = {
	{ "packets", "Packets received.", KP_STAT_COUNTER, &packets, NULL },
	{ "lag_ms", "Lag behind the exchange, ms.", KP_STAT_GAUGE, NULL,
	    &lag },
	{ "bytes_total", "Bytes.", KP_STAT_COUNTER, &bytes, NULL },
	{ "odd-name", "A back\\slash\nand a newline.", KP_STAT_GAUGE, NULL,
	    &odd },
	{ "clients", NULL, KP_STAT_GAUGE, &clients, NULL },
};
#define NSTATS (sizeof stats / sizeof stats[0])

static const char prom_want[] =
    "# HELP kitepipe_kite_stream_packets_total Packets received.\n"
    "# TYPE kitepipe_kite_stream_packets_total counter\n"
    "kitepipe_kite_stream_packets_total 12345\n"
    "# HELP kitepipe_kite_stream_lag_ms Lag behind the exchange, ms.\n"
    "# TYPE kitepipe_kite_stream_lag_ms gauge\n"
    "kitepipe_kite_stream_lag_ms 1.5\n"
    "# HELP kitepipe_kite_stream_bytes_total Bytes.\n"
    "# TYPE kitepipe_kite_stream_bytes_total counter\n"
    "kitepipe_kite_stream_bytes_total 7\n"
    "# HELP kitepipe_kite_stream_odd_name A back\\\\slash\\nand a newline.\n"
    "# TYPE kitepipe_kite_stream_odd_name gauge\n"
    "kitepipe_kite_stream_odd_name NaN\n"
    "# TYPE kitepipe_kite_stream_clients gauge\n"
    "kitepipe_kite_stream_clients 3\n";

static char dir[] = "/tmp/kp-t-stats-XXXXXX";

static int
str_is(json_t *o, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && strcmp(v, want) == 0;
}

/* Check a stats line with jansson; return 1 when all is as expected. */
static int
json_ok(const char *line, size_t len)
{
	json_error_t e;
	json_t *o;
	double t, now = (double)time(NULL);
	int ok;

	if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		return 0;
	o = json_loadb(line, len, 0, &e);
	if (o == NULL) {
		t_diag("jansson: %s", e.text);
		return 0;
	}
	t = json_number_value(json_object_get(o, "time"));
	ok = json_object_size(o) == 3 + NSTATS &&
	    str_is(o, "type", "stats") &&
	    str_is(o, "program", "kite-stream") &&
	    fabs(t - now) < 5 &&
	    json_integer_value(json_object_get(o, "packets")) == 12345 &&
	    json_real_value(json_object_get(o, "lag_ms")) == 1.5 &&
	    json_is_null(json_object_get(o, "odd-name")) &&
	    json_integer_value(json_object_get(o, "clients")) == 3;
	json_decref(o);
	return ok;
}

static void
test_json(void)
{
	struct kp_buf b;
	size_t len;

	odd = NAN;
	kp_buf_init(&b, 4096);
	kp_buf_addstr(&b, "kept");
	T_EQ_INT(kp_stats_json(&b, "kite-stream", stats, NSTATS), 0,
	    "stats json");
	t_ok(b.len > 4 && memcmp(b.p, "kept", 4) == 0, "appended");
	t_ok(json_ok(b.p + 4, b.len - 4), "one line of the right JSON");
	kp_buf_free(&b);
	kp_buf_init(&b, 60);
	kp_buf_addstr(&b, "kept");
	len = b.len;
	errno = 0;
	t_ok(kp_stats_json(&b, "kite-stream", stats, NSTATS) == -1 &&
	    errno == ENOBUFS, "too small a buffer: ENOBUFS");
	t_ok(b.len == len && memcmp(b.p, "kept", 4) == 0,
	    "and the buffer is as it was");
	kp_buf_free(&b);
}

static void
test_log(void)
{
	char line[4096];
	int fds[2], saved;
	ssize_t n;

	saved = dup(2);
	if (pipe(fds) == -1)
		abort();
	dup2(fds[1], 2);
	close(fds[1]);
	kp_stats_log("kite-stream", stats, NSTATS);
	dup2(saved, 2);
	close(saved);
	n = read(fds[0], line, sizeof line);
	close(fds[0]);
	t_ok(n > 0 && json_ok(line, (size_t)n), "kp_stats_log writes the line");
}

static const char *
slurp(const char *path)
{
	static char buf[8192];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd == -1)
		return "";
	n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* The number of entries in dir, hidden ones included. */
static int
dir_entries(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(dir);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
test_prom(void)
{
	char path[128], bad[128];
	struct stat st;

	snprintf(path, sizeof path, "%s/kite-stream.prom", dir);
	odd = NAN;
	T_EQ_INT(kp_stats_prom(path, "kite-stream", stats, NSTATS), 0,
	    "prom written");
	T_EQ_STR(slurp(path), prom_want, "prom text exact");
	t_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644,
	    "readable by the exporter (0644)");
	T_EQ_INT(dir_entries(), 1, "no temporary file left");
	packets = 12346;
	T_EQ_INT(kp_stats_prom(path, "kite-stream", stats, 1), 0, "rewrite");
	T_EQ_STR(slurp(path),
	    "# HELP kitepipe_kite_stream_packets_total Packets received.\n"
	    "# TYPE kitepipe_kite_stream_packets_total counter\n"
	    "kitepipe_kite_stream_packets_total 12346\n", "replaced whole");
	snprintf(bad, sizeof bad, "%s/dir.prom", dir);
	mkdir(bad, 0755);
	errno = 0;
	t_ok(kp_stats_prom(bad, "kite-stream", stats, NSTATS) == -1 &&
	    errno == EISDIR, "rename failure reported (%s)", strerror(errno));
	T_EQ_INT(dir_entries(), 2, "and its temporary file removed");
	rmdir(bad);
	snprintf(bad, sizeof bad, "%s/none/x.prom", dir);
	errno = 0;
	t_ok(kp_stats_prom(bad, "kite-stream", stats, NSTATS) == -1 &&
	    errno == ENOENT, "missing directory: ENOENT");
	unlink(path);
	packets = 12345;
}

/* A reader racing 300 rewrites never sees a partial file. */
static void
test_atomic(void)
{
	static const char last[] = "kitepipe_kite_stream_clients 3\n";
	char path[128];
	const char *s;
	int reads = 0, whole = 1, st = 0;
	size_t n;
	pid_t pid;

	snprintf(path, sizeof path, "%s/race.prom", dir);
	kp_stats_prom(path, "kite-stream", stats, NSTATS);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		for (packets = 0; packets < 300; packets++)
			if (kp_stats_prom(path, "kite-stream", stats,
			    NSTATS) == -1)
				_exit(1);
		_exit(0);
	}
	while (waitpid(pid, &st, WNOHANG) == 0) {
		s = slurp(path);
		n = strlen(s);
		reads++;
		whole = whole && n > sizeof last &&
		    strncmp(s, prom_want, 40) == 0 &&
		    strcmp(s + n - (sizeof last - 1), last) == 0;
	}
	t_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer child ok");
	t_ok(whole, "%d reads during rewrites, each file complete", reads);
	T_EQ_INT(dir_entries(), 1, "only the final file remains");
	unlink(path);
}

int
main(void)
{
	kp_log_init("t-stats");
	if (mkdtemp(dir) == NULL)
		abort();
	test_json();
	test_log();
	test_prom();
	test_atomic();
	rmdir(dir);
	return t_done();
}
