/*
 * Fuzz target: ELF parser (src/apk/elf.h wch_elf_parse_mem). Checks that
 * the results respect the header's caps.
 */
#include <string.h>

#include "apk/elf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_elf_info info;
	struct wch_err err;
	size_t i;

	wch_err_init(&err);
	memset(&info, 0, sizeof(info));
	wch_elf_magic(data, size);
	if (wch_elf_parse_mem(data, size, &a, &info, &err) == 0) {
		FUZZ_CHECK(!info.interp || strlen(info.interp) <= WCH_ELF_MAX_STRING);
		FUZZ_CHECK(!info.soname || strlen(info.soname) <= WCH_ELF_MAX_STRING);
		FUZZ_CHECK(info.nneeded + info.nrpath <= 2 * WCH_ELF_MAX_NEEDED);
		for (i = 0; i < info.nneeded; i++)
			FUZZ_CHECK(strlen(info.needed[i]) <= WCH_ELF_MAX_STRING);
		for (i = 0; i < info.nrpath; i++)
			FUZZ_CHECK(info.rpath[i][0] && strlen(info.rpath[i]) <= WCH_ELF_MAX_STRING);
	}
	wch_arena_release(&a);
	return 0;
}
