/* kp_redis.h: REDIS_URL parsing and connecting (hiredis), channel templates. */
/* SPDX-License-Identifier: MIT */
#ifndef KP_REDIS_H
#define KP_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "kp.h"
#include "kp_linescan.h"

/* redisurl.c -------------------------------------------------------- */

/*
 * REDIS_URL, in one of these forms (tick-publish(1) documents them):
 *
 *   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]      (PORT 6379, DB 0)
 *   redis://[[USER]:PASSWORD@][IPV6][:PORT][/DB]
 *   unix://[[USER]:PASSWORD@]/PATH[?db=DB]
 *
 * An empty HOST is 127.0.0.1.  USER, PASSWORD and PATH may hold %XX
 * escapes.  "?db=DB" is also accepted after a redis:// URL without /DB.
 * Userinfo without ':' is refused (is it a user or a password?), and so
 * is rediss:// (TLS): hiredis 0.14 has none.
 */
#define KP_REDIS_HOST_MAX 256
#define KP_REDIS_PATH_MAX 108	/* sun_path */
#define KP_REDIS_CRED_MAX 512

struct kp_redis_url {
	int is_unix;			/* 1: path is a Unix socket */
	char host[KP_REDIS_HOST_MAX];	/* tcp: name or address, no [] */
	unsigned port;
	char path[KP_REDIS_PATH_MAX];	/* unix: the socket */
	int db;				/* SELECT this when not 0 */
	int has_password;		/* send AUTH */
	char user[KP_REDIS_CRED_MAX];	/* "" means the default user */
	char password[KP_REDIS_CRED_MAX];
};

/*
 * Parse url into *u.  Return 0, or -1 with err filled (never holding the
 * password).  A password found is registered with kp_log_redact.
 */
int kp_redis_url_parse(struct kp_redis_url *u, const char *url,
    char err[KP_ERRLEN]);

/* The URL for logs, password shown as "***": "redis://u:***@h:6379/2",
 * "unix:///run/redis.sock?db=2". */
void kp_redis_url_str(const struct kp_redis_url *u, char *buf,
    size_t size);

/* Wipe the credentials held in *u. */
void kp_redis_url_clear(struct kp_redis_url *u);

/*
 * Connect (blocking, at most timeout_ms for the connect and for each
 * reply), then AUTH when a password is set and SELECT when db != 0; with
 * neither, a PING checks that the server accepts commands.  The context
 * returned is blocking, with timeout_ms as its read and write timeout.
 * Return it, or NULL with err filled and *perm set: 1 when retrying
 * cannot help (credentials refused, NOAUTH, a database out of range),
 * 0 for network trouble (retry later).
 */
redisContext *kp_redis_connect(const struct kp_redis_url *u, long timeout_ms,
    int *perm, char err[KP_ERRLEN]);

/*
 * Make a connected context non-blocking for a caller's own poll(2) loop:
 * O_NONBLOCK on its descriptor and REDIS_BLOCK cleared, so redisGetReply
 * and redisBufferRead never wait.  Return 0, or -1 with errno.
 */
int kp_redis_nonblock(redisContext *c);

/* tmpl.c ------------------------------------------------------------ */

/*
 * Templates: text with {FIELD} replaced by a top-level member of the
 * line, e.g. "ticks:{instrument_token}".
 *
 *   {FIELD}        the value: a string's decoded contents, a number as
 *                  written, true or false
 *   {FIELD|lower}  the same, ASCII letters lower-cased ("|upper" too)
 *   {{ and }}      a literal { and }
 *
 * FIELD is 1..64 bytes of [A-Za-z0-9_-].  A member that is absent or
 * null is missing; an object or an array cannot fill a template.
 * Compiling adds the fields to a kp_jfields table that one kp_jscan per
 * line fills for every template sharing it.
 */
#define KP_TMPL_OUT_MAX 1024	/* longest result */

struct kp_tmpl;

enum kp_tmpl_err {
	KP_TMPL_MISSING = -1,	/* absent or null */
	KP_TMPL_NOT_SCALAR = -2,	/* an object or an array */
	KP_TMPL_TOO_LONG = -3	/* the result would pass cap */
};

/* Return a template, or NULL with err filled (bad syntax, table full). */
struct kp_tmpl *kp_tmpl_compile(const char *src, struct kp_jfields *t,
    char err[KP_ERRLEN]);
void kp_tmpl_free(struct kp_tmpl *tp);

/* The source text, and whether the template has no field at all. */
const char *kp_tmpl_source(const struct kp_tmpl *tp);
int kp_tmpl_is_literal(const struct kp_tmpl *tp);

/*
 * Fill the template from the values kp_jscan found, writing at most cap
 * bytes (no NUL) to out.  Return the length, or an enum kp_tmpl_err
 * with *field (when not NULL) set to the NUL-terminated field name
 * concerned.
 */
long kp_tmpl_render(const struct kp_tmpl *tp, const struct kp_jval *v,
    char *out, size_t cap, const char **field);

#endif
