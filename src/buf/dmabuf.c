/* SPDX-License-Identifier: MIT */
/*
 * The dma-buf core: export with the kernel's validation, references,
 * static and dynamic attachments, pin, map and unmap under the
 * reservation lock, move_notify, and the debug mangle of mapped tables.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

/* --- debug mangle ---------------------------------------------------------- */

#define MANGLE_FLAGS 0xa5a5a5a5u
#define MANGLE_PRIV ((uintptr_t)0x5a5a5a5a5a5a5a5aull)

static int debug_state = -1;	/* atomic: -1 unknown, 0 off, 1 on */

bool pdma__buf_debug_on(void)
{
	int s = __atomic_load_n(&debug_state, __ATOMIC_ACQUIRE);

	if (s < 0) {
		const char *e = getenv("PDMA_DMABUF_DEBUG");

		s = e && e[0] == '1';
		__atomic_store_n(&debug_state, s, __ATOMIC_RELEASE);
	}
	return s;
}

void pdma_dmabuf_set_debug(bool on)
{
	__atomic_store_n(&debug_state, on, __ATOMIC_RELEASE);
}

static void mangle(struct pdma_sgt *sgt)
{
	for (int i = 0; i < sgt->nents; i++)
		sgt->sgl[i].flags ^= MANGLE_FLAGS;
	sgt->priv = (struct pdma_sgt_priv *)((uintptr_t)sgt->priv ^
					     MANGLE_PRIV);
}

/* Remember @sgt as mangled.  Lock held.  -ENOMEM leaves it clean. */
static int mangle_track(struct pdma_dmabuf *buf, struct pdma_sgt *sgt)
{
	struct pdma__mangled *m = malloc(sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->sgt = sgt;
	m->next = buf->mangled;
	buf->mangled = m;
	mangle(sgt);
	return 0;
}

/* Restore @sgt if it went out mangled.  Lock held. */
static void mangle_restore(struct pdma_dmabuf *buf, struct pdma_sgt *sgt)
{
	for (struct pdma__mangled **p = &buf->mangled; *p; p = &(*p)->next) {
		if ((*p)->sgt == sgt) {
			struct pdma__mangled *m = *p;

			*p = m->next;
			free(m);
			mangle(sgt);
			return;
		}
	}
}

/* --- export, references ---------------------------------------------------- */

static int export_invalid(const char *why)
{
	fprintf(stderr, "peerdma: dma-buf export: %s\n", why);
	return -EINVAL;
}

int pdma_dmabuf_export(const struct pdma_dmabuf_export_info *info,
		       struct pdma_dmabuf **out)
{
	const struct pdma_dmabuf_ops *ops;
	struct pdma_dmabuf *buf;

	*out = NULL;
	if (!info)
		return export_invalid("no export info");
	ops = info->ops;
	if (!info->priv || !ops)
		return export_invalid("missing priv or ops; give both");
	if (!ops->map || !ops->unmap || !ops->release)
		return export_invalid("ops lack map, unmap or release; all "
				      "three are required");
	if (!ops->pin != !ops->unpin)
		return export_invalid("only one of pin/unpin; give both or "
				      "neither");
	if (!ops->vmap != !ops->vunmap)
		return export_invalid("only one of vmap/vunmap; give both or "
				      "neither");
	if (!info->size)
		return export_invalid("size 0; a buffer has at least one byte");
	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	buf->refcount = 1;
	buf->size = info->size;
	buf->ops = ops;
	buf->priv = info->priv;
	buf->exp_name = info->exp_name ? info->exp_name : "";
	if (info->resv) {
		buf->resv = info->resv;
	} else {
		pdma_resv_init(&buf->embedded);
		buf->resv = &buf->embedded;
	}
	*out = buf;
	return 0;
}

struct pdma_dmabuf *pdma_dmabuf_get(struct pdma_dmabuf *buf)
{
	if (buf)
		__atomic_fetch_add(&buf->refcount, 1, __ATOMIC_RELAXED);
	return buf;
}

void pdma_dmabuf_put(struct pdma_dmabuf *buf)
{
	if (!buf || __atomic_sub_fetch(&buf->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	pdma__buf_assert_unheld(buf, "pdma_dmabuf_put");
	if (buf->vmap_count)
		pdma__buf_bug("last put of a buffer that is still vmapped");
	if (buf->attachments)
		fprintf(stderr, "peerdma: dma-buf %s: released with "
			"attachments left; detach them first\n",
			buf->exp_name);
	buf->ops->release(buf);
	while (buf->mangled) {
		struct pdma__mangled *m = buf->mangled;

		buf->mangled = m->next;
		free(m);
	}
	if (buf->resv == &buf->embedded)
		pdma_resv_fini(&buf->embedded);
	free(buf);
}

uint64_t pdma_dmabuf_size(const struct pdma_dmabuf *buf)
{
	return buf->size;
}

void *pdma_dmabuf_priv(const struct pdma_dmabuf *buf)
{
	return buf->priv;
}

struct pdma_resv *pdma_dmabuf_resv(struct pdma_dmabuf *buf)
{
	return buf->resv;
}

const char *pdma_dmabuf_exp_name(const struct pdma_dmabuf *buf)
{
	return buf->exp_name;
}

/* --- attachments ------------------------------------------------------------ */

int pdma_dmabuf_dynamic_attach(struct pdma_dmabuf *buf, int dev,
			       const struct pdma_dmabuf_importer_ops *ops,
			       void *priv, struct pdma_dmabuf_attachment **out)
{
	struct pdma_dmabuf_attachment *a;
	int ret;

	*out = NULL;
	if (!buf || dev < 0 || (ops && !ops->move_notify))
		return -EINVAL;
	pdma__buf_assert_unheld(buf, "pdma_dmabuf_attach");
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->dmabuf = buf;
	a->dev = dev;
	a->importer_ops = ops;
	a->importer_priv = priv;
	a->peer2peer = ops ? ops->allow_peer2peer : false;
	if (buf->ops->attach) {
		ret = buf->ops->attach(buf, a);
		if (ret) {
			free(a);
			return ret;
		}
	}
	pdma_resv_lock(buf->resv, NULL);
	a->next = buf->attachments;
	buf->attachments = a;
	pdma_resv_unlock(buf->resv);
	*out = a;
	return 0;
}

int pdma_dmabuf_attach(struct pdma_dmabuf *buf, int dev,
		       struct pdma_dmabuf_attachment **out)
{
	return pdma_dmabuf_dynamic_attach(buf, dev, NULL, NULL, out);
}

void pdma_dmabuf_detach(struct pdma_dmabuf *buf,
			struct pdma_dmabuf_attachment *a)
{
	if (!buf || !a)
		return;
	pdma__buf_assert_unheld(buf, "pdma_dmabuf_detach");
	pdma_resv_lock(buf->resv, NULL);
	for (struct pdma_dmabuf_attachment **p = &buf->attachments; *p;
	     p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			break;
		}
	}
	pdma_resv_unlock(buf->resv);
	if (a->nr_maps)
		fprintf(stderr, "peerdma: dma-buf %s: detach with %d table(s) "
			"still mapped; unmap first\n", buf->exp_name,
			a->nr_maps);
	if (buf->ops->detach)
		buf->ops->detach(buf, a);
	free(a);
}

bool pdma_dmabuf_attachment_is_dynamic(const struct pdma_dmabuf_attachment *a)
{
	return a->importer_ops != NULL;
}

/* --- pin, map ------------------------------------------------------------ */

int pdma_dmabuf_pin(struct pdma_dmabuf_attachment *a)
{
	struct pdma_dmabuf *buf = a->dmabuf;

	if (!pdma_dmabuf_attachment_is_dynamic(a))
		return -EINVAL;
	pdma__buf_assert_held(buf, "pdma_dmabuf_pin");
	return buf->ops->pin ? buf->ops->pin(a) : 0;
}

void pdma_dmabuf_unpin(struct pdma_dmabuf_attachment *a)
{
	struct pdma_dmabuf *buf = a->dmabuf;

	if (!pdma_dmabuf_attachment_is_dynamic(a))
		return;
	pdma__buf_assert_held(buf, "pdma_dmabuf_unpin");
	if (buf->ops->unpin)
		buf->ops->unpin(a);
}

/* Static importers are pinned for as long as a table is out. */
static bool pin_on_map(const struct pdma_dmabuf_attachment *a)
{
	return !a->importer_ops && a->dmabuf->ops->pin;
}

int pdma_dmabuf_map_attachment(struct pdma_dmabuf_attachment *a,
			       enum pdma_data_dir dir, struct pdma_sgt **out)
{
	struct pdma_dmabuf *buf;
	struct pdma_sgt *sgt = NULL;
	int ret;

	*out = NULL;
	if (!a || dir < PDMA_BIDIRECTIONAL || dir > PDMA_FROM_DEVICE)
		return -EINVAL;
	buf = a->dmabuf;
	pdma__buf_assert_held(buf, "pdma_dmabuf_map_attachment");
	if (pin_on_map(a)) {
		ret = buf->ops->pin(a);
		if (ret == -EBUSY && !buf->warned_pin)
			fprintf(stderr, "peerdma: dma-buf %s: pin on map of a "
				"static importer failed: -EBUSY (the buffer is "
				"pinned where the importer cannot reach it; "
				"warned once per buffer)\n", buf->exp_name);
		if (ret == -EBUSY)
			buf->warned_pin = true;
		if (ret)
			return ret;
	}
	ret = buf->ops->map(a, dir, &sgt);
	if (!ret && !sgt)
		ret = -ENOMEM;
	if (ret)
		goto err_unpin;
	if (!a->importer_ops) {
		/* Static importers cannot wait themselves: moves and
		 * clears must be done when the table is handed out. */
		int64_t t = pdma_resv_wait_timeout(buf->resv,
						   PDMA_RESV_USAGE_KERNEL,
						   true,
						   PDMA_FENCE_TIMEOUT_MAX);

		if (t < 0) {
			ret = (int)t;
			goto err_unmap;
		}
	}
	if (pdma__buf_debug_on()) {
		ret = mangle_track(buf, sgt);
		if (ret)
			goto err_unmap;
	}
	a->nr_maps++;
	*out = sgt;
	return 0;

err_unmap:
	buf->ops->unmap(a, sgt, dir);
err_unpin:
	if (pin_on_map(a))
		buf->ops->unpin(a);
	return ret;
}

void pdma_dmabuf_unmap_attachment(struct pdma_dmabuf_attachment *a,
				  struct pdma_sgt *sgt, enum pdma_data_dir dir)
{
	struct pdma_dmabuf *buf;

	if (!a || !sgt)
		return;
	buf = a->dmabuf;
	pdma__buf_assert_held(buf, "pdma_dmabuf_unmap_attachment");
	mangle_restore(buf, sgt);
	buf->ops->unmap(a, sgt, dir);
	a->nr_maps--;
	if (pin_on_map(a))
		buf->ops->unpin(a);
}

int pdma_dmabuf_map_attachment_unlocked(struct pdma_dmabuf_attachment *a,
					enum pdma_data_dir dir,
					struct pdma_sgt **out)
{
	int ret;

	*out = NULL;
	if (!a)
		return -EINVAL;
	pdma__buf_assert_unheld(a->dmabuf, "pdma_dmabuf_map_attachment_unlocked");
	pdma_resv_lock(a->dmabuf->resv, NULL);
	ret = pdma_dmabuf_map_attachment(a, dir, out);
	pdma_resv_unlock(a->dmabuf->resv);
	return ret;
}

void pdma_dmabuf_unmap_attachment_unlocked(struct pdma_dmabuf_attachment *a,
					   struct pdma_sgt *sgt,
					   enum pdma_data_dir dir)
{
	if (!a || !sgt)
		return;
	pdma__buf_assert_unheld(a->dmabuf,
				"pdma_dmabuf_unmap_attachment_unlocked");
	pdma_resv_lock(a->dmabuf->resv, NULL);
	pdma_dmabuf_unmap_attachment(a, sgt, dir);
	pdma_resv_unlock(a->dmabuf->resv);
}

void pdma_dmabuf_move_notify(struct pdma_dmabuf *buf)
{
	pdma__buf_assert_held(buf, "pdma_dmabuf_move_notify");
	for (struct pdma_dmabuf_attachment *a = buf->attachments; a;
	     a = a->next)
		if (a->importer_ops)
			a->importer_ops->move_notify(a);
}
