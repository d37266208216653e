/*
 * pubstamp: latency of Redis PUBLISH paths, for bench/tick-publish.sh.
 *
 *   pubstamp feed RATE COUNT
 *       write COUNT tick lines to stdout at RATE a second, each carrying
 *       "stamp_ns" (CLOCK_MONOTONIC when written); one write(2) a line
 *   pubstamp direct SOCKET CHANNEL RATE COUNT
 *       the same lines, PUBLISHed to CHANNEL over the Unix socket
 *       (hiredis, one connection, the reply read after each send)
 *   pubstamp sub SOCKET CHANNEL COUNT READYFILE
 *       SUBSCRIBE, create READYFILE, take COUNT messages, noting
 *       CLOCK_MONOTONIC as each arrives; print "p50_us P99_us MAX_us N"
 *
 * Pacing uses absolute clock_nanosleep, so a late wake-up does not shift
 * the schedule.  For benchmarks; not installed.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "kp.h"

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
sleep_until(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000,
	    .tv_nsec = ns % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

static long
arg_long(const char *s, const char *what)
{
	char *e;
	long v = strtol(s, &e, 10);

	if (*s == '\0' || *e != '\0' || v <= 0) {
		fprintf(stderr, "pubstamp: bad %s '%s'\n", what, s);
		exit(100);
	}
	return v;
}

static int
stamp_line(char *buf, size_t cap, long i)
{
	return snprintf(buf, cap, "{\"type\":\"tick\",\"mode\":\"ltp\","
	    "\"instrument_token\":408065,\"last_price\":1573.15,\"n\":%ld,"
	    "\"stamp_ns\":%lld}", i, (long long)now_ns());
}

/* feed (sock NULL) or direct */
static int
feed(const char *sock, const char *chan, long rate, long count)
{
	redisContext *c = NULL;
	redisReply *r;
	char line[256];
	int64_t t0, period = 1000000000 / rate;
	long i;
	int n;

	if (sock != NULL) {
		c = redisConnectUnix(sock);
		if (c == NULL || c->err) {
			fprintf(stderr, "pubstamp: %s: %s\n", sock,
			    c ? c->errstr : "out of memory");
			return 111;
		}
	}
	t0 = now_ns();
	for (i = 0; i < count; i++) {
		sleep_until(t0 + i * period);
		n = stamp_line(line, sizeof line - 1, i);
		if (c != NULL) {
			r = redisCommand(c, "PUBLISH %s %b", chan, line,
			    (size_t)n);
			if (r == NULL) {
				fprintf(stderr, "pubstamp: %s\n", c->errstr);
				return 111;
			}
			freeReplyObject(r);
			continue;
		}
		line[n++] = '\n';
		if (write(1, line, (size_t)n) != n) {
			perror("pubstamp: write");
			return 111;
		}
	}
	if (c != NULL)
		redisFree(c);
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
sub(const char *sock, const char *chan, long count, const char *ready)
{
	redisContext *c = redisConnectUnix(sock);
	redisReply *r;
	int64_t *lat, t;
	const char *p;
	long n = 0;
	FILE *f;

	if (c == NULL || c->err) {
		fprintf(stderr, "pubstamp: %s: %s\n", sock,
		    c ? c->errstr : "out of memory");
		return 111;
	}
	lat = calloc((size_t)count, sizeof *lat);
	if (lat == NULL)
		return 111;
	r = redisCommand(c, "SUBSCRIBE %s", chan);
	if (r == NULL) {
		fprintf(stderr, "pubstamp: SUBSCRIBE: %s\n", c->errstr);
		return 111;
	}
	freeReplyObject(r);
	f = fopen(ready, "w");
	if (f == NULL || fclose(f) != 0) {
		perror(ready);
		return 111;
	}
	while (n < count) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK) {
			fprintf(stderr, "pubstamp: %s\n", c->errstr);
			break;
		}
		t = now_ns();
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		    r->element[2]->type == REDIS_REPLY_STRING &&
		    (p = strstr(r->element[2]->str, "\"stamp_ns\":")) != NULL)
			lat[n++] = t - strtoll(p + 11, NULL, 10);
		freeReplyObject(r);
	}
	redisFree(c);
	if (n == 0) {
		fprintf(stderr, "pubstamp: no messages\n");
		return 1;
	}
	qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
	printf("%.1f %.1f %.1f %ld\n", lat[n / 2] / 1e3,
	    lat[n * 99 / 100] / 1e3, lat[n - 1] / 1e3, n);
	free(lat);
	return n == count ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "feed") == 0)
		return feed(NULL, NULL, arg_long(argv[2], "rate"),
		    arg_long(argv[3], "count"));
	if (argc == 6 && strcmp(argv[1], "direct") == 0)
		return feed(argv[2], argv[3], arg_long(argv[4], "rate"),
		    arg_long(argv[5], "count"));
	if (argc == 6 && strcmp(argv[1], "sub") == 0)
		return sub(argv[2], argv[3], arg_long(argv[4], "count"),
		    argv[5]);
	fprintf(stderr, "usage: pubstamp feed RATE COUNT\n"
	    "       pubstamp direct SOCKET CHANNEL RATE COUNT\n"
	    "       pubstamp sub SOCKET CHANNEL COUNT READYFILE\n");
	return 100;
}
