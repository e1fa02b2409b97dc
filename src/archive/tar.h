/*
 * Tar reading and writing with apk's PAX records (apk-format §1.2, §2.7,
 * §2.8).
 *
 * Reader: pulls 512-byte blocks from a wch_reader and never asks it for
 * more than the current header, data or padding needs (so gzip boundary
 * events arrive exactly between the entries they separate, §2.6). PAX `x`
 * headers and GNU `L` long names are consumed and applied to the next entry;
 * `g` headers and GNU `K` are ignored, as apk does. End of archive follows
 * apk: at the second all-zero header block reading stops, and any non-zero
 * block after it is an error; EOF without zero blocks is accepted.
 * Every field is checked (octal syntax, ustar magic) and names are capped
 * (4096 bytes), PAX headers too (1 MiB).
 *
 * Writer: emits POSIX ustar entries, each preceded by a PAX `x` header named
 * "<dir>/PaxHeaders/<base>" carrying path/linkpath when they do not fit,
 * SCHILY.xattr.* records and APK-TOOLS.checksum.SHA1 (abuild's layout,
 * §2.8). Data must be written in full; padding is added automatically.
 */
#ifndef WCH_ARCHIVE_TAR_H
#define WCH_ARCHIVE_TAR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/io.h"

#define WCH_TAR_REG	 '0'
#define WCH_TAR_HARDLINK '1'
#define WCH_TAR_SYMLINK	 '2'
#define WCH_TAR_CHAR	 '3'
#define WCH_TAR_BLOCK	 '4'
#define WCH_TAR_DIR	 '5'
#define WCH_TAR_FIFO	 '6'

struct wch_xattr {
	char *name; /* e.g. "security.capability" */
	unsigned char *value;
	size_t len;
};

struct wch_tar_entry {
	char *name;  /* full path as stored (trailing '/' of dirs removed) */
	char *link;  /* symlink / hard link target, else NULL */
	char type;   /* WCH_TAR_*; '7' is reported as WCH_TAR_REG */
	mode_t mode; /* permission bits, masked to 07777 */
	uid_t uid;
	gid_t gid;
	char uname[33], gname[33];
	uint64_t size; /* data bytes that follow */
	int64_t mtime;
	unsigned devmajor, devminor;
	bool has_sha1; /* PAX APK-TOOLS.checksum.SHA1 */
	unsigned char sha1[20];
	bool has_md5; /* PAX APK-TOOLS.checksum.MD5 */
	unsigned char md5[16];
	struct wch_xattr *xattrs; /* sorted by name (strcmp) */
	size_t nxattrs;
};

struct wch_tar_reader;

/* src is borrowed. */
int wch_tar_reader_new(struct wch_tar_reader **out, struct wch_reader src, struct wch_err *err);
/* Advances to the next entry, skipping unread data of the current one.
 * Returns 1 with *e set (owned by the reader, valid until the next call),
 * 0 at the end of the archive, < 0 on error. */
int wch_tar_next(struct wch_tar_reader *tr, const struct wch_tar_entry **e, struct wch_err *err);
/* A reader over the current entry's data (exactly size bytes, then 0). */
struct wch_reader wch_tar_data(struct wch_tar_reader *tr);
void wch_tar_reader_free(struct wch_tar_reader *tr);

/* Entry description for the writer; strings are borrowed. */
struct wch_tar_hdr {
	const char *name; /* without trailing '/'; the writer adds it for dirs */
	const char *link; /* symlink / hard link target */
	char type;	  /* WCH_TAR_* */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	const char *uname, *gname; /* NULL = "" */
	uint64_t size;		   /* regular files only */
	int64_t mtime;
	unsigned devmajor, devminor;
	const unsigned char *sha1; /* NULL = no checksum record */
	const struct wch_xattr *xattrs;
	size_t nxattrs;
};

enum wch_tar_style {
	WCH_TAR_STYLE_APK, /* PAX x header before every entry (abuild, §2.8) */
	WCH_TAR_STYLE_GNU, /* "ustar  \0" headers, no PAX (apk index, §5.1) */
};

struct wch_tar_writer;

/* dst is borrowed. */
int wch_tar_writer_new(struct wch_tar_writer **out, struct wch_writer dst, enum wch_tar_style style,
		       struct wch_err *err);
int wch_tar_write_header(struct wch_tar_writer *tw, const struct wch_tar_hdr *h,
			 struct wch_err *err);
/* Appends data of the current entry; more than its size is an error. */
int wch_tar_write_data(struct wch_tar_writer *tw, const void *p, size_t n, struct wch_err *err);
/* Convenience: header + whole data. */
int wch_tar_write_file(struct wch_tar_writer *tw, const struct wch_tar_hdr *h, const void *data,
		       struct wch_err *err);
/* Ends the archive. eof_blocks: write the two zero blocks (data tar, index)
 * or not (signature and control tars are "cut", §2.1). The current entry
 * must be complete. */
int wch_tar_finish(struct wch_tar_writer *tw, bool eof_blocks, struct wch_err *err);
void wch_tar_writer_free(struct wch_tar_writer *tw);

#endif
