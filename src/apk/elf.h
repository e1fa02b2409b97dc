/*
 * ELF inspection for dependency tracing (apk-format §10) and stripping.
 *
 * The parser reads only what tracing needs: header facts, PT_INTERP and
 * the dynamic section (DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH,
 * DT_FLAGS_1). It handles ELFCLASS32/64 in both byte orders, so payloads
 * for aarch64/armhf/x86 parse on any host. Every offset, size and string
 * comes from the file and is bounds-checked: a truncated or hostile file
 * gives -WCH_E_FORMAT (or -WCH_E_TOO_BIG past a cap), never a crash.
 * The dynamic string table is located through DT_STRTAB mapped by the
 * PT_LOAD segments (what the loader does), not through section headers.
 *
 * Results live in the caller's arena; nothing else is allocated.
 */
#ifndef WCH_APK_ELF_H
#define WCH_APK_ELF_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/err.h"

/* Caps on untrusted input. */
#define WCH_ELF_MAX_DYNAMIC (1u << 20) /* bytes of PT_DYNAMIC read */
#define WCH_ELF_MAX_STRING  4096       /* one dynamic string / PT_INTERP */
#define WCH_ELF_MAX_NEEDED  4096       /* DT_NEEDED + rpath entries */

/* e_type and e_ident[EI_OSABI] values callers test (the system <elf.h>
 * is shadowed by this header inside src/apk). */
#define WCH_ELF_ET_REL		 1
#define WCH_ELF_ET_EXEC		 2
#define WCH_ELF_ET_DYN		 3
#define WCH_ELF_OSABI_STANDALONE 255

struct wch_elf_info {
	bool is64;	     /* ELFCLASS64 */
	bool big_endian;     /* ELFDATA2MSB */
	unsigned osabi;	     /* e_ident[EI_OSABI] */
	unsigned type;	     /* e_type: ET_EXEC, ET_DYN, ET_REL, ... */
	unsigned machine;    /* e_machine: EM_X86_64, EM_AARCH64, EM_ARM, ... */
	bool dynamic;	     /* has PT_DYNAMIC */
	bool pie;	     /* ET_DYN executable: PT_INTERP or DF_1_PIE */
	bool shared;	     /* ET_DYN and not pie: a shared object */
	const char *interp;  /* PT_INTERP path, NULL if none */
	const char *soname;  /* DT_SONAME, NULL if none */
	const char **needed; /* DT_NEEDED in file order */
	size_t nneeded;
	/* DT_RPATH then DT_RUNPATH, split at ':', empty entries dropped;
	 * $ORIGIN left unexpanded (the tracer knows the file's place). */
	const char **rpath;
	size_t nrpath;
};

/* True if p starts with the ELF magic (needs n >= 4). */
bool wch_elf_magic(const void *p, size_t n);

/* Cheap check on an open file (pread of 4 bytes at offset 0, the file
 * offset is untouched): 1 = ELF, 0 = not ELF (also for short files),
 * -errno on read errors. */
int wch_elf_is_elf_fd(int fd);

/* Parses an ELF image in memory / an open regular file (pread, the file
 * offset is untouched). Not ELF at all is -WCH_E_FORMAT "not an ELF file";
 * callers that scan trees test wch_elf_magic first. */
int wch_elf_parse_mem(const void *p, size_t n, struct wch_arena *a, struct wch_elf_info *out,
		      struct wch_err *err);
int wch_elf_parse_fd(int fd, struct wch_arena *a, struct wch_elf_info *out, struct wch_err *err);

/*
 * Stripping (abuild's default_strip): ET_EXEC files get `strip --strip-all`,
 * ET_DYN files `strip --strip-unneeded` (keeps what the dynamic linker
 * needs); ELFOSABI_STANDALONE files and other ELF types are left alone.
 * binutils' strip is run without a shell (posix_spawnp) on a private copy
 * in tmpdir (NULL: $TMPDIR or /tmp); the input is never modified.
 */

/* Is `strip` on PATH? (Callers warn once when it is not.) */
bool wch_elf_strip_available(void);

/* Strips a copy of srcfd (read with pread from offset 0).
 * Returns 0 with *outfd = a read-only fd of the stripped copy (already
 * unlinked; the caller closes it) and *stripped = true; or 0 with
 * *outfd = -1 and *stripped = false when the file is not something to
 * strip (not ELF, ET_REL, standalone). Errors (caller keeps the original
 * file): -WCH_E_NOT_FOUND when strip is not on PATH, -WCH_E_UNSUPPORTED
 * when strip failed on this file (e.g. a foreign architecture the host
 * binutils cannot handle; the message carries strip's exit status and
 * first line of stderr), -errno for I/O errors. */
int wch_elf_strip_copy(int srcfd, const char *tmpdir, int *outfd, bool *stripped,
		       struct wch_err *err);

#endif
