/*
 * ticklat: latency of tick lines from a sender that stamps them (kite-sim
 * --latency-stamp puts its wall-clock send time, microseconds modulo
 * 2^32, in last_traded_quantity).  Reads NDJSON on stdin, stamps each
 * tick line as it arrives, and at EOF prints "ticks N p50_us X p99_us Y
 * max_us Z".  Lines without the field are ignored.  For benchmarks; not
 * installed.
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

int
main(void)
{
	static const char key[] = "\"last_traded_quantity\":";
	struct kp_line lr;
	uint32_t *lat = kp_xcalloc(MAX_SAMPLES, sizeof(uint32_t));
	size_t n = 0, len;
	char *line, *p;
	int rc;

	kp_log_init("ticklat");
	if (kp_line_init(&lr, 0, 1 << 20) < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	while ((rc = kp_line_next(&lr, &line, &len)) != KP_LINE_EOF) {
		uint64_t now, sent;
		uint32_t d;

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
	}
	if (n == 0) {
		printf("ticks 0\n");
		return 1;
	}
	qsort(lat, n, sizeof(lat[0]), cmp_u32);
	printf("ticks %zu p50_us %u p99_us %u max_us %u\n", n, lat[n / 2],
	    lat[n * 99 / 100], lat[n - 1]);
	kp_line_free(&lr);
	free(lat);
	return 0;
}
