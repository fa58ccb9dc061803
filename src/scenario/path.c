// SPDX-License-Identifier: MIT
/*
 * The figures of one path: the verdict for its pair and what the run did
 * about it, RAM and link bytes (counter deltas), the link model's rate,
 * and progress reports.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scenario_internal.h"

double pdma__sc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Append to @r->why; with @replace_p2p, in place of a trailing "P2P" (the
 * verdict allowed it, the run did something else).
 */
void pdma__sc_why(struct pdma_path_result *r, bool replace_p2p,
		  const char *fmt, ...)
{
	size_t len = strlen(r->why);
	va_list ap;

	if (replace_p2p && len >= 3 && !strcmp(r->why + len - 3, "P2P"))
		len -= 3;
	va_start(ap, fmt);
	vsnprintf(r->why + len, sizeof(r->why) - len, fmt, ap);
	va_end(ap);
}

/*
 * The verdict for (@provider, @client) in @r: map type, P2P or not, and
 * @why.  @no_p2p_why (or NULL) is a reason outside the verdict that
 * forbids P2P (no CMB).  The flow's mode may still force a bounce.
 */
void pdma__sc_verdict(struct sc_env *e, int provider, int client,
		      struct pdma_path_result *r, const char *no_p2p_why)
{
	struct pdma_fabric *fab = e->local.fab;
	struct pdma_verdict v;
	const char *pn = pdma_fabric_func(fab, provider)->label;
	const char *cn = pdma_fabric_func(fab, client)->label;

	memset(&v, 0, sizeof(v));
	if (pdma_verdict_explain(fab, provider, client, &v)) {
		r->map_type = PDMA_MAP_UNKNOWN;
		snprintf(r->why, sizeof(r->why), "%s -> %s: no verdict: staged "
			 "through RAM", pn, cn);
		r->p2p = false;
		return;
	}
	r->map_type = v.map_type;
	if (v.map_type == PDMA_MAP_NOT_SUPPORTED) {
		const char *reason = "";

		/* The rule that refused, not the ones that led there. */
		for (int i = 0; i < v.nr_reasons && !reason[0]; i++)
			switch (v.reasons[i].rule) {
			case PDMA_RULE_HB_NOT_LISTED:
			case PDMA_RULE_HB_REQ_SAME:
			case PDMA_RULE_HB_NO_ROOT_DEV:
			case PDMA_RULE_CPU_TOO_OLD:
			case PDMA_RULE_ACS_UNKNOWN:
			case PDMA_RULE_IOMMU_BLOCKS:
				reason = v.reasons[i].text;
				break;
			default:
				break;
			}
		if (!reason[0] && v.nr_reasons)
			reason = v.reasons[v.nr_reasons - 1].text;
		snprintf(r->why, sizeof(r->why), "NOT_SUPPORTED (%s -> %s): "
			 "%.250s: staged through RAM", pn, cn, reason);
		r->p2p = false;
	} else if (no_p2p_why) {
		snprintf(r->why, sizeof(r->why), "%s (%s -> %s), but %.250s: "
			 "staged through RAM", pdma_map_type_name(v.map_type),
			 pn, cn, no_p2p_why);
		r->p2p = false;
	} else {
		snprintf(r->why, sizeof(r->why), "%s (%s -> %s), distance %d, "
			 "%s: P2P", pdma_map_type_name(v.map_type), pn, cn,
			 v.distance, pdma_path_class_name(v.path_class));
		r->p2p = true;
	}
	pdma_verdict_release(&v);
}

static void links_now(struct sc_env *e, uint64_t *out)
{
	int n = pdma_fabric_nr_funcs(e->local.fab);

	for (int f = 0; f < n; f++) {
		out[2 * f] = pdma_platform_link_bytes(e->local.plat, f,
						      PDMA_LINK_UP);
		out[2 * f + 1] = pdma_platform_link_bytes(e->local.plat, f,
							  PDMA_LINK_DOWN);
	}
}

/* Start counting a path: the counters are reset, links remembered. */
void pdma__sc_begin(struct sc_env *e, struct pdma_path_result *r)
{
	struct pdma_wire_stats ws;

	(void)r;
	pdma_platform_reset_stats(e->local.plat);
	links_now(e, e->link_before);
	pdma_wire_stats(e->wire, &ws);
	e->wire_before = ws.bytes;
}

/* Finish a path: RAM, wire and link bytes, measured rate. */
void pdma__sc_end(struct sc_env *e, struct pdma_path_result *r,
		  double seconds)
{
	int n = pdma_fabric_nr_funcs(e->local.fab);
	struct pdma_platform_stats st;
	struct pdma_wire_stats ws;

	pdma_platform_stats(e->local.plat, &st);
	pdma_wire_stats(e->wire, &ws);
	r->ram_bytes = st.ram_bytes;
	r->wire_bytes = ws.bytes - e->wire_before;
	r->seconds = seconds;
	r->measured_gbps = seconds > 0 ? (double)r->bytes / seconds / 1e9 : 0;
	r->nr_links = 0;
	for (int f = 0; f < n && r->nr_links < PDMA_SCENARIO_MAX_LINKS; f++) {
		uint64_t up = pdma_platform_link_bytes(e->local.plat, f,
						       PDMA_LINK_UP);
		uint64_t down = pdma_platform_link_bytes(e->local.plat, f,
							 PDMA_LINK_DOWN);

		up -= e->link_before[2 * f];
		down -= e->link_before[2 * f + 1];
		if (!up && !down)
			continue;
		r->links[r->nr_links++] = (struct pdma_scenario_link){
			f, up, down };
	}
}

/*
 * The modeled rate of a path whose @n legs run at once (a pipeline): the
 * slowest leg's max-min fair rate, and the wire's when the path crosses it.
 */
void pdma__sc_model(struct sc_env *e, struct pdma_path_result *r,
		    const struct pdma_flow *legs, int n)
{
	double rates[4], best = INFINITY;

	r->modeled_gbps = 0;
	int ret;

	if (n > 4)
		return;
	ret = pdma_platform_model_flows(e->local.plat, legs, n, NULL, rates);
	if (ret)
		return;
	for (int i = 0; i < n; i++)
		if (rates[i] < best)
			best = rates[i];
	if (r->wire_bytes && e->sc->wire_gbps / 8 < best)
		best = e->sc->wire_gbps / 8;
	r->modeled_gbps = isfinite(best) ? best : 0;
}

void pdma__sc_progress(struct sc_env *e, const struct pdma_scenario_flow *f,
		       uint64_t done, uint64_t total)
{
	if (e->opts && e->opts->progress)
		e->opts->progress(e->opts->ctx, f->name, done, total);
}
