/*
 * wsurl.c: libFuzzer target for the WebSocket URL parser: any bytes as a
 * URL; what is accepted is bounded and consistent (a port in range, a
 * host without brackets, the Host header the host or it in brackets, a
 * path that starts with '/' and holds no space or control character),
 * and reassembled it parses the same again.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_wsurl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_wsurl u, v;
	char err[KP_ERRLEN], *s, again[KP_WSURL_HOST_MAX + KP_WSURL_PATH_MAX +
	    32];
	size_t i;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (kp_wsurl_parse(s, &u, err) < 0) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		free(s);
		return 0;
	}
	if (u.port < 1 || u.port > 65535 || u.host[0] == '\0' ||
	    strchr(u.host, '[') != NULL || u.path[0] != '/')
		abort();
	if (strchr(u.host, ':') != NULL) {
		if (!u.ip || strlen(u.host_hdr) != strlen(u.host) + 2 ||
		    u.host_hdr[0] != '[' || strncmp(u.host_hdr + 1, u.host,
		    strlen(u.host)) != 0)
			abort();
	} else if (strcmp(u.host, u.host_hdr) != 0) {
		abort();
	}
	for (i = 0; u.path[i] != '\0'; i++)
		if ((unsigned char)u.path[i] <= 0x20 || u.path[i] == 0x7f)
			abort();
	snprintf(again, sizeof(again), "%s://%s:%d%s", u.tls ? "wss" : "ws",
	    u.host_hdr, u.port, u.path);
	if (kp_wsurl_parse(again, &v, err) < 0 || v.tls != u.tls ||
	    v.port != u.port || v.ip != u.ip || strcmp(v.host, u.host) != 0 ||
	    strcmp(v.path, u.path) != 0)
		abort();
	free(s);
	return 0;
}
