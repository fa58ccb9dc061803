/* SPDX-License-Identifier: MIT */
/*
 * peerdma/platform.h - an emulated machine built from a fabric model.
 *
 * The platform gives the fabric an address map (RAM, every host bridge's
 * MMIO window, every BAR and bridge window, a bus offset per host bridge)
 * and memory behind it (memfd-backed RAM and BARs), then routes DMA the way
 * PCIe hardware does:
 *
 *   - a transaction climbs from its initiator; a bridge whose window claims
 *     the address turns it around, unless ACS redirect on the way sends it
 *     up to the root complex;
 *   - at the root complex the initiator's IOMMU domain translates the
 *     address (or faults), and the host bridge delivers it to RAM, or to
 *     another root port's device where the platform allows P2P through the
 *     host bridge (the same rule as the verdict);
 *   - what nobody claims is an unsupported request.
 *
 * Every failure is a result: the call returns a negative errno and the
 * fault is recorded (pdma_platform_fault_*).  Routing is resolved once per
 * contiguous segment, then the bytes move with memcpy; every hop is counted.
 *
 * Thread safety: after create, DMA calls may run from several threads at
 * once.  Hooks are set before the platform is shared.
 */
#ifndef PEERDMA_PLATFORM_H
#define PEERDMA_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <peerdma/fabric.h>
#include <peerdma/link.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pdma_platform;

/**
 * struct pdma_platform_opts - how to build the machine.
 * @size:        sizeof(struct pdma_platform_opts), so the struct can grow.
 * @ram_bytes:   emulated RAM (default 64 MiB).
 * @bus_offsets: give host bridge N a bus offset of (N + 1) << 44, so bus
 *               and CPU addresses of BARs differ (default off: bus == CPU,
 *               as on most x86 machines).
 * @keep_source_bars: use the BAR addresses the source recorded when they are
 *               complete and consistent (default on); else assign like
 *               firmware does.
 * @max_bar_backing: BARs larger than this are backed only up to it, and
 *               DMA beyond the backing fails with -ERANGE (default 0: back
 *               everything; the memory is sparse until touched).
 */
struct pdma_platform_opts {
	size_t size;
	uint64_t ram_bytes;
	bool bus_offsets;
	bool keep_source_bars;
	uint64_t max_bar_backing;
};

/** pdma_platform_opts_init() - the defaults. */
void pdma_platform_opts_init(struct pdma_platform_opts *o);

/**
 * pdma_platform_create() - build a machine from @fab.
 * @fab:  finalized; borrowed, must outlive the platform and not change.
 * @opts: NULL for defaults.
 * @err:  one line on failure.
 *
 * Return: 0, -EINVAL (e.g. a BAR larger than the address space), -ENOMEM.
 */
int pdma_platform_create(struct pdma_fabric *fab,
			 const struct pdma_platform_opts *opts,
			 struct pdma_platform **out, struct pdma_error *err);

/** pdma_platform_destroy() - free everything; @plat may be NULL. */
void pdma_platform_destroy(struct pdma_platform *plat);

/** pdma_platform_fabric() - the fabric the platform was built from. */
struct pdma_fabric *pdma_platform_fabric(const struct pdma_platform *plat);

/* ---- the address map ---------------------------------------------------- */

/**
 * struct pdma_bar_map - where a BAR sits and what backs it.
 * @cpu_addr:  CPU physical address.
 * @bus_addr:  PCI bus address (cpu_addr + the host bridge's bus offset).
 * @size:      bytes.
 * @backed:    bytes of @mem that exist (<= size).
 * @mem:       the backing memory (shared, memfd-backed), NULL if not memory.
 * @fd:        the memfd, -1 if none.
 */
struct pdma_bar_map {
	uint64_t cpu_addr;
	uint64_t bus_addr;
	uint64_t size;
	uint64_t backed;
	void *mem;
	int fd;
};

/**
 * pdma_platform_bar() - look up BAR @bar (0-5) of function @func.
 * Return: 0, or -ENOENT if that BAR is absent, I/O space or size unknown.
 */
int pdma_platform_bar(const struct pdma_platform *plat, int func, int bar,
		      struct pdma_bar_map *out);

/**
 * pdma_platform_bar_region() - the memory region backing a BAR (to hand
 * its fd to another process, or to a p2pmem provider).  Borrowed.
 * Return: NULL for a missing BAR.
 */
struct pdma_region *pdma_platform_bar_region(const struct pdma_platform *plat,
					     int func, int bar);

/**
 * pdma_platform_p2pmem_provider() - a p2pmem provider for BAR @bar of
 * @func, on the platform's memory for that BAR, guarded: once the provider
 * is removed (pdma_p2pmem_remove()), DMA into any part of the BAR fails with
 * -ENODEV, and until then a DMA into an allocation pins it for the
 * transfer.  The caller adds resources and publishes as a driver would.
 * @out: receives the provider with the caller's reference.
 *
 * Return: 0, -ENOENT for a missing BAR, -ENOMEM.
 */
struct pdma_p2pmem_provider;
int pdma_platform_p2pmem_provider(struct pdma_platform *plat, int func,
				  int bar, struct pdma_p2pmem_provider **out);

/**
 * pdma_platform_ram() - the RAM region: CPU physical base, size, backing
 * and its memfd.  DMA addresses of RAM equal CPU physical addresses.
 */
void pdma_platform_ram(const struct pdma_platform *plat, uint64_t *phys,
		       uint64_t *size, void **mem, int *fd);

/**
 * pdma_platform_find() - which memory BAR holds CPU physical address @cpu.
 * @func, @bar, @off: set to its function, BAR number and the offset in it.
 *
 * Return: 0, or -ENOENT if no BAR holds @cpu (RAM, or nothing).
 */
int pdma_platform_find(const struct pdma_platform *plat, uint64_t cpu,
		       int *func, int *bar, uint64_t *off);

/** pdma_platform_bus_offset() - bus = CPU + this, for host bridge @hb. */
uint64_t pdma_platform_bus_offset(const struct pdma_platform *plat, int hb);

/**
 * pdma_platform_window() - a bridge's memory windows in bus addresses,
 * [base, limit) each, empty when base == limit.
 * Return: 0, or -EINVAL if @func is not a bridge.
 */
int pdma_platform_window(const struct pdma_platform *plat, int func,
			 uint64_t *mem_base, uint64_t *mem_limit,
			 uint64_t *pref_base, uint64_t *pref_limit);

/* ---- hooks from the layers above ---------------------------------------- */

/**
 * struct pdma_iommu_ops - how the root complex asks the IOMMU layer.
 * @translate: called for every transaction that reaches the root complex
 *             from @initiator; set *@phys and *@contig (bytes contiguous
 *             from there, >= 1).  Return 0, -EFAULT (not mapped), -EACCES
 *             (permission) or -EPERM (domain blocked); any error is a fault.
 *             Called without platform locks held, from any thread.
 *             Optional: when absent (or returning -ENODEV for an
 *             initiator), addresses pass untranslated (no IOMMU).
 */
struct pdma_iommu_ops {
	int (*translate)(void *ctx, int initiator, uint64_t addr, uint64_t len,
			 bool write, uint64_t *phys, uint64_t *contig);
};

/** pdma_platform_set_iommu() - install the IOMMU layer's translation. */
void pdma_platform_set_iommu(struct pdma_platform *plat,
			     const struct pdma_iommu_ops *ops, void *ctx);

/**
 * struct pdma_bar_guard - lets the owner of BAR memory (p2pmem, a dma-buf
 * exporter) refuse access to revoked ranges.
 * @begin:   called before bytes move in [@off, @off + @len) of the BAR;
 *           return 0 to allow (then @end follows, with *@cookie), or a
 *           negative errno (-ENODEV: revoked) to refuse.
 * @end:     called after they moved.  Optional.
 * @release: called once when the guard is replaced or removed, or the
 *           platform destroyed, to let go of @ctx.  Optional.
 * @ctx:     passed to each.
 *
 * Called without platform locks held, from any thread doing DMA.
 */
struct pdma_bar_guard {
	int (*begin)(void *ctx, uint64_t off, uint64_t len, void **cookie);
	void (*end)(void *ctx, void *cookie);
	void (*release)(void *ctx);
	void *ctx;
};

/**
 * pdma_platform_set_bar_guard() - install (or with NULL, remove) a guard.
 * The previous guard, if any, is released.  Not while DMA may run.
 * Return: 0 or -ENOENT for a missing BAR.
 */
int pdma_platform_set_bar_guard(struct pdma_platform *plat, int func, int bar,
				const struct pdma_bar_guard *guard);

/* ---- routing ------------------------------------------------------------ */

enum pdma_dma_dir {
	PDMA_DMA_WRITE = 1,	/* the initiator writes buf to the address */
	PDMA_DMA_READ = 2,	/* the initiator reads the address into buf */
};

enum pdma_target_kind {
	PDMA_TARGET_NONE = 0,
	PDMA_TARGET_RAM,
	PDMA_TARGET_BAR,
};

/* Why a transaction failed (struct pdma_route.status / pdma_fault). */
enum pdma_tlp_status {
	PDMA_TLP_OK = 0,
	PDMA_TLP_UNSUPPORTED,	/* nobody claims the address (UR) */
	PDMA_TLP_IOMMU_FAULT,	/* the IOMMU refused the address */
	PDMA_TLP_BEYOND_BAR,	/* runs past the end of a BAR (or backing) */
	PDMA_TLP_REVOKED,	/* the BAR's owner revoked the range */
	PDMA_TLP_P2P_BLOCKED,	/* the host bridge does not route P2P */
};

#define PDMA_ROUTE_MAX_HOPS 64

/**
 * struct pdma_route - how one contiguous segment travels.
 * @status:     PDMA_TLP_OK or why not.
 * @kind:       RAM or a BAR.
 * @func, @bar: the target BAR's function and number.
 * @offset:     offset in the BAR, or in RAM.
 * @len:        bytes of this segment (<= the length asked).
 * @via_host_bridge: the segment crosses the root complex.
 * @translated: the IOMMU translated the address.
 * @redirected: ACS redirect sent it up although a bridge claimed it.
 * @phys:       the CPU physical address, when it reached the root complex.
 * @turn:       the bridge where it turned around, or PDMA_NONE.
 * @nr_hops, @hops: functions from the initiator to the target; a host
 *              bridge is given as -(index + 1).
 */
struct pdma_route {
	enum pdma_tlp_status status;
	enum pdma_target_kind kind;
	int func, bar;
	uint64_t offset;
	uint64_t len;
	bool via_host_bridge;
	bool translated;
	bool redirected;
	uint64_t phys;
	int turn;
	int nr_hops;
	int hops[PDMA_ROUTE_MAX_HOPS];
};

/**
 * pdma_platform_resolve() - route the first segment of a transaction
 * without moving data or counting.
 * Return: 0 (see @r->status for the outcome), -EINVAL for bad arguments.
 */
int pdma_platform_resolve(struct pdma_platform *plat, int initiator,
			  uint64_t addr, uint64_t len, bool write,
			  struct pdma_route *r);

/**
 * pdma_fabric_dma() - @initiator's DMA engine moves @len bytes between
 * @buf (its own local memory) and bus address @addr.
 *
 * Return: 0, or the first failure: -EREMOTEIO (unsupported request or P2P
 * blocked at the host bridge), -EFAULT (IOMMU fault), -ERANGE (beyond a
 * BAR), -ENODEV (revoked), -EINVAL (bad arguments).  Segments before the
 * failure have moved; the fault is recorded.
 */
int pdma_fabric_dma(struct pdma_platform *plat, int initiator, uint64_t addr,
		    void *buf, size_t len, enum pdma_dma_dir dir);

/**
 * pdma_fabric_copy() - @initiator's copy engine reads @len bytes at bus
 * address @src and writes them at @dst (device to device, RAM to device,
 * ...), without a bounce through local memory.  Errors as pdma_fabric_dma().
 */
int pdma_fabric_copy(struct pdma_platform *plat, int initiator, uint64_t dst,
		     uint64_t src, size_t len);

/* ---- accounting and faults ---------------------------------------------- */


/**
 * pdma_platform_link_bytes() - data bytes that crossed the link between
 * @func and its upstream bridge in @dir.  (Functions on a root bus attach
 * to the root complex directly: their "link" counts root-complex ingress
 * and egress.)
 */
uint64_t pdma_platform_link_bytes(const struct pdma_platform *plat, int func,
				  enum pdma_link_dir dir);

/**
 * struct pdma_platform_stats - totals since create (or the last reset).
 * @ram_bytes:   bytes read from or written to RAM.
 * @host_bridge_p2p_bytes: peer bytes routed through a root complex.
 * @switch_p2p_bytes: peer bytes that turned around below a root complex.
 * @transactions, @faults: counts.
 */
struct pdma_platform_stats {
	uint64_t ram_bytes;
	uint64_t host_bridge_p2p_bytes;
	uint64_t switch_p2p_bytes;
	uint64_t transactions;
	uint64_t faults;
};

/** pdma_platform_stats() - read the totals. */
void pdma_platform_stats(const struct pdma_platform *plat,
			 struct pdma_platform_stats *st);

/** pdma_platform_reset_stats() - zero every counter and the fault log. */
void pdma_platform_reset_stats(struct pdma_platform *plat);

/**
 * struct pdma_fault - one recorded failure.
 * @initiator: function index.
 * @addr:      the address it used.
 * @status:    what went wrong.
 * @write:     direction of the access at the target.
 * @text:      one line for people ("0000:05:00.0: IOMMU fault at IOVA ...").
 */
struct pdma_fault {
	int initiator;
	uint64_t addr;
	enum pdma_tlp_status status;
	bool write;
	char text[200];
};

/** pdma_platform_fault_count() - faults recorded (the log keeps the last 256). */
uint64_t pdma_platform_fault_count(const struct pdma_platform *plat);

/**
 * pdma_platform_fault_get() - the @idx-th most recent fault (0 = newest).
 * Return: 0 or -ENOENT.
 */
int pdma_platform_fault_get(const struct pdma_platform *plat, int idx,
			    struct pdma_fault *out);

/* ---- the link model ---------------------------------------------------- */

/**
 * struct pdma_flow - one stream of DMA for the link model.
 * @initiator: the function whose engine moves the data.
 * @addr:      where it reads or writes (a bus address, IOVA, RAM address).
 * @write:     true when the initiator writes @addr.
 * @demand_gbps: the most it asks for; 0 for as much as it can get.
 */
struct pdma_flow {
	int initiator;
	uint64_t addr;
	bool write;
	double demand_gbps;
};

/**
 * pdma_platform_model_flows() - modeled rates of flows that run at once.
 * @p:     link overheads; NULL for the defaults (pdma_link_params_init()).
 * @rates: receives each flow's GB/s: every link's payload bandwidth (from
 *         its current gen and width, TLP and DLLP overheads) is shared
 *         max-min fairly among the flows that cross it in one direction.
 *         Links of unknown speed do not limit.
 *
 * Return: 0; -EINVAL for bad arguments; the routing error (as
 * pdma_fabric_dma() returns it) of the first flow that cannot be routed;
 * -EDOM when a flow crosses no link of known speed and has no demand, so
 * that its rate would be unbounded; -ENOMEM.
 */
int pdma_platform_model_flows(struct pdma_platform *plat,
			      const struct pdma_flow *flows, int n,
			      const struct pdma_link_params *p, double *rates);

/**
 * pdma_platform_model_transfer() - modeled time of moving @len bytes along
 * one flow's route with nothing else running: @seconds and @gbps (either
 * may be NULL).  Return: as pdma_platform_model_flows().
 */
int pdma_platform_model_transfer(struct pdma_platform *plat,
				 const struct pdma_flow *flow, uint64_t len,
				 const struct pdma_link_params *p,
				 double *seconds, double *gbps);

/** pdma_tlp_status_name() - "ok", "unsupported request", "IOMMU fault", ... */
const char *pdma_tlp_status_name(enum pdma_tlp_status s);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_PLATFORM_H */
