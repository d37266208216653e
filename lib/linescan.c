/*
 * linescan.c: the one scanner of NDJSON lines: validate a line and pick
 * the members a field table names, in a single pass, with no tree and no
 * allocation.  See kp_linescan.h.
 *
 * kp_linescan tries the fast path of lsfast.c first (plain tick lines);
 * when it cannot decide, the general scanner here takes the line from
 * the start: an iterative parser, one byte per open container up to the
 * depth limit, and for the first levels a context telling whether the
 * container is the top object, its "depth" object, a buy/sell array or
 * that array's first element (KP_LS_BEST), which decides where a value
 * goes.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "kp_utf8.h"
#include "ls.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* 1: byte ends a run of plain string bytes */
const unsigned char kp_ls_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

/* The four hex digits at p into *v: 0, or -1. */
static int
hex4(const char *p, unsigned *v)
{
	int i, d;

	*v = 0;
	for (i = 0; i < 4; i++) {
		d = kp_num_hex((unsigned char)p[i]);
		if (d < 0)
			return -1;
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

/* One UTF-8 sequence at p (first byte >= 0x80): its length, or 0. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *e)
{
	unsigned c = p[0], v;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, v = c & 0x07;
	else
		return 0;
	if ((size_t)(e - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	return n;
}

/*
 * A string at *pp (on its '"'): validate it, leave *pp past the closing
 * quote, return its raw content in *raw, *n and whether it has escapes
 * in *esc.  Bytes of 0x80 and up, and what a \u escape stands for, are
 * checked only for KP_LS_JANSSON.
 */
HOT int
string(struct ls *t, const char **pp, const char **raw, size_t *n, int *esc)
{
	const char *p = *pp + 1, *e = t->e;
	int js = t->flags & KP_LS_JANSSON;

	*raw = p;
	*esc = 0;
	for (;;) {
		unsigned c;

#if defined(__SSE2__)
		/* 16 bytes at a time: '"', '\\', < 0x20 or >= 0x80 */
		while (e - p >= 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const
			    void *)p);
			__m128i hit = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
			    _mm_cmplt_epi8(_mm_xor_si128(x,
			    _mm_set1_epi8((char)0x80)), _mm_set1_epi8(-96)));
			unsigned mask = (unsigned)_mm_movemask_epi8(
			    _mm_or_si128(hit, x));

			if (mask != 0) {
				p += __builtin_ctz(mask);
				break;
			}
			p += 16;
		}
#endif
		while (p < e && !kp_ls_special[(unsigned char)*p])
			p++;
		if (p >= e)
			return ls_fail(t, p, E_UNTERM);
		c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20)
			return ls_fail(t, p, E_CTRL);
		if (c >= 0x80 && !js) {
			p++;
			continue;
		}
		if (c >= 0x80) {
			size_t k = utf8_len((const unsigned char *)p,
			    (const unsigned char *)e);

			if (k == 0)
				return ls_fail(t, p, E_UTF8);
			p += k;
			continue;
		}
		/* a backslash */
		*esc = 1;
		if (p + 1 >= e)
			return ls_fail(t, p, E_UNTERM);
		if (p[1] != 'u') {
			if (p[1] == '\0' || strchr("\"\\/bfnrt", p[1]) == NULL)
				return ls_fail(t, p, E_ESC);
			p += 2;
			continue;
		}
		{
			unsigned v, w;

			if (e - p < 6 || hex4(p + 2, &v) < 0)
				return ls_fail(t, p, E_UESC);
			if (!js) {
				p += 6;
				continue;
			}
			if (v == 0)
				return ls_fail(t, p, E_U0);
			if (v >= 0xdc00 && v <= 0xdfff)
				return ls_fail(t, p, E_LOW);
			if (v >= 0xd800 && v <= 0xdbff) {
				if (e - p < 12 || p[6] != '\\' || p[7] != 'u' ||
				    hex4(p + 8, &w) < 0 || w < 0xdc00 ||
				    w > 0xdfff)
					return ls_fail(t, p, E_HIGH);
				p += 6;
			}
			p += 6;
		}
	}
	*n = (size_t)(p - *raw);
	*pp = p + 1;
	return 0;
}


/*
 * A number at *pp that is not picked: only validated here when it is
 * plain (the range checks and the error messages are kp_ls_number's).
 */
HOT int
number(struct ls *t, const char **pp, struct kp_jval *v)
{
	const char *p = *pp, *d;

	if (v != NULL)
		return kp_ls_number(t, pp, v);
	if (*p == '-')
		p++;
	d = p;
	if (!DIGIT(*p) || (*p == '0' && DIGIT(p[1])))
		return kp_ls_number(t, pp, v);
	while (DIGIT(*p))
		p++;
	if (p - d > 18)
		return kp_ls_number(t, pp, v);
	if (*p == '.') {
		p++;
		if (!DIGIT(*p))
			return kp_ls_number(t, pp, v);
		while (DIGIT(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E')
		return kp_ls_number(t, pp, v);
	*pp = p;
	return 0;
}

/* The general scanner's state beyond struct ls. */
struct st {
	struct ls *l;
	int depth, max;
	int pend;			/* a top-level member being read */
	const char *vb;			/* where its value began */
	int esc;			/* its escapes, for a string */
	unsigned char arr[KP_LS_MAX_DEPTH];	/* 1: array */
	unsigned char ctx[CTX_LEVELS];
	size_t idx[CTX_LEVELS];		/* array element index */
};

static int
cur_ctx(const struct st *t)
{
	return t->depth >= 1 && t->depth <= CTX_LEVELS ?
	    t->ctx[t->depth - 1] : C_NONE;
}

/* Open a container of kind c ('{' or '[') for target tgt. */
static void
push(struct st *t, int c, int tgt)
{
	int ctx = C_NONE, d = t->depth;

	if (c == '{')
		ctx = d == 0 ? C_TOP : tgt == T_DEPTH ? C_DEPTH :
		    tgt == T_BUY0 ? C_BUY0 : tgt == T_SELL0 ? C_SELL0 : C_NONE;
	else
		ctx = tgt == T_BUY ? C_BUY : tgt == T_SELL ? C_SELL : C_NONE;
	t->arr[d] = c == '[';
	if (d < CTX_LEVELS) {
		t->ctx[d] = (unsigned char)ctx;
		t->idx[d] = 0;
	}
	t->depth = d + 1;
}

/* Target of the next element of the current array. */
static int
elem_target(const struct st *t)
{
	int ctx = cur_ctx(t);
	size_t i = t->depth >= 1 && t->depth <= CTX_LEVELS ?
	    t->idx[t->depth - 1] : 1;

	if (i != 0)
		return T_NONE;
	return ctx == C_BUY ? T_BUY0 : ctx == C_SELL ? T_SELL0 : T_NONE;
}

/* A picked value's slot: a table field or a best price. */
static struct kp_jval *
slot(struct ls *l, int tgt)
{
	if (tgt < 0 || tgt >= KP_JFIELDS_MAX + 2)
		return NULL;
	if (tgt >= l->nf)
		return &l->v[tgt];
	return (l->flags & KP_LS_VALUES) ? &l->v[tgt] : NULL;
}

/* A string, a literal or a number at *pp, for target tgt. */
static int
scalar(struct st *t, const char **pp, int tgt)
{
	struct ls *l = t->l;
	const char *p = *pp, *raw, *w;
	size_t len, k;

	switch (*p) {
	case '"':
		return string(l, pp, &raw, &len, &t->esc);
	case 't':
	case 'f':
	case 'n':
		w = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
		k = strlen(w);
		if ((size_t)(l->e - p) < k || memcmp(p, w, k) != 0)
			return ls_fail(l, p, E_LITERAL);
		*pp = p + k;
		return 0;
	case '-': case '0': case '1': case '2': case '3': case '4': case '5':
	case '6': case '7': case '8': case '9':
		return number(l, pp, slot(l, tgt));
	default:
		return ls_fail(l, p, p >= l->e ? E_VEOL : E_VCHAR);
	}
}

/* A key at *pp in the current object, and its ':': its target. */
static int
key(struct st *t, const char **pp, int *tgt)
{
	struct ls *l = t->l;
	const char *p = *pp, *raw;
	size_t len;
	int esc, ctx = cur_ctx(t);
	char buf[KP_JFIELD_NAME_MAX + 1];

	if (*p != '"')
		return ls_fail(l, p, p >= l->e ? E_KEOL : E_KEY);
	if (string(l, &p, &raw, &len, &esc) < 0)
		return -1;
	*tgt = T_NONE;
	if (ctx != C_NONE) {
		if (!esc)
			*tgt = ls_target(l, l->flags, ctx, raw, len);
		else if ((len = (size_t)kp_json_unescape(raw, len, buf,
		    sizeof(buf) - 1)) != (size_t)-1)
			*tgt = ls_target(l, l->flags, ctx, buf, len);
		ls_reset(l, *tgt);
	}
	if (*p != ':') {
		WS(p);
		if (*p != ':')
			return ls_fail(l, p, p >= l->e ? E_CEOL : E_COLON);
	}
	p++;
	WS(p);
	*pp = p;
	return 0;
}

/*
 * After a value: the ',' or the closing bracket that follows it, and
 * then the next key or value (set *tgt and return 1 for a key, 2 for a
 * value), or the end of the line (0); -1 on error, -2 when the quick
 * tail is due.
 */
static int
after(struct st *t, const char **pp, int *tgt)
{
	struct ls *l = t->l;
	const char *p = *pp;

	for (;;) {
		if (t->pend >= 0 && t->depth == 1) {
			if (ls_record(l, t->pend, t->vb, p, t->esc))
				return -2;
			t->pend = -1;
		}
		WS(p);
		if (t->depth == 0)
			return p != l->e ? ls_fail(l, p, E_END) : 0;
		if (*p == ',') {
			p++;
			WS(p);
			*pp = p;
			if (!t->arr[t->depth - 1])
				return 1;
			if (t->depth <= CTX_LEVELS)
				t->idx[t->depth - 1]++;
			*tgt = elem_target(t);
			return 2;
		}
		if (*p != (t->arr[t->depth - 1] ? ']' : '}'))
			return ls_fail(l, p, (p >= l->e ? E_AEOL_OBJ :
			    E_COMMA_OBJ) + t->arr[t->depth - 1]);
		p++;
		t->depth--;
	}
}

/* The general scanner: 0, -1 on error, -2 when the quick tail is due. */
static int
general(struct ls *l, struct kp_lsres *res)
{
	struct st t;
	const char *p = l->s;
	int tgt = T_NONE, r;

	t.l = l;
	t.depth = 0;
	t.pend = -1;
	t.esc = 0;
	t.max = (l->flags & KP_LS_JANSSON) ? KP_LS_MAX_DEPTH : KP_JSCAN_DEPTH;
	WS(p);
	if (*p != '{' && (*p != '[' || !(l->flags & KP_LS_JANSSON)))
		return ls_fail(l, p, p >= l->e ? E_EMPTY : E_TOP);
	res->top = *p;
	for (;;) {
		/* a value at p for tgt */
		if (t.depth == 1 && tgt >= 0 && tgt < l->nf) {
			t.pend = tgt;
			t.vb = p;
			t.esc = 0;
		}
		/* jansson counts every value, kp_jscan the containers */
		if (t.depth >= t.max && (t.max == KP_LS_MAX_DEPTH ||
		    *p == '{' || *p == '['))
			return ls_fail(l, p, E_DEEP);
		if (*p == '{' || *p == '[') {
			push(&t, *p, tgt);
			p++;
			WS(p);
			if (*p == (t.arr[t.depth - 1] ? ']' : '}')) {
				p++;
				t.depth--;
			} else if (t.arr[t.depth - 1]) {
				tgt = elem_target(&t);
				continue;
			} else {
				if (key(&t, &p, &tgt) < 0)
					return -1;
				continue;
			}
		} else if (scalar(&t, &p, tgt) < 0)
			return -1;
		r = after(&t, &p, &tgt);
		if (r == 1 && key(&t, &p, &tgt) < 0)
			return -1;
		if (r <= 0)
			return r;
	}
}

/* What went wrong: [0] in jansson's family's words, [1] in kp_jscan's. */
static const char *const words[E_N][2] = {
	[E_UNTERM] = { "unterminated string", "unterminated string" },
	[E_CTRL] = { "control character in string",
	    "control character in string" },
	[E_UTF8] = { "invalid UTF-8", "not UTF-8" },
	[E_ESC] = { "invalid escape", "bad escape" },
	[E_UESC] = { "invalid \\u escape", "bad \\u escape" },
	[E_U0] = { "\\u0000 not allowed", "\\u0000 not allowed" },
	[E_LOW] = { "lone low surrogate", "lone low surrogate" },
	[E_HIGH] = { "lone high surrogate", "lone high surrogate" },
	[E_NUM] = { "invalid number", "bad number" },
	[E_LEAD0] = { "invalid number (leading zero)", "bad number" },
	[E_DIGIT] = { "invalid number (digit expected)", "bad number" },
	[E_BIGINT] = { "too big integer", "number out of range" },
	[E_BIGNEG] = { "too big negative integer", "number out of range" },
	[E_RANGE] = { "real number overflow", "number out of range" },
	[E_LITERAL] = { "invalid literal", "unexpected character" },
	[E_VEOL] = { "unexpected end of line", "expected a value" },
	[E_VCHAR] = { "unexpected character", "bad number" },
	[E_KEY] = { "string key expected", "expected a key" },
	[E_COLON] = { "':' expected", "expected ':'" },
	[E_COMMA_OBJ] = { "',' or '}' expected", "expected ',' or '}'" },
	[E_COMMA_ARR] = { "',' or ']' expected", "expected ',' or ']'" },
	[E_KEOL] = { "unexpected end of line", "expected a key" },
	[E_CEOL] = { "unexpected end of line", "expected ':'" },
	[E_AEOL_OBJ] = { "unexpected end of line", "expected ',' or '}'" },
	[E_AEOL_ARR] = { "unexpected end of line", "expected ',' or ']'" },
	[E_END] = { "end of line expected", "data after the object" },
	[E_TOP] = { "'{' or '[' expected", "not a JSON object" },
	[E_EMPTY] = { "'{' or '[' expected", "empty line" },
	[E_DEEP] = { "nesting too deep", "nested too deep" },
	[E_TAIL] = { "'}' expected at the end", "expected '}' at the end" },
};

/* KP_LS_QUICK, every wanted member found: the line must end in '}'. */
static int
quick_tail(struct ls *l)
{
	const char *e = l->e;

	while (e > l->s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		e--;
	if (e == l->s || e[-1] != '}')
		return ls_fail(l, e, E_TAIL);
	return 0;
}

static void
ls_start(struct ls *l, struct kp_lsres *r, int clear)
{
	int i, n = l->nf + (l->bid >= 0 ? 2 : 0);

	if (clear)
		for (i = 0; i < n; i++)
			l->v[i].type = KP_J_ABSENT;
	l->have = 0;
	r->top = 0;
}

/* KP_LS_COLS after the general scanner: its numbers into the columns */
static void
to_cols(struct ls *l)
{
	int i, n = l->nf + (l->bid >= 0 ? 2 : 0);

	for (i = 0; i < n; i++) {
		l->ckind[i] = 0;
		if (l->v[i].type != KP_J_NUMBER)
			continue;
		l->ckind[i] = l->v[i].nkind;
		l->cnum[i] = l->v[i].num;
		if (l->v[i].nkind == KP_JN_INT)
			l->ci64[i] = l->v[i].i64;
		l->have &= ~((uint64_t)1 << i);
	}
}

/*
 * What kp_linescan_cols (lsfast.c) leaves after the fast path's rc: the
 * general scanner (rc 1), the quick tail (2), the error's words.
 */
int
kp_ls_rest(struct ls *l, struct kp_lsres *r, int rc)
{
	int i;

	r->why = NULL;
	r->col = 0;
	if (rc == 1) {
		ls_start(l, r, 1);
		rc = general(l, r);
		/* the best prices are not in l->have: from the types */
		for (i = 0; i < l->nf + (l->bid >= 0 ? 2 : 0); i++)
			if (l->v[i].type != KP_J_ABSENT)
				l->have |= (uint64_t)1 << i;
		if (l->flags & KP_LS_COLS)
			to_cols(l);
	}
	if (rc == 2 || rc == -2)
		rc = quick_tail(l);
	r->seen = l->have;
	if (rc < 0) {
		r->why = words[l->code][!(l->flags & KP_LS_JANSSON)];
		r->col = (size_t)(l->at - l->s) + 1;
	}
	return rc;
}

int
kp_linescan(const char *s, size_t n, const struct kp_jfields *t,
    struct kp_jval *v, unsigned flags, struct kp_lsres *r)
{
	return kp_linescan_cols(s, n, t, v, NULL, flags & ~KP_LS_COLS, r);
}

static int
jscan(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN], unsigned flags)
{
	struct kp_lsres r;
	struct kp_utf8 u;

	if (len > UINT32_MAX) {
		snprintf(err, KP_ERRLEN, "line longer than 4 GiB");
		return -1;
	}
	if (flags & KP_LS_STRICT) {
		kp_utf8_init(&u);
		if (kp_utf8_feed(&u, line, len) < 0 || kp_utf8_end(&u) < 0) {
			snprintf(err, KP_ERRLEN, "byte %llu: not UTF-8: %s",
			    (unsigned long long)u.off + 1, u.why);
			return -1;
		}
	}
	if (kp_linescan(line, len, t, v, flags, &r) < 0) {
		snprintf(err, KP_ERRLEN, "byte %zu: %s", r.col, r.why);
		return -1;
	}
	return 0;
}

int
kp_jscan(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN])
{
	return jscan(line, len, t, v, err, 0);
}

int
kp_jscan_quick(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN])
{
	return jscan(line, len, t, v, err, KP_LS_QUICK);
}

int
kp_jscan_strict(const char *line, size_t len, const struct kp_jfields *t,
    struct kp_jval *v, char err[KP_ERRLEN])
{
	return jscan(line, len, t, v, err, KP_LS_STRICT);
}

/* kp_jfields -------------------------------------------------------- */

void
kp_jfields_init(struct kp_jfields *t)
{
	memset(t, 0, sizeof(*t));
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
	if (len < 64) {
		uint8_t *at = &t->bylen[len];

		if (*at == 0 && len >= 8) {
			memcpy(&t->head[len][0], name, 8);
			memcpy(&t->head[len][1], name + len - 8, 8);
			if (len > 16)
				memcpy(&t->head[len][2], name + 8, 8);
		}
		while (*at != 0)
			at = &t->next[*at - 1];
		*at = (uint8_t)(t->n + 1);
	}
	return (int)t->n++;
}

/* unescaping -------------------------------------------------------- */

/* Append code point v as UTF-8: the lead byte, then 6 bits a byte. */
static size_t
put_utf8(char *d, unsigned v)
{
	static const unsigned char lead[5] = { 0, 0, 0xc0, 0xe0, 0xf0 };
	size_t n = v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4, i;

	if (n == 1) {
		d[0] = (char)v;
		return 1;
	}
	for (i = n - 1; i > 0; i--) {
		d[i] = (char)(0x80 | (v & 0x3f));
		v >>= 6;
	}
	d[0] = (char)(lead[n] | v);
	return n;
}

/* The code point of the \u escape at p (its 4 digits checked), taking a
 * following low surrogate too; *n is the bytes used. */
static unsigned
unicode_escape(const char *p, const char *end, size_t *n)
{
	unsigned cp, lo;

	(void)hex4(p + 2, &cp);
	*n = 6;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return 0xfffd;
	if (cp < 0xd800 || cp > 0xdbff)
		return cp;
	if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
	    hex4(p + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
		return 0xfffd;
	*n = 12;
	return 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
}

long
kp_json_unescape(const char *p, size_t len, char *out, size_t cap)
{
	static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
	const char *end = p + len, *q;
	char tmp[4];
	size_t o = 0, n, k;
	unsigned v;

	while (p < end) {
		if (*p != '\\' || end - p < 2) {
			if (o == cap)
				return -1;
			out[o++] = *p++;
			continue;
		}
		n = 2;
		k = 1;
		/* the one-letter escapes map by position */
		if (p[1] == 'u' && end - p >= 6 && hex4(p + 2, &v) == 0)
			k = put_utf8(tmp, unicode_escape(p, end, &n));
		else if (p[1] != '\0' && (q = strchr(from, p[1])) != NULL)
			tmp[0] = to[q - from];
		else
			tmp[0] = p[1];
		if (cap - o < k)
			return -1;
		memcpy(out + o, tmp, k);
		o += k;
		p += n;
	}
	return (long)o;
}
