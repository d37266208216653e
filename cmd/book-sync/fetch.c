/*
 * fetch.c: GET {KITE_API_URL}{path} with libcurl (Kite's headers, gzip
 * accepted), the body into a bounded buffer.  Network errors, 429 and
 * 5xx are retried with backoff; other 4xx are refusals (a TokenException
 * 403 above all) and are not.
 */
/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bs.h"

struct bs_fetch {
	CURL *h;
	struct curl_slist *hdrs;
	char *base;
	int retries;
	int overflow;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct kp_buf *b = arg;

	if (kp_buf_add(b, p, size * n) < 0)
		return 0;
	return size * n;
}

struct bs_fetch *
bs_fetch_new(const char *base, const char *auth, long timeout_ms,
    int retries)
{
	struct bs_fetch *f = kp_xcalloc(1, sizeof(*f));
	struct kp_buf h;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((f->h = curl_easy_init()) == NULL)
		kp_die(KP_EXIT_TEMP, "curl_easy_init failed");
	f->base = kp_xstrdup(base);
	f->retries = retries;
	kp_buf_init(&h, 8192);
	kp_buf_addstr(&h, "Authorization: token ");
	kp_buf_addstr(&h, auth);
	kp_buf_addc(&h, 0);
	f->hdrs = curl_slist_append(f->hdrs, "X-Kite-Version: 3");
	f->hdrs = curl_slist_append(f->hdrs, h.p);
	memset(h.p, 0, h.len);
	kp_buf_free(&h);
	curl_easy_setopt(f->h, CURLOPT_HTTPHEADER, f->hdrs);
	curl_easy_setopt(f->h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(f->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(f->h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(f->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->h, CURLOPT_USERAGENT, "kitepipe-book-sync/1");
	curl_easy_setopt(f->h, CURLOPT_WRITEFUNCTION, on_body);
	return f;
}

void
bs_fetch_free(struct bs_fetch *f)
{
	if (f == NULL)
		return;
	curl_easy_cleanup(f->h);
	curl_slist_free_all(f->hdrs);
	free(f->base);
	free(f);
	curl_global_cleanup();
}

static void
sleep_ms(uint32_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The message of Kite's error envelope, or the start of the body. */
static void
why(const struct kp_buf *b, char *out, size_t n)
{
	const char *m;
	size_t l = b->len < n - 1 ? b->len : n - 1;

	memcpy(out, b->p ? b->p : "", l);
	out[l] = 0;
	if ((m = strstr(out, "\"message\":\"")) != NULL)
		memmove(out, m + 11, strlen(m + 11) + 1);
	out[strcspn(out, "\"\r\n")] = 0;
}

int
bs_fetch_get(struct bs_fetch *f, const char *path, struct kp_buf *body)
{
	struct kp_buf url;
	struct kp_backoff bo;
	char cerr[CURL_ERROR_SIZE], msg[200];
	long code;
	CURLcode cc;
	int attempt, rc = KP_EXIT_TEMP;

	kp_buf_init(&url, 4096);
	kp_buf_addstr(&url, f->base);
	kp_buf_addstr(&url, path);
	kp_buf_addc(&url, 0);
	curl_easy_setopt(f->h, CURLOPT_URL, url.p);
	curl_easy_setopt(f->h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(f->h, CURLOPT_ERRORBUFFER, cerr);
	kp_backoff_init(&bo, 200, 5000, kp_rng_seed_auto());
	for (attempt = 0;; attempt++) {
		kp_buf_reset(body);
		cerr[0] = 0;
		code = 0;
		kp_debug("GET %s", path);
		cc = curl_easy_perform(f->h);
		curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &code);
		if (cc == CURLE_WRITE_ERROR) {
			kp_log(KP_LOG_FATAL, "%s: the answer is over %zu bytes",
			    path, body->max);
			break;
		}
		if (cc == CURLE_OK && code == 200) {
			rc = 0;
			break;
		}
		why(body, msg, sizeof(msg));
		if (cc == CURLE_OK && code < 500 && code != 429) {
			kp_log(KP_LOG_FATAL, "%s: HTTP %ld: %s", path, code,
			    msg);
			rc = KP_EXIT_PERM;
			break;
		}
		if (cc != CURLE_OK)
			kp_warn("%s: %s", path, cerr[0] ? cerr :
			    curl_easy_strerror(cc));
		else
			kp_warn("%s: HTTP %ld: %s", path, code, msg);
		if (attempt >= f->retries) {
			kp_log(KP_LOG_FATAL, "%s: giving up after %d attempts",
			    path, attempt + 1);
			break;
		}
		sleep_ms(kp_backoff_next(&bo));
	}
	curl_easy_setopt(f->h, CURLOPT_ERRORBUFFER, NULL);
	kp_buf_free(&url);
	return rc;
}
