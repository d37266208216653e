/*
 * kite-sim: a Kite Connect simulator.  One libwebsockets context on one
 * port serves Kite's ticker WebSocket and REST API over a simulated
 * Indian F&O market; faults can be injected for tests.  See kite-sim(1).
 */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "simx.h"


struct simx_opts simx = {
	.vol = 0.15,
	.atm = 0.13,
	.skew = -0.4,
	.curv = 2.0,
	.term = 0,
	.r = 0.065,
	.q = 0.012,
	.step_us = 250000,
	.replay_speed = 1,
};


static volatile int stopping;	/* set by the signal pipe's callback */

static struct sim *
sim_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

static int
kite_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	return sim_http_cb(sim_of(wsi), wsi, reason, user, in, len);
}

static void
stats_line(struct sim *s)
{
	struct sim_tk_stats st;
	struct kp_buf b;

	sim_ticker_stats(s, &st);
	kp_buf_init(&b, 4096);
	sim_control(s, "status", &b);
	kp_buf_addc(&b, '\0');
	if (b.p != NULL)
		kp_info("stats %s", b.p + 3);
	kp_buf_free(&b);
}

static int
sig_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	(void)user;
	(void)in;
	(void)len;
	if (reason != LWS_CALLBACK_RAW_RX_FILE)
		return 0;
	kp_sig_drain();
	if (kp_sig_take(SIGUSR1) || kp_sig_take(SIGALRM))
		stats_line(sim_of(wsi));
	if (kp_sig_take(SIGHUP))
		kp_info("SIGHUP: nothing to reload");
	if (kp_sig_stopping()) {
		stopping = 1;
		lws_cancel_service(lws_get_context(wsi));
	}
	return 0;
}

static int
ctl_listen_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	(void)in;
	(void)len;
	return sim_ctl_cb(sim_of(wsi), wsi, reason, user, true);
}

static int
ctl_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	(void)in;
	(void)len;
	return sim_ctl_cb(sim_of(wsi), wsi, reason, user, false);
}

static struct lws_protocols protocols[] = {
	{ "kite", kite_cb, 0, 0, 0, NULL, 1 << 20 },
	{ "sim-sig", sig_cb, 0, 0, 0, NULL, 0 },
	{ "sim-ctl-listen", ctl_listen_cb, sizeof(void *), 0, 0, NULL, 0 },
	{ "sim-ctl", ctl_cb, sizeof(void *), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
adopt(struct lws_vhost *vh, int fd, const char *proto)
{
	lws_sock_file_fd_type u;

	u.filefd = fd;
	if (lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, u, proto,
	    NULL) == NULL)
		kp_die(KP_EXIT_TEMP, "unable to adopt a descriptor into lws");
}

static int
control_socket(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		kp_die(KP_EXIT_PERM, "-c %s: path too long", path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		kp_die(KP_EXIT_TEMP, "unable to create the control socket:");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 16) < 0)
		kp_die(KP_EXIT_TEMP, "unable to listen on %s:", path);
	return fd;
}

static void
write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0)
		kp_die(KP_EXIT_TEMP, "unable to write %s:", path);
}

static void
lws_logger(int level, const char *line)
{
	size_t n = strlen(line);

	(void)level;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	kp_debug("lws: %.*s", (int)n, line);
}

static struct lws_context *
start_lws(struct sim *s, struct main_opts *o, int *port)
{
	struct lws_context_creation_info info;
	struct lws_context *cx;
	struct lws_vhost *vh;
	int sigfd;

	lws_set_log_level(kp_log_get_level() >= KP_LOG_DEBUG ?
	    LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR, lws_logger);
	protocols[0].per_session_data_size = sim_http_sess_size();
	memset(&info, 0, sizeof(info));
	info.port = (int)o->port;
	info.iface = o->addr;
	info.protocols = protocols;
	info.user = s;
	info.gid = -1;
	info.uid = -1;
	/* an IPv6 address (with a ':') listens on IPv6 */
	info.options = strchr(o->addr, ':') != NULL ? 0 :
	    LWS_SERVER_OPTION_DISABLE_IPV6;
	info.timeout_secs = 30;
	info.pt_serv_buf_size = 64 * 1024;
	info.max_http_header_data = 16 * 1024;	/* long queries */
	cx = lws_create_context(&info);
	if (cx == NULL) {
		kp_log(KP_LOG_FATAL, "unable to listen on %s port %lld",
		    o->addr, o->port);
		/* _exit: lws leaks on this path, and nothing needs flushing
		 * (stdout is still unwritten); exit() would run LSan on it */
		_exit(KP_EXIT_TEMP);
	}
	s->lws_context = cx;
	vh = lws_get_vhost_by_name(cx, "default");
	if (vh == NULL)
		kp_die(KP_EXIT_TEMP, "lws has no default vhost");
	*port = lws_get_vhost_listen_port(vh);
	/* after lws_create_context, which installs handlers of its own */
	sigfd = kp_sig_init();
	if (sigfd < 0)
		kp_die(KP_EXIT_TEMP, "unable to set up signals:");
	adopt(vh, sigfd, "sim-sig");
	if (o->control != NULL)
		adopt(vh, control_socket(o->control), "sim-ctl-listen");
	return cx;
}

/* The model moves (and limit orders fill) even with no ticker client. */
struct market_timer {
	struct sim *s;
	lws_sorted_usec_list_t sul;
};

static void
market_cb(lws_sorted_usec_list_t *sul)
{
	struct market_timer *mt = lws_container_of(sul, struct market_timer,
	    sul);

	sim_market_step(mt->s);
	sim_rest_on_market(mt->s);
	lws_sul_schedule(mt->s->lws_context, 0, &mt->sul, market_cb,
	    LWS_US_PER_SEC);
}


int
main(int argc, char **argv)
{
	static struct sim s;
	static struct market_timer mt;
	struct main_opts o;
	char *owned[2] = { NULL, NULL };
	struct lws_context *cx;
	int port;

	kp_log_init(SIM_PROG);
	kp_fds_ensure();
	sim_defaults(&s, &o);
	kp_env_duration_ms("KITEPIPE_STATS_INTERVAL", 0, 86400000, &o.stats_ms);
	sim_parse_args(&s, &o, argc, argv);
	if (o.ready_fd >= 0 && kp_ready_check_fd(o.ready_fd) < 0)
		kp_die(KP_EXIT_PERM, "-d %d: not an open descriptor:",
		    o.ready_fd);
	sim_credentials(&s.conf, owned);
	sim_accounts_init(&s);
	for (int i = 0; i < o.n_account; i++)
		sim_account_add(&s, o.account[i]);
	kp_rng_seed(&s.rng, s.conf.seed ^ 0x5eed);
	if (sim_market_init(&s) < 0 || sim_ticker_init(&s) < 0)
		return KP_EXIT_PERM;
	sim_freeze_opts(&s, &o);
	if (sim_rest_init(&s) < 0)
		return KP_EXIT_PERM;
	cx = start_lws(&s, &o, &port);
	kp_stats_timer(o.stats_ms);
	mt.s = &s;
	lws_sul_schedule(cx, 0, &mt.sul, market_cb, LWS_US_PER_SEC);
	if (o.port_file != NULL)
		write_port_file(o.port_file, port);
	{
		const char *lb = strchr(o.addr, ':') ? "[" : "";
		const char *rb = *lb ? "]" : "";

		printf("KITE_WS_URL=ws://%s%s%s:%d KITE_API_URL=http://%s%s%s:"
		    "%d\n", lb, o.addr, rb, port, lb, o.addr, rb, port);
	}
	fflush(stdout);
	kp_info("listening addr=%s port=%d", o.addr, port);
	if (kp_ready_notify(o.ready_fd) < 0)
		kp_warn("unable to notify readiness:");
	/* the flag too: a signal pipe lws stopped reporting must not leave
	 * us serving (spinning) after SIGTERM */
	while (!stopping && !kp_sig_stopping())
		if (lws_service(cx, 0) < 0)
			break;
	kp_ready_sd("STOPPING=1");
	kp_info("stopping");
	lws_sul_cancel(&mt.sul);
	lws_context_destroy(cx);
	sim_ticker_free(&s);
	sim_rest_free(&s);
	sim_market_free(&s);
	sim_accounts_free(&s);
	if (o.control != NULL)
		unlink(o.control);
	free(owned[0]);
	free(owned[1]);
	return KP_EXIT_OK;
}
