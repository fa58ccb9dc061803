/* SPDX-License-Identifier: MIT */
/*
 * pdma_dma_map(): RAM and peer memory into a table of DMA addresses, by the
 * map type the verdict layer gives for each peer (the kernel's
 * pci_p2pdma_map_segment() inside dma_map_sgtable()).
 */
#include <errno.h>
#include <stdlib.h>

#include <peerdma/verdict.h>

#include "dma_internal.h"

#define PAGE 4096ULL
#define FAST_MAX_PAGES 32

static unsigned prot_of(enum pdma_data_dir dir)
{
	switch (dir) {
	case PDMA_TO_DEVICE:
		return PDMA_IOMMU_READ;
	case PDMA_FROM_DEVICE:
		return PDMA_IOMMU_WRITE;
	default:
		return PDMA_IOMMU_READ | PDMA_IOMMU_WRITE;
	}
}

/* Map [phys, phys + len) through @dom: an IOVA range covering its pages. */
static int map_iova(struct pdma_dma *d, struct pdma_iommu_domain *dom,
		    uint64_t phys, uint64_t len, unsigned prot,
		    struct pdma_sg *sg, struct pdma_sg_take *take)
{
	struct pdma_iova_domain *iovad = pdma_iommu_domain_iovad(dom);
	uint64_t first = phys & ~(PAGE - 1);
	uint64_t npages = (phys + len - first + PAGE - 1) / PAGE;
	uint64_t limit = pdma_iommu_aperture_end(dom) / PAGE, pfn;
	bool fast = npages <= FAST_MAX_PAGES;
	int ret;

	ret = fast ? pdma_iova_alloc_fast(iovad, npages, limit, true, &pfn) :
		     pdma_iova_alloc(iovad, npages, limit, true, &pfn);
	if (ret)
		return ret;
	ret = pdma_iommu_map(dom, pfn * PAGE, first, npages * PAGE, prot);
	if (ret) {
		if (fast)
			pdma_iova_free_fast(iovad, pfn, npages);
		else
			pdma_iova_free(iovad, pfn);
		return ret;
	}
	sg->dma_addr = pfn * PAGE + (phys - first);
	take->iova_page = pfn * PAGE;
	take->npages = npages;
	take->fast = fast;
	atomic_fetch_add(&d->mapped_bytes, npages * PAGE);
	return 0;
}

static void unmap_iova(struct pdma_dma *d, struct pdma_iommu_domain *dom,
		       struct pdma_sg_take *take)
{
	struct pdma_iova_domain *iovad;

	if (!take->npages)
		return;
	iovad = pdma_iommu_domain_iovad(dom);
	pdma_iommu_unmap(dom, take->iova_page, take->npages * PAGE);
	if (take->fast)
		pdma_iova_free_fast(iovad, take->iova_page / PAGE, take->npages);
	else
		pdma_iova_free(iovad, take->iova_page / PAGE);
	atomic_fetch_sub(&d->mapped_bytes, take->npages * PAGE);
	take->npages = 0;
}

/* RAM, or peer memory through the root complex: what dma-direct/-iommu do. */
static int map_like_ram(struct pdma_dma *d, int dev, uint64_t phys,
			uint64_t len, unsigned prot, struct pdma_sg *sg,
			struct pdma_sg_take *take)
{
	struct pdma_iommu_domain *dom = d->dom_of[dev];

	if (!dom || pdma_iommu_domain_type(dom) == PDMA_IOMMU_DOMAIN_IDENTITY) {
		sg->dma_addr = phys;
		return 0;
	}
	if (pdma_iommu_domain_type(dom) == PDMA_IOMMU_DOMAIN_BLOCKED)
		return -EPERM;
	return map_iova(d, dom, phys, len, prot, sg, take);
}

static int map_one(struct pdma_dma *d, int dev, const struct pdma_phys_range *r,
		   unsigned prot, struct pdma_sg *sg, struct pdma_sg_take *take)
{
	uint64_t ram_phys, ram_size, off;
	int func, bar, dist;
	struct pdma_bar_map bm;

	sg->len = r->len;
	sg->flags = 0;
	pdma_platform_ram(d->plat, &ram_phys, &ram_size, NULL, NULL);
	if (r->phys >= ram_phys && r->phys - ram_phys < ram_size) {
		if (r->len > ram_size - (r->phys - ram_phys))
			return -EINVAL;
		return map_like_ram(d, dev, r->phys, r->len, prot, sg, take);
	}
	if (pdma_platform_find(d->plat, r->phys, &func, &bar, &off))
		return -EINVAL;
	pdma_platform_bar(d->plat, func, bar, &bm);
	if (r->len > bm.size - off)
		return -EINVAL;
	switch (pdma_verdict_map_type(d->fab, func, dev, &dist)) {
	case PDMA_MAP_BUS_ADDR:
		sg->dma_addr = bm.bus_addr + off;
		sg->flags = PDMA_SG_BUS_ADDR;
		return 0;
	case PDMA_MAP_THRU_HOST_BRIDGE:
		return map_like_ram(d, dev, r->phys, r->len, prot, sg, take);
	default:
		return -EREMOTEIO;
	}
}

int pdma_dma_map(struct pdma_dma *d, int dev, const struct pdma_phys_range *r,
		 int n, enum pdma_data_dir dir, struct pdma_sgt **out)
{
	struct pdma_sgt *sgt;
	int ret = -ENOMEM, i;

	*out = NULL;
	if (dev < 0 || dev >= d->fab->nr_funcs || !r || n <= 0 ||
	    (dir != PDMA_BIDIRECTIONAL && dir != PDMA_TO_DEVICE &&
	     dir != PDMA_FROM_DEVICE))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!r[i].len || r[i].phys + r[i].len < r[i].phys)
			return -EINVAL;
	sgt = calloc(1, sizeof(*sgt));
	if (!sgt)
		return -ENOMEM;
	sgt->sgl = calloc((size_t)n, sizeof(*sgt->sgl));
	sgt->priv = calloc(1, sizeof(*sgt->priv));
	if (!sgt->sgl || !sgt->priv)
		goto err_free;
	sgt->priv->take = calloc((size_t)n, sizeof(*sgt->priv->take));
	if (!sgt->priv->take)
		goto err_free;
	sgt->priv->dev = dev;
	for (i = 0; i < n; i++) {
		ret = map_one(d, dev, &r[i], prot_of(dir), &sgt->sgl[i],
			      &sgt->priv->take[i]);
		if (ret)
			goto err_unmap;
		sgt->nents++;
	}
	*out = sgt;
	return 0;

err_unmap:
	while (--i >= 0)
		unmap_iova(d, d->dom_of[dev], &sgt->priv->take[i]);
err_free:
	if (sgt->priv)
		free(sgt->priv->take);
	free(sgt->priv);
	free(sgt->sgl);
	free(sgt);
	return ret;
}

void pdma_dma_unmap(struct pdma_dma *d, struct pdma_sgt *sgt)
{
	if (!sgt)
		return;
	for (int i = 0; i < sgt->nents; i++)
		if (!(sgt->sgl[i].flags & PDMA_SG_BUS_ADDR))
			unmap_iova(d, d->dom_of[sgt->priv->dev],
				   &sgt->priv->take[i]);
	free(sgt->priv->take);
	free(sgt->priv);
	free(sgt->sgl);
	free(sgt);
}
