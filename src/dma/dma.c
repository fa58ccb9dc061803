/* SPDX-License-Identifier: MIT */
/*
 * The DMA layer's IOMMU domains: one per IOMMU group of the fabric, and the
 * platform hook through which the root complex translates with them.
 */
#include <errno.h>
#include <stdlib.h>

#include "dma_internal.h"

static enum pdma_iommu_domain_type domain_type(enum pdma_iommu_type t)
{
	switch (t) {
	case PDMA_IOMMU_IDENTITY:
		return PDMA_IOMMU_DOMAIN_IDENTITY;
	case PDMA_IOMMU_BLOCKED:
		return PDMA_IOMMU_DOMAIN_BLOCKED;
	default:
		return PDMA_IOMMU_DOMAIN_DMA;	/* DMA, DMA-FQ, unmanaged */
	}
}

static uint32_t requester_id(const struct pdma_func_info *fi)
{
	return (uint32_t)fi->bus << 8 | (uint32_t)fi->dev << 3 | fi->fn;
}

/* The platform's hook: called for every transaction at a root complex. */
static int translate(void *ctx, int initiator, uint64_t addr, uint64_t len,
		     bool write, uint64_t *phys, uint64_t *contig)
{
	struct pdma_dma *d = ctx;
	struct pdma_iommu_domain *dom = d->dom_of[initiator];

	if (!dom)
		return -ENODEV;	/* dma-direct: the address is physical */
	return pdma_iommu_translate(dom,
				    requester_id(&d->fab->funcs[initiator].info),
				    addr, len, write, phys, contig);
}

int pdma_dma_create(struct pdma_platform *plat, struct pdma_dma **out)
{
	struct pdma_fabric *fab = pdma_platform_fabric(plat);
	struct pdma_iommu_ops ops = { translate };
	struct pdma_dma *d;
	int ret = -ENOMEM;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->plat = plat;
	d->fab = fab;
	d->nr_domains = fab->nr_groups;
	d->domains = calloc((size_t)d->nr_domains + 1, sizeof(*d->domains));
	d->dom_of = calloc((size_t)fab->nr_funcs + 1, sizeof(*d->dom_of));
	if (!d->domains || !d->dom_of)
		goto err;
	for (int i = 0; i < fab->nr_funcs; i++) {
		int g = fab->funcs[i].info.iommu_group;
		enum pdma_iommu_type t = pdma_fabric_iommu_group_type(fab, g);

		if (g < 0 || t == PDMA_IOMMU_NONE)
			continue;
		if (!d->domains[g]) {
			ret = pdma_iommu_domain_create(domain_type(t), NULL,
						       &d->domains[g]);
			if (ret)
				goto err;
		}
		d->dom_of[i] = d->domains[g];
	}
	pdma_platform_set_iommu(plat, &ops, d);
	*out = d;
	return 0;
err:
	pdma_dma_destroy(d);
	return ret;
}

void pdma_dma_destroy(struct pdma_dma *d)
{
	if (!d)
		return;
	if (d->dom_of)
		pdma_platform_set_iommu(d->plat, NULL, NULL);
	for (int g = 0; d->domains && g < d->nr_domains; g++)
		pdma_iommu_domain_destroy(d->domains[g]);
	free(d->domains);
	free(d->dom_of);
	free(d);
}

struct pdma_iommu_domain *pdma_dma_domain(const struct pdma_dma *d, int func)
{
	if (func < 0 || func >= d->fab->nr_funcs)
		return NULL;
	return d->dom_of[func];
}

uint64_t pdma_dma_mapped_bytes(const struct pdma_dma *d)
{
	return atomic_load(&((struct pdma_dma *)d)->mapped_bytes);
}
