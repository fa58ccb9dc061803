/* SPDX-License-Identifier: MIT */
/*
 * The IOVA range caches ("rcache"), after the kernel's magazines (Bonwick
 * and Adams, 2001): freed ranges of 1, 2, 4, 8, 16 or 32 granules are kept,
 * still allocated in the tree, in per-thread magazines of 127 PFNs, so that
 * the next allocation of that size is a pop with no tree walk and no shared
 * lock.  Each thread has, per domain and size class, a "loaded" and a
 * "prev" magazine; full magazines go to the class's depot, shared by all
 * threads, and an empty thread takes one back from there.
 *
 * Where the kernel has one cache per CPU, we have one per thread that uses
 * the domain: created on its first fast call, found through a thread-local
 * pointer, and released (its PFNs returned to the tree) when the thread
 * exits, by a pthread key destructor, or, without returning the PFNs, when
 * the domain is destroyed.  The depot is trimmed by pdma_iova_rcache_trim()
 * rather than by a 100 ms timer.  Lock order: iova_internal.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "iova_internal.h"

/* ---- lists ---- */

static void list_init(struct pdma__list *h)
{
	h->next = h->prev = h;
}

static void list_add(struct pdma__list *n, struct pdma__list *h)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

static void list_del(struct pdma__list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

#define tcache_of(ptr, member) \
	((struct pdma__iova_tcache *)((char *)(ptr) - \
		offsetof(struct pdma__iova_tcache, member)))

/* ---- the thread registry ---- */

/*
 * The registry lock (see iova_internal.h).  It is only taken the first time
 * a thread uses a domain, at thread exit, on flushes, trims and stats, and
 * when a domain goes: never on the fast path.
 */
static pthread_mutex_t pdma__iova_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;
static int thread_key_err;

/*
 * This thread's caches.  @caches is changed under the registry lock (also
 * by a thread destroying a domain); @last_id and @last are this thread's
 * own: the cache it used last and the id of its domain.  Ids are never
 * reused, so a stale @last (its domain destroyed) is never matched.
 */
static __thread struct {
	bool registered;
	struct pdma__list caches;
	uint64_t last_id;
	struct pdma__iova_tcache *last;
} self;

/* ---- magazines ---- */

static struct pdma__iova_mag *mag_alloc(void)
{
	return calloc(1, sizeof(struct pdma__iova_mag));
}

static bool mag_full(const struct pdma__iova_mag *mag)
{
	return mag->size == PDMA_IOVA_MAG_SIZE;
}

static bool mag_empty(const struct pdma__iova_mag *mag)
{
	return mag->size == 0;
}

/* Free the ranges a magazine holds back to the tree, and empty it. */
static void mag_free_pfns(struct pdma_iova_domain *iovad,
			  struct pdma__iova_mag *mag)
{
	pthread_mutex_lock(&iovad->lock);
	for (uint64_t i = 0; i < mag->size; i++)
		(void)pdma__iova_free_locked(iovad, mag->pfns[i]);
	pthread_mutex_unlock(&iovad->lock);
	mag->size = 0;
}

/*
 * Take a PFN no higher than @max_pfn out of @mag, scanning from the top, so
 * that a device with a small DMA mask still hits when the magazine holds
 * some high PFNs.  Return: false if there is none.
 */
static bool mag_pop(struct pdma__iova_mag *mag, uint64_t max_pfn,
		    uint64_t *pfn)
{
	uint64_t i;

	for (i = mag->size; i > 0; i--)
		if (mag->pfns[i - 1] <= max_pfn)
			break;
	if (!i)
		return false;
	*pfn = mag->pfns[i - 1];
	mag->pfns[i - 1] = mag->pfns[--mag->size];
	return true;
}

static void mag_push(struct pdma__iova_mag *mag, uint64_t pfn)
{
	mag->pfns[mag->size++] = pfn;
}

/* ---- depot (caller holds depot->lock) ---- */

static void depot_push(struct pdma__iova_depot *d, struct pdma__iova_mag *mag)
{
	mag->next = d->head;
	d->head = mag;
	d->size++;
}

static struct pdma__iova_mag *depot_pop(struct pdma__iova_depot *d)
{
	struct pdma__iova_mag *mag = d->head;

	d->head = mag->next;
	mag->size = PDMA_IOVA_MAG_SIZE;
	d->size--;
	return mag;
}

/* ---- per-thread caches ---- */

static void tcache_free(struct pdma__iova_tcache *tc)
{
	for (int c = 0; c < PDMA_IOVA_RCACHE_CLASSES; c++) {
		free(tc->cls[c].loaded);
		free(tc->cls[c].prev);
	}
	pthread_spin_destroy(&tc->lock);
	free(tc);
}

/*
 * Return the PFNs of @tc's magazines to the tree.  The spinlock is held
 * only to take them out, one size class at a time, never across the tree.
 */
static void tcache_return_pfns(struct pdma__iova_tcache *tc)
{
	struct pdma__iova_mag *mag[2];
	uint64_t pfns[2 * PDMA_IOVA_MAG_SIZE];
	uint64_t n;

	for (int c = 0; c < PDMA_IOVA_RCACHE_CLASSES; c++) {
		n = 0;
		pthread_spin_lock(&tc->lock);
		mag[0] = tc->cls[c].loaded;
		mag[1] = tc->cls[c].prev;
		for (int m = 0; m < 2; m++) {
			for (uint64_t i = 0; i < mag[m]->size; i++)
				pfns[n++] = mag[m]->pfns[i];
			mag[m]->size = 0;
		}
		pthread_spin_unlock(&tc->lock);
		if (!n)
			continue;
		pthread_mutex_lock(&tc->iovad->lock);
		for (uint64_t i = 0; i < n; i++)
			(void)pdma__iova_free_locked(tc->iovad, pfns[i]);
		pthread_mutex_unlock(&tc->iovad->lock);
	}
}

/* Unlink @tc from its domain and thread; registry lock held. */
static void tcache_unlink_locked(struct pdma__iova_tcache *tc)
{
	struct pdma_iova_domain *iovad = tc->iovad;

	list_del(&tc->dom_link);
	list_del(&tc->thr_link);
	iovad->nr_threads--;
	iovad->exited_hits += tc->hits;
	iovad->exited_misses += tc->misses;
}

/* The pthread key destructor: this thread is exiting. */
static void thread_exit(void *arg)
{
	struct pdma__list *h = arg, *n;

	pthread_mutex_lock(&pdma__iova_registry_lock);
	while ((n = h->next) != h) {
		struct pdma__iova_tcache *tc = tcache_of(n, thr_link);

		tcache_return_pfns(tc);
		tcache_unlink_locked(tc);
		tcache_free(tc);
	}
	pthread_mutex_unlock(&pdma__iova_registry_lock);
	/* A later destructor may use a domain again: register anew then. */
	self.registered = false;
	self.last = NULL;
	self.last_id = 0;
}

static void thread_key_init(void)
{
	thread_key_err = pthread_key_create(&thread_key, thread_exit);
}

/* This thread's cache for @iovad, created on first use; NULL if no memory. */
static struct pdma__iova_tcache *tcache_lookup_slow(
	struct pdma_iova_domain *iovad)
{
	struct pdma__iova_tcache *tc = NULL;
	struct pdma__list *n;

	pthread_once(&thread_key_once, thread_key_init);
	if (thread_key_err)
		return NULL;

	pthread_mutex_lock(&pdma__iova_registry_lock);
	if (!self.registered) {
		list_init(&self.caches);
		if (pthread_setspecific(thread_key, &self.caches))
			goto out;
		self.registered = true;
	}
	for (n = self.caches.next; n != &self.caches; n = n->next) {
		if (tcache_of(n, thr_link)->domain_id == iovad->id) {
			tc = tcache_of(n, thr_link);
			goto found;
		}
	}

	tc = calloc(1, sizeof(*tc));
	if (!tc)
		goto out;
	if (pthread_spin_init(&tc->lock, PTHREAD_PROCESS_PRIVATE)) {
		free(tc);
		tc = NULL;
		goto out;
	}
	tc->iovad = iovad;
	tc->domain_id = iovad->id;
	for (int c = 0; c < PDMA_IOVA_RCACHE_CLASSES; c++) {
		tc->cls[c].loaded = mag_alloc();
		tc->cls[c].prev = mag_alloc();
		if (!tc->cls[c].loaded || !tc->cls[c].prev) {
			tcache_free(tc);
			tc = NULL;
			goto out;
		}
	}
	list_add(&tc->dom_link, &iovad->tcaches);
	list_add(&tc->thr_link, &self.caches);
	iovad->nr_threads++;
found:
	self.last = tc;
	self.last_id = iovad->id;
out:
	pthread_mutex_unlock(&pdma__iova_registry_lock);
	return tc;
}

static inline struct pdma__iova_tcache *tcache_get(
	struct pdma_iova_domain *iovad)
{
	if (self.last_id == iovad->id)
		return self.last;
	return tcache_lookup_slow(iovad);
}

/* ---- get and insert ---- */

/* The size class of a (rounded) size, or -1 if it is not cached. */
static int size_class(uint64_t size)
{
	unsigned int order = size > 1 ? 64 - __builtin_clzll(size - 1) : 0;

	return order < PDMA_IOVA_RCACHE_CLASSES ? (int)order : -1;
}

/* A PFN from this thread's cache for a range ending at or below @limit. */
static bool rcache_get(struct pdma_iova_domain *iovad, int cls,
		       uint64_t size, uint64_t limit_pfn, uint64_t *pfn)
{
	struct pdma__iova_tcache *tc = tcache_get(iovad);
	struct pdma__iova_depot *depot = &iovad->depot[cls];
	bool has_pfn = false, got;

	if (!tc || limit_pfn + 1 < size)
		return false;
	pthread_spin_lock(&tc->lock);
	if (!mag_empty(tc->cls[cls].loaded)) {
		has_pfn = true;
	} else if (!mag_empty(tc->cls[cls].prev)) {
		struct pdma__iova_mag *t = tc->cls[cls].loaded;

		tc->cls[cls].loaded = tc->cls[cls].prev;
		tc->cls[cls].prev = t;
		has_pfn = true;
	} else {
		pthread_mutex_lock(&depot->lock);
		if (depot->head) {
			free(tc->cls[cls].loaded);
			tc->cls[cls].loaded = depot_pop(depot);
			has_pfn = true;
		}
		pthread_mutex_unlock(&depot->lock);
	}
	got = has_pfn && mag_pop(tc->cls[cls].loaded, limit_pfn + 1 - size,
				 pfn);
	if (got)
		tc->hits++;
	else
		tc->misses++;
	pthread_spin_unlock(&tc->lock);
	return got;
}

/* Cache @pfn in this thread's magazine.  Return: false if it could not. */
static bool rcache_insert(struct pdma_iova_domain *iovad, int cls,
			  uint64_t pfn)
{
	struct pdma__iova_tcache *tc = tcache_get(iovad);
	struct pdma__iova_depot *depot = &iovad->depot[cls];
	bool can_insert = false;

	if (!tc)
		return false;
	pthread_spin_lock(&tc->lock);
	if (!mag_full(tc->cls[cls].loaded)) {
		can_insert = true;
	} else if (!mag_full(tc->cls[cls].prev)) {
		struct pdma__iova_mag *t = tc->cls[cls].loaded;

		tc->cls[cls].loaded = tc->cls[cls].prev;
		tc->cls[cls].prev = t;
		can_insert = true;
	} else {
		struct pdma__iova_mag *new_mag = mag_alloc();

		if (new_mag) {
			pthread_mutex_lock(&depot->lock);
			depot_push(depot, tc->cls[cls].loaded);
			pthread_mutex_unlock(&depot->lock);
			tc->cls[cls].loaded = new_mag;
			can_insert = true;
		}
	}
	if (can_insert)
		mag_push(tc->cls[cls].loaded, pfn);
	pthread_spin_unlock(&tc->lock);
	return can_insert;
}

int pdma_iova_alloc_fast(struct pdma_iova_domain *iovad, uint64_t size,
			 uint64_t limit_pfn, bool flush_rcache, uint64_t *pfn)
{
	int cls, ret;

	if (!iovad || !pfn || !size || limit_pfn > iovad->max_pfn)
		return -EINVAL;
	/*
	 * Cached ranges must come back with the size they were cached for,
	 * so round every cacheable size up to its class; the order of the
	 * unrounded size, given again at free time, finds the same class.
	 */
	if (size < PDMA_IOVA_RCACHE_MAX_SIZE)
		size = 1ULL << (size > 1 ? 64 - __builtin_clzll(size - 1) : 0);
	cls = size_class(size);
	while (cls >= 0 && rcache_get(iovad, cls, size, limit_pfn, pfn)) {
		if (!(iovad->flags & PDMA_IOVA_CHECK_FREE) ||
		    !pdma__iova_unmark_cached(iovad, *pfn))
			return 0;
		/* Not a cached range: the cache is corrupt; never hand it out. */
	}
	for (;;) {
		ret = pdma_iova_alloc(iovad, size, limit_pfn, true, pfn);
		if (ret != -ENOMEM || !flush_rcache)
			return ret;
		flush_rcache = false;
		pdma_iova_rcache_flush(iovad);
	}
}

int pdma_iova_free_fast(struct pdma_iova_domain *iovad, uint64_t pfn,
			uint64_t size)
{
	int cls;

	if (!iovad || !size)
		return -EINVAL;
	cls = size_class(size);
	if (cls < 0)
		return pdma_iova_free(iovad, pfn);
	if ((iovad->flags & PDMA_IOVA_CHECK_FREE) &&
	    pdma__iova_mark_cached(iovad, pfn, 1ULL << cls))
		return -ENOENT;
	if (rcache_insert(iovad, cls, pfn))
		return 0;
	/* No memory for a magazine: give the range back to the tree. */
	pthread_mutex_lock(&iovad->lock);
	(void)pdma__iova_free_locked(iovad, pfn);
	pthread_mutex_unlock(&iovad->lock);
	return 0;
}

/* ---- flush, trim, init, destroy, stats ---- */

static void depot_flush(struct pdma_iova_domain *iovad,
			struct pdma__iova_depot *d)
{
	struct pdma__iova_mag *mag;

	pthread_mutex_lock(&d->lock);
	while (d->head) {
		mag = depot_pop(d);
		mag_free_pfns(iovad, mag);
		free(mag);
	}
	pthread_mutex_unlock(&d->lock);
}

void pdma_iova_rcache_flush(struct pdma_iova_domain *iovad)
{
	struct pdma__list *n;

	pthread_mutex_lock(&pdma__iova_registry_lock);
	for (n = iovad->tcaches.next; n != &iovad->tcaches; n = n->next)
		tcache_return_pfns(tcache_of(n, dom_link));
	pthread_mutex_unlock(&pdma__iova_registry_lock);
	for (int c = 0; c < PDMA_IOVA_RCACHE_CLASSES; c++)
		depot_flush(iovad, &iovad->depot[c]);
}

unsigned int pdma_iova_rcache_trim(struct pdma_iova_domain *iovad)
{
	struct pdma__iova_mag *mag;
	unsigned int keep, freed = 0;

	pthread_mutex_lock(&pdma__iova_registry_lock);
	keep = iovad->nr_threads;
	pthread_mutex_unlock(&pdma__iova_registry_lock);

	for (int c = 0; c < PDMA_IOVA_RCACHE_CLASSES; c++) {
		struct pdma__iova_depot *d = &iovad->depot[c];

		for (;;) {
			pthread_mutex_lock(&d->lock);
			mag = d->size > keep ? depot_pop(d) : NULL;
			pthread_mutex_unlock(&d->lock);
			if (!mag)
				break;
			mag_free_pfns(iovad, mag);
			free(mag);
			freed++;
		}
	}
	return freed;
}

int pdma__iova_rcache_init(struct pdma_iova_domain *iovad)
{
	int c, ret;

	list_init(&iovad->tcaches);
	for (c = 0; c < PDMA_IOVA_RCACHE_CLASSES; c++) {
		ret = pthread_mutex_init(&iovad->depot[c].lock, NULL);
		if (ret)
			goto err_locks;
	}
	return 0;

err_locks:
	while (c--)
		pthread_mutex_destroy(&iovad->depot[c].lock);
	return -ret;
}

void pdma__iova_rcache_destroy(struct pdma_iova_domain *iovad)
{
	struct pdma__list *n;
	struct pdma__iova_mag *mag;

	pthread_mutex_lock(&pdma__iova_registry_lock);
	while ((n = iovad->tcaches.next) != &iovad->tcaches) {
		struct pdma__iova_tcache *tc = tcache_of(n, dom_link);

		tcache_unlink_locked(tc);
		tcache_free(tc);
	}
	pthread_mutex_unlock(&pdma__iova_registry_lock);

	for (int c = 0; c < PDMA_IOVA_RCACHE_CLASSES; c++) {
		struct pdma__iova_depot *d = &iovad->depot[c];

		while (d->head) {
			mag = depot_pop(d);
			free(mag);
		}
		pthread_mutex_destroy(&d->lock);
	}
}

void pdma__iova_rcache_stats(struct pdma_iova_domain *iovad,
			     struct pdma_iova_stats *st)
{
	struct pdma__list *n;

	pthread_mutex_lock(&pdma__iova_registry_lock);
	st->threads = iovad->nr_threads;
	st->fast_hits = iovad->exited_hits;
	st->fast_misses = iovad->exited_misses;
	for (n = iovad->tcaches.next; n != &iovad->tcaches; n = n->next) {
		struct pdma__iova_tcache *tc = tcache_of(n, dom_link);

		pthread_spin_lock(&tc->lock);
		st->fast_hits += tc->hits;
		st->fast_misses += tc->misses;
		for (int c = 0; c < PDMA_IOVA_RCACHE_CLASSES; c++)
			st->cached += tc->cls[c].loaded->size +
				      tc->cls[c].prev->size;
		pthread_spin_unlock(&tc->lock);
	}
	pthread_mutex_unlock(&pdma__iova_registry_lock);
	for (int c = 0; c < PDMA_IOVA_RCACHE_CLASSES; c++) {
		pthread_mutex_lock(&iovad->depot[c].lock);
		st->depot[c] = iovad->depot[c].size;
		st->cached += (uint64_t)iovad->depot[c].size *
			      PDMA_IOVA_MAG_SIZE;
		pthread_mutex_unlock(&iovad->depot[c].lock);
	}
}
