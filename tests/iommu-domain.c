/* SPDX-License-Identifier: MIT */
/*
 * IOMMU domains: map, translate, unmap, permissions, faults and their log,
 * identity and blocked domains, contiguity across pages and tables, the
 * kernel's iommu_map() errors, page tables that shrink back to nothing, the
 * domain's IOVA allocator, and translations racing with map/unmap.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <peerdma/iommu.h>

#include "harness.h"
#include "iommu/pgtable.h"

#define PG	0x1000ULL
#define RW	(PDMA_IOMMU_READ | PDMA_IOMMU_WRITE)
#define RD	PDMA_IOMMU_READ
#define WR	PDMA_IOMMU_WRITE

static struct pdma_iommu_domain *mk(enum pdma_iommu_domain_type type,
				    unsigned int aperture_bits,
				    unsigned int fault_log)
{
	struct pdma_iommu_domain_opts o = {
		.size = sizeof(o),
		.aperture_bits = aperture_bits,
		.fault_log = fault_log,
	};
	struct pdma_iommu_domain *dom = NULL;

	REQUIRE(pdma_iommu_domain_create(type, &o, &dom) == 0 && dom);
	return dom;
}

static uint64_t tables(struct pdma_iommu_domain *dom)
{
	uint64_t t, p;

	pdma__iommu_pt_usage(dom, &t, &p);
	return t;
}

static uint64_t pages(struct pdma_iommu_domain *dom)
{
	uint64_t t, p;

	pdma__iommu_pt_usage(dom, &t, &p);
	return p;
}

/* Translate and expect success: check phys and contiguous length. */
static void xlate(struct pdma_iommu_domain *dom, uint64_t iova, uint64_t len,
		  bool write, uint64_t want_phys, uint64_t want_contig)
{
	uint64_t phys = 0, contig = 0;
	int ret = pdma_iommu_translate(dom, 0x0300, iova, len, write, &phys,
				       &contig);

	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_INT(phys, want_phys);
	CHECK_EQ_INT(contig, want_contig);
}

static void test_create(void)
{
	struct pdma_iommu_domain_opts o = { .size = sizeof(o) };
	struct pdma_iommu_domain *dom = (void *)1;

	CHECK_EQ_INT(pdma_iommu_domain_create(7, NULL, &dom), -EINVAL);
	CHECK(dom == NULL);
	CHECK_EQ_INT(pdma_iommu_domain_create(PDMA_IOMMU_DOMAIN_DMA, NULL,
					      NULL), -EINVAL);
	o.aperture_bits = 31;
	CHECK_EQ_INT(pdma_iommu_domain_create(PDMA_IOMMU_DOMAIN_DMA, &o, &dom),
		     -EINVAL);
	o.aperture_bits = 49;
	CHECK_EQ_INT(pdma_iommu_domain_create(PDMA_IOMMU_DOMAIN_DMA, &o, &dom),
		     -EINVAL);
	o.aperture_bits = 0;
	o.iova_base = 0x1800;
	CHECK_EQ_INT(pdma_iommu_domain_create(PDMA_IOMMU_DOMAIN_DMA, &o, &dom),
		     -EINVAL);
	o.iova_base = 0;
	o.fault_log = 65537;
	CHECK_EQ_INT(pdma_iommu_domain_create(PDMA_IOMMU_DOMAIN_DMA, &o, &dom),
		     -EINVAL);
	o.fault_log = 0;
	o.size = 0;
	CHECK_EQ_INT(pdma_iommu_domain_create(PDMA_IOMMU_DOMAIN_DMA, &o, &dom),
		     -EINVAL);

	CHECK_EQ_INT(pdma_iommu_domain_create(PDMA_IOMMU_DOMAIN_DMA, NULL, &dom),
		     0);
	CHECK_EQ_INT(pdma_iommu_domain_type(dom), PDMA_IOMMU_DOMAIN_DMA);
	CHECK_EQ_INT(pdma_iommu_aperture_end(dom), (1ULL << 48) - 1);
	CHECK(pdma_iommu_domain_iovad(dom) != NULL);
	CHECK_EQ_INT(tables(dom), 0);
	pdma_iommu_domain_destroy(dom);
	dom = mk(PDMA_IOMMU_DOMAIN_IDENTITY, 0, 0);
	CHECK(pdma_iommu_domain_iovad(dom) == NULL);
	pdma_iommu_domain_destroy(dom);
	pdma_iommu_domain_destroy(NULL);
}

static void test_map_translate_unmap(void)
{
	struct pdma_iommu_domain *dom = mk(PDMA_IOMMU_DOMAIN_DMA, 0, 0);
	uint64_t phys;

	CHECK_EQ_INT(pdma_iommu_map(dom, 0x10000, 0x80000000, 3 * PG, RW), 0);
	CHECK_EQ_INT(pages(dom), 3);
	CHECK_EQ_INT(tables(dom), 4);		/* one per level */
	xlate(dom, 0x10010, 100, false, 0x80000010, 100);
	xlate(dom, 0x10000, 3 * PG, true, 0x80000000, 3 * PG);
	/* Contiguous up to the end of the mapping, not beyond. */
	xlate(dom, 0x10800, 0x10000, false, 0x80000800, 3 * PG - 0x800);
	xlate(dom, 0x12fff, 1, true, 0x80002fff, 1);
	CHECK_EQ_INT(pdma_iommu_iova_to_phys(dom, 0x11234, &phys), 0);
	CHECK_EQ_INT(phys, 0x80001234);
	CHECK_EQ_INT(pdma_iommu_iova_to_phys(dom, 0x13000, &phys), -ENOENT);
	CHECK_EQ_INT(pdma_iommu_fault_count(dom), 0);

	CHECK_EQ_INT(pdma_iommu_unmap(dom, 0x11000, PG), PG);
	CHECK_EQ_INT(pdma_iommu_iova_to_phys(dom, 0x11000, &phys), -ENOENT);
	xlate(dom, 0x10000, 3 * PG, false, 0x80000000, PG);
	/* Unmap stops at the first hole, like the kernel's. */
	CHECK_EQ_INT(pdma_iommu_unmap(dom, 0x10000, 3 * PG), PG);
	CHECK_EQ_INT(pdma_iommu_unmap(dom, 0x10000, 3 * PG), 0);
	CHECK_EQ_INT(pdma_iommu_unmap(dom, 0x12000, 4 * PG), PG);
	CHECK_EQ_INT(pages(dom), 0);
	CHECK_EQ_INT(tables(dom), 0);		/* emptied tables are freed */
	pdma_iommu_domain_destroy(dom);
}

static void test_map_errors(void)
{
	struct pdma_iommu_domain *dom = mk(PDMA_IOMMU_DOMAIN_DMA, 40, 0);
	uint64_t end = (1ULL << 40) - 1, phys;

	CHECK_EQ_INT(pdma_iommu_map(dom, 0x10001, 0, PG, RW), -EINVAL);
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x10000, 0x800, PG, RW), -EINVAL);
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x10000, 0, 0x1800, RW), -EINVAL);
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x10000, 0, 0, RW), -EINVAL);
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x10000, 0, PG, 0), -EINVAL);
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x10000, 0, PG, 0x4), -EINVAL);
	CHECK_EQ_INT(pdma_iommu_map(dom, end + 1, 0, PG, RW), -ERANGE);
	CHECK_EQ_INT(pdma_iommu_map(dom, end + 1 - PG, 0, 2 * PG, RW), -ERANGE);
	CHECK_EQ_INT(pdma_iommu_map(dom, 0, ~0ULL - PG + 1, 2 * PG, RW),
		     -ERANGE);
	CHECK_EQ_INT(pdma_iommu_map(dom, end + 1 - PG, 0x1000, PG, RW), 0);
	CHECK_EQ_INT(pdma_iommu_unmap(dom, 0x10800, PG), -EINVAL);
	CHECK_EQ_INT(pdma_iommu_unmap(dom, 0x10000, 0x800), -EINVAL);

	/* Overlap: -EEXIST, and nothing of the new range stays mapped. */
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x10000, 0x100000, 3 * PG, RD), 0);
	uint64_t t = tables(dom);

	CHECK_EQ_INT(pdma_iommu_map(dom, 0xe000, 0x200000, 3 * PG, RW), -EEXIST);
	CHECK_EQ_INT(pdma_iommu_iova_to_phys(dom, 0xe000, &phys), -ENOENT);
	CHECK_EQ_INT(pdma_iommu_iova_to_phys(dom, 0xf000, &phys), -ENOENT);
	CHECK_EQ_INT(pdma_iommu_iova_to_phys(dom, 0x10000, &phys), 0);
	CHECK_EQ_INT(phys, 0x100000);		/* the old mapping is intact */
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x12000, 0, PG, RW), -EEXIST);
	CHECK_EQ_INT(tables(dom), t);
	/*
	 * A map that makes a level-2 table and four leaf tables before it
	 * collides in the fifth: the tables made for it go too.
	 */
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x700400000, 0, PG, RW), 0);
	t = tables(dom);
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x6ffc00000, 0x40000000,
				    0x800000 + PG, RW), -EEXIST);
	CHECK_EQ_INT(tables(dom), t);
	CHECK_EQ_INT(pages(dom), 1 + 3 + 1);
	CHECK_EQ_INT(pdma_iommu_iova_to_phys(dom, 0x6ffc00000, &phys), -ENOENT);
	CHECK_EQ_INT(pdma_iommu_iova_to_phys(dom, 0x7003ff000, &phys), -ENOENT);

	/* Not a DMA domain: nothing to map. */
	struct pdma_iommu_domain *id = mk(PDMA_IOMMU_DOMAIN_IDENTITY, 0, 0);

	CHECK_EQ_INT(pdma_iommu_map(id, 0x10000, 0, PG, RW), -EINVAL);
	CHECK_EQ_INT(pdma_iommu_unmap(id, 0x10000, PG), -EINVAL);
	pdma_iommu_domain_destroy(id);
	pdma_iommu_domain_destroy(dom);
}

static void test_contiguity(void)
{
	struct pdma_iommu_domain *dom = mk(PDMA_IOMMU_DOMAIN_DMA, 0, 0);

	/* Two IOVA-adjacent pages, physically apart: one page at a time. */
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x100000, 0x5000, PG, RW), 0);
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x101000, 0x9000, PG, RW), 0);
	xlate(dom, 0x100000, 2 * PG, false, 0x5000, PG);
	xlate(dom, 0x100100, 2 * PG, false, 0x5100, PG - 0x100);
	xlate(dom, 0x101000, PG, false, 0x9000, PG);
	/* Mapped in two calls but physically contiguous: one extent. */
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x102000, 0xa000, PG, RW), 0);
	xlate(dom, 0x101000, 8 * PG, true, 0x9000, 2 * PG);

	/* Across a leaf table (2 MiB) and a level-2 table (1 GiB) boundary. */
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x3fffe000, 0x123450000, 4 * PG, RW),
		     0);
	xlate(dom, 0x3fffe000, 4 * PG, false, 0x123450000, 4 * PG);
	xlate(dom, 0x3ffff800, 0x1000, false, 0x123451800, 0x1000);
	/* Capped at @len. */
	xlate(dom, 0x3fffe000, 5, false, 0x123450000, 5);

	/* Permissions split an extent for the access that lacks them. */
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x500000, 0x700000, PG, RW), 0);
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x501000, 0x701000, PG, RD), 0);
	xlate(dom, 0x500000, 2 * PG, false, 0x700000, 2 * PG);
	xlate(dom, 0x500000, 2 * PG, true, 0x700000, PG);

	/* A large mapping: 64 MiB in one call, one extent. */
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x80000000, 0x200000000, 64ULL << 20,
				    RW), 0);
	xlate(dom, 0x80000000, 64ULL << 20, true, 0x200000000, 64ULL << 20);
	xlate(dom, 0x80000000 + 12345, 1ULL << 30, true, 0x200000000 + 12345,
	      (64ULL << 20) - 12345);
	CHECK_EQ_INT(pdma_iommu_unmap(dom, 0x80000000, 64ULL << 20),
		     64ULL << 20);
	pdma_iommu_domain_destroy(dom);
}

static void test_faults(void)
{
	struct pdma_iommu_domain *dom = mk(PDMA_IOMMU_DOMAIN_DMA, 40, 4);
	struct pdma_iommu_fault f;
	uint64_t phys = 7, contig = 7;
	char line[200];

	CHECK_EQ_INT(pdma_iommu_map(dom, 0x20000, 0x90000, PG, RD), 0);
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x21000, 0x91000, PG, WR), 0);

	/* Not mapped. */
	CHECK_EQ_INT(pdma_iommu_translate(dom, 0x0410, 0x30008, 64, true,
					  &phys, &contig), -EFAULT);
	CHECK_EQ_INT(pdma_iommu_fault_count(dom), 1);
	CHECK_EQ_INT(pdma_iommu_fault_get(dom, 0, &f), 0);
	CHECK_EQ_INT(f.seq, 0);
	CHECK_EQ_INT(f.initiator, 0x0410);
	CHECK_EQ_INT(f.iova, 0x30008);
	CHECK_EQ_INT(f.reason, PDMA_IOMMU_FAULT_UNMAPPED);
	CHECK(f.write);
	pdma_iommu_fault_format(&f, line, sizeof(line));
	CHECK_STR(line, "IOMMU fault #0: initiator 04:02.0 write at IOVA "
			"0x30008: not mapped");

	/* Read-only page written, write-only page read. */
	CHECK_EQ_INT(pdma_iommu_translate(dom, 0x0300, 0x20010, 4, true,
					  &phys, &contig), -EACCES);
	CHECK_EQ_INT(pdma_iommu_fault_get(dom, 1, &f), 0);
	CHECK_EQ_INT(f.reason, PDMA_IOMMU_FAULT_PERM);
	CHECK_EQ_INT(f.iova, 0x20010);
	CHECK_EQ_INT(f.prot, RD);
	pdma_iommu_fault_format(&f, line, sizeof(line));
	CHECK_STR(line, "IOMMU fault #1: initiator 03:00.0 write at IOVA "
			"0x20010: no write permission (page is read-only)");
	CHECK_EQ_INT(pdma_iommu_translate(dom, 0x0300, 0x21000, 4, false,
					  &phys, &contig), -EACCES);
	xlate(dom, 0x20000, 2 * PG, false, 0x90000, PG);
	xlate(dom, 0x21000, PG, true, 0x91000, PG);
	/* Outside the aperture, with a PCI domain in the initiator. */
	CHECK_EQ_INT(pdma_iommu_translate(dom, 0x10300, 1ULL << 40, 4, false,
					  &phys, &contig), -EFAULT);
	CHECK_EQ_INT(pdma_iommu_fault_get(dom, 3, &f), 0);
	CHECK_EQ_INT(f.reason, PDMA_IOMMU_FAULT_RANGE);
	pdma_iommu_fault_format(&f, line, sizeof(line));
	CHECK_STR(line, "IOMMU fault #3: initiator 0001:03:00.0 read at IOVA "
			"0x10000000000: outside the IOMMU aperture");
	/* The log keeps the last 4; older ones are gone, later ones not yet. */
	CHECK_EQ_INT(pdma_iommu_translate(dom, 0x0300, 0x0, 4, false, &phys,
					  &contig), -EFAULT);
	CHECK_EQ_INT(pdma_iommu_translate(dom, 0x0300, 0x1000, 4, false, &phys,
					  &contig), -EFAULT);
	CHECK_EQ_INT(pdma_iommu_fault_count(dom), 6);
	CHECK_EQ_INT(pdma_iommu_fault_get(dom, 0, &f), -ENOENT);
	CHECK_EQ_INT(pdma_iommu_fault_get(dom, 1, &f), -ENOENT);
	CHECK_EQ_INT(pdma_iommu_fault_get(dom, 2, &f), 0);
	CHECK_EQ_INT(f.iova, 0x21000);
	CHECK(!f.write);
	CHECK_EQ_INT(pdma_iommu_fault_get(dom, 5, &f), 0);
	CHECK_EQ_INT(f.iova, 0x1000);
	CHECK_EQ_INT(pdma_iommu_fault_get(dom, 6, &f), -ENOENT);
	CHECK_EQ_INT(pdma_iommu_translate(dom, 0x0300, 0x20000, 0, false,
					  &phys, &contig), -EINVAL);
	CHECK_EQ_INT(pdma_iommu_fault_count(dom), 6);
	pdma_iommu_domain_destroy(dom);
}

static void test_identity_blocked(void)
{
	struct pdma_iommu_domain *id = mk(PDMA_IOMMU_DOMAIN_IDENTITY, 0, 0);
	struct pdma_iommu_domain *bl = mk(PDMA_IOMMU_DOMAIN_BLOCKED, 0, 0);
	struct pdma_iommu_fault f;
	uint64_t phys, contig;
	char line[200];

	xlate(id, 0xfee00000, 0x12345, true, 0xfee00000, 0x12345);
	xlate(id, 0x123456789abc, 1ULL << 40, false, 0x123456789abc,
	      1ULL << 40);
	CHECK_EQ_INT(pdma_iommu_iova_to_phys(id, 0xabc, &phys), 0);
	CHECK_EQ_INT(phys, 0xabc);
	CHECK_EQ_INT(pdma_iommu_fault_count(id), 0);
	/* An access that wraps the address space. */
	CHECK_EQ_INT(pdma_iommu_translate(id, 1, ~0ULL - 10, 100, false, &phys,
					  &contig), -EFAULT);
	CHECK_EQ_INT(pdma_iommu_fault_count(id), 1);

	CHECK_EQ_INT(pdma_iommu_translate(bl, 0x0100, 0x5000, 8, false, &phys,
					  &contig), -EFAULT);
	CHECK_EQ_INT(pdma_iommu_iova_to_phys(bl, 0x5000, &phys), -ENOENT);
	CHECK_EQ_INT(pdma_iommu_map(bl, 0x5000, 0x5000, PG, RW), -EINVAL);
	CHECK_EQ_INT(pdma_iommu_fault_get(bl, 0, &f), 0);
	CHECK_EQ_INT(f.reason, PDMA_IOMMU_FAULT_BLOCKED);
	pdma_iommu_fault_format(&f, line, sizeof(line));
	CHECK_STR(line, "IOMMU fault #0: initiator 01:00.0 read at IOVA "
			"0x5000: the domain blocks all DMA");
	pdma_iommu_domain_destroy(id);
	pdma_iommu_domain_destroy(bl);
}

static void test_sparse_tables(void)
{
	struct pdma_iommu_domain *dom = mk(PDMA_IOMMU_DOMAIN_DMA, 0, 0);

	/* Two pages far apart: a root and two chains of three tables. */
	CHECK_EQ_INT(pdma_iommu_map(dom, 0x1000, 0x1000, PG, RW), 0);
	CHECK_EQ_INT(pdma_iommu_map(dom, (1ULL << 48) - PG, 0x2000, PG, RW), 0);
	CHECK_EQ_INT(tables(dom), 7);
	/* 1 GiB: 512 leaf tables and a level-2 table (proportional). */
	CHECK_EQ_INT(pdma_iommu_map(dom, 1ULL << 40, 0, 1ULL << 30, RW), 0);
	CHECK_EQ_INT(tables(dom), 7 + 2 + 512);
	CHECK_EQ_INT(pages(dom), 2 + 262144);
	CHECK_EQ_INT(pdma_iommu_unmap(dom, 1ULL << 40, 1ULL << 30), 1ULL << 30);
	CHECK_EQ_INT(tables(dom), 7);
	CHECK_EQ_INT(pdma_iommu_unmap(dom, (1ULL << 48) - PG, 1ULL << 30), PG);
	CHECK_EQ_INT(tables(dom), 4);
	pdma_iommu_domain_destroy(dom);	/* with a mapping left */
}

static void test_iova_in_domain(void)
{
	struct pdma_iommu_domain *dom = mk(PDMA_IOMMU_DOMAIN_DMA, 32, 0);
	struct pdma_iova_domain *iovad = pdma_iommu_domain_iovad(dom);
	uint64_t pfn, iova, phys, contig;

	/* A 64-bit DMA mask still lands inside the 4 GiB aperture. */
	CHECK_EQ_INT(pdma_iova_alloc_fast(iovad, 16, (1ULL << 52) - 1, true,
					  &pfn), 0);
	CHECK_EQ_INT(pfn, 0x100000 - 16);
	iova = pfn * PDMA_IOMMU_PAGE_SIZE;
	CHECK_EQ_INT(pdma_iommu_map(dom, iova, 0x7000000000, 16 * PG, RW), 0);
	CHECK_EQ_INT(pdma_iommu_translate(dom, 0x0300, iova + 5, 16 * PG, true,
					  &phys, &contig), 0);
	CHECK_EQ_INT(phys, 0x7000000005);
	CHECK_EQ_INT(contig, 16 * PG - 5);
	CHECK_EQ_INT(pdma_iommu_unmap(dom, iova, 16 * PG), 16 * PG);
	CHECK_EQ_INT(pdma_iova_free_fast(iovad, pfn, 16), 0);
	/* IOVA 0 is never handed out (iova_base defaults to one page). */
	CHECK_EQ_INT(pdma_iova_alloc(iovad, 0x100000 - 16 - 1, 0xfffff, false,
				     &pfn), 0);
	CHECK_EQ_INT(pfn, 1);
	pdma_iommu_domain_destroy(dom);
}

/* ---- translations racing with map/unmap ---- */

struct reader {
	struct pdma_iommu_domain *dom;
	atomic_bool *stop;
	unsigned long bad, ok, faults;
};

static void *reader(void *arg)
{
	struct reader *r = arg;
	uint64_t phys, contig;
	unsigned long n = 0;

	while (!atomic_load(r->stop) || n < 1000) {
		/* The stable mapping: always there, always the same. */
		if (pdma_iommu_translate(r->dom, 0x0200, 0x100000 + (n % 8) * PG,
					 PG, n & 1, &phys, &contig) ||
		    phys != 0x900000 + (n % 8) * PG || contig != PG)
			r->bad++;
		else
			r->ok++;
		/* The churning one: mapped to its one place, or a fault. */
		int ret = pdma_iommu_translate(r->dom, 0x0200, 0x400000, 4 * PG,
					       false, &phys, &contig);
		if (ret == 0 && (phys != 0xa00000 || contig > 4 * PG))
			r->bad++;
		else if (ret && ret != -EFAULT)
			r->bad++;
		else if (ret)
			r->faults++;
		n++;
	}
	return NULL;
}

static void test_concurrent(void)
{
	struct pdma_iommu_domain *dom = mk(PDMA_IOMMU_DOMAIN_DMA, 0, 16);
	atomic_bool stop = false;
	struct reader r[2] = {
		{ .dom = dom, .stop = &stop }, { .dom = dom, .stop = &stop },
	};
	pthread_t t[2];

	CHECK_EQ_INT(pdma_iommu_map(dom, 0x100000, 0x900000, 8 * PG, RW), 0);
	for (int i = 0; i < 2; i++)
		REQUIRE(pthread_create(&t[i], NULL, reader, &r[i]) == 0);
	for (int i = 0; i < 3000; i++) {
		CHECK_EQ_INT(pdma_iommu_map(dom, 0x400000, 0xa00000, 4 * PG, RW),
			     0);
		CHECK_EQ_INT(pdma_iommu_unmap(dom, 0x400000, 4 * PG), 4 * PG);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ_INT(r[i].bad, 0);
		CHECK(r[i].ok >= 1000);
	}
	CHECK_EQ_INT(pdma_iommu_fault_count(dom), r[0].faults + r[1].faults);
	pdma_iommu_domain_destroy(dom);
}

int main(void)
{
	test_create();
	test_map_translate_unmap();
	test_map_errors();
	test_contiguity();
	test_faults();
	test_identity_blocked();
	test_sparse_tables();
	test_iova_in_domain();
	test_concurrent();
	return harness_exit();
}
