/* hist.c: placeholder until historical candles land. */
#include "restx.h"
void
hist_handle(struct sim *s, const char *token, const char *interval,
    const struct kp_form *q, struct sim_resp *r)
{
	(void)s; (void)token; (void)interval; (void)q;
	rest_err(r, 503, "GeneralException", "historical: not yet");
}
