/*
 * Automatic dependency tracing of a package tree, as abuild 3.18 does it
 * (apk-format §10) and beyond:
 *
 *  provides
 *   so:<soname>=<ver>   ET_DYN files directly in lib/, usr/lib/ and every
 *                       DT_RPATH/DT_RUNPATH dir ($ORIGIN expanded) whose
 *                       soname (else file name) ends ".so" or ".so.<digit>…";
 *                       <ver> = file name after the last ".so.", or "0"
 *                       (§10.1). Skipped for arch "noarch". Regular files
 *                       only: a symlink's target is scanned in its own right.
 *   cmd:<name>=<ver>    executable files and symlinks directly in bin/,
 *                       sbin/, usr/bin/, usr/sbin/, names without '@' (§10.3)
 *   pc:<name>=<ver>     usr/lib/pkgconfig/ and usr/share/pkgconfig/ *.pc,
 *                       <name> = file name without ".pc", Version
 *                       normalised as in §10.4 (unversioned + a warning if
 *                       it is still not a valid apk version)
 *  depends (never versioned except pc: Requires)
 *   so:<needed>         DT_NEEDED of every ET_DYN/ET_EXEC file in the tree,
 *                       minus self-provided names and somask (§10.2); with
 *                       no host apk db every remaining name is a so: depend.
 *                       A DT_NEEDED of exactly "libc.so" (what Debian's
 *                       musl-gcc records; glibc's is libc.so.6) becomes
 *                       so:libc.musl-<CARCH>.so.1, the soname Alpine's musl
 *                       has and abuild would have recorded. CARCH: opts
 *                       arch; else from PT_INTERP /lib/ld-musl-<a>.so.1
 *                       (i386 -> x86); else from e_machine.
 *   pc:<req>[<op><ver>] Requires and Requires.private of the package's .pc
 *                       files, minus self-provided; plus "pkgconfig" when
 *                       the tree has a pkgconfig dir (§10.4)
 *   interpreters        executable regular files (anywhere) starting "#!":
 *                       "#!/bin/sh" -> "/bin/sh" (the name busybox-binsh
 *                       provides, as for install scripts §4.1);
 *                       "#!/usr/bin/env [opts] X" (also "env -S X args")
 *                       -> "cmd:X"; any other "#!/path/X" -> "cmd:X".
 *                       Skipped when the package provides cmd:X itself or
 *                       holds the interpreter path.
 *  warnings
 *   DT_NEEDED libc.so.6 / ld-linux* or a glibc PT_INTERP (Alpine
 *   repositories do not provide glibc); unversionable pc versions.
 *
 * The walk never follows symlinks (directories are opened O_NOFOLLOW
 * relative to rootfd) and stays inside the tree: rpaths that resolve
 * outside it are ignored, rpaths under /home are an error, as in abuild.
 * Results: provides and depends each sorted by their text (strcmp, like
 * abuild's `sort -u` in the C locale) and unique; §10.6 puts them after
 * "# automatically detected:". All strings live in the arena.
 */
#ifndef WCH_APK_TRACE_H
#define WCH_APK_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "apk/dep.h"
#include "util/arena.h"
#include "util/err.h"

/* Caps on the tree. */
#define WCH_TRACE_MAX_DEPTH 64
#define WCH_TRACE_MAX_FILES 1000000
#define WCH_TRACE_MAX_PC    (1u << 20) /* bytes of one .pc file */

struct wch_trace_opts {
	const char *pkgname; /* the package's own name (never a depend) */
	const char *version; /* full "<ver>-r<rel>", for cmd: provides */
	const char *arch;    /* "noarch" skips so: provides; NULL = not noarch */
	/* Sonames neither provided nor depended on (abuild's $somask). */
	const char *const *somask;
	size_t nsomask;
};

struct wch_trace_result {
	struct wch_deps provides;
	struct wch_deps depends;
	const char **warnings; /* complete sentences naming the file */
	size_t nwarnings;
};

/* Walks the tree under rootfd (a directory fd; borrowed) and fills r. */
int wch_trace_tree(int rootfd, const struct wch_trace_opts *o, struct wch_arena *a,
		   struct wch_trace_result *r, struct wch_err *err);

/* The depend for a script's first line (line = bytes after "#!", up to but
 * not including '\n'): sets *dep to "/bin/sh", "cmd:<x>", or NULL when
 * there is nothing to depend on. Returns 0 or -ENOMEM. */
int wch_trace_shebang(struct wch_view line, struct wch_arena *a, const char **dep);

/* pkg-config version -> apk version (§10.4): "-rc1"/".rc1" -> "_rc1"
 * (alpha, beta, pre alike), leading 'v' dropped, "" -> "0". Does not
 * validate. Returns NULL on allocation failure. */
const char *wch_trace_pc_version(struct wch_arena *a, const char *v);

#endif
