/*
 * Fuzz target: tar reader (src/archive/tar.h). Reads every entry and its
 * data, through a source that hands out the bytes in chunks of a size taken
 * from the first input byte (short reads must not change the result), and
 * checks the reader's promises: exactly size data bytes per entry, names
 * within the cap, modes masked to 07777, xattrs sorted.
 */
#include <string.h>

#include "archive/tar.h"
#include "fuzz.h"

static void read_all(const uint8_t *data, size_t size, size_t chunk)
{
	struct fuzz_chunk_reader cr;
	struct wch_tar_reader *tr = NULL;
	const struct wch_tar_entry *e;
	struct wch_err err;
	unsigned char buf[1024];
	unsigned entries = 0;
	int r;

	wch_err_init(&err);
	if (wch_tar_reader_new(&tr, fuzz_chunk_reader(&cr, data, size, chunk), &err))
		return;
	while ((r = wch_tar_next(tr, &e, &err)) == 1) {
		struct wch_reader d = wch_tar_data(tr);
		uint64_t got = 0;
		ssize_t k;
		size_t i;

		FUZZ_CHECK(e->name && strlen(e->name) <= 4096);
		FUZZ_CHECK((e->mode & ~07777u) == 0);
		for (i = 1; i < e->nxattrs; i++)
			FUZZ_CHECK(strcmp(e->xattrs[i - 1].name, e->xattrs[i].name) <= 0);
		/* Every other entry is left unread: next() must skip it. */
		if (entries++ % 2)
			continue;
		while ((k = wch_read(&d, buf, sizeof(buf), &err)) > 0)
			got += (uint64_t)k;
		if (k == 0)
			FUZZ_CHECK(got == e->size);
		else
			break;
	}
	wch_tar_reader_free(tr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk = size ? (size_t)data[0] * 7 + 1 : 1;

	read_all(data, size, (size_t)-1);
	read_all(data, size, chunk);
	return 0;
}
