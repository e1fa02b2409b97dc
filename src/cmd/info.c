/*
 * witchery info: show a package's metadata (every .PKGINFO field, identity,
 * signature) and its file list, as text or as one JSON object. The package
 * is verified while it is read (like `witchery verify`); nothing is printed
 * unless it passes, so tampering is reported, not displayed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apk/package.h"
#include "cmd/cmd.h"
#include "crypto/key.h"
#include "util/arena.h"

enum { OPT_KEYS = 'k', OPT_UNTRUSTED = 'i', OPT_JSON = 256 };

static const struct wch_opt opts[] = {
    {"json", 0, NULL, OPT_JSON, "print one JSON object"},
    {"keys-dir", 'k', "DIR", OPT_KEYS,
     "trusted public keys (repeatable; default " WCH_DEFAULT_KEYS_DIR ")"},
    {"allow-untrusted", 'i', NULL, OPT_UNTRUSTED,
     "no warning for unsigned packages and unknown keys"},
    {0},
};

static const struct wch_cmd_help help = {
    "witchery info [--json] [-k DIR]... [-i|--allow-untrusted] FILE.apk",
    "Checks a package like 'witchery verify' and prints its metadata (all .PKGINFO\n"
    "fields, the identity C:, the datahash and the signature) and its files (type\n"
    "and mode, owner, size, path, link target). A package whose signing key is not\n"
    "among the trusted keys (or that is unsigned) is shown with its signature marked\n"
    "untrusted and a warning (none with -i); a tampered package, or a bad signature\n"
    "by a trusted key, is an error and nothing is printed.",
    opts,
};

struct file {
	const char *path, *link, *uname, *gname;
	char type;
	unsigned mode;
	unsigned long uid, gid;
	uint64_t size;
	int64_t mtime;
};

struct files {
	struct wch_arena *arena;
	struct file *v;
	size_t n, cap;
};

static int on_entry(void *ctx, const struct wch_tar_entry *e, const struct wch_reader *data,
		    struct wch_err *err)
{
	struct files *fl = ctx;
	struct file *f;

	(void)data; /* the reader drains and checks the content */
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? 2 * fl->cap : 64;
		struct file *v = realloc(fl->v, cap * sizeof(*v));
		if (!v)
			return wch_errf(err, -ENOMEM, "out of memory");
		fl->v = v;
		fl->cap = cap;
	}
	f = &fl->v[fl->n];
	memset(f, 0, sizeof(*f));
	f->path = wch_arena_strdup(fl->arena, e->name);
	f->link = e->link ? wch_arena_strdup(fl->arena, e->link) : NULL;
	f->uname = wch_arena_strdup(fl->arena, e->uname);
	f->gname = wch_arena_strdup(fl->arena, e->gname);
	if (!f->path || (e->link && !f->link) || !f->uname || !f->gname)
		return wch_errf(err, -ENOMEM, "out of memory");
	f->type = e->type;
	f->mode = (unsigned)e->mode;
	f->uid = (unsigned long)e->uid;
	f->gid = (unsigned long)e->gid;
	f->size = e->size;
	f->mtime = e->mtime;
	fl->n++;
	return 0;
}

static char type_char(char t)
{
	switch (t) {
	case WCH_TAR_DIR:
		return 'd';
	case WCH_TAR_SYMLINK:
		return 'l';
	case WCH_TAR_HARDLINK:
		return 'h';
	case WCH_TAR_CHAR:
		return 'c';
	case WCH_TAR_BLOCK:
		return 'b';
	case WCH_TAR_FIFO:
		return 'p';
	default:
		return '-';
	}
}

static const char *type_name(char t)
{
	switch (t) {
	case WCH_TAR_DIR:
		return "dir";
	case WCH_TAR_SYMLINK:
		return "symlink";
	case WCH_TAR_HARDLINK:
		return "hardlink";
	case WCH_TAR_CHAR:
		return "char";
	case WCH_TAR_BLOCK:
		return "block";
	case WCH_TAR_FIFO:
		return "fifo";
	default:
		return "file";
	}
}

/* "rwxr-sr-t" style, like ls -l. */
static void mode_string(const struct file *f, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	out[0] = type_char(f->type);
	for (i = 0; i < 9; i++)
		out[1 + i] = (f->mode & (0400u >> i)) ? rwx[i] : '-';
	if (f->mode & 04000)
		out[3] = (f->mode & 0100) ? 's' : 'S';
	if (f->mode & 02000)
		out[6] = (f->mode & 0010) ? 's' : 'S';
	if (f->mode & 01000)
		out[9] = (f->mode & 0001) ? 't' : 'T';
	out[10] = 0;
}

/* JSON strings: escapes quotes, backslashes and control characters; bytes
 * that are not valid UTF-8 become U+FFFD so the output is always valid. */
static void json_str(FILE *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', o);
	while (*p) {
		unsigned char c = *p;
		size_t len = 0, i;
		if (c == '"' || c == '\\') {
			fprintf(o, "\\%c", c);
		} else if (c == '\n') {
			fputs("\\n", o);
		} else if (c == '\t') {
			fputs("\\t", o);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(o, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, o);
		} else {
			if (c >= 0xc2 && c <= 0xdf)
				len = 2;
			else if (c >= 0xe0 && c <= 0xef)
				len = 3;
			else if (c >= 0xf0 && c <= 0xf4)
				len = 4;
			for (i = 1; i < len; i++)
				if ((p[i] & 0xc0) != 0x80)
					len = 0;
			/* overlongs, surrogates and > U+10FFFF */
			if ((len == 3 && c == 0xe0 && p[1] < 0xa0) ||
			    (len == 3 && c == 0xed && p[1] >= 0xa0) ||
			    (len == 4 && c == 0xf0 && p[1] < 0x90) ||
			    (len == 4 && c == 0xf4 && p[1] >= 0x90))
				len = 0;
			if (len) {
				fwrite(p, 1, len, o);
				p += len;
				continue;
			}
			fputs("\\ufffd", o);
		}
		p++;
	}
	fputc('"', o);
}

static void json_key(FILE *o, const char *k, const char *v, bool *first)
{
	fprintf(o, "%s\n  \"%s\": ", *first ? "" : ",", k);
	*first = false;
	if (v)
		json_str(o, v);
	else
		fputs("null", o);
}

static int json_deps(FILE *o, const char *k, const struct wch_deps *d)
{
	struct wch_buf b = WCH_BUF_INIT;
	size_t i;

	fprintf(o, ",\n  \"%s\": [", k);
	for (i = 0; i < d->n; i++) {
		wch_buf_reset(&b);
		if (wch_dep_format(&d->v[i], &b)) {
			wch_buf_release(&b);
			return -ENOMEM;
		}
		fputs(i ? ", " : "", o);
		json_str(o, b.p);
	}
	fputc(']', o);
	wch_buf_release(&b);
	return 0;
}

static void sig_text(const struct wch_pkg_read_result *res, char *out, size_t n)
{
	if (!res->sig_key)
		snprintf(out, n, "none");
	else
		snprintf(out, n, "%s %s (%s)", res->sig_type, res->sig_key,
			 res->signature_ok ? "verified" : "untrusted");
}

static int print_json(FILE *o, const struct wch_pkg_read_result *res, const struct files *fl)
{
	const struct wch_pkg *p = res->pkg;
	char q1[41], hex[65];
	bool first = true;
	size_t i;
	int r = 0;

	fputc('{', o);
	json_key(o, "name", p->name, &first);
	json_key(o, "version", p->version, &first);
	json_key(o, "arch", p->arch, &first);
	fprintf(o, ",\n  \"installed_size\": %" PRIu64 ",\n  \"file_size\": %" PRIu64,
		p->installed_size, res->file_size);
	json_key(o, "description", p->description, &first);
	json_key(o, "url", p->url, &first);
	json_key(o, "license", p->license, &first);
	json_key(o, "origin", p->origin, &first);
	json_key(o, "maintainer", p->maintainer, &first);
	json_key(o, "commit", p->commit, &first);
	json_key(o, "packager", p->packager, &first);
	fprintf(o, ",\n  \"build_date\": %" PRId64, p->build_time);
	fprintf(o, ",\n  \"provider_priority\": %u,\n  \"replaces_priority\": %u",
		p->provider_priority, p->replaces_priority);
	r = r ? r : json_deps(o, "depends", &p->depends);
	r = r ? r : json_deps(o, "provides", &p->provides);
	r = r ? r : json_deps(o, "install_if", &p->install_if);
	r = r ? r : json_deps(o, "replaces", &p->replaces);
	if (r)
		return r;
	fputs(",\n  \"triggers\": [", o);
	for (i = 0; i < p->ntriggers; i++) {
		fputs(i ? ", " : "", o);
		json_str(o, p->triggers[i]);
	}
	fputc(']', o);
	if (p->has_datahash)
		wch_hex_encode(p->datahash, 32, hex);
	json_key(o, "datahash", p->has_datahash ? hex : NULL, &first);
	json_key(o, "identity", wch_checksum_format(&res->identity, q1), &first);
	fputs(",\n  \"signature\": {\"type\": ", o);
	json_str(o, res->sig_type);
	fputs(", \"key\": ", o);
	if (res->sig_key)
		json_str(o, res->sig_key);
	else
		fputs("null", o);
	fprintf(o, ", \"verified\": %s}", res->signature_ok ? "true" : "false");
	fputs(",\n  \"scripts\": [", o);
	for (i = 0; i < res->nscripts; i++) {
		fputs(i ? ", " : "", o);
		json_str(o, res->scripts[i].name);
	}
	fputs("],\n  \"files\": [", o);
	for (i = 0; i < fl->n; i++) {
		const struct file *f = &fl->v[i];
		fprintf(o, "%s\n    {\"path\": ", i ? "," : "");
		json_str(o, f->path);
		fprintf(o,
			", \"type\": \"%s\", \"mode\": \"%04o\", \"uid\": %lu, \"gid\": %lu, "
			"\"uname\": ",
			type_name(f->type), f->mode, f->uid, f->gid);
		json_str(o, f->uname);
		fputs(", \"gname\": ", o);
		json_str(o, f->gname);
		fprintf(o, ", \"size\": %" PRIu64 ", \"mtime\": %" PRId64, f->size, f->mtime);
		if (f->link) {
			fputs(", \"link\": ", o);
			json_str(o, f->link);
		}
		fputc('}', o);
	}
	fputs(fl->n ? "\n  ]\n}\n" : "]\n}\n", o);
	return 0;
}

/* Values come from the package: control characters are escaped so that a
 * hostile description cannot drive the terminal or forge lines. */
static void text_field(FILE *o, const char *k, const char *v)
{
	if (v && *v) {
		fprintf(o, "%-13s ", k);
		wch_fput_safe(v, o);
		fputc('\n', o);
	}
}

static int text_deps(FILE *o, const char *k, const struct wch_deps *d)
{
	struct wch_buf b = WCH_BUF_INIT;

	if (!d->n)
		return 0;
	if (wch_deps_format(d, &b)) {
		wch_buf_release(&b);
		return -ENOMEM;
	}
	text_field(o, k, b.p);
	wch_buf_release(&b);
	return 0;
}

static int print_text(FILE *o, const struct wch_pkg_read_result *res, const struct files *fl)
{
	const struct wch_pkg *p = res->pkg;
	char buf[512], q1[41], hex[65];
	size_t i;
	int r = 0;

	text_field(o, "name:", p->name);
	text_field(o, "version:", p->version);
	text_field(o, "arch:", p->arch);
	fprintf(o, "%-13s %" PRIu64 "\n", "size:", p->installed_size);
	fprintf(o, "%-13s %" PRIu64 "\n", "file size:", res->file_size);
	text_field(o, "description:", p->description);
	text_field(o, "url:", p->url);
	text_field(o, "license:", p->license);
	text_field(o, "origin:", p->origin);
	text_field(o, "maintainer:", p->maintainer);
	text_field(o, "commit:", p->commit);
	text_field(o, "packager:", p->packager);
	if (p->build_time) {
		time_t t = (time_t)p->build_time;
		struct tm tm;
		if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
			fprintf(o, "%-13s %s (%" PRId64 ")\n", "build date:", buf, p->build_time);
	}
	if (p->provider_priority)
		fprintf(o, "%-13s %u\n", "priority:", p->provider_priority);
	if (p->replaces_priority)
		fprintf(o, "%-13s %u\n", "replaces prio:", p->replaces_priority);
	r = r ? r : text_deps(o, "depends:", &p->depends);
	r = r ? r : text_deps(o, "provides:", &p->provides);
	r = r ? r : text_deps(o, "install_if:", &p->install_if);
	r = r ? r : text_deps(o, "replaces:", &p->replaces);
	if (r)
		return r;
	if (p->ntriggers) {
		fprintf(o, "%-13s", "triggers:");
		for (i = 0; i < p->ntriggers; i++) {
			fputc(' ', o);
			wch_fput_safe(p->triggers[i], o);
		}
		fputc('\n', o);
	}
	if (p->has_datahash) {
		wch_hex_encode(p->datahash, 32, hex);
		text_field(o, "datahash:", hex);
	}
	text_field(o, "identity:", wch_checksum_format(&res->identity, q1));
	sig_text(res, buf, sizeof(buf));
	text_field(o, "signature:", buf);
	for (i = 0; i < res->nscripts; i++) {
		fprintf(o, "%-13s ", "script:");
		wch_fput_safe(res->scripts[i].name, o);
		fprintf(o, " (%zu bytes)\n", res->scripts[i].len);
	}
	fprintf(o, "files:        %zu\n", fl->n);
	for (i = 0; i < fl->n; i++) {
		const struct file *f = &fl->v[i];
		char mode[11], owner[80];
		mode_string(f, mode);
		/* apk resolves the names on the target (§1.2); ids are the fallback */
		if (*f->uname && *f->gname)
			snprintf(owner, sizeof(owner), "%s/%s", f->uname, f->gname);
		else
			snprintf(owner, sizeof(owner), "%lu/%lu", f->uid, f->gid);
		fprintf(o, "%s %-11s %10" PRIu64 " ", mode, owner, f->size);
		wch_fput_safe(f->path, o);
		if (f->link) {
			fputs(f->type == WCH_TAR_HARDLINK ? " link to " : " -> ", o);
			wch_fput_safe(f->link, o);
		}
		fputc('\n', o);
	}
	return 0;
}

static int show(const char *path, const struct wch_keyring *kr, bool allow_untrusted, bool json,
		struct wch_err *err)
{
	struct wch_arena arena = WCH_ARENA_INIT;
	struct files fl = {&arena, NULL, 0, 0};
	struct wch_pkg_read_opts o = {0};
	struct wch_pkg_read_result res;
	int fd, r;

	fd = wch_open_input_err(path, err);
	if (fd < 0)
		return fd;
	/* Showing is not installing: an unknown key only marks the output
	 * (every hash is still checked, and a known key must verify). */
	o.mode = WCH_PKG_VERIFY_NONE;
	o.keys = kr;
	o.arena = &arena;
	o.entry = on_entry;
	o.ctx = &fl;
	r = wch_package_read_fd(fd, &o, &res, err);
	close(fd);
	if (r) {
		wch_err_prefix(err, "%s", path);
	} else {
		if (!res.trusted && !allow_untrusted)
			wch_warn("%s: %s; shown anyway", path,
				 res.sig_key ? "signed by a key that is not trusted"
					     : "not signed");
		r = json ? print_json(stdout, &res, &fl) : print_text(stdout, &res, &fl);
		if (r)
			wch_errf(err, r, "out of memory");
	}
	free(fl.v);
	wch_arena_release(&arena);
	return r;
}

int cmd_info(int argc, char **argv)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_optparse p;
	const char *dirs[64];
	size_t ndirs = 0;
	bool json = false, allow_untrusted = false;
	struct wch_err err;
	int c, i, r;

	wch_opt_init(&p, argc, argv, &help);
	while ((c = wch_opt_next(&p)) != -1) {
		switch (c) {
		case OPT_KEYS:
			if (ndirs == sizeof(dirs) / sizeof(dirs[0])) {
				wch_opt_release(&p);
				return wch_usage_error(&help, "too many --keys-dir options");
			}
			dirs[ndirs++] = p.optarg;
			break;
		case OPT_UNTRUSTED:
			allow_untrusted = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case WCH_OPT_HELP:
			wch_opt_release(&p);
			return WCH_EXIT_OK;
		default:
			wch_opt_release(&p);
			return WCH_EXIT_USAGE;
		}
	}
	i = p.index;
	wch_opt_release(&p);
	if (argc - i != 1)
		return wch_usage_error(&help, "expected one package file");

	wch_err_init(&err);
	r = wch_cmd_load_keys(&kr, dirs, ndirs, &err);
	if (r == 0)
		r = show(argv[i], &kr, allow_untrusted, json, &err);
	wch_keyring_release(&kr);
	if (r)
		return wch_report(&err);
	return wch_finish_stdout();
}
