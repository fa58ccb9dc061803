/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: pdma__config_decode() on arbitrary bytes.
 *
 * Besides "never crash, never read past the bytes" (ASan), it checks what
 * config.h promises: a failure says why in one line naming the input and
 * leaves the function untouched; a success is self-consistent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdma_func_info fi, before;
	struct pdma_error err;
	int ret;

	memset(&fi, 0xa5, sizeof(fi));
	fi.name[sizeof(fi.name) - 1] = '\0';
	before = fi;
	memset(&err, 0, sizeof(err));
	ret = pdma__config_decode(data, size, &fi, "fuzz config", &err);
	if (ret) {
		if (ret != -EINVAL || strncmp(err.msg, "fuzz config: ", 13) ||
		    strchr(err.msg, '\n') || memcmp(&fi, &before, sizeof(fi)))
			abort();
		return 0;
	}
	if (size < 64 || fi.header_type > 2)
		abort();
	/* ACS can only be known with the bytes where it would be. */
	if (fi.acs_known && (size < 256 ||
			     (fi.pcie_type != PDMA_PCIE_NONE && size < 4096)))
		abort();
	if (fi.has_acs && (!fi.acs_known || fi.pcie_type == PDMA_PCIE_NONE))
		abort();
	if (fi.link_cur.gen < 0 || fi.link_cur.gen > 6 ||
	    fi.link_max.gen < 0 || fi.link_max.gen > 6 ||
	    fi.link_cur.width > 63 || fi.link_max.width > 63)
		abort();
	for (int i = 0; i < 6; i++)
		if (fi.bars[i].size != before.bars[i].size)
			abort();
	return 0;
}
