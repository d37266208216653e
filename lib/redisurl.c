/* redisurl.c: REDIS_URL parsing, and connecting with AUTH and SELECT. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "kp_redis.h"

/* s for an error message: at most 60 bytes, controls as '?'. */
static const char *
shown(char out[64], const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 4 < 64; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	if (s[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static int url_fail(char err[KP_ERRLEN], const char *fmt, ...)
    KP_PRINTF(2, 3);

/* Never put the whole URL in a message: it may hold the password. */
static int
url_fail(char err[KP_ERRLEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, KP_ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

/* Percent-decode s[0..n) into out (cap bytes with the NUL). */
static int
pct_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;
	int h, l;

	for (i = 0; i < n; i++) {
		if (o + 1 >= cap)
			return -1;
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		h = kp_num_hex((unsigned char)s[i + 1]);
		l = kp_num_hex((unsigned char)s[i + 2]);
		if (h < 0 || l < 0 || (h == 0 && l == 0))
			return -1;
		out[o++] = (char)(h << 4 | l);
		i += 2;
	}
	out[o] = '\0';
	return 0;
}

static int
parse_db(const char *s, size_t n, int *db, char err[KP_ERRLEN])
{
	char tmp[16];
	long long v;

	if (n == 0 || n >= sizeof tmp)
		return url_fail(err, "bad database number '%s'",
		    n >= sizeof tmp ? "(too long)" : "");
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (kp_num_ll(tmp, 0, INT_MAX, &v) < 0)
		return url_fail(err, "bad database number '%s'", tmp);
	*db = (int)v;
	return 0;
}

/* "user:password" (n bytes at s); a bare word is refused. */
static int
parse_userinfo(struct kp_redis_url *u, const char *s, size_t n,
    char err[KP_ERRLEN])
{
	const char *colon = memchr(s, ':', n);

	if (colon == NULL) {
		snprintf(err, KP_ERRLEN, "user information without ':' "
		    "(write redis://:PASSWORD@host or "
		    "redis://USER:PASSWORD@host)");
		return -1;
	}
	if (pct_decode(s, (size_t)(colon - s), u->user, sizeof u->user) < 0) {
		snprintf(err, KP_ERRLEN, "bad or too long user name");
		return -1;
	}
	if (pct_decode(colon + 1, n - (size_t)(colon + 1 - s), u->password,
	    sizeof u->password) < 0) {
		snprintf(err, KP_ERRLEN, "bad or too long password");
		return -1;
	}
	u->has_password = 1;
	if (u->password[0] != '\0')
		kp_log_redact(u->password);
	return 0;
}

/* The query, without its '?': only db=N is known. */
static int
parse_query(struct kp_redis_url *u, const char *q, int have_db,
    char err[KP_ERRLEN])
{
	const char *amp;
	size_t n;

	while (*q != '\0') {
		amp = strchr(q, '&');
		n = amp != NULL ? (size_t)(amp - q) : strlen(q);
		if (n >= 3 && memcmp(q, "db=", 3) == 0) {
			if (have_db)
				return url_fail(err, "database given twice");
			if (parse_db(q + 3, n - 3, &u->db, err) < 0)
				return -1;
			have_db = 1;
		} else if (n > 0) {
			return url_fail(err, "unknown URL parameter '%.*s' "
			    "(only db=N)", (int)(n > 40 ? 40 : n), q);
		}
		q += n + (amp != NULL);
	}
	return 0;
}

/* HOST[:PORT] or [V6][:PORT], n bytes at s. */
static int
parse_hostport(struct kp_redis_url *u, const char *s, size_t n,
    char err[KP_ERRLEN])
{
	const char *end = s + n, *hend, *port = NULL;
	char tmp[8];
	long long v;

	if (n > 0 && s[0] == '[') {
		hend = memchr(s, ']', n);
		if (hend == NULL)
			return url_fail(err, "missing ']' in host");
		if (hend + 1 < end) {
			if (hend[1] != ':')
				return url_fail(err, "bad host");
			port = hend + 2;
		}
		s++;
	} else {
		hend = memchr(s, ':', n);
		if (hend != NULL)
			port = hend + 1;
		else
			hend = end;
	}
	if ((size_t)(hend - s) >= sizeof u->host)
		return url_fail(err, "host name too long");
	if (hend == s) {
		strcpy(u->host, "127.0.0.1");
	} else {
		memcpy(u->host, s, (size_t)(hend - s));
		u->host[hend - s] = '\0';
	}
	if (port == NULL)
		return 0;
	n = (size_t)(end - port);
	if (n == 0 || n >= sizeof tmp)
		return url_fail(err, "bad port");
	memcpy(tmp, port, n);
	tmp[n] = '\0';
	if (kp_num_ll(tmp, 1, 65535, &v) < 0)
		return url_fail(err, "bad port '%s' (1..65535)", tmp);
	u->port = (unsigned)v;
	return 0;
}

static int
parse_tcp(struct kp_redis_url *u, const char *s, char err[KP_ERRLEN])
{
	size_t alen = strcspn(s, "/?"), n;
	const char *at = NULL, *p, *q;
	int have_db = 0;

	for (p = s; p < s + alen; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		if (parse_userinfo(u, s, (size_t)(at - s), err) < 0)
			return -1;
		if (parse_hostport(u, at + 1, (size_t)(s + alen - at - 1),
		    err) < 0)
			return -1;
	} else if (parse_hostport(u, s, alen, err) < 0) {
		return -1;
	}
	p = s + alen;
	q = strchr(p, '?');
	if (*p == '/') {
		n = q != NULL ? (size_t)(q - p - 1) : strlen(p + 1);
		if (n > 0) {
			if (parse_db(p + 1, n, &u->db, err) < 0)
				return -1;
			have_db = 1;
		}
	}
	return q != NULL ? parse_query(u, q + 1, have_db, err) : 0;
}

static int
parse_unix(struct kp_redis_url *u, const char *s, char err[KP_ERRLEN])
{
	const char *q = strchr(s, '?'), *slash;
	size_t n = q != NULL ? (size_t)(q - s) : strlen(s);
	const char *at = NULL, *p;

	/* userinfo ends at the last '@' before the path's first '/' */
	slash = memchr(s, '/', n);
	for (p = s; slash != NULL && p < slash; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		if (parse_userinfo(u, s, (size_t)(at - s), err) < 0)
			return -1;
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	if (n == 0 || s[0] != '/')
		return url_fail(err, "unix:// needs an absolute path "
		    "(unix:///run/redis.sock)");
	if (pct_decode(s, n, u->path, sizeof u->path) < 0)
		return url_fail(err, "bad or too long socket path "
		    "(at most 107 bytes)");
	u->is_unix = 1;
	return q != NULL ? parse_query(u, q + 1, 0, err) : 0;
}

int
kp_redis_url_parse(struct kp_redis_url *u, const char *url,
    char err[KP_ERRLEN])
{
	char tmp[64];
	int r;

	memset(u, 0, sizeof *u);
	u->port = 6379;
	if (strchr(url, '#') != NULL)
		r = url_fail(err, "'#' in REDIS_URL");
	else if (strncasecmp(url, "redis://", 8) == 0)
		r = parse_tcp(u, url + 8, err);
	else if (strncasecmp(url, "unix://", 7) == 0)
		r = parse_unix(u, url + 7, err);
	else if (strncasecmp(url, "rediss://", 9) == 0)
		r = url_fail(err, "rediss:// (TLS) is not supported: hiredis "
		    "0.14 has no TLS; use a Unix socket or a TLS tunnel");
	else
		r = url_fail(err, "unknown URL scheme in '%s' (redis:// or "
		    "unix://)", strchr(url, '@') != NULL ? "(hidden)" :
		    shown(tmp, url));
	if (r < 0)
		kp_redis_url_clear(u);
	return r;
}

void
kp_redis_url_str(const struct kp_redis_url *u, char *buf, size_t size)
{
	const char *pw = u->has_password ? ":***@" : "";

	if (u->is_unix)
		snprintf(buf, size, "unix://%s%s%s?db=%d", u->user, pw,
		    u->path, u->db);
	else
		snprintf(buf, size, "redis://%s%s%s%s%s:%u/%d", u->user, pw,
		    strchr(u->host, ':') != NULL ? "[" : "", u->host,
		    strchr(u->host, ':') != NULL ? "]" : "", u->port, u->db);
}

void
kp_redis_url_clear(struct kp_redis_url *u)
{
	volatile char *p = (volatile char *)u->password;
	size_t i;

	for (i = 0; i < sizeof u->password; i++)
		p[i] = 0;
	u->has_password = 0;
}

/* The reply to a command sent during setup: 0 if accepted. */
static int
setup_reply(redisContext *c, redisReply *r, const char *what, int *perm,
    char err[KP_ERRLEN])
{
	if (r == NULL) {
		snprintf(err, KP_ERRLEN, "%s: %.100s", what,
		    c->errstr[0] != '\0' ? c->errstr : "no reply");
		*perm = 0;
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, KP_ERRLEN, "%s refused: %.*s", what,
		    (int)(r->len > 200 ? 200 : r->len), r->str);
		/* LOADING and BUSY pass; the rest is configuration */
		*perm = strncmp(r->str, "LOADING", 7) != 0 &&
		    strncmp(r->str, "BUSY", 4) != 0;
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

static int
redis_setup(redisContext *c, const struct kp_redis_url *u, int *perm,
    char err[KP_ERRLEN])
{
	redisReply *r;

	if (u->has_password) {
		if (u->user[0] != '\0')
			r = redisCommand(c, "AUTH %s %s", u->user,
			    u->password);
		else
			r = redisCommand(c, "AUTH %s", u->password);
		if (setup_reply(c, r, "AUTH", perm, err) < 0)
			return -1;
	}
	if (u->db != 0) {
		r = redisCommand(c, "SELECT %d", u->db);
		if (setup_reply(c, r, "SELECT", perm, err) < 0)
			return -1;
	}
	if (!u->has_password && u->db == 0) {
		r = redisCommand(c, "PING");
		if (setup_reply(c, r, "PING", perm, err) < 0)
			return -1;
	}
	return 0;
}

redisContext *
kp_redis_connect(const struct kp_redis_url *u, long timeout_ms, int *perm,
    char err[KP_ERRLEN])
{
	struct timeval tv;
	redisContext *c;
	char desc[KP_REDIS_HOST_MAX + KP_REDIS_PATH_MAX];

	*perm = 0;
	err[0] = '\0';
	if (timeout_ms <= 0)
		timeout_ms = 1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (u->is_unix)
		c = redisConnectUnixWithTimeout(u->path, tv);
	else
		c = redisConnectWithTimeout(u->host, (int)u->port, tv);
	if (c == NULL) {
		snprintf(err, KP_ERRLEN, "out of memory");
		return NULL;
	}
	if (u->is_unix)
		snprintf(desc, sizeof desc, "%s", u->path);
	else
		snprintf(desc, sizeof desc, "%s port %u", u->host, u->port);
	if (c->err != 0) {
		snprintf(err, KP_ERRLEN, "unable to connect to %.150s: %.60s",
		    desc, c->errstr);
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK ||
	    redis_setup(c, u, perm, err) < 0) {
		if (c->err != 0 && err[0] == '\0')
			snprintf(err, KP_ERRLEN, "%.150s: %.60s", desc,
			    c->errstr);
		redisFree(c);
		return NULL;
	}
	return c;
}

int
kp_redis_nonblock(redisContext *c)
{
	int fl = fcntl(c->fd, F_GETFL);

	if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	c->flags &= ~REDIS_BLOCK;
	return 0;
}
