/*
 * listen.c: the listening address.  -l is a numeric IPv4 or IPv6 address;
 * lws binds it (IPv6 turned off on the vhost for an IPv4 address, V6ONLY
 * for an IPv6 one), and then the socket lws bound is found and checked
 * against -l, and for --insecure-no-auth against loopback, by getsockname.
 */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "wf.h"

int
wf_listen_parse(const char *text, struct sockaddr_storage *sa)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		return 0;
	}
	/* an IPv4-mapped address cannot be bound on an IPv6-only socket */
	if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1 &&
	    !IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
		a6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

int
wf_sockaddr_loopback(const struct sockaddr_storage *sa)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;
	const uint8_t *b;

	if (sa->ss_family == AF_INET)
		return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	if (sa->ss_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
		return 1;
	b = a6->sin6_addr.s6_addr;
	return IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) && b[12] == 127;
}

void
wf_sockaddr_str(const struct sockaddr_storage *sa, char *buf, size_t len)
{
	const void *p = sa->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)sa)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	if (inet_ntop(sa->ss_family, p, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr,
	    sizeof(struct in6_addr)) == 0;
}

static int
sock_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return -1;
}

/*
 * The TCP socket of this process that listens on port, or -1.  lws 4.1
 * has no public accessor for a vhost's listening socket, so the process's
 * descriptors are looked at; ws-fanout opens no other listening socket.
 */
static int
find_listener(int port, struct sockaddr_storage *sa, char *err)
{
	struct sockaddr_storage t;
	DIR *d;
	struct dirent *e;
	socklen_t n;
	char *end;
	long fd;
	int v, found = -1;

	d = opendir("/proc/self/fd");
	if (d == NULL) {
		snprintf(err, KP_ERRLEN, "unable to read /proc/self/fd: %s",
		    strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		fd = strtol(e->d_name, &end, 10);
		if (end == e->d_name || *end != '\0' || fd < 0 ||
		    fd > INT_MAX || fd == dirfd(d))
			continue;
		n = sizeof(v);
		if (getsockopt((int)fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &n) < 0
		    || v == 0)
			continue;
		n = sizeof(t);
		if (getsockname((int)fd, (struct sockaddr *)&t, &n) < 0 ||
		    sock_port(&t) != port)
			continue;
		if (found >= 0) {
			snprintf(err, KP_ERRLEN, "more than one socket "
			    "listens on port %d", port);
			found = -1;
			break;
		}
		found = (int)fd;
		*sa = t;
	}
	closedir(d);
	if (found < 0 && err[0] == '\0')
		snprintf(err, KP_ERRLEN, "nothing listens on port %d (lws "
		    "could not bind it)", port);
	return found;
}

int
wf_listen_check(const struct wf_opts *o, struct sockaddr_storage *got,
    char err[KP_ERRLEN])
{
	struct sockaddr_storage want;
	char a[INET6_ADDRSTRLEN];
	socklen_t n;
	int fd, v;

	err[0] = '\0';
	if (wf_listen_parse(o->listen, &want) < 0) {
		snprintf(err, KP_ERRLEN, "-l %s: not an IPv4 or IPv6 address",
		    o->listen);
		return -1;
	}
	fd = find_listener((int)o->port, got, err);
	if (fd < 0)
		return -1;
	wf_sockaddr_str(got, a, sizeof(a));
	if (!same_addr(&want, got)) {
		snprintf(err, KP_ERRLEN, "bound %s, not the %s of -l", a,
		    o->listen);
		return -1;
	}
	n = sizeof(v);
	if (got->ss_family == AF_INET6 && (getsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v, &n) < 0 || v == 0)) {
		snprintf(err, KP_ERRLEN, "the socket on %s is not IPv6-only",
		    a);
		return -1;
	}
	return 0;
}
