/* SPDX-License-Identifier: MIT */
/*
 * Built-in machines by name: realistic fabrics to try the analyzer (and
 * later the emulator) on without hardware.  The tables are in
 * preset_machines.c, the builder in preset_build.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <peerdma/source.h>

#include "preset.h"

/* The first one is the default. */
static const struct preset_machine *const presets[] = {
	&pdma__preset_dgx_like,
	&pdma__preset_workstation,
	&pdma__preset_amd_storage,
};

#define NR_PRESETS ((int)(sizeof(presets) / sizeof(presets[0])))

const char *pdma_preset_name(int idx)
{
	if (idx < 0 || idx >= NR_PRESETS)
		return NULL;
	return presets[idx]->name;
}

const char *pdma_preset_description(int idx)
{
	if (idx < 0 || idx >= NR_PRESETS)
		return NULL;
	return presets[idx]->description;
}

/* @name NULL or "" means the default (the first) preset. */
int pdma_load_preset(const char *name, struct pdma_fabric **out,
		     struct pdma_error *err)
{
	char names[256];
	size_t len = 0;

	*out = NULL;
	if (!name || !name[0])
		name = presets[0]->name;
	for (int i = 0; i < NR_PRESETS; i++)
		if (!strcmp(presets[i]->name, name))
			return pdma__preset_build(presets[i], out, err);
	names[0] = '\0';
	for (int i = 0; i < NR_PRESETS && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len,
					"%s%s%s", i ? ", " : "",
					presets[i]->name,
					i ? "" : " (the default)");
	pdma__err(err, "unknown preset \"%.64s\": the built-in presets are %s",
		  name, names);
	return -ENOENT;
}
