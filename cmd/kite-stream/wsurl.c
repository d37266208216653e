/* wsurl.c: a ws:// or wss:// URL, parsed.  See kp_wsurl.h. */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "kp_wsurl.h"

static int
wsurl_fail(char err[KP_ERRLEN], const char *what)
{
	snprintf(err, KP_ERRLEN, "%s", what);
	return -1;
}

/* A name's characters: letters, digits, '-', '.', '_'. */
static bool
wsurl_name(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

int
kp_wsurl_parse(const char *url, struct kp_wsurl *u, char err[KP_ERRLEN])
{
	struct in_addr a4;
	struct in6_addr a6;
	const char *p, *q;
	size_t hl, i;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "wss://", 6) == 0) {
		u->tls = true;
		u->port = 443;
		p = url + 6;
	} else if (strncmp(url, "ws://", 5) == 0) {
		u->port = 80;
		p = url + 5;
	} else {
		return wsurl_fail(err, "not a ws:// or wss:// URL");
	}
	if (*p == '[') {
		q = strchr(p, ']');
		hl = q != NULL ? (size_t)(q - p - 1) : 0;
		if (q == NULL || hl == 0 || hl >= sizeof(u->host) ||
		    strchr(":/?", q[1]) == NULL)
			return wsurl_fail(err, "bad IPv6 literal: want "
			    "[ADDRESS] then :PORT, '/', '?' or the end");
		memcpy(u->host, p + 1, hl);
		u->host[hl] = '\0';
		if (inet_pton(AF_INET6, u->host, &a6) != 1)
			return wsurl_fail(err, memchr(u->host, '%', hl) ?
			    "bad IPv6 address: zone identifiers are not "
			    "supported" : "bad IPv6 address");
		snprintf(u->host_hdr, sizeof(u->host_hdr), "[%s]", u->host);
		u->ip = true;
		p = q + 1;
	} else {
		hl = strcspn(p, ":/?#");
		if (memchr(p, '@', strcspn(p, "/?#")) != NULL)
			return wsurl_fail(err, "user information (user@) in "
			    "the URL: not supported");
		if (hl == 0)
			return wsurl_fail(err, "no host");
		if (hl >= sizeof(u->host))
			return wsurl_fail(err, "host name too long");
		if (!wsurl_name(p, hl))
			return wsurl_fail(err, "bad character in the host "
			    "(an IPv6 address goes in brackets)");
		memcpy(u->host, p, hl);
		u->host[hl] = '\0';
		memcpy(u->host_hdr, p, hl + 1);
		u->host_hdr[hl] = '\0';
		u->ip = inet_pton(AF_INET, u->host, &a4) == 1;
		p += hl;
	}
	if (*p == ':') {
		long port = 0;

		for (i = 1; p[i] >= '0' && p[i] <= '9' && i < 7; i++)
			port = port * 10 + (p[i] - '0');
		if (i == 1 || port < 1 || port > 65535 ||
		    strchr("/?#", p[i]) == NULL)
			return wsurl_fail(err, "bad port");
		u->port = (int)port;
		p += i;
	}
	for (i = 0; p[i] != '\0'; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return wsurl_fail(err, "a space, control character or "
			    "byte outside ASCII in the path (escape it as %XX)");
	if (strchr(p, '#') != NULL)
		return wsurl_fail(err, "a fragment (#) in a WebSocket URL");
	if (i + (*p == '/' ? 0 : 1) >= sizeof(u->path))
		return wsurl_fail(err, "path too long");
	snprintf(u->path, sizeof(u->path), "%s%s", *p == '/' ? "" : "/", p);
	return 0;
}
