/* emit.c: decoded ticker messages to kitepipe-ticks(5) lines. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ks.h"

#define OUT_BUF (256u << 10)

void
ks_emit_init(struct ks_emit *e, const struct ks_opts *o, int fd)
{
	memset(e, 0, sizeof(*e));
	kp_out_init(&e->out, fd, OUT_BUF);
	e->opts = o;
	e->where = "";
}

void
ks_emit_free(struct ks_emit *e)
{
	ks_seen_free(&e->seen);
	kp_out_free(&e->out);
}

void
ks_emit_warn(struct ks_emit *e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	e->warnings++;
	if (e->warnings > (uint64_t)e->opts->max_warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (*e->where != '\0')
		kp_warn("%s: %s", e->where, msg);
	else
		kp_warn("%s", msg);
	if (e->warnings == (uint64_t)e->opts->max_warn)
		kp_warn("%llu warnings: further ones are only counted (see "
		    "stats)", (unsigned long long)e->warnings);
}

static void
on_tick(void *arg, const struct kp_tick *t)
{
	struct ks_emit *e = arg;
	char *p, *end;

	e->st.packets++;
	if (e->cf != NULL && ks_conflate_active(e)) {
		ks_conflate_put(e, t);
		return;
	}
	p = kp_out_room(&e->out, KP_TICK_JSON_MAX);
	if (p == NULL)
		return;
	if (t->exchange_timestamp != 0) {
		int64_t lag = e->recv_us / 1000 -
		    (int64_t)t->exchange_timestamp * 1000;

		e->st.lag_ms = lag > 0 ? (uint64_t)lag : 0;
	}
	end = kp_tick_json_ts(p, t, e->ts, e->tslen);
	kp_out_commit(&e->out, (size_t)(end - p));
	e->st.lines_out++;
}

static void
on_bad(void *arg, const struct kp_codec_report *r)
{
	struct ks_emit *e = arg;
	char why[256];

	if (r->err != KP_CODEC_COUNT_LONG)
		e->st.bad_parts++;
	kp_codec_strerror(r, why, sizeof(why));
	ks_emit_warn(e, "%s", why);
}

void
ks_emit_time(struct ks_emit *e, int64_t recv_us)
{
	e->recv_us = recv_us;
	e->tslen = (size_t)(kp_fmt_fixed_all(e->ts, recv_us, 6) - e->ts);
}

void
ks_emit_binary(struct ks_emit *e, const uint8_t *msg, size_t len)
{
	e->st.messages++;
	e->st.bytes_in += len;
	if (len == 1) {
		e->st.heartbeats++;
		return;
	}
	kp_codec_decode(msg, len, on_tick, on_bad, e);
}

/* Append a line to the output: s (n bytes, no newline) and '\n'. */
static void
put_line(struct ks_emit *e, const char *s, size_t n)
{
	kp_out_write(&e->out, s, n);
	kp_out_write(&e->out, "\n", 1);
	e->st.lines_out++;
}

/*
 * Kite's own text, kept byte for byte but on one line: in valid JSON a
 * CR or LF can only be insignificant whitespace, so each becomes a space.
 * The receive time is spliced in before the closing brace (the object has
 * a "type", so it is not empty), unless Kite sent one of its own.
 */
static void
put_kite_text(struct ks_emit *e, const char *msg, size_t len, int splice)
{
	size_t end = len, i;
	struct kp_buf b;

	while (end > 0 && msg[end - 1] != '}')
		end--;
	kp_buf_init(&b, len + 64);
	if (kp_buf_add(&b, msg, end - 1) < 0)
		goto out;
	for (i = 0; i < b.len; i++)
		if (b.p[i] == '\n' || b.p[i] == '\r')
			b.p[i] = ' ';
	if (splice) {
		kp_buf_addstr(&b, ",\"receive_timestamp\":");
		kp_buf_add(&b, e->ts, e->tslen);
	}
	kp_buf_addc(&b, '}');
	put_line(e, b.p, b.len);
out:
	kp_buf_free(&b);
}

/* Text that is not a JSON object with a string "type": kept, wrapped. */
static void
put_unknown_text(struct ks_emit *e, const char *msg, size_t len)
{
	struct kp_buf b;

	kp_buf_init(&b, 6 * len + 128);
	kp_buf_addstr(&b, "{\"type\":\"unknown_text\",\"text\":");
	kp_json_str(&b, msg, len);
	kp_buf_addstr(&b, ",\"receive_timestamp\":");
	kp_buf_add(&b, e->ts, e->tslen);
	kp_buf_addc(&b, '}');
	put_line(e, b.p, b.len);
	kp_buf_free(&b);
}

/*
 * Whether msg is a JSON object with a string "type"; *has_recv if it
 * already has a receive_timestamp.  With order not NULL, an order update
 * ("type":"order", "data" an object) also gets *order, its data in
 * canonical JSON (compact, keys sorted; free it), else NULL.
 */
static int
is_typed_object(const char *msg, size_t len, int *has_recv, char **order,
    char *why, size_t whysz)
{
	json_error_t jerr;
	json_t *v = json_loadb(msg, len, 0, &jerr), *data;
	int ok;

	if (v == NULL) {
		snprintf(why, whysz, "not JSON (%s at column %d)", jerr.text,
		    jerr.column);
		return 0;
	}
	ok = json_is_object(v) && json_is_string(json_object_get(v, "type"));
	*has_recv = json_object_get(v, "receive_timestamp") != NULL;
	if (!ok)
		snprintf(why, whysz, "not a JSON object with a string "
		    "\"type\"");
	data = json_object_get(v, "data");
	if (ok && order != NULL && json_is_object(data) &&
	    strcmp(json_string_value(json_object_get(v, "type")), "order") == 0)
		*order = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(v);
	return ok;
}

void
ks_emit_text(struct ks_emit *e, const char *msg, size_t len)
{
	char why[200], *order = NULL;
	int has_recv = 0, ok, copy = 0;

	e->st.messages++;
	e->st.text_messages++;
	e->st.bytes_in += len;
	ok = is_typed_object(msg, len, &has_recv, &order, why, sizeof(why));
	if (order != NULL)
		copy = ks_seen_order(&e->seen, order, strlen(order),
		    e->recv_us);
	free(order);
	if (copy) {
		e->st.order_copies++;
		return;
	}
	if (ok) {
		put_kite_text(e, msg, len, !has_recv);
		return;
	}
	e->st.bad_text++;
	ks_emit_warn(e, "text message %s; written as unknown_text", why);
	put_unknown_text(e, msg, len);
}

void
ks_emit_status(struct ks_emit *e, const char *line, size_t len)
{
	char why[200];
	int has_recv = 0;

	e->st.status_lines++;
	if (!is_typed_object(line, len, &has_recv, NULL, why, sizeof(why)) ||
	    memchr(line, '\n', len) != NULL) {
		e->st.bad_text++;
		ks_emit_warn(e, "status line %s; skipped", why);
		return;
	}
	put_line(e, line, len);
}

/* Call fn with the stats table (built here so that the log line, the
 * Prometheus file and the control socket's answer are one list). */
static void
with_stats(struct ks_emit *e, void (*fn)(struct ks_emit *,
    const struct kp_stat *, size_t, void *), void *arg)
{
	const struct ks_stats *s = &e->st;
	uint64_t dropped = kp_log_dropped();
	struct kp_stat v[] = {
		{ "records", "capture records read", KP_STAT_COUNTER,
		    &s->records, NULL },
		{ "messages", "ticker messages", KP_STAT_COUNTER,
		    &s->messages, NULL },
		{ "heartbeats", "1-byte heartbeat messages", KP_STAT_COUNTER,
		    &s->heartbeats, NULL },
		{ "text_messages", "text messages", KP_STAT_COUNTER,
		    &s->text_messages, NULL },
		{ "bytes_in", "message bytes", KP_STAT_COUNTER, &s->bytes_in,
		    NULL },
		{ "packets", "packets decoded", KP_STAT_COUNTER, &s->packets,
		    NULL },
		{ "bad_parts", "malformed message parts skipped",
		    KP_STAT_COUNTER, &s->bad_parts, NULL },
		{ "bad_text", "text messages that were not typed JSON objects",
		    KP_STAT_COUNTER, &s->bad_text, NULL },
		{ "order_copies", "order updates already written, not written "
		    "again", KP_STAT_COUNTER, &s->order_copies, NULL },
		{ "lines_out", "lines written", KP_STAT_COUNTER, &s->lines_out,
		    NULL },
		{ "bytes_out", "bytes written", KP_STAT_COUNTER,
		    &e->out.bytes, NULL },
		{ "log_dropped", "log lines lost to a full stderr",
		    KP_STAT_COUNTER, &dropped, NULL },
		{ "connects", "ticker connections made", KP_STAT_COUNTER,
		    &s->connects, NULL },
		{ "reconnects", "connection attempts after the first",
		    KP_STAT_COUNTER, &s->reconnects, NULL },
		{ "disconnects", "connections lost or refused",
		    KP_STAT_COUNTER, &s->disconnects, NULL },
		{ "stale", "connections closed by the watchdog",
		    KP_STAT_COUNTER, &s->stale, NULL },
		{ "refused", "times the credentials were refused",
		    KP_STAT_COUNTER, &s->refused, NULL },
		{ "protocol_errors", "connections failed by a server's frame "
		    "that broke RFC 6455", KP_STAT_COUNTER,
		    &s->protocol_errors, NULL },
		{ "invalid_utf8", "of them, text that was not UTF-8 (close "
		    "code 1007)", KP_STAT_COUNTER, &s->invalid_utf8, NULL },
		{ "dns_timeouts", "name lookups that outlasted the connect "
		    "timeout", KP_STAT_COUNTER, &s->dns_timeouts, NULL },
		{ "conflated", "ticks dropped by conflation", KP_STAT_COUNTER,
		    &s->conflated, NULL },
		{ "last_message_age_ms", "the quietest connection's silence",
		    KP_STAT_GAUGE, &s->last_msg_age_ms, NULL },
		{ "lag_ms", "exchange time to receive time, last tick",
		    KP_STAT_GAUGE, &s->lag_ms, NULL },
	};

	fn(e, v, sizeof(v) / sizeof(v[0]), arg);
}

static void
stats_out(struct ks_emit *e, const struct kp_stat *v, size_t n, void *arg)
{
	(void)arg;
	kp_stats_log(KS_PROG, v, n);
	if (e->opts->prom_path != NULL &&
	    kp_stats_prom(e->opts->prom_path, KS_PROG, v, n) < 0)
		kp_warn("unable to write %s:", e->opts->prom_path);
}

void
ks_emit_stats(struct ks_emit *e)
{
	with_stats(e, stats_out, NULL);
}

static void
stats_json(struct ks_emit *e, const struct kp_stat *v, size_t n, void *arg)
{
	(void)e;
	kp_stats_json(arg, KS_PROG, v, n);
}

void
ks_emit_stats_json(struct ks_emit *e, struct kp_buf *b)
{
	with_stats(e, stats_json, b);
}
