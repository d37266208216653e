/* intent.c: order intents (cmd/order-exec/intent.c) and order-exec's
 * token buckets, breaker and journal, from build/cmd/order-exec.a. */
/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp.h"
#include "kp_intent.h"
#include "t.h"
#include "oe.h"

static int
parse(const char *s, struct kp_intent *in, char err[KP_ERRLEN])
{
	return kp_intent_parse(s, strlen(s), in, err);
}

static void
bad(const char *s, const char *want_err, const char *name)
{
	struct kp_intent in;
	char err[KP_ERRLEN];

	t_ok(parse(s, &in, err) < 0 && strstr(err, want_err) != NULL,
	    "invalid: %s", name);
	if (strstr(err, want_err) == NULL)
		t_diag("  err '%s', want '%s'", err, want_err);
}

#define P_ "{\"id\":\"x\",\"op\":\"place\",\"exchange\":\"NSE\"," \
    "\"tradingsymbol\":\"X\",\"transaction_type\":\"BUY\",\"quantity\":1," \
    "\"product\":\"MIS\","

/* Kite's order rules of kite-connect.md 2.3: market protection, cover
 * orders, autoslice, the status op. */
static void
test_kite_rules(void)
{
	struct kp_intent in;
	char err[KP_ERRLEN];
	struct kp_buf b;

	bad(P_ "\"variety\":\"regular\",\"order_type\":\"MARKET\","
	    "\"market_protection\":0}", "market_protection: 0",
	    "market protection 0 on MARKET");
	bad(P_ "\"variety\":\"regular\",\"order_type\":\"SL-M\","
	    "\"trigger_price\":5,\"market_protection\":\"0\"}",
	    "market_protection: 0", "market protection 0 on SL-M");
	bad("{\"id\":\"x\",\"op\":\"modify\",\"variety\":\"regular\","
	    "\"order_id\":\"1\",\"order_type\":\"MARKET\","
	    "\"market_protection\":0}", "market_protection: 0",
	    "market protection 0 on a modify");
	T_EQ_INT(parse(P_ "\"variety\":\"regular\",\"order_type\":"
	    "\"MARKET\"}", &in, err), 0, "MARKET without protection parses "
	    "(order-exec adds its default)");
	t_ok(kp_intent_needs_protection(in.order_type), "MARKET needs it");
	t_ok(!kp_intent_needs_protection("LIMIT"), "LIMIT does not");
	T_EQ_INT(parse(P_ "\"variety\":\"co\",\"order_type\":\"LIMIT\","
	    "\"price\":100,\"trigger_price\":95}", &in, err), 0,
	    "cover order: LIMIT with its stop-loss trigger");
	bad(P_ "\"variety\":\"co\",\"order_type\":\"LIMIT\","
	    "\"price\":100}", "trigger_price: required (> 0) for a cover",
	    "cover order without trigger");
	bad(P_ "\"variety\":\"co\",\"order_type\":\"SL\","
	    "\"price\":100,\"trigger_price\":95}", "MARKET or LIMIT for a "
	    "cover", "cover order as SL");
	bad(P_ "\"variety\":\"regular\",\"order_type\":\"LIMIT\","
	    "\"price\":100,\"trigger_price\":95}", "only for SL and SL-M",
	    "trigger on a regular LIMIT");
	T_EQ_INT(parse(P_ "\"variety\":\"regular\",\"order_type\":"
	    "\"LIMIT\",\"price\":100,\"autoslice\":true}", &in, err), 0,
	    "autoslice true");
	T_EQ_STR(in.autoslice, "true", "autoslice kept as text");
	kp_buf_init(&b, 4096);
	kp_intent_form(&b, &in, NULL);
	kp_buf_addc(&b, 0);
	t_ok(strstr(b.p, "&autoslice=true") != NULL, "autoslice sent");
	kp_buf_free(&b);
	bad(P_ "\"variety\":\"regular\",\"order_type\":\"LIMIT\","
	    "\"price\":100,\"autoslice\":1}", "autoslice: must be one of "
	    "true false", "autoslice as a number");
	T_EQ_INT(parse("{\"id\":\"s\",\"op\":\"status\",\"order_id\":"
	    "\"1\"}", &in, err), 0, "status needs only order_id");
	T_EQ_INT(in.op, KP_OP_STATUS, "status op");
	bad("{\"id\":\"s\",\"op\":\"status\"}", "order_id: required",
	    "status without order_id");
	bad("{\"id\":\"s\",\"op\":\"status\",\"order_id\":\"1\","
	    "\"quantity\":1}", "not allowed", "quantity on status");
}

/* market_protection (kite-connect.md 2.3): -1 or a percentage 0-100,
 * decimals too (GO float64, MOCK orders.json "mktp:2.00"); 0 refused
 * for MARKET and SL-M (FORUM). */
static void
mp(const char *v, const char *want, const char *name)
{
	struct kp_intent in;
	char err[KP_ERRLEN], line[512];

	snprintf(line, sizeof(line), "{\"id\":\"x\",\"op\":\"place\","
	    "\"variety\":\"regular\",\"exchange\":\"NSE\",\"tradingsymbol\":"
	    "\"INFY\",\"transaction_type\":\"BUY\",\"quantity\":1,"
	    "\"product\":\"CNC\",\"order_type\":\"MARKET\","
	    "\"market_protection\":%s}", v);
	if (want == NULL) {
		bad(line, "market_protection", name);
		return;
	}
	t_ok(parse(line, &in, err) == 0 && strcmp(in.market_protection,
	    want) == 0, "market_protection %s", name);
	if (strcmp(in.market_protection, want) != 0)
		t_diag("  got '%s' (%s), want '%s'", in.market_protection,
		    err, want);
}

static void
test_protection(void)
{
	mp("-1", "-1", "-1");
	mp("\"-1\"", "-1", "-1 as a string");
	mp("5", "5", "5");
	mp("\"05\"", "5", "05 normalized");
	mp("100", "100", "100");
	mp("2.5", "2.5", "2.5 (a JSON real)");
	mp("\"2.50\"", "2.50", "2.50 kept as given");
	mp("\"0.25\"", "0.25", "0.25");
	mp("\"100.00\"", "100.00", "100.00");
	mp("0", NULL, "0 refused");
	mp("\"0.00\"", NULL, "0.00 refused");
	mp("0.0", NULL, "0.0 refused");
	mp("101", NULL, "101 refused");
	mp("\"100.01\"", NULL, "100.01 refused");
	mp("\"2.505\"", NULL, "three places refused");
	mp("-2", NULL, "-2 refused");
	mp("\"-1.5\"", NULL, "-1.5 refused");
	mp("\"1e1\"", NULL, "exponent refused");
	mp("true", NULL, "boolean refused");
}

static void
test_intents(void)
{
	struct kp_intent in;
	char err[KP_ERRLEN];
	struct kp_buf b;

	T_EQ_INT(parse("{\"id\":\"a1\",\"op\":\"place\",\"variety\":\"regular\","
	    "\"exchange\":\"NSE\",\"tradingsymbol\":\"M&M\","
	    "\"transaction_type\":\"BUY\",\"quantity\":5,\"product\":\"CNC\","
	    "\"order_type\":\"LIMIT\",\"price\":1573.7}", &in, err), 0,
	    "place LIMIT parses");
	T_EQ_STR(in.price, "1573.7", "price kept as exact decimal");
	T_EQ_STR(in.quantity, "5", "quantity");
	T_EQ_STR(in.validity, "DAY", "validity defaults to DAY");
	kp_buf_init(&b, 4096);
	kp_intent_form(&b, &in, "kpabc");
	kp_buf_addc(&b, 0);
	T_EQ_STR(b.p, "exchange=NSE&tradingsymbol=M%26M&transaction_type=BUY&"
	    "product=CNC&order_type=LIMIT&validity=DAY&quantity=5&"
	    "price=1573.7&tag=kpabc", "form body, & escaped, tag added");
	kp_buf_reset(&b);
	kp_intent_json(&b, &in);
	kp_buf_addc(&b, 0);
	{
		struct kp_intent in2;

		T_EQ_INT(parse(b.p, &in2, err), 0, "json round trip parses");
		t_ok(memcmp(&in, &in2, sizeof(in)) == 0, "round trip equal");
	}
	kp_buf_free(&b);
	T_EQ_INT(parse("{\"id\":\"c\",\"op\":\"cancel\",\"variety\":\"regular\","
	    "\"order_id\":\"151220000000000\"}", &in, err), 0, "cancel");
	T_EQ_INT(parse("{\"id\":\"m\",\"op\":\"modify\",\"variety\":\"regular\","
	    "\"order_id\":\"1\",\"price\":\"10.05\"}", &in, err), 0,
	    "modify with a string price");
	bad("{\"op\":\"place\"}", "id:", "no id");
	bad("{\"id\":\"a b\",\"op\":\"place\"}", "id:", "id with a space");
	bad("{\"id\":\"x\",\"op\":\"buy\"}", "op:", "bad op");
	bad("[1]", "object", "not an object");
	bad("{\"id\":", "bad JSON", "bad JSON");
	bad("{\"id\":\"x\",\"op\":\"place\",\"variety\":\"regular\","
	    "\"exchange\":\"NSE\",\"tradingsymbol\":\"X\",\"transaction_type\":"
	    "\"BUY\",\"quantiy\":1}", "quantiy: unknown", "misspelt field");
	bad("{\"id\":\"x\",\"op\":\"place\",\"variety\":\"regular\","
	    "\"exchange\":\"NSE\",\"tradingsymbol\":\"X\",\"transaction_type\":"
	    "\"BUY\",\"quantity\":0,\"product\":\"CNC\",\"order_type\":"
	    "\"MARKET\"}", "quantity:", "zero quantity");
	bad("{\"id\":\"x\",\"op\":\"place\",\"variety\":\"regular\","
	    "\"exchange\":\"NSE\",\"tradingsymbol\":\"X\",\"transaction_type\":"
	    "\"BUY\",\"quantity\":1,\"product\":\"CNC\",\"order_type\":"
	    "\"LIMIT\"}", "price: required", "LIMIT without price");
	bad("{\"id\":\"x\",\"op\":\"place\",\"variety\":\"regular\","
	    "\"exchange\":\"NSE\",\"tradingsymbol\":\"X\",\"transaction_type\":"
	    "\"BUY\",\"quantity\":1,\"product\":\"CNC\",\"order_type\":"
	    "\"SL\",\"price\":1}", "trigger_price", "SL without trigger");
	bad("{\"id\":\"x\",\"op\":\"place\",\"variety\":\"regular\","
	    "\"exchange\":\"NSE\",\"tradingsymbol\":\"X\",\"transaction_type\":"
	    "\"BUY\",\"quantity\":1,\"product\":\"CNC\",\"order_type\":"
	    "\"LIMIT\",\"price\":-1}", "price:", "negative price");
	bad("{\"id\":\"x\",\"op\":\"place\",\"variety\":\"regular\","
	    "\"exchange\":\"NSE\",\"tradingsymbol\":\"X\",\"transaction_type\":"
	    "\"BUY\",\"quantity\":1,\"product\":\"CNC\",\"order_type\":"
	    "\"MARKET\",\"validity\":\"TTL\"}", "validity_ttl", "TTL w/o ttl");
	bad("{\"id\":\"x\",\"op\":\"place\",\"tag\":\"t\"}", "tag:",
	    "tag is ours");
	bad("{\"id\":\"x\",\"op\":\"cancel\",\"variety\":\"regular\"}",
	    "order_id: required", "cancel without order_id");
	bad("{\"id\":\"x\",\"op\":\"cancel\",\"variety\":\"regular\","
	    "\"order_id\":\"1\",\"quantity\":2}", "not allowed",
	    "quantity on cancel");
	bad("{\"id\":\"x\",\"id\":\"y\",\"op\":\"cancel\"}", "bad JSON",
	    "duplicate keys");
	bad("{\"id\":\"x\",\"op\":\"modify\",\"variety\":\"regular\","
	    "\"order_id\":\"1\"}", "nothing to change", "empty modify");
	test_kite_rules();
	test_protection();
}

static void
test_tags(void)
{
	char t1[KP_INTENT_TAG_MAX + 1], t2[KP_INTENT_TAG_MAX + 1];
	size_t i;
	int ok = 1;

	kp_intent_tag("order-1", 0, t1);
	kp_intent_tag("order-1", 0, t2);
	T_EQ_STR(t1, t2, "tag is deterministic");
	T_EQ_INT(strlen(t1), 15, "tag is 15 characters");
	for (i = 0; t1[i]; i++)
		if (!((t1[i] >= '0' && t1[i] <= '9') ||
		    (t1[i] >= 'a' && t1[i] <= 'z')))
			ok = 0;
	t_ok(ok, "tag is alphanumeric");
	kp_intent_tag("order-2", 0, t2);
	t_ok(strcmp(t1, t2) != 0, "near ids, different tags");
	kp_intent_tag("order-1", 1, t2);
	t_ok(strcmp(t1, t2) != 0, "salt changes the tag");
}

static void
test_limits(void)
{
	struct oe_limits l;
	int i, n = 0;

	oe_limits_init(&l, 10, 400, 5000);
	for (i = 0; i < 20; i++)
		if (oe_limits_wait(&l, 1000 + i) == 0) {
			oe_limits_take(&l, 1000 + i);
			n++;
		}
	T_EQ_INT(n, 10, "10 requests in the first second");
	T_EQ_INT(oe_limits_wait(&l, 1500), 500, "the 11th waits for the "
	    "first to leave the window");
	T_EQ_INT(oe_limits_wait(&l, 2000), 0, "and then goes");
	oe_limits_take(&l, 2000);
	T_EQ_INT(oe_limits_wait(&l, 2000), 1, "the 12th: one more ms");
	oe_limits_free(&l);
	oe_limits_init(&l, 1000, 5, 0);
	for (i = 0; i < 5; i++)
		oe_limits_take(&l, 0);
	T_EQ_INT(oe_limits_wait(&l, 0), 60000, "per-minute window binds");
	T_EQ_INT(oe_limits_wait(&l, 59999), 1, "until a minute has passed");
	oe_limits_free(&l);
	oe_limits_init(&l, 10, 0, 0);
	oe_limits_drain(&l, 0);
	T_EQ_INT(oe_limits_wait(&l, 0), 1000, "a 429 pauses a second");
	oe_limits_free(&l);
	oe_limits_init(&l, 0, 0, 0);
	T_EQ_INT(oe_limits_wait(&l, 0), 0, "no limits");
	oe_limits_take(&l, 0);
	oe_limits_drain(&l, 0);
	T_EQ_INT(oe_limits_wait(&l, 0), 0, "still none");
}

static void
test_breaker(void)
{
	struct oe_breaker b;

	oe_breaker_init(&b, 3, 1000);
	oe_breaker_failure(&b, 0);
	oe_breaker_failure(&b, 0);
	T_EQ_INT(oe_breaker_state(&b, 0), OE_BR_CLOSED, "2 failures: closed");
	oe_breaker_success(&b);
	oe_breaker_failure(&b, 0);
	oe_breaker_failure(&b, 0);
	T_EQ_INT(oe_breaker_state(&b, 0), OE_BR_CLOSED, "success resets");
	T_EQ_INT(oe_breaker_failure(&b, 10), 1, "third failure opens");
	T_EQ_INT(oe_breaker_allow(&b, 500), 0, "open: nothing goes");
	T_EQ_INT(oe_breaker_wait(&b, 500), 510, "wait till cooldown");
	T_EQ_INT(oe_breaker_allow(&b, 1010), 1, "half-open: a probe");
	T_EQ_INT(oe_breaker_allow(&b, 1010), 0, "only one probe");
	T_EQ_INT(oe_breaker_failure(&b, 1020), 1, "probe fails: open again");
	T_EQ_INT(oe_breaker_state(&b, 1500), OE_BR_OPEN, "open");
	T_EQ_INT(oe_breaker_allow(&b, 2020), 1, "probe again");
	oe_breaker_success(&b);
	T_EQ_INT(oe_breaker_state(&b, 2020), OE_BR_CLOSED, "probe ok: closed");
	T_EQ_INT(b.opened, 2, "opened twice");
}

static int
count_rec(void *arg, uint64_t lineno, const char *json, size_t len)
{
	(void)lineno;
	(void)json;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

static void
test_journal(void)
{
	char path[] = "/tmp/kp-journal-XXXXXX", err[KP_ERRLEN];
	struct oe_journal j;
	uint64_t cut;
	int fd, n = 0;

	fd = mkstemp(path);
	close(fd);
	T_EQ_INT(oe_journal_open(&j, path, 1, 0, count_rec, &n, &cut, err), 0,
	    "open empty journal");
	T_EQ_INT(oe_journal_append(&j, "{\"t\":1}", 7), 0, "append 1");
	T_EQ_INT(oe_journal_append(&j, "{\"t\":2}", 7), 0, "append 2");
	T_EQ_INT(oe_journal_append(&j, "{\"t\n\"}", 6), -1, "no newlines");
	oe_journal_close(&j);
	fd = open(path, O_WRONLY | O_APPEND);
	T_EQ_INT(write(fd, "1234abcd {\"t\":", 14), 14, "torn tail");
	close(fd);
	T_EQ_INT(oe_journal_open(&j, path, 1, 0, count_rec, &n, &cut, err), 0,
	    "reopen with a torn tail");
	T_EQ_INT(n, 2, "two records replayed");
	T_EQ_INT(cut, 14, "torn tail cut");
	oe_journal_append(&j, "{\"t\":3}", 7);
	oe_journal_close(&j);
	/* corrupt the first record: the whole journal is refused */
	fd = open(path, O_WRONLY);
	T_EQ_INT(pwrite(fd, "ffffffff", 8, 0), 8, "corrupt record 1");
	close(fd);
	n = 0;
	T_EQ_INT(oe_journal_open(&j, path, 1, 0, count_rec, &n, &cut, err),
	    -1, "a bad record mid-file is an error");
	t_ok(strstr(err, ":1:") != NULL, "error names line 1: %s", err);
	unlink(path);
}

int
main(void)
{
	test_intents();
	test_tags();
	test_limits();
	test_breaker();
	test_journal();
	return t_done();
}
