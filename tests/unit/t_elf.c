/*
 * ELF parser and strip helper, on binaries compiled here (gcc, musl-gcc)
 * and on real Alpine binaries (x86_64, aarch64, 32-bit armhf) extracted
 * from the fixtures; binutils' readelf is the independent cross-check.
 */
#include "apk/elf.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/io.h"
#include "wt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return st == -1 ? -1 : WEXITSTATUS(st);
}

static bool have(const char *prog)
{
	return sh("command -v %s >/dev/null 2>&1", prog) == 0;
}

static bool ends_with_colon(const char *s)
{
	return s[0] && strcmp(s + strlen(s) - 2, ": ") == 0;
}

/* The first line of a command's output that contains "key [" -> the text
 * in brackets; e.g. readelf's "Library soname: [x]". Returns a static
 * buffer joined by ',' for several matches. */
static const char *readelf_field(const char *file, const char *key)
{
	static char out[4096];
	char cmd[4096], line[1024];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -dlW '%s' 2>/dev/null", file);
	out[0] = 0;
	p = popen(cmd, "r");
	if (!p)
		return out;
	while (fgets(line, sizeof(line), p)) {
		char *k = strstr(line, key), *b, *e;
		if (!k)
			continue;
		/* "[Requesting program interpreter: X]" vs "Library soname: [X]" */
		b = ends_with_colon(key) ? k + strlen(key) - 1 : strchr(k, '[');
		if (!b || !(e = strchr(b, ']')))
			continue;
		if (out[0])
			strncat(out, ",", sizeof(out) - strlen(out) - 1);
		strncat(out, b + 1,
			(size_t)(e - b - 1) < sizeof(out) - strlen(out) - 1
			    ? (size_t)(e - b - 1)
			    : sizeof(out) - strlen(out) - 1);
	}
	pclose(p);
	return out;
}

static const char *join(const char **v, size_t n)
{
	static char out[4096];
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(out, ",", sizeof(out) - strlen(out) - 1);
		strncat(out, v[i], sizeof(out) - strlen(out) - 1);
	}
	return out;
}

static int parse_path(const char *path, struct wch_arena *a, struct wch_elf_info *info,
		      struct wch_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = wch_elf_parse_fd(fd, a, info, e);
	close(fd);
	return r;
}

static const char *extract(const char *apk)
{
	static char dir[4096];
	snprintf(dir, sizeof(dir), "%s/x%d", wt_tmpdir(), rand());
	if (sh("mkdir -p '%s' && tar -xzf '%s' -C '%s' 2>/dev/null", dir, wt_fixture(apk), dir))
		return NULL;
	return dir;
}

static void t_musl_hello(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_elf_info info;
	struct wch_err e;
	char src[4096], bin[4096];

	if (!have("musl-gcc")) {
		wt_skip("musl-gcc (Debian musl-tools) not installed");
		return;
	}
	snprintf(src, sizeof(src), "%s/hello.c", wt_tmpdir());
	snprintf(bin, sizeof(bin), "%s/hello-musl", wt_tmpdir());
	WT_EQ(sh("printf '#include <stdio.h>\\nint main(void){puts(\"hi\");return 0;}\\n' > '%s'",
		 src),
	      0);
	WT_EQ(sh("musl-gcc -o '%s' '%s'", bin, src), 0);
	wch_err_init(&e);
	WT_OK(parse_path(bin, &a, &info, &e));
	WT_EQ(info.nneeded, 1);
	WT_STREQ(info.needed[0], "libc.so");
	WT_STREQ(info.interp, readelf_field(bin, "program interpreter: "));
	WT_TRUE(!strncmp(info.interp, "/lib/ld-musl-", 13));
	WT_TRUE(info.soname == NULL);
	WT_TRUE(info.dynamic);
	WT_EQ(info.osabi, 0);
	WT_TRUE(!info.shared);
	WT_TRUE(info.type == WCH_ELF_ET_EXEC || info.pie);
	wch_arena_release(&a);
}

static void t_shared_object_rpath(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_elf_info info;
	struct wch_err e;
	char src[4096], lib[4096];

	if (!have("gcc")) {
		wt_skip("gcc not installed");
		return;
	}
	snprintf(src, sizeof(src), "%s/foo.c", wt_tmpdir());
	snprintf(lib, sizeof(lib), "%s/libfoo.so.1.2.3", wt_tmpdir());
	WT_EQ(sh("echo 'int foo(void){return 42;}' > '%s'", src), 0);
	WT_EQ(sh("gcc -shared -fPIC -Wl,-soname,libfoo.so.1 -Wl,--disable-new-dtags "
		 "-Wl,-rpath,'$ORIGIN/../lib::/opt/x' -o '%s' '%s' -lm -Wl,--no-as-needed",
		 lib, src),
	      0);
	wch_err_init(&e);
	WT_OK(parse_path(lib, &a, &info, &e));
	WT_STREQ(info.soname, "libfoo.so.1");
	WT_STREQ(info.soname, readelf_field(lib, "Library soname"));
	WT_TRUE(info.shared);
	WT_TRUE(!info.pie);
	WT_EQ(info.type, WCH_ELF_ET_DYN);
	WT_TRUE(info.interp == NULL);
	WT_EQ(info.nrpath, 2);
	WT_STREQ(info.rpath[0], "$ORIGIN/../lib");
	WT_STREQ(info.rpath[1], "/opt/x");
	WT_STREQ(join(info.needed, info.nneeded), readelf_field(lib, "Shared library"));
	wch_arena_release(&a);
}

struct real_case {
	const char *apk, *file, *soname, *interp;
	bool is64, be;
	unsigned machine;
};

/* Real Alpine musl and busybox for three architectures; every expected
 * value is also compared with readelf's view of the same file. */
static void t_real_alpine(void)
{
	static const struct real_case cases[] = {
	    {"alpine/apks/x86_64/alpine-3.19.1-iso-boot/musl-1.2.4_git20230717-r4.apk",
	     "lib/ld-musl-x86_64.so.1", "libc.musl-x86_64.so.1", NULL, true, false, 62},
	    {"alpine/apks/aarch64/alpine-rpi-3.13.4-boot/musl-1.2.2-r0.apk",
	     "lib/ld-musl-aarch64.so.1", "libc.musl-aarch64.so.1", NULL, true, false, 183},
	    {"alpine/apks/armhf/alpine-uboot-3.3.3-boot/musl-1.1.12-r3.apk",
	     "lib/ld-musl-armhf.so.1", "libc.musl-armhf.so.1", NULL, false, false, 40},
	    {"alpine/apks/x86_64/alpine-3.19.1-iso-boot/busybox-1.36.1-r15.apk", "bin/busybox",
	     NULL, "/lib/ld-musl-x86_64.so.1", true, false, 62},
	    {"alpine/apks/aarch64/alpine-rpi-3.13.4-boot/busybox-1.32.1-r5.apk", "bin/busybox",
	     NULL, "/lib/ld-musl-aarch64.so.1", true, false, 183},
	    {"alpine/apks/armhf/alpine-uboot-3.3.3-boot/busybox-1.24.1-r7.apk", "bin/busybox", NULL,
	     "/lib/ld-musl-armhf.so.1", false, false, 40},
	};
	bool readelf = have("readelf");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct real_case *c = &cases[i];
		struct wch_arena a = WCH_ARENA_INIT;
		struct wch_elf_info info;
		struct wch_err e;
		char path[4096];
		const char *dir = extract(c->apk);

		WT_TRUE(dir != NULL);
		WT_TRUE(snprintf(path, sizeof(path), "%s/%s", dir, c->file) < (int)sizeof(path));
		wch_err_init(&e);
		WT_OK(parse_path(path, &a, &info, &e));
		WT_EQ(info.is64, c->is64);
		WT_EQ(info.big_endian, c->be);
		WT_EQ(info.machine, c->machine);
		WT_EQ(info.type, WCH_ELF_ET_DYN);
		if (c->soname) {
			WT_STREQ(info.soname, c->soname);
			WT_TRUE(info.shared);
			WT_EQ(info.nneeded, 0);
		} else {
			WT_TRUE(info.soname == NULL);
			WT_STREQ(info.interp, c->interp);
			WT_TRUE(info.pie);
			/* busybox needs exactly the musl soname of its arch. */
			WT_EQ(info.nneeded, 1);
			WT_TRUE(!strncmp(info.needed[0], "libc.musl-", 10));
		}
		if (readelf) {
			WT_STREQ(join(info.needed, info.nneeded),
				 readelf_field(path, "Shared library"));
			WT_STREQ(info.soname ? info.soname : "",
				 readelf_field(path, "Library soname"));
		}
		wch_arena_release(&a);
	}
}

static void t_not_elf(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_elf_info info;
	struct wch_err e;
	char path[4096];
	int fd;

	wch_err_init(&e);
	WT_EQ(wch_elf_parse_mem("#!/bin/sh\n", 10, &a, &info, &e), -WCH_E_FORMAT);
	WT_STREQ(e.msg, "not an ELF file");
	WT_EQ(wch_elf_parse_mem("\177ELF", 4, &a, &info, NULL), -WCH_E_FORMAT);
	WT_TRUE(!wch_elf_magic("\177EL", 3));
	snprintf(path, sizeof(path), "%s/text", wt_tmpdir());
	WT_EQ(sh("echo hello > '%s'", path), 0);
	fd = open(path, O_RDONLY);
	WT_TRUE(fd >= 0);
	WT_EQ(wch_elf_is_elf_fd(fd), 0);
	close(fd);
	fd = open("/proc/self/exe", O_RDONLY);
	WT_TRUE(fd >= 0);
	WT_EQ(wch_elf_is_elf_fd(fd), 1);
	close(fd);
	wch_arena_release(&a);
}

static int slurp(const char *path, struct wch_buf *b)
{
	return wch_read_file_at(AT_FDCWD, path, b, 64u << 20, NULL);
}

/* Truncations and byte flips of real binaries (64-bit and 32-bit) must
 * give results or errors, never crashes (run under ASan+UBSan in CI). */
static void t_fuzz_real(void)
{
	const char *apks[] = {
	    "alpine/apks/x86_64/alpine-3.19.1-iso-boot/busybox-1.36.1-r15.apk",
	    "alpine/apks/armhf/alpine-uboot-3.3.3-boot/musl-1.1.12-r3.apk",
	};
	const char *files[] = {"bin/busybox", "lib/ld-musl-armhf.so.1"};
	unsigned seed = 12345;

	for (size_t i = 0; i < 2; i++) {
		struct wch_buf b = WCH_BUF_INIT;
		struct wch_arena a = WCH_ARENA_INIT;
		struct wch_elf_info ref, info;
		char path[4096];
		const char *dir = extract(apks[i]);
		int ok = 0, bad = 0;

		WT_TRUE(dir != NULL);
		WT_TRUE(snprintf(path, sizeof(path), "%s/%s", dir, files[i]) < (int)sizeof(path));
		WT_OK(slurp(path, &b));
		WT_OK(wch_elf_parse_mem(b.p, b.len, &a, &ref, NULL));
		/* The same file through the fd path agrees. */
		WT_OK(parse_path(path, &a, &info, NULL));
		WT_STREQ(join(info.needed, info.nneeded), join(ref.needed, ref.nneeded));
		/* Truncations: everything up to the end of the headers and
		 * dynamic data, then coarser steps. */
		for (size_t n = 0; n < b.len; n += n < 8192 ? 1 : 997) {
			if (wch_elf_parse_mem(b.p, n, &a, &info, NULL) == 0)
				ok++;
			else
				bad++;
		}
		WT_TRUE(bad > 0);
		/* Flips in the ELF/program headers and anywhere else. */
		char *copy = malloc(b.len);
		WT_TRUE(copy != NULL);
		for (int round = 0; round < 20000; round++) {
			memcpy(copy, b.p, b.len);
			for (int k = 0; k < 4; k++) {
				seed = seed * 1103515245 + 12345;
				size_t span = round % 2 ? b.len : (b.len < 4096 ? b.len : 4096);
				size_t off = (seed >> 8) % span;
				seed = seed * 1103515245 + 12345;
				copy[off] = (char)(seed >> 16);
			}
			if (wch_elf_parse_mem(copy, b.len, &a, &info, NULL) == 0)
				ok++;
			if (round % 1000 == 999) {
				wch_arena_release(&a);
			}
		}
		free(copy);
		WT_TRUE(ok > 0);
		wch_buf_release(&b);
		wch_arena_release(&a);
	}
}

static void t_strip_copy(void)
{
	char src[4096], bin[4096], out[4096];
	struct stat before, after, st;
	struct wch_err e;
	bool stripped;
	int fd, ofd;

	if (!have("gcc") || !wch_elf_strip_available() || !have("readelf")) {
		wt_skip("gcc, strip or readelf not installed");
		return;
	}
	snprintf(src, sizeof(src), "%s/s.c", wt_tmpdir());
	snprintf(bin, sizeof(bin), "%s/withsyms", wt_tmpdir());
	snprintf(out, sizeof(out), "%s/stripped", wt_tmpdir());
	WT_EQ(sh("echo 'int helper(int x){return x+1;} int main(void){return helper(-1);}' "
		 "> '%s' && gcc -g -o '%s' '%s'",
		 src, bin, src),
	      0);
	WT_EQ(sh("readelf -SW '%s' | grep -q '[.]symtab'", bin), 0);
	WT_EQ(stat(bin, &before), 0);
	fd = open(bin, O_RDONLY);
	WT_TRUE(fd >= 0);
	wch_err_init(&e);
	WT_OK(wch_elf_strip_copy(fd, wt_tmpdir(), &ofd, &stripped, &e));
	close(fd);
	WT_TRUE(stripped);
	WT_TRUE(ofd >= 0);
	WT_EQ(fstat(ofd, &st), 0);
	WT_TRUE(st.st_size < before.st_size);
	WT_EQ(wch_elf_is_elf_fd(ofd), 1);
	/* Save the copy and check it with readelf and by running it. */
	struct wch_buf b = WCH_BUF_INIT;
	char buf[65536];
	ssize_t n;
	while ((n = read(ofd, buf, sizeof(buf))) > 0)
		WT_OK(wch_buf_add(&b, buf, (size_t)n));
	close(ofd);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	WT_TRUE(fd >= 0);
	WT_OK(wch_fd_write_all(fd, b.p, b.len));
	close(fd);
	wch_buf_release(&b);
	WT_TRUE(sh("readelf -SW '%s' | grep -q '[.]symtab'", out) != 0);
	WT_EQ(sh("'%s'", out), 0);
	/* The input is untouched and no temporary file is left behind. */
	WT_EQ(stat(bin, &after), 0);
	WT_EQ(after.st_size, before.st_size);
	WT_EQ(sh("readelf -SW '%s' | grep -q '[.]symtab'", bin), 0);
	WT_EQ(sh("ls '%s' | grep -q wch-strip", wt_tmpdir()), 1);

	/* Not ELF: nothing to do. */
	fd = open(src, O_RDONLY);
	WT_TRUE(fd >= 0);
	WT_OK(wch_elf_strip_copy(fd, wt_tmpdir(), &ofd, &stripped, &e));
	close(fd);
	WT_TRUE(!stripped);
	WT_EQ(ofd, -1);
}

/* A foreign-architecture binary the host strip cannot handle is reported,
 * and the caller keeps the original. */
static void t_strip_foreign(void)
{
	struct wch_err e;
	bool stripped;
	char path[4096];
	int fd, ofd, r;

	if (!wch_elf_strip_available()) {
		wt_skip("strip not installed");
		return;
	}
	const char *dir = extract("alpine/apks/armhf/alpine-uboot-3.3.3-boot/musl-1.1.12-r3.apk");
	WT_TRUE(dir != NULL);
	WT_TRUE(snprintf(path, sizeof(path), "%s/lib/ld-musl-armhf.so.1", dir) < (int)sizeof(path));
	fd = open(path, O_RDONLY);
	WT_TRUE(fd >= 0);
	wch_err_init(&e);
	r = wch_elf_strip_copy(fd, wt_tmpdir(), &ofd, &stripped, &e);
	close(fd);
	if (r == 0) {
		/* binutils-multiarch can strip ARM: then it must have worked. */
		WT_TRUE(stripped);
		WT_EQ(wch_elf_is_elf_fd(ofd), 1);
		close(ofd);
		return;
	}
	WT_EQ(r, -WCH_E_UNSUPPORTED);
	WT_TRUE(strstr(e.msg, "strip exited with status") != NULL);
	WT_TRUE(!stripped);
	WT_EQ(ofd, -1);
}

WT_MAIN(WT(t_musl_hello), WT(t_shared_object_rpath), WT(t_real_alpine), WT(t_not_elf),
	WT(t_fuzz_real), WT(t_strip_copy), WT(t_strip_foreign))
