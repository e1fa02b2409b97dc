/*
 * Package writer, metadata side (see package_internal.h): checks of the
 * metadata, install scripts (apk-format §4.1), and the control and
 * signature members (§2.1, §2.2, §11.2).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "apk/package_internal.h"
#include "apk/pkginfo.h"
#include "apk/version.h"
#include "archive/gzip.h"
#include "crypto/key.h"

const char *const wch_package_script_names[] = {
    ".pre-install",   ".post-install",	 ".pre-upgrade", ".post-upgrade",
    ".pre-deinstall", ".post-deinstall", ".trigger",	 NULL,
};

void wch_pkgw_warnf(struct wch_pkgw *w, const char *fmt, ...)
{
	struct wch_buf b = WCH_BUF_INIT;
	va_list ap;

	if (!w->s->warn)
		return;
	va_start(ap, fmt);
	if (wch_buf_vaddf(&b, fmt, ap) == 0)
		w->s->warn(w->s->warn_ctx, b.p);
	va_end(ap);
	wch_buf_release(&b);
}

const char *wch_package_host_arch(void)
{
	static const struct {
		const char *uname, *apk;
	} map[] = {
	    {"x86_64", "x86_64"},   {"i386", "x86"},
	    {"i486", "x86"},	    {"i586", "x86"},
	    {"i686", "x86"},	    {"aarch64", "aarch64"},
	    {"arm64", "aarch64"},   {"armv7l", "armv7"},
	    {"armv8l", "armv7"},    {"armv6l", "armhf"},
	    {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
	    {"riscv64", "riscv64"}, {"loongarch64", "loongarch64"},
	};
	static char machine[65];
	struct utsname u;
	size_t i;

	if (uname(&u) < 0)
		return "x86_64";
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(u.machine, map[i].uname) == 0)
			return map[i].apk;
	snprintf(machine, sizeof(machine), "%s", u.machine);
	return machine;
}

int wch_package_check_nv(const char *name, const char *version, struct wch_err *err)
{
	if (!name || !wch_pkg_name_valid(name))
		return wch_errf(err, -WCH_E_USAGE,
				"invalid package name '%s' (use letters, digits and ._+-, "
				"starting with a letter or digit)",
				name ? name : "");
	/* A package we write must install with apk 2 and apk 3 alike, so its
	 * version is checked by the stricter of the two rules (§8.3; apk 2.14
	 * alone would take "", "a" or "1.0-r1-r0"); abuild always writes
	 * "-r<rel>". */
	if (!version || !wch_version_valid_portable(version) || !strstr(version, "-r"))
		return wch_errf(err, -WCH_E_USAGE,
				"invalid version '%s' (expected VER-rREL, e.g. 1.2.3-r0, with VER "
				"digits and dots, an optional letter and _alpha/_beta/_pre/_rc/"
				"_cvs/_svn/_git/_hg/_p suffixes)",
				version ? version : "");
	return 0;
}

/* .PKGINFO is line-based (apk-format §3): a newline in a value would
 * inject fields. */
static int check_text(const char *what, const char *v, struct wch_err *err)
{
	const unsigned char *p;

	if (!v)
		return 0;
	for (p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return wch_errf(err, -WCH_E_USAGE, "%s contains a control character", what);
	return 0;
}

int wch_pkgw_check_spec(const struct wch_package_spec *s, struct wch_err *err)
{
	const struct wch_pkg *p = s->pkg;
	const char *c;
	int r;

	if ((r = wch_package_check_nv(p->name, p->version, err)) < 0)
		return r;
	if (!p->arch || !*p->arch)
		return wch_errf(err, -WCH_E_USAGE, "no architecture given");
	for (c = p->arch; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_'))
			return wch_errf(err, -WCH_E_USAGE, "invalid architecture '%s'", p->arch);
	if ((r = check_text("description", p->description, err)) < 0 ||
	    (r = check_text("url", p->url, err)) < 0 ||
	    (r = check_text("license", p->license, err)) < 0 ||
	    (r = check_text("maintainer", p->maintainer, err)) < 0 ||
	    (r = check_text("packager", p->packager, err)) < 0 ||
	    (r = check_text("origin", p->origin, err)) < 0 ||
	    (r = check_text("commit", p->commit, err)) < 0)
		return r;
	if (s->sig_alg != WCH_HASH_SHA1 && s->sig_alg != WCH_HASH_SHA256)
		return wch_errf(err, -WCH_E_USAGE, "signatures are RSA with SHA-1 or SHA-256");
	return 0;
}

/* ---- install scripts (apk-format §4.1) ---- */

static int script_index(const char *name)
{
	int i;

	for (i = 0; i < NSCRIPTS; i++)
		if (strcmp(name, wch_package_script_names[i]) == 0 ||
		    strcmp(name, wch_package_script_names[i] + 1) == 0)
			return i;
	return -1;
}

int wch_pkgw_load_scripts(struct wch_pkgw *w, const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
		return wch_err_sys(w->err, errno, "cannot open install script folder '%s'", dir);
	for (;;) {
		int i;
		errno = 0;
		if (!(de = readdir(d))) {
			if (errno)
				r = wch_err_sys(w->err, errno, "cannot read '%s'", dir);
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		i = script_index(de->d_name);
		if (i < 0) {
			r = wch_errf(w->err, -WCH_E_USAGE,
				     "'%s/%s' is not an install script (expected .pre-install, "
				     ".post-install, .pre-upgrade, .post-upgrade, .pre-deinstall, "
				     ".post-deinstall or .trigger)",
				     dir, de->d_name);
			break;
		}
		if (w->has_script[i]) {
			r = wch_errf(w->err, -WCH_E_CONFLICT, "'%s' has both %s and %s", dir,
				     wch_package_script_names[i], wch_package_script_names[i] + 1);
			break;
		}
		r = wch_read_file_at(dirfd(d), de->d_name, &w->script[i], 1u << 20, w->err);
		if (r < 0) {
			wch_err_prefix(w->err, "install script '%s/%s'", dir, de->d_name);
			break;
		}
		w->has_script[i] = true;
	}
	closedir(d);
	return r;
}

/* Depends implied by install scripts' "#!" lines: abuild adds /bin/sh
 * (apk-format §4.1); other interpreters become cmd: depends with
 * auto_deps. Appended to deps (arena copies). */
int wch_pkgw_script_depends(struct wch_pkgw *w, struct wch_arena *a, struct wch_deps *deps)
{
	const struct wch_pkg *p = w->s->pkg;
	int i;

	for (i = 0; i < NSCRIPTS; i++) {
		const char *dep = NULL, *nl;
		struct wch_view line;
		size_t k;
		bool have = false;
		if (!w->has_script[i] || w->script[i].len < 2 || memcmp(w->script[i].p, "#!", 2))
			continue;
		nl = memchr(w->script[i].p, '\n', w->script[i].len);
		line.p = w->script[i].p + 2;
		line.n = (nl ? (size_t)(nl - w->script[i].p) : w->script[i].len) - 2;
		if (wch_trace_shebang(line, a, &dep) < 0)
			return wch_errf(w->err, -ENOMEM, "out of memory");
		if (!dep || (strcmp(dep, "/bin/sh") != 0 && !w->s->auto_deps))
			continue;
		if (strcmp(p->name, "busybox") == 0)
			continue;
		for (k = 0; k < deps->n; k++)
			if (strcmp(deps->v[k].name, dep) == 0 ||
			    (strcmp(dep, "/bin/sh") == 0 &&
			     strcmp(deps->v[k].name, "busybox") == 0))
				have = true;
		if (have)
			continue;
		{
			struct wch_dep *nv = wch_arena_alloc(a, (deps->n + 1) * sizeof(*nv));
			if (!nv)
				return wch_errf(w->err, -ENOMEM, "out of memory");
			if (deps->n)
				memcpy(nv, deps->v, deps->n * sizeof(*nv));
			nv[deps->n].name = dep;
			deps->v = nv;
			deps->n++;
		}
	}
	return 0;
}

/* ---- control and signature members ---- */

int wch_pkgw_write_control(struct wch_pkgw *w, const struct wch_pkg *p,
			   const struct wch_trace_result *tr, struct wch_buf *gz)
{
	struct wch_buf info = WCH_BUF_INIT, tar = WCH_BUF_INIT;
	struct wch_tar_writer *tw = NULL;
	struct wch_tar_hdr h;
	int r, i;

	r = wch_pkginfo_write(p, tr ? &tr->provides : NULL, tr ? &tr->depends : NULL, &info);
	if (r < 0) {
		r = wch_errf(w->err, r, "cannot write .PKGINFO: %s", wch_strerror(r));
		goto out;
	}
	if ((r = wch_tar_writer_new(&tw, wch_writer_buf(&tar), WCH_TAR_STYLE_APK, w->err)) < 0)
		goto out;
	memset(&h, 0, sizeof(h));
	h.type = WCH_TAR_REG;
	h.uname = h.gname = "root";
	h.mtime = w->builddate;
	h.name = ".PKGINFO";
	h.mode = 0644;
	h.size = info.len;
	if ((r = wch_tar_write_file(tw, &h, info.p, w->err)) < 0)
		goto out;
	for (i = 0; i < NSCRIPTS; i++) {
		if (!w->has_script[i])
			continue;
		h.name = wch_package_script_names[i];
		h.mode = 0755; /* §4.1 */
		h.size = w->script[i].len;
		if ((r = wch_tar_write_file(tw, &h, w->script[i].p, w->err)) < 0)
			goto out;
	}
	/* Cut: the control tar must not end the archive (§2.1). */
	if ((r = wch_tar_finish(tw, false, w->err)) < 0)
		goto out;
	r = wch_gzip_buffer(tar.p, tar.len, w->s->level ? w->s->level : 9, gz, w->err);
out:
	wch_tar_writer_free(tw);
	wch_buf_release(&info);
	wch_buf_release(&tar);
	return r;
}

/* abuild-sign (§11.2): .SIGN.RSA[256].<pubname>, uid/gid 0, empty names. */
int wch_pkgw_write_signature(struct wch_pkgw *w, const struct wch_buf *control, struct wch_buf *gz)
{
	const struct wch_package_spec *s = w->s;
	struct wch_buf sig = WCH_BUF_INIT, tar = WCH_BUF_INIT, name = WCH_BUF_INIT;
	unsigned char dg[WCH_HASH_MAX];
	struct wch_tar_writer *tw = NULL;
	struct wch_tar_hdr h;
	int r;

	if ((r = wch_digest(s->sig_alg, control->p, control->len, dg)) < 0) {
		r = wch_errf(w->err, r, "cannot hash the control member");
		goto out;
	}
	r = wch_sign_digest(s->key, s->sig_alg, dg, wch_hash_len(s->sig_alg), &sig, w->err);
	if (r < 0) {
		wch_err_prefix(w->err, "cannot sign with '%s'", s->key->path);
		goto out;
	}
	if (wch_buf_addf(&name, ".SIGN.%s.%s", s->sig_alg == WCH_HASH_SHA256 ? "RSA256" : "RSA",
			 s->key->pubname) < 0) {
		r = wch_errf(w->err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = wch_tar_writer_new(&tw, wch_writer_buf(&tar), WCH_TAR_STYLE_APK, w->err)) < 0)
		goto out;
	memset(&h, 0, sizeof(h));
	h.name = name.p;
	h.type = WCH_TAR_REG;
	h.mode = 0644;
	h.mtime = w->builddate;
	h.size = sig.len;
	if ((r = wch_tar_write_file(tw, &h, sig.p, w->err)) < 0 ||
	    (r = wch_tar_finish(tw, false, w->err)) < 0)
		goto out;
	r = wch_gzip_buffer(tar.p, tar.len, w->s->level ? w->s->level : 9, gz, w->err);
out:
	wch_tar_writer_free(tw);
	wch_buf_release(&sig);
	wch_buf_release(&tar);
	wch_buf_release(&name);
	return r;
}
