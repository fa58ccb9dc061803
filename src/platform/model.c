/* SPDX-License-Identifier: MIT */
/*
 * The link model on the platform: the routes of concurrent flows become
 * (link, direction) lists for the max-min fair solver (src/fabric/
 * linkmodel.c), each link's capacity its payload bandwidth from its current
 * generation and width.
 */
#include <errno.h>
#include <stdlib.h>

#include "platform_internal.h"

struct build {
	struct pdma_platform *plat;
	struct pdma_linkmodel *lm;
	const struct pdma_link_params *p;
	int *id_of;	/* per function: link id, -1 not yet, -2 no known link */
	int n, cap;
	int *links;
	enum pdma_link_dir *dirs;
};

static int link_of(struct build *b, int func)
{
	struct pdma_link l;
	double gbps;

	if (b->id_of[func] != -1)
		return b->id_of[func];
	b->id_of[func] = -2;
	if (!pdma__uplink(b->plat->fab, func, &l))
		return -2;
	gbps = pdma_link_data_gbps(l, b->p);
	if (gbps > 0 && pdma_linkmodel_add_link(b->lm, gbps, &b->id_of[func]))
		return -ENOMEM;
	return b->id_of[func];
}

static int push(struct build *b, int func, enum pdma_link_dir dir)
{
	int id = link_of(b, func);

	if (id == -2)
		return 0;
	if (id < 0)
		return id;
	if (b->n == b->cap) {
		int ncap = b->cap ? b->cap * 2 : 16;
		int *l = realloc(b->links, sizeof(*l) * (size_t)ncap);
		enum pdma_link_dir *d;

		if (!l)
			return -ENOMEM;
		b->links = l;
		d = realloc(b->dirs, sizeof(*d) * (size_t)ncap);
		if (!d)
			return -ENOMEM;
		b->dirs = d;
		b->cap = ncap;
	}
	b->links[b->n] = id;
	b->dirs[b->n] = dir;
	b->n++;
	return 0;
}

/* The links a segment's data crosses, the way account() counts them. */
static int route_links(struct build *b, int ini, const struct pdma_route *r,
		       bool to_target)
{
	const struct pdma_fabric *fab = b->plat->fab;
	int stop = r->via_host_bridge ? PDMA_NONE : r->turn, ret = 0;
	const struct pdma_func *f = &fab->funcs[ini];

	b->n = 0;
	for (int k = 0; !ret && k <= f->info.depth && f->chain[k] != stop; k++)
		ret = push(b, f->chain[k], to_target ? PDMA_LINK_UP :
						       PDMA_LINK_DOWN);
	if (ret || r->kind != PDMA_TARGET_BAR)
		return ret;
	f = &fab->funcs[r->func];
	for (int k = 0; !ret && k <= f->info.depth && f->chain[k] != stop; k++)
		ret = push(b, f->chain[k], to_target ? PDMA_LINK_DOWN :
						       PDMA_LINK_UP);
	return ret;
}

int pdma_platform_model_flows(struct pdma_platform *plat,
			      const struct pdma_flow *flows, int n,
			      const struct pdma_link_params *p, double *rates)
{
	struct build b = { .plat = plat, .p = p };
	int ret, i;

	if (!flows || n <= 0 || !rates)
		return -EINVAL;
	ret = pdma_linkmodel_create(&b.lm);
	if (ret)
		return ret;
	b.id_of = malloc(sizeof(int) * (size_t)(plat->fab->nr_funcs + 1));
	ret = -ENOMEM;
	if (!b.id_of)
		goto out;
	for (i = 0; i < plat->fab->nr_funcs; i++)
		b.id_of[i] = -1;
	for (i = 0; i < n; i++) {
		struct pdma_route r;

		ret = pdma_platform_resolve(plat, flows[i].initiator,
					    flows[i].addr, 1, flows[i].write, &r);
		if (ret)
			goto out;
		if (r.status != PDMA_TLP_OK) {
			ret = pdma__tlp_errno(r.status);
			goto out;
		}
		ret = route_links(&b, flows[i].initiator, &r, flows[i].write);
		if (ret)
			goto out;
		ret = -EDOM;
		if (!b.n && !(flows[i].demand_gbps > 0))
			goto out;
		ret = pdma_linkmodel_add_flow(b.lm, b.links, b.dirs, b.n,
					      flows[i].demand_gbps, NULL);
		if (ret)
			goto out;
	}
	ret = pdma_linkmodel_solve(b.lm);
	for (i = 0; !ret && i < n; i++)
		ret = pdma_linkmodel_flow_rate(b.lm, i, &rates[i]);
out:
	pdma_linkmodel_destroy(b.lm);
	free(b.id_of);
	free(b.links);
	free(b.dirs);
	return ret;
}

int pdma_platform_model_transfer(struct pdma_platform *plat,
				 const struct pdma_flow *flow, uint64_t len,
				 const struct pdma_link_params *p,
				 double *seconds, double *gbps)
{
	double rate;
	int ret = pdma_platform_model_flows(plat, flow, 1, p, &rate);

	if (ret)
		return ret;
	if (gbps)
		*gbps = rate;
	if (seconds)
		*seconds = rate > 0 ? (double)len / (rate * 1e9) : 0;
	return 0;
}
