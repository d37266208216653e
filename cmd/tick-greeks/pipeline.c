/*
 * pipeline.c: tick-greeks -j N: the main thread fills batches of lines,
 * workers classify, settle (in stream order) and enrich whole batches,
 * and a writer writes them in order; a ring of batches bounds the memory.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"
#include "tg.h"


/*
 * -j N: the main thread reads the lines into batches and does nothing
 * else with them; N - 1 workers take whole batches, any batch on any
 * worker, and for each
 *   A. scan its lines and look their instruments up (in parallel);
 *   B. in stream order, batch after batch (under the lock, about 30
 *      instructions a line): record the underlying prices the batch's
 *      lines carry and give each option tick the underlying's price at
 *      its place, as the single-threaded filter does line by line;
 *   C. compute and format its option ticks (in parallel);
 * and a writer thread writes the batches, with the warnings about their
 * bad lines, in the order they were filled.  The main thread computes a
 * batch itself only when the workers fall behind (two batches waiting,
 * or no free batch to fill): N threads in all share the work.
 *
 * A ring of 2N + 2 batches bounds the memory: the main thread waits for
 * a free one.  A batch is sent when full, or as soon as the reader holds
 * no further line, so a live stream is not held back.
 */
#ifndef BATCH_LINES
#define BATCH_LINES 512
#endif
#ifndef BATCH_BYTES
#define BATCH_BYTES (256 * 1024)
#endif

enum { B_FREE, B_FILLED, B_BUSY, B_DONE };

struct batch {
	int state;		/* B_*, under the pipeline's mutex */
	struct kp_buf in;	/* the lines, back to back */
	struct job *job;
	size_t njob, nopt;
	size_t nmsg;		/* J_BAD and J_LONG jobs */
	size_t npre;		/* bytes of chain lines (step B) */
	uint64_t no;		/* its place in the stream (fill) */
	struct kp_buf out;	/* the batch's output, from its worker */
};

struct tg_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv_work;	/* workers: a batch sent, or the end */
	pthread_cond_t cv_done;	/* the writer: a batch computed */
	pthread_cond_t cv_free;	/* the main thread: a batch written */
	pthread_cond_t cv_seq;	/* workers: a batch through step B */
	struct batch *b, *cur;	/* cur: the batch being filled */
	size_t nb;
	uint64_t fill, work, write;	/* next to send, compute, write */
	uint64_t seq;		/* next batch for step B (stream order) */
	struct counts c;	/* the lines counted in step B */
	int eof;		/* nothing more will be sent */
	int werr;		/* the writer's errno (EPIPE...), 0 if none */
	int nworker;
	pthread_t *worker, writer;
	struct fmt_ctx *fc;	/* one per worker, then the main thread's */
	struct wctx { struct tg_pipe *pp; int i; } *wc;
	struct tg *g;		/* what the batches are enriched with */
};

static void
lock(struct tg_pipe *pp)
{
	pthread_mutex_lock(&pp->mu);
}

static void
unlock(struct tg_pipe *pp)
{
	pthread_mutex_unlock(&pp->mu);
}

/*
 * Step B, with the lock held and every earlier batch through it: each
 * line settled in stream order (a line too long was counted by the main
 * thread).
 */
static void
sequence(struct tg_pipe *pp, struct batch *b)
{
	size_t i;

	for (i = 0; i < b->njob; i++)
		if (b->job[i].kind != J_LONG) {
			tg_settle(pp->g, &b->job[i], &pp->c);
			b->npre += b->job[i].prelen;
		}
}

/* Steps A to C for a whole batch, into its out; called unlocked. */
static void
compute(struct tg_pipe *pp, struct batch *b, struct fmt_ctx *fc)
{
	size_t i, need;
	char *p0, *p;

	for (i = 0; i < b->njob; i++) {
		struct job *j = &b->job[i];

		if (j->kind != J_NEW)
			continue;
		tg_classify(pp->g, b->in.p + j->off, j->len, j, &fc->ic);
		b->nmsg += j->kind == J_BAD;
		b->nopt += j->kind == J_OPT;
	}
	lock(pp);
	while (pp->seq != b->no)
		pthread_cond_wait(&pp->cv_seq, &pp->mu);
	sequence(pp, b);
	pp->seq++;
	pthread_cond_broadcast(&pp->cv_seq);
	unlock(pp);
	need = b->in.len + b->njob + b->nopt * (ENRICH_ROOM + 2) + b->npre;
	kp_buf_reset(&b->out);
	if ((p0 = kp_buf_room(&b->out, need)) == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	p = p0;
	for (i = 0; i < b->njob; i++) {
		struct job *j = &b->job[i];
		const char *line = b->in.p + j->off;

		if (j->pre != NULL) {
			memcpy(p, j->pre, j->prelen);
			p += j->prelen;
			free(j->pre);
			j->pre = NULL;
		}
		if (j->kind == J_PASS || j->kind == J_PRICE) {
			memcpy(p, line, j->len);
			p += j->len;
			*p++ = '\n';
		} else if (j->kind == J_OPT) {
			memcpy(p, line, j->ot.end - 1);
			p = tg_enrich(pp->g, p + j->ot.end - 1, &j->ot, fc);
		}
	}
	b->out.len = (size_t)(p - p0);
}

/* The warnings of a batch's bad lines, in order. */
static void
warn_batch(const struct batch *b)
{
	size_t i;

	for (i = 0; i < b->njob; i++) {
		const struct job *j = &b->job[i];

		if (j->kind == J_BAD)
			kp_warn("line %llu: bad JSON: %s (column %zu)",
			    (unsigned long long)j->lineno, j->err, j->col);
		else if (j->kind == J_LONG)
			kp_warn("line %llu: longer than %d bytes, skipped",
			    (unsigned long long)j->lineno, LINE_MAX_BYTES);
	}
}

/*
 * With the lock held: take the oldest batch sent and not yet taken,
 * compute it (unlocked) with fc, and mark it done.
 */
static void
run_one(struct tg_pipe *pp, struct fmt_ctx *fc)
{
	struct batch *b = &pp->b[pp->work++ % pp->nb];

	b->state = B_BUSY;
	unlock(pp);
	compute(pp, b, fc);
	lock(pp);
	b->state = B_DONE;
	pthread_cond_signal(&pp->cv_done);
}

static void *
worker_main(void *arg)
{
	struct wctx *wc = arg;
	struct tg_pipe *pp = wc->pp;

	lock(pp);
	for (;;) {
		while (pp->work == pp->fill && !pp->eof)
			pthread_cond_wait(&pp->cv_work, &pp->mu);
		if (pp->work == pp->fill)
			break;
		run_one(pp, &pp->fc[wc->i]);
	}
	unlock(pp);
	return NULL;
}

/* Write all of p; 0, or the errno (EINTR retried, EAGAIN waited out). */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			if (errno == EAGAIN || errno == EWOULDBLOCK)
				(void)poll(&pf, 1, -1);
			else if (errno != EINTR)
				return errno;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The writer: the batches in order; after an error, they are dropped. */
static void *
writer_main(void *arg)
{
	struct tg_pipe *pp = arg;
	struct batch *b;
	int e = 0;

	lock(pp);
	for (;;) {
		b = &pp->b[pp->write % pp->nb];
		while (b->state != B_DONE && !(pp->eof &&
		    pp->write == pp->fill))
			pthread_cond_wait(&pp->cv_done, &pp->mu);
		if (b->state != B_DONE)
			break;
		unlock(pp);
		if (b->nmsg > 0)
			warn_batch(b);
		if (e == 0)
			e = write_all(1, b->out.p, b->out.len);
		lock(pp);
		pp->werr = e;
		b->state = B_FREE;
		pp->write++;
		pthread_cond_signal(&pp->cv_free);
	}
	unlock(pp);
	return NULL;
}

/* Start n workers and the writer, with no signal unblocked: the
 * signals go to the main thread, whose read(2) they interrupt.  n may be
 * 0 (the main thread and the writer alone). */
struct tg_pipe *
tg_pipe_start(struct tg *g, int n)
{
	struct tg_pipe *pp = calloc(1, sizeof(*pp));
	sigset_t all, old;
	size_t i;
	int e;

	if (pp == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	pp->g = g;
	pp->nworker = n;
	pp->nb = 2 * (size_t)n + 4;
	pp->b = calloc(pp->nb, sizeof(*pp->b));
	pp->worker = calloc((size_t)n + 1, sizeof(*pp->worker));
	pp->fc = calloc((size_t)n + 1, sizeof(*pp->fc));
	pp->wc = calloc((size_t)n + 1, sizeof(*pp->wc));
	if (pp->b == NULL || pp->worker == NULL || pp->fc == NULL ||
	    pp->wc == NULL)
		kp_die(KP_EXIT_TEMP, "out of memory");
	for (i = 0; i < pp->nb; i++) {
		kp_buf_init(&pp->b[i].in, BATCH_BYTES + LINE_MAX_BYTES);
		kp_buf_init(&pp->b[i].out, BATCH_BYTES + LINE_MAX_BYTES +
		    BATCH_LINES * (ENRICH_ROOM + 3));
		if ((pp->b[i].job = calloc(BATCH_LINES,
		    sizeof(*pp->b[i].job))) == NULL)
			kp_die(KP_EXIT_TEMP, "out of memory");
	}
	pthread_mutex_init(&pp->mu, NULL);
	pthread_cond_init(&pp->cv_work, NULL);
	pthread_cond_init(&pp->cv_done, NULL);
	pthread_cond_init(&pp->cv_free, NULL);
	pthread_cond_init(&pp->cv_seq, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < (size_t)n; i++) {
		pp->wc[i].pp = pp;
		pp->wc[i].i = (int)i;
		if ((e = pthread_create(&pp->worker[i], NULL, worker_main,
		    &pp->wc[i])) != 0)
			kp_die(KP_EXIT_TEMP, "threads: %s", strerror(e));
	}
	if ((e = pthread_create(&pp->writer, NULL, writer_main, pp)) != 0)
		kp_die(KP_EXIT_TEMP, "threads: %s", strerror(e));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pp;
}

/*
 * Send the batch being filled, if any, to the workers; compute one
 * batch here when two or more are waiting for a worker.  Return the
 * writer's errno so far (0: none).
 */
int
tg_pipe_send(struct tg_pipe *pp)
{
	int e;

	lock(pp);
	if (pp->cur != NULL) {
		pp->cur->state = B_FILLED;
		pp->cur->no = pp->fill++;
		pp->cur = NULL;
		pthread_cond_signal(&pp->cv_work);
		if (pp->fill - pp->work >= 2 || pp->nworker == 0)
			run_one(pp, &pp->fc[pp->nworker]);
	}
	e = pp->werr;
	unlock(pp);
	return e;
}

/* The batch being filled, a free one taken when there is none. */
static struct batch *
pipe_cur(struct tg_pipe *pp)
{
	struct batch *b;

	if ((b = pp->cur) == NULL) {
		b = &pp->b[pp->fill % pp->nb];
		lock(pp);
		while (b->state != B_FREE) {
			if (pp->work != pp->fill)
				run_one(pp, &pp->fc[pp->nworker]);
			else
				pthread_cond_wait(&pp->cv_free, &pp->mu);
		}
		unlock(pp);
		kp_buf_reset(&b->in);
		b->njob = b->nopt = b->nmsg = b->npre = 0;
		pp->cur = b;
	}
	return b;
}

/*
 * One line into the batch, left to its worker.  Return the writer's
 * errno so far (0: none).
 */
int
tg_pipe_line(struct tg_pipe *pp, const char *line, size_t len,
    uint64_t lineno)
{
	struct batch *b = pipe_cur(pp);
	struct job *j = &b->job[b->njob++];

	j->lineno = lineno;
	j->off = b->in.len;
	j->len = len;
	j->kind = J_NEW;
	j->pre = NULL;
	j->prelen = 0;
	/* the line and a NUL (kp_tickscan's end) */
	if (kp_buf_add(&b->in, line, len) < 0 ||
	    kp_buf_addc(&b->in, '\0') < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	if (b->njob == BATCH_LINES || b->in.len >= BATCH_BYTES)
		return tg_pipe_send(pp);
	return 0;
}

/* A line too long, reported in its place. */
int
tg_pipe_long(struct tg_pipe *pp, uint64_t lineno)
{
	struct batch *b = pipe_cur(pp);
	struct job *j = &b->job[b->njob++];

	j->lineno = lineno;
	j->kind = J_LONG;
	j->pre = NULL;
	j->prelen = 0;
	j->off = b->in.len;
	j->len = 0;
	b->nmsg++;
	if (b->njob == BATCH_LINES)
		return tg_pipe_send(pp);
	return 0;
}

/* Send what is filled and wait until all of it is written; return the
 * writer's errno (0: all written). */
int
tg_pipe_drain(struct tg_pipe *pp)
{
	int e;

	(void)tg_pipe_send(pp);
	lock(pp);
	while (pp->write != pp->fill) {
		if (pp->work != pp->fill)
			run_one(pp, &pp->fc[pp->nworker]);
		else
			pthread_cond_wait(&pp->cv_free, &pp->mu);
	}
	e = pp->werr;
	unlock(pp);
	return e;
}

/*
 * Drain, stop the threads, free; return the writer's errno, add the
 * counts of option ticks without an IV to *noiv and move the option
 * ticks the workers found bad over in *c.
 */
int
tg_pipe_stop(struct tg_pipe *pp, unsigned long long *noiv, struct counts *c)
{
	int i, e = tg_pipe_drain(pp);
	size_t k;

	lock(pp);
	pp->eof = 1;
	pthread_cond_broadcast(&pp->cv_work);
	pthread_cond_broadcast(&pp->cv_done);
	unlock(pp);
	for (i = 0; i < pp->nworker; i++)
		pthread_join(pp->worker[i], NULL);
	for (i = 0; i <= pp->nworker; i++)
		*noiv += pp->fc[i].noiv;
	pthread_join(pp->writer, NULL);
	c->lines += pp->c.lines;
	c->options += pp->c.options;
	c->bad += pp->c.bad;
	c->pass += pp->c.pass;
	for (k = 0; k < pp->nb; k++) {
		kp_buf_free(&pp->b[k].in);
		kp_buf_free(&pp->b[k].out);
		free(pp->b[k].job);
	}
	pthread_mutex_destroy(&pp->mu);
	pthread_cond_destroy(&pp->cv_work);
	pthread_cond_destroy(&pp->cv_done);
	pthread_cond_destroy(&pp->cv_free);
	pthread_cond_destroy(&pp->cv_seq);
	free(pp->b);
	free(pp->worker);
	free(pp->fc);
	free(pp->wc);
	free(pp);
	return e;
}
