/* redis.c: the Redis source (placeholder until kp_redis.h is merged). */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "wf.h"

int
wf_redis_start(struct wf *w, char err[KP_ERRLEN])
{
	(void)w;
	snprintf(err, KP_ERRLEN, "the Redis source is not built yet; use -i");
	return -1;
}

void wf_redis_want(struct wf *w, struct wf_inst *in) { (void)w; (void)in; }
void wf_redis_unwant(struct wf *w, struct wf_inst *in) { (void)w; (void)in; }
void
wf_redis_snapshot(struct wf *w, const uint32_t *t, size_t n)
{
	(void)w; (void)t; (void)n;
}
int wf_redis_state(struct wf *w) { (void)w; return 0; }
void wf_redis_free(struct wf *w) { (void)w; }
int
wf_redis_event(struct wf *w, struct wf_fd *tag, int wr)
{
	(void)w; (void)tag; (void)wr;
	return -1;
}
void wf_redis_closed(struct wf *w, struct wf_fd *tag) { (void)w; (void)tag; }
