/* tkreq.c: the ticker request parser on Kite's documented messages. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp_tkreq.h"
#include "t.h"

static int
parse(const char *s, struct kp_tkreq *r, char err[KP_ERRLEN])
{
	err[0] = '\0';
	return kp_tkreq_parse(s, strlen(s), r, err);
}

int
main(void)
{
	struct kp_tkreq r;
	char err[KP_ERRLEN];

	T_EQ_INT(parse("{\"a\":\"subscribe\",\"v\":[408065,884737]}", &r,
	    err), 0, "subscribe parses");
	T_EQ_INT(r.action, KP_TKREQ_SUBSCRIBE, "subscribe action");
	T_EQ_INT((int)r.n, 2, "two tokens");
	T_EQ_INT((long long)r.tokens[1], 884737, "second token");
	kp_tkreq_free(&r);

	T_EQ_INT(parse("{\"a\":\"mode\",\"v\":[\"full\",[408065]]}", &r, err),
	    0, "mode parses");
	T_EQ_INT(r.action, KP_TKREQ_MODE, "mode action");
	T_EQ_INT(r.mode, KP_TKREQ_FULL, "mode full");
	T_EQ_INT((long long)r.tokens[0], 408065, "mode token");
	kp_tkreq_free(&r);

	T_EQ_INT(parse("{\"a\":\"unsubscribe\",\"v\":[]}", &r, err), 0,
	    "empty unsubscribe is valid");
	T_EQ_INT((int)r.n, 0, "no tokens");
	kp_tkreq_free(&r);

	T_EQ_INT(parse("{\"a\":\"subscribe\",\"v\":[-1,1.5,\"x\",4294967296,"
	    "4294967295]}", &r, err), 0, "bad values are skipped");
	T_EQ_INT((int)r.bad, 4, "four bad values");
	T_EQ_INT((int)r.n, 1, "one good token");
	T_EQ_INT((long long)r.tokens[0], 4294967295LL, "uint32 max");
	kp_tkreq_free(&r);

	T_EQ_INT(parse("{\"a\":\"mode\",\"v\":[\"fast\",[1]]}", &r, err), -1,
	    "unknown mode");
	t_ok(strstr(err, "mode") != NULL, "error names mode: %s", err);
	T_EQ_INT(parse("{\"a\":\"buy\",\"v\":[1]}", &r, err), -1,
	    "unknown action");
	t_ok(strstr(err, "'buy'") != NULL, "error names the action: %s", err);
	T_EQ_INT(parse("{\"a\":", &r, err), -1, "truncated JSON");
	t_ok(strstr(err, "not JSON") != NULL, "error says not JSON: %s", err);
	T_EQ_INT(parse("{\"a\":\"subscribe\",\"v\":7}", &r, err), -1,
	    "v not an array");
	T_EQ_INT(parse("[1,2]", &r, err), -1, "not an object");
	return t_done();
}
