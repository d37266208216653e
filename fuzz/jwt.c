/*
 * jwt.c: libFuzzer target for JWT verification: any bytes as a token
 * against an HS256 key set (header parsing, base64url, cjose import and
 * HMAC), and as a claims payload.  Nothing may crash or leak, and a
 * token the fuzzer cannot sign must never verify.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "kp_jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret[] = "fuzz-secret-0123456789-abcdefghij";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kp_jwt_keys *k;
	struct kp_jwt_policy p = { .iss = "kp", .aud = "ws", .leeway_s = 30 };
	struct kp_jwt_claims c;
	char err[KP_ERRLEN];

	if (k == NULL) {
		k = kp_jwt_keys_new();
		if (k == NULL || kp_jwt_keys_add_secret(k, secret,
		    sizeof(secret) - 1, NULL, err) < 0)
			abort();
	}
	if (size > 2 * KP_JWT_MAX)
		return 0;
	/* The fuzzer does not know the secret: nothing may verify. */
	if (kp_jwt_verify(k, &p, (const char *)data, size, 1700000000, &c,
	    err) == 0)
		abort();
	(void)kp_jwt_check_claims(&p, (const char *)data, size, 1700000000,
	    &c, err);
	return 0;
}
