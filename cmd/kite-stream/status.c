/*
 * status.c: kite-stream's live output: status lines (kitepipe-ticks(5)),
 * flushes that never block the sockets, and the conflated ticks written
 * once the consumer caught up.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "ks.h"

void
ks_flush_nb(struct ks *l)
{
	l->out_wait = kp_out_flush_nowait(&l->e->out) < 0 &&
	    l->e->out.len > 0 && kp_out_error(&l->e->out) == 0;
}

void
ks_status_line(struct ks *l, int conn, const char *event, const char *extra)
{
	struct ks_emit *e = l->e;
	struct kp_buf b;
	int64_t now = kp_time_us();

	kp_buf_init(&b, 1024);
	kp_buf_addstr(&b, "{\"type\":\"status\",\"program\":\"kite-stream\","
	    "\"event\":");
	kp_json_cstr(&b, event);
	if (conn >= 0) {
		kp_buf_addstr(&b, ",\"connection\":");
		kp_json_i64(&b, conn);
		if (l->multi) {
			kp_buf_addstr(&b, ",\"account\":");
			kp_json_cstr(&b, l->acct[l->c[conn].acct].name);
		}
	}
	if (extra != NULL && *extra != '\0') {
		kp_buf_addc(&b, ',');
		kp_buf_addstr(&b, extra);
	}
	kp_buf_addstr(&b, ",\"receive_timestamp\":");
	kp_json_fixed(&b, now, 6);
	kp_buf_addc(&b, '}');
	if (l->cap_fd >= 0 && kp_cap_write(l->cap_fd, KP_CAP_STATUS,
	    conn < 0 ? 0 : (unsigned)conn, now, b.p, b.len) < 0)
		kp_warn("unable to write to %s:", l->o->write_path);
	ks_emit_time(e, now);
	ks_emit_status(e, b.p, b.len);
	kp_buf_free(&b);
	ks_flush_nb(l);
}

void
ks_drain_conflated(struct ks *l, bool force)
{
	struct ks_emit *e = l->e;
	char extra[64];
	uint64_t lost;

	if (!ks_conflate_due(e, force))
		return;
	lost = ks_conflate_take_lost(e);
	if (lost > 0) {
		snprintf(extra, sizeof(extra), "\"count\":%llu",
		    (unsigned long long)lost);
		kp_warn("output fell behind: %llu ticks conflated",
		    (unsigned long long)lost);
		ks_status_line(l, -1, "conflated", extra);
	}
	ks_conflate_flush(e);
}
