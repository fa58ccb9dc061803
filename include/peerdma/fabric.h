/* SPDX-License-Identifier: MIT */
/*
 * peerdma/fabric.h - the in-memory model of a PCIe fabric.
 *
 * One model, filled by every source (live sysfs, snapshot, lspci dump, JSON
 * topology, built-in preset) and read by every consumer (verdicts, CLI,
 * export, later the emulated platform).  A fabric is built with the
 * pdma_fabric_add_*() calls, then sealed with pdma_fabric_finalize(), which
 * checks it, links functions to their upstream bridges and host bridges,
 * sorts them in the kernel's device order and labels them.  After that the
 * accessors below read it; the pdma_fabric_set_*() "what if" calls change it
 * and invalidate every cached verdict.
 *
 * Thread safety: a finalized fabric may be read and queried for verdicts from
 * several threads at once.  Building, finalizing, the set_*() calls and
 * destroy need the caller to exclude every other user.
 */
#ifndef PEERDMA_FABRIC_H
#define PEERDMA_FABRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct pdma_error - a user-facing error: one line, what/where/why/what to do.
 * @msg: NUL-terminated, no trailing newline.
 */
struct pdma_error {
	char msg[512];
};

/* Parent and host-bridge indices that finalize resolves itself. */
#define PDMA_AUTO	(-2)
#define PDMA_NONE	(-1)

/* BAR flags (struct pdma_bar.flags). */
#define PDMA_BAR_MEM		0x1u	/* memory space (else I/O space) */
#define PDMA_BAR_64		0x2u	/* 64-bit memory BAR */
#define PDMA_BAR_PREFETCH	0x4u	/* prefetchable */

/* ACS capability/control bits we read (PCIe spec 7.7.8). */
#define PDMA_ACS_SV	0x0001u	/* source validation */
#define PDMA_ACS_TB	0x0002u	/* translation blocking */
#define PDMA_ACS_RR	0x0004u	/* P2P request redirect */
#define PDMA_ACS_CR	0x0008u	/* P2P completion redirect */
#define PDMA_ACS_UF	0x0010u	/* upstream forwarding */
#define PDMA_ACS_EC	0x0020u	/* P2P egress control */
#define PDMA_ACS_DT	0x0040u	/* direct translated P2P */
/* The bits that make the kernel count a port as redirecting. */
#define PDMA_ACS_REDIR_MASK	(PDMA_ACS_RR | PDMA_ACS_CR | PDMA_ACS_EC)

/* PCIe device/port type from the PCI Express capability (spec 7.5.3.2). */
enum pdma_pcie_type {
	PDMA_PCIE_NONE = -1,		/* conventional PCI, or unknown */
	PDMA_PCIE_ENDPOINT = 0x0,
	PDMA_PCIE_LEGACY_ENDPOINT = 0x1,
	PDMA_PCIE_ROOT_PORT = 0x4,
	PDMA_PCIE_UPSTREAM = 0x5,
	PDMA_PCIE_DOWNSTREAM = 0x6,
	PDMA_PCIE_PCIE_TO_PCI = 0x7,
	PDMA_PCIE_PCI_TO_PCIE = 0x8,
	PDMA_PCIE_RC_INTEGRATED = 0x9,
	PDMA_PCIE_RC_EVENT_COLLECTOR = 0xa,
};

/* What a function is, for people: derived from class and port type. */
enum pdma_role {
	PDMA_ROLE_OTHER = 0,
	PDMA_ROLE_HOST_BRIDGE,	/* a host-bridge function (class 0600) */
	PDMA_ROLE_ROOT_PORT,
	PDMA_ROLE_SWITCH_UP,
	PDMA_ROLE_SWITCH_DOWN,
	PDMA_ROLE_PCI_BRIDGE,	/* any other PCI-PCI bridge */
	PDMA_ROLE_GPU,
	PDMA_ROLE_NIC,
	PDMA_ROLE_NVME,
	PDMA_ROLE_STORAGE,
	PDMA_ROLE_ACCEL,
	PDMA_ROLE_MEMORY,	/* RAM/shared-memory devices (class 05) */
	PDMA_ROLE_ISA_BRIDGE,
	PDMA_ROLE_SERIAL_BUS,	/* SMBus, USB, ... */
	PDMA_ROLE__COUNT,
};

enum pdma_cpu_vendor {
	PDMA_CPU_UNKNOWN = 0,
	PDMA_CPU_INTEL,
	PDMA_CPU_AMD,
	PDMA_CPU_OTHER,		/* known, but neither (ARM, ...) */
};

/* IOMMU domain type of a group, as /sys/kernel/iommu_groups/N/type says. */
enum pdma_iommu_type {
	PDMA_IOMMU_NONE = 0,	/* no IOMMU translates this function */
	PDMA_IOMMU_DMA,		/* translated ("DMA", "DMA-FQ") */
	PDMA_IOMMU_IDENTITY,	/* passthrough ("identity") */
	PDMA_IOMMU_BLOCKED,	/* "blocked" */
	PDMA_IOMMU_UNMANAGED,	/* owned by VFIO or a driver ("unmanaged") */
};

/**
 * struct pdma_bar - one Base Address Register.
 * @addr:  CPU address as the source records it (0 when unknown/unassigned).
 * @size:  bytes; 0 when the BAR is absent or its size is unknown.
 * @flags: PDMA_BAR_*.
 */
struct pdma_bar {
	uint64_t addr;
	uint64_t size;
	unsigned flags;
};

/**
 * struct pdma_link - one PCIe link as a port sees it.
 * @gen:   1..6 for 2.5, 5, 8, 16, 32, 64 GT/s; 0 when unknown.
 * @width: lanes; 0 when unknown.
 */
struct pdma_link {
	int gen;
	int width;
};

/**
 * struct pdma_p2pmem - the sysfs p2pmem/ group of a provider.
 * @present:   the group exists (the device registered p2p memory).
 * @size:      p2pmem/size in bytes.
 * @available: p2pmem/available in bytes.
 * @published: p2pmem/published.
 */
struct pdma_p2pmem {
	bool present;
	uint64_t size;
	uint64_t available;
	bool published;
};

/**
 * struct pdma_func_info - one PCI function.
 *
 * Filled by a source and passed to pdma_fabric_add_func(); after
 * finalize, the fields marked (derived) are set by the model and the whole
 * struct is read-only, returned by pdma_fabric_func().
 *
 * @domain, @bus, @dev, @fn: the address (BDF).
 * @vendor ... @revision:   identity from config space.
 * @class_code:             24-bit class (base, sub, prog-if).
 * @header_type:            0 = normal, 1 = PCI-PCI bridge, 2 = CardBus.
 * @multifunction:          (derived) the slot has several functions, or
 *                          its function 0 sets header type bit 7; the
 *                          kernel marks every function of such a slot.
 * @pcie_type:              enum pdma_pcie_type.
 * @secondary_bus, @subordinate_bus: bridges only.
 * @bars:                   six BARs (a 64-bit BAR uses the slot after it).
 * @link_cur, @link_max:    this function's link status / capability.
 * @numa_node:              -1 when unknown.
 * @driver:                 bound driver name, "" when none.
 * @p2pmem:                 p2pmem/ group.
 * @acs_known:              false when config space past 256 bytes could not
 *                          be read, so ACS is unknown (unprivileged reads).
 * @has_acs:                ACS extended capability present.
 * @acs_cap, @acs_ctrl:     ACS capability and control registers.
 * @iommu_group:            group id, -1 for none.
 * @parent:                 index of the upstream bridge, PDMA_NONE when the
 *                          function sits on a root bus, PDMA_AUTO to let
 *                          finalize find it from bridges' bus numbers.
 * @host_bridge:            index of the host bridge, or PDMA_AUTO.
 * @label:                  short name ("gpu0"); "" to let finalize choose.
 * @name:                   vendor/device description, "" when unknown.
 * @role:                   (derived) what the function is.
 * @depth:                  (derived) upstream bridges above it.
 * @index:                  (derived) its index in the finalized fabric.
 */
struct pdma_func_info {
	uint16_t domain;
	uint8_t bus, dev, fn;
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint8_t revision;
	uint32_t class_code;
	uint8_t header_type;
	bool multifunction;
	int pcie_type;
	uint8_t secondary_bus, subordinate_bus;
	struct pdma_bar bars[6];
	struct pdma_link link_cur, link_max;
	int numa_node;
	char driver[32];
	struct pdma_p2pmem p2pmem;
	bool acs_known;
	bool has_acs;
	uint16_t acs_cap, acs_ctrl;
	int iommu_group;
	int parent;
	int host_bridge;
	char label[24];
	char name[96];
	enum pdma_role role;
	int depth;
	int index;
};

/**
 * struct pdma_host_bridge_info - a PCI host bridge (root complex, root bus).
 * @domain, @bus:  the root bus it owns.
 * @numa_node:     -1 when unknown.
 * @name:          "pci0000:40" ("" lets finalize name it).
 * @firmware_path: ACPI path ("\\_SB_.PC40") or "".
 * @root_func:     (derived) the function the kernel inspects for the
 *                 allow-list: the first function on the root bus if it is
 *                 devfn 00.0 or a root port; PDMA_NONE otherwise.
 * @index:         (derived)
 */
struct pdma_host_bridge_info {
	uint16_t domain;
	uint8_t bus;
	int numa_node;
	char name[24];
	char firmware_path[64];
	int root_func;
	int index;
};

/**
 * struct pdma_platform_info - what is not on the PCI bus but decides verdicts.
 * @cpu_vendor, @cpu_family: of CPU 0 (AMD family >= 0x17 allows P2P through
 *                           the host bridge).
 * @cpu_model:    "model name", "" when unknown.
 * @cpu_source:   where the CPU came from ("/proc/cpuinfo", "--cpu amd:23").
 * @iommu:        an IOMMU translates DMA for at least one group.
 * @iommu_unknown: the source cannot tell (an lspci dump): @iommu is false
 *                only for want of knowing.
 * @cmdline:      the kernel command line, "" when unknown.
 * @source:       what the fabric was read from, for people.
 */
struct pdma_platform_info {
	enum pdma_cpu_vendor cpu_vendor;
	int cpu_family;
	char cpu_model[64];
	char cpu_source[96];
	bool iommu;
	bool iommu_unknown;
	char cmdline[512];
	char source[256];
};

struct pdma_fabric;

/**
 * pdma_fabric_create() - a new, empty fabric.
 * @out: receives the fabric; the caller owns it (pdma_fabric_destroy()).
 *
 * Return: 0 or -ENOMEM.
 */
int pdma_fabric_create(struct pdma_fabric **out);

/**
 * pdma_fabric_destroy() - free a fabric and every cached verdict.
 * @fab: may be NULL.
 */
void pdma_fabric_destroy(struct pdma_fabric *fab);

/**
 * pdma_fabric_add_host_bridge() - declare a host bridge before finalize.
 * @fab: not yet finalized.
 * @hb:  copied.  Host bridges for root buses nobody declares are made by
 *       finalize.
 * @idx: receives the index (may be NULL).
 *
 * Return: 0, -EBUSY if @fab is finalized, -EEXIST for a duplicate
 * (domain, bus), -ENOMEM.
 */
int pdma_fabric_add_host_bridge(struct pdma_fabric *fab,
				const struct pdma_host_bridge_info *hb,
				int *idx);

/**
 * pdma_fabric_add_func() - add a PCI function before finalize.
 * @fab: not yet finalized.
 * @fi:  copied; see struct pdma_func_info for what finalize derives.
 * @idx: receives the insertion index (may be NULL).  Indices are stable
 *       until finalize, which re-sorts; @parent refers to insertion indices.
 *
 * Return: 0, -EBUSY if finalized, -ENOMEM.
 */
int pdma_fabric_add_func(struct pdma_fabric *fab,
			 const struct pdma_func_info *fi, int *idx);

/**
 * pdma_fabric_add_note() - attach a remark for people ("config space of X is
 * 64 bytes: ACS unknown").  Notes are printed with every report.
 *
 * Return: 0 or -ENOMEM.
 */
int pdma_fabric_add_note(struct pdma_fabric *fab, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * pdma_fabric_set_platform() - set CPU, IOMMU, command line and source.
 * May be called after finalize; invalidates cached verdicts.
 */
void pdma_fabric_set_platform(struct pdma_fabric *fab,
			      const struct pdma_platform_info *pi);

/**
 * pdma_fabric_set_iommu_group_type() - record a group's domain type.
 * @group: id as in struct pdma_func_info.iommu_group (>= 0).
 *
 * Return: 0, -EINVAL for a negative group, -ENOMEM.
 */
int pdma_fabric_set_iommu_group_type(struct pdma_fabric *fab, int group,
				     enum pdma_iommu_type type);

/**
 * pdma_fabric_finalize() - check and seal a fabric.
 * @err: receives one line on failure (may be NULL).
 *
 * Resolves parents and host bridges, rejects duplicate addresses, cycles,
 * functions whose parent is not a bridge and a bridge whose bus range does
 * not hold its children; derives roles, depths and labels; sorts functions
 * by (domain, bus, devfn).  On failure the fabric is left unusable and
 * must be destroyed.
 *
 * Return: 0, -EINVAL (with @err), -EBUSY if already finalized, -ENOMEM.
 */
int pdma_fabric_finalize(struct pdma_fabric *fab, struct pdma_error *err);

/* Accessors: valid on a finalized fabric; pointers live until destroy. */

/** pdma_fabric_nr_funcs() - number of functions. */
int pdma_fabric_nr_funcs(const struct pdma_fabric *fab);
/** pdma_fabric_func() - function @idx (0-based, sorted), NULL if out of range. */
const struct pdma_func_info *pdma_fabric_func(const struct pdma_fabric *fab,
					      int idx);
/** pdma_fabric_nr_host_bridges() - number of host bridges. */
int pdma_fabric_nr_host_bridges(const struct pdma_fabric *fab);
/** pdma_fabric_host_bridge() - host bridge @idx, NULL if out of range. */
const struct pdma_host_bridge_info *
pdma_fabric_host_bridge(const struct pdma_fabric *fab, int idx);
/** pdma_fabric_platform() - the platform description. */
const struct pdma_platform_info *
pdma_fabric_platform(const struct pdma_fabric *fab);
/** pdma_fabric_iommu_group_type() - domain type of @group (NONE if unknown). */
enum pdma_iommu_type pdma_fabric_iommu_group_type(const struct pdma_fabric *fab,
						  int group);
/** pdma_fabric_nr_notes() / pdma_fabric_note() - remarks for people. */
int pdma_fabric_nr_notes(const struct pdma_fabric *fab);
const char *pdma_fabric_note(const struct pdma_fabric *fab, int idx);

/**
 * pdma_fabric_generation() - a counter that changes whenever the model
 * changes after finalize; cached verdicts are tied to it.
 */
uint64_t pdma_fabric_generation(const struct pdma_fabric *fab);

/**
 * pdma_fabric_lookup() - find a function by name.
 * @name: "0000:03:00.0", "03:00.0" (domain 0) or a label ("nvme0").
 *
 * Return: the index, or -ENOENT.
 */
int pdma_fabric_lookup(const struct pdma_fabric *fab, const char *name);

/**
 * pdma_fabric_is_bridge() - true for header type 1 and 2 functions, which
 * take no part in P2P verdicts (the kernel's pairs are header type 0).
 */
bool pdma_fabric_is_bridge(const struct pdma_func_info *fi);

/**
 * pdma_fabric_set_acs_ctrl() - what-if: change a port's ACS control word.
 * Return: 0, -EINVAL for a bad index, -ENODEV if it has no ACS capability.
 */
int pdma_fabric_set_acs_ctrl(struct pdma_fabric *fab, int idx, uint16_t ctrl);

/**
 * pdma_fabric_remove_func() - what-if: hot-unplug function @idx and
 * everything below it.  Indices of the remaining functions are renumbered
 * (still sorted); every cached verdict is invalidated.
 *
 * Return: 0 or -EINVAL.
 */
int pdma_fabric_remove_func(struct pdma_fabric *fab, int idx);

/* Small helpers for printing. */

/** pdma_bdf_format() - "0000:03:00.0" into @buf (at least 13 bytes). */
char *pdma_bdf_format(const struct pdma_func_info *fi, char *buf, size_t len);
/** pdma_bdf_parse() - parse "[dddd:]bb:dd.f"; 0 or -EINVAL. */
int pdma_bdf_parse(const char *s, uint16_t *domain, uint8_t *bus, uint8_t *dev,
		   uint8_t *fn);
/** pdma_role_name() - "GPU", "NIC", "NVMe", "root port", ... */
const char *pdma_role_name(enum pdma_role role);
/** pdma_iommu_type_name() - "none", "DMA", "identity", ... */
const char *pdma_iommu_type_name(enum pdma_iommu_type type);
/** pdma_link_gen_gts() - transfer rate of a generation in GT/s (0 unknown). */
double pdma_link_gen_gts(int gen);
/**
 * pdma_link_gbytes() - usable bandwidth of a link in one direction, GB/s,
 * after line encoding (8b/10b for gen 1-2, 128b/130b for gen 3-5, 242/256
 * FLIT for gen 6); 0 when unknown.
 */
double pdma_link_gbytes(struct pdma_link link);

#ifdef __cplusplus
}
#endif
#endif /* PEERDMA_FABRIC_H */
