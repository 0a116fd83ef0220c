/*
 * fuzz_manifest.c: manifest_parse on arbitrary text (the JSON checker, every
 * field's validation and its messages), then the globs of each target that
 * parsed against a few paths.
 */
#include <stddef.h>
#include <stdint.h>

#include "engine/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {"sum.c", "src/a/b/c.c", "./x.cl", "d/"};
	struct manifest m;
	struct buf err;

	buf_init(&err, 0);
	if (manifest_parse((const char *)data, size, "fuzz/optimize.json", "/fuzz", &m, &err) ==
	    0) {
		for (size_t i = 0; i < m.ntargets; i++)
			for (size_t j = 0; j < sizeof(paths) / sizeof(*paths); j++) {
				strlist_match(&m.targets[i].editable, paths[j]);
				strlist_match(&m.targets[i].outputs, paths[j]);
			}
	}
	manifest_release(&m);
	buf_release(&err);
	return 0;
}
