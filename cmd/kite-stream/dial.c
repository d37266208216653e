/*
 * dial.c: the transport under kite-stream's ticker connections: the host
 * name looked up on a thread (the loop never waits for a resolver), TCP
 * connect(2) over the addresses in turn, the TLS handshake with the
 * server's certificate verified, and reads and writes on either.  What
 * fails comes back to conn.c in a why buffer; nothing here calls it.
 */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ks.h"

static int
tls_result(struct ks_conn *c, int r, const char *what, char *why, size_t wl)
{
	int e = SSL_get_error(c->ssl, r), saved = errno;
	unsigned long q;
	long v;
	const char *s;

	c->want_r = c->want_w = false;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		c->want_r = true;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->want_w = true;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (saved == 0)
				return 0;
			snprintf(why, wl, "%s: %s", what, strerror(saved));
			return -2;
		}
		break;
	default:
		break;
	}
	q = ERR_get_error();
	v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK)
		snprintf(why, wl, "TLS: certificate verification failed: %s",
		    X509_verify_cert_error_string(v));
	else if (q != 0 && (s = ERR_reason_error_string(q)) != NULL)
		snprintf(why, wl, "TLS %s: %s", what, s);
	else
		snprintf(why, wl, "TLS %s: error %d", what, e);
	ERR_clear_error();
	return -2;
}

ssize_t
ks_dial_rw(struct ks_conn *c, void *p, size_t n, bool wr, char *why,
    size_t wl)
{
	ssize_t r;

	if (n > 1u << 30)
		n = 1u << 30;
	if (c->ssl != NULL) {
		int k;

		ERR_clear_error();
		errno = 0;
		k = wr ? SSL_write(c->ssl, p, (int)n) : SSL_read(c->ssl, p,
		    (int)n);
		if (k > 0)
			return k;
		k = tls_result(c, k, wr ? "write" : "read", why, wl);
		if (k == 0 && wr) {
			snprintf(why, wl, "closed by the server (code 1006)");
			return -2;
		}
		return k;
	}
	do
		r = wr ? send(c->fd, p, n, MSG_NOSIGNAL) : recv(c->fd, p, n,
		    0);
	while (r < 0 && errno == EINTR);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -1;
	snprintf(why, wl, "%s: %s", wr ? "write" : "read", strerror(errno));
	return -2;
}

/* Append one frame to what is to be written; 0, or -1. */
/* 1 done, 0 wait, -1 failed with why. */
static int
tls_step(struct ks_conn *c, char *why, size_t wl)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_connect(c->ssl);
	if (r == 1) {
		c->want_r = c->want_w = false;
		return 1;
	}
	r = tls_result(c, r, "handshake", why, wl);
	if (r == -1)
		return 0;
	if (r == 0)
		snprintf(why, wl, "TLS handshake: closed by the server");
	return -1;
}

/* 1 done, 0 wait, -1 failed with why. */
static int
tls_start(struct ks *l, struct ks_conn *c, char *why, size_t wl)
{
	struct in_addr a4;
	struct in6_addr a6;

	c->ssl = SSL_new(l->tls_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		snprintf(why, wl, "TLS: out of memory");
		return -1;
	}
	if (inet_pton(AF_INET, l->host, &a4) == 1 ||
	    inet_pton(AF_INET6, l->host, &a6) == 1) {
		(void)X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
		    l->host);
	} else if (SSL_set_tlsext_host_name(c->ssl, l->host) != 1 ||
	    SSL_set1_host(c->ssl, l->host) != 1) {
		snprintf(why, wl, "TLS: unable to set the host name");
		return -1;
	}
	c->ph = KS_P_TLS;
	return tls_step(c, why, wl);
}

/* Start connect(2) to the next address; 0, or -1 with why. */
static int
tcp_next(struct ks_conn *c, char *why, size_t wl)
{
	struct addrinfo *a;
	int fd, one = 1;

	while ((a = c->ai_next) != NULL) {
		c->ai_next = a->ai_next;
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			snprintf(why, wl, "socket: %s", strerror(errno));
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			c->fd = fd;
			c->ph = KS_P_TCP;
			return 0;
		}
		snprintf(why, wl, "connect: %s", strerror(errno));
		close(fd);
	}
	return -1;
}

/* connect(2) finished, one way or the other: 1 the transport is up, 0
 * wait, -1 failed with why. */
static int
tcp_done(struct ks *l, struct ks_conn *c, char *why, size_t wl)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS)
		return 0;
	if (err != 0) {
		snprintf(why, wl, "connect: %s", strerror(err));
		close(c->fd);
		c->fd = -1;
		return tcp_next(c, why, wl) < 0 ? -1 : 0;
	}
	if (l->tls_ctx != NULL)
		return tls_start(l, c, why, wl);
	return 1;
}

int
ks_dial_step(struct ks *l, struct ks_conn *c, char *why, size_t wl)
{
	if (c->ph == KS_P_TCP)
		return tcp_done(l, c, why, wl);
	return tls_step(c, why, wl);
}

static void *
lookup_run(void *arg)
{
	struct ks_lookup *q = arg;
	struct addrinfo hints;
	ssize_t n;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	errno = 0;
	q->rc = getaddrinfo(q->host, q->port, &hints, &q->res);
	q->err = errno;
	/* a pointer is less than PIPE_BUF: written whole */
	do
		n = write(q->wfd, &q, sizeof(q));
	while (n < 0 && errno == EINTR);
	return NULL;
}

/* Start looking up the host for c on a thread; 0, or -1 with why. */
static int
lookup_start(struct ks *l, struct ks_conn *c, char *why, size_t wl)
{
	struct ks_lookup *q = kp_xcalloc(1, sizeof(*q));
	pthread_attr_t a;
	pthread_t t;
	sigset_t all, old;
	int r;

	snprintf(q->host, sizeof(q->host), "%s", l->host);
	snprintf(q->port, sizeof(q->port), "%d", l->port);
	q->conn = c->id;
	q->wfd = l->dns_fd[1];
	/* signals are the loop's: the thread blocks them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_attr_init(&a);
	if (r == 0) {
		(void)pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		r = pthread_create(&t, &a, lookup_run, q);
		pthread_attr_destroy(&a);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		free(q);
		snprintf(why, wl, "unable to start a name lookup: %s",
		    strerror(r));
		return -1;
	}
	c->dns = q;
	return 0;
}

int
ks_dial_addrs(struct ks *l, struct ks_conn *c, int rc, int err,
    struct addrinfo *res, char *why, size_t wl)
{
	if (rc != 0) {
		snprintf(why, wl, "%s: %s", l->host,
		    rc == EAI_SYSTEM ? strerror(err) : gai_strerror(rc));
		return -1;
	}
	c->ai = c->ai_next = res;
	snprintf(why, wl, "%s: no address", l->host);
	return tcp_next(c, why, wl);
}

struct ks_lookup *
ks_dial_lookup_next(struct ks *l)
{
	struct ks_lookup *q;

	if (read(l->dns_fd[0], &q, sizeof(q)) == (ssize_t)sizeof(q))
		return q;
	return NULL;
}

int
ks_dial_start(struct ks *l, struct ks_conn *c, char *why, size_t wl)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int r;

	if (!l->numeric_host) {
		/* the connect timeout counts from now (periodic) */
		c->ph = KS_P_DNS;
		if (c->dns == NULL && lookup_start(l, c, why, wl) < 0)
			return -1;
		return 0;
	}
	/* an IP address: no resolver involved */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%d", l->port);
	r = getaddrinfo(l->host, port, &hints, &res);
	return ks_dial_addrs(l, c, r, errno, r == 0 ? res : NULL, why, wl);
}

static SSL_CTX *
tls_context(void)
{
	SSL_CTX *x = SSL_CTX_new(TLS_client_method());

	if (x == NULL || SSL_CTX_set_min_proto_version(x, TLS1_2_VERSION) !=
	    1 || SSL_CTX_set_default_verify_paths(x) != 1)
		kp_die(KP_EXIT_TEMP, "unable to set up TLS (OpenSSL: %s)",
		    ERR_reason_error_string(ERR_get_error()) ?
		    ERR_reason_error_string(ERR_get_error()) : "error");
	SSL_CTX_set_verify(x, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(x, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(x, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return x;
}

void
ks_dial_init(struct ks *l)
{
	unsigned k;

	if (l->tls)
		l->tls_ctx = tls_context();
	/*
	 * Never closed: a lookup still running when we return writes to it
	 * at its end, and must not find the number reused by another file.
	 */
	if (pipe(l->dns_fd) < 0)
		kp_die(KP_EXIT_TEMP, "pipe:");
	for (k = 0; k < 2; k++)
		if (fcntl(l->dns_fd[k], F_SETFL, O_NONBLOCK) < 0 ||
		    fcntl(l->dns_fd[k], F_SETFD, FD_CLOEXEC) < 0)
			kp_die(KP_EXIT_TEMP, "pipe:");
}
