/*
 * ws-fanout: ticks from Redis (or NDJSON on stdin) to WebSocket clients,
 * JWT-authenticated, with per-client conflation; HTTP /health, /stats,
 * /metrics and a live option-chain page on the same port.  ws-fanout(1).
 */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wf.h"

static void
load_chain(struct wf *w)
{
	struct kp_buf b;
	char buf[65536];
	ssize_t n;
	int fd;

	if (w->o->chain_path == NULL)
		return;
	fd = open(w->o->chain_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		kp_die(KP_EXIT_PERM, "unable to open %s:", w->o->chain_path);
	kp_buf_init(&b, 64 << 20);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (kp_buf_add(&b, buf, (size_t)n) < 0)
			kp_die(KP_EXIT_PERM, "%s: larger than 64 MiB",
			    w->o->chain_path);
	if (n < 0)
		kp_die(KP_EXIT_PERM, "unable to read %s:", w->o->chain_path);
	close(fd);
	w->chain = b.p != NULL ? b.p : "";
	w->chain_len = b.len;
}

static void
lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	/* lws lines start with a timestamp; ours carry none */
	if (line[0] == '[') {
		const char *p = strchr(line, ']');

		if (p != NULL && p < line + n) {
			n -= (size_t)(p + 2 - line) < n ?
			    (size_t)(p + 2 - line) : n;
			line = p + 2;
		}
	}
	kp_log(level == LLL_ERR ? KP_LOG_WARN : KP_LOG_DEBUG, "lws: %.*s",
	    (int)n, line);
}

static const struct lws_extension exts[] = {
	{ "permessage-deflate", lws_extension_callback_pm_deflate,
	    "permessage-deflate; client_no_context_takeover; "
	    "client_max_window_bits" },
	{ NULL, NULL, NULL }
};

static void
on_tick(lws_sorted_usec_list_t *sul)
{
	struct wf *w = lws_container_of(sul, struct wf, tick_sul);

	wf_check_slow(w);
	lws_sul_schedule(w->ctx, 0, &w->tick_sul, on_tick,
	    200 * LWS_US_PER_MS);
}

void
wf_ready(struct wf *w)
{
	if (w->ready_sent)
		return;
	w->ready_sent = 1;
	if (kp_ready_notify(w->o->ready_fd) < 0)
		kp_warn("unable to notify readiness:");
}

/*
 * lws 4.1 binds iface on an IPv6 socket unless IPv6 is off: an IPv4
 * address became [::], dual-stack.  So IPv6 is off for an IPv4 address,
 * and an IPv6 address gets an IPv6-only socket.
 */
static uint64_t
listen_options(const struct wf_opts *o)
{
	struct sockaddr_storage sa;

	if (wf_listen_parse(o->listen, &sa) == 0 && sa.ss_family == AF_INET)
		return LWS_SERVER_OPTION_DISABLE_IPV6;
	return LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY |
	    LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
}

/*
 * What the kernel bound, not the text of -l, decides: it must be -l's
 * address, and loopback if there is no authentication.  Nothing has been
 * accepted yet: lws_service has not run.
 */
static void
check_listener(struct wf *w, char *addr, size_t size)
{
	struct sockaddr_storage sa;
	char err[KP_ERRLEN];

	if (wf_listen_check(w->o, &sa, err) < 0)
		kp_die(KP_EXIT_TEMP, "unable to listen on %s port %lld: %s",
		    w->o->listen, w->o->port, err);
	wf_sockaddr_str(&sa, addr, size);
	if (w->o->insecure && !wf_sockaddr_loopback(&sa))
		kp_die(KP_EXIT_PERM, "--insecure-no-auth is only allowed on "
		    "a loopback address, and %s is not one", addr);
}

static void
start(struct wf *w)
{
	struct lws_context_creation_info ci;
	char err[KP_ERRLEN], addr[INET6_ADDRSTRLEN];

	memset(&ci, 0, sizeof(ci));
	ci.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
	    LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (w->o->cert != NULL)
		ci.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	ci.user = w;
	ci.max_http_header_data = KP_JWT_MAX + 2048;
	ci.fd_limit_per_thread = 0;
	w->ctx = lws_create_context(&ci);
	if (w->ctx == NULL)
		kp_die(KP_EXIT_TEMP, "unable to create the lws context");

	memset(&ci, 0, sizeof(ci));
	ci.vhost_name = "raw";
	ci.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	ci.protocols = wf_raw_protocols;
	w->raw_vh = lws_create_vhost(w->ctx, &ci);
	if (w->raw_vh == NULL)
		kp_die(KP_EXIT_TEMP, "unable to create the raw vhost");

	memset(&ci, 0, sizeof(ci));
	ci.vhost_name = "ws-fanout";
	ci.port = (int)w->o->port;
	ci.iface = w->o->listen;
	ci.protocols = wf_protocols;
	ci.extensions = exts;
	ci.ssl_cert_filepath = w->o->cert;
	ci.ssl_private_key_filepath = w->o->key;
	ci.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | listen_options(w->o);
	if (w->o->cert != NULL)
		ci.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	w->vh = lws_create_vhost(w->ctx, &ci);
	if (w->vh == NULL)
		kp_die(KP_EXIT_TEMP, "unable to listen on %s port %lld",
		    w->o->listen, w->o->port);
	check_listener(w, addr, sizeof(addr));

	if (wf_signals_start(w) < 0)
		kp_die(KP_EXIT_TEMP, "unable to watch signals");
	if (w->o->use_stdin) {
		if (wf_stdin_start(w) < 0)
			kp_die(KP_EXIT_TEMP, "unable to read stdin:");
		wf_ready(w);
	} else if (wf_redis_start(w, err) < 0) {
		kp_die(KP_EXIT_PERM, "%s", err);
	}
	lws_sul_schedule(w->ctx, 0, &w->tick_sul, on_tick,
	    200 * LWS_US_PER_MS);
	kp_info("listening on %s port %lld%s, source %s, auth %s",
	    addr, w->o->port, w->o->cert != NULL ? " (TLS)" : "",
	    w->o->use_stdin ? "stdin" : "redis",
	    w->o->insecure ? "NONE (--insecure-no-auth)" : "JWT");
}

int
main(int argc, char **argv)
{
	static struct wf w;
	struct wf_opts o;
	char err[KP_ERRLEN];

	kp_log_init(WF_PROG);
	kp_fds_ensure();
	memset(&o, 0, sizeof(o));
	wf_opts_parse(&o, argc, argv);
	w.o = &o;
	w.pol.iss = o.iss;
	w.pol.aud = o.aud;
	w.pol.leeway_s = o.leeway_ms / 1000;
	w.started_ms = kp_mono_ms();
	if (wf_auth_load(&w, err) < 0)
		kp_die(KP_EXIT_PERM, "%s", err);
	load_chain(&w);
	w.sigfd = kp_sig_init();
	if (w.sigfd < 0)
		kp_die(KP_EXIT_TEMP, "unable to set up signals:");
	lws_set_log_level(LLL_ERR | (kp_log_get_level() >= KP_LOG_DEBUG ?
	    LLL_WARN : 0), lws_log_emit);
	start(&w);
	while (!w.stopping)
		if (lws_service(w.ctx, 0) < 0)
			break;
	lws_context_destroy(w.ctx);
	wf_redis_free(&w);
	kp_jwt_keys_free(w.keys);
	return KP_EXIT_OK;
}
