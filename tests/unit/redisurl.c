/* redisurl.c: REDIS_URL forms, defaults, escapes, refusals, connect errors. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp_redis.h"
#include "t.h"

static struct kp_redis_url u;
static char err[KP_ERRLEN];

static int
parse(const char *s)
{
	err[0] = '\0';
	return kp_redis_url_parse(&u, s, err);
}

static void
test_tcp(void)
{
	char buf[512];

	T_EQ_INT(parse("redis://localhost"), 0, "redis://localhost");
	T_EQ_STR(u.host, "localhost", "host");
	T_EQ_INT(u.port, 6379, "default port");
	T_EQ_INT(u.db, 0, "default db");
	T_EQ_INT(u.has_password, 0, "no password");
	T_EQ_INT(u.is_unix, 0, "tcp");

	T_EQ_INT(parse("redis://10.1.2.3:6380/5"), 0, "host:port/db");
	T_EQ_STR(u.host, "10.1.2.3", "host");
	T_EQ_INT(u.port, 6380, "port");
	T_EQ_INT(u.db, 5, "db");

	T_EQ_INT(parse("redis://:s3cret@h:1/2"), 0, ":password@");
	T_EQ_INT(u.has_password, 1, "has password");
	T_EQ_STR(u.password, "s3cret", "password");
	T_EQ_STR(u.user, "", "no user");
	kp_redis_url_str(&u, buf, sizeof buf);
	T_EQ_STR(buf, "redis://:***@h:1/2", "str hides the password");

	T_EQ_INT(parse("REDIS://alice:p%40ss%3Aword@h"), 0, "user, escapes");
	T_EQ_STR(u.user, "alice", "user");
	T_EQ_STR(u.password, "p@ss:word", "password decoded");

	T_EQ_INT(parse("redis://a:b@c@h:7"), 0, "last '@' ends userinfo");
	T_EQ_STR(u.password, "b@c", "password with '@'");
	T_EQ_STR(u.host, "h", "host after the last '@'");

	T_EQ_INT(parse("redis://[::1]:6390/3"), 0, "IPv6");
	T_EQ_STR(u.host, "::1", "IPv6 host without brackets");
	T_EQ_INT(u.port, 6390, "IPv6 port");
	kp_redis_url_str(&u, buf, sizeof buf);
	T_EQ_STR(buf, "redis://[::1]:6390/3", "str brackets IPv6");

	T_EQ_INT(parse("redis://"), 0, "empty host");
	T_EQ_STR(u.host, "127.0.0.1", "empty host is 127.0.0.1");
	T_EQ_INT(parse("redis://h/"), 0, "trailing slash");
	T_EQ_INT(u.db, 0, "trailing slash: db 0");
	T_EQ_INT(parse("redis://h?db=4"), 0, "?db= on redis://");
	T_EQ_INT(u.db, 4, "db from the query");
}

static void
test_unix(void)
{
	char buf[512];

	T_EQ_INT(parse("unix:///tmp/r.sock"), 0, "unix path");
	T_EQ_INT(u.is_unix, 1, "is unix");
	T_EQ_STR(u.path, "/tmp/r.sock", "path");
	T_EQ_INT(u.db, 0, "db 0");
	T_EQ_INT(parse("unix:///tmp/r.sock?db=9"), 0, "unix ?db=");
	T_EQ_INT(u.db, 9, "db 9");
	T_EQ_INT(parse("unix://:pw12@/tmp/my%20r.sock?db=1"), 0,
	    "unix with password");
	T_EQ_STR(u.password, "pw12", "unix password");
	T_EQ_STR(u.path, "/tmp/my r.sock", "path decoded");
	kp_redis_url_str(&u, buf, sizeof buf);
	T_EQ_STR(buf, "unix://:***@/tmp/my r.sock?db=1", "unix str");
	T_EQ_INT(parse("unix:///a@b/s"), 0, "'@' inside the path");
	T_EQ_STR(u.path, "/a@b/s", "path keeps '@'");
	T_EQ_INT(u.has_password, 0, "no password from the path");
}

/* The URL is refused, the message holds want and never the password. */
static void
refused(const char *url, const char *want)
{
	int r = parse(url);

	t_ok(r == -1 && strstr(err, want) != NULL &&
	    strstr(err, "hunter2") == NULL, "refused: %s", url);
	if (r != -1 || strstr(err, want) == NULL)
		t_diag("  err '%s', want '%s'", err, want);
	T_EQ_INT(u.has_password, 0, "nothing kept after a refusal");
}

static void
test_bad(void)
{
	char big[400];

	refused("rediss://:hunter2@h", "TLS");
	refused("http://h", "unknown URL scheme");
	refused("http://:hunter2@h", "(hidden)");
	refused("redis://h:0", "bad port");
	refused("redis://h:65536", "bad port");
	refused("redis://h:12x", "bad port");
	refused("redis://h:", "bad port");
	refused("redis://h/x", "bad database");
	refused("redis://h/-1", "bad database");
	refused("redis://h/1?db=2", "twice");
	refused("redis://h?timeout=3", "unknown URL parameter 'timeout=3'");
	refused("redis://hunter2@h", "without ':'");
	refused("redis://:hunter2%@h", "bad or too long password");
	refused("redis://:hunter2%00@h", "bad or too long password");
	refused("redis://[::1", "missing ']'");
	refused("redis://[::1]x", "bad host");
	refused("redis://h#x", "'#'");
	refused("unix://relative.sock", "absolute path");
	refused("unix://", "absolute path");
	refused("unix:///s?db=x", "bad database");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "unix:///", 8);
	refused(big, "too long socket path");
	memcpy(big, "redis://", 8);
	refused(big, "host name too long");
}

static void
test_connect(void)
{
	redisContext *c;
	int perm = -1;

	T_EQ_INT(parse("unix:///nonexistent/kp-test.sock"), 0, "parse");
	c = kp_redis_connect(&u, 500, &perm, err);
	t_ok(c == NULL, "no server: NULL");
	T_EQ_INT(perm, 0, "no server: temporary");
	t_ok(strstr(err, "/nonexistent/kp-test.sock") != NULL,
	    "message names the socket: %s", err);
}

int
main(void)
{
	test_tcp();
	test_unix();
	test_bad();
	test_connect();
	kp_redis_url_clear(&u);
	return t_done();
}
