/* greeks_data.h: reading ../shared/testdata/greeks CSVs in unit tests. */
/* SPDX-License-Identifier: MIT */
#ifndef KP_GREEKS_DATA_H
#define KP_GREEKS_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

#define MAXF 32

/* Split one CSV record (RFC 4180 quotes, no embedded newlines) in place. */
static int
split(char *line, char **f)
{
	int n = 0;
	char *p = line, *w;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < MAXF) {
		f[n++] = w = p;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0')
					break;
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else
					*w++ = *p++;
			}
		} else
			while (*p != ',' && *p != '\0')
				*w++ = *p++;
		if (*p == '\0') {
			*w = '\0';
			break;
		}
		*w = '\0';
		p++;
	}
	return n;
}

/* The option's type, S, K, T, r, q from fields i..i+5, price at p. */
struct row {
	int call;
	double S, K, T, r, q, price;
};

static void
parse_row(char **f, int i, int p, struct row *o)
{
	o->call = f[i][0] == 'C';
	o->S = strtod(f[i + 1], NULL);
	o->K = strtod(f[i + 2], NULL);
	o->T = strtod(f[i + 3], NULL);
	o->r = strtod(f[i + 4], NULL);
	o->q = strtod(f[i + 5], NULL);
	o->price = strtod(f[p], NULL);
}

/* Open greeks/NAME under $KP_TESTDATA and skip its header line. */
static FILE *
open_data(const char *name)
{
	const char *dir = getenv("KP_TESTDATA");
	char path[1024], line[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/greeks/%s",
	    dir ? dir : "../shared/testdata", name);
	fp = fopen(path, "r");
	t_ok(fp != NULL, "open %s", path);
	if (fp != NULL && fgets(line, sizeof(line), fp) == NULL) {
		t_ok(0, "header of %s", path);
		fclose(fp);
		fp = NULL;
	}
	return fp;
}

#endif
