/*
 * tick-greeks: NDJSON ticks in, the same lines out, option ticks enriched
 * with implied volatility and Greeks.  See tick-greeks(1).  The parts
 * are mapped in tg.h; this file holds main() and the read loop.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"
#include "tg.h"

/*
 * Does the reader hold another complete line?  *last_nl is the offset of
 * the last '\n' it held when last asked (SIZE_MAX: none): until that
 * line is taken the reader cannot read(2), so its buffer stays put and
 * the answer is yes without a search; the search, from the end, runs
 * about once per read.
 */
static inline int
line_buffered(const struct kp_line *lr, size_t *last_nl)
{
	size_t i;

	if (*last_nl != SIZE_MAX && lr->start <= *last_nl)
		return 1;
	*last_nl = SIZE_MAX;
	for (i = lr->end; i > lr->start; i--)
		if (lr->buf[i - 1] == '\n') {
			*last_nl = i - 1;
			return 1;
		}
	return 0;
}

/*
 * -j 1: one line, all of it, here (the -j 1 counterpart of pipeline.c's
 * batches), into out (b: for a line too long for out).
 */
static void
process(struct tg *g, struct kp_out *out, struct kp_buf *b, char *line,
    size_t len, uint64_t lineno, struct fmt_ctx *fc, struct counts *c)
{
	struct job j;
	const struct opt_tick *ot = &j.ot;
	size_t need;
	char *p0, *p;

	j.pre = NULL;
	tg_classify(g, line, len, &j, &fc->ic);
	tg_settle(g, &j, c);
	if (j.pre != NULL) {
		kp_out_write(out, j.pre, j.prelen);
		free(j.pre);
	}
	if (j.kind == J_BAD) {
		kp_warn("line %llu: bad JSON: %s (column %zu)",
		    (unsigned long long)lineno, j.err, j.col);
		return;
	}
	if (j.kind != J_OPT)
		goto pass;
	/* straight into the output buffer when it can hold the line */
	need = ot->end - 1 + ENRICH_ROOM + 2;
	if (need > out->cap || (p0 = kp_out_room(out, need)) == NULL) {
		kp_buf_reset(b);
		if ((p0 = kp_buf_room(b, need)) == NULL)
			goto pass;
	}
	memcpy(p0, line, ot->end - 1);
	p = tg_enrich(g, p0 + ot->end - 1, ot, fc);
	if (p0 == b->p)
		kp_out_write(out, p0, (size_t)(p - p0));
	else
		kp_out_commit(out, (size_t)(p - p0));
	return;
pass:
	kp_out_write(out, line, len);
	kp_out_write(out, "\n", 1);
}

/* What the read loop keeps: stdin, stdout (-j 1), the counts. */
struct loop {
	struct kp_line lr;
	struct kp_out out;
	struct kp_buf b;	/* -j 1: a line too long for out */
	struct fmt_ctx fc;	/* -j 1's */
	struct counts c;
	size_t last_nl;		/* see line_buffered */
	int rerr;		/* stdin's errno, 0 if none */
};

/* SIGHUP: the instruments again; on failure the old ones are kept. */
static void
reload(struct tg *g, struct loop *l)
{
	struct table nt;
	char err[KP_ERRLEN];

	/* nothing in flight uses the old table */
	if (g->pp != NULL)
		(void)tg_pipe_drain(g->pp);
	else
		kp_out_flush(&l->out);
	if (tg_load(g, &nt, err) != 0) {
		tg_table_free(&nt);
		kp_warn("reload failed, keeping the old instruments: %s", err);
	} else {
		tg_table_free(&g->t);
		g->t = nt;
		kp_log(KP_LOG_INFO, "reloaded instruments=%zu", g->t.n);
	}
}

/*
 * One line read: to the pipeline, or processed and written here.  Return
 * 0, or -1 when the output failed.
 */
static int
one_line(struct tg *g, struct loop *l, char *line, size_t len)
{
	if (g->pp != NULL) {
		/* send when no further line is already buffered */
		if (tg_pipe_line(g->pp, line, len, l->lr.lineno) != 0 ||
		    (!line_buffered(&l->lr, &l->last_nl) &&
		    tg_pipe_send(g->pp) != 0))
			return -1;
		return 0;
	}
	process(g, &l->out, &l->b, line, len, l->lr.lineno, &l->fc,
	    &l->c);
	/* flush when no further line is already buffered */
	if (!line_buffered(&l->lr, &l->last_nl))
		kp_out_flush(&l->out);
	return kp_out_error(&l->out) != 0 ? -1 : 0;
}

/* Lines until EOF, a signal to stop, a read error or an output error. */
static void
run(struct tg *g, struct loop *l)
{
	char *line;
	size_t len;
	int st;

	for (;;) {
		/*
		 * Signals between lines: whenever no further line is
		 * buffered (before a read(2) that may wait), and every 64
		 * lines.
		 */
		if ((l->lr.lineno & 63) == 0 ||
		    !line_buffered(&l->lr, &l->last_nl)) {
			if (kp_sig_take(SIGHUP))
				reload(g, l);
			if (kp_sig_stopping())
				break;
		}
		st = kp_line_next(&l->lr, &line, &len);
		if (st == KP_LINE_EOF)
			break;
		if (st == KP_LINE_ERR) {
			if (errno == EINTR)
				continue;
			l->rerr = errno;
			break;
		}
		if (st == KP_LINE_TOOLONG) {
			l->c.bad++;
			if (g->pp == NULL)
				kp_warn("line %llu: longer than %d bytes, "
				    "skipped", (unsigned long long)l->lr.lineno,
				    LINE_MAX_BYTES);
			else if (tg_pipe_long(g->pp, l->lr.lineno) != 0)
				break;
			continue;
		}
		if (st == KP_LINE_OK && one_line(g, l, line, len) < 0)
			break;
	}
}

int
main(int argc, char **argv)
{
	struct tg g;
	struct loop l;
	unsigned long long noiv = 0;
	char err[KP_ERRLEN];
	int st, werr;

	memset(&g, 0, sizeof(g));
	memset(&l, 0, sizeof(l));
	kp_log_init(TG_PROG);
	tg_opts_parse(&g.o, argc, argv);
	tg_fields_init(&g);
	tg_load_map(&g, g.o.map_path);
	if ((st = tg_load(&g, &g.t, err)) != 0)
		kp_die(st, "instruments: %s", err);
	kp_log(KP_LOG_INFO, "loaded instruments=%zu", g.t.n);
	if (kp_sig_init() < 0)
		kp_die(KP_EXIT_TEMP, "signals: %s", strerror(errno));
	if (kp_line_init(&l.lr, 0, LINE_MAX_BYTES) < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	kp_out_init(&l.out, 1, 1 << 16);
	kp_buf_init(&l.b, 2 * LINE_MAX_BYTES);
	l.last_nl = SIZE_MAX;
	if (g.o.jobs > 1)
		g.pp = tg_pipe_start(&g, g.o.jobs - 1);
	run(&g, &l);
	if (g.pp != NULL) {
		werr = tg_pipe_stop(g.pp, &noiv, &l.c);
		g.pp = NULL;
	} else {
		kp_out_flush(&l.out);
		werr = kp_out_error(&l.out);
		noiv = l.fc.noiv;
	}
	kp_log(KP_LOG_INFO, "done lines=%llu options=%llu no_iv=%llu "
	    "bad=%llu passed=%llu", l.c.lines, l.c.options, noiv, l.c.bad,
	    l.c.pass);
	if (l.rerr != 0)
		kp_die(KP_EXIT_TEMP, "stdin: %s", strerror(l.rerr));
	kp_line_free(&l.lr);
	kp_out_free(&l.out);
	kp_buf_free(&l.b);
	tg_free(&g);
	if (werr != 0 && werr != EPIPE)
		return KP_EXIT_TEMP;
	return l.c.bad ? KP_EXIT_REJECTED : KP_EXIT_OK;
}
