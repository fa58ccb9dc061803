/* SPDX-License-Identifier: MIT */
/*
 * Decoding PCI configuration space: shared by the sysfs loader (the
 * `config` file) and the lspci loader (hex dumps).
 */
#ifndef PDMA_FABRIC_CONFIG_H
#define PDMA_FABRIC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/**
 * pdma__config_decode() - fill @fi from raw configuration bytes.
 * @cfg, @len: the bytes as read: 64 (unprivileged sysfs or lspci -x), 256
 *             (lspci -xxx, conventional PCI) or 4096 (PCIe, as root).
 * @fi:   receives vendor, device, revision, class_code, header_type,
 *        multifunction, subsystem ids (header type 0), secondary and
 *        subordinate bus (type 1), BAR addresses and flags (sizes cannot be
 *        known from a dump and are left as they are), pcie_type and the
 *        links from the PCI Express capability, has_acs/acs_cap/acs_ctrl
 *        from the ACS extended capability, and acs_known (false when the
 *        bytes stop before the place ACS would be: a PCIe function with
 *        fewer than 4096 bytes, any function with fewer than 256).
 *        pcie_type is PDMA_PCIE_NONE when there is no PCIe capability or
 *        the capability list could not be read.
 * @what: names the input in errors ("0000:03:00.0 config", "dump.txt:12").
 * @err:  one line on failure.
 *
 * Never reads past @len; a capability list that loops or points outside
 * the bytes is malformed.
 *
 * Return: 0, or -EINVAL for malformed bytes (fewer than 64, vendor 0xffff,
 * a looping or out-of-range capability list).
 */
PDMA_INTERNAL int pdma__config_decode(const uint8_t *cfg, size_t len,
				      struct pdma_func_info *fi,
				      const char *what, struct pdma_error *err);

#endif /* PDMA_FABRIC_CONFIG_H */
