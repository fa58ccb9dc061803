/* SPDX-License-Identifier: MIT */
/*
 * The debug mangle (PDMA_DMABUF_DEBUG=1 or pdma_dmabuf_set_debug()):
 * importers get tables whose every field but DMA address and length is
 * scrambled.  A well-behaved importer still moves the right bytes; an
 * importer that looks at the flags or the private pointer gets a wrong
 * answer, so its tests fail; the exporter gets its table back intact
 * (unmap undoes exactly what map took).
 */
#include "dmabuf-env.h"

#define SZ (32 << 10)

static void moved(struct pdma_dmabuf_attachment *a)
{
	(void)a;
}

static const struct pdma_dmabuf_importer_ops ops = { true, moved };

/* A bad importer: decides "peer to peer?" from the flags. */
static bool bad_says_p2p(const struct pdma_sgt *sgt)
{
	return sgt->sgl[0].flags & PDMA_SG_BUS_ADDR;
}

/* A good importer: DMA addresses and lengths only. */
static bool good_reads(struct denv *e, int dev, const struct pdma_sgt *sgt)
{
	static unsigned char got[SZ];

	if (denv_dma(e, dev, sgt, 0, got, SZ, PDMA_DMA_READ))
		return false;
	for (int i = 0; i < SZ; i++)
		if (got[i] != (unsigned char)(i ^ 0x3c))
			return false;
	return true;
}

struct seen {
	bool p2p, good;
	void *priv;
};

static struct seen run(struct denv *e, struct pdma_dmabuf *buf, int dev)
{
	struct pdma_dmabuf_attachment *a;
	struct pdma_sgt *sgt;
	struct seen s;

	REQUIRE(pdma_dmabuf_dynamic_attach(buf, dev, &ops, NULL, &a) == 0);
	REQUIRE(pdma_dmabuf_map_attachment_unlocked(a, PDMA_TO_DEVICE,
						    &sgt) == 0);
	s.p2p = bad_says_p2p(sgt);
	s.priv = sgt->priv;
	s.good = good_reads(e, dev, sgt);
	pdma_dmabuf_unmap_attachment_unlocked(a, sgt, PDMA_TO_DEVICE);
	pdma_dmabuf_detach(buf, a);
	return s;
}

int main(void)
{
	struct seen on_nic, on_nvme, off_nic, off_nvme;
	struct pdma_dmabuf *buf;
	unsigned char *p;
	struct denv e;

	/* Before the first map: the environment decides. */
	setenv("PDMA_DMABUF_DEBUG", "1", 1);
	denv_setup(&e, true);
	REQUIRE(pdma_dmabuf_exporter_alloc(e.x, SZ, PDMA_DMABUF_VRAM, &buf) == 0);
	pdma_resv_lock(pdma_dmabuf_resv(buf), NULL);
	REQUIRE(pdma_dmabuf_vmap(buf, (void **)&p) == 0);
	for (int i = 0; i < SZ; i++)
		p[i] = (unsigned char)(i ^ 0x3c);
	pdma_dmabuf_vunmap(buf, p);
	pdma_resv_unlock(pdma_dmabuf_resv(buf));

	on_nic = run(&e, buf, e.nic);		/* BUS_ADDR: no IOVA */
	on_nvme = run(&e, buf, e.nvme);		/* through the host bridge */
	pdma_dmabuf_set_debug(false);
	off_nic = run(&e, buf, e.nic);
	off_nvme = run(&e, buf, e.nvme);

	/* Honest answers without the mangle ... */
	CHECK(off_nic.p2p);
	CHECK(!off_nvme.p2p);
	CHECK(off_nic.good && off_nvme.good);
	/* ... wrong ones with it: the bad importer is caught ... */
	CHECK(on_nic.p2p != off_nic.p2p);
	CHECK(on_nvme.p2p != off_nvme.p2p);
	/* the private pointer is not the exporter's either */
	CHECK(on_nvme.priv != NULL && off_nvme.priv != NULL);
	CHECK(((uintptr_t)on_nvme.priv & 0xf) != 0);
	/* ... while the good one does not notice. */
	CHECK(on_nic.good && on_nvme.good);
	CHECK_EQ_INT(pdma_dma_mapped_bytes(e.d), 0);	/* tables came back */
	pdma_dmabuf_put(buf);
	denv_teardown(&e);
	return harness_exit();
}
