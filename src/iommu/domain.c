/* SPDX-License-Identifier: MIT */
/*
 * IOMMU domains: what a device's DMA goes through.
 *
 * A DMA domain owns a page table (pgtable.c) and an IOVA allocator whose
 * space ends at the aperture (the rest is reserved in it).  Identity
 * domains pass addresses through; blocked domains fault every access.
 *
 * Locking:
 *   dom->pt_lock (rwlock)  the page table: map/unmap write, translate and
 *                          iova_to_phys read, so the router's lookups run
 *                          in parallel.
 *   dom->fault_lock        the fault log and count; a leaf lock, taken
 *                          after pt_lock is dropped.
 *   The IOVA allocator has its own locks (iova_internal.h).
 *   Everything else is immutable after create.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdma/iommu.h>

#include "pgtable.h"

struct pdma_iommu_domain {
	enum pdma_iommu_domain_type type;	/* immutable */
	uint64_t aperture_end;			/* immutable: last IOVA */
	struct pdma_iova_domain *iovad;		/* immutable; DMA only */

	pthread_rwlock_t pt_lock;
	struct pdma__pgtable pt;		/* protected by pt_lock */

	pthread_mutex_t fault_lock;
	struct pdma_iommu_fault *faults;	/* fault_lock: a ring */
	unsigned int fault_cap;			/* immutable */
	uint64_t fault_count;			/* protected by fault_lock */
};

#define DEFAULT_APERTURE_BITS	48
#define DEFAULT_FAULT_LOG	64
#define MAX_FAULT_LOG		65536

static int check_opts(const struct pdma_iommu_domain_opts *in,
		      struct pdma_iommu_domain_opts *o)
{
	*o = (struct pdma_iommu_domain_opts){ 0 };
	if (in) {
		if (in->size < sizeof(size_t) || in->size > sizeof(*o))
			return -EINVAL;
		memcpy(o, in, in->size);
	}
	if (!o->aperture_bits)
		o->aperture_bits = DEFAULT_APERTURE_BITS;
	if (!o->iova_base)
		o->iova_base = PDMA_IOMMU_PAGE_SIZE;
	if (!o->fault_log)
		o->fault_log = DEFAULT_FAULT_LOG;
	if (o->aperture_bits < 32 || o->aperture_bits > PDMA__PT_VA_BITS)
		return -EINVAL;
	if (o->iova_base & (PDMA_IOMMU_PAGE_SIZE - 1) ||
	    o->iova_base >> o->aperture_bits)
		return -EINVAL;
	if (o->fault_log > MAX_FAULT_LOG)
		return -EINVAL;
	return 0;
}

int pdma_iommu_domain_create(enum pdma_iommu_domain_type type,
			     const struct pdma_iommu_domain_opts *opts,
			     struct pdma_iommu_domain **out)
{
	struct pdma_iommu_domain_opts o;
	struct pdma_iommu_domain *dom;
	uint64_t top_pfn;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (type != PDMA_IOMMU_DOMAIN_BLOCKED &&
	    type != PDMA_IOMMU_DOMAIN_IDENTITY && type != PDMA_IOMMU_DOMAIN_DMA)
		return -EINVAL;
	ret = check_opts(opts, &o);
	if (ret)
		return ret;

	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return -ENOMEM;
	dom->type = type;
	dom->aperture_end = (1ULL << o.aperture_bits) - 1;
	dom->fault_cap = o.fault_log;
	dom->faults = calloc(o.fault_log, sizeof(*dom->faults));
	if (!dom->faults) {
		ret = -ENOMEM;
		goto err_dom;
	}
	ret = -pthread_rwlock_init(&dom->pt_lock, NULL);
	if (ret)
		goto err_faults;
	ret = -pthread_mutex_init(&dom->fault_lock, NULL);
	if (ret)
		goto err_pt_lock;

	if (type == PDMA_IOMMU_DOMAIN_DMA) {
		ret = pdma_iova_domain_create(PDMA_IOMMU_PAGE_SIZE,
					      o.iova_base / PDMA_IOMMU_PAGE_SIZE,
					      o.iova_flags, &dom->iovad);
		if (ret)
			goto err_fault_lock;
		/* Nothing may be allocated beyond the aperture. */
		top_pfn = (dom->aperture_end >> PDMA__PT_PAGE_SHIFT) + 1;
		ret = pdma_iova_reserve(dom->iovad, top_pfn,
					UINT64_MAX >> PDMA__PT_PAGE_SHIFT);
		if (ret)
			goto err_iovad;
	}
	*out = dom;
	return 0;

err_iovad:
	pdma_iova_domain_destroy(dom->iovad);
err_fault_lock:
	pthread_mutex_destroy(&dom->fault_lock);
err_pt_lock:
	pthread_rwlock_destroy(&dom->pt_lock);
err_faults:
	free(dom->faults);
err_dom:
	free(dom);
	return ret;
}

void pdma_iommu_domain_destroy(struct pdma_iommu_domain *dom)
{
	if (!dom)
		return;
	pdma_iova_domain_destroy(dom->iovad);
	pdma__pt_destroy(&dom->pt);
	pthread_mutex_destroy(&dom->fault_lock);
	pthread_rwlock_destroy(&dom->pt_lock);
	free(dom->faults);
	free(dom);
}

enum pdma_iommu_domain_type
pdma_iommu_domain_type(const struct pdma_iommu_domain *dom)
{
	return dom->type;
}

struct pdma_iova_domain *pdma_iommu_domain_iovad(struct pdma_iommu_domain *dom)
{
	return dom->iovad;
}

uint64_t pdma_iommu_aperture_end(const struct pdma_iommu_domain *dom)
{
	return dom->aperture_end;
}

void pdma__iommu_pt_usage(struct pdma_iommu_domain *dom, uint64_t *tables,
			  uint64_t *pages)
{
	pthread_rwlock_rdlock(&dom->pt_lock);
	*tables = dom->pt.tables;
	*pages = dom->pt.mapped_pages;
	pthread_rwlock_unlock(&dom->pt_lock);
}

static bool page_aligned(uint64_t x)
{
	return !(x & (PDMA_IOMMU_PAGE_SIZE - 1));
}

int pdma_iommu_map(struct pdma_iommu_domain *dom, uint64_t iova,
		   uint64_t phys, uint64_t size, unsigned int prot)
{
	int ret;

	if (!dom || dom->type != PDMA_IOMMU_DOMAIN_DMA || !size)
		return -EINVAL;
	if (!page_aligned(iova | phys | size))
		return -EINVAL;
	if (!prot || (prot & ~(PDMA_IOMMU_READ | PDMA_IOMMU_WRITE)))
		return -EINVAL;
	if (iova > dom->aperture_end || size - 1 > dom->aperture_end - iova ||
	    phys + (size - 1) < phys)
		return -ERANGE;
	pthread_rwlock_wrlock(&dom->pt_lock);
	ret = pdma__pt_map(&dom->pt, iova, phys, size, prot);
	pthread_rwlock_unlock(&dom->pt_lock);
	return ret;
}

int64_t pdma_iommu_unmap(struct pdma_iommu_domain *dom, uint64_t iova,
			 uint64_t size)
{
	uint64_t done;

	if (!dom || dom->type != PDMA_IOMMU_DOMAIN_DMA)
		return -EINVAL;
	if (!page_aligned(iova | size))
		return -EINVAL;
	if (!size || iova > dom->aperture_end)
		return 0;
	if (size - 1 > dom->aperture_end - iova)
		size = dom->aperture_end - iova + 1;
	pthread_rwlock_wrlock(&dom->pt_lock);
	done = pdma__pt_unmap(&dom->pt, iova, size);
	pthread_rwlock_unlock(&dom->pt_lock);
	return (int64_t)done;
}

int pdma_iommu_iova_to_phys(struct pdma_iommu_domain *dom, uint64_t iova,
			    uint64_t *phys)
{
	uint64_t pte;

	if (!dom || !phys)
		return -EINVAL;
	switch (dom->type) {
	case PDMA_IOMMU_DOMAIN_IDENTITY:
		*phys = iova;
		return 0;
	case PDMA_IOMMU_DOMAIN_DMA:
		if (iova > dom->aperture_end)
			return -ENOENT;
		pthread_rwlock_rdlock(&dom->pt_lock);
		pte = pdma__pt_lookup(&dom->pt, iova);
		pthread_rwlock_unlock(&dom->pt_lock);
		if (!(pte & PDMA__PTE_VALID))
			return -ENOENT;
		*phys = PDMA__PTE_ADDR(pte) | (iova & (PDMA_IOMMU_PAGE_SIZE - 1));
		return 0;
	default:
		return -ENOENT;
	}
}

static void record_fault(struct pdma_iommu_domain *dom, uint32_t initiator,
			 uint64_t iova, enum pdma_iommu_fault_reason reason,
			 bool write, unsigned int prot)
{
	struct pdma_iommu_fault *f;

	pthread_mutex_lock(&dom->fault_lock);
	f = &dom->faults[dom->fault_count % dom->fault_cap];
	*f = (struct pdma_iommu_fault){
		.seq = dom->fault_count,
		.initiator = initiator,
		.iova = iova,
		.reason = reason,
		.write = write,
		.prot = prot,
	};
	dom->fault_count++;
	pthread_mutex_unlock(&dom->fault_lock);
}

int pdma_iommu_translate(struct pdma_iommu_domain *dom, uint32_t initiator,
			 uint64_t iova, uint64_t len, bool write,
			 uint64_t *phys, uint64_t *contig_len)
{
	uint64_t pte, need = write ? PDMA__PTE_WRITE : PDMA__PTE_READ;

	if (!dom || !phys || !contig_len || !len)
		return -EINVAL;
	switch (dom->type) {
	case PDMA_IOMMU_DOMAIN_BLOCKED:
		record_fault(dom, initiator, iova, PDMA_IOMMU_FAULT_BLOCKED,
			     write, 0);
		return -EFAULT;
	case PDMA_IOMMU_DOMAIN_IDENTITY:
		if (len - 1 > UINT64_MAX - iova) {
			record_fault(dom, initiator, iova,
				     PDMA_IOMMU_FAULT_RANGE, write, 0);
			return -EFAULT;
		}
		*phys = iova;
		*contig_len = len;
		return 0;
	default:
		break;
	}

	if (iova > dom->aperture_end) {
		record_fault(dom, initiator, iova, PDMA_IOMMU_FAULT_RANGE,
			     write, 0);
		return -EFAULT;
	}
	pthread_rwlock_rdlock(&dom->pt_lock);
	pte = pdma__pt_lookup(&dom->pt, iova);
	if ((pte & (PDMA__PTE_VALID | need)) == (PDMA__PTE_VALID | need)) {
		*phys = PDMA__PTE_ADDR(pte) |
			(iova & (PDMA_IOMMU_PAGE_SIZE - 1));
		*contig_len = pdma__pt_extent(&dom->pt, iova, len, need);
		pthread_rwlock_unlock(&dom->pt_lock);
		return 0;
	}
	pthread_rwlock_unlock(&dom->pt_lock);
	if (!(pte & PDMA__PTE_VALID)) {
		record_fault(dom, initiator, iova, PDMA_IOMMU_FAULT_UNMAPPED,
			     write, 0);
		return -EFAULT;
	}
	record_fault(dom, initiator, iova, PDMA_IOMMU_FAULT_PERM, write,
		     PDMA__PTE_PROT(pte));
	return -EACCES;
}

uint64_t pdma_iommu_fault_count(struct pdma_iommu_domain *dom)
{
	uint64_t n;

	pthread_mutex_lock(&dom->fault_lock);
	n = dom->fault_count;
	pthread_mutex_unlock(&dom->fault_lock);
	return n;
}

int pdma_iommu_fault_get(struct pdma_iommu_domain *dom, uint64_t seq,
			 struct pdma_iommu_fault *out)
{
	int ret = -ENOENT;

	if (!dom || !out)
		return -EINVAL;
	pthread_mutex_lock(&dom->fault_lock);
	if (seq < dom->fault_count && dom->fault_count - seq <= dom->fault_cap) {
		*out = dom->faults[seq % dom->fault_cap];
		ret = 0;
	}
	pthread_mutex_unlock(&dom->fault_lock);
	return ret;
}

const char *pdma_iommu_fault_reason_name(enum pdma_iommu_fault_reason r,
					 bool write)
{
	switch (r) {
	case PDMA_IOMMU_FAULT_UNMAPPED:
		return "not mapped";
	case PDMA_IOMMU_FAULT_PERM:
		return write ? "no write permission" : "no read permission";
	case PDMA_IOMMU_FAULT_BLOCKED:
		return "the domain blocks all DMA";
	case PDMA_IOMMU_FAULT_RANGE:
		return "outside the IOMMU aperture";
	}
	return "unknown reason";
}

int pdma_iommu_fault_format(const struct pdma_iommu_fault *f, char *buf,
			    size_t len)
{
	char who[32];

	if (f->initiator > 0xffff)
		snprintf(who, sizeof(who), "%04x:%02x:%02x.%x",
			 f->initiator >> 16, (f->initiator >> 8) & 0xff,
			 (f->initiator >> 3) & 0x1f, f->initiator & 7);
	else
		snprintf(who, sizeof(who), "%02x:%02x.%x", f->initiator >> 8,
			 (f->initiator >> 3) & 0x1f, f->initiator & 7);
	return snprintf(buf, len,
			"IOMMU fault #%" PRIu64 ": initiator %s %s at IOVA 0x%"
			PRIx64 ": %s%s", f->seq, who,
			f->write ? "write" : "read", f->iova,
			pdma_iommu_fault_reason_name(f->reason, f->write),
			f->reason != PDMA_IOMMU_FAULT_PERM ? "" :
			f->prot == PDMA_IOMMU_READ ? " (page is read-only)" :
			f->prot == PDMA_IOMMU_WRITE ? " (page is write-only)" :
			"");
}
