/*
 * witchery keygen: create an RSA signing key pair like `abuild-keygen -n`
 * (apk-format §11.1): <id>-<hex unix time>.rsa (PKCS#8 PEM, 0600) and
 * .rsa.pub (SubjectPublicKeyInfo PEM, 0644) in ~/.abuild (or --dir), and
 * with -a the PACKAGER_PRIVKEY line in the user's abuild.conf, so that
 * buildapk and abuild find the key (wch_default_privkey).
 *
 * A key is never overwritten: a second run within the same second (same
 * name) fails with "already exists" rather than inventing another name, so
 * the file name always says when the key was made.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "crypto/key.h"
#include "util/buf.h"
#include "util/io.h"

#define DEFAULT_BITS 4096
#define MIN_BITS     1024
#define MAX_BITS     16384
#define ID_MAX	     200

enum {
	OPT_APPEND = 'a',
	OPT_NONINTERACTIVE = 'n',
	OPT_BITS = 'b',
	OPT_NUMBITS = 256,
	OPT_DIR,
	OPT_NAME,
};

static const struct wch_opt opts[] = {
    {"append", 'a', NULL, OPT_APPEND,
     "add PACKAGER_PRIVKEY=\"<key>\" to the user's abuild.conf ($ABUILD_USERDIR or ~/.abuild)"},
    {NULL, 'n', NULL, OPT_NONINTERACTIVE, "non-interactive (always so; as abuild-keygen -n)"},
    {"bits", 'b', "BITS", OPT_BITS, "key size, 1024..16384 (default 4096)"},
    {"numbits", 0, "BITS", OPT_NUMBITS, "same as --bits (abuild-keygen's name)"},
    {"dir", 0, "DIR", OPT_DIR, "key folder (default $ABUILD_USERDIR, else ~/.abuild)"},
    {"name", 0, "ID", OPT_NAME, "key name prefix (default: e-mail of $PACKAGER, git, $USER)"},
    {0},
};

static const struct wch_cmd_help help = {
    "witchery keygen [-a] [-n] [-b BITS] [--dir DIR] [--name ID]",
    "Creates an RSA key pair for signing packages and indexes, like\n"
    "'abuild-keygen -n': DIR/ID-HEX.rsa (private, PKCS#8 PEM, mode 0600) and\n"
    "DIR/ID-HEX.rsa.pub (public, mode 0644), where HEX is the current Unix time\n"
    "in hex and ID the e-mail in PACKAGER (\"Name <email>\"; environment, else\n"
    "abuild.conf), else 'git config user.email', else $USER. Copy the .pub file\n"
    "to /etc/apk/keys of the systems that should trust it. Existing files are\n"
    "never overwritten.\n"
    "Prints the paths of the files written, one per line.",
    opts,
};

/* A name that is safe as one file name component. */
static bool id_ok(const char *id)
{
	const unsigned char *p;

	if (!id[0] || id[0] == '.' || strlen(id) > ID_MAX)
		return false;
	for (p = (const unsigned char *)id; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* abuild-keygen: an address counts only if it contains '@'. */
static bool email_ok(const char *s)
{
	return s && strchr(s, '@') && id_ok(s);
}

/* The e-mail inside "Name <email>" (abuild: ${PACKAGER##*<} then %%>*),
 * PACKAGER taken from the environment or abuild.conf as abuild does. */
static char *packager_email(void)
{
	char *p = wch_abuild_conf_get("PACKAGER", NULL), *lt, *gt, *email;

	if (!p || !*p) {
		free(p);
		return NULL;
	}
	lt = strrchr(p, '<');
	lt = lt ? lt + 1 : p;
	gt = strchr(lt, '>');
	email = strndup(lt, gt ? (size_t)(gt - lt) : strlen(lt));
	free(p);
	return email;
}

static char *git_email(void)
{
	char line[ID_MAX + 2] = "";
	FILE *f = popen("git config --get user.email 2>/dev/null", "r");

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	if (pclose(f) != 0)
		return NULL;
	line[strcspn(line, "\n")] = 0;
	return line[0] ? strdup(line) : NULL;
}

static char *default_id(void)
{
	char *id = packager_email();
	const char *user;

	if (email_ok(id))
		return id;
	free(id);
	id = git_email();
	if (email_ok(id))
		return id;
	free(id);
	user = getenv("USER");
	return strdup(user && id_ok(user) ? user : "witchery");
}

/* The key folder, created 0700 if missing (only the last component, as a
 * missing parent is more likely a typo), returned as an absolute path so
 * that what -a records works from anywhere. */
static char *key_dir(const char *opt_dir, struct wch_err *err)
{
	struct wch_buf b = WCH_BUF_INIT;
	const char *env = getenv("ABUILD_USERDIR"), *home = getenv("HOME");
	struct stat st;
	char *abs;

	if (opt_dir)
		wch_buf_addstr(&b, opt_dir);
	else if (env && *env)
		wch_buf_addstr(&b, env);
	else if (home && *home)
		wch_buf_addf(&b, "%s/.abuild", home);
	else {
		wch_errf(err, -WCH_E_NOT_FOUND, "HOME is not set; use --dir DIR");
		return NULL;
	}
	if (!b.p) {
		wch_errf(err, -ENOMEM, "out of memory");
		return NULL;
	}
	if (mkdir(b.p, 0700) < 0 && errno != EEXIST) {
		wch_err_sys(err, errno, "cannot create '%s'", b.p);
		wch_buf_release(&b);
		return NULL;
	}
	abs = realpath(b.p, NULL);
	if (!abs)
		wch_err_sys(err, errno, "cannot use key folder '%s'", b.p);
	else if (stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		wch_err_sys(err, ENOTDIR, "cannot use key folder '%s'", b.p);
		free(abs);
		abs = NULL;
	}
	wch_buf_release(&b);
	return abs;
}

/* Appends PACKAGER_PRIVKEY="<path>" as abuild-keygen -a does (`>>`): one
 * write(2) on an O_APPEND descriptor, so the line lands whole and the
 * file's other settings, mode and owner stay untouched. A failed write
 * (full disk) is cut off again, and a file this call created is removed,
 * so abuild.conf never keeps half a line. */
static int append_conf(const char *conf, const char *privpath, struct wch_err *err)
{
	struct wch_buf line = WCH_BUF_INIT;
	struct stat st;
	const char *p;
	char last = '\n';
	bool created = true;
	int fd, r = 0;

	if (strchr(privpath, '\n'))
		return wch_errf(err, -EINVAL, "cannot record '%s' in abuild.conf", privpath);
	fd = open(conf, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0 && errno == EEXIST) {
		created = false;
		fd = open(conf, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0)
		return wch_err_sys(err, errno, "cannot open '%s'", conf);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = wch_errf(err, -EINVAL, "'%s' is not a regular file", conf);
		goto out;
	}
	if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
		last = '\n';
	r = last == '\n' ? 0 : wch_buf_addch(&line, '\n');
	r = r ? r : wch_buf_addstr(&line, "PACKAGER_PRIVKEY=\"");
	for (p = privpath; !r && *p; p++) {
		if (strchr("\"\\$`", *p))
			r = wch_buf_addch(&line, '\\');
		r = r ? r : wch_buf_addch(&line, *p);
	}
	r = r ? r : wch_buf_addstr(&line, "\"\n");
	if (r) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = wch_fd_write_all(fd, line.p, line.len);
	if (r) {
		r = wch_err_sys(err, -r, "cannot write '%s'", conf);
		if (!created && ftruncate(fd, st.st_size) < 0)
			wch_err_prefix(err, "'%s' may end in a partial line", conf);
	}
out:
	if (close(fd) < 0 && !r)
		r = wch_err_sys(err, errno, "cannot write '%s'", conf);
	if (r && created)
		unlink(conf);
	wch_buf_release(&line);
	return r;
}

int cmd_keygen(int argc, char **argv)
{
	struct wch_optparse op;
	struct wch_buf priv = WCH_BUF_INIT, conf = WCH_BUF_INIT;
	struct wch_err err;
	const char *opt_dir = NULL, *opt_name = NULL;
	unsigned long bits = DEFAULT_BITS;
	bool append = false;
	char *dir = NULL, *confdir = NULL, *id = NULL;
	int c, rc = WCH_EXIT_FAIL;

	wch_err_init(&err);
	wch_opt_init(&op, argc, argv, &help);
	while ((c = wch_opt_next(&op)) != -1) {
		switch (c) {
		case OPT_APPEND:
			append = true;
			break;
		case OPT_NONINTERACTIVE:
			break;
		case OPT_BITS:
		case OPT_NUMBITS:
			if (!wch_parse_ulong(op.optarg, &bits) || bits < MIN_BITS ||
			    bits > MAX_BITS) {
				rc = wch_usage_error(&help, "bits must be %d..%d, not '%s'",
						     MIN_BITS, MAX_BITS, op.optarg);
				goto out;
			}
			break;
		case OPT_DIR:
			opt_dir = op.optarg;
			break;
		case OPT_NAME:
			if (!id_ok(op.optarg)) {
				rc = wch_usage_error(&help, "invalid key name '%s'", op.optarg);
				goto out;
			}
			opt_name = op.optarg;
			break;
		case WCH_OPT_HELP:
			rc = WCH_EXIT_OK;
			goto out;
		default:
			rc = WCH_EXIT_USAGE;
			goto out;
		}
	}
	if (op.index < argc) {
		rc = wch_usage_error(&help, "unexpected argument '%s'", argv[op.index]);
		goto out;
	}

	id = opt_name ? strdup(opt_name) : default_id();
	if (!id) {
		wch_errf(&err, -ENOMEM, "out of memory");
		rc = wch_report(&err);
		goto out;
	}
	dir = key_dir(opt_dir, &err);
	if (!dir) {
		rc = wch_report(&err);
		goto out;
	}
	/* abuild-keygen: printf %x $(date +%s) */
	/* -a records the key where the default-key lookup (and abuild) reads
	 * it: the user's abuild.conf, wherever --dir put the key itself. */
	if (append && opt_dir) {
		confdir = key_dir(NULL, &err);
		if (!confdir) {
			rc = wch_report(&err);
			goto out;
		}
	}
	if (wch_buf_addf(&priv, "%s/%s-%lx.rsa", dir, id, (unsigned long)time(NULL)) ||
	    wch_buf_addf(&conf, "%s/abuild.conf", confdir ? confdir : dir)) {
		wch_errf(&err, -ENOMEM, "out of memory");
		rc = wch_report(&err);
		goto out;
	}
	if (wch_keygen_rsa(priv.p, (unsigned)bits, &err)) {
		wch_err_prefix(&err, "cannot create a key pair");
		rc = wch_report(&err);
		goto out;
	}
	if (append && append_conf(conf.p, priv.p, &err)) {
		/* Nothing points at the new pair: take it back, so a retry does
		 * not leave unused keys behind. */
		unlink(priv.p);
		if (wch_buf_addstr(&priv, ".pub") == 0)
			unlink(priv.p);
		rc = wch_report(&err);
		goto out;
	}
	/* Only now that everything is in place. */
	printf("%s\n%s.pub\n", priv.p, priv.p);
	if (append)
		printf("%s\n", conf.p);
	rc = wch_finish_stdout();
out:
	wch_opt_release(&op);
	wch_buf_release(&priv);
	wch_buf_release(&conf);
	free(dir);
	free(confdir);
	free(id);
	return rc;
}
