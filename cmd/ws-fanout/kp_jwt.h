/* kp_jwt.h: JSON Web Token verification (RS256, ES256, HS256) with cjose. */
/* SPDX-License-Identifier: MIT */
#ifndef KP_JWT_H
#define KP_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "kp.h"

/* A token longer than this is refused before any parsing. */
#define KP_JWT_MAX 8192
/* An HS256 secret must have at least this many bytes (RFC 7518 3.2). */
#define KP_JWT_HS_MIN 32
/* At most this many keys in a set. */
#define KP_JWT_KEYS_MAX 64

/*
 * A key set.  Each key has a type, and the type alone decides which
 * algorithm it verifies: RSA keys RS256, EC P-256 keys ES256, octet keys
 * (shared secrets) HS256.  So a token can never make an RSA public key
 * serve as an HMAC secret (HS/RS confusion), and "none" matches no key.
 */
struct kp_jwt_keys;

struct kp_jwt_keys *kp_jwt_keys_new(void);
void kp_jwt_keys_free(struct kp_jwt_keys *k);
size_t kp_jwt_keys_count(const struct kp_jwt_keys *k);

/*
 * Add the public keys of a JWKS document ({"keys":[...]}, RFC 7517).
 * Keys with "use" other than "sig", RSA keys under 2048 bits and EC
 * curves other than P-256 are refused; a key's "alg", when present,
 * must be the one its type verifies.  Private parts, when present, are
 * ignored (only verification is done).  Return the number of keys added,
 * or -1 with err filled (nothing added then).
 */
int kp_jwt_keys_add_jwks(struct kp_jwt_keys *k, const char *json,
    size_t len, char err[KP_ERRLEN]);

/* Read a JWKS file and add its keys, as kp_jwt_keys_add_jwks. */
int kp_jwt_keys_add_jwks_file(struct kp_jwt_keys *k, const char *path,
    char err[KP_ERRLEN]);

/*
 * Add an HS256 shared secret (at least KP_JWT_HS_MIN bytes) with an
 * optional kid (NULL: matches any token without a known kid).  Return 0,
 * or -1 with err filled.
 */
int kp_jwt_keys_add_secret(struct kp_jwt_keys *k, const void *secret,
    size_t len, const char *kid, char err[KP_ERRLEN]);

/* What a token must satisfy besides its signature. */
struct kp_jwt_policy {
	const char *iss;	/* required "iss" (exact), or NULL */
	const char *aud;	/* required in "aud" (string or array), or NULL */
	int64_t leeway_s;	/* clock skew allowed on exp and nbf */
	int exp_optional;	/* accept tokens without "exp" */
};

/* What a verified token says. */
#define KP_JWT_SUB_MAX 128
struct kp_jwt_claims {
	char sub[KP_JWT_SUB_MAX];	/* "" when absent; cut to fit */
	char alg[8];
	int64_t exp;			/* 0 when absent */
};

/*
 * Verify a compact JWS token (header.payload.signature) at time now
 * (epoch seconds): the algorithm must be RS256, ES256 or HS256, a key of
 * the matching type (and kid, when the token names one) must verify the
 * signature, the payload must be a JSON object, exp must be in the
 * future and nbf in the past (both within leeway), iss and aud as the
 * policy says.  Return 0 with *out filled (out may be NULL), or -1 with
 * err saying why in one short line (no token material in it).
 */
int kp_jwt_verify(const struct kp_jwt_keys *k, const struct kp_jwt_policy *p,
    const char *token, size_t len, int64_t now, struct kp_jwt_claims *out,
    char err[KP_ERRLEN]);

/*
 * Check the claims of a payload (JSON text) alone, as kp_jwt_verify does
 * after the signature: for tests and fuzzing.
 */
int kp_jwt_check_claims(const struct kp_jwt_policy *p, const char *json,
    size_t len, int64_t now, struct kp_jwt_claims *out, char err[KP_ERRLEN]);

#endif
