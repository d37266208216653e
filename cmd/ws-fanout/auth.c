/*
 * auth.c: who may connect.  The JWT comes from "Authorization: Bearer",
 * from a subprotocol "bearer.TOKEN" offered beside "kitepipe" (lws 4.1
 * caps the whole list at 127 bytes, so only short tokens fit), from the
 * cookie kp_token (what the page uses: browsers cannot set headers), or
 * from "?token=" (weaker: URLs end up in logs and histories).
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "wf.h"

int
wf_auth_load(struct wf *w, char err[KP_ERRLEN])
{
	struct kp_jwt_keys *k;
	char *secret;

	if (w->o->insecure)
		return 0;
	k = kp_jwt_keys_new();
	if (k == NULL) {
		snprintf(err, KP_ERRLEN, "out of memory");
		return -1;
	}
	if (w->o->jwks_path != NULL &&
	    kp_jwt_keys_add_jwks_file(k, w->o->jwks_path, err) < 0)
		goto fail;
	if (w->o->secret_path != NULL) {
		secret = kp_conf_secret_file(w->o->secret_path, err);
		if (secret == NULL)
			goto fail;
		if (kp_jwt_keys_add_secret(k, secret, strlen(secret), NULL,
		    err) < 0) {
			char e2[KP_ERRLEN];

			snprintf(e2, sizeof(e2), "%s: %s", w->o->secret_path,
			    err);
			memcpy(err, e2, KP_ERRLEN);
			free(secret);
			goto fail;
		}
		free(secret);
	}
	if (kp_jwt_keys_count(k) == 0) {
		snprintf(err, KP_ERRLEN, "no JWT keys configured");
		goto fail;
	}
	kp_jwt_keys_free(w->keys);
	w->keys = k;
	return 0;
fail:
	kp_jwt_keys_free(k);
	return -1;
}

/* The "bearer.TOKEN" element of a Sec-WebSocket-Protocol list. */
static int
token_from_protocols(char *list, char **tok)
{
	char *save = NULL, *e;

	for (e = strtok_r(list, ", ", &save); e != NULL;
	    e = strtok_r(NULL, ", ", &save)) {
		if (strncmp(e, "bearer.", 7) == 0) {
			*tok = e + 7;
			return 1;
		}
	}
	return 0;
}

/*
 * Return 0 (sub filled) when the upgrade request carries a valid token,
 * else -1 (logged with the reason, never the token).
 */
int
wf_auth_check(struct wf *w, struct lws *wsi, char sub[KP_JWT_SUB_MAX])
{
	static char buf[KP_JWT_MAX + 64];
	struct kp_jwt_claims cl;
	char err[KP_ERRLEN], ip[64] = "?";
	const char *from = NULL;
	char *tok = NULL;
	int n;

	sub[0] = 0;
	if (w->o->insecure)
		return 0;
	wf_peer(wsi, ip, sizeof(ip));
	n = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 7 && strncasecmp(buf, "Bearer ", 7) == 0) {
		tok = buf + 7;
		from = "Authorization header";
	}
	if (tok == NULL && lws_hdr_copy(wsi, buf, sizeof(buf),
	    WSI_TOKEN_PROTOCOL) > 0 && token_from_protocols(buf, &tok))
		from = "subprotocol";
	if (tok == NULL) {
		size_t max = sizeof(buf);

		if (lws_http_cookie_get(wsi, "kp_token", buf, &max) == 0 &&
		    max > 0) {
			tok = buf;
			from = "cookie";
		}
	}
	if (tok == NULL) {
		const char *v = lws_get_urlarg_by_name(wsi, "token=", buf,
		    sizeof(buf));

		if (v != NULL) {
			tok = (char *)(uintptr_t)v;
			from = "query string";
		}
	}
	if (tok == NULL) {
		w->st.auth_refused++;
		kp_warn("refused a connection from %s: no token", ip);
		return -1;
	}
	while (*tok == ' ')
		tok++;
	if (kp_jwt_verify(w->keys, &w->pol, tok, strlen(tok),
	    (int64_t)time(NULL), &cl, err) < 0) {
		w->st.auth_refused++;
		kp_warn("refused a connection from %s: %s (token from %s)",
		    ip, err, from);
		return -1;
	}
	w->st.auth_ok++;
	snprintf(sub, KP_JWT_SUB_MAX, "%s", cl.sub);
	kp_debug("authenticated %s from %s (%s, %s)", cl.sub, ip, cl.alg,
	    from);
	return 0;
}
