/* SPDX-License-Identifier: MIT */
/*
 * Private to src/buf: the dma-buf object and the debug checks.
 */
#ifndef PDMA_BUF_BUF_H
#define PDMA_BUF_BUF_H

#include <stdio.h>
#include <stdlib.h>

#include <peerdma/dmabuf.h>
#include <peerdma/mem.h>

#ifndef PDMA_INTERNAL
#define PDMA_INTERNAL __attribute__((visibility("hidden")))
#endif

/* Lock-rule checks: on unless NDEBUG, forced on by PDMA_DEBUG (as sync). */
#if defined(PDMA_DEBUG) || !defined(NDEBUG)
#define PDMA_BUF_DEBUG 1
#else
#define PDMA_BUF_DEBUG 0
#endif

#define pdma__buf_bug(...)						\
	do {								\
		fprintf(stderr, "peerdma: dma-buf BUG: " __VA_ARGS__);	\
		fputc('\n', stderr);					\
		abort();						\
	} while (0)

/* The caller must hold (or must not hold) @buf's reservation lock. */
#define pdma__buf_assert_held(buf, fn)					\
	do {								\
		if (PDMA_BUF_DEBUG && !pdma_resv_held((buf)->resv))	\
			pdma__buf_bug("%s() needs the reservation lock held", \
				      fn);				\
	} while (0)
#define pdma__buf_assert_unheld(buf, fn)				\
	do {								\
		if (PDMA_BUF_DEBUG && pdma_resv_held((buf)->resv))	\
			pdma__buf_bug("%s() must be called without the " \
				      "reservation lock", fn);		\
	} while (0)

/* A table handed out mangled, until it comes back (resv lock). */
struct pdma__mangled {
	struct pdma__mangled *next;
	struct pdma_sgt *sgt;
};

struct pdma_dmabuf {
	int refcount;				/* atomic */
	uint64_t size;				/* immutable */
	const struct pdma_dmabuf_ops *ops;	/* immutable */
	void *priv;				/* immutable */
	const char *exp_name;			/* immutable */
	struct pdma_resv *resv;			/* immutable */
	struct pdma_resv embedded;
	/* protected by the reservation lock */
	struct pdma_dmabuf_attachment *attachments;
	struct pdma__mangled *mangled;
	unsigned vmap_count;
	void *vmap_ptr;
	bool warned_pin;
};

PDMA_INTERNAL bool pdma__buf_debug_on(void);

#endif /* PDMA_BUF_BUF_H */
