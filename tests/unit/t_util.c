#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/io.h"
#include "wt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

static void t_buf_add(void)
{
	struct wch_buf b = WCH_BUF_INIT;
	int i;

	for (i = 0; i < 1000; i++)
		WT_OK(wch_buf_addf(&b, "%d,", i));
	WT_EQ(b.p[b.len], 0);
	WT_TRUE(strncmp(b.p, "0,1,2,", 6) == 0);
	WT_TRUE(strstr(b.p, ",999,") != NULL);
	wch_buf_reset(&b);
	WT_EQ(b.len, 0);
	WT_OK(wch_buf_add(&b, "a\0b", 3));
	WT_EQ(b.len, 3);
	WT_EQ(b.p[1], 0);
	wch_buf_release(&b);
	WT_TRUE(b.p == NULL);
}

static void t_err_prefix(void)
{
	struct wch_err e;

	wch_err_init(&e);
	WT_EQ(wch_err_sys(&e, ENOENT, "cannot open '%s'", "x"), -ENOENT);
	WT_EQ(wch_err_prefix(&e, "package %s", "p"), -ENOENT);
	WT_STREQ(e.msg, "package p: cannot open 'x': No such file or directory");
	WT_EQ(wch_errf(&e, -WCH_E_INTEGRITY, NULL), -WCH_E_INTEGRITY);
	WT_STREQ(e.msg, "checksum mismatch");
	WT_STREQ(wch_strerror(-WCH_E_SIG_UNTRUSTED), "untrusted signature (no trusted key)");
	/* A NULL error pointer is allowed everywhere. */
	WT_EQ(wch_errf(NULL, -5, "x"), -5);
}

static void t_atomic_commit_and_abort(void)
{
	const char *dir = wt_tmpdir();
	struct wch_atomic a;
	struct wch_buf b = WCH_BUF_INIT;
	struct wch_writer w;
	struct stat st;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	WT_TRUE(dfd >= 0);
	WT_OK(wch_atomic_open(&a, dfd, "out.txt", 0640, NULL));
	w = wch_atomic_writer(&a);
	WT_OK(wch_write(&w, "hello", 5, NULL));
	/* Nothing under the final name before commit. */
	WT_TRUE(fstatat(dfd, "out.txt", &st, 0) < 0);
	WT_OK(wch_atomic_commit(&a, NULL));
	WT_OK(fstatat(dfd, "out.txt", &st, 0));
	WT_EQ(st.st_mode & 07777, 0640);
	WT_OK(wch_read_file_at(dfd, "out.txt", &b, 100, NULL));
	WT_STREQ(b.p, "hello");
	wch_buf_reset(&b);
	WT_EQ(wch_read_file_at(dfd, "out.txt", &b, 3, NULL), -WCH_E_TOO_BIG);

	WT_OK(wch_atomic_open(&a, dfd, "gone.txt", 0644, NULL));
	w = wch_atomic_writer(&a);
	WT_OK(wch_write(&w, "x", 1, NULL));
	wch_atomic_abort(&a);
	WT_TRUE(fstatat(dfd, "gone.txt", &st, 0) < 0);
	{
		/* Only out.txt remains in the folder. */
		int n = 0;
		DIR *d = fdopendir(dup(dfd));
		struct dirent *de;
		WT_TRUE(d != NULL);
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' || strncmp(de->d_name, ".gone", 5) == 0)
				n++;
		closedir(d);
		WT_EQ(n, 1);
	}
	wch_buf_release(&b);
	close(dfd);
}

static void t_mem_reader(void)
{
	struct wch_mem_reader m;
	struct wch_reader r = wch_reader_mem(&m, "abcdef", 6);
	char buf[8] = {0};
	struct wch_err e;

	WT_OK(wch_read_full(&r, buf, 4, NULL));
	WT_STREQ(buf, "abcd");
	wch_err_init(&e);
	WT_EQ(wch_read_full(&r, buf, 4, &e), -WCH_E_FORMAT);
	WT_STREQ(e.msg, "unexpected end of data");
}

static void t_arena(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	char *big, *s;
	int i;

	for (i = 0; i < 100000; i++) {
		s = wch_arena_strdup(&a, "name-1.2.3-r0");
		WT_TRUE(s != NULL);
		WT_EQ(((uintptr_t)s) & 15, 0);
	}
	WT_STREQ(s, "name-1.2.3-r0");
	big = wch_arena_alloc(&a, 1 << 20);
	WT_TRUE(big != NULL);
	WT_EQ(big[0] | big[(1 << 20) - 1], 0);
	s = wch_arena_strndup(&a, "abcdef", 3);
	WT_STREQ(s, "abc");
	wch_arena_release(&a);
	WT_TRUE(a.head == NULL);
}

WT_MAIN(WT(t_arena), WT(t_buf_add), WT(t_err_prefix), WT(t_atomic_commit_and_abort),
	WT(t_mem_reader))
