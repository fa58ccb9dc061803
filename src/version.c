/* SPDX-License-Identifier: MIT */
#include <peerdma/peerdma.h>

const char *pdma_version(void)
{
	return "0.1.0";
}
