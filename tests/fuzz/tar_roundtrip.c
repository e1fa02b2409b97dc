/*
 * Fuzz target: tar writer -> tar reader round trip (src/archive/tar.h).
 * The input describes entries (type, mode, ids, mtime, names, link, data,
 * an optional SHA-1 record and xattrs); each is written in both styles and
 * must read back with the same fields and data. Inputs the writer refuses
 * (it may reject names it cannot represent) are fine; what it accepts must
 * come back unchanged.
 */
#include <string.h>

#include "archive/tar.h"
#include "fuzz.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned take(struct in *in, unsigned bytes)
{
	unsigned v = 0;

	while (bytes--) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

/* A string of up to max bytes without NUL (NULs end C strings). */
static char *take_str(struct in *in, size_t max)
{
	size_t n = take(in, 2) % (max + 1), i;
	char *s;

	if (n > in->n)
		n = in->n;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = in->p[i] ? (char)in->p[i] : 'x';
	s[n] = 0;
	in->p += n;
	in->n -= n;
	return s;
}

#define NENT 3
static const char types[] = {WCH_TAR_REG,  WCH_TAR_DIR,	  WCH_TAR_SYMLINK, WCH_TAR_HARDLINK,
			     WCH_TAR_CHAR, WCH_TAR_BLOCK, WCH_TAR_FIFO};

struct ent {
	struct wch_tar_hdr h;
	char *name, *link, *uname, *gname, *xname;
	const uint8_t *data;
	unsigned char sha1[20], xval[8];
	struct wch_xattr xa;
};

static void check_entry(const struct ent *w, const struct wch_tar_entry *e)
{
	FUZZ_CHECK(strcmp(w->h.name, e->name) == 0);
	FUZZ_CHECK(w->h.type == e->type);
	FUZZ_CHECK((w->h.mode & 07777) == e->mode);
	FUZZ_CHECK(w->h.uid == e->uid && w->h.gid == e->gid);
	FUZZ_CHECK(w->h.mtime == e->mtime);
	if (w->h.type == WCH_TAR_SYMLINK || w->h.type == WCH_TAR_HARDLINK)
		FUZZ_CHECK(e->link && strcmp(w->h.link, e->link) == 0);
	if (w->h.type == WCH_TAR_CHAR || w->h.type == WCH_TAR_BLOCK)
		FUZZ_CHECK(w->h.devmajor == e->devmajor && w->h.devminor == e->devminor);
	FUZZ_CHECK(e->size == (w->h.type == WCH_TAR_REG ? w->h.size : 0));
}

static void roundtrip(struct ent *ents, size_t n, enum wch_tar_style style)
{
	struct wch_buf out = WCH_BUF_INIT;
	struct wch_tar_writer *tw = NULL;
	struct wch_tar_reader *tr = NULL;
	const struct wch_tar_entry *e;
	struct wch_mem_reader m;
	struct wch_err err;
	size_t i, written = 0;
	int r = 0;

	wch_err_init(&err);
	if (wch_tar_writer_new(&tw, wch_writer_buf(&out), style, &err))
		return;
	for (i = 0; i < n && r == 0; i++) {
		struct wch_tar_hdr h = ents[i].h;
		if (style == WCH_TAR_STYLE_GNU) {
			h.sha1 = NULL;
			h.xattrs = NULL;
			h.nxattrs = 0;
		}
		r = wch_tar_write_file(tw, &h, ents[i].data, &err);
		if (r == 0)
			written++;
	}
	if (r == 0 && wch_tar_finish(tw, true, &err) == 0) {
		FUZZ_CHECK(out.len % 512 == 0);
		FUZZ_CHECK(wch_tar_reader_new(&tr, wch_reader_mem(&m, out.p, out.len), &err) == 0);
		for (i = 0; i < written; i++) {
			FUZZ_CHECK(wch_tar_next(tr, &e, &err) == 1);
			check_entry(&ents[i], e);
			if (style == WCH_TAR_STYLE_APK && ents[i].h.sha1) {
				FUZZ_CHECK(e->has_sha1);
				FUZZ_CHECK(memcmp(e->sha1, ents[i].h.sha1, 20) == 0);
			}
			if (style == WCH_TAR_STYLE_APK && ents[i].h.nxattrs) {
				FUZZ_CHECK(e->nxattrs == 1);
				FUZZ_CHECK(strcmp(e->xattrs[0].name, ents[i].xa.name) == 0);
				FUZZ_CHECK(e->xattrs[0].len == ents[i].xa.len);
				FUZZ_CHECK(memcmp(e->xattrs[0].value, ents[i].xa.value,
						  ents[i].xa.len) == 0);
			}
			if (e->size) {
				unsigned char *buf = malloc(e->size);
				struct wch_reader d = wch_tar_data(tr);
				FUZZ_CHECK(buf);
				FUZZ_CHECK(wch_read_full(&d, buf, e->size, &err) == 0);
				FUZZ_CHECK(memcmp(buf, ents[i].data, e->size) == 0);
				free(buf);
			}
		}
		FUZZ_CHECK(wch_tar_next(tr, &e, &err) == 0);
		wch_tar_reader_free(tr);
	}
	wch_tar_writer_free(tw);
	wch_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	struct ent ents[NENT];
	size_t i, n = 0;

	memset(ents, 0, sizeof(ents));
	for (i = 0; i < NENT && in.n; i++, n++) {
		struct ent *t = &ents[i];
		unsigned flags = take(&in, 1);

		t->h.type = types[take(&in, 1) % sizeof(types)];
		t->h.mode = take(&in, 2) & 07777;
		t->h.uid = take(&in, 3);
		t->h.gid = take(&in, 3);
		t->h.mtime = (int64_t)take(&in, 4);
		t->h.devmajor = take(&in, 2);
		t->h.devminor = take(&in, 2);
		t->name = take_str(&in, 300);
		t->link = take_str(&in, 300);
		t->uname = take_str(&in, 40);
		t->gname = take_str(&in, 40);
		if (!t->name || !t->link || !t->uname || !t->gname)
			break;
		/* The writer's contract: names come without a trailing '/'. */
		for (size_t k = strlen(t->name); k > 0 && t->name[k - 1] == '/'; k--)
			t->name[k - 1] = 0;
		t->h.name = t->name;
		t->h.link = t->link;
		t->h.uname = t->uname;
		t->h.gname = t->gname;
		if (t->h.type == WCH_TAR_REG) {
			size_t len = take(&in, 2) % 2000;
			t->h.size = len < in.n ? len : in.n;
			t->data = in.p;
			in.p += t->h.size;
			in.n -= t->h.size;
		}
		if (flags & 2) {
			memset(t->sha1, (int)flags, sizeof(t->sha1));
			t->h.sha1 = t->sha1;
		}
		if (flags & 4) {
			t->xname = take_str(&in, 40);
			if (!t->xname)
				break;
			memcpy(t->xval, &flags, sizeof(flags));
			t->xa.name = t->xname;
			t->xa.value = t->xval;
			t->xa.len = (flags >> 3) % sizeof(t->xval);
			t->h.xattrs = &t->xa;
			t->h.nxattrs = 1;
		}
	}
	roundtrip(ents, n, WCH_TAR_STYLE_APK);
	roundtrip(ents, n, WCH_TAR_STYLE_GNU);
	for (i = 0; i < NENT; i++) {
		free(ents[i].name);
		free(ents[i].link);
		free(ents[i].uname);
		free(ents[i].gname);
		free(ents[i].xname);
	}
	return 0;
}
