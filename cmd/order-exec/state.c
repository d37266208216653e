/*
 * state.c: order-exec's entries and their tables, the journal's records
 * and their replay, finishing an entry with its result (and a dead
 * letter), and --status.
 *
 * Every intent is journaled before anything is sent, and a result is
 * journaled before it is answered.
 */
/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "kp_intent.h"
#include "oe.h"

void
oe_crash(const struct oe_ctx *oe, const char *point)
{
	if (oe->crash_at != NULL && strcmp(oe->crash_at, point) == 0) {
		kp_warn("crash hook: SIGKILL at %s", point);
		kill(getpid(), SIGKILL);
		_exit(KP_EXIT_TEMP);
	}
}

static unsigned
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % OE_NBUCKET;
}

struct oe_entry *
oe_find_id(struct oe_ctx *oe, const char *id)
{
	struct oe_entry *e;

	for (e = oe->by_id[hash(id)]; e != NULL; e = e->id_next)
		if (!strcmp(e->in.id, id))
			return e;
	return NULL;
}

struct oe_entry *
oe_find_tag(struct oe_ctx *oe, const char *tag)
{
	struct oe_entry *e;

	for (e = oe->by_tag[hash(tag)]; e != NULL; e = e->tag_next)
		if (!strcmp(e->tag, tag))
			return e;
	return NULL;
}

struct oe_entry *
oe_entry_new(struct oe_ctx *oe, const struct kp_intent *in, const char *tag)
{
	struct oe_entry *e = kp_xcalloc(1, sizeof(*e));
	unsigned h;

	e->in = *in;
	memcpy(e->tag, tag, strlen(tag) + 1);
	e->state = OE_ST_QUEUED;
	kp_backoff_init(&e->bo, (uint32_t)oe->opt.backoff_base_ms,
	    (uint32_t)oe->opt.backoff_cap_ms,
	    kp_rng_seed_auto() ^ hash(in->id));
	if (oe->nall == oe->capall) {
		oe->capall = oe->capall ? oe->capall * 2 : 256;
		oe->all = kp_xrealloc(oe->all, oe->capall * sizeof(*oe->all));
	}
	oe->all[oe->nall++] = e;
	h = hash(in->id);
	e->id_next = oe->by_id[h];
	oe->by_id[h] = e;
	h = hash(tag);
	e->tag_next = oe->by_tag[h];
	oe->by_tag[h] = e;
	return e;
}

void
oe_enqueue(struct oe_ctx *oe, struct oe_entry *e)
{
	if (oe->nqueue == oe->capqueue) {
		oe->capqueue = oe->capqueue ? oe->capqueue * 2 : 64;
		oe->queue = kp_xrealloc(oe->queue,
		    oe->capqueue * sizeof(*oe->queue));
	}
	oe->queue[oe->nqueue++] = e;
}

static void
dequeue(struct oe_ctx *oe, struct oe_entry *e)
{
	size_t i;

	for (i = 0; i < oe->nqueue; i++)
		if (oe->queue[i] == e) {
			memmove(oe->queue + i, oe->queue + i + 1,
			    (oe->nqueue - i - 1) * sizeof(*oe->queue));
			oe->nqueue--;
			return;
		}
}

void
oe_state_free(struct oe_ctx *oe)
{
	size_t i;

	for (i = 0; i < oe->nall; i++) {
		free(oe->all[i]->result);
		free(oe->all[i]->w);
		free(oe->all[i]);
	}
	free(oe->all);
	free(oe->queue);
	oe->all = oe->queue = NULL;
	oe->nall = oe->capall = oe->nqueue = oe->capqueue = 0;
	memset(oe->by_id, 0, sizeof(oe->by_id));
	memset(oe->by_tag, 0, sizeof(oe->by_tag));
}

/* journal ------------------------------------------------------------ */

static void
journal_write(struct oe_ctx *oe, struct kp_buf *b)
{
	if (oe_journal_append(&oe->journal, b->p, b->len) < 0)
		kp_die(KP_EXIT_TEMP, "journal %s: cannot append, stopping "
		    "before anything else is sent:", oe->opt.journal_path);
}

void
oe_journal_rec(struct oe_ctx *oe, const char *t, const struct oe_entry *e,
    const char *extra)
{
	struct kp_buf b;

	kp_buf_init(&b, OE_JOURNAL_REC_MAX);
	kp_buf_addstr(&b, "{\"t\":\"");
	kp_buf_addstr(&b, t);
	kp_buf_addstr(&b, "\",\"id\":");
	kp_json_cstr(&b, e->in.id);
	if (!strcmp(t, "accept")) {
		kp_buf_addstr(&b, ",\"tag\":\"");
		kp_buf_addstr(&b, e->tag);
		kp_buf_addstr(&b, "\",\"intent\":");
		kp_intent_json(&b, &e->in);
	} else {
		kp_buf_addstr(&b, ",\"n\":");
		kp_json_i64(&b, e->attempts);
	}
	if (extra != NULL)
		kp_buf_addstr(&b, extra);
	kp_buf_addc(&b, '}');
	journal_write(oe, &b);
	kp_buf_free(&b);
}

/* An "accept" record: a new entry.  0, or -1 when not understood. */
static int
replay_accept(struct oe_ctx *oe, json_t *r, struct oe_entry *e)
{
	struct kp_intent in;
	char err[KP_ERRLEN], *s;
	const char *tag = json_string_value(json_object_get(r, "tag"));

	s = json_dumps(json_object_get(r, "intent"), JSON_COMPACT);
	if (e != NULL || tag == NULL || s == NULL ||
	    kp_intent_parse(s, strlen(s), &in, err) < 0) {
		free(s);
		return -1;
	}
	free(s);
	oe_entry_new(oe, &in, tag);
	return 0;
}

/* Replay: rebuild the table from the records, in order. */
int
oe_replay_rec(void *arg, uint64_t lineno, const char *json, size_t len)
{
	struct oe_ctx *oe = arg;
	json_t *r = json_loadb(json, len, 0, NULL), *v;
	const char *t, *id;
	struct oe_entry *e;
	int rc = -1;

	if (r == NULL)
		return -1;
	t = json_string_value(json_object_get(r, "t"));
	id = json_string_value(json_object_get(r, "id"));
	if (t == NULL || id == NULL)
		goto out;
	e = oe_find_id(oe, id);
	if (!strcmp(t, "accept")) {
		rc = replay_accept(oe, r, e);
		goto out;
	}
	if (e == NULL)
		goto out;
	v = json_object_get(r, "n");
	if (json_is_integer(v))
		e->attempts = (int)json_integer_value(v);
	if (!strcmp(t, "send")) {
		e->state = OE_ST_SENT;
	} else if (!strcmp(t, "void")) {
		e->state = OE_ST_QUEUED;
	} else if (!strcmp(t, "done")) {
		char *s = json_dumps(json_object_get(r, "result"),
		    JSON_COMPACT);
		size_t n = s ? strlen(s) : 0;

		if (n < 2 || s[n - 1] != '}') {
			free(s);
			goto out;
		}
		s[n - 1] = 0;
		free(e->result);
		e->result = s;
		e->state = OE_ST_DONE;
	} else {
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		kp_warn("journal record %llu: not understood",
		    (unsigned long long)lineno);
	json_decref(r);
	return rc;
}

/* results ------------------------------------------------------------ */

void
oe_res_field(struct kp_buf *b, const char *k, const char *v)
{
	kp_buf_addstr(b, ",\"");
	kp_buf_addstr(b, k);
	kp_buf_addstr(b, "\":");
	kp_json_cstr(b, v);
}

/* Finish e with a result: journal it, then answer. */
static void
finish(struct oe_ctx *oe, struct oe_entry *e, struct kp_buf *res)
{
	struct kp_buf b;

	kp_buf_init(&b, OE_JOURNAL_REC_MAX);
	kp_buf_addstr(&b, ",\"result\":");
	kp_buf_add(&b, res->p, res->len);
	kp_buf_addc(&b, '}');
	kp_buf_addc(&b, 0);
	oe_journal_rec(oe, "done", e, b.p);
	kp_buf_free(&b);
	oe_crash(oe, "done");
	free(e->result);
	e->result = kp_xmalloc(res->len + 1);
	memcpy(e->result, res->p, res->len);
	e->result[res->len] = 0;
	e->state = OE_ST_DONE;
	dequeue(oe, e);
	oe_answer_waiters(oe, e);
}

static void
res_start(struct kp_buf *b, const struct oe_entry *e, const char *result)
{
	kp_buf_init(b, OE_JOURNAL_REC_MAX / 2);
	kp_buf_addstr(b, "{\"id\":");
	kp_json_cstr(b, e->in.id);
	kp_buf_addstr(b, ",\"result\":\"");
	kp_buf_addstr(b, result);
	kp_buf_addstr(b, "\"");
}

void
oe_finish_ok(struct oe_ctx *oe, struct oe_entry *e, const char *order_id,
    int reconciled, const char *children)
{
	static const char *const names[] = { "", "placed", "modified",
		"cancelled" };
	struct kp_buf b;

	res_start(&b, e, names[e->in.op]);
	oe_res_field(&b, "order_id", order_id);
	if (e->in.op == KP_OP_PLACE)
		oe_res_field(&b, "tag", e->tag);
	if (children != NULL) {
		kp_buf_addstr(&b, ",\"children\":");
		kp_buf_addstr(&b, children);
	}
	if (reconciled)
		kp_buf_addstr(&b, ",\"reconciled\":true");
	kp_info("%s id=%s order_id=%s attempts=%d%s", names[e->in.op],
	    e->in.id, order_id, e->attempts, reconciled ?
	    " reconciled=1" : "");
	if (e->in.op == KP_OP_PLACE)
		oe->st.placed++;
	else if (e->in.op == KP_OP_MODIFY)
		oe->st.modified++;
	else
		oe->st.cancelled++;
	finish(oe, e, &b);
	kp_buf_free(&b);
}

void
oe_finish_rejected(struct oe_ctx *oe, struct oe_entry *e,
    const struct oe_resp *r)
{
	struct kp_buf b;

	res_start(&b, e, "rejected");
	oe_res_field(&b, "error_type", r->error_type);
	oe_res_field(&b, "message", r->message);
	kp_buf_addstr(&b, ",\"http\":");
	kp_json_i64(&b, r->http);
	kp_info("rejected id=%s error_type=%s http=%ld", e->in.id,
	    r->error_type, r->http);
	oe->st.rejected++;
	finish(oe, e, &b);
	kp_buf_free(&b);
}

/* Append the dead letter of e, whose answer is ans, to the dead file. */
static void
dead_letter(struct oe_ctx *oe, const struct oe_entry *e,
    const struct kp_buf *ans)
{
	struct kp_buf d;
	int fd;

	kp_buf_init(&d, OE_JOURNAL_REC_MAX * 2);
	kp_buf_addstr(&d, "{\"type\":\"dead\",\"time\":");
	kp_json_fixed(&d, kp_time_us() / 1000, 3);
	kp_buf_addstr(&d, ",\"answer\":");
	kp_buf_add(&d, ans->p, ans->len);
	kp_buf_addstr(&d, "},\"intent\":");
	kp_intent_json(&d, &e->in);
	kp_buf_addstr(&d, "}\n");
	fd = open(oe->opt.dead_path,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, d.p, d.len) != (ssize_t)d.len ||
	    (oe->opt.fsync_on && fdatasync(fd) < 0))
		kp_warn("dead letters %s: cannot append:", oe->opt.dead_path);
	if (fd >= 0)
		close(fd);
	kp_buf_free(&d);
}

/* Out of retries: a dead letter, then the answer.  maybe_placed: the
 * last attempt's outcome is unknown (the order book could not be read). */
void
oe_finish_dead(struct oe_ctx *oe, struct oe_entry *e, const char *why,
    int maybe_placed)
{
	struct kp_buf b;

	res_start(&b, e, "dead");
	oe_res_field(&b, "reason", why);
	kp_buf_addstr(&b, ",\"attempts\":");
	kp_json_i64(&b, e->attempts);
	if (e->in.op == KP_OP_PLACE) {
		oe_res_field(&b, "tag", e->tag);
		kp_buf_addstr(&b, maybe_placed ? ",\"maybe_placed\":true" :
		    ",\"maybe_placed\":false");
	}
	dead_letter(oe, e, &b);
	kp_warn("dead id=%s attempts=%d reason=%s", e->in.id, e->attempts,
	    why);
	oe->st.dead++;
	finish(oe, e, &b);
	kp_buf_free(&b);
}

/* --status ----------------------------------------------------------- */

static void
status_counts(struct oe_ctx *oe, uint64_t cut)
{
	size_t i, total = 0, done = 0, queued = 0, unknown = 0;
	struct oe_entry *e;
	struct kp_buf p;

	for (i = 0; i < oe->nall; i++) {
		e = oe->all[i];
		total++;
		if (e->state == OE_ST_DONE)
			done++;
		else if (e->state == OE_ST_SENT)
			unknown++;
		else
			queued++;
	}
	kp_buf_init(&p, 16384);
	kp_json_cstr(&p, oe->opt.journal_path);
	kp_buf_addc(&p, 0);
	printf("{\"type\":\"journal\",\"path\":%s,\"intents\":%zu,"
	    "\"done\":%zu,\"queued\":%zu,\"unknown\":%zu,"
	    "\"torn_bytes\":%llu}\n", p.p ? p.p : "null", total, done,
	    queued, unknown, (unsigned long long)cut);
	kp_buf_free(&p);
}

int
oe_print_status(struct oe_ctx *oe)
{
	char err[KP_ERRLEN], *line = NULL;
	uint64_t cut;
	size_t i, cap = 0;
	struct oe_entry *e;
	FILE *f;
	ssize_t n;

	if (oe_journal_open(NULL, oe->opt.journal_path, 0, 1, oe_replay_rec,
	    oe, &cut, err) < 0)
		kp_die(KP_EXIT_PERM, "%s", err);
	status_counts(oe, cut);
	for (i = 0; i < oe->nall; i++) {
		e = oe->all[i];
		if (e->state == OE_ST_DONE)
			continue;
		printf("{\"type\":\"pending\",\"id\":\"%s\",\"op\":\"%s\","
		    "\"tag\":\"%s\",\"attempts\":%d,\"state\":\"%s\"}\n",
		    e->in.id, kp_intent_op_name(e->in.op), e->tag,
		    e->attempts, e->state == OE_ST_SENT ? "unknown" : "queued");
	}
	if ((f = fopen(oe->opt.dead_path, "r")) != NULL) {
		while ((n = getline(&line, &cap, f)) > 0)
			fwrite(line, 1, (size_t)n, stdout);
		free(line);
		fclose(f);
	}
	return fflush(stdout) == 0 ? KP_EXIT_OK : KP_EXIT_TEMP;
}
