/*
 * publish.c: one NDJSON line to the Redis commands it asks for (PUBLISH
 * per channel template, XADD, HSET), written as RESP into the queue.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

static struct kp_tmpl *
compile(struct tp *t, const char *src, const char *what, char err[KP_ERRLEN])
{
	char e[KP_ERRLEN];
	struct kp_tmpl *tp = kp_tmpl_compile(src, &t->fields, e);

	if (tp == NULL)
		snprintf(err, KP_ERRLEN, "%s: %.240s", what, e);
	return tp;
}

int
tp_init(struct tp *t, struct tp_opts *o, char err[KP_ERRLEN])
{
	char *p;
	size_t i;

	memset(t, 0, sizeof *t);
	t->o = o;
	t->fd = -1;
	kp_jfields_init(&t->fields);
	for (i = 0; i < o->nchannels; i++)
		if ((t->chan[i] = compile(t, o->channels[i], "-c", err)) ==
		    NULL)
			return -1;
	if (o->fallback != NULL &&
	    (t->fallback = compile(t, o->fallback, "-f", err)) == NULL)
		return -1;
	if (o->stream != NULL &&
	    (t->stream = compile(t, o->stream, "-x", err)) == NULL)
		return -1;
	if (o->hash != NULL && ((t->hash = compile(t, o->hash, "-H", err)) ==
	    NULL || (t->hash_field = compile(t, o->hash_field, "-k",
	    err)) == NULL))
		return -1;
	t->type_field = kp_jfields_add(&t->fields, "type", 4);
	if (t->type_field < 0) {
		snprintf(err, KP_ERRLEN, "templates use too many fields");
		return -1;
	}
	t->vals = kp_xcalloc(KP_JFIELDS_MAX, sizeof t->vals[0]);
	/* XADD KEY [MAXLEN ~ N] * data LINE: the part after KEY */
	p = t->xadd_tail;
	if (o->maxlen > 0) {
		char num[24];
		int n = snprintf(num, sizeof num, "%lld", o->maxlen);

		p += sprintf(p, "$6\r\nMAXLEN\r\n$1\r\n~\r\n$%d\r\n%s\r\n", n,
		    num);
		t->xadd_argc = 8;
	} else {
		t->xadd_argc = 5;
	}
	p += sprintf(p, "$1\r\n*\r\n$4\r\ndata\r\n");
	t->xadd_tail_len = (size_t)(p - t->xadd_tail);
	tp_queue_init(&t->q);
	return 0;
}

void
tp_free(struct tp *t)
{
	size_t i;

	for (i = 0; i < TP_MAX_CHANNELS; i++)
		kp_tmpl_free(t->chan[i]);
	kp_tmpl_free(t->fallback);
	kp_tmpl_free(t->stream);
	kp_tmpl_free(t->hash);
	kp_tmpl_free(t->hash_field);
	free(t->vals);
	tp_queue_free(&t->q);
}

/* "$LEN\r\nBYTES\r\n" at p; return one past it. */
static char *
put_bulk(char *p, const char *s, size_t n)
{
	*p++ = '$';
	p = kp_fmt_u64(p, n);
	*p++ = '\r';
	*p++ = '\n';
	memcpy(p, s, n);
	p += n;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

static void
missing(struct tp *t, uint64_t lineno, const struct kp_tmpl *tp, long r,
    const char *field, const char *what)
{
	t->st.missing++;
	kp_warn("line %llu: %s '%s': field '%s' %s; not %s",
	    (unsigned long long)lineno, what, kp_tmpl_source(tp), field,
	    r == KP_TMPL_MISSING ? "is missing" : r == KP_TMPL_NOT_SCALAR ?
	    "is an object or array" : "makes the name too long",
	    *what == 'c' ? "published there" : "written");
}

/* The PUBLISH commands; return their number. */
static unsigned
put_publish(struct tp *t, char **pp, const char *line, size_t len,
    uint64_t lineno)
{
	char name[KP_TMPL_OUT_MAX];
	const char *field = "";
	unsigned i, n = 0, fell = 0;
	long r;

	for (i = 0; i < t->o->nchannels; i++) {
		r = kp_tmpl_render(t->chan[i], t->vals, name, sizeof name,
		    &field);
		if (r < 0 && t->fallback != NULL) {
			if (fell++)
				continue;
			r = kp_tmpl_render(t->fallback, t->vals, name,
			    sizeof name, &field);
			if (r < 0) {
				missing(t, lineno, t->fallback, r, field,
				    "channel");
				continue;
			}
		} else if (r < 0) {
			missing(t, lineno, t->chan[i], r, field, "channel");
			continue;
		}
		memcpy(*pp, "*3\r\n$7\r\nPUBLISH\r\n", 17);
		*pp = put_bulk(*pp + 17, name, (size_t)r);
		*pp = put_bulk(*pp, line, len);
		n++;
	}
	return n;
}

static unsigned
put_xadd(struct tp *t, char **pp, const char *line, size_t len,
    uint64_t lineno)
{
	char key[KP_TMPL_OUT_MAX];
	const char *field = "";
	long r;
	char *p = *pp;

	r = kp_tmpl_render(t->stream, t->vals, key, sizeof key, &field);
	if (r < 0) {
		missing(t, lineno, t->stream, r, field, "stream");
		return 0;
	}
	*p++ = '*';
	p = kp_fmt_u64(p, t->xadd_argc);
	memcpy(p, "\r\n$4\r\nXADD\r\n", 12);
	p = put_bulk(p + 12, key, (size_t)r);
	memcpy(p, t->xadd_tail, t->xadd_tail_len);
	*pp = put_bulk(p + t->xadd_tail_len, line, len);
	return 1;
}

static unsigned
put_hset(struct tp *t, char **pp, const char *line, size_t len,
    uint64_t lineno)
{
	char key[KP_TMPL_OUT_MAX], fname[KP_TMPL_OUT_MAX];
	const char *field = "";
	long r, rf;
	char *p = *pp;

	r = kp_tmpl_render(t->hash, t->vals, key, sizeof key, &field);
	if (r < 0) {
		missing(t, lineno, t->hash, r, field, "hash");
		return 0;
	}
	rf = kp_tmpl_render(t->hash_field, t->vals, fname, sizeof fname,
	    &field);
	if (rf < 0) {
		missing(t, lineno, t->hash_field, rf, field, "hash field");
		return 0;
	}
	memcpy(p, "*4\r\n$4\r\nHSET\r\n", 14);
	p = put_bulk(p + 14, key, (size_t)r);
	p = put_bulk(p, fname, (size_t)rf);
	*pp = put_bulk(p, line, len);
	return 1;
}

/* Is this line a tick (droppable when the queue is full)? */
static int
is_tick(const struct tp *t)
{
	const struct kp_jval *v = &t->vals[t->type_field];

	return v->type == KP_J_STRING && v->len == 4 &&
	    memcmp(v->p, "tick", 4) == 0;
}

void
tp_line(struct tp *t, const char *line, size_t len, uint64_t lineno)
{
	struct tp_item item = { 0, 0, 0, 0, 0 };
	char err[KP_ERRLEN], *start, *p;
	size_t ncmd = t->o->nchannels + 2;

	t->st.lines++;
	if ((t->o->strict ? kp_jscan_strict : kp_jscan_quick)(line, len,
	    &t->fields, t->vals, err) < 0) {
		t->st.bad++;
		kp_warn("line %llu: not a JSON object: %s; skipped",
		    (unsigned long long)lineno, err);
		return;
	}
	/* each command: its words, two names, the line, lengths */
	start = p = tp_queue_room(&t->q, ncmd * (len + 2 * KP_TMPL_OUT_MAX +
	    t->xadd_tail_len + 128));
	item.npub = (uint8_t)put_publish(t, &p, line, len, lineno);
	if (t->stream != NULL)
		item.nxadd = (uint8_t)put_xadd(t, &p, line, len, lineno);
	if (t->hash != NULL)
		item.nhset = (uint8_t)put_hset(t, &p, line, len, lineno);
	if (p == start)
		return;
	item.size = (uint32_t)(p - start);
	item.flags = is_tick(t) ? TP_DROPPABLE : 0;
	tp_queue_push(&t->q, &item);
}

/* The stats line, and the Prometheus file when -P names one. */
void
tp_write_stats(struct tp *t)
{
	struct tp_stats *s = &t->st;
	const struct kp_stat st[] = {
		{ "lines", "lines read", KP_STAT_COUNTER, &s->lines, NULL },
		{ "published", "PUBLISH commands acknowledged",
		    KP_STAT_COUNTER, &s->published, NULL },
		{ "xadded", "XADD commands acknowledged", KP_STAT_COUNTER,
		    &s->xadded, NULL },
		{ "hset", "HSET commands acknowledged", KP_STAT_COUNTER,
		    &s->hset, NULL },
		{ "dropped", "ticks dropped from a full queue",
		    KP_STAT_COUNTER, &s->dropped, NULL },
		{ "bad", "lines that are not JSON objects", KP_STAT_COUNTER,
		    &s->bad, NULL },
		{ "missing", "template fields missing from lines",
		    KP_STAT_COUNTER, &s->missing, NULL },
		{ "errors", "commands Redis refused", KP_STAT_COUNTER,
		    &s->errors, NULL },
		{ "reconnects", "connections made again after a loss",
		    KP_STAT_COUNTER, &s->reconnects, NULL },
		{ "queue_lines", "lines queued or awaiting replies",
		    KP_STAT_GAUGE, &s->queue_lines, NULL },
		{ "queue_bytes", "bytes of commands queued", KP_STAT_GAUGE,
		    &s->queue_bytes, NULL },
	};
	size_t n = sizeof st / sizeof st[0];

	s->queue_lines = t->q.lines;
	s->queue_bytes = t->q.bytes;
	kp_stats_log(TP_PROG, st, n);
	if (t->o->prom_path != NULL &&
	    kp_stats_prom(t->o->prom_path, TP_PROG, st, n) < 0)
		kp_warn("unable to write %s:", t->o->prom_path);
}
