/* tmpl.c: the top-level member scanner, unescaping, templates. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp_redis.h"
#include "t.h"

static struct kp_jfields tab;
static struct kp_jval v[KP_JFIELDS_MAX];
static char err[KP_ERRLEN];

static int
scan(const char *line)
{
	err[0] = '\0';
	return kp_jscan(line, strlen(line), &tab, v, err);
}

/* Field i's value as text ("" when absent). */
static const char *
val(int i)
{
	static char buf[256];

	if (v[i].type == KP_J_ABSENT)
		return "";
	memcpy(buf, v[i].p, v[i].len);
	buf[v[i].len] = '\0';
	return buf;
}

static void
test_scan(void)
{
	int tok, name, type, deep;

	kp_jfields_init(&tab);
	tok = kp_jfields_add(&tab, "instrument_token", 16);
	name = kp_jfields_add(&tab, "name", 4);
	type = kp_jfields_add(&tab, "type", 4);
	deep = kp_jfields_add(&tab, "depth", 5);
	T_EQ_INT(kp_jfields_add(&tab, "name", 4), name, "add finds a name");
	T_EQ_INT(kp_jfields_add(&tab, "", 0), -1, "empty name refused");

	T_EQ_INT(scan("{\"type\":\"tick\",\"instrument_token\":408065,"
	    "\"ohlc\":{\"name\":\"x\"},\"depth\":{\"buy\":[1,{}]}}"), 0,
	    "a tick");
	T_EQ_INT(v[tok].type, KP_J_NUMBER, "token is a number");
	T_EQ_STR(val(tok), "408065", "token text");
	T_EQ_INT(v[type].type, KP_J_STRING, "type is a string");
	T_EQ_STR(val(type), "tick", "type contents, no quotes");
	T_EQ_INT(v[name].type, KP_J_ABSENT, "nested name is not top-level");
	T_EQ_INT(v[deep].type, KP_J_OBJECT, "depth is an object");
	T_EQ_STR(val(deep), "{\"buy\":[1,{}]}", "object text");

	T_EQ_INT(scan(" { \"name\" : \"a\\\"b\" , \"name\" : \"NIFTY\" ,"
	    "\"type\":null, \"x\":[true,false,-1.5e+3] } "), 0, "spaces");
	T_EQ_STR(val(name), "NIFTY", "the last repeated key counts");
	T_EQ_INT(v[type].type, KP_J_NULL, "null");
	T_EQ_INT(v[tok].type, KP_J_ABSENT, "absent");
	T_EQ_INT(scan("{}"), 0, "empty object");
	T_EQ_INT(scan("{\"na\\u006de\":1}"), 0, "escaped key");
	T_EQ_INT(v[name].type, KP_J_NUMBER,
	    "an escaped key matches, decoded (as jansson sees it)");
}

static int strict(const char *line);

/* line is refused with an error holding want: by kp_jscan_strict when
 * strict_scan is set, else by kp_jscan */
static int strict_scan;

static void
bad(const char *line, const char *want)
{
	int r = strict_scan ? strict(line) : scan(line);

	t_ok(r == -1 && strstr(err, want) != NULL, "%s: %s",
	    strict_scan ? "strict bad" : "bad", line);
	if (r != -1 || strstr(err, want) == NULL)
		t_diag("  err '%s', want '%s'", err, want);
}

static void
test_bad(void)
{
	char deep[200];
	size_t i;

	bad("", "byte 1: empty line");
	bad("[1]", "byte 1: not a JSON object");
	bad("{\"a\":1", "byte 7: expected ',' or '}'");
	bad("{\"a\" 1}", "byte 6: expected ':'");
	bad("{\"a\":1,}", "byte 8: expected a key");
	bad("{a:1}", "byte 2: expected a key");
	bad("{\"a\":01}", "byte 6: bad number");
	bad("{\"a\":1.}", "bad number");
	bad("{\"a\":-}", "bad number");
	bad("{\"a\":1e}", "bad number");
	bad("{\"a\":tru}", "unexpected character");
	bad("{\"a\":\"x}", "unterminated string");
	bad("{\"a\":\"\\x\"}", "bad escape");
	bad("{\"a\":\"\\u12g4\"}", "bad \\u escape");
	bad("{\"a\":\"\t\"}", "control character");
	bad("{\"a\":[1 2]}", "expected ',' or ']'");
	bad("{\"a\":1} x", "byte 9: data after the object");
	bad("{} x", "data after the object");
	for (i = 0; i < 150; i++)
		deep[i] = '[';
	deep[i] = '\0';
	memcpy(deep, "{\"a\":", 5);
	bad(deep, "nested too deep");
}

static void
test_quick(void)
{
	int tok, type;

	kp_jfields_init(&tab);
	type = kp_jfields_add(&tab, "type", 4);
	tok = kp_jfields_add(&tab, "instrument_token", 16);
	T_EQ_INT(kp_jscan_quick("{\"type\":\"tick\",\"instrument_token\":5,"
	    "\"x\":[1 2]}", 46, &tab, v, err), 0,
	    "quick: damage after the wanted members passes");
	T_EQ_STR(val(tok), "5", "quick: token");
	T_EQ_STR(val(type), "tick", "quick: type");
	T_EQ_INT(kp_jscan("{\"type\":\"tick\",\"instrument_token\":5,"
	    "\"x\":[1 2]}", 46, &tab, v, err), -1, "strict: refused");
	T_EQ_INT(kp_jscan_quick("{\"type\":\"tick\",\"instrument_token\":5,"
	    "\"x\":[", 40, &tab, v, err), -1, "quick: a cut line is refused");
	t_ok(strstr(err, "expected '}' at the end") != NULL, "quick: %s", err);
	T_EQ_INT(kp_jscan_quick("{\"type\":\"tick\",\"x\":[1 2]}", 26, &tab, v,
	    err), -1, "quick: damage before a wanted member is refused");
	T_EQ_INT(kp_jscan_quick("{\"type\":\"x\"} \r\n", 15, &tab, v, err), 0,
	    "quick: a member absent means a full scan");
	T_EQ_INT(v[tok].type, KP_J_ABSENT, "quick: absent");
}

/* kp_jscan_strict over a NUL-terminated line */
static int
strict(const char *line)
{
	err[0] = '\0';
	return kp_jscan_strict(line, strlen(line), &tab, v, err);
}

static void
strict_ok(const char *line)
{
	int r = strict(line);

	t_ok(r == 0, "strict ok: %s", line);
	if (r != 0)
		t_diag("  err '%s'", err);
}

static void
test_strict(void)
{
	int tok;

	kp_jfields_init(&tab);
	tok = kp_jfields_add(&tab, "instrument_token", 16);
	strict_scan = 1;
	strict_ok("{\"instrument_token\":5,\"name\":\"caf\xc3\xa9 \xe2\x82\xac"
	    "\xf0\x9f\x98\x80\"}");
	T_EQ_STR(val(tok), "5", "strict: values found");
	bad("{\"a\":\"\xff\"}", "byte 7: not UTF-8: a byte that is never");
	bad("{\"a\":\"\xc0\xaf\"}", "byte 7: not UTF-8: an overlong");
	bad("{\"a\":\"\xed\xa0\x80\"}", "not UTF-8: a surrogate");
	bad("{\"a\":\"\xe2\x82\"}", "byte 9: not UTF-8: a sequence cut");
	bad("{\"a\":1}\xc3", "byte 8: not UTF-8: a sequence cut short "
	    "by the end");
	bad("{\"\x80\":1}", "byte 3: not UTF-8: a continuation byte");

	bad("{\"a\":1e999}", "byte 6: number out of range");
	bad("{\"a\":-1e999}", "byte 6: number out of range");
	bad("{\"a\":[1,{\"b\":-1E+309}]}", "byte 14: number out of range");
	bad("{\"a\":1e99999999999999999999999999}", "out of range");
	bad("{\"a\":0.000001e315}", "out of range");
	bad("{\"instrument_token\":1e400,\"b\":1}", "out of range");
	/* 2^1024 - 2^970: the halfway point above DBL_MAX rounds up */
	bad("{\"a\":1.7976931348623158079934132710037826936e308}",
	    "out of range");
	bad("{\"a\":179769313486231580800000000000000000000e270}",
	    "out of range");
	strict_ok("{\"a\":1.7976931348623158079e308}");
	strict_ok("{\"a\":-1.7976931348623157e308 }");
	strict_ok("{\"a\":[1e308]}");
	strict_ok("{\"a\":1e-999,\"b\":-1e-400,\"c\":4.9e-324,\"d\":0e99999}");
	strict_ok("{\"a\":0.0000000000e400,\"b\":0.001e310,\"c\":12e306}");
	strict_ok("{\"a\":100000000000000000000000000000000000000000000}");

	bad("{\"a\":1} x", "byte 9: data after the object");
	bad("{\"a\":1}{}", "byte 8: data after the object");
	bad("{} {}", "byte 4: data after the object");
	strict_ok("{\"a\":1} \r");
	bad("{\"a\":1e999", "byte 6: number out of range");
	T_EQ_INT(kp_jscan_strict("{\"a\":1e999}", 11, &tab, v, err), -1,
	    "strict: a cut number at the end");
	T_EQ_INT(scan("{\"a\":1e999,\"b\":\"\xff\"}"), 0,
	    "kp_jscan checks neither");
	strict_scan = 0;
}

static void
unesc(const char *in, const char *want)
{
	char out[64];
	long n = kp_json_unescape(in, strlen(in), out, sizeof out - 1);

	out[n < 0 ? 0 : n] = '\0';
	T_EQ_STR(out, want, in);
}

static void
test_unescape(void)
{
	char out[4];

	unesc("a\\\"b\\\\c\\/d", "a\"b\\c/d");
	unesc("\\n\\t\\r\\b\\f", "\n\t\r\b\f");
	unesc("\\u00e9\\u20AC", "\xc3\xa9\xe2\x82\xac");
	unesc("\\ud83d\\ude00", "\xf0\x9f\x98\x80");
	unesc("\\ud83dx", "\xef\xbf\xbdx");
	unesc("\\ude00", "\xef\xbf\xbd");
	T_EQ_INT(kp_json_unescape("abcd", 4, out, 3), -1, "too long: -1");
	T_EQ_INT(kp_json_unescape("\\u20ac", 6, out, 2), -1,
	    "multibyte too long: -1");
}

/* Render src over line; "" with *ret set on failure. */
static const char *
render(const char *src, const char *line, long *ret, const char **field)
{
	static char out[KP_TMPL_OUT_MAX + 1];
	struct kp_tmpl *tp;
	long n;

	kp_jfields_init(&tab);
	tp = kp_tmpl_compile(src, &tab, err);
	if (tp == NULL) {
		t_diag("compile %s: %s", src, err);
		*ret = -100;
		return "";
	}
	if (scan(line) < 0) {
		*ret = -200;
		kp_tmpl_free(tp);
		return "";
	}
	n = kp_tmpl_render(tp, v, out, 40, field);
	*ret = n;
	out[n < 0 ? 0 : n] = '\0';
	kp_tmpl_free(tp);
	return out;
}

static void
test_render(void)
{
	const char *f = NULL, *tick = "{\"type\":\"tick\",\"instrument_token\":"
	    "408065,\"name\":\"Nifty\\u0020Bank\",\"tradable\":true,"
	    "\"ohlc\":{},\"oi\":null}";
	long r;

	T_EQ_STR(render("ticks:{instrument_token}", tick, &r, &f),
	    "ticks:408065", "the default template");
	T_EQ_STR(render("ticker:{name|lower}:options", tick, &r, &f),
	    "ticker:nifty bank:options", "|lower, escapes decoded");
	T_EQ_STR(render("{name|upper}-{type}/{tradable}", tick, &r, &f),
	    "NIFTY BANK-tick/true", "|upper, two fields, true");
	T_EQ_STR(render("{{x}}:{type}", tick, &r, &f), "{x}:tick",
	    "{{ and }} are literal braces");
	T_EQ_STR(render("plain", tick, &r, &f), "plain", "no field");
	render("t:{nope}", tick, &r, &f);
	T_EQ_INT(r, KP_TMPL_MISSING, "absent: missing");
	T_EQ_STR(f, "nope", "names the field");
	render("t:{oi}", tick, &r, &f);
	T_EQ_INT(r, KP_TMPL_MISSING, "null: missing");
	render("t:{ohlc}", tick, &r, &f);
	T_EQ_INT(r, KP_TMPL_NOT_SCALAR, "object: not a scalar");
	T_EQ_STR(f, "ohlc", "names the object");
	render("0123456789012345678901234567890123456789{type}", tick, &r,
	    &f);
	T_EQ_INT(r, KP_TMPL_TOO_LONG, "past cap: too long");
	render("0123456789012345678901234567890123456789x", tick, &r, &f);
	T_EQ_INT(r, KP_TMPL_TOO_LONG, "literal past cap: too long");
}

static void
bad_tmpl(const char *src, const char *want)
{
	struct kp_tmpl *tp;

	kp_jfields_init(&tab);
	err[0] = '\0';
	tp = kp_tmpl_compile(src, &tab, err);
	t_ok(tp == NULL && strstr(err, want) != NULL, "bad template %s", src);
	if (tp != NULL || strstr(err, want) == NULL)
		t_diag("  err '%s', want '%s'", err, want);
	kp_tmpl_free(tp);
}

static void
test_compile(void)
{
	struct kp_tmpl *a, *b;
	char src[16];
	int i;

	bad_tmpl("", "empty template");
	bad_tmpl("a{", "expected a field name at byte 3");
	bad_tmpl("a{}", "expected a field name");
	bad_tmpl("a{b", "expected '}'");
	bad_tmpl("a{b c}", "expected '}'");
	bad_tmpl("a{b|shout}", "unknown modifier");
	bad_tmpl("a}b", "lone '}'");
	kp_jfields_init(&tab);
	a = kp_tmpl_compile("x:{instrument_token}", &tab, err);
	b = kp_tmpl_compile("{type}:{instrument_token|lower}", &tab, err);
	t_ok(a != NULL && b != NULL, "two templates share a table");
	T_EQ_INT(tab.n, 2, "fields counted once");
	T_EQ_STR(kp_tmpl_source(b), "{type}:{instrument_token|lower}",
	    "source kept");
	T_EQ_INT(kp_tmpl_is_literal(a), 0, "a has fields");
	kp_tmpl_free(a);
	kp_tmpl_free(b);
	a = kp_tmpl_compile("a{{b}}", &tab, err);
	T_EQ_INT(a != NULL && kp_tmpl_is_literal(a), 1, "literal template");
	kp_tmpl_free(a);
	kp_jfields_init(&tab);
	for (i = 0; i < KP_JFIELDS_MAX; i++) {
		snprintf(src, sizeof src, "{f%d}", i);
		kp_tmpl_free(kp_tmpl_compile(src, &tab, err));
	}
	T_EQ_INT(tab.n, KP_JFIELDS_MAX, "table full");
	a = kp_tmpl_compile("{another}", &tab, err);
	t_ok(a == NULL && strstr(err, "too many") != NULL,
	    "one field too many: %s", err);
}

int
main(void)
{
	test_scan();
	test_bad();
	test_quick();
	test_strict();
	test_unescape();
	test_render();
	test_compile();
	return t_done();
}
