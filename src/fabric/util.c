/* SPDX-License-Identifier: MIT */
/*
 * Small helpers for printing and parsing: BDFs, IOMMU domain names, link
 * rates.
 */
#include <errno.h>
#include <stdio.h>

#include "model.h"

char *pdma_bdf_format(const struct pdma_func_info *fi, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", fi->domain, fi->bus, fi->dev,
		 fi->fn);
	return buf;
}

int pdma_bdf_parse(const char *s, uint16_t *domain, uint8_t *bus, uint8_t *dev,
		   uint8_t *fn)
{
	unsigned d = 0, b, v, f;
	int n = 0;

	if (sscanf(s, "%4x:%2x:%2x.%1x%n", &d, &b, &v, &f, &n) == 4 &&
	    s[n] == '\0' && n == 12)
		goto ok;
	d = 0;
	n = 0;
	if (sscanf(s, "%2x:%2x.%1x%n", &b, &v, &f, &n) == 3 && s[n] == '\0' &&
	    n == 7)
		goto ok;
	return -EINVAL;
ok:
	if (v > 31 || f > 7)
		return -EINVAL;
	*domain = (uint16_t)d;
	*bus = (uint8_t)b;
	*dev = (uint8_t)v;
	*fn = (uint8_t)f;
	return 0;
}

const char *pdma_iommu_type_name(enum pdma_iommu_type type)
{
	switch (type) {
	case PDMA_IOMMU_DMA:
		return "DMA";
	case PDMA_IOMMU_IDENTITY:
		return "identity";
	case PDMA_IOMMU_BLOCKED:
		return "blocked";
	case PDMA_IOMMU_UNMANAGED:
		return "unmanaged";
	default:
		return "none";
	}
}

double pdma_link_gen_gts(int gen)
{
	static const double gts[] = { 0, 2.5, 5.0, 8.0, 16.0, 32.0, 64.0 };

	if (gen < 1 || gen > 6)
		return 0;
	return gts[gen];
}

double pdma_link_gbytes(struct pdma_link link)
{
	double enc;

	if (link.gen < 1 || link.gen > 6 || link.width <= 0)
		return 0;
	if (link.gen <= 2)
		enc = 8.0 / 10.0;
	else if (link.gen <= 5)
		enc = 128.0 / 130.0;
	else
		enc = 242.0 / 256.0;
	return pdma_link_gen_gts(link.gen) * link.width * enc / 8.0;
}
