/* wsurl.c: unit tests for cmd/kite-stream/wsurl.c (ws:// and wss:// URLs). */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp_wsurl.h"
#include "t.h"

static void
ok(const char *url, int tls, int ip, int port, const char *host,
    const char *hdr, const char *path)
{
	struct kp_wsurl u;
	char err[KP_ERRLEN] = "";
	int rc = kp_wsurl_parse(url, &u, err);

	t_ok(rc == 0 && u.tls == tls && u.ip == ip && u.port == port &&
	    strcmp(u.host, host) == 0 && strcmp(u.host_hdr, hdr) == 0 &&
	    strcmp(u.path, path) == 0, "%s", url);
	if (rc != 0)
		t_diag("  refused: %s", err);
	else if (strcmp(u.host, host) != 0 || strcmp(u.host_hdr, hdr) != 0 ||
	    strcmp(u.path, path) != 0 || u.port != port)
		t_diag("  got host '%s' hdr '%s' port %d path '%s'", u.host,
		    u.host_hdr, u.port, u.path);
}

static void
refused(const char *url, const char *why)
{
	struct kp_wsurl u;
	char err[KP_ERRLEN] = "";
	int rc = kp_wsurl_parse(url, &u, err);

	t_ok(rc == -1 && strstr(err, why) != NULL, "refused: %s", url);
	if (rc != -1 || strstr(err, why) == NULL)
		t_diag("  got %d '%s', want '%s'", rc, err, why);
}

int
main(void)
{
	ok("wss://ws.kite.trade", 1, 0, 443, "ws.kite.trade", "ws.kite.trade",
	    "/");
	ok("ws://127.0.0.1:8765", 0, 1, 8765, "127.0.0.1", "127.0.0.1", "/");
	ok("ws://localhost:1/a/b?x=1&y=2", 0, 0, 1, "localhost", "localhost",
	    "/a/b?x=1&y=2");
	ok("ws://h?q", 0, 0, 80, "h", "h", "/?q");
	ok("ws://[::1]:8765/", 0, 1, 8765, "::1", "[::1]", "/");
	ok("wss://[::1]/", 1, 1, 443, "::1", "[::1]", "/");
	ok("ws://[2001:db8::a:1]", 0, 1, 80, "2001:db8::a:1",
	    "[2001:db8::a:1]", "/");
	ok("ws://[::ffff:127.0.0.1]:65535?k", 0, 1, 65535,
	    "::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "/?k");
	ok("ws://my_host-1.example:80/", 0, 0, 80, "my_host-1.example",
	    "my_host-1.example", "/");
	refused("http://h/", "not a ws:// or wss:// URL");
	refused("WS://h/", "not a ws://");
	refused("ws://", "no host");
	refused("ws://:80/", "no host");
	refused("ws://::1:80/", "no host");
	refused("ws://[::1", "bad IPv6 literal");
	refused("ws://[::1]x/", "bad IPv6 literal");
	refused("ws://[]/", "bad IPv6 literal");
	refused("ws://[1.2.3.4]/", "bad IPv6 address");
	refused("ws://[::g]/", "bad IPv6 address");
	refused("ws://[fe80::1%eth0]/", "zone identifiers");
	refused("ws://[fe80::1%25eth0]/", "zone identifiers");
	refused("ws://user:pw@h/", "user information");
	refused("ws://user@h", "user information");
	refused("ws://h\x01/", "bad character in the host");
	refused("ws://h:0/", "bad port");
	refused("ws://h:65536/", "bad port");
	refused("ws://h:/", "bad port");
	refused("ws://h:8x/", "bad port");
	refused("ws://h:-1/", "bad port");
	refused("ws://h:0000080/", "bad port");
	refused("ws://h/a b", "a space, control character or byte outside "
	    "ASCII in the path");
	refused("ws://h/a\tb", "control character");
	refused("ws://h/caf\xc3\xa9", "outside ASCII");
	ok("ws://h/a@b", 0, 0, 80, "h", "h", "/a@b");
	refused("ws://h/#frag", "a fragment");
	{
		char big[700];

		memset(big, 'a', sizeof(big));
		memcpy(big, "ws://", 5);
		big[sizeof(big) - 1] = '\0';
		refused(big, "host name too long");
		big[10] = '/';
		refused(big, "path too long");
		/* the longest path, with and without its '/' */
		big[10 + KP_WSURL_PATH_MAX] = '\0';
		refused(big, "path too long");
		big[10 + KP_WSURL_PATH_MAX - 1] = '\0';
		ok(big, 0, 0, 80, "aaaaa", "aaaaa", big + 10);
		big[10] = '?';
		refused(big, "path too long");
	}
	return t_done();
}
