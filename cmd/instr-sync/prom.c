/*
 * prom.c: instr-sync's last run as a Prometheus textfile (-P FILE,
 * KITEPIPE_PROM_FILE), for node_exporter's textfile collector: an alert
 * on kitepipe_instr_sync_last_run_timestamp_seconds catches a morning
 * sync that did not happen, one on kitepipe_instr_sync_last_exit_code a
 * sync that failed.  Every metric is a gauge: the file describes one run.
 */
/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "is.h"

void
is_prom(const struct is_sink *s, const struct kp_instr_counts *n, int code,
    double t0)
{
	struct timespec now;
	double end, dur;
	uint64_t rc = (uint64_t)code, rows = s->out_rows, parsed = n->rows;
	uint64_t bad = n->bad + (uint64_t)s->cnt[5];
	uint64_t c[5], nm = (uint64_t)s->not_modified;
	uint64_t dry = (uint64_t)(s->o->mode == IS_SYNC && s->o->dry_run);
	int i;

	if (s->o->prom == NULL)
		return;
	for (i = 0; i < 5; i++)
		c[i] = s->cnt[i] > 0 ? (uint64_t)s->cnt[i] : 0;
	clock_gettime(CLOCK_REALTIME, &now);
	end = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	dur = end - t0;
	{
		const struct kp_stat st[] = {
			{ "last_run_timestamp_seconds", "when the last run "
			    "ended (Unix time)", KP_STAT_GAUGE, NULL, &end },
			{ "last_run_duration_seconds", "how long the last run "
			    "took", KP_STAT_GAUGE, NULL, &dur },
			{ "last_exit_code", "the last run's exit status (0 ok, "
			    "1 rows rejected, 100 permanent, 111 temporary)",
			    KP_STAT_GAUGE, &rc, NULL },
			{ "not_modified", "1 when Kite's list had not changed "
			    "since the cached copy (nothing done)",
			    KP_STAT_GAUGE, &nm, NULL },
			{ "dry_run", "1 when the last run was a --dry-run",
			    KP_STAT_GAUGE, &dry, NULL },
			{ "parsed_rows", "data rows read from the list",
			    KP_STAT_GAUGE, &parsed, NULL },
			{ "rows", "good rows written (or synced)",
			    KP_STAT_GAUGE, &rows, NULL },
			{ "bad", "rows rejected (bad, repeated, cut short)",
			    KP_STAT_GAUGE, &bad, NULL },
			{ "added", "instruments added by the sync",
			    KP_STAT_GAUGE, &c[0], NULL },
			{ "changed", "instruments changed by the sync",
			    KP_STAT_GAUGE, &c[2], NULL },
			{ "reused", "tokens Kite gave to another contract",
			    KP_STAT_GAUGE, &c[1], NULL },
			{ "deactivated", "instruments marked inactive",
			    KP_STAT_GAUGE, &c[4], NULL },
			{ "unchanged", "instruments the sync left as they were",
			    KP_STAT_GAUGE, &c[3], NULL },
		};

		if (kp_stats_prom(s->o->prom, IS_PROG, st,
		    sizeof st / sizeof st[0]) < 0)
			kp_warn("unable to write %s:", s->o->prom);
	}
}
