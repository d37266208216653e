/* jwt.c: JSON Web Token verification with cjose and jansson. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjose/cjose.h>
#include <jansson.h>

#include "kp_jwt.h"

enum jwt_alg {
	JWT_RS256 = 1,
	JWT_ES256,
	JWT_HS256
};

#define KID_MAX 128

struct jwt_key {
	cjose_jwk_t *jwk;
	enum jwt_alg alg;
	char kid[KID_MAX];
	int has_kid;
};

struct kp_jwt_keys {
	struct jwt_key key[KP_JWT_KEYS_MAX];
	size_t n;
};

static const char *const alg_name[] = {
	[JWT_RS256] = "RS256",
	[JWT_ES256] = "ES256",
	[JWT_HS256] = "HS256",
};

static int
alg_parse(const char *s)
{
	int i;

	for (i = JWT_RS256; i <= JWT_HS256; i++)
		if (strcmp(s, alg_name[i]) == 0)
			return i;
	return -1;
}

static int
fail(char err[KP_ERRLEN], const char *fmt, ...) KP_PRINTF(2, 3);

static int
fail(char err[KP_ERRLEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, KP_ERRLEN, fmt, ap);
	va_end(ap);
	return -1;
}

struct kp_jwt_keys *
kp_jwt_keys_new(void)
{
	return calloc(1, sizeof(struct kp_jwt_keys));
}

void
kp_jwt_keys_free(struct kp_jwt_keys *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n; i++)
		cjose_jwk_release(k->key[i].jwk);
	free(k);
}

size_t
kp_jwt_keys_count(const struct kp_jwt_keys *k)
{
	return k->n;
}

/* The algorithm a cjose key may verify, or -1 with err filled. */
static int
key_alg(cjose_jwk_t *jwk, char err[KP_ERRLEN])
{
	cjose_err cerr;

	switch (cjose_jwk_get_kty(jwk, &cerr)) {
	case CJOSE_JWK_KTY_RSA:
		if (cjose_jwk_get_keysize(jwk, &cerr) < 2048)
			return fail(err, "RSA key shorter than 2048 bits");
		return JWT_RS256;
	case CJOSE_JWK_KTY_EC:
		if (cjose_jwk_EC_get_curve(jwk, &cerr) != CJOSE_JWK_EC_P_256)
			return fail(err, "EC key not on curve P-256");
		return JWT_ES256;
	case CJOSE_JWK_KTY_OCT:
		if (cjose_jwk_get_keysize(jwk, &cerr) < 8 * KP_JWT_HS_MIN)
			return fail(err, "secret shorter than %d bytes",
			    KP_JWT_HS_MIN);
		return JWT_HS256;
	default:
		return fail(err, "unknown key type");
	}
}

static int
keys_push(struct kp_jwt_keys *k, cjose_jwk_t *jwk, int alg, const char *kid,
    char err[KP_ERRLEN])
{
	struct jwt_key *e;

	if (k->n >= KP_JWT_KEYS_MAX)
		return fail(err, "more than %d keys", KP_JWT_KEYS_MAX);
	if (kid != NULL && strlen(kid) >= KID_MAX)
		return fail(err, "kid longer than %d bytes", KID_MAX - 1);
	e = &k->key[k->n++];
	e->jwk = jwk;
	e->alg = (enum jwt_alg)alg;
	e->has_kid = kid != NULL;
	if (kid != NULL)
		snprintf(e->kid, sizeof(e->kid), "%s", kid);
	return 0;
}

/* One JWKS member to a cjose key; return its algorithm or -1. */
static int
jwks_key(json_t *o, cjose_jwk_t **out, char err[KP_ERRLEN])
{
	json_t *use = json_object_get(o, "use");
	json_t *alg = json_object_get(o, "alg");
	cjose_err cerr;
	char *text;
	int a;

	if (use != NULL && (!json_is_string(use) ||
	    strcmp(json_string_value(use), "sig") != 0))
		return fail(err, "\"use\" is not \"sig\"");
	text = json_dumps(o, JSON_COMPACT);
	if (text == NULL)
		return fail(err, "out of memory");
	*out = cjose_jwk_import(text, strlen(text), &cerr);
	free(text);
	if (*out == NULL)
		return fail(err, "unusable key: %s", cerr.message);
	a = key_alg(*out, err);
	if (a > 0 && alg != NULL && (!json_is_string(alg) ||
	    alg_parse(json_string_value(alg)) != a))
		a = fail(err, "\"alg\" does not match the key type");
	if (a < 0) {
		cjose_jwk_release(*out);
		*out = NULL;
	}
	return a;
}

int
kp_jwt_keys_add_jwks(struct kp_jwt_keys *k, const char *json, size_t len,
    char err[KP_ERRLEN])
{
	json_error_t jerr;
	json_t *root, *keys, *o, *kid;
	size_t i, n0 = k->n;
	char e2[KP_ERRLEN];
	cjose_jwk_t *jwk = NULL;
	int a;

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return fail(err, "JWKS: line %d: %s", jerr.line, jerr.text);
	keys = json_object_get(root, "keys");
	if (!json_is_array(keys) || json_array_size(keys) == 0) {
		json_decref(root);
		return fail(err, "JWKS: no \"keys\" array");
	}
	json_array_foreach(keys, i, o) {
		kid = json_object_get(o, "kid");
		if (!json_is_object(o) || (kid != NULL &&
		    !json_is_string(kid))) {
			a = fail(e2, "not an object with a string kid");
			jwk = NULL;
		} else {
			a = jwks_key(o, &jwk, e2);
		}
		if (a > 0 && keys_push(k, jwk, a,
		    kid != NULL ? json_string_value(kid) : NULL, e2) < 0) {
			cjose_jwk_release(jwk);
			a = -1;
		}
		if (a < 0) {
			while (k->n > n0)
				cjose_jwk_release(k->key[--k->n].jwk);
			json_decref(root);
			return fail(err, "JWKS: key %zu: %s", i + 1, e2);
		}
	}
	json_decref(root);
	return (int)(k->n - n0);
}

int
kp_jwt_keys_add_jwks_file(struct kp_jwt_keys *k, const char *path,
    char err[KP_ERRLEN])
{
	char *buf;
	size_t len = 0, cap = 1 << 20;
	ssize_t r;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, "%s: %s", path, strerror(errno));
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return fail(err, "out of memory");
	}
	while (len < cap && (r = read(fd, buf + len, cap - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = fail(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		len += (size_t)r;
	}
	if (len == cap) {
		ret = fail(err, "%s: larger than 1 MiB", path);
		goto out;
	}
	ret = kp_jwt_keys_add_jwks(k, buf, len, err);
	if (ret < 0) {
		char e2[KP_ERRLEN];

		snprintf(e2, sizeof(e2), "%s: %s", path, err);
		memcpy(err, e2, KP_ERRLEN);
	}
out:
	free(buf);
	close(fd);
	return ret;
}

int
kp_jwt_keys_add_secret(struct kp_jwt_keys *k, const void *secret,
    size_t len, const char *kid, char err[KP_ERRLEN])
{
	cjose_jwk_t *jwk;
	cjose_err cerr;

	if (len < KP_JWT_HS_MIN)
		return fail(err, "HS256 secret shorter than %d bytes",
		    KP_JWT_HS_MIN);
	jwk = cjose_jwk_create_oct_spec(secret, len, &cerr);
	if (jwk == NULL)
		return fail(err, "HS256 secret: %s", cerr.message);
	if (keys_push(k, jwk, JWT_HS256, kid, err) < 0) {
		cjose_jwk_release(jwk);
		return -1;
	}
	return 0;
}

/* A compact JWS is three base64url parts joined by two dots. */
static int
compact_ok(const char *t, size_t len, size_t *dot1)
{
	size_t i, dots = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '.') {
			if (dots++ == 0)
				*dot1 = i;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		    || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			return 0;
		}
	}
	return dots == 2;
}

/* Decode and check the header: return the algorithm, kid copied out. */
static int
header_parse(const char *t, size_t hlen, char kid[KID_MAX], int *has_kid,
    char err[KP_ERRLEN])
{
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	cjose_err cerr;
	json_error_t jerr;
	json_t *h, *alg, *k;
	int a = -1;

	if (hlen == 0 || !cjose_base64url_decode(t, hlen, &raw, &rawlen,
	    &cerr))
		return fail(err, "header is not base64url");
	h = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES,
	    &jerr);
	free(raw);
	if (!json_is_object(h)) {
		json_decref(h);
		return fail(err, "header is not a JSON object");
	}
	alg = json_object_get(h, "alg");
	k = json_object_get(h, "kid");
	*has_kid = 0;
	if (!json_is_string(alg))
		fail(err, "header has no alg");
	else if ((a = alg_parse(json_string_value(alg))) < 0)
		fail(err, "algorithm not accepted (RS256, ES256, HS256 only)");
	else if (json_object_get(h, "crit") != NULL)
		a = fail(err, "header has crit extensions");
	else if (k != NULL && (!json_is_string(k) ||
	    strlen(json_string_value(k)) >= KID_MAX))
		a = fail(err, "bad kid");
	else if (k != NULL) {
		snprintf(kid, KID_MAX, "%s", json_string_value(k));
		*has_kid = 1;
	}
	json_decref(h);
	return a;
}

/* Try each key of the token's algorithm (and kid); 1 if one verifies. */
static int
signature_ok(const struct kp_jwt_keys *k, int alg, const char *kid,
    int has_kid, const char *token, size_t len, char **payload,
    size_t *plen)
{
	cjose_jws_t *jws;
	cjose_err cerr;
	uint8_t *pt;
	size_t i, ptlen;

	for (i = 0; i < k->n; i++) {
		const struct jwt_key *e = &k->key[i];

		if ((int)e->alg != alg)
			continue;
		if (has_kid && e->has_kid && strcmp(kid, e->kid) != 0)
			continue;
		/* A fresh import per key: verify keeps state in the jws. */
		jws = cjose_jws_import(token, len, &cerr);
		if (jws == NULL)
			return 0;
		if (cjose_jws_verify(jws, e->jwk, &cerr) &&
		    cjose_jws_get_plaintext(jws, &pt, &ptlen, &cerr)) {
			*payload = malloc(ptlen + 1);
			if (*payload != NULL) {
				memcpy(*payload, pt, ptlen);
				(*payload)[ptlen] = 0;
				*plen = ptlen;
			}
			cjose_jws_release(jws);
			return *payload != NULL;
		}
		cjose_jws_release(jws);
	}
	return 0;
}

static int
has_key(const struct kp_jwt_keys *k, int alg)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if ((int)k->key[i].alg == alg)
			return 1;
	return 0;
}

int
kp_jwt_verify(const struct kp_jwt_keys *k, const struct kp_jwt_policy *p,
    const char *token, size_t len, int64_t now, struct kp_jwt_claims *out,
    char err[KP_ERRLEN])
{
	char kid[KID_MAX], *payload = NULL;
	size_t dot1 = 0, plen = 0;
	int alg, has_kid, ret;

	if (len == 0)
		return fail(err, "empty token");
	if (len > KP_JWT_MAX)
		return fail(err, "token longer than %d bytes", KP_JWT_MAX);
	if (!compact_ok(token, len, &dot1))
		return fail(err, "not a compact JWS (three base64url parts)");
	alg = header_parse(token, dot1, kid, &has_kid, err);
	if (alg < 0)
		return -1;
	if (!has_key(k, alg))
		return fail(err, "no key for algorithm %s", alg_name[alg]);
	if (!signature_ok(k, alg, kid, has_kid, token, len, &payload, &plen))
		return fail(err, "bad signature");
	ret = kp_jwt_check_claims(p, payload, plen, now, out, err);
	free(payload);
	if (ret == 0 && out != NULL)
		snprintf(out->alg, sizeof(out->alg), "%s", alg_name[alg]);
	return ret;
}

/* A NumericDate claim: 1 if present (value in *v), 0 if absent, -1 bad. */
static int
numeric_date(json_t *c, const char *name, int64_t *v)
{
	json_t *x = json_object_get(c, name);
	double d;

	if (x == NULL)
		return 0;
	if (!json_is_number(x))
		return -1;
	d = json_number_value(x);
	if (!(d > -1e15 && d < 1e15))
		return -1;
	*v = (int64_t)d;
	return 1;
}

static int
aud_ok(json_t *aud, const char *want)
{
	size_t i;
	json_t *a;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	if (!json_is_array(aud))
		return 0;
	json_array_foreach(aud, i, a)
		if (json_is_string(a) && strcmp(json_string_value(a), want) == 0)
			return 1;
	return 0;
}

static int
claims_check(const struct kp_jwt_policy *p, json_t *c, int64_t now,
    struct kp_jwt_claims *out, char err[KP_ERRLEN])
{
	int64_t exp = 0, nbf = 0, lw = p->leeway_s;
	json_t *iss, *sub;
	int r;

	r = numeric_date(c, "exp", &exp);
	if (r < 0)
		return fail(err, "exp is not a number");
	if (r == 0 && !p->exp_optional)
		return fail(err, "token has no exp");
	if (r > 0 && now > exp + lw)
		return fail(err, "token expired");
	r = numeric_date(c, "nbf", &nbf);
	if (r < 0)
		return fail(err, "nbf is not a number");
	if (r > 0 && now + lw < nbf)
		return fail(err, "token not yet valid (nbf)");
	iss = json_object_get(c, "iss");
	if (p->iss != NULL && (!json_is_string(iss) ||
	    strcmp(json_string_value(iss), p->iss) != 0))
		return fail(err, "wrong issuer");
	if (p->aud != NULL && !aud_ok(json_object_get(c, "aud"), p->aud))
		return fail(err, "wrong audience");
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->exp = exp;
		sub = json_object_get(c, "sub");
		if (json_is_string(sub))
			snprintf(out->sub, sizeof(out->sub), "%s",
			    json_string_value(sub));
	}
	return 0;
}

int
kp_jwt_check_claims(const struct kp_jwt_policy *p, const char *json,
    size_t len, int64_t now, struct kp_jwt_claims *out, char err[KP_ERRLEN])
{
	json_error_t jerr;
	json_t *c;
	int r;

	c = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(c)) {
		json_decref(c);
		return fail(err, "payload is not a JSON object");
	}
	r = claims_check(p, c, now, out, err);
	json_decref(c);
	return r;
}
