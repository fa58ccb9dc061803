/* SPDX-License-Identifier: MIT */
/*
 * peerdma/dev.h - emulated devices: the DMA engine they share.
 *
 * An emulated device is a driver plus a DMA engine on one function of a
 * platform.  It speaks only through the public layers: it reaches memory
 * (RAM by DMA address, a peer's BAR by bus address) with pdma_fabric_dma(),
 * so routing, IOMMU translation, ACS, P2P rules and hot unplug apply to it
 * exactly as to any other initiator.  The devices themselves are in
 * <peerdma/nvme.h> and <peerdma/accel.h>.
 */
#ifndef PEERDMA_DEV_H
#define PEERDMA_DEV_H

#include <stddef.h>
#include <stdint.h>

#include <peerdma/dma.h>
#include <peerdma/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct pdma_dev - a device's DMA engine: which function initiates.
 * @plat: the machine, borrowed.
 * @dma:  the DMA layer of @plat, borrowed (may be NULL if unused).
 * @func: the initiating function's index in the platform's fabric.
 */
struct pdma_dev {
	struct pdma_platform *plat;
	struct pdma_dma *dma;
	int func;
};

/**
 * pdma_dev_init() - fill @dev.
 * Return: 0, or -EINVAL for a NULL platform or a function it does not have.
 */
int pdma_dev_init(struct pdma_dev *dev, struct pdma_platform *plat,
		  struct pdma_dma *dma, int func);

/** pdma_dev_sg_bytes() - total length of @nents segments. */
uint64_t pdma_dev_sg_bytes(const struct pdma_sg *sgl, int nents);

/**
 * pdma_dev_dma_sg() - move @len bytes between @buf (the device's local
 * memory) and the DMA addresses of @sgl, segment after segment.
 * @dir: PDMA_DMA_READ fills @buf from the list, PDMA_DMA_WRITE writes @buf
 *       to it.
 *
 * Return: 0; -EINVAL for bad arguments or a list shorter than @len; or the
 * first failure of pdma_fabric_dma() (-EREMOTEIO, -EFAULT, -ERANGE,
 * -ENODEV).  Segments before the failing one have moved.
 */
int pdma_dev_dma_sg(const struct pdma_dev *dev, const struct pdma_sg *sgl,
		    int nents, void *buf, size_t len, enum pdma_dma_dir dir);

/**
 * pdma_dev_dma_sg_at() - as pdma_dev_dma_sg(), for the @len bytes that
 * start @off bytes into the list (a window of a memory region, a part of
 * a mapped buffer).
 *
 * Return: as pdma_dev_dma_sg(); -EINVAL also when the list ends before
 * @off + @len.
 */
int pdma_dev_dma_sg_at(const struct pdma_dev *dev, const struct pdma_sg *sgl,
		       int nents, uint64_t off, void *buf, size_t len,
		       enum pdma_dma_dir dir);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_DEV_H */
