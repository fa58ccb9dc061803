/* SPDX-License-Identifier: MIT */
/*
 * p2pmem providers and pools, after the kernel's drivers/pci/p2pdma.c:
 * registration (set_bar, add_resource), publish, allocation with one pool
 * reference per allocation, references for mappings and DMA, revocation
 * that waits for the last user.  find_many is in p2pmem_find.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "p2pmem.h"

static inline struct pdma__extent *blk_ext(const struct pdma_p2pmem_block *b)
{
	return (struct pdma__extent *)b;
}

static inline struct pdma_p2pmem_block *ext_blk(struct pdma__extent *e)
{
	return (struct pdma_p2pmem_block *)e;
}

static int state_of(const struct pdma_p2pmem_provider *prov)
{
	return atomic_load_explicit(&prov->state, memory_order_acquire);
}

/* ---- lifetime --------------------------------------------------------- */

int pdma_p2pmem_provider_create(struct pdma_fabric *fab, int func,
				struct pdma_p2pmem_provider **out)
{
	struct pdma_p2pmem_provider *prov;

	*out = NULL;
	if (fab && !pdma_fabric_func(fab, func))
		return -EINVAL;
	prov = calloc(1, sizeof(*prov));
	if (!prov)
		return -ENOMEM;
	if (pthread_mutex_init(&prov->lock, NULL))
		goto err_free;
	if (pthread_cond_init(&prov->drained, NULL))
		goto err_mutex;
	atomic_init(&prov->kref, 1);
	atomic_init(&prov->state, PDMA__PROV_LIVE);
	prov->fab = fab;
	prov->func = fab ? func : PDMA_NONE;
	pdma__extents_init(&prov->ext);
	*out = prov;
	return 0;

err_mutex:
	pthread_mutex_destroy(&prov->lock);
err_free:
	free(prov);
	return -ENOMEM;
}

struct pdma_p2pmem_provider *
pdma_p2pmem_provider_get(struct pdma_p2pmem_provider *prov)
{
	atomic_fetch_add_explicit(&prov->kref, 1, memory_order_relaxed);
	return prov;
}

/* Free extents and chunks; no extent may be in use. */
static void pool_free_locked(struct pdma_p2pmem_provider *prov)
{
	pdma__extents_destroy(&prov->ext);
	for (int i = 0; i < prov->nr_chunks; i++)
		free(prov->chunks[i]);
	free(prov->chunks);
	prov->chunks = NULL;
	prov->nr_chunks = prov->cap_chunks = 0;
	prov->pool_size = 0;
}

void pdma_p2pmem_provider_put(struct pdma_p2pmem_provider *prov)
{
	if (!prov)
		return;
	if (atomic_fetch_sub_explicit(&prov->kref, 1,
				      memory_order_acq_rel) != 1)
		return;
	/* Nobody else can see it now; every extent in use held a kref. */
	pool_free_locked(prov);
	pthread_cond_destroy(&prov->drained);
	pthread_mutex_destroy(&prov->lock);
	free(prov);
}

int pdma_p2pmem_provider_func(const struct pdma_p2pmem_provider *prov)
{
	return prov->func;
}

/* ---- registration ------------------------------------------------------ */

int pdma_p2pmem_set_bar(struct pdma_p2pmem_provider *prov, int bar,
			const struct pdma_p2pmem_bar *desc)
{
	struct pdma_p2pmem_bar d;
	int ret = 0;

	if (bar < 0 || bar >= PDMA__NR_BARS || !desc ||
	    desc->size != sizeof(*desc))
		return -EINVAL;
	d = *desc;
	if (d.flags & PDMA_BAR_MEM) {
		if (!d.region)
			return -EINVAL;
		if (!d.len)
			d.len = pdma_region_size(d.region);
		if (d.len > pdma_region_size(d.region))
			return -EINVAL;
	}
	if (d.len && (d.cpu_addr + d.len - 1 < d.cpu_addr ||
		      d.bus_addr + d.len - 1 < d.bus_addr))
		return -EINVAL;

	pthread_mutex_lock(&prov->lock);
	if (state_of(prov) != PDMA__PROV_LIVE) {
		ret = -ENODEV;
		goto out_unlock;
	}
	for (int i = 0; i < prov->nr_chunks; i++)
		if (prov->chunks[i]->bar == bar) {
			ret = -EBUSY;
			goto out_unlock;
		}
	prov->bars[bar] = d;
	prov->bar_set[bar] = true;
out_unlock:
	pthread_mutex_unlock(&prov->lock);
	return ret;
}

int64_t pdma_p2pmem_bus_offset(struct pdma_p2pmem_provider *prov, int bar)
{
	int64_t off = 0;

	if (bar < 0 || bar >= PDMA__NR_BARS)
		return 0;
	pthread_mutex_lock(&prov->lock);
	if (prov->bar_set[bar])
		off = (int64_t)(prov->bars[bar].bus_addr -
				prov->bars[bar].cpu_addr);
	pthread_mutex_unlock(&prov->lock);
	return off;
}

static int add_chunk_locked(struct pdma_p2pmem_provider *prov, int bar,
			    uint64_t size, uint64_t offset)
{
	const struct pdma_p2pmem_bar *b = &prov->bars[bar];
	struct pdma__chunk *c;
	int ret;

	for (int i = 0; i < prov->nr_chunks; i++) {
		c = prov->chunks[i];
		if (c->bar == bar && offset < c->offset + c->len &&
		    c->offset < offset + size)
			return -EBUSY;
	}
	if (prov->nr_chunks == prov->cap_chunks) {
		int n = prov->cap_chunks ? prov->cap_chunks * 2 : 2;
		struct pdma__chunk **v;

		v = realloc(prov->chunks, n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		prov->chunks = v;
		prov->cap_chunks = n;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->prov = prov;
	c->bar = bar;
	c->va = (uintptr_t)pdma_region_base(b->region) + offset;
	c->len = size;
	c->offset = offset;
	c->cpu_addr = b->cpu_addr + offset;
	c->bus_addr = b->bus_addr + offset;
	ret = pdma__extents_add(&prov->ext, c, c->va, c->len);
	if (ret) {
		free(c);
		return ret;
	}
	prov->chunks[prov->nr_chunks++] = c;
	prov->pool_size += size;
	return 0;
}

int pdma_p2pmem_add_resource(struct pdma_p2pmem_provider *prov, int bar,
			     uint64_t size, uint64_t offset)
{
	uint64_t page = pdma_page_size(), len;
	int ret;

	if (bar < 0 || bar >= PDMA__NR_BARS)
		return -EINVAL;
	pthread_mutex_lock(&prov->lock);
	if (state_of(prov) != PDMA__PROV_LIVE) {
		ret = -ENODEV;
		goto out_unlock;
	}
	ret = -EINVAL;
	/* The kernel's checks, in its order. */
	if (!prov->bar_set[bar] || !(prov->bars[bar].flags & PDMA_BAR_MEM))
		goto out_unlock;
	len = prov->bars[bar].len;
	if (offset >= len)
		goto out_unlock;
	if (!size)
		size = len - offset;
	if (size > len - offset)
		goto out_unlock;
	/* memremap_pages() works in pages. */
	if (offset % page || size % page)
		goto out_unlock;
	ret = add_chunk_locked(prov, bar, size, offset);
out_unlock:
	pthread_mutex_unlock(&prov->lock);
	return ret;
}

int pdma_p2pmem_publish(struct pdma_p2pmem_provider *prov, bool publish)
{
	int ret = 0;

	pthread_mutex_lock(&prov->lock);
	if (state_of(prov) == PDMA__PROV_LIVE)
		prov->published = publish;
	else
		ret = -ENODEV;
	pthread_mutex_unlock(&prov->lock);
	return ret;
}

static bool has_p2pmem_locked(const struct pdma_p2pmem_provider *prov)
{
	return state_of(prov) == PDMA__PROV_LIVE && prov->nr_chunks > 0 &&
	       prov->published;
}

bool pdma_p2pmem_has_p2pmem(struct pdma_p2pmem_provider *prov)
{
	bool ret;

	pthread_mutex_lock(&prov->lock);
	ret = has_p2pmem_locked(prov);
	pthread_mutex_unlock(&prov->lock);
	return ret;
}

void pdma_p2pmem_stat(struct pdma_p2pmem_provider *prov,
		      struct pdma_p2pmem *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&prov->lock);
	if (state_of(prov) == PDMA__PROV_LIVE && prov->nr_chunks > 0) {
		out->present = true;
		out->size = prov->pool_size;
		out->available = prov->ext.free_bytes;
		out->published = prov->published;
	}
	pthread_mutex_unlock(&prov->lock);
}

size_t pdma_p2pmem_metadata_bytes(struct pdma_p2pmem_provider *prov)
{
	size_t n;

	pthread_mutex_lock(&prov->lock);
	n = sizeof(*prov) +
	    (size_t)prov->cap_chunks * sizeof(prov->chunks[0]) +
	    (size_t)prov->nr_chunks * sizeof(struct pdma__chunk) +
	    pdma__extents_metadata(&prov->ext);
	pthread_mutex_unlock(&prov->lock);
	return n;
}

/* ---- allocation -------------------------------------------------------- */

int pdma_p2pmem_alloc(struct pdma_p2pmem_provider *prov, size_t size,
		      void **out)
{
	size_t page = pdma_page_size();
	struct pdma__extent *e;
	int ret;

	*out = NULL;
	if (!size)
		return -EINVAL;
	if (size > SIZE_MAX - page + 1)
		return -ENOMEM;
	size = (size + page - 1) & ~(page - 1);

	pthread_mutex_lock(&prov->lock);
	if (state_of(prov) != PDMA__PROV_LIVE || !prov->nr_chunks) {
		ret = -ENODEV;
		goto out_unlock;
	}
	ret = pdma__extents_alloc(&prov->ext, size, &e);
	if (ret)
		goto out_unlock;
	e->refs = 1;		/* the owner's */
	atomic_fetch_add_explicit(&prov->kref, 1, memory_order_relaxed);
	*out = (void *)e->start;
out_unlock:
	pthread_mutex_unlock(&prov->lock);
	return ret;
}

/*
 * Drop one reference on @e; the last one returns it to the pool and wakes
 * remove() when the pool is empty.  Returns true if the caller must then
 * drop the provider reference the extent held (after unlocking).
 */
static bool unref_locked(struct pdma_p2pmem_provider *prov,
			 struct pdma__extent *e)
{
	if (--e->refs)
		return false;
	pdma__extents_release(&prov->ext, e);
	if (!prov->ext.nr_used)
		pthread_cond_broadcast(&prov->drained);
	return true;
}

int pdma_p2pmem_free(struct pdma_p2pmem_provider *prov, void *ptr,
		     size_t size)
{
	size_t page = pdma_page_size();
	struct pdma__extent *e;
	bool last;
	int ret = -EINVAL;

	if (!ptr || !size || size > SIZE_MAX - page + 1)
		return -EINVAL;
	size = (size + page - 1) & ~(page - 1);
	pthread_mutex_lock(&prov->lock);
	e = pdma__extents_find(&prov->ext, (uintptr_t)ptr);
	if (!e || e->start != (uintptr_t)ptr || e->state != PDMA__EXT_LIVE ||
	    e->len != size)
		goto out_unlock;
	e->state = PDMA__EXT_FREED;
	last = unref_locked(prov, e);
	pthread_mutex_unlock(&prov->lock);
	if (last)
		pdma_p2pmem_provider_put(prov);
	return 0;

out_unlock:
	pthread_mutex_unlock(&prov->lock);
	return ret;
}

static uint64_t translate(struct pdma_p2pmem_provider *prov, const void *ptr,
			  bool bus)
{
	uintptr_t va = (uintptr_t)ptr;
	uint64_t addr = 0;

	if (!ptr)
		return 0;
	pthread_mutex_lock(&prov->lock);
	if (state_of(prov) != PDMA__PROV_LIVE)
		goto out_unlock;
	for (int i = 0; i < prov->nr_chunks; i++) {
		const struct pdma__chunk *c = prov->chunks[i];

		if (va >= c->va && va - c->va < c->len) {
			addr = (bus ? c->bus_addr : c->cpu_addr) + (va - c->va);
			break;
		}
	}
out_unlock:
	pthread_mutex_unlock(&prov->lock);
	return addr;
}

uint64_t pdma_p2pmem_virt_to_bus(struct pdma_p2pmem_provider *prov,
				 const void *ptr)
{
	return translate(prov, ptr, true);
}

uint64_t pdma_p2pmem_virt_to_phys(struct pdma_p2pmem_provider *prov,
				  const void *ptr)
{
	return translate(prov, ptr, false);
}

int pdma_p2pmem_alloc_sgl(struct pdma_p2pmem_provider *prov, size_t size,
			  struct pdma_p2pmem_sge **sgl, unsigned *nents)
{
	struct pdma_p2pmem_sge *s;
	int ret;

	*sgl = NULL;
	*nents = 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = pdma_p2pmem_alloc(prov, size, &s->addr);
	if (ret) {
		free(s);
		return ret;
	}
	s->len = size;
	*sgl = s;
	*nents = 1;
	return 0;
}

void pdma_p2pmem_free_sgl(struct pdma_p2pmem_provider *prov,
			  struct pdma_p2pmem_sge *sgl, unsigned nents)
{
	if (!sgl)
		return;
	for (unsigned i = 0; i < nents; i++)
		pdma_p2pmem_free(prov, sgl[i].addr, sgl[i].len);
	free(sgl);
}

/* ---- references and teardown ------------------------------------------ */

int pdma_p2pmem_get(struct pdma_p2pmem_provider *prov, const void *ptr,
		    size_t len, struct pdma_p2pmem_block **out)
{
	uintptr_t va = (uintptr_t)ptr;
	struct pdma__extent *e;
	int ret = 0;

	*out = NULL;
	if (!ptr || !len)
		return -EINVAL;
	pthread_mutex_lock(&prov->lock);
	if (state_of(prov) != PDMA__PROV_LIVE) {
		ret = -ENODEV;
		goto out_unlock;
	}
	e = pdma__extents_find(&prov->ext, va);
	if (!e || e->state != PDMA__EXT_LIVE ||
	    len > e->len - (va - e->start)) {
		ret = -EFAULT;
		goto out_unlock;
	}
	if (e->refs == UINT32_MAX) {
		ret = -EOVERFLOW;
		goto out_unlock;
	}
	e->refs++;
	*out = ext_blk(e);
out_unlock:
	pthread_mutex_unlock(&prov->lock);
	return ret;
}

void pdma_p2pmem_put(struct pdma_p2pmem_block *blk)
{
	struct pdma__extent *e = blk_ext(blk);
	struct pdma_p2pmem_provider *prov;
	bool last;

	if (!blk)
		return;
	prov = e->chunk->prov;
	pthread_mutex_lock(&prov->lock);
	last = unref_locked(prov, e);
	pthread_mutex_unlock(&prov->lock);
	if (last)
		pdma_p2pmem_provider_put(prov);
}

bool pdma_p2pmem_block_revoked(const struct pdma_p2pmem_block *blk)
{
	return state_of(blk_ext(blk)->chunk->prov) != PDMA__PROV_LIVE;
}

/* start and len of a referenced extent do not change: no lock needed. */
void *pdma_p2pmem_block_addr(const struct pdma_p2pmem_block *blk)
{
	return (void *)blk_ext(blk)->start;
}

size_t pdma_p2pmem_block_size(const struct pdma_p2pmem_block *blk)
{
	return blk_ext(blk)->len;
}

int pdma_p2pmem_access_begin(struct pdma_p2pmem_provider *prov,
			     const void *ptr, size_t len,
			     struct pdma_p2pmem_block **out)
{
	return pdma_p2pmem_get(prov, ptr, len, out);
}

void pdma_p2pmem_access_end(struct pdma_p2pmem_block *blk)
{
	pdma_p2pmem_put(blk);
}

int pdma_p2pmem_remove(struct pdma_p2pmem_provider *prov)
{
	pthread_mutex_lock(&prov->lock);
	if (state_of(prov) != PDMA__PROV_LIVE) {
		while (state_of(prov) != PDMA__PROV_GONE)
			pthread_cond_wait(&prov->drained, &prov->lock);
		pthread_mutex_unlock(&prov->lock);
		return -ENODEV;
	}
	/* Like percpu_ref_kill(): no new users from here on. */
	atomic_store_explicit(&prov->state, PDMA__PROV_REVOKED,
			      memory_order_release);
	prov->published = false;
	while (prov->ext.nr_used)
		pthread_cond_wait(&prov->drained, &prov->lock);
	pool_free_locked(prov);
	atomic_store_explicit(&prov->state, PDMA__PROV_GONE,
			      memory_order_release);
	pthread_cond_broadcast(&prov->drained);
	pthread_mutex_unlock(&prov->lock);
	return 0;
}
