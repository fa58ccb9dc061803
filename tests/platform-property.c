/* SPDX-License-Identifier: MIT */
/*
 * The analyzer and the emulated platform agree, pair by pair.
 *
 * For every preset, every topology file in tests/topologies/ and every
 * kernel snapshot fixture, for every ordered pair (provider with a memory
 * BAR, client): map a page of the provider's BAR for the client the way
 * the DMA layer does (bus address for BUS_ADDR, IOVA or physical address
 * for THRU_HOST_BRIDGE, -EREMOTEIO for NOT_SUPPORTED), then let the client
 * DMA to it through the fabric.  The DMA must succeed if and only if the
 * analyzer says P2P is supported, the bytes must land in the provider's
 * BAR, and the route must be the one the analyzer reported.  The one
 * refinement: a client whose IOMMU group is blocked cannot reach anything
 * through the root complex; the verdict says so in a reason
 * (iommu_blocks), the mapping fails with -EPERM and the DMA faults.
 */
#include <dirent.h>
#include <errno.h>

#include <peerdma/iommu.h>

#include "tb.h"

static int pairs_total, fabrics_total;

/* Compare a routed transaction (client -> provider) with the verdict's
 * route (provider -> client). */
static bool same_route(const struct pdma_route *r, const struct pdma_verdict *v)
{
	if (r->nr_hops != v->nr_hops || r->nr_hops >= PDMA_ROUTE_MAX_HOPS)
		return false;
	for (int i = 0; i < r->nr_hops; i++) {
		const struct pdma_hop *h = &v->hops[v->nr_hops - 1 - i];
		int want = h->is_host_bridge ? -(h->idx + 1) : h->idx;

		if (r->hops[i] != want)
			return false;
	}
	return true;
}

/* Does the verdict say the client's IOMMU domain blocks its DMA? */
static bool blocked(const struct pdma_verdict *v)
{
	for (int i = 0; i < v->nr_reasons; i++)
		if (v->reasons[i].rule == PDMA_RULE_IOMMU_BLOCKS)
			return true;
	return false;
}

/* A page of @func's first memory BAR with backing, or -1. */
static int pick_bar(struct pdma_platform *plat, int func,
		    struct pdma_bar_map *bm)
{
	for (int b = 0; b < 6; b++)
		if (!pdma_platform_bar(plat, func, b, bm) && bm->backed >= 8192)
			return b;
	return -1;
}

/* Map @phys for @c by hand through its IOMMU, as the THB path would. */
static uint64_t thb_address(struct pdma_dma *d, int c, uint64_t phys,
			    uint64_t *iova_pfn)
{
	struct pdma_iommu_domain *dom = pdma_dma_domain(d, c);

	*iova_pfn = 0;
	if (!dom || pdma_iommu_domain_type(dom) != PDMA_IOMMU_DOMAIN_DMA)
		return phys;
	REQUIRE(pdma_iova_alloc(pdma_iommu_domain_iovad(dom), 1,
				pdma_iommu_aperture_end(dom) / 4096, true,
				iova_pfn) == 0);
	REQUIRE(pdma_iommu_map(dom, *iova_pfn * 4096, phys, 4096,
			       PDMA_IOMMU_READ | PDMA_IOMMU_WRITE) == 0);
	return *iova_pfn * 4096;
}

static void thb_release(struct pdma_dma *d, int c, uint64_t iova_pfn)
{
	struct pdma_iommu_domain *dom = pdma_dma_domain(d, c);

	if (!iova_pfn)
		return;
	CHECK_EQ_INT(pdma_iommu_unmap(dom, iova_pfn * 4096, 4096), 4096);
	CHECK_EQ_INT(pdma_iova_free(pdma_iommu_domain_iovad(dom), iova_pfn), 0);
}

static void check_pair(struct pdma_fabric *fab, struct pdma_platform *plat,
		       struct pdma_dma *d, int p, int c, const char *what)
{
	struct pdma_bar_map bm;
	struct pdma_verdict v;
	struct pdma_sgt *sgt;
	struct pdma_route r;
	unsigned char buf[256];
	uint64_t pfn, addr;
	char pb[16], cb[16];
	int ret, bar = pick_bar(plat, p, &bm);

	if (bar < 0)
		return;
	REQUIRE(pdma_verdict_explain(fab, p, c, &v) == 0);
	pdma_bdf_format(pdma_fabric_func(fab, p), pb, sizeof(pb));
	pdma_bdf_format(pdma_fabric_func(fab, c), cb, sizeof(cb));
	for (int i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (unsigned char)(p * 31 + c * 7 + i);
	pairs_total++;

	ret = pdma_dma_map(d, c, &(struct pdma_phys_range){ bm.cpu_addr + 4096,
							   sizeof(buf) },
			   1, PDMA_BIDIRECTIONAL, &sgt);
	if (v.map_type == PDMA_MAP_NOT_SUPPORTED) {
		CHECK_EQ_INT(ret, -EREMOTEIO);
		/* Whatever address it tries, the host bridge refuses it. */
		addr = thb_address(d, c, bm.cpu_addr + 4096, &pfn);
		ret = pdma_fabric_dma(plat, c, addr, buf, sizeof(buf),
				      PDMA_DMA_WRITE);
		if (ret != -EREMOTEIO)
			fprintf(stderr, "%s: %s -> %s: NOT_SUPPORTED but DMA gave %d\n",
				what, cb, pb, ret);
		CHECK_EQ_INT(ret, -EREMOTEIO);
		thb_release(d, c, pfn);
		pdma_verdict_release(&v);
		return;
	}
	if (blocked(&v)) {
		/* The kernel's verdict allows it, its IOMMU domain does not. */
		CHECK_EQ_INT(ret, -EPERM);
		CHECK_EQ_INT(pdma_fabric_dma(plat, c, bm.cpu_addr + 4096, buf,
					     sizeof(buf), PDMA_DMA_WRITE),
			     -EFAULT);
		pdma_verdict_release(&v);
		return;
	}
	if (ret)
		fprintf(stderr, "%s: %s -> %s: %s but map gave %d\n", what, cb,
			pb, pdma_map_type_name(v.map_type), ret);
	CHECK_EQ_INT(ret, 0);
	if (ret) {
		pdma_verdict_release(&v);
		return;
	}
	CHECK_EQ_INT(sgt->nents, 1);
	CHECK_EQ_INT(!!(sgt->sgl[0].flags & PDMA_SG_BUS_ADDR),
		     v.map_type == PDMA_MAP_BUS_ADDR);
	if (v.map_type == PDMA_MAP_BUS_ADDR)
		CHECK_EQ_INT(sgt->sgl[0].dma_addr, bm.bus_addr + 4096);
	addr = sgt->sgl[0].dma_addr;
	ret = pdma_fabric_dma(plat, c, addr, buf, sizeof(buf), PDMA_DMA_WRITE);
	if (ret)
		fprintf(stderr, "%s: %s -> %s: %s but DMA gave %d\n", what, cb,
			pb, pdma_map_type_name(v.map_type), ret);
	CHECK_EQ_INT(ret, 0);
	CHECK(!memcmp((char *)bm.mem + 4096, buf, sizeof(buf)));
	REQUIRE(pdma_platform_resolve(plat, c, addr, sizeof(buf), true, &r) == 0);
	CHECK_EQ_INT(r.status, PDMA_TLP_OK);
	CHECK_EQ_INT(r.via_host_bridge, v.map_type == PDMA_MAP_THRU_HOST_BRIDGE);
	if (!same_route(&r, &v))
		fprintf(stderr, "%s: %s -> %s: route differs from the verdict's\n",
			what, cb, pb);
	CHECK(same_route(&r, &v));
	pdma_dma_unmap(d, sgt);
	pdma_verdict_release(&v);
}

static void check_fabric(struct pdma_fabric *fab, const char *what,
			 bool offsets)
{
	struct pdma_platform_opts o;
	struct pdma_platform *plat;
	struct pdma_error err;
	struct pdma_dma *d;
	int n = pdma_fabric_nr_funcs(fab), before = pairs_total;

	pdma_platform_opts_init(&o);
	o.bus_offsets = offsets;
	o.ram_bytes = 1 << 20;
	o.max_bar_backing = 64 << 10;
	if (pdma_platform_create(fab, &o, &plat, &err)) {
		fprintf(stderr, "%s: platform: %s\n", what, err.msg);
		CHECK(0);
		return;
	}
	REQUIRE(pdma_dma_create(plat, &d) == 0);
	for (int p = 0; p < n; p++) {
		if (pdma_fabric_is_bridge(pdma_fabric_func(fab, p)))
			continue;
		for (int c = 0; c < n; c++)
			if (!pdma_fabric_is_bridge(pdma_fabric_func(fab, c)))
				check_pair(fab, plat, d, p, c, what);
	}
	CHECK_EQ_INT(pdma_dma_mapped_bytes(d), 0);
	printf("%s: %d pairs agree\n", what, pairs_total - before);
	fabrics_total++;
	pdma_dma_destroy(d);
	pdma_platform_destroy(plat);
}

static void each_dir(const char *dir, bool json)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t len = strlen(name);
		struct pdma_fabric *fab;
		struct pdma_error err;
		char path[4096];
		int ret;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (name[0] == '.' || (json && (len < 5 ||
						strcmp(name + len - 5, ".json"))) ||
		    (!json && ents[i]->d_type != DT_DIR)) {
			free(ents[i]);
			continue;
		}
		ret = json ? pdma_load_json(path, &fab, &err) :
			     pdma_load_sysfs(path, &fab, &err);
		if (ret) {
			fprintf(stderr, "%s: %s\n", path, err.msg);
			CHECK(0);
		} else {
			check_fabric(fab, name, json);
			pdma_fabric_destroy(fab);
		}
		free(ents[i]);
	}
	if (n > 0)
		free(ents);
}

int main(void)
{
	char dir[4096];

	for (int i = 0; pdma_preset_name(i); i++) {
		struct pdma_fabric *fab;
		struct pdma_error err;

		REQUIRE(pdma_load_preset(pdma_preset_name(i), &fab, &err) == 0);
		check_fabric(fab, pdma_preset_name(i), i % 2 == 0);
		pdma_fabric_destroy(fab);
	}
	snprintf(dir, sizeof(dir), "%s/../topologies", harness_fixtures());
	each_dir(dir, true);
	snprintf(dir, sizeof(dir), "%s/kernel", harness_fixtures());
	each_dir(dir, false);
	printf("%d fabrics, %d pairs\n", fabrics_total, pairs_total);
	CHECK(fabrics_total >= 4);
	return harness_exit();
}
