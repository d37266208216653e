/*
 * tmpl.c: channel templates ("ticks:{instrument_token}"), filled from the
 * members lib/linescan.c picks.
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_redis.h"
#include "kp_utf8.h"

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
