/*
 * Writing APK v2 packages (see package_write.h).
 *
 * Pipeline (apk-format §2.8, without GNU tar, abuild-tar or fakeroot):
 *   walk -> data tar (APK style) -> gzip (parallel) -> SHA-256 -> temp file
 *   .PKGINFO + scripts -> control tar (cut) -> gzip -> sign -> sig tar (cut)
 *   atomic output = sig.gz ‖ control.gz ‖ temp file
 */
#include "apk/package_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "apk/elf.h"
#include "apk/package_walk.h"
#include "apk/pkginfo.h"
#include "apk/trace.h"
#include "archive/gzip.h"
#include "archive/tar.h"
#include "crypto/hash.h"
#include "util/buf.h"

/* ---- data entries ---- */

static int cmp_xattr(const void *a, const void *b)
{
	return strcmp(((const struct wch_xattr *)a)->name, ((const struct wch_xattr *)b)->name);
}

static void xattrs_clear(struct wch_pkgw *w)
{
	size_t i;

	for (i = 0; i < w->nxa; i++)
		free(w->xa[i].value);
	w->nxa = 0;
	free(w->xa_names);
	w->xa_names = NULL;
}

/* Reads the xattrs abuild keeps (GNU tar --xattrs
 * --xattrs-exclude=security.selinux, §2.8), narrowed to those that mean
 * something in an image and are readable by any user, so root and
 * unprivileged builds agree: security.capability and user.*. */
static int read_xattrs(struct wch_pkgw *w, int fd, const char *path)
{
	ssize_t n = flistxattr(fd, NULL, 0);
	char *p;

	xattrs_clear(w);
	if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
		return 0;
	if (n < 0)
		return wch_err_sys(w->err, errno, "cannot list xattrs of '%s'", path);
	if (n == 0)
		return 0;
	if (n > PW_XATTR_MAX)
		return wch_errf(w->err, -WCH_E_TOO_BIG, "'%s': xattr list too long", path);
	if (!(w->xa_names = malloc((size_t)n + 1)))
		return wch_errf(w->err, -ENOMEM, "out of memory");
	n = flistxattr(fd, w->xa_names, (size_t)n);
	if (n < 0)
		return wch_err_sys(w->err, errno, "cannot list xattrs of '%s'", path);
	w->xa_names[n] = 0;
	for (p = w->xa_names; p < w->xa_names + n; p += strlen(p) + 1) {
		struct wch_xattr *x;
		ssize_t vn;
		if (strcmp(p, "security.capability") != 0 && strncmp(p, "user.", 5) != 0)
			continue;
		if (w->nxa == sizeof(w->xa) / sizeof(w->xa[0]))
			return wch_errf(w->err, -WCH_E_TOO_BIG, "'%s': too many xattrs", path);
		vn = fgetxattr(fd, p, NULL, 0);
		if (vn < 0 && errno == ENODATA)
			continue;
		if (vn < 0)
			return wch_err_sys(w->err, errno, "cannot read xattr %s of '%s'", p, path);
		if (vn > PW_XATTR_MAX)
			return wch_errf(w->err, -WCH_E_TOO_BIG, "'%s': xattr %s too long", path, p);
		x = &w->xa[w->nxa];
		if (!(x->value = malloc((size_t)vn + 1)))
			return wch_errf(w->err, -ENOMEM, "out of memory");
		x->name = p;
		w->nxa++;
		vn = fgetxattr(fd, p, x->value, (size_t)vn);
		if (vn < 0)
			return wch_err_sys(w->err, errno, "cannot read xattr %s of '%s'", p, path);
		x->len = (size_t)vn;
	}
	qsort(w->xa, w->nxa, sizeof(w->xa[0]), cmp_xattr);
	return 0;
}

static int64_t entry_mtime(const struct wch_pkgw *w, const struct wch_pw_entry *e)
{
	/* Clamped, like tar --clamp-mtime: with abuild's usual epoch (the
	 * last commit) this is every file's mtime = epoch (§2.8). */
	if (w->s->has_epoch && e->mtime > w->s->epoch)
		return w->s->epoch;
	return e->mtime < 0 ? 0 : e->mtime;
}

/* Hashes size bytes of fd (pread from 0) into sha1; fails if the file is
 * not exactly size bytes long. */
static int hash_fd(struct wch_pkgw *w, int fd, uint64_t size, const char *path, unsigned char *sha1)
{
	uint64_t off = 0;
	ssize_t n;

	wch_hash_init(&w->sha1, WCH_HASH_SHA1);
	while (off < size) {
		size_t want = size - off < PW_BUF ? (size_t)(size - off) : PW_BUF;
		n = pread(fd, w->buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return wch_err_sys(w->err, errno, "cannot read '%s'", path);
		if (n == 0)
			return wch_errf(w->err, -WCH_E_INTEGRITY, "'%s' shrank while packing",
					path);
		wch_hash_update(&w->sha1, w->buf, (size_t)n);
		off += (uint64_t)n;
	}
	n = pread(fd, w->buf, 1, (off_t)off);
	if (n < 0)
		return wch_err_sys(w->err, errno, "cannot read '%s'", path);
	if (n > 0)
		return wch_errf(w->err, -WCH_E_INTEGRITY, "'%s' grew while packing", path);
	wch_hash_final(&w->sha1, sha1);
	return 0;
}

/* Streams size bytes of fd into the tar entry, checking they still hash to
 * sha1 (a file rewritten between the two passes is an error, not a package
 * with a wrong checksum). */
static int copy_fd(struct wch_pkgw *w, int fd, uint64_t size, const char *path,
		   const unsigned char *sha1)
{
	unsigned char again[20];
	uint64_t off = 0;
	int r;

	wch_hash_init(&w->sha1, WCH_HASH_SHA1);
	while (off < size) {
		size_t want = size - off < PW_BUF ? (size_t)(size - off) : PW_BUF;
		ssize_t n = pread(fd, w->buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return wch_err_sys(w->err, errno, "cannot read '%s'", path);
		if (n == 0)
			return wch_errf(w->err, -WCH_E_INTEGRITY, "'%s' shrank while packing",
					path);
		wch_hash_update(&w->sha1, w->buf, (size_t)n);
		if ((r = wch_tar_write_data(w->tw, w->buf, (size_t)n, w->err)) < 0)
			return r;
		off += (uint64_t)n;
	}
	wch_hash_final(&w->sha1, again);
	if (memcmp(again, sha1, 20) != 0)
		return wch_errf(w->err, -WCH_E_INTEGRITY, "'%s' changed while packing", path);
	return 0;
}

/* Returns the fd whose content goes into the package: the file itself,
 * or a stripped private copy (*tmpfd, closed by the caller). */
static int maybe_strip(struct wch_pkgw *w, int fd, const char *path, int *tmpfd, uint64_t *size)
{
	struct wch_err e;
	struct stat st;
	bool stripped = false;
	int r;

	*tmpfd = -1;
	if (!w->s->strip)
		return 0;
	if (!w->strip_ok) {
		if (!w->strip_warned && wch_elf_is_elf_fd(fd) == 1) {
			wch_pkgw_warnf(
			    w, "'strip' (binutils) not found: ELF files are packed unstripped");
			w->strip_warned = true;
		}
		return 0;
	}
	wch_err_init(&e);
	r = wch_elf_strip_copy(fd, NULL, tmpfd, &stripped, &e);
	if (r == -WCH_E_UNSUPPORTED || r == -WCH_E_NOT_FOUND) {
		wch_pkgw_warnf(w, "keeping '%s' unstripped: %s", path, e.msg);
		*tmpfd = -1;
		return 0;
	}
	if (r < 0) {
		*tmpfd = -1;
		return wch_errf(w->err, r, "cannot strip '%s': %s", path, e.msg);
	}
	if (!stripped || *tmpfd < 0)
		return 0;
	if (fstat(*tmpfd, &st) < 0)
		return wch_err_sys(w->err, errno, "cannot stat the stripped copy of '%s'", path);
	*size = (uint64_t)st.st_size;
	return 0;
}

static int write_regular(struct wch_pkgw *w, const struct wch_pw_entry *e, struct wch_tar_hdr *h)
{
	unsigned char sha1[20];
	struct stat st;
	uint64_t size = e->size;
	int fd, tmpfd = -1, src, r;

	fd = openat(w->tree.rootfd, e->path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return wch_err_sys(w->err, errno, "cannot open '%s'", e->path);
	if (fstat(fd, &st) < 0) {
		r = wch_err_sys(w->err, errno, "cannot stat '%s'", e->path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_dev != e->dev || st.st_ino != e->ino ||
	    (uint64_t)st.st_size != e->size) {
		r = wch_errf(w->err, -WCH_E_INTEGRITY, "'%s' changed while packing", e->path);
		goto out;
	}
	if ((r = read_xattrs(w, fd, e->path)) < 0)
		goto out;
	if ((r = maybe_strip(w, fd, e->path, &tmpfd, &size)) < 0)
		goto out;
	src = tmpfd >= 0 ? tmpfd : fd;
	if (size <= PW_BUF) {
		/* One read: hash and data come from the same bytes. */
		ssize_t n = pread(src, w->buf, PW_BUF, 0);
		if (n < 0) {
			r = wch_err_sys(w->err, errno, "cannot read '%s'", e->path);
			goto out;
		}
		if ((uint64_t)n != size) {
			r = wch_errf(w->err, -WCH_E_INTEGRITY, "'%s' changed size while packing",
				     e->path);
			goto out;
		}
		wch_digest(WCH_HASH_SHA1, w->buf, (size_t)n, sha1);
		h->size = size;
		h->sha1 = sha1;
		h->xattrs = w->xa;
		h->nxattrs = w->nxa;
		if ((r = wch_tar_write_header(w->tw, h, w->err)) < 0 ||
		    (r = wch_tar_write_data(w->tw, w->buf, (size_t)n, w->err)) < 0)
			goto out;
	} else {
		if ((r = hash_fd(w, src, size, e->path, sha1)) < 0)
			goto out;
		h->size = size;
		h->sha1 = sha1;
		h->xattrs = w->xa;
		h->nxattrs = w->nxa;
		if ((r = wch_tar_write_header(w->tw, h, w->err)) < 0 ||
		    (r = copy_fd(w, src, size, e->path, sha1)) < 0)
			goto out;
	}
	w->installed += size;
	r = 0;
out:
	if (tmpfd >= 0)
		close(tmpfd);
	close(fd);
	return r;
}

static int write_entry(struct wch_pkgw *w, const struct wch_pw_entry *e)
{
	unsigned char sha1[20];
	struct wch_tar_hdr h;
	int r;

	memset(&h, 0, sizeof(h));
	h.name = e->path;
	h.mode = e->mode & 07777;
	h.uname = h.gname = "root"; /* uid/gid 0, names carry ownership (§2.8) */
	h.mtime = entry_mtime(w, e);
	xattrs_clear(w);
	if (e->hardlink_of != WCH_PW_NO_LINK) {
		h.type = WCH_TAR_HARDLINK;
		h.link = w->tree.v[e->hardlink_of].path;
		return wch_tar_write_header(w->tw, &h, w->err);
	}
	if (S_ISREG(e->mode)) {
		h.type = WCH_TAR_REG;
		return write_regular(w, e, &h);
	}
	if (S_ISLNK(e->mode)) {
		/* §2.7: a symlink's checksum is SHA-1 of its target. */
		h.type = WCH_TAR_SYMLINK;
		h.link = e->link;
		wch_digest(WCH_HASH_SHA1, e->link, strlen(e->link), sha1);
		h.sha1 = sha1;
		return wch_tar_write_header(w->tw, &h, w->err);
	}
	if (S_ISDIR(e->mode)) {
		int fd = openat(w->tree.rootfd, e->path,
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return wch_err_sys(w->err, errno, "cannot open directory '%s'", e->path);
		r = read_xattrs(w, fd, e->path);
		close(fd);
		if (r < 0)
			return r;
		h.type = WCH_TAR_DIR;
		h.xattrs = w->xa;
		h.nxattrs = w->nxa;
		return wch_tar_write_header(w->tw, &h, w->err);
	}
	/* Devices and fifos only reach here with allow_special. */
	h.type = S_ISCHR(e->mode) ? WCH_TAR_CHAR : S_ISBLK(e->mode) ? WCH_TAR_BLOCK : WCH_TAR_FIFO;
	if (h.type != WCH_TAR_FIFO) {
		h.devmajor = major(e->rdev);
		h.devminor = minor(e->rdev);
	}
	return wch_tar_write_header(w->tw, &h, w->err);
}

/* Removes from traced the entries whose name one of given has. */
static void drop_named(struct wch_deps *traced, const struct wch_deps *given)
{
	size_t i, j, k = 0;

	for (i = 0; i < traced->n; i++) {
		bool dup = false;
		for (j = 0; j < given->n && !dup; j++)
			dup = strcmp(traced->v[i].name, given->v[j].name) == 0;
		if (!dup)
			traced->v[k++] = traced->v[i];
	}
	traced->n = k;
}

/* An anonymous file next to the output, so the final copy can use
 * copy_file_range on the same file system and nothing stays behind. */
static int open_temp(int dirfd, struct wch_err *err)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	int tries;

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : wch_err_sys(err, errno, "cannot create a temporary file");
	for (tries = 0; tries < 100; tries++) {
		char name[64];
		snprintf(name, sizeof(name), ".witchery-data.%ld.%d.tmp", (long)getpid(), tries);
		fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			unlinkat(dirfd, name, 0);
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	return wch_err_sys(err, errno, "cannot create a temporary file");
}

static int write_data(struct wch_pkgw *w, int tmpfd, unsigned char datahash[32], uint64_t *entries)
{
	struct wch_hash sha256 = {0};
	struct wch_hash_writer hw;
	struct wch_gzip *gz = NULL;
	int fd = tmpfd, r;
	size_t i;

	if (wch_hash_init(&sha256, WCH_HASH_SHA256) < 0)
		return wch_errf(w->err, -ENOMEM, "out of memory");
	memset(&hw, 0, sizeof(hw));
	hw.next = wch_writer_fd(&fd);
	hw.h[0] = &sha256;
	r = wch_gzip_new(&gz, wch_hash_writer(&hw), w->s->level ? w->s->level : 9, w->s->threads,
			 w->err);
	if (r < 0)
		goto out;
	r = wch_tar_writer_new(&w->tw, wch_gzip_writer(gz), WCH_TAR_STYLE_APK, w->err);
	if (r < 0)
		goto out;
	for (i = 0; i < w->tree.n; i++)
		if ((r = write_entry(w, &w->tree.v[i])) < 0)
			goto out;
	*entries = w->tree.n;
	if ((r = wch_tar_finish(w->tw, true, w->err)) < 0 || (r = wch_gzip_finish(gz, w->err)) < 0)
		goto out;
	wch_hash_final(&sha256, datahash);
	r = 0;
out:
	xattrs_clear(w);
	wch_tar_writer_free(w->tw);
	w->tw = NULL;
	wch_gzip_free(gz);
	wch_hash_release(&sha256);
	return r;
}

/* Appends the whole temp file to the output, in-kernel when possible. */
static int copy_temp(int tmpfd, int outfd, struct wch_err *err)
{
	char buf[65536];
	off_t in = 0;

	for (;;) {
		ssize_t n = copy_file_range(tmpfd, &in, outfd, NULL, 1u << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)
			break;
		return wch_err_sys(err, errno, "cannot copy the data member");
	}
	for (;;) {
		ssize_t n = pread(tmpfd, buf, sizeof(buf), in);
		int r;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return wch_err_sys(err, errno, "cannot read the data member");
		if (n == 0)
			return 0;
		if ((r = wch_fd_write_all(outfd, buf, (size_t)n)) < 0)
			return wch_err_sys(err, -r, "cannot write the package");
		in += n;
	}
}

static void pw_release(struct wch_pkgw *w)
{
	int i;

	for (i = 0; i < NSCRIPTS; i++)
		wch_buf_release(&w->script[i]);
	xattrs_clear(w);
	wch_hash_release(&w->sha1);
	free(w->buf);
	if (w->tree.v || w->tree.rootfd >= 0)
		wch_pw_release(&w->tree);
}

int wch_package_write(const char *srcdir, int outdirfd, const char *outname,
		      const struct wch_package_spec *spec, struct wch_package_result *res,
		      struct wch_err *err)
{
	struct wch_buf control = WCH_BUF_INIT, sig = WCH_BUF_INIT;
	struct wch_arena arena = WCH_ARENA_INIT;
	struct wch_trace_result tr, *trp = NULL;
	struct wch_atomic out = {.fd = -1};
	struct wch_pw_opts wo;
	struct wch_pkg p;
	struct stat st;
	struct wch_pkgw w;
	uint64_t entries = 0;
	int tmpfd = -1, r, i;

	memset(&w, 0, sizeof(w));
	w.s = spec;
	w.err = err;
	w.tree.rootfd = -1;
	if ((r = wch_pkgw_check_spec(spec, err)) < 0)
		return r;
	w.builddate = spec->has_epoch ? spec->epoch : (int64_t)time(NULL);
	if (!(w.buf = malloc(PW_BUF)) || wch_hash_init(&w.sha1, WCH_HASH_SHA1) < 0) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (spec->scripts_dir && (r = wch_pkgw_load_scripts(&w, spec->scripts_dir)) < 0)
		goto out;
	/* apk runs .trigger only for directories matching `triggers` (§4.2). */
	if (w.has_script[NSCRIPTS - 1] && !spec->pkg->ntriggers)
		wch_pkgw_warnf(&w, "the .trigger script never runs: no trigger paths given");
	else if (!w.has_script[NSCRIPTS - 1] && spec->pkg->ntriggers)
		wch_pkgw_warnf(&w, "trigger paths given but no .trigger script");

	memset(&wo, 0, sizeof(wo));
	wo.allow_special = spec->allow_special;
	wo.warn = spec->warn;
	wo.warn_ctx = spec->warn_ctx;
	if (fstat(outdirfd, &st) == 0) {
		wo.avoid_set = true;
		wo.avoid_dev = st.st_dev;
		wo.avoid_ino = st.st_ino;
	}
	if ((r = wch_pw_walk(srcdir, &wo, &w.tree, err)) < 0)
		goto out;

	p = *spec->pkg;
	if (spec->auto_deps) {
		struct wch_trace_opts to = {0};
		size_t k;
		to.pkgname = p.name;
		to.version = p.version;
		to.arch = p.arch;
		memset(&tr, 0, sizeof(tr));
		if ((r = wch_trace_tree(w.tree.rootfd, &to, &arena, &tr, err)) < 0) {
			wch_err_prefix(err, "cannot trace dependencies");
			goto out;
		}
		for (k = 0; k < tr.nwarnings; k++)
			wch_pkgw_warnf(&w, "%s", tr.warnings[k]);
		/* What -D/-P say about a name stands; a traced entry for it would
		 * only contradict it (cmd:x=5 next to cmd:x=1-r0). */
		drop_named(&tr.provides, &p.provides);
		drop_named(&tr.depends, &p.depends);
		trp = &tr;
	}
	if ((r = wch_pkgw_script_depends(&w, &arena, &p.depends)) < 0)
		goto out;

	w.strip_ok = spec->strip && wch_elf_strip_available();
	if ((tmpfd = open_temp(outdirfd, err)) < 0) {
		r = tmpfd;
		goto out;
	}
	if ((r = write_data(&w, tmpfd, p.datahash, &entries)) < 0)
		goto out;
	p.has_datahash = true;
	p.build_time = w.builddate;
	/* §2.9: size 0 means "virtual, never unpacked". */
	p.installed_size = w.installed;
	if (p.installed_size == 0 && entries > 0)
		p.installed_size = 1;
	for (i = 0; i < NSCRIPTS && p.installed_size == 0; i++)
		if (w.has_script[i])
			p.installed_size = 1;
	if ((r = wch_pkgw_write_control(&w, &p, trp, &control)) < 0)
		goto out;
	if (spec->key && (r = wch_pkgw_write_signature(&w, &control, &sig)) < 0)
		goto out;

	if ((r = wch_atomic_open(&out, outdirfd, outname, 0644, err)) < 0)
		goto out;
	if ((r = wch_fd_write_all(out.fd, sig.p, sig.len)) < 0 ||
	    (r = wch_fd_write_all(out.fd, control.p, control.len)) < 0) {
		r = wch_err_sys(err, -r, "cannot write '%s'", outname);
		goto out;
	}
	if ((r = copy_temp(tmpfd, out.fd, err)) < 0)
		goto out;
	if (fstat(out.fd, &st) < 0) {
		r = wch_err_sys(err, errno, "cannot stat '%s'", outname);
		goto out;
	}
	if ((r = wch_atomic_commit(&out, err)) < 0)
		goto out;
	if (res) {
		memset(res, 0, sizeof(*res));
		res->file_size = (uint64_t)st.st_size;
		res->installed_size = p.installed_size;
		res->entries = entries;
		res->builddate = w.builddate;
		memcpy(res->datahash, p.datahash, 32);
		res->identity.alg = WCH_HASH_SHA1;
		res->identity.len = 20;
		wch_digest(WCH_HASH_SHA1, control.p, control.len, res->identity.d);
	}
	r = 0;
out:
	wch_atomic_abort(&out);
	if (tmpfd >= 0)
		close(tmpfd);
	wch_buf_release(&control);
	wch_buf_release(&sig);
	wch_arena_release(&arena);
	pw_release(&w);
	return r;
}
