/*
 * Bounds-checked ELF reader (see elf.h). Everything is read through
 * src_read(), which fails on any range outside the image, so a hostile
 * file can only produce an error.
 */
#include "apk/elf.h"

#include "util/io.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/*
 * ELF constants (System V gABI). The system <elf.h> is not usable here: the
 * compiler finds this folder's own "elf.h" first for #include <elf.h>.
 */
enum {
	EI_NIDENT = 16,
	EI_CLASS = 4,
	EI_DATA = 5,
	EI_VERSION = 6,
	EI_OSABI = 7,
	ELFCLASS32 = 1,
	ELFCLASS64 = 2,
	ELFDATA2LSB = 1,
	ELFDATA2MSB = 2,
	EV_CURRENT = 1,
	EHDR32_SIZE = 52,
	EHDR64_SIZE = 64,
	PHDR32_SIZE = 32,
	PHDR64_SIZE = 56,
	ET_DYN = 3,
	PN_XNUM = 0xffff,
	PT_LOAD = 1,
	PT_DYNAMIC = 2,
	PT_INTERP = 3,
	DT_NULL = 0,
	DT_NEEDED = 1,
	DT_STRTAB = 5,
	DT_STRSZ = 10,
	DT_SONAME = 14,
	DT_RPATH = 15,
	DT_RUNPATH = 29,
};
#define DT_FLAGS_1 0x6ffffffbLL
#define DF_1_PIE   0x08000000ULL
static const unsigned char ELFMAG[4] = {0x7f, 'E', 'L', 'F'};

struct src {
	const unsigned char *mem; /* NULL: read from fd */
	int fd;
	uint64_t size;
	bool is64, be;
};

static int src_read(const struct src *s, uint64_t off, void *buf, size_t n, struct wch_err *err)
{
	if (off > s->size || n > s->size - off)
		return wch_errf(err, -WCH_E_FORMAT, "truncated ELF file (%zu bytes at offset %llu)",
				n, (unsigned long long)off);
	if (s->mem) {
		memcpy(buf, s->mem + off, n);
		return 0;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(s->fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return wch_err_sys(err, errno, "cannot read ELF file");
		if (r == 0)
			return wch_errf(err, -WCH_E_FORMAT, "ELF file shrank while reading");
		got += (size_t)r;
	}
	return 0;
}

static uint16_t get16(const struct src *s, const unsigned char *p)
{
	return s->be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t get32(const struct src *s, const unsigned char *p)
{
	if (s->be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t get64(const struct src *s, const unsigned char *p)
{
	uint64_t hi = get32(s, s->be ? p : p + 4), lo = get32(s, s->be ? p + 4 : p);
	return hi << 32 | lo;
}

/* A word of the file's class: 4 bytes for ELFCLASS32, 8 for ELFCLASS64. */
static uint64_t get_word(const struct src *s, const unsigned char *p)
{
	return s->is64 ? get64(s, p) : get32(s, p);
}

bool wch_elf_magic(const void *p, size_t n)
{
	return n >= sizeof(ELFMAG) && memcmp(p, ELFMAG, sizeof(ELFMAG)) == 0;
}

int wch_elf_is_elf_fd(int fd)
{
	unsigned char m[sizeof(ELFMAG)];
	ssize_t r;

	do
		r = pread(fd, m, sizeof(m), 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return wch_elf_magic(m, (size_t)r) ? 1 : 0;
}

struct seg {
	uint64_t vaddr, offset, filesz;
};

struct phinfo {
	struct seg load[64];
	size_t nload;
	bool have_dyn, have_interp;
	uint64_t dyn_off, dyn_size, interp_off, interp_size;
};

/* Reads a NUL-terminated string of at most max bytes (plus NUL) at off,
 * not beyond limit (an absolute file offset). */
static int read_str(const struct src *s, uint64_t off, uint64_t limit, struct wch_arena *a,
		    const char **out, struct wch_err *err)
{
	char buf[WCH_ELF_MAX_STRING + 1];
	uint64_t avail;
	size_t n;
	int r;

	if (limit > s->size)
		limit = s->size;
	if (off >= limit)
		return wch_errf(err, -WCH_E_FORMAT, "ELF string offset %llu out of bounds",
				(unsigned long long)off);
	avail = limit - off;
	n = avail < sizeof(buf) ? (size_t)avail : sizeof(buf);
	r = src_read(s, off, buf, n, err);
	if (r < 0)
		return r;
	char *nul = memchr(buf, 0, n);
	if (!nul)
		return wch_errf(err, n == sizeof(buf) ? -WCH_E_TOO_BIG : -WCH_E_FORMAT,
				"ELF string at offset %llu is unterminated or too long",
				(unsigned long long)off);
	*out = wch_arena_strndup(a, buf, (size_t)(nul - buf));
	return *out ? 0 : -ENOMEM;
}

static int read_phdrs(const struct src *s, const unsigned char *eh, struct phinfo *ph,
		      struct wch_err *err)
{
	uint64_t phoff = get_word(s, eh + (s->is64 ? 32 : 28));
	unsigned entsize = get16(s, eh + (s->is64 ? 54 : 42));
	unsigned phnum = get16(s, eh + (s->is64 ? 56 : 44));
	size_t need = s->is64 ? PHDR64_SIZE : PHDR32_SIZE;
	unsigned char p[PHDR64_SIZE];
	int r;

	if (phnum == PN_XNUM)
		return wch_errf(err, -WCH_E_UNSUPPORTED,
				"ELF file with over 65534 program headers");
	if (phnum && entsize < need)
		return wch_errf(err, -WCH_E_FORMAT, "ELF program header size %u too small",
				entsize);
	for (unsigned i = 0; i < phnum; i++) {
		r = src_read(s, phoff + (uint64_t)i * entsize, p, need, err);
		if (r < 0)
			return r;
		uint32_t type = get32(s, p);
		uint64_t off, vaddr, filesz;
		if (s->is64) {
			off = get64(s, p + 8);
			vaddr = get64(s, p + 16);
			filesz = get64(s, p + 32);
		} else {
			off = get32(s, p + 4);
			vaddr = get32(s, p + 8);
			filesz = get32(s, p + 16);
		}
		if (type == PT_LOAD && ph->nload < sizeof(ph->load) / sizeof(ph->load[0])) {
			ph->load[ph->nload++] = (struct seg){vaddr, off, filesz};
		} else if (type == PT_DYNAMIC && !ph->have_dyn) {
			ph->have_dyn = true;
			ph->dyn_off = off;
			ph->dyn_size = filesz;
		} else if (type == PT_INTERP && !ph->have_interp) {
			ph->have_interp = true;
			ph->interp_off = off;
			ph->interp_size = filesz;
		}
	}
	return 0;
}

/* Virtual address -> file offset through the PT_LOAD segments; *end is
 * the end of that segment's file image. */
static bool map_vaddr(const struct phinfo *ph, uint64_t addr, uint64_t *off, uint64_t *end)
{
	for (size_t i = 0; i < ph->nload; i++) {
		const struct seg *g = &ph->load[i];
		if (addr < g->vaddr || addr - g->vaddr >= g->filesz)
			continue;
		if (g->offset > UINT64_MAX - g->filesz)
			return false;
		*off = g->offset + (addr - g->vaddr);
		*end = g->offset + g->filesz;
		return true;
	}
	return false;
}

static int push(struct wch_arena *a, const char ***v, size_t *n, size_t *cap, const char *s)
{
	if (*n + 1 > WCH_ELF_MAX_NEEDED)
		return -WCH_E_TOO_BIG;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		const char **nv = wch_arena_alloc(a, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		if (*n)
			memcpy(nv, *v, *n * sizeof(*nv));
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = s;
	return 0;
}

/* Splits a search path at ':' into out->rpath. */
static int add_rpath(struct wch_arena *a, struct wch_elf_info *out, size_t *cap, const char *path,
		     struct wch_err *err)
{
	const char *p = path;
	while (*p) {
		size_t len = strcspn(p, ":");
		if (len) {
			char *e = wch_arena_strndup(a, p, len);
			int r = e ? push(a, &out->rpath, &out->nrpath, cap, e) : -ENOMEM;
			if (r == -WCH_E_TOO_BIG)
				return wch_errf(err, r, "too many ELF rpath entries");
			if (r < 0)
				return r;
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return 0;
}

enum { MAX_DYNREFS = WCH_ELF_MAX_NEEDED };

static int read_dynamic(const struct src *s, const struct phinfo *ph, struct wch_arena *a,
			struct wch_elf_info *out, struct wch_err *err)
{
	size_t entsz = s->is64 ? 16 : 8;
	uint64_t strtab = 0, strsz = 0, flags1 = 0;
	bool have_strtab = false, have_soname = false;
	uint64_t soname = 0;
	/* DT_NEEDED/RPATH/RUNPATH string offsets, resolved after the whole
	 * section is read because DT_STRTAB may come after them. */
	struct ref {
		int64_t tag;
		uint64_t val;
	} *refs = NULL;
	size_t nrefs = 0, cap_needed = 0, cap_rpath = 0;
	unsigned char e[16];
	int r;

	if (ph->dyn_size > WCH_ELF_MAX_DYNAMIC)
		return wch_errf(err, -WCH_E_TOO_BIG, "ELF dynamic section too big (%llu bytes)",
				(unsigned long long)ph->dyn_size);
	/* Check the range before sizing anything by it. */
	if (ph->dyn_off > s->size || ph->dyn_size > s->size - ph->dyn_off)
		return wch_errf(err, -WCH_E_FORMAT, "truncated ELF file (dynamic section)");
	refs = wch_arena_alloc(a, (ph->dyn_size / entsz + 1) * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (uint64_t o = 0; o + entsz <= ph->dyn_size; o += entsz) {
		r = src_read(s, ph->dyn_off + o, e, entsz, err);
		if (r < 0)
			return r;
		int64_t tag = s->is64 ? (int64_t)get64(s, e) : (int32_t)get32(s, e);
		uint64_t val = get_word(s, e + entsz / 2);
		if (tag == DT_NULL)
			break;
		switch (tag) {
		case DT_NEEDED:
		case DT_RPATH:
		case DT_RUNPATH:
			if (nrefs >= MAX_DYNREFS)
				return wch_errf(err, -WCH_E_TOO_BIG,
						"too many ELF dynamic entries");
			refs[nrefs++] = (struct ref){tag, val};
			break;
		case DT_SONAME:
			have_soname = true;
			soname = val;
			break;
		case DT_STRTAB:
			have_strtab = true;
			strtab = val;
			break;
		case DT_STRSZ:
			strsz = val;
			break;
		case DT_FLAGS_1:
			flags1 = val;
			break;
		}
	}
	if (flags1 & DF_1_PIE)
		out->pie = true;
	if (!nrefs && !have_soname)
		return 0;
	uint64_t stroff, segend;
	if (!have_strtab || !map_vaddr(ph, strtab, &stroff, &segend))
		return wch_errf(err, -WCH_E_FORMAT, "ELF dynamic string table not in a segment");
	/* Strings end at DT_STRSZ when given, never past the segment. */
	uint64_t limit = segend;
	if (strsz && strsz < segend - stroff)
		limit = stroff + strsz;
	if (have_soname) {
		if (soname >= limit - stroff)
			return wch_errf(err, -WCH_E_FORMAT, "ELF DT_SONAME out of bounds");
		r = read_str(s, stroff + soname, limit, a, &out->soname, err);
		if (r < 0)
			return r;
	}
	/* DT_RPATH first, then DT_RUNPATH, as elf.h documents. */
	for (int pass = 0; pass < 3; pass++) {
		int64_t want = pass == 0 ? DT_NEEDED : pass == 1 ? DT_RPATH : DT_RUNPATH;
		for (size_t i = 0; i < nrefs; i++) {
			const char *str;
			if (refs[i].tag != want)
				continue;
			if (refs[i].val >= limit - stroff)
				return wch_errf(err, -WCH_E_FORMAT,
						"ELF dynamic string out of bounds");
			r = read_str(s, stroff + refs[i].val, limit, a, &str, err);
			if (r < 0)
				return r;
			if (want == DT_NEEDED) {
				r = push(a, &out->needed, &out->nneeded, &cap_needed, str);
				if (r < 0)
					return r;
			} else {
				r = add_rpath(a, out, &cap_rpath, str, err);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

static int parse(const struct src *s0, struct wch_arena *a, struct wch_elf_info *out,
		 struct wch_err *err)
{
	struct src s = *s0;
	unsigned char eh[EHDR64_SIZE];
	struct phinfo ph;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&ph, 0, sizeof(ph));
	if (s.size < EI_NIDENT)
		return wch_errf(err, -WCH_E_FORMAT, "not an ELF file");
	r = src_read(&s, 0, eh, EI_NIDENT, err);
	if (r < 0)
		return r;
	if (!wch_elf_magic(eh, EI_NIDENT))
		return wch_errf(err, -WCH_E_FORMAT, "not an ELF file");
	if (eh[EI_CLASS] != ELFCLASS32 && eh[EI_CLASS] != ELFCLASS64)
		return wch_errf(err, -WCH_E_FORMAT, "bad ELF class %u", eh[EI_CLASS]);
	if (eh[EI_DATA] != ELFDATA2LSB && eh[EI_DATA] != ELFDATA2MSB)
		return wch_errf(err, -WCH_E_FORMAT, "bad ELF byte order %u", eh[EI_DATA]);
	if (eh[EI_VERSION] != EV_CURRENT)
		return wch_errf(err, -WCH_E_FORMAT, "bad ELF version %u", eh[EI_VERSION]);
	s.is64 = eh[EI_CLASS] == ELFCLASS64;
	s.be = eh[EI_DATA] == ELFDATA2MSB;
	r = src_read(&s, 0, eh, s.is64 ? EHDR64_SIZE : EHDR32_SIZE, err);
	if (r < 0)
		return r;
	out->is64 = s.is64;
	out->big_endian = s.be;
	out->osabi = eh[EI_OSABI];
	out->type = get16(&s, eh + 16);
	out->machine = get16(&s, eh + 18);
	r = read_phdrs(&s, eh, &ph, err);
	if (r < 0)
		return r;
	if (ph.have_interp) {
		if (ph.interp_size > WCH_ELF_MAX_STRING)
			return wch_errf(err, -WCH_E_TOO_BIG, "ELF interpreter path too long");
		if (ph.interp_off > UINT64_MAX - ph.interp_size)
			return wch_errf(err, -WCH_E_FORMAT, "bad ELF PT_INTERP");
		r = read_str(&s, ph.interp_off, ph.interp_off + ph.interp_size, a, &out->interp,
			     err);
		if (r < 0)
			return r;
	}
	if (ph.have_dyn) {
		if (ph.dyn_off > UINT64_MAX - ph.dyn_size)
			return wch_errf(err, -WCH_E_FORMAT, "bad ELF PT_DYNAMIC");
		out->dynamic = true;
		r = read_dynamic(&s, &ph, a, out, err);
		if (r < 0)
			return r;
	}
	if (out->type == ET_DYN && out->interp)
		out->pie = true;
	if (out->type != ET_DYN)
		out->pie = false;
	out->shared = out->type == ET_DYN && !out->pie;
	return 0;
}

int wch_elf_parse_mem(const void *p, size_t n, struct wch_arena *a, struct wch_elf_info *out,
		      struct wch_err *err)
{
	struct src s = {.mem = p, .fd = -1, .size = n};
	return parse(&s, a, out, err);
}

int wch_elf_parse_fd(int fd, struct wch_arena *a, struct wch_elf_info *out, struct wch_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return wch_err_sys(err, errno, "cannot stat ELF file");
	if (!S_ISREG(st.st_mode))
		return wch_errf(err, -WCH_E_FORMAT, "not a regular file");
	struct src s = {.mem = NULL, .fd = fd, .size = (uint64_t)st.st_size};
	return parse(&s, a, out, err);
}

/* ---- stripping ---------------------------------------------------------- */

bool wch_elf_strip_available(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		int n = snprintf(buf, sizeof(buf), "%.*s%sstrip", (int)len, path, len ? "/" : "");
		if (n > 0 && (size_t)n < sizeof(buf) && access(buf, X_OK) == 0)
			return true;
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

/* Copies all of srcfd (from offset 0) to dstfd. */
static int copy_fd(int srcfd, int dstfd, struct wch_err *err)
{
	char buf[65536];
	off_t off = 0;

	for (;;) {
		ssize_t r = pread(srcfd, buf, sizeof(buf), off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return wch_err_sys(err, errno, "cannot read ELF file");
		if (r == 0)
			return 0;
		int w = wch_fd_write_all(dstfd, buf, (size_t)r);
		if (w < 0)
			return wch_err_sys(err, -w, "cannot write temporary copy");
		off += r;
	}
}

/* Runs `strip opt -- path` with stderr captured; 0 when it exits 0. */
static int run_strip(const char *opt, const char *path, struct wch_err *err)
{
	char *argv[] = {"strip", (char *)opt, "--", (char *)path, NULL};
	posix_spawn_file_actions_t fa;
	char msg[512];
	size_t mlen = 0;
	int pfd[2], r, status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return wch_err_sys(err, errno, "cannot create pipe");
	r = posix_spawn_file_actions_init(&fa);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	if (r == 0)
		r = posix_spawnp(&pid, "strip", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		if (r == ENOENT)
			return wch_errf(err, -WCH_E_NOT_FOUND,
					"strip (binutils) not found on PATH");
		return wch_err_sys(err, r, "cannot run strip");
	}
	for (;;) {
		char buf[512];
		ssize_t n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t take =
		    (size_t)n < sizeof(msg) - 1 - mlen ? (size_t)n : sizeof(msg) - 1 - mlen;
		memcpy(msg + mlen, buf, take);
		mlen += take;
	}
	close(pfd[0]);
	msg[mlen] = 0;
	msg[strcspn(msg, "\n")] = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return wch_err_sys(err, errno, "cannot wait for strip");
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return wch_errf(err, -WCH_E_UNSUPPORTED, "strip exited with status %d%s%s",
				WEXITSTATUS(status), *msg ? ": " : "", msg);
	return wch_errf(err, -WCH_E_UNSUPPORTED, "strip killed by signal %d",
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int wch_elf_strip_copy(int srcfd, const char *tmpdir, int *outfd, bool *stripped,
		       struct wch_err *err)
{
	unsigned char eh[20];
	const char *opt;
	char path[4096];
	int fd, r;

	*outfd = -1;
	*stripped = false;
	do
		r = (int)pread(srcfd, eh, sizeof(eh), 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return wch_err_sys(err, errno, "cannot read ELF file");
	if (r < (int)sizeof(eh) || !wch_elf_magic(eh, sizeof(eh)) ||
	    (eh[EI_DATA] != ELFDATA2LSB && eh[EI_DATA] != ELFDATA2MSB) ||
	    eh[EI_OSABI] == WCH_ELF_OSABI_STANDALONE)
		return 0;
	struct src s = {.be = eh[EI_DATA] == ELFDATA2MSB};
	unsigned type = get16(&s, eh + 16);
	/* abuild's default_strip: executables lose everything, shared objects
	 * keep the symbols relocation needs. */
	if (type == WCH_ELF_ET_EXEC)
		opt = "--strip-all";
	else if (type == WCH_ELF_ET_DYN)
		opt = "--strip-unneeded";
	else
		return 0;
	if (!wch_elf_strip_available())
		return wch_errf(err, -WCH_E_NOT_FOUND, "strip (binutils) not found on PATH");
	if (!tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	r = snprintf(path, sizeof(path), "%s/wch-strip-XXXXXX", tmpdir);
	if (r < 0 || (size_t)r >= sizeof(path))
		return wch_errf(err, -ENAMETOOLONG, "temporary directory name too long");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return wch_err_sys(err, errno, "cannot create temporary file in '%s'", tmpdir);
	r = copy_fd(srcfd, fd, err);
	if (close(fd) < 0 && r == 0)
		r = wch_err_sys(err, errno, "cannot write temporary copy");
	if (r == 0)
		r = run_strip(opt, path, err);
	if (r == 0) {
		/* strip replaces the file by rename, so open the result anew. */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			r = wch_err_sys(err, errno, "cannot open stripped copy");
	}
	unlink(path);
	if (r < 0)
		return r;
	*outfd = fd;
	*stripped = true;
	return 0;
}
