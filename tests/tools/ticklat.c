/*
 * ticklat: latency of tick lines from a sender that stamps them (kite-sim
 * --latency-stamp puts its wall-clock send time, microseconds modulo
 * 2^32, in last_traded_quantity).  Reads NDJSON on stdin, stamps each
 * tick line as it arrives, and at EOF prints "ticks N p50_us X p99_us Y
 * max_us Z", then the same split at the line's receive_timestamp (when
 * kite-stream had the whole message): "wire p50_us A p99_us B" (sender to
 * kite-stream's receive, i.e. the sender's socket, the kernel and the
 * wake-up) and "out p50_us C p99_us D" (decoding, output, the pipe and
 * this reader's wake-up).  Lines without the field are ignored.  For
 * benchmarks; not installed.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"

#define MAX_SAMPLES (1u << 24)

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
pct(const char *what, uint32_t *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), cmp_u32);
	printf("%s %zu p50_us %u p99_us %u max_us %u\n", what, n, v[n / 2],
	    v[n * 99 / 100], v[n - 1]);
}

/* receive_timestamp (epoch seconds, 6 decimals) as microseconds mod 2^32;
 * 0 when absent */
static uint32_t
recv_us(const char *line)
{
	static const char rk[] = "\"receive_timestamp\":";
	const char *p = strstr(line, rk);
	char *end;
	unsigned long long s, f = 0;
	int d = 0;

	if (p == NULL)
		return 0;
	s = strtoull(p + sizeof(rk) - 1, &end, 10);
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9' && d < 6; end++, d++)
			f = f * 10 + (unsigned)(*end - '0');
	for (; d < 6; d++)
		f *= 10;
	return (uint32_t)(s * 1000000u + f);
}

int
main(void)
{
	static const char key[] = "\"last_traded_quantity\":";
	struct kp_line lr;
	uint32_t *lat = kp_xcalloc(MAX_SAMPLES, sizeof(uint32_t));
	uint32_t *wire = kp_xcalloc(MAX_SAMPLES, sizeof(uint32_t));
	uint32_t *out = kp_xcalloc(MAX_SAMPLES, sizeof(uint32_t));
	size_t n = 0, nr = 0, len;
	char *line, *p;
	int rc;

	kp_log_init("ticklat");
	if (kp_line_init(&lr, 0, 1 << 20) < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	while ((rc = kp_line_next(&lr, &line, &len)) != KP_LINE_EOF) {
		uint64_t now, sent;
		uint32_t d, rv;

		if (rc == KP_LINE_ERR)
			kp_die(KP_EXIT_TEMP, "read:");
		if (rc != KP_LINE_OK || (p = strstr(line, key)) == NULL)
			continue;
		now = (uint64_t)kp_time_us();
		sent = strtoull(p + sizeof(key) - 1, NULL, 10);
		d = (uint32_t)((now & 0xffffffffu) - (uint32_t)sent);
		if (d > 60000000u)	/* a stamp from before the wrap */
			continue;
		if (n < MAX_SAMPLES)
			lat[n++] = d;
		rv = recv_us(line);
		if (rv != 0 && nr < MAX_SAMPLES &&
		    rv - (uint32_t)sent <= d) {
			wire[nr] = rv - (uint32_t)sent;
			out[nr] = d - wire[nr];
			nr++;
		}
	}
	if (n == 0) {
		printf("ticks 0\n");
		return 1;
	}
	pct("ticks", lat, n);
	if (nr > 0) {
		pct("wire", wire, nr);
		pct("out", out, nr);
	}
	kp_line_free(&lr);
	free(lat);
	free(wire);
	free(out);
	return 0;
}
