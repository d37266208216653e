/*
 * rest.c: kite-sim's REST API (kite-connect.md section 2): routing, auth,
 * Kite's envelopes, HTTP faults, the instruments dump (gzip, ETag and
 * Last-Modified for conditional GETs) and the session token.  Orders are
 * in orders.c, historical candles in hist.c.
 * SPDX-License-Identifier: MIT
 *
 * Decisions where Kite is silent or unknown (see kite-sim(1)):
 * - /instruments/{exchange} for a name Kite does not list (NSE BSE NFO
 *   BFO CDS BCD MCX) is 400 InputException; a listed exchange without
 *   simulated instruments is the header row alone.
 * - X-Kite-Version may be absent; present, it must be "3" (else 400).
 * - Any non-empty request_token is accepted once, if its checksum
 *   matches; a reused one is 403 TokenException.  Logout answers true but
 *   does not invalidate the one configured access token.
 * - 429 bodies use the JSON envelope: "Too many requests",
 *   NetworkException; the 5xx fault is 503 NetworkException.
 */
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "restx.h"

#define N_CSV 8			/* cached dumps: all + 7 exchanges */
#define N_USED_RT 256		/* request tokens remembered as used */

struct csv_cache {
	char exch[8];		/* "" for every exchange */
	uint64_t fp;		/* fingerprint of the universe it was made of */
	char *plain, *gz;
	size_t plen, gzlen;
	char etag[24];
	time_t mtime;
	char mtime_s[40];
};

struct sim_rest {
	struct rest_orders *orders;
	struct hist *hist;
	struct csv_cache csv[N_CSV];
	char used_rt[N_USED_RT][65];
	size_t n_used_rt;
};

static const char *const exchanges[] = {
	"NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"
};

/* ---------------------------------------------------------------- */
/* envelopes */

static void
set_body(struct sim_resp *r, int status, const char *ctype, char *body,
    size_t len)
{
	free(r->body);
	r->status = status;
	r->content_type = ctype;
	r->body = body;
	r->body_len = len;
}

void
rest_ok(struct sim_resp *r, struct kp_buf *data)
{
	struct kp_buf b;

	kp_buf_init(&b, REST_BODY_MAX + 64);
	kp_buf_addstr(&b, "{\"status\":\"success\",\"data\":");
	if (data->len == 0 || kp_buf_add(&b, data->p, data->len) < 0) {
		kp_buf_free(&b);
		rest_err(r, 500, "GeneralException", "answer too large");
		return;
	}
	kp_buf_addc(&b, '}');
	set_body(r, 200, "application/json", b.p, b.len);
}

void
rest_err(struct sim_resp *r, int status, const char *type,
    const char *fmt, ...)
{
	char msg[512];
	struct kp_buf b;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kp_buf_init(&b, 4096);
	kp_buf_addstr(&b, "{\"status\":\"error\",\"message\":");
	kp_json_cstr(&b, msg);
	kp_buf_addstr(&b, ",\"data\":null,\"error_type\":");
	kp_json_cstr(&b, type);
	kp_buf_addc(&b, '}');
	set_body(r, status, "application/json", b.p, b.len);
}

void
rest_ist(char out[20], int64_t epoch_s)
{
	time_t t = (time_t)(epoch_s + IST_S);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, 20, "1970-01-01 00:00:00");
}

int
rest_sha256_hex(const char *s, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	static const char hx[] = "0123456789abcdef";

	if (EVP_Digest(s, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

long
rest_find_symbol(const struct sim *s, const char *exchange,
    const char *symbol)
{
	size_t i;

	for (i = 0; i < s->n_instr; i++)
		if (strcmp(s->instr[i].tradingsymbol, symbol) == 0 &&
		    strcmp(s->instr[i].exchange, exchange) == 0)
			return (long)i;
	return -1;
}

int64_t
rest_band(const struct sim *s, size_t ix, bool upper)
{
	struct kp_tick t;
	int64_t ref, tick = s->instr[ix].tick_size > 0 ?
	    s->instr[ix].tick_size : 5;

	sim_quote(s, ix, &t);
	ref = t.close > 0 ? t.close : sim_ltp(s, ix);
	if (upper)
		return ref * 6 / 5 / tick * tick;
	return (ref * 4 / 5 + tick - 1) / tick * tick;
}

/* ---------------------------------------------------------------- */
/* the instruments dump */

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 1099511628211ull;
	return h;
}

/* Changes exactly when the universe does. */
static uint64_t
universe_fp(const struct sim *s)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < s->n_instr; i++) {
		const struct sim_instr *in = &s->instr[i];

		h = fnv(h, &in->token, sizeof(in->token));
		h = fnv(h, in->tradingsymbol, strlen(in->tradingsymbol));
		h = fnv(h, &in->expiry_day, sizeof(in->expiry_day));
	}
	return fnv(h, &s->n_instr, sizeof(s->n_instr));
}

/* A price the way Kite's dump writes it: "0.0", "2528.4", "0.05". */
static void
csv_price(struct kp_buf *b, int64_t paise)
{
	char t[KP_FMT_ROOM], *e = kp_fmt_fixed(t, paise, 2);

	kp_buf_add(b, t, (size_t)(e - t));
	if (memchr(t, '.', (size_t)(e - t)) == NULL)
		kp_buf_addstr(b, ".0");
}

static void
csv_field(struct kp_buf *b, const char *v)
{
	const char *p;

	if (strpbrk(v, ",\"\r\n") == NULL) {
		kp_buf_addstr(b, v);
		return;
	}
	kp_buf_addc(b, '"');
	for (p = v; *p; p++) {
		if (*p == '"')
			kp_buf_addc(b, '"');
		kp_buf_addc(b, *p);
	}
	kp_buf_addc(b, '"');
}

static void
csv_row(struct kp_buf *b, const struct sim *s, size_t i)
{
	const struct sim_instr *in = &s->instr[i];
	char t[48];

	snprintf(t, sizeof(t), "%u,%u,", in->token, in->exchange_token);
	kp_buf_addstr(b, t);
	csv_field(b, in->tradingsymbol);
	kp_buf_addc(b, ',');
	csv_field(b, in->name);
	kp_buf_addc(b, ',');
	csv_price(b, in->is_index ? 0 : sim_ltp(s, i));
	kp_buf_addc(b, ',');
	if (in->expiry_day >= 0) {
		time_t e = (time_t)in->expiry_day * 86400;
		struct tm tm;

		gmtime_r(&e, &tm);
		strftime(t, sizeof(t), "%Y-%m-%d", &tm);
		kp_buf_addstr(b, t);
	}
	kp_buf_addc(b, ',');
	csv_price(b, in->strike);
	kp_buf_addc(b, ',');
	csv_price(b, in->tick_size);
	snprintf(t, sizeof(t), ",%d,", in->lot_size);
	kp_buf_addstr(b, t);
	csv_field(b, in->instrument_type);
	kp_buf_addc(b, ',');
	csv_field(b, in->segment);
	kp_buf_addc(b, ',');
	csv_field(b, in->exchange);
	kp_buf_addc(b, '\n');
}

static int
gzip_buf(const char *in, size_t n, char **out, size_t *outlen)
{
	z_stream z;
	uLong cap;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&z, (uLong)n) + 32;
	*out = kp_xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)*out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static void
csv_cache_clear(struct csv_cache *c)
{
	free(c->plain);
	free(c->gz);
	memset(c, 0, sizeof(*c));
}

/* The dump of one exchange ("" for all), made or remade as needed. */
static struct csv_cache *
csv_get(struct sim *s, const char *exch)
{
	struct sim_rest *R = s->rest;
	struct csv_cache *c = NULL;
	uint64_t fp = universe_fp(s);
	struct kp_buf b;
	struct tm tm;
	size_t i;

	for (i = 0; i < N_CSV; i++)
		if (R->csv[i].plain && strcmp(R->csv[i].exch, exch) == 0) {
			c = &R->csv[i];
			break;
		}
	if (c && c->fp == fp)
		return c;
	if (c == NULL) {
		for (i = 0; i < N_CSV && R->csv[i].plain; i++)
			;
		c = &R->csv[i < N_CSV ? i : 0];
	}
	csv_cache_clear(c);
	snprintf(c->exch, sizeof(c->exch), "%.7s", exch);
	c->fp = fp;
	kp_buf_init(&b, REST_BODY_MAX);
	kp_buf_addstr(&b, "instrument_token,exchange_token,tradingsymbol,"
	    "name,last_price,expiry,strike,tick_size,lot_size,"
	    "instrument_type,segment,exchange\n");
	for (i = 0; i < s->n_instr; i++)
		if (*exch == '\0' || strcmp(s->instr[i].exchange, exch) == 0)
			csv_row(&b, s, i);
	c->plain = b.p ? b.p : kp_xstrdup("");
	c->plen = b.len;
	if (gzip_buf(c->plain, c->plen, &c->gz, &c->gzlen) < 0)
		kp_warn("rest: gzip of the instruments dump failed");
	snprintf(c->etag, sizeof(c->etag), "\"%016llx\"",
	    (unsigned long long)fnv(fp, c->plain, c->plen));
	c->mtime = time(NULL);
	gmtime_r(&c->mtime, &tm);
	strftime(c->mtime_s, sizeof(c->mtime_s), "%a, %d %b %Y %H:%M:%S GMT",
	    &tm);
	return c;
}

/* Does an If-None-Match list name etag? */
static bool
etag_match(const char *list, const char *etag)
{
	size_t el = strlen(etag);
	const char *p = list;

	while (*p) {
		size_t n;

		p += strspn(p, " \t,");
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == el && memcmp(p, etag, n) == 0)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

static bool
not_modified(const struct sim_req *req, const struct csv_cache *c)
{
	struct tm tm;
	const char *e;

	if (req->if_none_match)
		return etag_match(req->if_none_match, c->etag);
	if (req->if_modified_since == NULL)
		return false;
	memset(&tm, 0, sizeof(tm));
	e = strptime(req->if_modified_since, "%a, %d %b %Y %H:%M:%S GMT",
	    &tm);
	if (e == NULL || *e != '\0')
		return false;
	return timegm(&tm) >= c->mtime;
}

/* The dump's body as served, with the dump faults: cut to dump_cut
 * bytes, or one byte in its second half changed (in a gzip body, the
 * deflate data or its CRC: a reader must notice). */
static void
dump_body(const struct sim *s, struct sim_resp *r, const char *src,
    size_t n)
{
	char *p = kp_xmalloc(n + 1);

	memcpy(p, src, n);
	if (s->faults.dump_cut > 0 && (uint64_t)s->faults.dump_cut < n)
		n = (size_t)s->faults.dump_cut;
	if (s->faults.dump_corrupt && n > 0)
		p[n - 1 - (n - 1) / 4] ^= 0x55;
	set_body(r, 200, "text/csv", p, n);
}

static void
instruments(struct sim *s, const struct sim_req *req, const char *exch,
    struct sim_resp *r)
{
	struct csv_cache *c;
	size_t i;

	if (*exch) {
		for (i = 0; i < sizeof(exchanges) / sizeof(*exchanges); i++)
			if (strcmp(exchanges[i], exch) == 0)
				break;
		if (i == sizeof(exchanges) / sizeof(*exchanges)) {
			rest_err(r, 400, "InputException",
			    "Invalid exchange `%.16s`.", exch);
			return;
		}
	}
	c = csv_get(s, exch);
	r->hname[r->nheaders] = "ETag";
	r->hvalue[r->nheaders++] = c->etag;
	r->hname[r->nheaders] = "Last-Modified";
	r->hvalue[r->nheaders++] = c->mtime_s;
	if (not_modified(req, c)) {
		set_body(r, 304, "text/csv", NULL, 0);
		return;
	}
	if (req->accept_gzip && c->gz) {
		dump_body(s, r, c->gz, c->gzlen);
		r->hname[r->nheaders] = "Content-Encoding";
		r->hvalue[r->nheaders++] = "gzip";
	} else {
		dump_body(s, r, c->plain, c->plen);
	}
}

/* ---------------------------------------------------------------- */
/* session */

static bool
rt_used(struct sim_rest *R, const char *rt)
{
	size_t i, n = R->n_used_rt < N_USED_RT ? R->n_used_rt : N_USED_RT;

	for (i = 0; i < n; i++)
		if (strcmp(R->used_rt[i], rt) == 0)
			return true;
	return false;
}

static void
session_token(struct sim *s, const struct kp_form *f, struct sim_resp *r)
{
	const char *key = kp_form_get(f, "api_key");
	const char *rt = kp_form_get(f, "request_token");
	const char *sum = kp_form_get(f, "checksum");
	char want[65], now[20];
	struct kp_buf in, b;
	int rc;

	if (key == NULL || *key == '\0') {
		rest_err(r, 400, "InputException", "Missing `api_key`.");
		return;
	}
	if (rt == NULL || *rt == '\0' || strlen(rt) > 64) {
		rest_err(r, 400, "InputException",
		    "Missing or invalid `request_token`.");
		return;
	}
	if (sum == NULL || *sum == '\0') {
		rest_err(r, 400, "InputException", "Missing `checksum`.");
		return;
	}
	if (strcmp(key, s->conf.api_key) != 0) {
		rest_err(r, 403, "TokenException", "Invalid `api_key`.");
		return;
	}
	kp_buf_init(&in, 4096);
	kp_buf_addstr(&in, key);
	kp_buf_addstr(&in, rt);
	kp_buf_addstr(&in, s->conf.api_secret ? s->conf.api_secret : "");
	rc = in.p ? rest_sha256_hex(in.p, in.len, want) : -1;
	kp_buf_free(&in);
	if (rc < 0 || strcasecmp(sum, want) != 0) {
		rest_err(r, 403, "TokenException", "Invalid `checksum`.");
		return;
	}
	if (rt_used(s->rest, rt)) {
		rest_err(r, 403, "TokenException",
		    "Token is invalid or has expired.");
		return;
	}
	snprintf(s->rest->used_rt[s->rest->n_used_rt++ % N_USED_RT], 65,
	    "%s", rt);
	rest_ist(now, sim_now_us(s) / 1000000);
	kp_buf_init(&b, 8192);
	kp_buf_addstr(&b, "{\"user_type\":\"individual\","
	    "\"email\":\"sim@example.com\",\"user_name\":\"Kite Sim\","
	    "\"user_shortname\":\"Sim\",\"broker\":\"ZERODHA\","
	    "\"exchanges\":[\"NSE\",\"NFO\",\"BFO\",\"CDS\",\"BSE\",\"MCX\","
	    "\"BCD\",\"MF\"],\"products\":[\"CNC\",\"NRML\",\"MIS\",\"MTF\"],"
	    "\"order_types\":[\"MARKET\",\"LIMIT\",\"SL\",\"SL-M\"],"
	    "\"avatar_url\":null,\"user_id\":\"" SIM_USER_ID "\","
	    "\"api_key\":");
	kp_json_cstr(&b, s->conf.api_key);
	kp_buf_addstr(&b, ",\"access_token\":");
	kp_json_cstr(&b, s->conf.access_token);
	kp_buf_addstr(&b, ",\"public_token\":\"simpublictoken\","
	    "\"enctoken\":\"simenctoken\",\"refresh_token\":\"\","
	    "\"silo\":\"\",\"login_time\":");
	kp_json_cstr(&b, now);
	kp_buf_addstr(&b, ",\"meta\":{\"demat_consent\":\"physical\"}}");
	rest_ok(r, &b);
	kp_buf_free(&b);
}

static void
profile(struct sim *s, struct sim_resp *r)
{
	struct kp_buf b;

	(void)s;
	kp_buf_init(&b, 4096);
	kp_buf_addstr(&b, "{\"user_id\":\"" SIM_USER_ID "\","
	    "\"user_type\":\"individual\",\"email\":\"sim@example.com\","
	    "\"user_name\":\"Kite Sim\",\"user_shortname\":\"Sim\","
	    "\"broker\":\"ZERODHA\",\"exchanges\":[\"NSE\",\"NFO\",\"BFO\","
	    "\"BSE\"],\"products\":[\"CNC\",\"NRML\",\"MIS\",\"MTF\"],"
	    "\"order_types\":[\"MARKET\",\"LIMIT\",\"SL\",\"SL-M\"],"
	    "\"avatar_url\":null,\"meta\":{\"demat_consent\":\"physical\"}}");
	rest_ok(r, &b);
	kp_buf_free(&b);
}

/* ---------------------------------------------------------------- */
/* routing */

static bool
authorized(const struct sim *s, const struct sim_req *req)
{
	const char *a = req->authorization, *k = s->conf.api_key;
	size_t kl = strlen(k);

	if (a == NULL || strncmp(a, "token ", 6) != 0)
		return false;
	a += 6;
	return strncmp(a, k, kl) == 0 && a[kl] == ':' &&
	    strcmp(a + kl + 1, s->conf.access_token) == 0;
}

/* Split path into at most 5 segments after the leading '/'. */
static size_t
split(const char *path, char seg[5][64])
{
	size_t n = 0;
	const char *p = path;

	while (*p == '/')
		p++;
	while (*p && n < 5) {
		size_t l = strcspn(p, "/");

		if (l >= 64)
			return 6;	/* too long: no route */
		memcpy(seg[n], p, l);
		seg[n++][l] = '\0';
		p += l;
		while (*p == '/')
			p++;
	}
	return *p ? 6 : n;
}

static bool
is(const struct sim_req *req, const char *m)
{
	return strcmp(req->method, m) == 0;
}

static void
route(struct sim *s, const struct sim_req *req, const struct kp_form *f,
    struct sim_resp *r)
{
	char seg[5][64];
	size_t n = split(req->path, seg);

	if (n >= 1 && n <= 2 && strcmp(seg[0], "instruments") == 0) {
		if (!is(req, "GET"))
			rest_err(r, 405, "InputException",
			    "Method not allowed.");
		else
			instruments(s, req, n == 2 ? seg[1] : "", r);
	} else if (n == 4 && strcmp(seg[0], "instruments") == 0 &&
	    strcmp(seg[1], "historical") == 0) {
		if (!is(req, "GET"))
			rest_err(r, 405, "InputException",
			    "Method not allowed.");
		else
			hist_handle(s, s->rest->hist, seg[2], seg[3], f,
			    r);
	} else if ((n >= 1 && n <= 3 && strcmp(seg[0], "orders") == 0) ||
	    (n == 1 && strcmp(seg[0], "trades") == 0)) {
		orders_handle(s, s->rest->orders, req, f, r);
	} else if (n >= 1 && n <= 2 && strcmp(seg[0], "quote") == 0) {
		if (!is(req, "GET"))
			rest_err(r, 405, "InputException",
			    "Method not allowed.");
		else
			quote_handle(s, n == 2 ? seg[1] : NULL, f, r);
	} else if (n == 2 && strcmp(seg[0], "user") == 0 &&
	    strcmp(seg[1], "profile") == 0 && is(req, "GET")) {
		profile(s, r);
	} else if (n == 2 && strcmp(seg[0], "portfolio") == 0 &&
	    (strcmp(seg[1], "positions") == 0 ||
	    strcmp(seg[1], "holdings") == 0)) {
		if (!is(req, "GET"))
			rest_err(r, 405, "InputException",
			    "Method not allowed.");
		else
			book_handle(s, s->rest->orders, seg[1], NULL, r);
	} else if (n >= 2 && n <= 3 && strcmp(seg[0], "user") == 0 &&
	    strcmp(seg[1], "margins") == 0) {
		if (!is(req, "GET"))
			rest_err(r, 405, "InputException",
			    "Method not allowed.");
		else
			book_handle(s, s->rest->orders, "margins",
			    n == 3 ? seg[2] : NULL, r);
	} else {
		rest_err(r, 404, "GeneralException", "Route not found");
	}
}

static bool
fault(struct sim *s, double p)
{
	return p > 0 && kp_rng_double(&s->rng) < p;
}

void
sim_rest_handle(struct sim *s, const struct sim_req *req,
    struct sim_resp *resp)
{
	struct kp_form f;
	char err[128];
	bool session = strcmp(req->path, "/session/token") == 0;
	const char *src;
	size_t len;

	memset(resp, 0, sizeof(*resp));
	memset(&f, 0, sizeof(f));
	if (s->faults.refuse_auth) {
		rest_err(resp, 403, "TokenException",
		    "Incorrect `api_key` or `access_token`.");
	} else if (!session && !authorized(s, req)) {
		rest_err(resp, 403, "TokenException",
		    "Incorrect `api_key` or `access_token`.");
	} else if (req->kite_version && strcmp(req->kite_version, "3") != 0) {
		rest_err(resp, 400, "InputException",
		    "Invalid `X-Kite-Version` (only 3 is served).");
	} else if (fault(s, s->faults.http_429_p)) {
		rest_err(resp, 429, "NetworkException", "Too many requests");
	} else if (fault(s, s->faults.http_5xx_p)) {
		rest_err(resp, 503, "NetworkException",
		    "Service unavailable (simulated).");
	} else {
		if (is(req, "POST") || is(req, "PUT")) {
			src = req->body ? req->body : "";
			len = req->body ? req->body_len : 0;
		} else {
			src = req->query ? req->query : "";
			len = strlen(src);
		}
		if (kp_form_parse(&f, src, len, err, sizeof(err)) < 0) {
			rest_err(resp, 400, "InputException",
			    "Bad parameters: %s.", err);
		} else if (session) {
			if (is(req, "POST")) {
				session_token(s, &f, resp);
			} else if (is(req, "DELETE")) {
				struct kp_buf b;

				kp_buf_init(&b, 16);
				kp_buf_addstr(&b, "true");
				rest_ok(resp, &b);
				kp_buf_free(&b);
			} else {
				rest_err(resp, 405, "InputException",
				    "Method not allowed.");
			}
		} else {
			route(s, req, &f, resp);
		}
		kp_form_free(&f);
	}
	if (resp->delay_ms >= 0 && s->faults.delay_ms > 0)
		resp->delay_ms += s->faults.delay_ms;
}

int
sim_rest_init(struct sim *s)
{
	s->rest = kp_xcalloc(1, sizeof(*s->rest));
	s->rest->orders = orders_new();
	s->rest->hist = hist_new(s);
	return 0;
}

void
sim_rest_free(struct sim *s)
{
	size_t i;

	if (s->rest == NULL)
		return;
	for (i = 0; i < N_CSV; i++)
		csv_cache_clear(&s->rest->csv[i]);
	orders_free(s->rest->orders);
	hist_free(s->rest->hist);
	free(s->rest);
	s->rest = NULL;
}

void
sim_rest_on_market(struct sim *s)
{
	if (s->rest)
		orders_on_market(s, s->rest->orders);
}
