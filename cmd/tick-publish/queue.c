/*
 * queue.c: the bounded in-order queue of commands.  Item headers sit in
 * one array and the RESP bytes of all items back to back in another, so
 * the unsent bytes go out with one write(2).  Both arrays are linear:
 * consumed space at the front is reclaimed by moving the rest down.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "tp.h"

void
tp_queue_init(struct tp_queue *q)
{
	memset(q, 0, sizeof *q);
	q->icap = 1024;
	q->it = kp_xmalloc(q->icap * sizeof q->it[0]);
	q->bcap = 1 << 20;
	q->buf = kp_xmalloc(q->bcap);
}

void
tp_queue_free(struct tp_queue *q)
{
	free(q->it);
	free(q->buf);
}

char *
tp_queue_room(struct tp_queue *q, size_t n)
{
	size_t used;

	if (q->bcap - q->bend >= n)
		return q->buf + q->bend;
	used = q->bend - q->bh;
	if (q->bh > 0 && q->bcap - used >= n && used <= q->bcap / 2) {
		memmove(q->buf, q->buf + q->bh, used);
		q->sent -= q->bh;
		q->bend = used;
		q->bh = 0;
		return q->buf + q->bend;
	}
	while (q->bcap - q->bend < n)
		q->bcap *= 2;
	q->buf = kp_xrealloc(q->buf, q->bcap);
	return q->buf + q->bend;
}

void
tp_queue_push(struct tp_queue *q, const struct tp_item *item)
{
	size_t n = q->iend - q->ih;

	if (q->iend == q->icap) {
		if (q->ih > 0 && n <= q->icap / 2) {
			memmove(q->it, q->it + q->ih, n * sizeof q->it[0]);
			q->dropcur -= q->dropcur >= q->ih ? q->ih : q->dropcur;
			q->iend = n;
			q->ih = 0;
		} else {
			q->icap *= 2;
			q->it = kp_xrealloc(q->it, q->icap * sizeof q->it[0]);
		}
	}
	q->it[q->iend++] = *item;
	q->bend += item->size;
	q->lines++;
	q->bytes += item->size;
}

int
tp_queue_drop_oldest(struct tp_queue *q)
{
	size_t i = q->dropcur > q->ih ? q->dropcur : q->ih;

	for (; i < q->iend; i++) {
		if ((q->it[i].flags & (TP_DROPPABLE | TP_DEAD)) ==
		    TP_DROPPABLE) {
			q->it[i].flags |= TP_DEAD;
			q->lines--;
			q->bytes -= q->it[i].size;
			q->dead += q->it[i].size;
			q->dropcur = i + 1;
			return 0;
		}
	}
	q->dropcur = i;
	return -1;
}

void
tp_queue_rewind(struct tp_queue *q)
{
	q->sent = q->bh;
	q->acked = 0;
}

void
tp_queue_compact(struct tp_queue *q)
{
	size_t i, j = 0, src = q->bh, dst = 0, sz;

	for (i = q->ih; i < q->iend; i++) {
		sz = q->it[i].size;
		if (!(q->it[i].flags & TP_DEAD)) {
			if (dst != src)
				memmove(q->buf + dst, q->buf + src, sz);
			q->it[j++] = q->it[i];
			dst += sz;
		}
		src += sz;
	}
	q->ih = 0;
	q->iend = j;
	q->bh = 0;
	q->bend = dst;
	q->sent = 0;
	q->acked = 0;
	q->dead = 0;
	q->dropcur = 0;
}
