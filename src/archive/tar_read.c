/*
 * Tar reader following apk 2.x (apk-format §1.2, §2.7).
 *
 * The source is pulled strictly on demand: one 512-byte header at a time,
 * entry data only as the caller reads it, padding only when moving to the
 * next entry. The package reader relies on this to see gzip member
 * boundaries between the right entries (§2.6).
 */
#include "archive/tar.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define TAR_BLOCK    512
#define TAR_NAME_MAX 4096
#define TAR_PAX_MAX  (1024 * 1024)

/* ustar header field offsets and sizes (POSIX.1-1988). */
#define F_NAME	   0, 100
#define F_MODE	   100, 8
#define F_UID	   108, 8
#define F_GID	   116, 8
#define F_SIZE	   124, 12
#define F_MTIME	   136, 12
#define F_LINK	   157, 100
#define F_UNAME	   265, 32
#define F_GNAME	   297, 32
#define F_DEVMAJOR 329, 8
#define F_DEVMINOR 337, 8
#define F_PREFIX   345, 155
#define OFF_TYPE   156
#define OFF_MAGIC  257

/* Extended data collected from PAX `x` / GNU `L` headers for the next entry. */
struct tar_ext {
	struct wch_buf path, linkpath, longname;
	bool has_path, has_linkpath, has_longname;
	bool has_sha1, has_md5;
	bool bad_sha1, bad_md5; /* reported with the entry's name */
	unsigned char sha1[20], md5[16];
	struct wch_xattr *xattrs;
	size_t nxattrs;
};

struct wch_tar_reader {
	struct wch_reader src;
	unsigned char hdr[TAR_BLOCK];
	struct wch_tar_entry e;
	struct wch_buf name, link;
	struct tar_ext ext;
	uint64_t data_left; /* unread data bytes of the current entry */
	uint64_t pad_left;  /* padding after them */
	int zero_blocks;
	bool ended;
	int fail_code;
};

static void free_xattrs(struct wch_xattr *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

static void ext_clear(struct tar_ext *x)
{
	wch_buf_release(&x->path);
	wch_buf_release(&x->linkpath);
	wch_buf_release(&x->longname);
	free_xattrs(x->xattrs, x->nxattrs);
	memset(x, 0, sizeof(*x));
}

/* The numeric fields of a header block. */
struct tar_nums {
	uint64_t mode, uid, gid, size, mtime, devmajor, devminor;
};

/* apk's get_octal: octal digits, then only NUL or space to the end of the
 * field; anything else (base-256 included) is a format error. */
static int parse_octal(const unsigned char *h, size_t off, size_t len, uint64_t *out,
		       const char *what, const char *kind, struct wch_err *err)
{
	const unsigned char *p = h + off, *end = p + len;
	uint64_t v = 0;

	for (; p < end && *p >= '0' && *p <= '7'; p++)
		v = v * 8 + (uint64_t)(*p - '0');
	for (; p < end; p++)
		if (*p != 0 && *p != ' ')
			return wch_errf(err, -WCH_E_FORMAT, "bad octal number in tar %s field%s",
					what, kind);
	*out = v;
	return 0;
}

/* apk 2.x parses every numeric field of every header block before it looks
 * at the type, so a bad uid in a PAX or GNU long-name header fails the
 * archive just like one in a file's header (§1.2). */
static int parse_nums(const unsigned char *h, struct tar_nums *n, struct wch_err *err)
{
	const char *kind;
	int r;

	switch (h[OFF_TYPE]) {
	case 'x':
		kind = " of a PAX extended header";
		break;
	case 'g':
		kind = " of a PAX global header";
		break;
	case 'L':
		kind = " of a GNU long name header";
		break;
	case 'K':
		kind = " of a GNU long link header";
		break;
	default:
		kind = "";
	}
	if ((r = parse_octal(h, F_SIZE, &n->size, "size", kind, err)) < 0 ||
	    (r = parse_octal(h, F_MODE, &n->mode, "mode", kind, err)) < 0 ||
	    (r = parse_octal(h, F_UID, &n->uid, "uid", kind, err)) < 0 ||
	    (r = parse_octal(h, F_GID, &n->gid, "gid", kind, err)) < 0 ||
	    (r = parse_octal(h, F_MTIME, &n->mtime, "mtime", kind, err)) < 0 ||
	    (r = parse_octal(h, F_DEVMAJOR, &n->devmajor, "devmajor", kind, err)) < 0 ||
	    (r = parse_octal(h, F_DEVMINOR, &n->devminor, "devminor", kind, err)) < 0)
		return r;
	return 0;
}

/* Copies a fixed-size field up to its first NUL. */
static int add_field(struct wch_buf *b, const unsigned char *h, size_t off, size_t len)
{
	const unsigned char *p = h + off;
	const void *nul = memchr(p, 0, len);

	return wch_buf_add(b, p, nul ? (size_t)((const unsigned char *)nul - p) : len);
}

static ssize_t read_block(struct wch_tar_reader *tr, unsigned char *blk, struct wch_err *err)
{
	size_t got = 0;

	while (got < TAR_BLOCK) {
		ssize_t r = wch_read(&tr->src, blk + got, TAR_BLOCK - got, err);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got != 0 && got != TAR_BLOCK)
		return wch_errf(err, -WCH_E_FORMAT, "tar archive is truncated inside a header");
	return (ssize_t)got;
}

static int skip_bytes(struct wch_tar_reader *tr, uint64_t n, struct wch_err *err)
{
	unsigned char buf[8192];

	while (n) {
		size_t want = n < sizeof(buf) ? (size_t)n : sizeof(buf);
		ssize_t r = wch_read(&tr->src, buf, want, err);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return wch_errf(err, -WCH_E_FORMAT, "tar archive is truncated inside data");
		n -= (uint64_t)r;
	}
	return 0;
}

static uint64_t padding(uint64_t size)
{
	return (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
}

/* Reads the data of an extension header (size already capped) with its
 * padding into b. */
static int read_ext_body(struct wch_tar_reader *tr, uint64_t size, struct wch_buf *b,
			 struct wch_err *err)
{
	int r;

	wch_buf_reset(b);
	if (wch_buf_grow(b, (size_t)size + 1))
		return wch_errf(err, -ENOMEM, "out of memory");
	if ((r = wch_read_full(&tr->src, b->p, (size_t)size, err)) < 0)
		return r;
	b->len = (size_t)size;
	b->p[b->len] = 0;
	return skip_bytes(tr, padding(size), err);
}

static int hex_decode(const char *s, size_t slen, unsigned char *out, size_t n)
{
	size_t i;

	if (slen != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 0;
}

static int set_path(struct wch_buf *b, bool *has, const char *v, size_t n, const char *key,
		    struct wch_err *err)
{
	if (memchr(v, 0, n))
		return wch_errf(err, -WCH_E_FORMAT, "PAX %s contains a NUL byte", key);
	if (n > TAR_NAME_MAX)
		return wch_errf(err, -WCH_E_TOO_BIG, "PAX %s longer than %d bytes", key,
				TAR_NAME_MAX);
	wch_buf_reset(b);
	if (wch_buf_add(b, v, n))
		return wch_errf(err, -ENOMEM, "out of memory");
	*has = true;
	return 0;
}

static int set_xattr(struct tar_ext *x, const char *name, size_t nlen, const char *v, size_t vlen,
		     struct wch_err *err)
{
	struct wch_xattr *xa = NULL, *arr;
	size_t i;

	if (nlen == 0 || memchr(name, 0, nlen))
		return wch_errf(err, -WCH_E_FORMAT, "bad PAX xattr name");
	for (i = 0; i < x->nxattrs; i++)
		if (strlen(x->xattrs[i].name) == nlen && !memcmp(x->xattrs[i].name, name, nlen))
			xa = &x->xattrs[i];
	if (!xa) {
		if (!(arr = realloc(x->xattrs, (x->nxattrs + 1) * sizeof(*arr))))
			return wch_errf(err, -ENOMEM, "out of memory");
		x->xattrs = arr;
		xa = &arr[x->nxattrs];
		memset(xa, 0, sizeof(*xa));
		if (!(xa->name = strndup(name, nlen)))
			return wch_errf(err, -ENOMEM, "out of memory");
		x->nxattrs++;
	}
	free(xa->value);
	/* +1 so that a zero-length value still gets a valid pointer. */
	if (!(xa->value = malloc(vlen + 1)))
		return wch_errf(err, -ENOMEM, "out of memory");
	memcpy(xa->value, v, vlen);
	xa->len = vlen;
	return 0;
}

static int pax_record(struct tar_ext *x, const char *key, size_t klen, const char *v, size_t vlen,
		      struct wch_err *err)
{
	static const char xattr_prefix[] = "SCHILY.xattr.";
	const size_t xpl = sizeof(xattr_prefix) - 1;

#define KEY_IS(s) (klen == sizeof(s) - 1 && !memcmp(key, s, klen))
	if (KEY_IS("path"))
		return set_path(&x->path, &x->has_path, v, vlen, "path", err);
	if (KEY_IS("linkpath"))
		return set_path(&x->linkpath, &x->has_linkpath, v, vlen, "linkpath", err);
	if (KEY_IS("APK-TOOLS.checksum.SHA1")) {
		x->bad_sha1 = hex_decode(v, vlen, x->sha1, sizeof(x->sha1)) != 0;
		x->has_sha1 = !x->bad_sha1;
		return 0;
	}
	if (KEY_IS("APK-TOOLS.checksum.MD5")) {
		x->bad_md5 = hex_decode(v, vlen, x->md5, sizeof(x->md5)) != 0;
		x->has_md5 = !x->bad_md5;
		return 0;
	}
#undef KEY_IS
	if (klen > xpl && !memcmp(key, xattr_prefix, xpl))
		return set_xattr(x, key + xpl, klen - xpl, v, vlen, err);
	return 0; /* apk ignores every other record (§1.2) */
}

/* Parses "<len> <key>=<value>\n" records (apk-format §1.2). */
static int parse_pax(struct tar_ext *x, const char *p, size_t n, struct wch_err *err)
{
	size_t off = 0;

	while (off < n) {
		const char *rec = p + off, *sp, *eq;
		size_t avail = n - off, len = 0, i;
		int r;

		if (rec[0] == 0)
			break; /* NUL padding after the last record */
		for (i = 0; i < avail && rec[i] >= '0' && rec[i] <= '9' && i < 8; i++)
			len = len * 10 + (size_t)(rec[i] - '0');
		if (i == 0 || i >= avail || rec[i] != ' ' || len > avail || len < i + 3)
			return wch_errf(err, -WCH_E_FORMAT, "bad PAX record length");
		if (rec[len - 1] != '\n')
			return wch_errf(err, -WCH_E_FORMAT, "PAX record does not end in newline");
		sp = rec + i;
		eq = memchr(sp + 1, '=', len - i - 2);
		if (!eq || eq == sp + 1)
			return wch_errf(err, -WCH_E_FORMAT, "PAX record without key");
		r = pax_record(x, sp + 1, (size_t)(eq - sp - 1), eq + 1,
			       (size_t)(rec + len - 1 - (eq + 1)), err);
		if (r < 0)
			return r;
		off += len;
	}
	return 0;
}

static int xattr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wch_xattr *)a)->name, ((const struct wch_xattr *)b)->name);
}

/* Packages built by abuild before the PAX checksum records (2014-era, e.g.
 * a2ps-dev-4.14-r5 of Alpine v2.6) carry the file digest only in the
 * linkname field of regular files: "\0\0\0" "APK2", a uint16 OpenSSL NID, a
 * uint16 digest length (host order of the builder), then the digest
 * (apk-format §2.7 legacy). apk 2.x uses it when no PAX record exists. */
static void legacy_linkname_checksum(const unsigned char *h, struct wch_tar_entry *e)
{
	const unsigned char *l = h + 157 + 3;
	unsigned len = (unsigned)l[6] | (unsigned)l[7] << 8;

	if (memcmp(l, "APK2", 4) != 0)
		return;
	if (len != 16 && len != 20)
		len = (unsigned)l[6] << 8 | (unsigned)l[7];
	if (len == 20) {
		e->has_sha1 = true;
		memcpy(e->sha1, l + 8, 20);
	} else if (len == 16) {
		e->has_md5 = true;
		memcpy(e->md5, l + 8, 16);
	}
}

/* Builds tr->e from the header in tr->hdr and the pending extensions. */
static int make_entry(struct wch_tar_reader *tr, char type, const struct tar_nums *n,
		      struct wch_err *err)
{
	const unsigned char *h = tr->hdr;
	struct wch_tar_entry *e = &tr->e;
	struct tar_ext *x = &tr->ext;
	int r = 0;

	wch_buf_reset(&tr->name);
	wch_buf_reset(&tr->link);
	if (x->has_path)
		r = wch_buf_add(&tr->name, x->path.p, x->path.len);
	else if (x->has_longname)
		r = wch_buf_add(&tr->name, x->longname.p, x->longname.len);
	else if (h[345] != 0)
		r = add_field(&tr->name, h, F_PREFIX) || wch_buf_addch(&tr->name, '/') ||
		    add_field(&tr->name, h, F_NAME);
	else
		r = add_field(&tr->name, h, F_NAME);
	if (r)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (type == WCH_TAR_DIR)
		while (tr->name.len > 1 && tr->name.p[tr->name.len - 1] == '/')
			tr->name.p[--tr->name.len] = 0;
	if (tr->name.len == 0)
		return wch_errf(err, -WCH_E_FORMAT, "tar entry with an empty name");
	/* Found in the PAX header before; only now is the name known. */
	if (x->bad_sha1 || x->bad_md5)
		return wch_errf(err, -WCH_E_FORMAT, "'%s': bad APK-TOOLS.checksum.%s value",
				tr->name.p, x->bad_sha1 ? "SHA1" : "MD5");

	memset(e, 0, sizeof(*e));
	e->name = tr->name.p;
	e->type = type;
	if (type == WCH_TAR_SYMLINK || type == WCH_TAR_HARDLINK) {
		if (x->has_linkpath)
			r = wch_buf_add(&tr->link, x->linkpath.p, x->linkpath.len);
		else
			r = add_field(&tr->link, h, F_LINK);
		if (r || wch_buf_addch(&tr->link, 0))
			return wch_errf(err, -ENOMEM, "out of memory");
		e->link = tr->link.p;
	}
	e->mode = (mode_t)(n->mode & 07777);
	e->uid = (uid_t)n->uid;
	e->gid = (gid_t)n->gid;
	e->mtime = (int64_t)n->mtime;
	e->devmajor = (unsigned)n->devmajor;
	e->devminor = (unsigned)n->devminor;
	memcpy(e->uname, h + 265, 32);
	memcpy(e->gname, h + 297, 32);
	e->size = n->size;
	e->has_sha1 = x->has_sha1;
	memcpy(e->sha1, x->sha1, sizeof(e->sha1));
	e->has_md5 = x->has_md5;
	memcpy(e->md5, x->md5, sizeof(e->md5));
	if (type == WCH_TAR_REG && !e->has_sha1 && !e->has_md5)
		legacy_linkname_checksum(h, e);
	if (x->nxattrs)
		qsort(x->xattrs, x->nxattrs, sizeof(*x->xattrs), xattr_cmp);
	e->xattrs = x->xattrs;
	e->nxattrs = x->nxattrs;
	return 0;
}

/* After the second end-of-archive block: everything up to EOF must be zero
 * blocks (§1.2). */
static int read_trailer(struct wch_tar_reader *tr, struct wch_err *err)
{
	static const unsigned char zero[TAR_BLOCK];
	ssize_t r;

	while ((r = read_block(tr, tr->hdr, err)) > 0)
		if (memcmp(tr->hdr, zero, TAR_BLOCK) != 0)
			return wch_errf(err, -WCH_E_FORMAT,
					"data after the end of the tar archive");
	return (int)r;
}

static int tar_next(struct wch_tar_reader *tr, struct wch_err *err)
{
	struct tar_nums n = {0}; /* all set by read_numbers; -O3 cannot tell */
	uint64_t size;
	ssize_t got;
	int r;

	if ((r = skip_bytes(tr, tr->data_left + tr->pad_left, err)) < 0)
		return r;
	tr->data_left = tr->pad_left = 0;
	/* The previous entry's xattrs belong to it until now. */
	ext_clear(&tr->ext);
	tr->e.xattrs = NULL;
	tr->e.nxattrs = 0;
	for (;;) {
		if ((got = read_block(tr, tr->hdr, err)) < 0)
			return (int)got;
		if (got == 0) {
			if (tr->ext.has_path || tr->ext.has_longname || tr->ext.has_sha1 ||
			    tr->ext.bad_sha1 || tr->ext.bad_md5)
				return wch_errf(err, -WCH_E_FORMAT,
						"tar archive ends after an extended header");
			return 0; /* EOF without end blocks is accepted */
		}
		if (tr->hdr[0] == 0) {
			if (++tr->zero_blocks < 2)
				continue;
			if ((r = read_trailer(tr, err)) < 0)
				return r;
			return 0;
		}
		if (memcmp(tr->hdr + OFF_MAGIC, "ustar", 5) != 0)
			return wch_errf(err, -WCH_E_FORMAT, "bad tar header (no ustar magic)");
		if ((r = parse_nums(tr->hdr, &n, err)) < 0)
			return r;
		size = n.size;
		char type = (char)tr->hdr[OFF_TYPE];
		switch (type) {
		case 'x': {
			struct wch_buf body = WCH_BUF_INIT;

			if (size > TAR_PAX_MAX)
				return wch_errf(err, -WCH_E_TOO_BIG,
						"PAX header larger than %d bytes", TAR_PAX_MAX);
			r = read_ext_body(tr, size, &body, err);
			if (r == 0)
				r = parse_pax(&tr->ext, body.p, body.len, err);
			wch_buf_release(&body);
			if (r < 0)
				return r;
			continue;
		}
		case 'L':
			if (size > TAR_NAME_MAX)
				return wch_errf(err, -WCH_E_TOO_BIG,
						"GNU long name longer than %d bytes", TAR_NAME_MAX);
			if ((r = read_ext_body(tr, size, &tr->ext.longname, err)) < 0)
				return r;
			/* Up to the first NUL (GNU tar stores one). */
			tr->ext.longname.len = strlen(tr->ext.longname.p);
			tr->ext.has_longname = true;
			continue;
		case 'g': /* global PAX and GNU long link: ignored, as by apk */
		case 'K':
			if ((r = skip_bytes(tr, size + padding(size), err)) < 0)
				return r;
			continue;
		case '7':
			type = WCH_TAR_REG;
			/* fallthrough */
		case WCH_TAR_REG:
		case WCH_TAR_HARDLINK:
		case WCH_TAR_SYMLINK:
		case WCH_TAR_CHAR:
		case WCH_TAR_BLOCK:
		case WCH_TAR_DIR:
		case WCH_TAR_FIFO:
			if ((r = make_entry(tr, type, &n, err)) < 0)
				return r;
			tr->data_left = size;
			tr->pad_left = padding(size);
			return 1;
		default:
			/* Other types (sparse, volume labels...) are skipped like apk
			 * does, together with the extensions meant for them. */
			if ((r = skip_bytes(tr, size + padding(size), err)) < 0)
				return r;
			ext_clear(&tr->ext);
			continue;
		}
	}
}

int wch_tar_next(struct wch_tar_reader *tr, const struct wch_tar_entry **e, struct wch_err *err)
{
	int r;

	*e = NULL;
	if (tr->fail_code)
		return wch_errf(err, tr->fail_code, "tar archive failed earlier");
	if (tr->ended)
		return 0;
	r = tar_next(tr, err);
	if (r < 0)
		tr->fail_code = r;
	else if (r == 0)
		tr->ended = true;
	else
		*e = &tr->e;
	return r;
}

static ssize_t data_read(void *ctx, void *buf, size_t n, struct wch_err *err)
{
	struct wch_tar_reader *tr = ctx;
	ssize_t r;

	if (tr->fail_code)
		return wch_errf(err, tr->fail_code, "tar archive failed earlier");
	if (n > tr->data_left)
		n = (size_t)tr->data_left;
	if (n == 0)
		return 0;
	r = wch_read(&tr->src, buf, n, err);
	if (r == 0)
		r = wch_errf(err, -WCH_E_FORMAT, "tar archive is truncated inside data");
	if (r < 0) {
		tr->fail_code = (int)r;
		return r;
	}
	tr->data_left -= (uint64_t)r;
	return r;
}

struct wch_reader wch_tar_data(struct wch_tar_reader *tr)
{
	struct wch_reader r = {data_read, tr};
	return r;
}

int wch_tar_reader_new(struct wch_tar_reader **out, struct wch_reader src, struct wch_err *err)
{
	struct wch_tar_reader *tr = calloc(1, sizeof(*tr));

	*out = tr;
	if (!tr)
		return wch_errf(err, -ENOMEM, "out of memory");
	tr->src = src;
	return 0;
}

void wch_tar_reader_free(struct wch_tar_reader *tr)
{
	if (!tr)
		return;
	ext_clear(&tr->ext);
	wch_buf_release(&tr->name);
	wch_buf_release(&tr->link);
	free(tr);
}
