/*
 * Tar writer in the two dialects witchery produces:
 *
 * APK style (apk-format §2.7, §2.8): what abuild's GNU tar --format=posix
 * plus abuild-tar --hash emit: every entry is preceded by a PAX `x` header
 * named "<dir>/PaxHeaders/<base>" (mode 0644, ids 0, empty owner names)
 * carrying path/linkpath when they do not fit ustar, SCHILY.xattr.* and
 * APK-TOOLS.checksum.SHA1. Entry headers use `ustar\0` `00`, 7-digit
 * mode/uid/gid and 11-digit size/mtime, each NUL-terminated. We leave out
 * GNU tar's atime=0/ctime=0 records: apk ignores them.
 *
 * GNU style (apk-format §5.1): what `apk index` writes: `ustar  \0` magic,
 * 12-digit size and mtime without NUL, no extended headers.
 *
 * Same input, same bytes: nothing here depends on the clock or host.
 */
#include "archive/tar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define TAR_BLOCK   512
#define OCTAL7_MAX  07777777ULL	    /* 7 digits */
#define OCTAL11_MAX 077777777777ULL /* 11 digits: sizes below 8 GiB */

struct wch_tar_writer {
	struct wch_writer dst;
	enum wch_tar_style style;
	uint64_t data_left, pad;
	int fail_code;
	bool finished;
};

static const unsigned char zero_block[TAR_BLOCK];

/* Writes v as width octal digits, then a NUL if nul (apk's put_octal). */
static void put_octal(unsigned char *f, int width, uint64_t v, bool nul)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*llo", width, (unsigned long long)v);
	memcpy(f, tmp, (size_t)width);
	if (nul)
		f[width] = 0;
}

static void put_str(unsigned char *f, size_t cap, const char *s, size_t n)
{
	memcpy(f, s, n < cap ? n : cap);
}

static void put_checksum(unsigned char *h)
{
	unsigned sum = 0;
	size_t i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	put_octal(h + 148, 6, sum, true); /* "%06o\0 ", as GNU tar and apk */
}

/* Stores name in the ustar name/prefix fields (POSIX split at a '/').
 * Returns false if it does not fit; then the name field holds the first
 * 100 bytes, as GNU tar does, and the caller must add a PAX path. */
static bool put_name(unsigned char *h, const char *name, size_t len)
{
	size_t i;

	if (len <= 100) {
		put_str(h, 100, name, len);
		return true;
	}
	for (i = len > 101 ? len - 101 : 1; i <= 155 && i + 1 < len; i++) {
		if (name[i] == '/' && i > 0) {
			put_str(h + 345, 155, name, i);
			put_str(h, 100, name + i + 1, len - i - 1);
			return true;
		}
	}
	put_str(h, 100, name, len);
	return false;
}

static size_t ndigits(size_t v)
{
	size_t d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/* Appends "<len> <key>=<value>\n"; len counts its own digits (§1.2). */
static int pax_add(struct wch_buf *b, const char *key, const void *val, size_t vlen)
{
	size_t base = 1 + strlen(key) + 1 + vlen + 1, d = 1;

	while (ndigits(base + d) != d)
		d++;
	if (wch_buf_addf(b, "%zu %s=", base + d, key) || wch_buf_add(b, val, vlen) ||
	    wch_buf_addch(b, '\n'))
		return -ENOMEM;
	return 0;
}

static int out(struct wch_tar_writer *tw, const void *p, size_t n, struct wch_err *err)
{
	int r = wch_write(&tw->dst, p, n, err);

	if (r < 0)
		tw->fail_code = r;
	return r;
}

static int check_hdr(struct wch_tar_writer *tw, const struct wch_tar_hdr *h, struct wch_err *err)
{
	if (!h->name || !h->name[0])
		return wch_errf(err, -EINVAL, "tar entry without a name");
	if (!strchr("0123456", h->type) || h->type == 0)
		return wch_errf(err, -EINVAL, "'%s': unknown tar entry type", h->name);
	if ((h->type == WCH_TAR_SYMLINK || h->type == WCH_TAR_HARDLINK) && !h->link)
		return wch_errf(err, -EINVAL, "'%s': link without a target", h->name);
	if (h->type == WCH_TAR_REG && h->size > OCTAL11_MAX)
		return wch_errf(err, -WCH_E_TOO_BIG,
				"'%s': files of 8 GiB or more cannot be stored (apk reads octal "
				"sizes only)",
				h->name);
	if (h->mtime < 0 || (uint64_t)h->mtime > OCTAL11_MAX)
		return wch_errf(err, -WCH_E_UNSUPPORTED, "'%s': mtime %lld out of range", h->name,
				(long long)h->mtime);
	if (h->uid > OCTAL7_MAX || h->gid > OCTAL7_MAX || h->devmajor > OCTAL7_MAX ||
	    h->devminor > OCTAL7_MAX)
		return wch_errf(err, -WCH_E_UNSUPPORTED,
				"'%s': uid, gid or device number too large for tar", h->name);
	if ((h->uname && strlen(h->uname) > 32) || (h->gname && strlen(h->gname) > 32))
		return wch_errf(err, -WCH_E_UNSUPPORTED, "'%s': owner name longer than 32 bytes",
				h->name);
	if (tw->style == WCH_TAR_STYLE_GNU) {
		/* apk index copies names with strlcpy into 100 bytes (§5.1). */
		if (strlen(h->name) + (h->type == WCH_TAR_DIR) > 99 ||
		    (h->link && strlen(h->link) > 99))
			return wch_errf(err, -WCH_E_UNSUPPORTED,
					"'%s': name too long for a GNU-style tar", h->name);
		if (h->sha1 || h->nxattrs)
			return wch_errf(err, -WCH_E_UNSUPPORTED,
					"'%s': GNU-style tar has no checksums or xattrs", h->name);
	}
	return 0;
}

/* "<dir>/PaxHeaders/<base>" of GNU tar's exthdr.name=%d/PaxHeaders/%f. */
static int pax_name(struct wch_buf *b, const char *name)
{
	const char *slash = strrchr(name, '/');

	if (!slash)
		return wch_buf_addf(b, "./PaxHeaders/%s", name);
	return wch_buf_addf(b, "%.*s/PaxHeaders/%s", (int)(slash - name), name, slash + 1);
}

static void fill_common(unsigned char *h, const struct wch_tar_hdr *hd, uint64_t size, bool gnu)
{
	put_octal(h + 100, 7, hd->mode & 07777, true);
	put_octal(h + 108, 7, hd->uid, true);
	put_octal(h + 116, 7, hd->gid, true);
	put_octal(h + 124, gnu ? 12 : 11, size, !gnu);
	put_octal(h + 136, gnu ? 12 : 11, (uint64_t)hd->mtime, !gnu);
	h[156] = (unsigned char)hd->type;
	if (gnu) {
		memcpy(h + 257, "ustar  ", 8);
		/* GNU tar fills the device fields only for devices. */
		if (hd->type == WCH_TAR_CHAR || hd->type == WCH_TAR_BLOCK) {
			put_octal(h + 329, 7, hd->devmajor, true);
			put_octal(h + 337, 7, hd->devminor, true);
		}
	} else {
		memcpy(h + 257, "ustar", 6);
		memcpy(h + 263, "00", 2);
		put_octal(h + 329, 7, hd->devmajor, true);
		put_octal(h + 337, 7, hd->devminor, true);
	}
	if (hd->uname)
		put_str(h + 265, 32, hd->uname, strlen(hd->uname));
	if (hd->gname)
		put_str(h + 297, 32, hd->gname, strlen(hd->gname));
}

/* The PAX `x` header plus body that precedes an APK-style entry. */
static int write_pax(struct wch_tar_writer *tw, const struct wch_tar_hdr *hd,
		     const struct wch_buf *body, struct wch_err *err)
{
	unsigned char h[TAR_BLOCK] = {0};
	struct wch_buf name = WCH_BUF_INIT;
	int r;

	if (pax_name(&name, hd->name))
		return wch_errf(err, -ENOMEM, "out of memory");
	put_name(h, name.p, name.len);
	wch_buf_release(&name);
	put_octal(h + 100, 7, 0644, true);
	put_octal(h + 108, 7, 0, true);
	put_octal(h + 116, 7, 0, true);
	put_octal(h + 124, 11, body->len, true);
	put_octal(h + 136, 11, (uint64_t)hd->mtime, true);
	h[156] = 'x';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	put_checksum(h);
	if ((r = out(tw, h, sizeof(h), err)) < 0 || (r = out(tw, body->p, body->len, err)) < 0)
		return r;
	if (body->len % TAR_BLOCK)
		r = out(tw, zero_block, TAR_BLOCK - body->len % TAR_BLOCK, err);
	return r;
}

static int build_header(struct wch_tar_writer *tw, const struct wch_tar_hdr *hd, unsigned char *h,
			struct wch_buf *body, struct wch_err *err)
{
	bool gnu = tw->style == WCH_TAR_STYLE_GNU;
	uint64_t size = hd->type == WCH_TAR_REG ? hd->size : 0;
	struct wch_buf full = WCH_BUF_INIT;
	size_t i, linklen = hd->link ? strlen(hd->link) : 0;
	int r = 0;

	if (wch_buf_addstr(&full, hd->name) ||
	    (hd->type == WCH_TAR_DIR && wch_buf_addch(&full, '/')))
		goto nomem;
	if (!put_name(h, full.p, full.len) && pax_add(body, "path", full.p, full.len))
		goto nomem;
	if (hd->link) {
		put_str(h + 157, 100, hd->link, linklen);
		if (linklen > 100 && pax_add(body, "linkpath", hd->link, linklen))
			goto nomem;
	}
	for (i = 0; i < hd->nxattrs; i++) {
		const struct wch_xattr *x = &hd->xattrs[i];
		struct wch_buf key = WCH_BUF_INIT;

		if (!x->name[0] || strchr(x->name, '=')) {
			r = wch_errf(err, -EINVAL, "'%s': bad xattr name '%s'", hd->name, x->name);
			goto done;
		}
		r = wch_buf_addf(&key, "SCHILY.xattr.%s", x->name) ||
		    pax_add(body, key.p, x->value, x->len);
		wch_buf_release(&key);
		if (r)
			goto nomem;
	}
	if (hd->sha1) {
		char hex[41];
		for (i = 0; i < 20; i++)
			snprintf(hex + 2 * i, 3, "%02x", hd->sha1[i]);
		if (pax_add(body, "APK-TOOLS.checksum.SHA1", hex, 40))
			goto nomem;
	}
	fill_common(h, hd, size, gnu);
	put_checksum(h);
	goto done;
nomem:
	r = wch_errf(err, -ENOMEM, "out of memory");
done:
	wch_buf_release(&full);
	return r;
}

int wch_tar_write_header(struct wch_tar_writer *tw, const struct wch_tar_hdr *h,
			 struct wch_err *err)
{
	unsigned char blk[TAR_BLOCK] = {0};
	struct wch_buf body = WCH_BUF_INIT;
	int r;

	if (tw->fail_code)
		return wch_errf(err, tw->fail_code, "tar archive failed earlier");
	if (tw->finished)
		return wch_errf(err, -EINVAL, "tar archive already finished");
	if (tw->data_left)
		return wch_errf(err, -EINVAL,
				"previous tar entry is incomplete (%llu bytes missing)",
				(unsigned long long)tw->data_left);
	if ((r = check_hdr(tw, h, err)) < 0)
		return r;
	r = build_header(tw, h, blk, &body, err);
	if (r == 0 && tw->style == WCH_TAR_STYLE_APK)
		r = write_pax(tw, h, &body, err);
	wch_buf_release(&body);
	if (r == 0)
		r = out(tw, blk, sizeof(blk), err);
	if (r < 0)
		return r;
	tw->data_left = h->type == WCH_TAR_REG ? h->size : 0;
	tw->pad = (TAR_BLOCK - tw->data_left % TAR_BLOCK) % TAR_BLOCK;
	return 0;
}

int wch_tar_write_data(struct wch_tar_writer *tw, const void *p, size_t n, struct wch_err *err)
{
	int r;

	if (tw->fail_code)
		return wch_errf(err, tw->fail_code, "tar archive failed earlier");
	if (n > tw->data_left)
		return wch_errf(err, -EINVAL, "more data than the tar entry's size");
	if (n == 0)
		return 0;
	if ((r = out(tw, p, n, err)) < 0)
		return r;
	tw->data_left -= n;
	if (tw->data_left == 0 && tw->pad) {
		r = out(tw, zero_block, (size_t)tw->pad, err);
		tw->pad = 0;
	}
	return r;
}

int wch_tar_write_file(struct wch_tar_writer *tw, const struct wch_tar_hdr *h, const void *data,
		       struct wch_err *err)
{
	int r = wch_tar_write_header(tw, h, err);

	if (r == 0 && h->type == WCH_TAR_REG && h->size)
		r = wch_tar_write_data(tw, data, (size_t)h->size, err);
	return r;
}

int wch_tar_finish(struct wch_tar_writer *tw, bool eof_blocks, struct wch_err *err)
{
	int r = 0;

	if (tw->fail_code)
		return wch_errf(err, tw->fail_code, "tar archive failed earlier");
	if (tw->data_left)
		return wch_errf(err, -EINVAL, "last tar entry is incomplete (%llu bytes missing)",
				(unsigned long long)tw->data_left);
	if (!tw->finished && eof_blocks) {
		if ((r = out(tw, zero_block, TAR_BLOCK, err)) == 0)
			r = out(tw, zero_block, TAR_BLOCK, err);
	}
	tw->finished = true;
	return r;
}

int wch_tar_writer_new(struct wch_tar_writer **out_tw, struct wch_writer dst,
		       enum wch_tar_style style, struct wch_err *err)
{
	struct wch_tar_writer *tw = calloc(1, sizeof(*tw));

	*out_tw = tw;
	if (!tw)
		return wch_errf(err, -ENOMEM, "out of memory");
	tw->dst = dst;
	tw->style = style;
	return 0;
}

void wch_tar_writer_free(struct wch_tar_writer *tw)
{
	free(tw);
}
