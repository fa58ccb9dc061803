/* SPDX-License-Identifier: MIT */
/*
 * The link model: payload bandwidth of a PCIe link, and max-min fair
 * sharing of link capacity among flows (progressive filling).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/link.h>

void pdma_link_params_init(struct pdma_link_params *p)
{
	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->mps = 256;
	p->tlp_header = 16;
	p->tlp_framing = 8;
	p->dllp_bytes = 8;
	p->tlps_per_dllp = 4;
}

static bool params_valid(const struct pdma_link_params *p)
{
	if (p->size != sizeof(*p))
		return false;
	if (p->mps < 128 || p->mps > 4096 || (p->mps & (p->mps - 1)))
		return false;
	return true;
}

double pdma_link_data_gbps(struct pdma_link link,
			   const struct pdma_link_params *p)
{
	struct pdma_link_params def;
	double line, per_tlp;

	if (!p) {
		pdma_link_params_init(&def);
		p = &def;
	}
	if (!params_valid(p))
		return 0;
	/* Bytes per second after encoding (already / 8 inside). */
	line = pdma_link_gbytes(link);
	if (line <= 0)
		return 0;

	per_tlp = (double)p->mps + p->tlp_header;
	/* In FLIT mode (gen 6) seq and CRC belong to the flit. */
	if (link.gen < 6)
		per_tlp += p->tlp_framing;
	if (p->tlps_per_dllp)
		per_tlp += (double)p->dllp_bytes / p->tlps_per_dllp;
	return line * p->mps / per_tlp;
}

/* ---- the solver ------------------------------------------------------ */

/* Local helpers: the library does not link libm. */
static inline double min_d(double a, double b)
{
	return a < b ? a : b;
}

static inline double max_d(double a, double b)
{
	return a > b ? a : b;
}

static inline double abs_d(double a)
{
	return a < 0 ? -a : a;
}

/* One (link direction, multiplicity) a flow crosses; res = link * 2 + dir. */
struct hop {
	int res;
	int mult;
};

struct flow {
	bool active;
	int nr_hops;
	struct hop *hops;
	double demand;		/* 0 = none */
	double rate;		/* from the last solve */
	int bottleneck;		/* resource that froze it, or -1 */
};

struct pdma_linkmodel {
	int nr_links, cap_links;
	double *cap;		/* per link, GB/s per direction */
	double *load;		/* per resource, from the last solve */
	int nr_flows, cap_flows;
	struct flow *flows;
	bool solved;
};

int pdma_linkmodel_create(struct pdma_linkmodel **out)
{
	struct pdma_linkmodel *lm;

	*out = NULL;
	lm = calloc(1, sizeof(*lm));
	if (!lm)
		return -ENOMEM;
	*out = lm;
	return 0;
}

void pdma_linkmodel_destroy(struct pdma_linkmodel *lm)
{
	if (!lm)
		return;
	for (int i = 0; i < lm->nr_flows; i++)
		free(lm->flows[i].hops);
	free(lm->flows);
	free(lm->cap);
	free(lm->load);
	free(lm);
}

static bool capacity_valid(double gbps)
{
	return isfinite(gbps) && gbps >= 0;
}

int pdma_linkmodel_add_link(struct pdma_linkmodel *lm, double gbps, int *id)
{
	if (!capacity_valid(gbps))
		return -EINVAL;
	if (lm->nr_links == lm->cap_links) {
		int n = lm->cap_links ? lm->cap_links * 2 : 16;
		double *cap, *load;

		cap = realloc(lm->cap, n * sizeof(*cap));
		if (!cap)
			return -ENOMEM;
		lm->cap = cap;
		load = realloc(lm->load, 2 * n * sizeof(*load));
		if (!load)
			return -ENOMEM;
		lm->load = load;
		lm->cap_links = n;
	}
	lm->cap[lm->nr_links] = gbps;
	lm->load[2 * lm->nr_links] = 0;
	lm->load[2 * lm->nr_links + 1] = 0;
	if (id)
		*id = lm->nr_links;
	lm->nr_links++;
	lm->solved = false;
	return 0;
}

int pdma_linkmodel_set_capacity(struct pdma_linkmodel *lm, int link,
				double gbps)
{
	if (link < 0 || link >= lm->nr_links || !capacity_valid(gbps))
		return -EINVAL;
	lm->cap[link] = gbps;
	lm->solved = false;
	return 0;
}

static int flow_slot(struct pdma_linkmodel *lm)
{
	for (int i = 0; i < lm->nr_flows; i++)
		if (!lm->flows[i].active)
			return i;
	if (lm->nr_flows == lm->cap_flows) {
		int n = lm->cap_flows ? lm->cap_flows * 2 : 16;
		struct flow *f = realloc(lm->flows, n * sizeof(*f));

		if (!f)
			return -ENOMEM;
		lm->flows = f;
		lm->cap_flows = n;
	}
	memset(&lm->flows[lm->nr_flows], 0, sizeof(lm->flows[0]));
	return lm->nr_flows++;
}

int pdma_linkmodel_add_flow(struct pdma_linkmodel *lm, const int *links,
			    const enum pdma_link_dir *dirs, int n,
			    double demand, int *id)
{
	struct hop *hops = NULL;
	struct flow *f;
	int nr = 0, slot;

	if (n < 0 || (n && (!links || !dirs)))
		return -EINVAL;
	if (!isfinite(demand) || demand < 0 || (n == 0 && demand == 0))
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (links[i] < 0 || links[i] >= lm->nr_links ||
		    (dirs[i] != PDMA_LINK_UP && dirs[i] != PDMA_LINK_DOWN))
			return -EINVAL;

	if (n) {
		hops = malloc(n * sizeof(*hops));
		if (!hops)
			return -ENOMEM;
	}
	/* Merge repeats of one link direction into a multiplicity. */
	for (int i = 0; i < n; i++) {
		int res = links[i] * 2 + (int)dirs[i], j;

		for (j = 0; j < nr; j++)
			if (hops[j].res == res)
				break;
		if (j < nr) {
			hops[j].mult++;
		} else {
			hops[nr].res = res;
			hops[nr].mult = 1;
			nr++;
		}
	}

	slot = flow_slot(lm);
	if (slot < 0) {
		free(hops);
		return slot;
	}
	f = &lm->flows[slot];
	f->active = true;
	f->nr_hops = nr;
	f->hops = hops;
	f->demand = demand;
	f->rate = 0;
	f->bottleneck = -1;
	lm->solved = false;
	if (id)
		*id = slot;
	return 0;
}

int pdma_linkmodel_remove_flow(struct pdma_linkmodel *lm, int flow)
{
	struct flow *f;

	if (flow < 0 || flow >= lm->nr_flows || !lm->flows[flow].active)
		return -EINVAL;
	f = &lm->flows[flow];
	free(f->hops);
	memset(f, 0, sizeof(*f));
	lm->solved = false;
	return 0;
}

/* Two levels this close are the same level (rounding of the sums). */
static bool same_level(double a, double b)
{
	return abs_d(a - b) <= 1e-12 * max_d(1.0, max_d(abs_d(a), abs_d(b)));
}

/*
 * Progressive filling.  Every unfrozen flow has the same rate t (the water
 * level).  A resource r with remaining capacity rem[r] and unfrozen weight
 * w[r] (sum of multiplicities) fills when t = rem[r] / w[r]; a flow with a
 * demand stops at t = demand.  Take the lowest such level, freeze what
 * stops there, charge the frozen rates to their resources, repeat.  Each
 * round freezes at least one flow.
 */
int pdma_linkmodel_solve(struct pdma_linkmodel *lm)
{
	int nr_res = 2 * lm->nr_links, left = 0;
	double *rem = NULL;
	long *w = NULL;
	bool *frozen = NULL;
	int ret = -ENOMEM;

	rem = malloc((nr_res ? nr_res : 1) * sizeof(*rem));
	w = calloc(nr_res ? nr_res : 1, sizeof(*w));
	frozen = calloc(lm->nr_flows ? lm->nr_flows : 1, sizeof(*frozen));
	if (!rem || !w || !frozen)
		goto out_free;

	for (int r = 0; r < nr_res; r++) {
		rem[r] = lm->cap[r / 2];
		lm->load[r] = 0;
	}
	for (int i = 0; i < lm->nr_flows; i++) {
		struct flow *f = &lm->flows[i];

		if (!f->active) {
			frozen[i] = true;
			continue;
		}
		f->rate = 0;
		f->bottleneck = -1;
		for (int h = 0; h < f->nr_hops; h++)
			w[f->hops[h].res] += f->hops[h].mult;
		left++;
	}

	while (left > 0) {
		double t = INFINITY;

		for (int r = 0; r < nr_res; r++)
			if (w[r] > 0)
				t = min_d(t, max_d(rem[r], 0) / (double)w[r]);
		for (int i = 0; i < lm->nr_flows; i++)
			if (!frozen[i] && lm->flows[i].demand > 0)
				t = min_d(t, lm->flows[i].demand);

		for (int i = 0; i < lm->nr_flows; i++) {
			struct flow *f = &lm->flows[i];
			int stop = -2;	/* -2 rising, -1 demand met */

			if (frozen[i])
				continue;
			for (int h = 0; h < f->nr_hops && stop == -2; h++) {
				int r = f->hops[h].res;

				double lvl = max_d(rem[r], 0) / (double)w[r];

				if (same_level(lvl, t))
					stop = r;
			}
			if (stop == -2 && f->demand > 0 &&
			    same_level(f->demand, t))
				stop = -1;
			if (stop == -2)
				continue;
			f->rate = stop == -1 ? f->demand : t;
			f->bottleneck = stop;
			frozen[i] = true;
			left--;
		}
		/*
		 * Recount from scratch rather than subtract, so that no
		 * rounding accumulates from round to round.
		 */
		for (int r = 0; r < nr_res; r++) {
			rem[r] = lm->cap[r / 2];
			w[r] = 0;
		}
		for (int i = 0; i < lm->nr_flows; i++) {
			struct flow *f = &lm->flows[i];

			if (!f->active)
				continue;
			for (int h = 0; h < f->nr_hops; h++) {
				int r = f->hops[h].res;

				if (frozen[i])
					rem[r] -= f->hops[h].mult * f->rate;
				else
					w[r] += f->hops[h].mult;
			}
		}
	}

	for (int i = 0; i < lm->nr_flows; i++) {
		struct flow *f = &lm->flows[i];

		if (!f->active)
			continue;
		for (int h = 0; h < f->nr_hops; h++)
			lm->load[f->hops[h].res] += f->hops[h].mult * f->rate;
	}
	lm->solved = true;
	ret = 0;
out_free:
	free(frozen);
	free(w);
	free(rem);
	return ret;
}

static int check_flow(const struct pdma_linkmodel *lm, int flow)
{
	if (flow < 0 || flow >= lm->nr_flows || !lm->flows[flow].active)
		return -EINVAL;
	return lm->solved ? 0 : -EAGAIN;
}

int pdma_linkmodel_flow_rate(const struct pdma_linkmodel *lm, int flow,
			     double *gbps)
{
	int ret = check_flow(lm, flow);

	if (ret)
		return ret;
	*gbps = lm->flows[flow].rate;
	return 0;
}

int pdma_linkmodel_flow_bottleneck(const struct pdma_linkmodel *lm, int flow,
				   int *link, enum pdma_link_dir *dir)
{
	int ret = check_flow(lm, flow), r;

	if (ret)
		return ret;
	r = lm->flows[flow].bottleneck;
	if (r < 0) {
		*link = -1;
		return 0;
	}
	*link = r / 2;
	*dir = (enum pdma_link_dir)(r % 2);
	return 0;
}

int pdma_linkmodel_link_load(const struct pdma_linkmodel *lm, int link,
			     enum pdma_link_dir dir, double *gbps)
{
	if (link < 0 || link >= lm->nr_links ||
	    (dir != PDMA_LINK_UP && dir != PDMA_LINK_DOWN))
		return -EINVAL;
	if (!lm->solved)
		return -EAGAIN;
	*gbps = lm->load[2 * link + (int)dir];
	return 0;
}

int pdma_linkmodel_transfer_time(const struct pdma_linkmodel *lm, int flow,
				 uint64_t bytes, double *seconds)
{
	double rate;
	int ret = pdma_linkmodel_flow_rate(lm, flow, &rate);

	if (ret)
		return ret;
	if (!bytes)
		*seconds = 0;
	else if (rate <= 0)
		*seconds = INFINITY;
	else
		*seconds = (double)bytes / (rate * 1e9);
	return 0;
}
