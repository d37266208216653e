/*
 * redisurl.c: libFuzzer target for REDIS_URL parsing: any bytes as a URL.
 * A refusal leaves no password behind and its message is bounded; an
 * accepted URL has NUL-terminated fields within their arrays, a port in
 * 1..65535, a non-negative database, and prints with the password hidden.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp_redis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_redis_url u;
	char err[KP_ERRLEN], buf[1024], *s;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (kp_redis_url_parse(&u, s, err) < 0) {
		if (u.has_password || u.password[0] != '\0' ||
		    memchr(err, '\0', sizeof err) == NULL)
			abort();
		free(s);
		return 0;
	}
	if (memchr(u.host, '\0', sizeof u.host) == NULL ||
	    memchr(u.path, '\0', sizeof u.path) == NULL ||
	    memchr(u.user, '\0', sizeof u.user) == NULL ||
	    memchr(u.password, '\0', sizeof u.password) == NULL)
		abort();
	if (u.port < 1 || u.port > 65535 || u.db < 0)
		abort();
	if (u.is_unix && u.path[0] != '/')
		abort();
	kp_redis_url_str(&u, buf, sizeof buf);
	if (u.has_password && strstr(buf, ":***@") == NULL)
		abort();
	kp_redis_url_clear(&u);
	free(s);
	return 0;
}
