/*
 * instrname.c: the instrument-list row of an underlying that options
 * name otherwise (NIFTY's options, the index row "NIFTY 50").
 */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "kp_instr.h"

/* Index options name the index otherwise than its own row does. */
static const char *const index_of[][2] = {
	{ "NIFTY", "NIFTY 50" },
	{ "BANKNIFTY", "NIFTY BANK" },
	{ "FINNIFTY", "NIFTY FIN SERVICE" },
	{ "MIDCPNIFTY", "NIFTY MID SELECT" },
};

int
kp_instr_is_underlying(const char *name, const struct kp_instr *in)
{
	size_t i;

	if (in->type != KP_INSTR_EQ)
		return 0;
	for (i = 0; i < sizeof index_of / sizeof index_of[0]; i++)
		if (strcmp(name, index_of[i][0]) == 0 &&
		    strcmp(in->tradingsymbol, index_of[i][1]) == 0)
			return 1;
	return strcmp(in->tradingsymbol, name) == 0;
}
