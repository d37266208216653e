/*
 * fetch.c: GET {KITE_API_URL}/instruments[/EXCHANGE] with libcurl, the
 * body fed to the parser as it arrives (gzip inflated by input.c, which
 * knows a stream cut short; curl's own decoding does not tell).  Network
 * errors and 5xx are retried with backoff, but only before any of the
 * body reached the parser (rows may already be out).  With --cache DIR
 * the request is conditional (If-None-Match, If-Modified-Since); the new
 * validators are stored only after the caller used the list (commit), so
 * a failed sync is retried in full next time.
 */
/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "is.h"

#define VAL_MAX 512

struct is_fetch {
	const struct is_opts *o;
	struct is_in *in;
	struct is_sink *s;
	CURL *curl;
	char etag[VAL_MAX], lastmod[VAL_MAX];	/* of this response */
	char path_etag[1024], path_lastmod[1024];
	char errbody[512];
	size_t errlen;
	long code;
	int parse_failed;
};

/* Read a cached validator (one line); "" when there is none. */
static void
read_val(const char *path, char out[VAL_MAX])
{
	FILE *f = fopen(path, "r");
	size_t n;

	out[0] = 0;
	if (f == NULL)
		return;
	n = fread(out, 1, VAL_MAX - 1, f);
	fclose(f);
	out[n] = 0;
	out[strcspn(out, "\r\n")] = 0;
}

static int
write_val(const char *path, const char *v)
{
	char tmp[1100];
	FILE *f;

	if (v[0] == 0)
		return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%s\n", v);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static size_t
on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct is_fetch *f = arg;
	size_t len = size * n, k;
	char *dst = NULL;
	const char *v;

	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		f->etag[0] = f->lastmod[0] = 0;
		return len;
	}
	if (len > 5 && strncasecmp(buf, "ETag:", 5) == 0) {
		dst = f->etag;
		v = buf + 5;
	} else if (len > 14 && strncasecmp(buf, "Last-Modified:", 14) == 0) {
		dst = f->lastmod;
		v = buf + 14;
	} else {
		return len;
	}
	while (v < buf + len && (*v == ' ' || *v == '\t'))
		v++;
	k = (size_t)(buf + len - v);
	while (k > 0 && (v[k - 1] == '\r' || v[k - 1] == '\n' ||
	    v[k - 1] == ' '))
		k--;
	if (k < VAL_MAX && memchr(v, 0, k) == NULL) {
		memcpy(dst, v, k);
		dst[k] = 0;
	}
	return len;
}

static size_t
on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct is_fetch *f = arg;
	size_t len = size * n, k;

	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &f->code);
	if (f->code != 200) {
		k = sizeof f->errbody - 1 - f->errlen;
		if (k > len)
			k = len;
		memcpy(f->errbody + f->errlen, buf, k);
		f->errlen += k;
		f->errbody[f->errlen] = 0;
		return len;
	}
	f->s->feeding = 1;
	if (is_in_feed(f->in, buf, len) < 0) {
		f->parse_failed = 1;
		return 0;
	}
	return len;
}

static void
sleep_ms(uint32_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct curl_slist *
headers(struct is_fetch *f, const struct is_opts *o)
{
	struct curl_slist *h = NULL;
	char line[1200], err[KP_ERRLEN], old[VAL_MAX];
	const char *key = kp_env("KITE_API_KEY");
	char *tok;

	h = curl_slist_append(h, "X-Kite-Version: 3");
	h = curl_slist_append(h, "Accept-Encoding: gzip");
	if (key != NULL) {
		tok = kp_conf_secret("KITE_ACCESS_TOKEN",
		    "KITE_ACCESS_TOKEN_FILE", err);
		if (tok != NULL) {
			snprintf(line, sizeof line, "Authorization: token "
			    "%.200s:%.900s", key, tok);
			h = curl_slist_append(h, line);
			free(tok);
		}
	}
	if (o->cache != NULL) {
		read_val(f->path_etag, old);
		if (old[0] != 0) {
			snprintf(line, sizeof line, "If-None-Match: %s", old);
			h = curl_slist_append(h, line);
		}
		read_val(f->path_lastmod, old);
		if (old[0] != 0) {
			snprintf(line, sizeof line, "If-Modified-Since: %s",
			    old);
			h = curl_slist_append(h, line);
		}
	}
	return h;
}

/* The error message of a Kite error envelope, or the start of the body. */
static const char *
why(struct is_fetch *f)
{
	char *m = strstr(f->errbody, "\"message\":\""), *e;

	if (m != NULL) {
		m += 11;
		if ((e = strchr(m, '"')) != NULL)
			*e = 0;
		return m;
	}
	f->errbody[strcspn(f->errbody, "\r\n")] = 0;
	return f->errbody;
}

int
is_fetch(const struct is_opts *o, struct is_in *in,
    struct is_sink *s, struct is_fetch **out)
{
	struct is_fetch *f = kp_xcalloc(1, sizeof *f);
	struct curl_slist *h;
	struct kp_backoff bo;
	char url[2048], cerr[CURL_ERROR_SIZE], *ex = NULL;
	long long attempt;
	CURLcode cc;
	int rc = KP_EXIT_TEMP;

	*out = f;
	f->o = o;
	f->in = in;
	f->s = s;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (f->curl = curl_easy_init()) == NULL) {
		kp_log(KP_LOG_FATAL, "unable to start libcurl");
		return KP_EXIT_TEMP;
	}
	if (o->exchange != NULL)
		ex = curl_easy_escape(f->curl, o->exchange, 0);
	snprintf(url, sizeof url, "%s/instruments%s%s", o->api_url,
	    ex ? "/" : "", ex ? ex : "");
	if (o->cache != NULL) {
		snprintf(f->path_etag, sizeof f->path_etag,
		    "%.900s/instruments%s%.40s.etag", o->cache, ex ? "-" : "",
		    ex ? ex : "");
		snprintf(f->path_lastmod, sizeof f->path_lastmod,
		    "%.900s/instruments%s%.40s.last-modified", o->cache,
		    ex ? "-" : "", ex ? ex : "");
	}
	curl_free(ex);
	h = headers(f, o);
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)o->connect_ms);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_USERAGENT, "kitepipe-instr-sync/1");
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, cerr);
	kp_backoff_init(&bo, 500, 8000, kp_rng_seed_auto());
	for (attempt = 0;; attempt++) {
		cerr[0] = 0;
		f->errlen = 0;
		f->errbody[0] = 0;
		f->code = 0;
		kp_debug("GET %s", url);
		cc = curl_easy_perform(f->curl);
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &f->code);
		if (f->parse_failed) {
			kp_log(KP_LOG_FATAL, "%s: %s", url, is_in_error(in));
			rc = in->damaged ? KP_EXIT_TEMP : KP_EXIT_PERM;
			break;
		}
		if (cc == CURLE_OK && f->code == 200) {
			if (is_in_finish(in, o->mode == IS_SYNC) < 0) {
				kp_log(KP_LOG_FATAL, "%s: %s", url,
				    is_in_error(in));
				rc = in->damaged ? KP_EXIT_TEMP : KP_EXIT_PERM;
			} else {
				rc = 0;
			}
			break;
		}
		if (cc == CURLE_OK && f->code == 304) {
			rc = 1;
			break;
		}
		if (cc == CURLE_OK && f->code < 500 && f->code != 429) {
			kp_log(KP_LOG_FATAL, "%s: HTTP %ld: %s", url, f->code,
			    why(f));
			rc = KP_EXIT_PERM;
			break;
		}
		if (cc != CURLE_OK)
			kp_warn("%s: %s", url, cerr[0] ? cerr :
			    curl_easy_strerror(cc));
		else
			kp_warn("%s: HTTP %ld: %s", url, f->code, why(f));
		if (s->feeding) {
			kp_log(KP_LOG_FATAL, "%s: failed in the middle of the "
			    "list; not retrying", url);
			break;
		}
		if (attempt >= o->retries) {
			kp_log(KP_LOG_FATAL, "%s: giving up after %lld "
			    "attempts", url, attempt + 1);
			break;
		}
		sleep_ms(kp_backoff_next(&bo));
	}
	curl_slist_free_all(h);
	return rc;
}

void
is_fetch_commit(struct is_fetch *f)
{
	if (f->o->cache == NULL)
		return;
	if (write_val(f->path_etag, f->etag) < 0 ||
	    write_val(f->path_lastmod, f->lastmod) < 0)
		kp_warn("unable to write the cache in %s:", f->o->cache);
}

void
is_fetch_free(struct is_fetch *f)
{
	if (f == NULL)
		return;
	if (f->curl != NULL)
		curl_easy_cleanup(f->curl);
	curl_global_cleanup();
	free(f);
}
