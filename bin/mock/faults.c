/*
 * The faults: one row each, in the order they are drawn.  A row is all
 * there is to a fault but what it does (its "how"): the option that sets
 * its rate, its share of the draw, its /mock/stats counters and its usage.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mock.h"

struct fault mock_faults[] = {
	{ .option = "error-rate", .how = FH_ANSWER, .routes = ROUTES_ANY, .kinds = {
		{ .name = "500", .status = 500, .message = "injected fault: 500" },
		{ .name = "502", .status = 502, .message = "injected fault: 502" },
		{ .name = "503", .status = 503, .message = "injected fault: 503" } } },
	{ .option = "429-rate", .how = FH_ANSWER, .routes = ROUTES_ANY, .kinds = {
		{ .name = "429", .status = 429,
		    .message = "rate limited (injected fault)" } } },
	{ .option = "reset-rate", .how = FH_RESET, .routes = ROUTES_ANY,
	    .kinds = { { .name = "reset" } } },
	{ .option = "stall-rate", .how = FH_STALL, .routes = ROUTES_ANY,
	    .kinds = { { .name = "stall" } } },
	{ .option = "lose-rate", .how = FH_LOSE, .routes = ROUTES_SUBMIT,
	    .kinds = { { .name = "lose" } } },
	{ .option = NULL }
};

/*
 * Draw request seq's fault, if any: one uniform draw against the rates of
 * the faults that may hit its route, in table order, then an even one among
 * the fault's kinds.  Both are the seq-th of their streams, so the same seed
 * and the same requests give the same faults.
 */
void
mock_fault_draw(struct exchange *x, uint64_t seq)
{
	struct fault	*f;
	double		 u = mock_unif(S_FAULT, seq);
	unsigned	 n;

	for (f = mock_faults; f->option != NULL; f++) {
		if ((f->routes & 1u << x->route) != 0 && (u -= f->rate) < 0)
			break;
	}
	if (f->option == NULL)
		return;
	for (n = 0; n < FAULT_KINDS && f->kinds[n].name != NULL; n++)
		;
	x->fault = f;
	x->fault_kind = &f->kinds[mock_rnd(S_FAULT_KIND, seq) % n];
	atomic_fetch_add(&x->fault_kind->count, 1);
}

/* The "faults" member of /mock/stats: every kind of every fault, in order. */
void
mock_fault_stats(struct ia_buf *b)
{
	const struct fault	*f;
	const struct fault_kind	*k;
	const char		*sep = "";

	ia_buf_adds(b, "\"faults\":{");
	for (f = mock_faults; f->option != NULL; f++) {
		for (k = f->kinds; k < f->kinds + FAULT_KINDS && k->name != NULL; k++) {
			ia_buf_addf(b, "%s\"%s\":%llu", sep, k->name,
			    (unsigned long long)k->count);
			sep = ",";
		}
	}
	ia_buf_adds(b, "}");
}
