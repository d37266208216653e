/*
 * kp_wsurl.h: a WebSocket URL (RFC 6455 section 3), as KITE_WS_URL
 * gives it: ws:// or wss://, a host name, an IPv4 address or an IPv6
 * address in brackets (RFC 3986 section 3.2.2), an optional port, and
 * the path and query.
 */
/* SPDX-License-Identifier: MIT */
#ifndef KP_WSURL_H
#define KP_WSURL_H

#include <stdbool.h>

#include "kp.h"

#define KP_WSURL_HOST_MAX 256
#define KP_WSURL_PATH_MAX 512

struct kp_wsurl {
	bool tls;			/* wss:// */
	bool ip;			/* the host is an IP address */
	int port;			/* 80 or 443 when not given */
	char host[KP_WSURL_HOST_MAX];	/* to connect to: no brackets */
	char host_hdr[KP_WSURL_HOST_MAX + 2];	/* Host header: [v6] */
	char path[KP_WSURL_PATH_MAX];	/* "/" when empty; query kept */
};

/*
 * Parse url into *u.  Refused: another scheme, an empty host, a host
 * with characters outside letters, digits, '-', '.' and '_', user
 * information, an IPv6 literal that is not one (zone identifiers
 * included), a port outside 1 to 65535, a path or query with a space, a
 * control character or a byte outside ASCII, a fragment.  Return 0, or -1 with err saying what
 * is wrong (it never quotes the path or query: they may hold secrets).
 */
int kp_wsurl_parse(const char *url, struct kp_wsurl *u, char err[KP_ERRLEN]);

#endif
