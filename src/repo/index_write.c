/*
 * APKINDEX.tar.gz writing (apk-format §5.1, §5.2, §11.2).
 *
 * Layout: [signature member] ‖ index member. The index member is one gzip
 * member holding a GNU-style tar with DESCRIPTION (optional) and APKINDEX
 * and its two zero blocks, as `apk index` writes it; the signature member
 * is a tar with one .SIGN.RSA[256].<pubkey> entry and no end blocks, as
 * abuild-sign writes it, signing all bytes of the index member.
 */
#include "repo/repo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apk/index_text.h"
#include "apk/package.h"
#include "archive/gzip.h"
#include "archive/tar.h"
#include "crypto/hash.h"
#include "crypto/key.h"
#include "util/io.h"

int wch_index_pkg_from_apk(struct wch_arena *a, const char *path, const struct wch_keyring *keys,
			   struct wch_pkg **out, struct wch_err *err)
{
	struct wch_pkg_read_opts o;
	struct wch_pkg_read_result res;
	struct stat st;
	int fd, r;

	*out = NULL;
	fd = wch_open_input_err(path, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		r = wch_err_sys(err, errno, "cannot stat '%s'", path);
		close(fd);
		return r;
	}
	memset(&o, 0, sizeof(o));
	o.mode = WCH_PKG_VERIFY_NONE;
	o.keys = keys;
	o.arena = a;
	o.control_only = true; /* like apk index (§2.4): the data is not read */
	r = wch_package_read(wch_reader_fd(&fd), &o, &res, err);
	close(fd);
	if (r < 0) {
		if (err)
			wch_err_prefix(err, "'%s'", path);
		return r;
	}
	res.pkg->identity = res.identity;
	res.pkg->file_size = (uint64_t)st.st_size; /* S: is the whole file (§5.2) */
	res.pkg->repo = -1;
	res.pkg->filename = wch_arena_strdup(a, path);
	if (!res.pkg->filename)
		return wch_errf(err, -ENOMEM, "out of memory");
	*out = res.pkg;
	return 0;
}

static int cmp_pkgp(const void *a, const void *b)
{
	return wch_pkg_cmp(*(struct wch_pkg *const *)a, *(struct wch_pkg *const *)b);
}

/* One tar (GNU or apk style) into a gzip member appended to out. */
static int tar_member(const struct wch_tar_hdr *hdrs, const void *const *data, size_t n,
		      enum wch_tar_style style, bool eof_blocks, struct wch_buf *out,
		      struct wch_err *err)
{
	struct wch_buf tar = WCH_BUF_INIT;
	struct wch_tar_writer *tw = NULL;
	size_t i;
	int r;

	r = wch_tar_writer_new(&tw, wch_writer_buf(&tar), style, err);
	for (i = 0; r == 0 && i < n; i++)
		r = wch_tar_write_file(tw, &hdrs[i], data[i], err);
	if (r == 0)
		r = wch_tar_finish(tw, eof_blocks, err);
	if (r == 0)
		r = wch_gzip_buffer(tar.p, tar.len, 9, out, err);
	wch_tar_writer_free(tw);
	wch_buf_release(&tar);
	return r;
}

int wch_index_write(struct wch_pkg **pkgs, size_t n, const struct wch_index_write_opts *o,
		    struct wch_buf *out, struct wch_err *err)
{
	struct wch_buf text = WCH_BUF_INIT, body = WCH_BUF_INIT, sig = WCH_BUF_INIT;
	struct wch_buf signame = WCH_BUF_INIT;
	struct wch_tar_hdr h[2];
	const void *data[2];
	size_t i, nh = 0;
	int r = 0;

	qsort(pkgs, n, sizeof(*pkgs), cmp_pkgp);
	for (i = 0; i < n && r == 0; i++) {
		struct wch_pkg *p = pkgs[i];
		const char *arch = p->arch;

		if (i > 0 && strcmp(pkgs[i - 1]->name, p->name) == 0 &&
		    strcmp(pkgs[i - 1]->version, p->version) == 0) {
			r = wch_errf(err, -WCH_E_CONFLICT, "%s-%s is given twice", p->name,
				     p->version);
			break;
		}
		if (o->rewrite_arch)
			p->arch = o->rewrite_arch;
		if (wch_index_text_write_pkg(p, &text) || wch_buf_addch(&text, '\n'))
			r = wch_errf(err, -ENOMEM, "out of memory");
		p->arch = arch;
	}
	if (r < 0)
		goto out;
	memset(h, 0, sizeof(h));
	/* §5.1: mode 0644, uid/gid 0, owner names root, regular files. */
	if (o->description) {
		h[nh].name = "DESCRIPTION";
		h[nh].size = strlen(o->description);
		data[nh++] = o->description;
	}
	h[nh].name = "APKINDEX";
	h[nh].size = text.len;
	data[nh++] = text.p ? text.p : "";
	for (i = 0; i < nh; i++) {
		h[i].type = WCH_TAR_REG;
		h[i].mode = 0644;
		h[i].uname = h[i].gname = "root";
		h[i].mtime = o->mtime;
	}
	r = tar_member(h, data, nh, WCH_TAR_STYLE_GNU, true, &body, err);
	if (r < 0)
		goto out;
	if (o->key) {
		enum wch_hash_alg alg = o->sign_sha256 ? WCH_HASH_SHA256 : WCH_HASH_SHA1;
		unsigned char d[WCH_HASH_MAX];
		struct wch_tar_hdr sh;
		const void *sd;

		r = wch_digest(alg, body.p, body.len, d);
		if (r < 0) {
			wch_errf(err, r, "cannot hash the index");
			goto out;
		}
		r = wch_sign_digest(o->key, alg, d, wch_hash_len(alg), &sig, err);
		if (r < 0)
			goto out;
		if (wch_buf_addf(&signame, ".SIGN.%s.%s", o->sign_sha256 ? "RSA256" : "RSA",
				 o->key->pubname)) {
			r = wch_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		/* §11.2: abuild-sign's tar --owner=0 --numeric-owner | --cut. */
		memset(&sh, 0, sizeof(sh));
		sh.name = signame.p;
		sh.type = WCH_TAR_REG;
		sh.mode = 0644;
		sh.size = sig.len;
		sh.mtime = o->mtime;
		sd = sig.p;
		r = tar_member(&sh, &sd, 1, WCH_TAR_STYLE_GNU, false, out, err);
		if (r < 0)
			goto out;
	}
	if (wch_buf_add(out, body.p, body.len))
		r = wch_errf(err, -ENOMEM, "out of memory");
out:
	wch_buf_release(&text);
	wch_buf_release(&body);
	wch_buf_release(&sig);
	wch_buf_release(&signame);
	return r;
}
