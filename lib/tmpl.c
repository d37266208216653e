/*
 * tmpl.c: channel templates ("ticks:{instrument_token}") and the one-pass
 * scanner of a line's top-level JSON members that fills them.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_redis.h"
#include "kp_utf8.h"

/* kp_jfields -------------------------------------------------------- */

void
kp_jfields_init(struct kp_jfields *t)
{
	t->n = 0;
}

int
kp_jfields_add(struct kp_jfields *t, const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > KP_JFIELD_NAME_MAX)
		return -1;
	for (i = 0; i < t->n; i++)
		if (t->f[i].len == len && memcmp(t->f[i].name, name, len) == 0)
			return (int)i;
	if (t->n == KP_JFIELDS_MAX)
		return -1;
	memcpy(t->f[t->n].name, name, len);
	t->f[t->n].name[len] = '\0';
	t->f[t->n].len = len;
	return (int)t->n++;
}

/* kp_jscan ---------------------------------------------------------- */

struct scan {
	const char *s;		/* start of the line */
	const char *end;
	const char *why;	/* what went wrong */
	const char *at;		/* and where */
	int strict;		/* numbers must fit a double */
};

static int
scan_fail(struct scan *sc, const char *at, const char *why)
{
	sc->at = at;
	sc->why = why;
	return -1;
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * A string whose opening quote is at *pp: leave *pp past the closing
 * quote, set *esc when it holds escapes.
 */
static int
scan_string(struct scan *sc, const char **pp, int *esc)
{
	const char *p = *pp + 1, *end = sc->end;
	unsigned char c;

	*esc = 0;
	for (;;) {
		while (p < end && (c = (unsigned char)*p) != '"' &&
		    c != '\\' && c >= 0x20)
			p++;
		if (p >= end)
			return scan_fail(sc, *pp, "unterminated string");
		c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20)
			return scan_fail(sc, p, "control character in string");
		*esc = 1;
		if (p + 1 >= end)
			return scan_fail(sc, p, "unterminated string");
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			p += 2;
			break;
		case 'u':
			if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) ||
			    !is_hex(p[4]) || !is_hex(p[5]))
				return scan_fail(sc, p, "bad \\u escape");
			p += 6;
			break;
		default:
			return scan_fail(sc, p, "bad escape");
		}
	}
	*pp = p + 1;
	return 0;
}

static const char *
skip_digits(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/*
 * The decimal exponent of the first significant digit of a number that
 * scan_number accepted (int digits i[0..ni), fraction f[0..nf), exponent
 * e[0..ne) with its sign), clamped far outside a double's range; *zero
 * set when every digit is 0.
 */
static long
num_order(const char *i, size_t ni, const char *f, size_t nf, const char *e,
    size_t ne, int *zero)
{
	long order, x = 0;
	size_t k;
	int neg = 0;

	*zero = 0;
	for (k = 0; k < ni && i[k] == '0'; k++)
		;
	if (k < ni) {
		order = (long)(ni - k) - 1;
	} else {
		for (k = 0; k < nf && f[k] == '0'; k++)
			;
		if (k == nf) {
			*zero = 1;
			return 0;
		}
		order = -(long)k - 1;
	}
	if (ne > 0 && (*e == '+' || *e == '-')) {
		neg = *e == '-';
		e++;
		ne--;
	}
	for (k = 0; k < ne; k++)	/* clamped: a line is at most 4 GiB */
		if (x < 100000000000L)
			x = x * 10 + (e[k] - '0');
	return neg ? order - x : order + x;
}

/*
 * Does the number at p (scan_number accepted it; it ends at q, before
 * the line's end) fit a double?  Below 1e308 it does, from 1e309 it does
 * not; between, strtod decides: q is a delimiter (',', '}', ']', a
 * blank), where strtod stops, so it reads inside the line.  A number too
 * small for a double rounds to 0 or a denormal and is in range.
 */
static int
num_fits(const char *p, const char *q)
{
	const char *i = *p == '-' ? p + 1 : p, *ie, *f, *fe, *e;
	long order;
	int zero;

	ie = skip_digits(i, q);
	f = fe = ie;
	if (ie < q && *ie == '.') {
		f = ie + 1;
		fe = skip_digits(f, q);
	}
	e = fe < q ? fe + 1 : q;	/* past the 'e' */
	order = num_order(i, (size_t)(ie - i), f, (size_t)(fe - f), e,
	    (size_t)(q - e), &zero);
	if (zero || order < 308)
		return 1;
	if (order > 308)
		return 0;
	return !isinf(strtod(p, NULL));
}

static int
scan_number(struct scan *sc, const char **pp)
{
	const char *p = *pp, *end = sc->end, *q;

	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return scan_fail(sc, *pp, "bad number");
	if (*p == '0')
		p++;
	else
		p = skip_digits(p, end);
	if (p < end && *p == '.') {
		q = skip_digits(p + 1, end);
		if (q == p + 1)
			return scan_fail(sc, p, "bad number");
		p = q;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		q = skip_digits(p, end);
		if (q == p)
			return scan_fail(sc, p, "bad number");
		p = q;
	}
	/* at the line's end the line is cut anyway: left to the caller */
	if (sc->strict && p < end && (*p == ',' || *p == '}' || *p == ']' ||
	    *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') &&
	    !num_fits(*pp, p))
		return scan_fail(sc, *pp, "number out of range");
	*pp = p;
	return 0;
}

static int
scan_word(struct scan *sc, const char **pp, const char *w, size_t n)
{
	if ((size_t)(sc->end - *pp) < n || memcmp(*pp, w, n) != 0)
		return scan_fail(sc, *pp, "unexpected character");
	*pp += n;
	return 0;
}

static int scan_value(struct scan *sc, const char **pp, int depth,
    struct kp_jval *v);

/* An object or array at *pp (depth counts the containers around it). */
static int
scan_container(struct scan *sc, const char **pp, int depth)
{
	const char *p = *pp, *end = sc->end;
	char close = *p == '{' ? '}' : ']';
	int esc;

	if (depth >= KP_JSCAN_DEPTH)
		return scan_fail(sc, p, "nested too deep");
	p = skip_ws(p + 1, end);
	if (p < end && *p == close) {
		*pp = p + 1;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (p >= end || *p != '"')
				return scan_fail(sc, p, "expected a key");
			if (scan_string(sc, &p, &esc) < 0)
				return -1;
			p = skip_ws(p, end);
			if (p >= end || *p != ':')
				return scan_fail(sc, p, "expected ':'");
			p = skip_ws(p + 1, end);
		}
		if (scan_value(sc, &p, depth + 1, NULL) < 0)
			return -1;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == close)
			break;
		return scan_fail(sc, p, close == '}' ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	}
	*pp = p + 1;
	return 0;
}

/* Any value at *pp; describe it in *v when v is not NULL. */
static int
scan_value(struct scan *sc, const char **pp, int depth, struct kp_jval *v)
{
	const char *p = *pp;
	int esc = 0, type, r;

	if (p >= sc->end)
		return scan_fail(sc, p, "expected a value");
	switch (*p) {
	case '"':
		type = KP_J_STRING;
		r = scan_string(sc, pp, &esc);
		break;
	case '{':
		type = KP_J_OBJECT;
		r = scan_container(sc, pp, depth);
		break;
	case '[':
		type = KP_J_ARRAY;
		r = scan_container(sc, pp, depth);
		break;
	case 't':
		type = KP_J_TRUE;
		r = scan_word(sc, pp, "true", 4);
		break;
	case 'f':
		type = KP_J_FALSE;
		r = scan_word(sc, pp, "false", 5);
		break;
	case 'n':
		type = KP_J_NULL;
		r = scan_word(sc, pp, "null", 4);
		break;
	default:
		type = KP_J_NUMBER;
		r = scan_number(sc, pp);
		break;
	}
	if (r < 0 || v == NULL)
		return r;
	v->type = (uint8_t)type;
	v->escaped = (uint8_t)esc;
	if (type == KP_J_STRING) {
		v->p = p + 1;
		v->len = (uint32_t)(*pp - p - 2);
	} else {
		v->p = p;
		v->len = (uint32_t)(*pp - p);
	}
	return 0;
}

/* The index of the wanted field named key[0..n), or -1. */
static int
field_index(const struct kp_jfields *t, const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->f[i].len == n && t->f[i].name[0] == key[0] &&
		    memcmp(t->f[i].name, key, n) == 0)
			return (int)i;
	return -1;
}

/* Quick mode, every wanted member found: the line must end in '}'. */
static int
quick_tail(struct scan *sc)
{
	const char *e = sc->end;

	while (e > sc->s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		e--;
	if (e == sc->s || e[-1] != '}')
		return scan_fail(sc, e, "expected '}' at the end");
	return 0;
}

static int
scan_members(struct scan *sc, const char *p, const struct kp_jfields *t,
    struct kp_jval *v, int quick)
{
	const char *end = sc->end, *key;
	struct kp_jval tmp;
	size_t found = 0;
	int esc, i;

	for (;;) {
		if (p >= end || *p != '"')
			return scan_fail(sc, p, "expected a key");
		key = p + 1;
		if (scan_string(sc, &p, &esc) < 0)
			return -1;
		i = esc ? -1 : field_index(t, key, (size_t)(p - 1 - key));
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return scan_fail(sc, p, "expected ':'");
		p = skip_ws(p + 1, end);
		if (scan_value(sc, &p, 1, i >= 0 ? &tmp : NULL) < 0)
			return -1;
		if (i >= 0) {
			found += v[i].type == KP_J_ABSENT;
			v[i] = tmp;
			if (quick && found == t->n)
				return quick_tail(sc);
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			break;
		return scan_fail(sc, p, "expected ',' or '}'");
	}
	p = skip_ws(p + 1, end);
	if (p != end)
		return scan_fail(sc, p, "data after the object");
	return 0;
}

enum { JS_WHOLE, JS_QUICK, JS_STRICT };

static int
jscan(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN], int mode)
{
	struct scan sc = { line, line + len, NULL, NULL, mode == JS_STRICT };
	struct kp_utf8 u;
	const char *p;
	size_t i;
	int r;

	for (i = 0; i < t->n; i++)
		v[i].type = KP_J_ABSENT;
	if (len > UINT32_MAX) {
		snprintf(err, KP_ERRLEN, "line longer than 4 GiB");
		return -1;
	}
	kp_utf8_init(&u);
	p = skip_ws(line, sc.end);
	if (mode == JS_STRICT && (kp_utf8_feed(&u, line, len) < 0 ||
	    kp_utf8_end(&u) < 0)) {
		snprintf(err, KP_ERRLEN, "byte %llu: not UTF-8: %s",
		    (unsigned long long)u.off + 1, u.why);
		return -1;
	}
	if (p >= sc.end) {
		r = scan_fail(&sc, p, "empty line");
	} else if (*p != '{') {
		r = scan_fail(&sc, p, "not a JSON object");
	} else {
		p = skip_ws(p + 1, sc.end);
		if (p < sc.end && *p == '}')
			r = skip_ws(p + 1, sc.end) == sc.end ? 0 :
			    scan_fail(&sc, skip_ws(p + 1, sc.end),
			    "data after the object");
		else
			r = scan_members(&sc, p, t, v, mode == JS_QUICK);
	}
	if (r < 0)
		snprintf(err, KP_ERRLEN, "byte %zu: %s",
		    (size_t)(sc.at - line) + 1, sc.why);
	return r;
}

int
kp_jscan(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN])
{
	return jscan(line, len, t, v, err, JS_WHOLE);
}

int
kp_jscan_quick(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN])
{
	return jscan(line, len, t, v, err, JS_QUICK);
}

int
kp_jscan_strict(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN])
{
	return jscan(line, len, t, v, err, JS_STRICT);
}

/* unescaping -------------------------------------------------------- */

static unsigned
hex4(const char *p)
{
	unsigned v = 0, i, c;

	for (i = 0; i < 4; i++) {
		c = (unsigned char)p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
	}
	return v;
}

static size_t
utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The code point of the \u escape at p (end - p >= 6), taking a
 * following low surrogate too; *n is the bytes used. */
static unsigned
unicode_escape(const char *p, const char *end, size_t *n)
{
	unsigned cp = hex4(p + 2), lo;

	*n = 6;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return 0xfffd;
	if (cp < 0xd800 || cp > 0xdbff)
		return cp;
	if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || !is_hex(p[8]) ||
	    !is_hex(p[9]) || !is_hex(p[10]) || !is_hex(p[11]))
		return 0xfffd;
	lo = hex4(p + 8);
	if (lo < 0xdc00 || lo > 0xdfff)
		return 0xfffd;
	*n = 12;
	return 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
}

long
kp_json_unescape(const char *p, size_t len, char *out, size_t cap)
{
	const char *end = p + len;
	char tmp[4];
	size_t o = 0, n, k;
	char c;

	while (p < end) {
		if (*p != '\\' || end - p < 2) {
			if (o == cap)
				return -1;
			out[o++] = *p++;
			continue;
		}
		c = p[1];
		n = 2;
		k = 1;
		switch (c) {
		case 'b': tmp[0] = '\b'; break;
		case 'f': tmp[0] = '\f'; break;
		case 'n': tmp[0] = '\n'; break;
		case 'r': tmp[0] = '\r'; break;
		case 't': tmp[0] = '\t'; break;
		case 'u':
			if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) ||
			    !is_hex(p[4]) || !is_hex(p[5])) {
				tmp[0] = c;
				break;
			}
			k = utf8_put(tmp, unicode_escape(p, end, &n));
			break;
		default: tmp[0] = c; break;
		}
		if (cap - o < k)
			return -1;
		memcpy(out + o, tmp, k);
		o += k;
		p += n;
	}
	return (long)o;
}

/* templates --------------------------------------------------------- */

enum { PART_TEXT, PART_FIELD };
enum { MOD_NONE, MOD_LOWER, MOD_UPPER };

struct part {
	unsigned char kind;
	unsigned char mod;
	unsigned field;		/* PART_FIELD: index in the kp_jfields */
	size_t off, len;	/* PART_TEXT: bytes of text[] */
};

struct kp_tmpl {
	char *src;
	const struct kp_jfields *tab;
	char *text;		/* the literal parts, braces unescaped */
	size_t nparts;
	int nfields;
	struct part parts[];
};

static int
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
tmpl_fail(char err[KP_ERRLEN], const char *src, size_t at, const char *why)
{
	snprintf(err, KP_ERRLEN, "template '%.100s'%s: %s at byte %zu", src,
	    strlen(src) > 100 ? "..." : "", why, at + 1);
	return -1;
}

/* A {FIELD[|MOD]} starting at src[*i] (the '{'); fill pt. */
static int
tmpl_field(struct kp_tmpl *tp, struct kp_jfields *t, size_t *i,
    struct part *pt, char err[KP_ERRLEN])
{
	const char *s = tp->src, *name = s + *i + 1, *m;
	size_t n = 0;
	int idx;

	while (is_name_char(name[n]))
		n++;
	if (n == 0)
		return tmpl_fail(err, s, *i + 1, "expected a field name");
	if (n > KP_JFIELD_NAME_MAX)
		return tmpl_fail(err, s, *i + 1, "field name too long");
	pt->kind = PART_FIELD;
	pt->mod = MOD_NONE;
	m = name + n;
	if (*m == '|') {
		if (strncmp(m + 1, "lower}", 6) == 0)
			pt->mod = MOD_LOWER;
		else if (strncmp(m + 1, "upper}", 6) == 0)
			pt->mod = MOD_UPPER;
		else
			return tmpl_fail(err, s, (size_t)(m - s) + 1,
			    "unknown modifier (lower or upper)");
		m += 6;
	}
	if (*m != '}')
		return tmpl_fail(err, s, (size_t)(m - s), "expected '}'");
	idx = kp_jfields_add(t, name, n);
	if (idx < 0)
		return tmpl_fail(err, s, *i, "too many distinct fields");
	pt->field = (unsigned)idx;
	*i = (size_t)(m - s) + 1;
	return 0;
}

/* Parse tp->src into parts; text[] receives the literal bytes. */
static int
tmpl_parse(struct kp_tmpl *tp, struct kp_jfields *t, char err[KP_ERRLEN])
{
	const char *s = tp->src;
	size_t i = 0, tl = 0;
	struct part *pt = NULL;

	while (s[i] != '\0') {
		if (s[i] == '{' && s[i + 1] != '{') {
			pt = &tp->parts[tp->nparts++];
			if (tmpl_field(tp, t, &i, pt, err) < 0)
				return -1;
			tp->nfields++;
			pt = NULL;
			continue;
		}
		if (s[i] == '}' && s[i + 1] != '}')
			return tmpl_fail(err, s, i, "lone '}' (write }})");
		if (pt == NULL) {
			pt = &tp->parts[tp->nparts++];
			pt->kind = PART_TEXT;
			pt->off = tl;
			pt->len = 0;
		}
		tp->text[tl++] = s[i];
		pt->len++;
		i += (s[i] == '{' || s[i] == '}') ? 2 : 1;
	}
	if (tl > KP_TMPL_OUT_MAX)
		return tmpl_fail(err, s, 0, "longer than the 1024-byte limit");
	return 0;
}

struct kp_tmpl *
kp_tmpl_compile(const char *src, struct kp_jfields *t, char err[KP_ERRLEN])
{
	struct kp_tmpl *tp;
	size_t n = strlen(src);

	if (n == 0) {
		snprintf(err, KP_ERRLEN, "empty template");
		return NULL;
	}
	if (n > 4 * KP_TMPL_OUT_MAX) {
		snprintf(err, KP_ERRLEN, "template longer than %d bytes",
		    4 * KP_TMPL_OUT_MAX);
		return NULL;
	}
	/* at most one part per source byte */
	tp = calloc(1, sizeof *tp + n * sizeof tp->parts[0]);
	if (tp == NULL || (tp->src = strdup(src)) == NULL ||
	    (tp->text = malloc(n + 1)) == NULL) {
		snprintf(err, KP_ERRLEN, "out of memory");
		kp_tmpl_free(tp);
		return NULL;
	}
	tp->tab = t;
	if (tmpl_parse(tp, t, err) < 0) {
		kp_tmpl_free(tp);
		return NULL;
	}
	return tp;
}

void
kp_tmpl_free(struct kp_tmpl *tp)
{
	if (tp == NULL)
		return;
	free(tp->src);
	free(tp->text);
	free(tp);
}

const char *
kp_tmpl_source(const struct kp_tmpl *tp)
{
	return tp->src;
}

int
kp_tmpl_is_literal(const struct kp_tmpl *tp)
{
	return tp->nfields == 0;
}

static void
apply_mod(char *p, size_t n, int mod)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (mod == MOD_LOWER && p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (char)(p[i] - 'A' + 'a');
		else if (mod == MOD_UPPER && p[i] >= 'a' && p[i] <= 'z')
			p[i] = (char)(p[i] - 'a' + 'A');
	}
}

/* Write one field's value at out + *o; return 0 or an enum kp_tmpl_err. */
static int
put_field(const struct part *pt, const struct kp_jval *jv, char *out,
    size_t cap, size_t *o)
{
	const char *p = jv->p;
	size_t n = jv->len;
	long r;

	switch (jv->type) {
	case KP_J_ABSENT:
	case KP_J_NULL:
		return KP_TMPL_MISSING;
	case KP_J_OBJECT:
	case KP_J_ARRAY:
		return KP_TMPL_NOT_SCALAR;
	case KP_J_TRUE:
		p = "true";
		n = 4;
		break;
	case KP_J_FALSE:
		p = "false";
		n = 5;
		break;
	default:
		break;
	}
	if (jv->type == KP_J_STRING && jv->escaped) {
		r = kp_json_unescape(p, n, out + *o, cap - *o);
		if (r < 0)
			return KP_TMPL_TOO_LONG;
		n = (size_t)r;
	} else {
		if (cap - *o < n)
			return KP_TMPL_TOO_LONG;
		memcpy(out + *o, p, n);
	}
	if (pt->mod != MOD_NONE)
		apply_mod(out + *o, n, pt->mod);
	*o += n;
	return 0;
}

long
kp_tmpl_render(const struct kp_tmpl *tp, const struct kp_jval *v, char *out,
    size_t cap, const char **field)
{
	const struct part *pt;
	size_t i, o = 0;
	int r;

	for (i = 0; i < tp->nparts; i++) {
		pt = &tp->parts[i];
		if (pt->kind == PART_TEXT) {
			if (cap - o < pt->len)
				r = KP_TMPL_TOO_LONG;
			else {
				memcpy(out + o, tp->text + pt->off, pt->len);
				o += pt->len;
				continue;
			}
		} else {
			r = put_field(pt, &v[pt->field], out, cap, &o);
			if (r == 0)
				continue;
		}
		if (field != NULL)
			*field = pt->kind == PART_FIELD ?
			    tp->tab->f[pt->field].name : "";
		return r;
	}
	return (long)o;
}
