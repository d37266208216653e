/* orders.c: placeholder until the order book lands. */
#include <stdlib.h>
#include "restx.h"
struct rest_orders { int n; };
struct rest_orders *orders_new(void) { return kp_xcalloc(1, sizeof(struct rest_orders)); }
void orders_free(struct rest_orders *o) { free(o); }
void
orders_handle(struct sim *s, struct rest_orders *o, const struct sim_req *req,
    const struct kp_form *form, struct sim_resp *r)
{
	(void)s; (void)o; (void)req; (void)form;
	rest_err(r, 503, "GeneralException", "orders: not yet");
}
void orders_on_market(struct sim *s, struct rest_orders *o) { (void)s; (void)o; }
int64_t orders_count(const struct rest_orders *o) { return o->n; }
