/* SPDX-License-Identifier: MIT */
/*
 * The fabric model: building, reading and "what if" changes.  Finalizing
 * is in finalize.c, printing helpers in util.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int pdma_fabric_create(struct pdma_fabric **out)
{
	struct pdma_fabric *fab = calloc(1, sizeof(*fab));

	*out = NULL;
	if (!fab)
		return -ENOMEM;
	pthread_mutex_init(&fab->cache_lock, NULL);
	fab->platform.cpu_family = -1;
	fab->gen = 1;
	*out = fab;
	return 0;
}

static void drop_cache(struct pdma_fabric *fab)
{
	if (fab->rows) {
		for (int i = 0; i < fab->nr_funcs; i++)
			free(fab->rows[i].entry);
		free(fab->rows);
		fab->rows = NULL;
	}
	free(fab->scratch);
	fab->scratch = NULL;
}

void pdma_fabric_destroy(struct pdma_fabric *fab)
{
	if (!fab)
		return;
	drop_cache(fab);
	for (int i = 0; i < fab->nr_funcs; i++)
		free(fab->funcs[i].chain);
	free(fab->funcs);
	free(fab->hbs);
	free(fab->topo);
	for (int i = 0; i < fab->nr_notes; i++)
		free(fab->notes[i]);
	free(fab->notes);
	free(fab->group_type);
	pthread_mutex_destroy(&fab->cache_lock);
	free(fab);
}

static int grow(void **arr, int *cap, int need, size_t elem)
{
	void *p;
	int ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, (size_t)ncap * elem);
	if (!p)
		return -ENOMEM;
	memset((char *)p + (size_t)*cap * elem, 0,
	       (size_t)(ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}

int pdma_fabric_add_host_bridge(struct pdma_fabric *fab,
				const struct pdma_host_bridge_info *hb,
				int *idx)
{
	int ret;

	if (fab->finalized)
		return -EBUSY;
	for (int i = 0; i < fab->nr_hbs; i++)
		if (fab->hbs[i].info.domain == hb->domain &&
		    fab->hbs[i].info.bus == hb->bus)
			return -EEXIST;
	ret = grow((void **)&fab->hbs, &fab->cap_hbs, fab->nr_hbs + 1,
		   sizeof(*fab->hbs));
	if (ret)
		return ret;
	fab->hbs[fab->nr_hbs].info = *hb;
	if (idx)
		*idx = fab->nr_hbs;
	fab->nr_hbs++;
	return 0;
}

int pdma_fabric_add_func(struct pdma_fabric *fab,
			 const struct pdma_func_info *fi, int *idx)
{
	int ret;

	if (fab->finalized)
		return -EBUSY;
	ret = grow((void **)&fab->funcs, &fab->cap_funcs, fab->nr_funcs + 1,
		   sizeof(*fab->funcs));
	if (ret)
		return ret;
	fab->funcs[fab->nr_funcs].info = *fi;
	fab->funcs[fab->nr_funcs].info.name[sizeof(fi->name) - 1] = '\0';
	fab->funcs[fab->nr_funcs].info.label[sizeof(fi->label) - 1] = '\0';
	fab->funcs[fab->nr_funcs].info.driver[sizeof(fi->driver) - 1] = '\0';
	if (idx)
		*idx = fab->nr_funcs;
	fab->nr_funcs++;
	return 0;
}

int pdma__notes_vadd(char ***notes, int *nr, const char *fmt, va_list ap)
{
	char **grown;
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return -ENOMEM;
	grown = realloc(*notes, sizeof(*grown) * (size_t)(*nr + 1));
	if (!grown) {
		free(s);
		return -ENOMEM;
	}
	*notes = grown;
	grown[(*nr)++] = s;
	return 0;
}

int pdma_fabric_add_note(struct pdma_fabric *fab, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = pdma__notes_vadd(&fab->notes, &fab->nr_notes, fmt, ap);
	va_end(ap);
	return ret;
}

void pdma_fabric_set_platform(struct pdma_fabric *fab,
			      const struct pdma_platform_info *pi)
{
	fab->platform = *pi;
	pdma__fabric_changed(fab);
}

int pdma_fabric_set_iommu_group_type(struct pdma_fabric *fab, int group,
				     enum pdma_iommu_type type)
{
	if (group < 0 || group > 1 << 20)
		return -EINVAL;
	if (group >= fab->nr_groups) {
		enum pdma_iommu_type *t;

		t = realloc(fab->group_type, sizeof(*t) * (size_t)(group + 1));
		if (!t)
			return -ENOMEM;
		for (int i = fab->nr_groups; i <= group; i++)
			t[i] = PDMA_IOMMU_NONE;
		fab->group_type = t;
		fab->nr_groups = group + 1;
	}
	fab->group_type[group] = type;
	pdma__fabric_changed(fab);
	return 0;
}

/* ---- accessors --------------------------------------------------------- */

int pdma_fabric_nr_funcs(const struct pdma_fabric *fab)
{
	return fab->nr_funcs;
}

const struct pdma_func_info *pdma_fabric_func(const struct pdma_fabric *fab,
					      int idx)
{
	if (idx < 0 || idx >= fab->nr_funcs)
		return NULL;
	return &fab->funcs[idx].info;
}

int pdma_fabric_nr_host_bridges(const struct pdma_fabric *fab)
{
	return fab->nr_hbs;
}

const struct pdma_host_bridge_info *
pdma_fabric_host_bridge(const struct pdma_fabric *fab, int idx)
{
	if (idx < 0 || idx >= fab->nr_hbs)
		return NULL;
	return &fab->hbs[idx].info;
}

const struct pdma_platform_info *
pdma_fabric_platform(const struct pdma_fabric *fab)
{
	return &fab->platform;
}

enum pdma_iommu_type pdma_fabric_iommu_group_type(const struct pdma_fabric *fab,
						  int group)
{
	if (group < 0 || group >= fab->nr_groups)
		return PDMA_IOMMU_NONE;
	return fab->group_type[group];
}

int pdma_fabric_nr_notes(const struct pdma_fabric *fab)
{
	return fab->nr_notes;
}

const char *pdma_fabric_note(const struct pdma_fabric *fab, int idx)
{
	if (idx < 0 || idx >= fab->nr_notes)
		return NULL;
	return fab->notes[idx];
}

uint64_t pdma_fabric_generation(const struct pdma_fabric *fab)
{
	return fab->gen;
}

int pdma_fabric_lookup(const struct pdma_fabric *fab, const char *name)
{
	uint16_t domain;
	uint8_t bus, dev, fn;

	if (!pdma_bdf_parse(name, &domain, &bus, &dev, &fn)) {
		for (int i = 0; i < fab->nr_funcs; i++) {
			const struct pdma_func_info *fi = &fab->funcs[i].info;

			if (fi->domain == domain && fi->bus == bus &&
			    fi->dev == dev && fi->fn == fn)
				return i;
		}
		return -ENOENT;
	}
	for (int i = 0; i < fab->nr_funcs; i++)
		if (!strcmp(fab->funcs[i].info.label, name))
			return i;
	return -ENOENT;
}

int pdma__fabric_hb_of(const struct pdma_fabric *fab, int idx)
{
	return fab->funcs[idx].info.host_bridge;
}

/*
 * The link between function @idx and its upstream bridge, as either end
 * reports it (a root or downstream port's Link Status describes the link
 * below it); the narrower report when both know.  False for a function on a
 * root bus (it attaches to the root complex, not over a PCIe link) and when
 * neither end knows the speed.
 */
bool pdma__uplink(const struct pdma_fabric *fab, int idx, struct pdma_link *out)
{
	const struct pdma_func_info *fi = &fab->funcs[idx].info;
	struct pdma_link mine = fi->link_cur, theirs = { 0, 0 };
	double gm = pdma_link_gbytes(mine), gt = 0;

	if (fi->parent == PDMA_NONE)
		return false;
	{
		const struct pdma_func_info *p = &fab->funcs[fi->parent].info;

		if (p->pcie_type == PDMA_PCIE_ROOT_PORT ||
		    p->pcie_type == PDMA_PCIE_DOWNSTREAM) {
			theirs = p->link_cur;
			gt = pdma_link_gbytes(theirs);
		}
	}
	if (gm <= 0 && gt <= 0)
		return false;
	*out = gm > 0 && (gt <= 0 || gm <= gt) ? mine : theirs;
	return true;
}

bool pdma__acs_redirects(const struct pdma_func_info *fi)
{
	return fi->has_acs && (fi->acs_ctrl & PDMA_ACS_REDIR_MASK);
}

/* ---- what if ----------------------------------------------------------- */

/*
 * Called with exclusive access to @fab: the cached rows become stale.  They
 * are checked against the generation on their next use, so nothing is freed
 * here and a reader never sees a half-dropped cache.
 */
void pdma__fabric_changed(struct pdma_fabric *fab)
{
	pthread_mutex_lock(&fab->cache_lock);
	fab->gen++;
	fab->invalidations++;
	pthread_mutex_unlock(&fab->cache_lock);
}

int pdma_fabric_set_acs_ctrl(struct pdma_fabric *fab, int idx, uint16_t ctrl)
{
	if (idx < 0 || idx >= fab->nr_funcs)
		return -EINVAL;
	if (!fab->funcs[idx].info.has_acs)
		return -ENODEV;
	fab->funcs[idx].info.acs_ctrl = ctrl;
	pdma__fabric_changed(fab);
	return 0;
}

int pdma_fabric_remove_func(struct pdma_fabric *fab, int idx)
{
	int *gone, *newidx, n = 0;

	if (!fab->finalized || idx < 0 || idx >= fab->nr_funcs)
		return -EINVAL;
	gone = calloc((size_t)fab->nr_funcs, sizeof(int));
	newidx = malloc(sizeof(int) * (size_t)fab->nr_funcs);
	if (!gone || !newidx) {
		free(gone);
		free(newidx);
		return -ENOMEM;
	}
	/* Everything whose chain holds @idx goes. */
	for (int i = 0; i < fab->nr_funcs; i++)
		for (int k = 0; k <= fab->funcs[i].info.depth; k++)
			if (fab->funcs[i].chain[k] == idx)
				gone[i] = 1;
	pthread_mutex_lock(&fab->cache_lock);
	drop_cache(fab);
	pthread_mutex_unlock(&fab->cache_lock);
	for (int i = 0; i < fab->nr_funcs; i++) {
		if (gone[i]) {
			free(fab->funcs[i].chain);
			newidx[i] = -1;
			continue;
		}
		newidx[i] = n;
		fab->funcs[n++] = fab->funcs[i];
	}
	for (int i = 0; i < n; i++) {
		struct pdma_func *f = &fab->funcs[i];

		f->info.index = i;
		if (f->info.parent != PDMA_NONE)
			f->info.parent = newidx[f->info.parent];
		for (int k = 0; k <= f->info.depth; k++)
			f->chain[k] = newidx[f->chain[k]];
	}
	fab->nr_funcs = n;
	free(fab->topo);
	fab->topo = NULL;
	free(gone);
	free(newidx);
	if (pdma__build_topo(fab))
		return -ENOMEM;
	pdma__derive_host_bridges(fab);
	pdma__fabric_changed(fab);
	return 0;
}
