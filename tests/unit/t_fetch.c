/*
 * HTTP fetching and the cache against a real local server (python3's
 * http.server in a small handler written by this test): redirects, 404
 * naming the URL, retry after a failing first reply, netrc credentials
 * (the password never shows up in messages), conditional requests (304),
 * repository loading over http, cache hit, refetch of a corrupted cached
 * package, --offline with and without the cache.
 */
#include "crypto/key.h"
#include "repo/cache.h"
#include "repo/fetch.h"
#include "repo/repo.h"
#include "util/io.h"
#include "wt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char server_py[] =
    "import http.server, sys, os, base64\n"
    "root = sys.argv[1]\n"
    "hits = {}\n"
    "class H(http.server.SimpleHTTPRequestHandler):\n"
    "    def __init__(self, *a, **k):\n"
    "        super().__init__(*a, directory=root, **k)\n"
    "    def log_message(self, *a):\n"
    "        with open(os.path.join(root, 'log'), 'a') as f:\n"
    "            f.write(self.command + ' ' + self.path + ' ' +\n"
    "                    str(self.headers.get('If-None-Match')) + '\\n')\n"
    "    def small(self, code, body=b'', hdrs=()):\n"
    "        self.send_response(code)\n"
    "        for k, v in hdrs: self.send_header(k, v)\n"
    "        self.send_header('Content-Length', str(len(body)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "    def do_GET(self):\n"
    "        p = self.path\n"
    "        hits[p] = hits.get(p, 0) + 1\n"
    "        if p == '/etag':\n"
    "            if self.headers.get('If-None-Match') == '\"v1\"':\n"
    "                return self.small(304)\n"
    "            return self.small(200, b'etag body', [('ETag', '\"v1\"')])\n"
    "        if p == '/redirect':\n"
    "            return self.small(302, b'', [('Location', '/etag')])\n"
    "        if p == '/flaky':\n"
    "            if hits[p] == 1: return self.small(503, b'busy')\n"
    "            return self.small(200, b'second time')\n"
    "        if p == '/down':\n"
    "            return self.small(503, b'busy')\n"
    "        if p.startswith('/private/'):\n"
    "            want = 'Basic ' + base64.b64encode(b'alice:s3cr3tpw').decode()\n"
    "            if self.headers.get('Authorization') != want:\n"
    "                return self.small(401, b'no', [('WWW-Authenticate', 'Basic realm=\"x\"')])\n"
    "            self.path = p[len('/private'):]\n"
    "        return super().do_GET()\n"
    "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "with open(os.path.join(root, 'port.tmp'), 'w') as f: f.write(str(s.server_port))\n"
    "os.rename(os.path.join(root, 'port.tmp'), os.path.join(root, 'port'))\n"
    "s.serve_forever()\n";

static pid_t server_pid = -1;
static int server_port;
static char root[4096];

static void stop_server(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
}

/* Starts the server over a fresh folder; false (test skipped) without
 * python3. */
static bool start_server(void)
{
	char script[8192], portf[8192], link[8192];
	FILE *f;
	int i;

	if (server_pid > 0)
		return true;
	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		wt_skip("needs python3");
		return false;
	}
	snprintf(root, sizeof(root), "%s/www", wt_tmpdir());
	mkdir(root, 0755);
	snprintf(script, sizeof(script), "%s/server.py", wt_tmpdir());
	f = fopen(script, "w");
	if (!f)
		return false;
	fputs(server_py, f);
	fclose(f);
	/* A repository: www/repo/x86_64 -> the 3.19.1 ISO set (SOURCES.md). */
	snprintf(link, sizeof(link), "%s/repo", root);
	mkdir(link, 0755);
	snprintf(link, sizeof(link), "%s/repo/x86_64", root);
	if (symlink(wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot"), link) != 0)
		return false;
	server_pid = fork();
	if (server_pid == 0) {
		execlp("python3", "python3", script, root, (char *)NULL);
		_exit(127);
	}
	atexit(stop_server);
	snprintf(portf, sizeof(portf), "%s/port", root);
	for (i = 0; i < 200; i++) {
		f = fopen(portf, "r");
		if (f) {
			if (fscanf(f, "%d", &server_port) != 1)
				server_port = 0;
			fclose(f);
			return server_port > 0;
		}
		usleep(50000);
	}
	return false;
}

static char *url(const char *path)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "http://127.0.0.1:%d%s", server_port, path);
	return buf;
}

static int new_fetch(struct wch_fetch **f)
{
	struct wch_fetch_opts o;

	wch_fetch_opts_default(&o);
	o.backoff_ms = 50;
	o.connect_timeout = 5;
	o.netrc = true;
	return wch_fetch_new(f, &o, NULL);
}

static int outdir(void)
{
	return open(wt_tmpdir(), O_RDONLY | O_DIRECTORY);
}

static void t_conditional_and_redirect(void)
{
	struct wch_fetch *f;
	struct wch_fetch_validators v = {NULL, NULL};
	struct wch_buf b = WCH_BUF_INIT;
	struct wch_err e;
	int dfd;

	if (!start_server())
		return;
	wch_err_init(&e);
	WT_OK(new_fetch(&f));
	dfd = outdir();
	WT_OK(wch_fetch_file(f, url("/redirect"), dfd, "out1", &v, &e));
	WT_STREQ(v.etag, "\"v1\"");
	WT_OK(wch_read_file_at(dfd, "out1", &b, 1024, &e));
	WT_STREQ(b.p, "etag body");
	/* Revalidation: 304 leaves the file alone. */
	WT_OK(unlinkat(dfd, "out1", 0) == 0 ? 0 : -1);
	WT_EQ(wch_fetch_file(f, url("/etag"), dfd, "out1", &v, &e), WCH_FETCH_NOT_MODIFIED);
	WT_TRUE(faccessat(dfd, "out1", F_OK, 0) != 0);
	wch_buf_release(&b);
	wch_fetch_validators_release(&v);
	wch_fetch_free(f);
	close(dfd);
}

static void t_404_and_retry(void)
{
	struct wch_fetch *f;
	struct wch_buf b = WCH_BUF_INIT;
	struct wch_err e;
	int dfd;

	if (!start_server())
		return;
	wch_err_init(&e);
	WT_OK(new_fetch(&f));
	dfd = outdir();
	WT_EQ(wch_fetch_file(f, url("/nothing-here.apk"), dfd, "o404", NULL, &e), -WCH_E_NOT_FOUND);
	WT_TRUE(strstr(e.msg, url("/nothing-here.apk")) != NULL);
	WT_TRUE(strstr(e.msg, "404") != NULL);
	WT_TRUE(faccessat(dfd, "o404", F_OK, 0) != 0);
	/* 503 then 200: retried. */
	WT_OK(wch_fetch_file(f, url("/flaky"), dfd, "oflaky", NULL, &e));
	WT_OK(wch_read_file_at(dfd, "oflaky", &b, 1024, &e));
	WT_STREQ(b.p, "second time");
	/* Always 503: gives up after the retries, naming the URL. */
	WT_EQ(wch_fetch_file(f, url("/down"), dfd, "odown", NULL, &e), -WCH_E_NETWORK);
	WT_TRUE(strstr(e.msg, "503") != NULL && strstr(e.msg, "/down") != NULL);
	{
		char logp[8192];
		char cmd[16384];
		FILE *p;
		int n = 0;
		snprintf(logp, sizeof(logp), "%s/log", root);
		snprintf(cmd, sizeof(cmd), "grep -c 'GET /down ' '%s'", logp);
		p = popen(cmd, "r");
		WT_TRUE(p && fscanf(p, "%d", &n) == 1);
		pclose(p);
		WT_EQ(n, 4); /* 1 + 3 retries */
	}
	wch_buf_release(&b);
	wch_fetch_free(f);
	close(dfd);
}

static void t_netrc_credentials_never_printed(void)
{
	struct wch_fetch *f;
	struct wch_err e;
	char netrc[4096];
	FILE *n;
	int dfd;

	if (!start_server())
		return;
	wch_err_init(&e);
	dfd = outdir();
	WT_OK(new_fetch(&f));
	/* Without credentials: 401, message without secrets. */
	WT_EQ(wch_fetch_file(f, url("/private/repo/x86_64/APKINDEX.tar.gz"), dfd, "p0", NULL, &e),
	      -WCH_E_NETWORK);
	WT_TRUE(strstr(e.msg, "401") != NULL);
	/* Credentials in the URL: work, and a failure message hides them. */
	{
		char u[512];
		snprintf(u, sizeof(u),
			 "http://alice:s3cr3tpw@127.0.0.1:%d/private/repo/x86_64/"
			 "APKINDEX.tar.gz",
			 server_port);
		WT_OK(wch_fetch_file(f, u, dfd, "p1", NULL, &e));
		snprintf(u, sizeof(u), "http://alice:s3cr3tpw@127.0.0.1:%d/private/nope",
			 server_port);
		WT_EQ(wch_fetch_file(f, u, dfd, "p2", NULL, &e), -WCH_E_NOT_FOUND);
		WT_TRUE(strstr(e.msg, "s3cr3tpw") == NULL);
		WT_TRUE(strstr(e.msg, "alice") == NULL);
		WT_TRUE(strstr(e.msg, "/private/nope") != NULL);
	}
	/* ~/.netrc via $NETRC. */
	snprintf(netrc, sizeof(netrc), "%s/netrc", wt_tmpdir());
	n = fopen(netrc, "w");
	WT_TRUE(n != NULL);
	fprintf(n, "machine 127.0.0.1 login alice password s3cr3tpw\n");
	fclose(n);
	setenv("NETRC", netrc, 1);
	WT_OK(wch_fetch_file(f, url("/private/repo/x86_64/APKINDEX.tar.gz"), dfd, "p3", NULL, &e));
	unsetenv("NETRC");
	wch_fetch_free(f);
	close(dfd);
}

static void t_repo_over_http_with_cache(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_repos rs;
	struct wch_buf path = WCH_BUF_INIT;
	struct wch_err e;
	char cache[4096], logp[8192], cmd[16384];
	const struct wch_pkg *musl = NULL;
	size_t i;

	if (!start_server())
		return;
	wch_err_init(&e);
	snprintf(cache, sizeof(cache), "%s/cache", wt_tmpdir());
	snprintf(logp, sizeof(logp), "%s/log", root);
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), &e));

	/* Offline with an empty cache: says which index is missing. */
	wch_repos_init(&rs);
	rs.keys = &kr;
	rs.offline = true;
	WT_OK(wch_repos_set_cache_dir(&rs, cache));
	WT_OK(wch_repos_add(&rs, url("/repo"), NULL, &e));
	WT_EQ(wch_repos_load(&rs, &e), -WCH_E_NOT_FOUND);
	WT_TRUE(strstr(e.msg, "offline") && strstr(e.msg, url("/repo")));
	wch_repos_release(&rs);

	/* Online: index fetched into the cache under apk's name. */
	wch_repos_init(&rs);
	rs.keys = &kr;
	WT_OK(wch_repos_set_cache_dir(&rs, cache));
	WT_OK(wch_repos_add(&rs, url("/repo"), NULL, &e));
	WT_OK(wch_repos_load(&rs, &e));
	WT_EQ(rs.npkgs, 100);
	WT_TRUE(rs.v[0].trusted);
	for (i = 0; i < rs.npkgs; i++)
		if (strcmp(rs.pkgs[i]->name, "musl") == 0)
			musl = rs.pkgs[i];
	WT_TRUE(musl != NULL);
	WT_OK(wch_repos_fetch_pkg(&rs, musl, &path, &e));
	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", path.p,
		 wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot/"
			    "musl-1.2.4_git20230717-r4.apk"));
	WT_EQ(system(cmd), 0);
	/* Second fetch is a cache hit: no new GET of the apk. */
	snprintf(cmd, sizeof(cmd), "grep -c 'GET /repo/x86_64/musl-' '%s'", logp);
	{
		FILE *p = popen(cmd, "r");
		int n1 = 0, n2 = 0;
		WT_TRUE(p && fscanf(p, "%d", &n1) == 1);
		pclose(p);
		wch_buf_reset(&path);
		WT_OK(wch_repos_fetch_pkg(&rs, musl, &path, &e));
		p = popen(cmd, "r");
		WT_TRUE(p && fscanf(p, "%d", &n2) == 1);
		pclose(p);
		WT_EQ(n1, 1);
		WT_EQ(n2, 1);
		/* Corrupt the cached file: it is refetched, never used. */
		{
			int fd = open(path.p, O_WRONLY);
			WT_TRUE(fd >= 0);
			WT_EQ(pwrite(fd, "XXXX", 4, 200), 4);
			close(fd);
		}
		wch_buf_reset(&path);
		WT_OK(wch_repos_fetch_pkg(&rs, musl, &path, &e));
		p = popen(cmd, "r");
		WT_TRUE(p && fscanf(p, "%d", &n2) == 1);
		pclose(p);
		WT_EQ(n2, 2);
	}
	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", path.p,
		 wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot/"
			    "musl-1.2.4_git20230717-r4.apk"));
	WT_EQ(system(cmd), 0);
	wch_repos_release(&rs);

	/* Reload: conditional request. python's http.server answers 304 to
	 * If-Modified-Since; the index is still loaded from the cache. */
	wch_repos_init(&rs);
	rs.keys = &kr;
	WT_OK(wch_repos_set_cache_dir(&rs, cache));
	WT_OK(wch_repos_add(&rs, url("/repo"), NULL, &e));
	WT_OK(wch_repos_load(&rs, &e));
	WT_EQ(rs.npkgs, 100);
	wch_repos_release(&rs);

	/* Offline with the cache: index and musl available, busybox not. */
	wch_repos_init(&rs);
	rs.keys = &kr;
	rs.offline = true;
	WT_OK(wch_repos_set_cache_dir(&rs, cache));
	WT_OK(wch_repos_add(&rs, url("/repo"), NULL, &e));
	WT_OK(wch_repos_load(&rs, &e));
	for (i = 0; i < rs.npkgs; i++) {
		const struct wch_pkg *p = rs.pkgs[i];
		wch_buf_reset(&path);
		if (strcmp(p->name, "musl") == 0)
			WT_OK(wch_repos_fetch_pkg(&rs, p, &path, &e));
		if (strcmp(p->name, "busybox") == 0) {
			WT_EQ(wch_repos_fetch_pkg(&rs, p, &path, &e), -WCH_E_NOT_FOUND);
			WT_TRUE(strstr(e.msg, "busybox-") && strstr(e.msg, "offline"));
		}
	}
	wch_repos_release(&rs);
	wch_buf_release(&path);
	wch_keyring_release(&kr);
}

WT_MAIN(WT(t_conditional_and_redirect), WT(t_404_and_retry), WT(t_netrc_credentials_never_printed),
	WT(t_repo_over_http_with_cache))
