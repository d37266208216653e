/*
 * wsload: a lean WebSocket load client for bench/ws-fanout.sh.  Opens N
 * plain ws:// connections (no extensions), sends one text message on
 * each, then reads frames with epoll until the timeout and prints one
 * summary line in wsc's format: tick latency = the time of the read(2)
 * that brought the message minus its receive_timestamp.  -i IDLE ends
 * the run early once ticks came and then none for IDLE.  -p PAUSE
 * sleeps that long after each round of reads and reads at most 1 KB per
 * client a round (a slow reader, to fill the server's socket buffers).  It does far less
 * work per message than wsc (libwebsockets), so that the client is not
 * what saturates first when servers are compared.
 */
/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kp.h"

#define USAGE "usage: wsload -n N -s MSG [-t TIMEOUT] [-i IDLE] [-p PAUSE] " \
	"[-o FILE] ws://HOST:PORT/PATH"
#define RXCAP (1 << 18)

struct conn {
	int fd, open;
	size_t have;
	unsigned char *rx;
};

static int64_t *lat;
static size_t nlat, caplat;
static int64_t *trace;		/* -o: stamp, receive time, client */
static size_t ntrace, captrace;
static int cur_client;
static long long nmsgs, nbad;	/* bad: text not {...} */

/* Seconds.fraction after "receive_timestamp": in m, as microseconds. */
static int64_t
stamp_us(const unsigned char *m, size_t n)
{
	static const char key[] = "\"receive_timestamp\":";
	const unsigned char *p = memmem(m, n, key, sizeof(key) - 1);
	const unsigned char *e = m + n;
	int64_t v = 0;
	int frac = -1;

	if (p == NULL)
		return 0;
	for (p += sizeof(key) - 1; p < e; p++) {
		if (*p == '.' && frac < 0) {
			frac = 0;
		} else if (*p >= '0' && *p <= '9' && frac < 6) {
			v = v * 10 + (*p - '0');
			if (frac >= 0)
				frac++;
		} else if (!(*p >= '0' && *p <= '9')) {
			break;
		}
	}
	if (frac < 0)
		frac = 0;
	while (frac++ < 6)
		v *= 10;
	return v;
}

static void
got_text(const unsigned char *m, size_t n, int64_t now)
{
	int64_t ts;

	nmsgs++;
	if (n < 2 || m[0] != '{' || m[n - 1] != '}')
		nbad++;
	if (n < 14 || memcmp(m, "{\"type\":\"tick\"", 14) != 0)
		return;
	ts = stamp_us(m, n);
	if (ts <= 0)
		return;
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 1 << 20;
		lat = kp_xrealloc(lat, caplat * sizeof(*lat));
	}
	lat[nlat++] = now - ts;
	if (captrace == 0)
		return;
	if (ntrace == captrace) {
		captrace *= 2;
		trace = kp_xrealloc(trace, captrace * 3 * sizeof(*trace));
	}
	trace[3 * ntrace] = ts;
	trace[3 * ntrace + 1] = now;
	trace[3 * ntrace + 2] = cur_client;
	ntrace++;
}

/* Take the whole frames off c->rx; -1 on a close frame or a bad one. */
static int
frames(struct conn *c, int64_t now)
{
	size_t off = 0, hl, len;
	unsigned char *p;
	int r = 0;

	while (c->have - off >= 2) {
		p = c->rx + off;
		len = p[1] & 0x7f;
		hl = 2;
		if (len == 126) {
			if (c->have - off < 4)
				break;
			len = (size_t)p[2] << 8 | p[3];
			hl = 4;
		} else if (len == 127) {
			if (c->have - off < 10)
				break;
			len = 0;
			for (int i = 2; i < 10; i++)
				len = len << 8 | p[i];
			hl = 10;
		}
		if (p[1] & 0x80 || len > RXCAP - 16) {
			r = -1;
			break;
		}
		if (c->have - off < hl + len)
			break;
		if ((p[0] & 0x0f) == 8) {
			r = -1;
			break;
		}
		if ((p[0] & 0x0f) <= 1)
			got_text(p + hl, len, now);
		off += hl + len;
	}
	if (off > 0) {
		memmove(c->rx, c->rx + off, c->have - off);
		c->have -= off;
	}
	return r;
}

static int
dial(const struct sockaddr_in *sa, const char *host, const char *path,
    const char *msg, struct conn *c)
{
	char req[1024];
	unsigned char frame[1024];
	size_t ml = strlen(msg), fl = 0, i;
	const unsigned char mask[4] = { 0x37, 0xa2, 0x5c, 0x19 };
	char *end;
	ssize_t r;
	int n, one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (const struct sockaddr *)sa,
	    sizeof(*sa)) < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: a2l0ZXBpcGUtd3Nsb2FkIQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", path, host);
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    write(c->fd, req, (size_t)n) != n)
		return -1;
	c->rx = kp_xmalloc(RXCAP);
	c->have = 0;
	for (;;) {
		r = read(c->fd, c->rx + c->have, RXCAP - 1 - c->have);
		if (r <= 0)
			return -1;
		c->have += (size_t)r;
		c->rx[c->have] = 0;
		end = strstr((char *)c->rx, "\r\n\r\n");
		if (end != NULL)
			break;
	}
	if (strncmp((char *)c->rx, "HTTP/1.1 101", 12) != 0)
		return -1;
	end += 4;
	c->have -= (size_t)(end - (char *)c->rx);
	memmove(c->rx, end, c->have);
	if (ml > sizeof(frame) - 8)
		return -1;
	frame[fl++] = 0x81;
	if (ml < 126) {
		frame[fl++] = (unsigned char)(0x80 | ml);
	} else {
		frame[fl++] = 0x80 | 126;
		frame[fl++] = (unsigned char)(ml >> 8);
		frame[fl++] = (unsigned char)ml;
	}
	memcpy(frame + fl, mask, 4);
	fl += 4;
	for (i = 0; i < ml; i++)
		frame[fl++] = (unsigned char)msg[i] ^ mask[i % 4];
	if (write(c->fd, frame, fl) != (ssize_t)fl)
		return -1;
	c->open = 1;
	return 0;
}

/* -o FILE: one line per tick received: stamp_us recv_us client. */
static void
write_trace(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		kp_die(KP_EXIT_TEMP, "%s: %s", path, strerror(errno));
	for (size_t i = 0; i < ntrace; i++)
		fprintf(f, "%lld %lld %lld\n", (long long)trace[3 * i],
		    (long long)trace[3 * i + 1], (long long)trace[3 * i + 2]);
	if (fclose(f) != 0)
		kp_die(KP_EXIT_TEMP, "%s: %s", path, strerror(errno));
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev, evs[64];
	const char *msg = NULL, *out = NULL;
	char host[256], path[512] = "/";
	long long nc = 1, timeout_ms = 10000, idle_ms = 0, pause_ms = 0;
	int opt, ep, port, connected = 0, failed = 0, closed = 0, nopen;
	int64_t t0, now, deadline, last_rx;
	struct conn *cs;
	ssize_t r;

	kp_log_init("wsload");
	while ((opt = getopt(argc, argv, "n:s:t:i:p:o:h")) != -1) {
		switch (opt) {
		case 'n': nc = kp_opt_ll("-n", optarg, 1, 100000); break;
		case 's': msg = optarg; break;
		case 'o': out = optarg; break;
		case 'p': pause_ms = kp_opt_duration_ms("-p", optarg, 1,
		    60000); break;
		case 'i': idle_ms = kp_opt_duration_ms("-i", optarg, 1,
		    86400000); break;
		case 't': timeout_ms = kp_opt_duration_ms("-t", optarg, 1,
		    86400000); break;
		case 'h': printf("%s\n", USAGE); return 0;
		default: fprintf(stderr, "%s\n", USAGE); return KP_EXIT_PERM;
		}
	}
	if (optind != argc - 1 || msg == NULL ||
	    sscanf(argv[optind], "ws://%255[^:/]:%d%511s", host, &port,
	    path) < 2 || port < 1 || port > 65535) {
		fprintf(stderr, "%s\n", USAGE);
		return KP_EXIT_PERM;
	}
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		kp_die(KP_EXIT_PERM, "host %s: not an IPv4 address", host);
	sa.sin_port = htons((uint16_t)port);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		kp_die(KP_EXIT_TEMP, "epoll_create1: %s", strerror(errno));
	cs = kp_xcalloc((size_t)nc, sizeof(*cs));
	if (out != NULL) {
		captrace = 1 << 20;
		trace = kp_xmalloc(captrace * 3 * sizeof(*trace));
	}
	t0 = kp_mono_ms();
	deadline = t0 + timeout_ms;
	for (long long i = 0; i < nc; i++) {
		if (dial(&sa, host, path, msg, &cs[i]) < 0) {
			failed++;
			if (cs[i].fd >= 0)
				close(cs[i].fd);
			cs[i].open = 0;
			continue;
		}
		connected++;
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0)
			kp_die(KP_EXIT_TEMP, "epoll_ctl: %s", strerror(errno));
		if (cs[i].have > 0 && frames(&cs[i], kp_time_us()) < 0)
			kp_die(KP_EXIT_TEMP, "client %lld: closed at once", i);
	}
	nopen = connected;
	last_rx = 0;
	while (nopen > 0 && (now = kp_mono_ms()) < deadline) {
		int64_t until = deadline;
		int n;

		if (idle_ms > 0 && nlat > 0) {
			if (now - last_rx >= idle_ms)
				break;
			if (last_rx + idle_ms < until)
				until = last_rx + idle_ms;
		}
		n = epoll_wait(ep, evs, 64, (int)(until - now));
		if (n > 0)
			last_rx = kp_mono_ms();

		if (n < 0 && errno != EINTR)
			kp_die(KP_EXIT_TEMP, "epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			cur_client = (int)(c - cs);

			r = read(c->fd, c->rx + c->have, pause_ms > 0 &&
			    RXCAP - c->have > 1024 ? 1024 : RXCAP - c->have);
			if (r > 0)
				c->have += (size_t)r;
			if (r <= 0 || frames(c, kp_time_us()) < 0) {
				if (r < 0 && errno == EINTR)
					continue;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->open = 0;
				closed++;
				nopen--;
			} else if (c->have == RXCAP) {
				kp_die(KP_EXIT_TEMP, "a frame over %d bytes",
				    RXCAP);
			}
		}
		if (pause_ms > 0) {
			struct timespec ts = { pause_ms / 1000,
			    (pause_ms % 1000) * 1000000 };

			nanosleep(&ts, NULL);
		}
	}
	if (out != NULL)
		write_trace(out);
	qsort(lat, nlat, sizeof(*lat), cmp64);
	printf("clients=%lld connected=%d failed=%d closed=%d messages=%lld "
	    "bad=%lld ticks=%zu seconds=%.3f p50_us=%lld p99_us=%lld "
	    "max_us=%lld\n", nc, connected, failed, closed, nmsgs, nbad, nlat,
	    (double)(kp_mono_ms() - t0) / 1000,
	    nlat ? (long long)lat[nlat / 2] : 0,
	    nlat ? (long long)lat[nlat * 99 / 100] : 0,
	    nlat ? (long long)lat[nlat - 1] : 0);
	for (long long i = 0; i < nc; i++) {
		if (cs[i].open)
			close(cs[i].fd);
		free(cs[i].rx);
	}
	free(cs);
	free(lat);
	free(trace);
	close(ep);
	return failed > 0 ? 1 : 0;
}
