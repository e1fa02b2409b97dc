/*
 * Sinks: where package entries land (architecture: inputs -> verify ->
 * resolve -> stream -> sinks).
 *
 * compose streams each package's data entries (already validated by the
 * package reader: relative, no "..") into a sink, between begin_pkg() and
 * end_pkg(). Files that witchery itself generates (the apk database) go
 * through the same entry() call with pkg == NULL semantics (between no
 * begin/end pair). The folder sink writes a root directory; a layer-tar sink
 * (OCI, later) writes the same entries into a tar.
 *
 * Ownership: the sink decides whether to apply it (root) or only record it.
 */
#ifndef WCH_FS_SINK_H
#define WCH_FS_SINK_H

#include <stdbool.h>

#include "apk/pkg.h"
#include "archive/tar.h"
#include "util/err.h"
#include "util/io.h"

struct wch_sink;

struct wch_sink_ops {
	int (*begin_pkg)(struct wch_sink *s, const struct wch_pkg *pkg, struct wch_err *err);
	/* data yields exactly e->size bytes for regular files; the sink must
	 * read all of it (the caller verifies the checksum afterwards). */
	int (*entry)(struct wch_sink *s, const struct wch_tar_entry *e, struct wch_reader *data,
		     struct wch_err *err);
	int (*end_pkg)(struct wch_sink *s, struct wch_err *err);
	/* Makes the result visible (rename into place); after a failure or
	 * without commit, free() removes everything the sink wrote. */
	int (*commit)(struct wch_sink *s, struct wch_err *err);
	void (*free)(struct wch_sink *s);
};

struct wch_sink {
	const struct wch_sink_ops *ops;
};

#endif
