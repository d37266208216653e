/* jwt.c: unit tests for cmd/ws-fanout/jwt.c (kp_jwt_*), keys from cjose. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>

#include "kp_jwt.h"
#include "t.h"

#define NOW 1700000000LL

static const uint8_t secret[] = "0123456789abcdef0123456789abcdef!";

/* Sign payload with jwk under alg (and kid); return a malloc'd token. */
static char *
sign(cjose_jwk_t *jwk, const char *alg, const char *kid, const char *payload)
{
	cjose_header_t *h = cjose_header_new(NULL);
	cjose_jws_t *jws;
	const char *ser = NULL;
	char *out;

	cjose_header_set(h, CJOSE_HDR_ALG, alg, NULL);
	if (kid != NULL)
		cjose_header_set(h, CJOSE_HDR_KID, kid, NULL);
	jws = cjose_jws_sign(jwk, h, (const uint8_t *)payload,
	    strlen(payload), NULL);
	if (jws == NULL || !cjose_jws_export(jws, &ser, NULL)) {
		fprintf(stderr, "cannot sign with %s\n", alg);
		exit(2);
	}
	out = strdup(ser);
	cjose_jws_release(jws);
	cjose_header_release(h);
	return out;
}

static char *
b64(const char *s)
{
	char *o = NULL;
	size_t n;

	cjose_base64url_encode((const uint8_t *)s, strlen(s), &o, &n, NULL);
	return o;
}

/* A JWKS document holding the public half of each key. */
static char *
jwks(cjose_jwk_t **keys, int n)
{
	static char buf[16384];
	char *j;
	int i;

	strcpy(buf, "{\"keys\":[");
	for (i = 0; i < n; i++) {
		j = cjose_jwk_to_json(keys[i], false, NULL);
		if (i > 0)
			strcat(buf, ",");
		strcat(buf, j);
		free(j);
	}
	strcat(buf, "]}");
	return buf;
}

static int
verify(struct kp_jwt_keys *k, const struct kp_jwt_policy *p,
    const char *tok, char err[KP_ERRLEN])
{
	struct kp_jwt_claims c;

	err[0] = 0;
	return kp_jwt_verify(k, p, tok, strlen(tok), NOW, &c, err);
}

static void
refused(struct kp_jwt_keys *k, const struct kp_jwt_policy *p,
    const char *tok, const char *want, const char *name)
{
	char err[KP_ERRLEN];
	int r = verify(k, p, tok, err);

	t_ok(r < 0 && strstr(err, want) != NULL, "%s", name);
	if (r == 0 || strstr(err, want) == NULL)
		t_diag("  got %d '%s', want '%s'", r, err, want);
}

int
main(void)
{
	struct kp_jwt_policy p = { .iss = "kp-test", .aud = "ws-fanout",
	    .leeway_s = 30 };
	const char *good = "{\"sub\":\"alice\",\"iss\":\"kp-test\","
	    "\"aud\":[\"x\",\"ws-fanout\"],\"exp\":1700000600,"
	    "\"nbf\":1699999000}";
	static const uint8_t e65537[] = { 1, 0, 1 };
	cjose_jwk_t *rsa, *rsa2, *ec, *oct, *pub[2];
	struct kp_jwt_keys *k, *hs;
	struct kp_jwt_claims c;
	char err[KP_ERRLEN], *tok, *tok2, *pj, buf[4096];
	int r;

	rsa = cjose_jwk_create_RSA_random(2048, e65537, 3, NULL);
	rsa2 = cjose_jwk_create_RSA_random(2048, e65537, 3, NULL);
	ec = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, NULL);
	oct = cjose_jwk_create_oct_spec(secret, 33, NULL);
	cjose_jwk_set_kid(rsa, "r1", 2, NULL);
	cjose_jwk_set_kid(ec, "e1", 2, NULL);

	k = kp_jwt_keys_new();
	pub[0] = rsa;
	pub[1] = ec;
	r = kp_jwt_keys_add_jwks(k, jwks(pub, 2), strlen(jwks(pub, 2)), err);
	T_EQ_INT(r, 2, "JWKS with an RSA and an EC key: 2 keys");
	hs = kp_jwt_keys_new();
	T_EQ_INT(kp_jwt_keys_add_secret(hs, secret, 33, NULL, err), 0,
	    "HS256 secret of 33 bytes accepted");
	T_EQ_INT(kp_jwt_keys_add_secret(hs, secret, 31, NULL, err), -1,
	    "HS256 secret of 31 bytes refused");

	tok = sign(rsa, "RS256", "r1", good);
	memset(&c, 0, sizeof(c));
	r = kp_jwt_verify(k, &p, tok, strlen(tok), NOW, &c, err);
	T_EQ_INT(r, 0, "RS256 good token verifies");
	T_EQ_STR(c.sub, "alice", "sub returned");
	T_EQ_STR(c.alg, "RS256", "alg returned");
	T_EQ_INT(c.exp, 1700000600, "exp returned");
	r = kp_jwt_verify(k, &p, tok, strlen(tok), 1700000600 + 30, NULL, err);
	T_EQ_INT(r, 0, "RS256 at exp + leeway: still accepted");
	r = kp_jwt_verify(k, &p, tok, strlen(tok), 1700000600 + 31, NULL, err);
	t_ok(r < 0 && strstr(err, "expired"),
	    "RS256 at exp + leeway + 1: refused, expired");
	r = kp_jwt_verify(k, &p, tok, strlen(tok), 1699999000 - 31, NULL, err);
	t_ok(r < 0 && strstr(err, "not yet valid"), "before nbf: refused");
	free(tok);

	tok = sign(rsa, "RS256", NULL, good);
	T_EQ_INT(verify(k, &p, tok, err), 0, "RS256 without kid verifies");
	free(tok);

	tok = sign(rsa2, "RS256", "r1", good);
	refused(k, &p, tok, "bad signature", "RS256 by another key refused");
	free(tok);

	tok = sign(ec, "ES256", "e1", good);
	T_EQ_INT(verify(k, &p, tok, err), 0, "ES256 good token verifies");
	refused(hs, &p, tok, "no key for algorithm ES256",
	    "ES256 against a secret-only key set refused");
	/* flip one signature character */
	tok[strlen(tok) - 3] = tok[strlen(tok) - 3] == 'A' ? 'B' : 'A';
	refused(k, &p, tok, "bad signature", "ES256 with a changed signature");
	free(tok);

	tok = sign(oct, "HS256", NULL, good);
	T_EQ_INT(verify(hs, &p, tok, err), 0, "HS256 good token verifies");
	refused(k, &p, tok, "no key for algorithm HS256",
	    "HS256 against RSA/EC keys refused");
	free(tok);

	/* HS/RS confusion: HMAC keyed with the RSA public key's JWK. */
	pj = cjose_jwk_to_json(rsa, false, NULL);
	{
		cjose_jwk_t *conf = cjose_jwk_create_oct_spec(
		    (const uint8_t *)pj, strlen(pj), NULL);

		tok = sign(conf, "HS256", "r1", good);
		refused(k, &p, tok, "no key for algorithm HS256",
		    "HS256 keyed with the RSA public key refused");
		free(tok);
		cjose_jwk_release(conf);
	}
	free(pj);

	/* alg none, with and without a signature */
	{
		char *h = b64("{\"alg\":\"none\"}"), *pl = b64(good);

		snprintf(buf, sizeof(buf), "%s.%s.", h, pl);
		refused(k, &p, buf, "algorithm not accepted", "alg none refused");
		refused(hs, &p, buf, "algorithm not accepted",
		    "alg none refused by a secret key set");
		free(h);
		h = b64("{\"alg\":\"RS512\"}");
		snprintf(buf, sizeof(buf), "%s.%s.AAAA", h, pl);
		refused(k, &p, buf, "algorithm not accepted", "RS512 refused");
		free(h);
		h = b64("{\"alg\":\"RS256\",\"crit\":[\"x\"],\"x\":1}");
		snprintf(buf, sizeof(buf), "%s.%s.AAAA", h, pl);
		refused(k, &p, buf, "crit", "crit header refused");
		free(h);
		h = b64("[1]");
		snprintf(buf, sizeof(buf), "%s.%s.AAAA", h, pl);
		refused(k, &p, buf, "not a JSON object", "array header refused");
		free(h);
		free(pl);
	}

	/* claims */
	{
		static const struct {
			const char *payload, *want;
		} cl[] = {
			{ "{\"iss\":\"kp-test\",\"aud\":\"ws-fanout\"}",
			    "no exp" },
			{ "{\"iss\":\"other\",\"aud\":\"ws-fanout\","
			    "\"exp\":1700000600}", "wrong issuer" },
			{ "{\"aud\":\"ws-fanout\",\"exp\":1700000600}",
			    "wrong issuer" },
			{ "{\"iss\":\"kp-test\",\"aud\":\"web\","
			    "\"exp\":1700000600}", "wrong audience" },
			{ "{\"iss\":\"kp-test\",\"aud\":[\"web\",1],"
			    "\"exp\":1700000600}", "wrong audience" },
			{ "{\"iss\":\"kp-test\",\"aud\":\"ws-fanout\","
			    "\"exp\":\"soon\"}", "exp is not a number" },
			{ "{\"iss\":\"kp-test\",\"aud\":\"ws-fanout\","
			    "\"exp\":1700000600,\"nbf\":1700000100}",
			    "not yet valid" },
			{ "[]", "not a JSON object" },
			{ "{\"exp\":1e300,\"iss\":\"kp-test\"}",
			    "exp is not a number" },
		};
		size_t i;

		for (i = 0; i < sizeof(cl) / sizeof(cl[0]); i++) {
			tok = sign(rsa, "RS256", "r1", cl[i].payload);
			refused(k, &p, tok, cl[i].want, cl[i].want);
			free(tok);
		}
	}

	/* malformed compact forms */
	refused(k, &p, "", "empty", "empty token");
	refused(k, &p, "abc", "compact", "one part");
	refused(k, &p, "a.b.c.d", "compact", "four parts");
	refused(k, &p, "a b.c.d", "compact", "a space");
	refused(k, &p, ".x.y", "header", "empty header");
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0;
	buf[10] = buf[20] = '.';
	{
		char *big = malloc(KP_JWT_MAX + 10);

		memset(big, 'a', KP_JWT_MAX + 9);
		big[KP_JWT_MAX + 9] = 0;
		refused(k, &p, big, "longer than", "overlong token");
		free(big);
	}

	/* kid selection: the wrong kid finds no matching key */
	tok = sign(rsa, "RS256", "nope", good);
	tok2 = sign(ec, "ES256", "r1", good);
	refused(k, &p, tok, "bad signature", "unknown kid refused");
	refused(k, &p, tok2, "bad signature", "EC token with RSA kid refused");
	free(tok);
	free(tok2);

	/* JWKS checks */
	{
		struct kp_jwt_keys *k2 = kp_jwt_keys_new();
		static const char *bad[] = {
			"{}",
			"{\"keys\":[]}",
			"not json",
			"{\"keys\":[{\"kty\":\"RSA\"}]}",
			"{\"keys\":[1]}",
		};
		size_t i;
		char *j;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r = kp_jwt_keys_add_jwks(k2, bad[i], strlen(bad[i]),
			    err);
			t_ok(r == -1 && strncmp(err, "JWKS", 4) == 0,
			    "bad JWKS %zu refused (%s)", i, err);
		}
		j = cjose_jwk_to_json(rsa, false, NULL);
		j[strlen(j) - 1] = 0;
		snprintf(buf, sizeof(buf),
		    "{\"keys\":[%s,\"use\":\"enc\"}]}", j);
		r = kp_jwt_keys_add_jwks(k2, buf, strlen(buf), err);
		t_ok(r == -1 && strstr(err, "use"), "use=enc refused");
		snprintf(buf, sizeof(buf),
		    "{\"keys\":[%s,\"alg\":\"HS256\"}]}", j);
		r = kp_jwt_keys_add_jwks(k2, buf, strlen(buf), err);
		t_ok(r == -1 && strstr(err, "alg"), "RSA key with alg HS256 "
		    "refused");
		snprintf(buf, sizeof(buf),
		    "{\"keys\":[%s,\"alg\":\"RS256\"}]}", j);
		r = kp_jwt_keys_add_jwks(k2, buf, strlen(buf), err);
		T_EQ_INT(r, 1, "RSA key with alg RS256 accepted");
		T_EQ_INT(kp_jwt_keys_count(k2), 1, "one key in the set");
		r = kp_jwt_keys_add_jwks_file(k2, "/nonexistent/jwks", err);
		t_ok(r == -1 && strstr(err, "/nonexistent/jwks"),
		    "missing JWKS file named");
		free(j);
		kp_jwt_keys_free(k2);
	}

	/* exp optional policy */
	{
		struct kp_jwt_policy p2 = { .exp_optional = 1 };

		r = kp_jwt_check_claims(&p2, "{}", 2, NOW, &c, err);
		T_EQ_INT(r, 0, "no exp accepted when optional, no iss/aud");
	}

	kp_jwt_keys_free(k);
	kp_jwt_keys_free(hs);
	cjose_jwk_release(rsa);
	cjose_jwk_release(rsa2);
	cjose_jwk_release(ec);
	cjose_jwk_release(oct);
	return t_done();
}
