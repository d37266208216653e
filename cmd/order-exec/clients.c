/*
 * clients.c: order-exec's clients (stdin and the Unix socket), their
 * intent lines, and the waiters owed an answer.
 *
 * A client that leaves is not owed anything: its intents go on, and the
 * journal remembers their results for a client that asks again.
 */
/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kp_intent.h"
#include "oe.h"

void
oe_conn_close(struct oe_ctx *oe, int slot)
{
	struct oe_conn *c = &oe->conns[slot];

	if (!c->used)
		return;
	if (c->in != 0)
		close(c->in);
	kp_line_free(&c->lr);
	kp_buf_free(&c->ob);
	c->used = 0;
	c->gen = 0;
}

void
oe_conn_flush(struct oe_ctx *oe, int slot)
{
	struct oe_conn *c = &oe->conns[slot];
	ssize_t w;

	while (c->ob.len > 0) {
		w = write(c->out, c->ob.p, c->ob.len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0) {
			kp_warn("client %d: write:", slot);
			c->ob.len = 0;
			c->eof = 1;
			return;
		}
		memmove(c->ob.p, c->ob.p + w, c->ob.len - (size_t)w);
		c->ob.len -= (size_t)w;
	}
}

static void
send_line(struct oe_ctx *oe, int slot, uint64_t gen, const char *s, size_t n)
{
	struct oe_conn *c = &oe->conns[slot];

	if (!c->used || c->gen != gen)
		return;		/* the client left; the journal remembers */
	if (kp_buf_add(&c->ob, s, n) < 0 || kp_buf_addc(&c->ob, '\n') < 0) {
		kp_warn("client %d: not reading its answers; closed", slot);
		c->ob.len = 0;
		c->eof = 1;
		return;
	}
	oe_conn_flush(oe, slot);
}

/* Answer every waiter of a finished entry. */
void
oe_answer_waiters(struct oe_ctx *oe, struct oe_entry *e)
{
	struct kp_buf b;
	size_t i;

	kp_buf_init(&b, OE_OUT_MAX);
	kp_buf_addstr(&b, e->result);
	kp_buf_addc(&b, '}');
	for (i = 0; i < e->nw; i++) {
		struct oe_conn *c = &oe->conns[e->w[i].slot];

		if (c->used && c->gen == e->w[i].gen && c->pending > 0)
			c->pending--;
		send_line(oe, e->w[i].slot, e->w[i].gen, b.p, b.len);
	}
	free(e->w);
	e->w = NULL;
	e->nw = 0;
	kp_buf_free(&b);
}

static void
add_waiter(struct oe_ctx *oe, struct oe_entry *e, int slot)
{
	e->w = kp_xrealloc(e->w, (e->nw + 1) * sizeof(*e->w));
	e->w[e->nw].slot = slot;
	e->w[e->nw].gen = oe->conns[slot].gen;
	e->nw++;
	oe->conns[slot].pending++;
}

/* Tell e's waiters, once, that it is held for a new access token. */
void
oe_tell_waiting(struct oe_ctx *oe, struct oe_entry *e)
{
	static const char why[] = "Kite refused the access token; held, "
	    "with every intent after it, until the token file changes or "
	    "SIGHUP";
	struct kp_buf b;
	size_t i;

	if (e->told_waiting || e->state == OE_ST_DONE)
		return;
	e->told_waiting = 1;
	kp_buf_init(&b, 4096);
	kp_buf_addstr(&b, "{\"id\":");
	kp_json_cstr(&b, e->in.id);
	kp_buf_addstr(&b, ",\"result\":\"waiting\"");
	oe_res_field(&b, "reason", why);
	kp_buf_addc(&b, '}');
	for (i = 0; i < e->nw; i++)
		send_line(oe, e->w[i].slot, e->w[i].gen, b.p, b.len);
	kp_buf_free(&b);
}

/* intents ------------------------------------------------------------ */

static void
answer_now(struct oe_ctx *oe, int slot, const char *id, const char *result,
    const char *k, const char *v, uint64_t lineno)
{
	struct kp_buf b;

	kp_buf_init(&b, 4096);
	kp_buf_addstr(&b, "{\"id\":");
	if (id != NULL && *id)
		kp_json_cstr(&b, id);
	else
		kp_buf_addstr(&b, "null");
	kp_buf_addstr(&b, ",\"result\":\"");
	kp_buf_addstr(&b, result);
	kp_buf_addc(&b, '"');
	if (k != NULL)
		oe_res_field(&b, k, v);
	if (lineno > 0) {
		kp_buf_addstr(&b, ",\"line\":");
		kp_json_u64(&b, lineno);
	}
	kp_buf_addc(&b, '}');
	send_line(oe, slot, oe->conns[slot].gen, b.p, b.len);
	kp_buf_free(&b);
}

static size_t
unfinished(const struct oe_ctx *oe)
{
	return oe->nqueue;
}

/* Answer a status intent from Kite's order history and trades. */
static void
status_line(struct oe_ctx *oe, int slot, const struct kp_intent *in)
{
	struct kp_buf b;

	oe->st.status++;
	kp_buf_init(&b, OE_OUT_MAX);
	oe_status_answer(oe->kite, in, &b);
	send_line(oe, slot, oe->conns[slot].gen, b.p, b.len);
	kp_buf_free(&b);
}

/* Accept in: journal it, then queue it; the client waits for its end. */
static void
accept_intent(struct oe_ctx *oe, int slot, const struct kp_intent *in)
{
	char tag[KP_INTENT_TAG_MAX + 1];
	struct oe_entry *e;
	unsigned salt;

	for (salt = 0;; salt++) {
		kp_intent_tag(in->id, salt, tag);
		if (oe_find_tag(oe, tag) == NULL)
			break;
		kp_warn("id=%s: tag %s taken by id=%s; trying the next salt",
		    in->id, tag, oe_find_tag(oe, tag)->in.id);
	}
	e = oe_entry_new(oe, in, tag);
	oe_journal_rec(oe, "accept", e, NULL);
	oe_crash(oe, "accepted");
	e->next_ms = 0;
	oe_enqueue(oe, e);
	add_waiter(oe, e, slot);
	if (oe->token_hold)
		oe_tell_waiting(oe, e);
}

static void
intent_line(struct oe_ctx *oe, int slot, const char *line, size_t len,
    uint64_t lineno)
{
	struct kp_intent in;
	char err[KP_ERRLEN];
	struct oe_entry *e;

	oe->st.intents++;
	if (kp_intent_parse(line, len, &in, err) < 0) {
		oe->st.invalid++;
		kp_warn("client %d line %llu: invalid intent: %s", slot,
		    (unsigned long long)lineno, err);
		answer_now(oe, slot, in.id, "invalid", "error", err, lineno);
		return;
	}
	if (in.op == KP_OP_STATUS) {
		/* a read: answered now, never journaled or remembered */
		status_line(oe, slot, &in);
		return;
	}
	/* Kite refuses MARKET and SL-M without market protection */
	if (in.op != KP_OP_CANCEL && !*in.market_protection &&
	    kp_intent_needs_protection(in.order_type))
		snprintf(in.market_protection, sizeof(in.market_protection),
		    "%lld", oe->opt.market_protection);
	if ((e = oe_find_id(oe, in.id)) != NULL) {
		oe->st.duplicates++;
		kp_info("duplicate id=%s: %s", in.id, e->state == OE_ST_DONE ?
		    "answered from the journal" : "answered when done");
		add_waiter(oe, e, slot);
		if (e->state == OE_ST_DONE)
			oe_answer_waiters(oe, e);
		return;
	}
	if (unfinished(oe) >= (size_t)oe->opt.queue_max) {
		oe->st.busy++;
		answer_now(oe, slot, in.id, "busy", "reason", "queue full", 0);
		return;
	}
	if (oe_breaker_state(&oe->breaker, kp_mono_ms()) == OE_BR_OPEN) {
		oe->st.busy++;
		answer_now(oe, slot, in.id, "busy", "reason", "breaker open",
		    0);
		return;
	}
	accept_intent(oe, slot, &in);
}

/* clients ------------------------------------------------------------ */

void
oe_conn_read(struct oe_ctx *oe, int slot)
{
	struct oe_conn *c = &oe->conns[slot];
	char *line;
	size_t len;
	int st;

	for (;;) {
		st = kp_line_next(&c->lr, &line, &len);
		if (st == KP_LINE_OK) {
			if (len > 0)
				intent_line(oe, slot, line, len,
				    c->lr.lineno);
		} else if (st == KP_LINE_TOOLONG) {
			oe->st.intents++;
			oe->st.invalid++;
			kp_warn("client %d line %llu: longer than %d bytes",
			    slot, (unsigned long long)c->lr.lineno,
			    KP_INTENT_LINE_MAX);
			answer_now(oe, slot, NULL, "invalid", "error",
			    "line too long", c->lr.lineno);
		} else if (st == KP_LINE_AGAIN) {
			return;
		} else if (st == KP_LINE_ERR && errno == EINTR) {
			return;
		} else {
			if (st == KP_LINE_ERR)
				kp_warn("client %d: read:", slot);
			c->eof = 1;
			return;
		}
	}
}

int
oe_conn_open(struct oe_ctx *oe, int in, int out)
{
	struct oe_conn *c;
	int i;

	for (i = 0; i < OE_MAXCONN; i++)
		if (!oe->conns[i].used)
			break;
	if (i == OE_MAXCONN)
		return -1;
	c = &oe->conns[i];
	memset(c, 0, sizeof(*c));
	c->used = 1;
	c->in = in;
	c->out = out;
	c->gen = oe->gen_next++;
	kp_buf_init(&c->ob, OE_OUT_MAX);
	if (kp_line_init(&c->lr, in, KP_INTENT_LINE_MAX) < 0)
		kp_die(KP_EXIT_TEMP, "out of memory");
	return i;
}

void
oe_accept(struct oe_ctx *oe)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	int fd, slot;

	fd = accept4(oe->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			kp_warn("accept:");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0)
		cr.uid = (uid_t)-1, cr.pid = 0;
	if ((slot = oe_conn_open(oe, fd, fd)) < 0) {
		kp_warn("too many clients; refused uid=%ld", (long)cr.uid);
		close(fd);
		return;
	}
	kp_info("client %d connected uid=%ld pid=%ld", slot, (long)cr.uid,
	    (long)cr.pid);
}

void
oe_listen(struct oe_ctx *oe)
{
	const char *path = oe->opt.listen_path;
	struct sockaddr_un sa;
	struct stat st;
	mode_t um;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		kp_die(KP_EXIT_PERM, "-l %s: path too long", path);
	memcpy(sa.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	oe->listen_fd = socket(AF_UNIX,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (oe->listen_fd < 0)
		kp_die(KP_EXIT_TEMP, "socket:");
	um = umask(077);
	if (bind(oe->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		kp_die(KP_EXIT_TEMP, "bind %s:", path);
	umask(um);
	if (chmod(path, (mode_t)oe->opt.mode) < 0 ||
	    listen(oe->listen_fd, 64) < 0)
		kp_die(KP_EXIT_TEMP, "listen %s:", path);
}
