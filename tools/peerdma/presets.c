// SPDX-License-Identifier: MIT
/*
 * peerdma presets: the built-in machines that --preset NAME loads.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_presets(const struct cli *c)
{
	json_t *root, *arr;
	int w = 0;

	if (c->json) {
		root = json_object();
		arr = json_array();
		for (int i = 0; pdma_preset_name(i); i++) {
			json_t *o = json_object();

			out_json_set(o, "name", out_jstr(pdma_preset_name(i)));
			out_json_set(o, "description",
				     out_jstr(pdma_preset_description(i)));
			out_json_set(o, "default", json_boolean(i == 0));
			out_json_append(arr, o);
		}
		out_json_set(root, "presets", arr);
		return out_json(root);
	}
	for (int i = 0; pdma_preset_name(i); i++) {
		int l = (int)strlen(pdma_preset_name(i));

		w = l > w ? l : w;
	}
	for (int i = 0; pdma_preset_name(i); i++) {
		const char *d = pdma_preset_description(i);

		printf("%-*s  %s%s\n", w, pdma_preset_name(i), d ? d : "",
		       i == 0 ? " (default)" : "");
	}
	if (!pdma_preset_name(0))
		printf("(no built-in presets)\n");
	return EXIT_OK;
}
