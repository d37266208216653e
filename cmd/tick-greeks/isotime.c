/* isotime.c: ISO 8601 timestamps of Kite's historical candles. */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kp_greeks.h"
#include "kp_instr.h"

/* "2025-11-20T09:15:00+0530" (or +05:30, Z, none = IST) to epoch. */
double
kp_iso_time(const char *s)
{
	int Y, M, D, h, m, sec, n = 0, oh = 5, om = 30, sign = 1;
	int32_t days;
	const char *z;

	if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &Y, &M, &D, &h, &m,
	    &sec, &n) != 6 || n == 0)
		return NAN;
	z = s + n;
	if (*z == '.')
		z += 1 + strspn(z + 1, "0123456789");
	if (*z == 'Z')
		oh = om = 0;
	else if (*z == '+' || *z == '-') {
		sign = *z == '-' ? -1 : 1;
		if (sscanf(z + 1, "%2d:%2d", &oh, &om) != 2 &&
		    sscanf(z + 1, "%2d%2d", &oh, &om) != 2)
			return NAN;
	}
	if (kp_instr_date(s, 10, &days) < 0 || h < 0 || h > 23 || m < 0 ||
	    m > 59 || sec < 0 || sec > 60 || oh < 0 || oh > 14 || om < 0 ||
	    om > 59)
		return NAN;
	(void)Y;
	(void)M;
	(void)D;
	return (double)days * 86400 + h * 3600 + m * 60 + sec -
	    sign * (oh * 3600 + om * 60);
}
