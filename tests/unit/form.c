/* form.c: x-www-form-urlencoded decoding: escapes, edges and garbage. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp.h"
#include "kp_form.h"
#include "t.h"

static int
parse(struct kp_form *f, const char *s)
{
	char err[128] = "";

	return kp_form_parse(f, s, strlen(s), err, sizeof(err));
}

static void
test_basic(void)
{
	struct kp_form f;

	T_EQ_INT(parse(&f, "a=1&b=two+words&c=%41%2b%26%3D"), 0, "parses");
	T_EQ_INT(f.n, 3, "three pairs");
	T_EQ_STR(kp_form_get(&f, "a"), "1", "plain value");
	T_EQ_STR(kp_form_get(&f, "b"), "two words", "'+' is a space");
	T_EQ_STR(kp_form_get(&f, "c"), "A+&=", "%-escapes, either case");
	t_ok(kp_form_get(&f, "d") == NULL, "absent key is NULL");
	kp_form_free(&f);

	T_EQ_INT(parse(&f, ""), 0, "empty input");
	T_EQ_INT(f.n, 0, "no pairs");
	kp_form_free(&f);

	T_EQ_INT(parse(&f, "&&a=&b&&c=x=y&"), 0, "empty segments skipped");
	T_EQ_INT(f.n, 3, "three pairs");
	T_EQ_STR(kp_form_get(&f, "a"), "", "empty value");
	T_EQ_STR(kp_form_get(&f, "b"), "", "bare key: empty value");
	T_EQ_STR(kp_form_get(&f, "c"), "x=y", "'=' inside the value kept");
	kp_form_free(&f);

	T_EQ_INT(parse(&f, "i=NSE%3AINFY&i=NSE%3ANIFTY+50&x=1"), 0,
	    "repeated key");
	T_EQ_INT(kp_form_count(&f, "i"), 2, "counted twice");
	T_EQ_STR(kp_form_get(&f, "i"), "NSE:INFY", "first one wins");
	T_EQ_STR(f.pair[1].val, "NSE:NIFTY 50", "second one in order");
	kp_form_free(&f);

	/* no NUL needed: only len bytes are read */
	{
		char err[64];

		T_EQ_INT(kp_form_parse(&f, "a=12345", 3, err, sizeof(err)), 0,
		    "bounded by len");
		T_EQ_STR(kp_form_get(&f, "a"), "1", "value cut at len");
		kp_form_free(&f);
	}
}

static void
test_bad(void)
{
	static const char *const bad[] = {
		"a=%", "a=%4", "a=%zz", "a=%4g", "%=1", "=1", "a=1&=2",
		"a=%00", "%00=1", "a=b%", NULL,
	};
	struct kp_form f;
	char err[128];
	size_t i;

	for (i = 0; bad[i]; i++) {
		err[0] = '\0';
		T_EQ_INT(kp_form_parse(&f, bad[i], strlen(bad[i]), err,
		    sizeof(err)), -1, bad[i]);
		t_ok(err[0] != '\0', "reason given for %s (%s)", bad[i], err);
		kp_form_free(&f);
	}
}

static void
test_bounds(void)
{
	struct kp_form f;
	struct kp_buf b;
	char err[128];
	int i;

	kp_buf_init(&b, 1u << 20);
	for (i = 0; i < KP_FORM_MAX_PAIRS; i++)
		kp_buf_addstr(&b, i ? "&k=v" : "k=v");
	T_EQ_INT(kp_form_parse(&f, b.p, b.len, err, sizeof(err)), 0,
	    "the maximum number of pairs");
	T_EQ_INT(f.n, KP_FORM_MAX_PAIRS, "all kept");
	kp_form_free(&f);
	kp_buf_addstr(&b, "&k=v");
	T_EQ_INT(kp_form_parse(&f, b.p, b.len, err, sizeof(err)), -1,
	    "one pair too many");
	kp_form_free(&f);
	kp_buf_reset(&b);
	kp_buf_addstr(&b, "a=");
	while (b.len <= KP_FORM_MAX_LEN)
		kp_buf_addstr(&b, "xxxxxxxxxxxxxxxx");
	T_EQ_INT(kp_form_parse(&f, b.p, b.len, err, sizeof(err)), -1,
	    "input too long");
	kp_form_free(&f);
	kp_form_free(&f);
	t_ok(1, "kp_form_free twice is safe");
	kp_buf_free(&b);
}

int
main(void)
{
	test_basic();
	test_bad();
	test_bounds();
	return t_done();
}
