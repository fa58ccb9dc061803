/* SPDX-License-Identifier: MIT */
/*
 * The built-in machines.  Device types first (ids, classes and BARs as the
 * real parts report them), then one table per machine.  Labels ("gpu0",
 * "nic3", ...) are left to finalize, which numbers each role in bus order.
 */
#include "preset.h"

#define KiB	(1ull << 10)
#define MiB	(1ull << 20)
#define GiB	(1ull << 30)

#define M32	PDMA_BAR_MEM
#define M64	(PDMA_BAR_MEM | PDMA_BAR_64)
#define P64	(PDMA_BAR_MEM | PDMA_BAR_64 | PDMA_BAR_PREFETCH)

/* ---- device types ------------------------------------------------------ */

/* Intel Xeon (Ice Lake-SP / Sapphire Rapids) */
static const struct preset_dev spr_vtd = {
	0x8086, 0x09a2, 0, 0, 0x20, 0x088000,
	"Intel Ice Lake/Sapphire Rapids Memory Map/VT-d", NULL, { 0, 0 },
};
static const struct preset_dev spr_rp = {
	0x8086, 0x352a, 0, 0, 0x04, 0x060400,
	"Intel Sapphire Rapids PCIe Root Port A", "pcieport", { 5, 16 },
	.acs_cap = 0x1f,
};
static const struct preset_dev spr_rp_c = {
	0x8086, 0x352c, 0, 0, 0x04, 0x060400,
	"Intel Sapphire Rapids PCIe Root Port C", "pcieport", { 5, 8 },
	.acs_cap = 0x1f,
};
static const struct preset_dev ebg_lpc = {
	0x8086, 0x1b81, 0, 0, 0x11, 0x060100,
	"Intel Emmitsburg C741 LPC/eSPI Controller", NULL, { 0, 0 },
	.conventional = true,
};
static const struct preset_dev ebg_smbus = {
	0x8086, 0x1bc9, 0, 0, 0x11, 0x0c0500,
	"Intel Emmitsburg SMBus Controller", "i801_smbus", { 0, 0 },
	.conventional = true,
	.bars = { { 0, M64, 256 } },
};
/* Broadcom PEX890xx Gen 5 switch: same id on both port kinds. */
static const struct preset_dev pex89 = {
	0x1000, 0xc030, 0x1000, 0xa064, 0xb0, 0x060400,
	"Broadcom PEX890xx PCIe Gen 5 Switch", "pcieport", { 5, 16 },
	.acs_cap = 0x5f,
};
static const struct preset_dev h100 = {
	0x10de, 0x2330, 0x10de, 0x16c1, 0xa1, 0x030200,
	"NVIDIA GH100 [H100 SXM5 80GB]", "nvidia", { 5, 16 },
	.bars = { { 0, M32, 16 * MiB }, { 1, P64, 64 * GiB },
		  { 3, P64, 32 * MiB } },
};
static const struct preset_dev cx7 = {
	0x15b3, 0x1021, 0x15b3, 0x0041, 0x00, 0x020700,
	"Mellanox MT2910 Family [ConnectX-7]", "mlx5_core", { 5, 16 },
	.bars = { { 0, P64, 32 * MiB } },
};
/* Eideticom NoLoad: NVMe with a controller memory buffer in BAR 2. */
static const struct preset_dev noload = {
	0x1de5, 0x1000, 0x1de5, 0x1000, 0x00, 0x010802,
	"Eideticom NoLoad NVMe CSP (controller memory buffer)", "nvme",
	{ 4, 4 }, .cmb = 512 * MiB,
	.bars = { { 0, M64, 16 * KiB }, { 2, P64, 512 * MiB } },
};
static const struct preset_dev pm1733 = {
	0x144d, 0xa824, 0x144d, 0xa801, 0x00, 0x010802,
	"Samsung NVMe SSD Controller PM173X", "nvme", { 4, 4 },
	.bars = { { 0, M64, 32 * KiB } },
};
static const struct preset_dev pm9a3 = {
	0x144d, 0xa80a, 0x144d, 0xa813, 0x00, 0x010802,
	"Samsung NVMe SSD Controller PM9A1/PM9A3/980PRO", "nvme", { 4, 4 },
	.bars = { { 0, M64, 16 * KiB } },
};

/* Intel Core (Alder Lake-S) desktop with a Z690 chipset */
static const struct preset_dev adl_hb = {
	0x8086, 0x4660, 0x1043, 0x8882, 0x02, 0x060000,
	"Intel 12th Gen Core Processor Host Bridge/DRAM Registers", NULL,
	{ 0, 0 }, .conventional = true,
};
static const struct preset_dev adl_peg16 = {
	0x8086, 0x460d, 0, 0, 0x02, 0x060400,
	"Intel 12th Gen Core Processor PCI Express x16 Controller #1",
	"pcieport", { 5, 16 }, .acs_cap = 0x1f,
};
static const struct preset_dev adl_peg8 = {
	0x8086, 0x4649, 0, 0, 0x02, 0x060400,
	"Intel 12th Gen Core Processor PCI Express x8 Controller #2",
	"pcieport", { 5, 8 }, .acs_cap = 0x1f,
};
static const struct preset_dev adl_peg4 = {
	0x8086, 0x464d, 0, 0, 0x02, 0x060400,
	"Intel 12th Gen Core Processor PCI Express x4 Controller #0",
	"pcieport", { 4, 4 }, .acs_cap = 0x1f,
};
static const struct preset_dev adl_igpu = {
	0x8086, 0x4680, 0x1043, 0x8882, 0x0c, 0x030000,
	"Intel AlderLake-S GT1 [UHD Graphics 770]", "i915", { 0, 0 },
	.conventional = true,
	.bars = { { 0, M64, 16 * MiB }, { 2, P64, 256 * MiB } },
};
static const struct preset_dev z690_usb = {
	0x8086, 0x7ae0, 0x1043, 0x8882, 0x11, 0x0c0330,
	"Intel Alder Lake-S PCH USB 3.2 Gen 2x2 XHCI Controller", "xhci_hcd",
	{ 0, 0 }, .conventional = true,
	.bars = { { 0, M64, 64 * KiB } },
};
static const struct preset_dev z690_sata = {
	0x8086, 0x7ae2, 0x1043, 0x8882, 0x11, 0x010601,
	"Intel Alder Lake-S PCH SATA Controller [AHCI Mode]", "ahci",
	{ 0, 0 }, .conventional = true,
	.bars = { { 5, M32, 2 * KiB } },
};
/* PCH root ports have no ACS capability (the kernel quirks them). */
static const struct preset_dev z690_rp1 = {
	0x8086, 0x7ab8, 0, 0, 0x11, 0x060400,
	"Intel Alder Lake-S PCH PCI Express Root Port #1", "pcieport",
	{ 4, 4 },
};
static const struct preset_dev z690_rp5 = {
	0x8086, 0x7abc, 0, 0, 0x11, 0x060400,
	"Intel Alder Lake-S PCH PCI Express Root Port #5", "pcieport",
	{ 3, 1 },
};
static const struct preset_dev z690_lpc = {
	0x8086, 0x7a84, 0x1043, 0x8882, 0x11, 0x060100,
	"Intel Z690 Chipset LPC/eSPI Controller", NULL, { 0, 0 },
	.conventional = true,
};
static const struct preset_dev z690_smbus = {
	0x8086, 0x7aa3, 0x1043, 0x8882, 0x11, 0x0c0500,
	"Intel Alder Lake-S PCH SMBus Controller", "i801_smbus", { 0, 0 },
	.conventional = true,
	.bars = { { 0, M64, 256 } },
};
static const struct preset_dev rtx6000 = {
	0x10de, 0x26b1, 0x10de, 0x16a1, 0xa1, 0x030000,
	"NVIDIA AD102GL [RTX 6000 Ada Generation]", "nvidia", { 4, 16 },
	.bars = { { 0, M32, 16 * MiB }, { 1, P64, 64 * GiB },
		  { 3, P64, 32 * MiB } },
};
static const struct preset_dev ad102_hda = {
	0x10de, 0x22ba, 0x10de, 0x16a1, 0xa1, 0x040300,
	"NVIDIA AD102 High Definition Audio Controller", "snd_hda_intel",
	{ 4, 16 }, .bars = { { 0, M32, 16 * KiB } },
};
static const struct preset_dev cx6dx = {
	0x15b3, 0x101d, 0x15b3, 0x0016, 0x00, 0x020000,
	"Mellanox MT2892 Family [ConnectX-6 Dx]", "mlx5_core", { 4, 16 },
	.bars = { { 0, P64, 32 * MiB } },
};
static const struct preset_dev i225 = {
	0x8086, 0x15f3, 0x1043, 0x87d2, 0x03, 0x020000,
	"Intel Ethernet Controller I225-V", "igc", { 2, 1 },
	.bars = { { 0, M32, 1 * MiB }, { 3, M32, 16 * KiB } },
};

/* AMD EPYC 7003 (Milan) */
static const struct preset_dev milan_rc = {
	0x1022, 0x1480, 0x1022, 0x1480, 0x00, 0x060000,
	"AMD Starship/Matisse Root Complex", NULL, { 0, 0 },
	.conventional = true,
};
static const struct preset_dev milan_gpp4 = {
	0x1022, 0x1483, 0, 0, 0x00, 0x060400,
	"AMD Starship/Matisse GPP Bridge", "pcieport", { 4, 4 },
	.acs_cap = 0x5f,
};
static const struct preset_dev milan_gpp16 = {
	0x1022, 0x1483, 0, 0, 0x00, 0x060400,
	"AMD Starship/Matisse GPP Bridge", "pcieport", { 4, 16 },
	.acs_cap = 0x5f,
};
static const struct preset_dev fch_smbus = {
	0x1022, 0x790b, 0x15d9, 0x1b95, 0x61, 0x0c0500,
	"AMD FCH SMBus Controller", "piix4_smbus", { 0, 0 },
	.conventional = true,
};
static const struct preset_dev fch_lpc = {
	0x1022, 0x790e, 0x15d9, 0x1b95, 0x51, 0x060100,
	"AMD FCH LPC Bridge", NULL, { 0, 0 }, .conventional = true,
};

/* ---- row helpers ------------------------------------------------------- */

#define EP(b, d, f, t, fl)		{ b, d, f, PK_EP, 0, 0, fl, &t, { 0, 0 } }
#define EPL(b, d, f, t, fl, g, w)	{ b, d, f, PK_EP, 0, 0, fl, &t, { g, w } }
#define BR(b, d, f, k, t, s, u, fl)	{ b, d, f, k, s, u, fl, &t, { 0, 0 } }
#define BRL(b, d, f, k, t, s, u, fl, g, w) \
	{ b, d, f, k, s, u, fl, &t, { g, w } }

/* ---- dgx-like ---------------------------------------------------------- */

/*
 * One GPU tray on its own IIO stack (host bridge) at root bus R: the
 * stack's VT-d device R:00.0, root port R:01.0, a PEX890xx switch whose
 * five downstream ports lead to GPU, NIC, GPU, NIC, NVMe.  DFL are the
 * downstream ports' flags (ACS); W2 is the second GPU's link width.
 */
#define TRAY(R, DFL, NVME, W2)						\
	EP(R, 0x00, 0, spr_vtd, 0),					\
	BR(R, 0x01, 0, PK_RP, spr_rp, R + 1, R + 7, PF_ACS_ON),		\
	BR(R + 1, 0x00, 0, PK_USP, pex89, R + 2, R + 7, 0),		\
	BR(R + 2, 0x00, 0, PK_DSP, pex89, R + 3, R + 3, DFL),		\
	BR(R + 2, 0x01, 0, PK_DSP, pex89, R + 4, R + 4, DFL),		\
	BRL(R + 2, 0x02, 0, PK_DSP, pex89, R + 5, R + 5, DFL, 5, W2),	\
	BR(R + 2, 0x03, 0, PK_DSP, pex89, R + 6, R + 6, DFL),		\
	BRL(R + 2, 0x04, 0, PK_DSP, pex89, R + 7, R + 7, DFL, 4, 4),	\
	EP(R + 3, 0x00, 0, h100, 0),					\
	EP(R + 4, 0x00, 0, cx7, 0),					\
	EPL(R + 5, 0x00, 0, h100, 0, 5, W2),				\
	EP(R + 6, 0x00, 0, cx7, 0),					\
	EP(R + 7, 0x00, 0, NVME, 0)

static const struct preset_hb dgx_hbs[] = {
	{ 0x00, 0, "\\_SB_.PC00", 0x90000000, 0x200000000000ull },
	{ 0x15, 0, "\\_SB_.PC01", 0x94000000, 0x210000000000ull },
	{ 0x26, 0, "\\_SB_.PC02", 0x98000000, 0x220000000000ull },
	{ 0x37, 0, "\\_SB_.PC03", 0x9c000000, 0x230000000000ull },
	{ 0x80, 1, "\\_SB_.PC12", 0xc0000000, 0x300000000000ull },
	{ 0x97, 1, "\\_SB_.PC13", 0xc4000000, 0x310000000000ull },
	{ 0xa8, 1, "\\_SB_.PC14", 0xc8000000, 0x320000000000ull },
};

static const struct preset_row dgx_rows[] = {
	/* socket 0: the legacy stack with the PCH */
	EP(0x00, 0x00, 0, spr_vtd, 0),
	EP(0x00, 0x1f, 0, ebg_lpc, PF_MF),
	EP(0x00, 0x1f, 4, ebg_smbus, PF_MF),
	TRAY(0x15, 0, noload, 16),
	TRAY(0x26, 0, pm1733, 16),
	/* two boot drives on root ports of one stack */
	EP(0x37, 0x00, 0, spr_vtd, 0),
	BRL(0x37, 0x01, 0, PK_RP, spr_rp, 0x38, 0x38, PF_ACS_ON, 4, 4),
	BRL(0x37, 0x03, 0, PK_RP, spr_rp_c, 0x39, 0x39, PF_ACS_ON, 4, 4),
	EP(0x38, 0x00, 0, pm9a3, 0),
	EP(0x39, 0x00, 0, pm9a3, 0),
	/* socket 1 */
	EP(0x80, 0x00, 0, spr_vtd, 0),
	/* switch firmware that exposes ACS: the kernel turns redirect on */
	TRAY(0x97, PF_ACS_ON, pm1733, 16),
	/* the second GPU of this tray trained at x8 */
	TRAY(0xa8, 0, pm1733, 8),
};

const struct preset_machine pdma__preset_dgx_like = {
	.name = "dgx-like",
	.description = "2-socket Intel Xeon (Sapphire Rapids) with 8 H100 GPUs, 8 ConnectX-7 NICs and NVMe behind 4 Broadcom PEX890xx switches; one switch has ACS redirect on, one GPU link runs at x8",
	.cpu_vendor = PDMA_CPU_INTEL,
	.cpu_family = 6,
	.cpu_model = "Intel(R) Xeon(R) Platinum 8480+",
	.iommu = true,
	.cmdline = "BOOT_IMAGE=/boot/vmlinuz-6.8.0-1015-nvidia root=/dev/md0 ro intel_iommu=on",
	.hbs = dgx_hbs,
	.nr_hbs = sizeof(dgx_hbs) / sizeof(dgx_hbs[0]),
	.rows = dgx_rows,
	.nr_rows = sizeof(dgx_rows) / sizeof(dgx_rows[0]),
};

/* ---- workstation ------------------------------------------------------- */

static const struct preset_hb ws_hbs[] = {
	{ 0x00, 0, "\\_SB_.PCI0", 0x80000000, 0x4000000000ull },
};

static const struct preset_row ws_rows[] = {
	EP(0x00, 0x00, 0, adl_hb, 0),
	/* the CPU's x16 lanes split x8/x8 between two root ports */
	BRL(0x00, 0x01, 0, PK_RP, adl_peg16, 0x01, 0x01, PF_MF | PF_ACS, 4, 8),
	BRL(0x00, 0x01, 1, PK_RP, adl_peg8, 0x02, 0x02, PF_MF | PF_ACS, 4, 8),
	EP(0x00, 0x02, 0, adl_igpu, 0),
	BR(0x00, 0x06, 0, PK_RP, adl_peg4, 0x03, 0x03, PF_ACS),
	EP(0x00, 0x14, 0, z690_usb, 0),
	EP(0x00, 0x17, 0, z690_sata, 0),
	/* chipset root ports, behind the DMI link */
	BR(0x00, 0x1c, 0, PK_RP, z690_rp1, 0x04, 0x04, PF_MF),
	BR(0x00, 0x1c, 4, PK_RP, z690_rp5, 0x05, 0x05, PF_MF),
	EP(0x00, 0x1f, 0, z690_lpc, PF_MF),
	EP(0x00, 0x1f, 4, z690_smbus, PF_MF),
	EPL(0x01, 0x00, 0, rtx6000, PF_MF, 4, 8),
	EPL(0x01, 0x00, 1, ad102_hda, PF_MF, 4, 8),
	EPL(0x02, 0x00, 0, rtx6000, PF_MF, 4, 8),
	EPL(0x02, 0x00, 1, ad102_hda, PF_MF, 4, 8),
	EP(0x03, 0x00, 0, pm9a3, 0),
	/* a 100 GbE card in the chipset's x4 slot */
	EPL(0x04, 0x00, 0, cx6dx, 0, 4, 4),
	EP(0x05, 0x00, 0, i225, 0),
};

const struct preset_machine pdma__preset_workstation = {
	.name = "workstation",
	.description = "Intel Core i9-12900K desktop (Z690): 2 RTX 6000 Ada GPUs on CPU root ports, NVMe on a CPU root port, ConnectX-6 Dx behind a chipset root port, integrated GPU; host bridge not on the allow-list",
	.cpu_vendor = PDMA_CPU_INTEL,
	.cpu_family = 6,
	.cpu_model = "12th Gen Intel(R) Core(TM) i9-12900K",
	.iommu = false,
	.cmdline = "BOOT_IMAGE=/boot/vmlinuz-6.8.0-45-generic root=/dev/nvme0n1p2 ro quiet splash",
	.hbs = ws_hbs,
	.nr_hbs = 1,
	.rows = ws_rows,
	.nr_rows = sizeof(ws_rows) / sizeof(ws_rows[0]),
};

/* ---- amd-storage ------------------------------------------------------- */

/*
 * One EPYC root complex at root bus R with four NVMe drives, each on its
 * own GPP bridge R:01.1-01.4; the last drive is D4.
 */
#define NVME4(R, D4)							\
	EP(R, 0x00, 0, milan_rc, 0),					\
	BR(R, 0x01, 1, PK_RP, milan_gpp4, R + 1, R + 1, PF_MF | PF_ACS_ON), \
	BR(R, 0x01, 2, PK_RP, milan_gpp4, R + 2, R + 2, PF_MF | PF_ACS_ON), \
	BR(R, 0x01, 3, PK_RP, milan_gpp4, R + 3, R + 3, PF_MF | PF_ACS_ON), \
	BR(R, 0x01, 4, PK_RP, milan_gpp4, R + 4, R + 4, PF_MF | PF_ACS_ON), \
	EP(R + 1, 0x00, 0, pm1733, 0),					\
	EP(R + 2, 0x00, 0, pm1733, 0),					\
	EP(R + 3, 0x00, 0, pm1733, 0),					\
	EP(R + 4, 0x00, 0, D4, 0)

/* A dual-port NIC on GPP bridge R:03.1, bus R + 5. */
#define NIC2(R)								\
	BR(R, 0x03, 1, PK_RP, milan_gpp16, R + 5, R + 5, PF_MF | PF_ACS_ON), \
	EP(R + 5, 0x00, 0, cx6dx, PF_MF),				\
	EP(R + 5, 0x00, 1, cx6dx, PF_MF)

static const struct preset_hb amd_hbs[] = {
	{ 0x00, 0, "\\_SB_.S0D0", 0xc0000000, 0x10000000000ull },
	{ 0x20, 0, "\\_SB_.S0D1", 0xc8000000, 0x18000000000ull },
	{ 0x40, 0, "\\_SB_.S0D2", 0xd0000000, 0x20000000000ull },
	{ 0x60, 0, "\\_SB_.S0D3", 0xd8000000, 0x28000000000ull },
};

static const struct preset_row amd_rows[] = {
	NVME4(0x00, noload),
	EP(0x00, 0x14, 0, fch_smbus, PF_MF),
	EP(0x00, 0x14, 3, fch_lpc, PF_MF),
	NVME4(0x20, noload),
	NIC2(0x20),
	NVME4(0x40, noload),
	NVME4(0x60, noload),
	NIC2(0x60),
};

const struct preset_machine pdma__preset_amd_storage = {
	.name = "amd-storage",
	.description = "AMD EPYC 7543P (Zen 3) storage server: 16 NVMe drives (4 with CMBs published as p2pmem) on root ports of 4 root complexes, 2 dual-port ConnectX-6 Dx; the CPU rule allows every crossing",
	.cpu_vendor = PDMA_CPU_AMD,
	.cpu_family = 0x19,
	.cpu_model = "AMD EPYC 7543P 32-Core Processor",
	.iommu = true,
	.cmdline = "BOOT_IMAGE=/vmlinuz-6.8.0-51-generic root=/dev/mapper/vg0-root ro",
	.hbs = amd_hbs,
	.nr_hbs = sizeof(amd_hbs) / sizeof(amd_hbs[0]),
	.rows = amd_rows,
	.nr_rows = sizeof(amd_rows) / sizeof(amd_rows[0]),
};
