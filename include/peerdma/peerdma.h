/* SPDX-License-Identifier: MIT */
/*
 * peerdma/peerdma.h - everything public, in one include.
 */
#ifndef PEERDMA_PEERDMA_H
#define PEERDMA_PEERDMA_H

#include <peerdma/accel.h>
#include <peerdma/bench.h>
#include <peerdma/dev.h>
#include <peerdma/dma.h>
#include <peerdma/dmabuf.h>
#include <peerdma/fabric.h>
#include <peerdma/fence.h>
#include <peerdma/iommu.h>
#include <peerdma/link.h>
#include <peerdma/mem.h>
#include <peerdma/nvme.h>
#include <peerdma/platform.h>
#include <peerdma/resv.h>
#include <peerdma/scenario.h>
#include <peerdma/source.h>
#include <peerdma/syncfd.h>
#include <peerdma/verdict.h>

#ifdef __cplusplus
extern "C" {
#endif

/** pdma_version() - the library version, "0.1.0". */
const char *pdma_version(void);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_PEERDMA_H */
