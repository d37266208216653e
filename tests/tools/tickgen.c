/*
 * tickgen: paced tick lines for ws-fanout's load tests and benchmark.
 * Writes RATE ltp ticks per second over K instrument tokens (1..K) for
 * SECONDS, each stamped with the current time in receive_timestamp, so a
 * client can tell the delivery latency.  Batches every millisecond.
 * usage: tickgen [-r RATE] [-k K] [-d SECONDS] [-w DELAY]
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "kp.h"

int
main(int argc, char **argv)
{
	long long rate = 1000, k = 10, dur_ms = 10000, delay_ms = 0, sent = 0;
	int64_t t0, now;
	struct timespec ts = { 0, 1000000 };
	char ts_s[32], *e;
	int c;

	kp_log_init("tickgen");
	while ((c = getopt(argc, argv, "r:k:d:w:")) != -1) {
		switch (c) {
		case 'r': rate = kp_opt_ll("-r", optarg, 1, 100000000); break;
		case 'k': k = kp_opt_ll("-k", optarg, 1, 1000000); break;
		case 'd': dur_ms = kp_opt_duration_ms("-d", optarg, 1,
			    86400000);
			break;
		case 'w': delay_ms = kp_opt_duration_ms("-w", optarg, 0,
			    86400000);
			break;
		default:
			fprintf(stderr, "usage: tickgen [-r RATE] [-k K] "
			    "[-d DUR] [-w DELAY]\n");
			return KP_EXIT_PERM;
		}
	}
	if (delay_ms > 0) {
		struct timespec d = { delay_ms / 1000,
		    (delay_ms % 1000) * 1000000 };

		nanosleep(&d, NULL);
	}
	t0 = kp_mono_ms();
	while ((now = kp_mono_ms()) - t0 < dur_ms) {
		long long due = (now - t0) * rate / 1000;

		if (sent < due) {
			e = kp_fmt_fixed_all(ts_s, kp_time_us(), 6);
			*e = 0;
		}
		for (; sent < due; sent++)
			printf("{\"type\":\"tick\",\"mode\":\"ltp\","
			    "\"instrument_token\":%lld,\"last_price\":%lld."
			    "%02lld,\"receive_timestamp\":%s}\n",
			    sent % k + 1, 1000 + sent % 997, sent % 100, ts_s);
		if (fflush(stdout) != 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "tickgen: %lld ticks\n", sent);
	return 0;
}
