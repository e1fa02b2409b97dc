/*
 * Multi-member gunzip and the parallel gzip writer, cross-checked with GNU
 * gzip on the real Alpine fixtures.
 */
#include "archive/gunzip.h"
#include "archive/gzip.h"
#include "util/buf.h"
#include "util/io.h"
#include "wt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_MEMBERS 16

/* Records what the gunzip callbacks see. */
struct rec {
	struct wch_buf bytes;		/* concatenated member bytes */
	size_t member_len[MAX_MEMBERS]; /* compressed length per member */
	uint64_t out_at[MAX_MEMBERS];	/* decompressed bytes returned before boundary k */
	int boundaries, ends, fail_at;
	uint64_t out_so_far;
	bool order_bad; /* an event after the end event */
};

static void rec_bytes(void *ctx, const void *p, size_t n)
{
	struct rec *r = ctx;

	if (r->ends)
		r->order_bad = true;
	wch_buf_add(&r->bytes, p, n);
	if (r->boundaries < MAX_MEMBERS)
		r->member_len[r->boundaries] += n;
}

static int rec_boundary(void *ctx, bool end, struct wch_err *err)
{
	struct rec *r = ctx;

	if (r->ends)
		r->order_bad = true;
	if (r->boundaries < MAX_MEMBERS)
		r->out_at[r->boundaries] = r->out_so_far;
	r->boundaries++;
	r->ends += end;
	if (r->fail_at && r->boundaries == r->fail_at)
		return wch_errf(err, -WCH_E_INTEGRITY, "callback says no");
	return 0;
}

/* Gunzips p[0..n) fully, streaming (mem false) or in memory mode; returns
 * the final read code (0 at clean end). */
static int gunzip_mode(bool mem, const void *p, size_t n, struct rec *r, uint64_t max_out,
		       struct wch_buf *out, struct wch_err *err)
{
	struct wch_mem_reader m;
	struct wch_gunzip_cb cb = {rec_bytes, rec_boundary, r};
	struct wch_gunzip *g;
	char buf[70000];
	ssize_t got;
	int rc = mem ? wch_gunzip_new_mem(&g, p, n, &cb, max_out, err)
		     : wch_gunzip_new(&g, wch_reader_mem(&m, p, n), &cb, max_out, err);

	if (rc < 0)
		return rc;
	struct wch_reader rd = wch_gunzip_reader(g);
	while ((got = wch_read(&rd, buf, sizeof(buf), err)) > 0) {
		r->out_so_far += (uint64_t)got;
		if (out)
			wch_buf_add(out, buf, (size_t)got);
	}
	wch_gunzip_free(g);
	return (int)got;
}

static bool mem_mode; /* which mode gunzip_all() tests */

static int gunzip_all(const void *p, size_t n, struct rec *r, uint64_t max_out, struct wch_buf *out,
		      struct wch_err *err)
{
	return gunzip_mode(mem_mode, p, n, r, max_out, out, err);
}

/* Runs a shell command and captures its stdout. */
static int run_capture(const char *cmd, struct wch_buf *out)
{
	FILE *f = popen(cmd, "r");
	char buf[65536];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		wch_buf_add(out, buf, n);
	return pclose(f) == 0 ? 0 : -1;
}

static int write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int r;

	if (fd < 0)
		return -1;
	r = wch_fd_write_all(fd, p, n);
	close(fd);
	return r;
}

static int load(const char *path, struct wch_buf *b)
{
	return wch_read_file_at(AT_FDCWD, path, b, 64u << 20, NULL);
}

static void t_gunzip_every_fixture_apk(void)
{
	struct wch_buf list = WCH_BUF_INIT, cmd = WCH_BUF_INIT;
	char *line, *save = NULL;
	int files = 0, cross_checked = 0;

	wch_buf_addf(&cmd, "find '%s' -name '*.apk' | LC_ALL=C sort", wt_fixture("alpine/apks"));
	WT_OK(run_capture(cmd.p, &list));
	for (line = strtok_r(list.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct wch_buf file = WCH_BUF_INIT, ref = WCH_BUF_INIT, out = WCH_BUF_INIT;
		struct rec r = {0};
		struct wch_err err;
		int k, m;

		WT_OK(load(line, &file));
		WT_OK(gunzip_all(file.p, file.len, &r, 0, NULL, &err));
		m = r.boundaries;
		/* signed: sig + control + data; a few fixtures are unsigned */
		if (m != 3 && m != 2)
			wt_fail(__FILE__, __LINE__, "%s: %d members", line, m);
		WT_TRUE(m == 3 || m == 2);
		WT_EQ(r.ends, 1);
		WT_TRUE(!r.order_bad);
		WT_EQ(r.bytes.len, file.len);
		WT_MEMEQ(r.bytes.p, file.p, file.len);
		wch_buf_reset(&cmd);
		wch_buf_addf(&cmd, "gzip -dc '%s' | wc -c", line);
		WT_OK(run_capture(cmd.p, &ref));
		WT_EQ(r.out_so_far, strtoull(ref.p, NULL, 10));
		/* For some files, decompress each member on its own with GNU
		 * gzip: its size must be what we returned between boundaries. */
		if (files % 25 == 0) {
			size_t off = 0;
			char tmp[4096];
			for (k = 0; k < m; k++) {
				snprintf(tmp, sizeof(tmp), "%s/member", wt_tmpdir());
				WT_OK(write_file(tmp, file.p + off, r.member_len[k]));
				off += r.member_len[k];
				wch_buf_reset(&cmd);
				wch_buf_reset(&ref);
				wch_buf_addf(&cmd, "gzip -dc '%s' | wc -c", tmp);
				WT_OK(run_capture(cmd.p, &ref));
				uint64_t before = k ? r.out_at[k - 1] : 0;
				WT_EQ(r.out_at[k] - before, strtoull(ref.p, NULL, 10));
			}
			cross_checked++;
		}
		wch_buf_release(&file);
		wch_buf_release(&ref);
		wch_buf_release(&out);
		wch_buf_release(&r.bytes);
		files++;
	}
	WT_TRUE(files >= 290);
	WT_TRUE(cross_checked >= 10);
	wch_buf_release(&list);
	wch_buf_release(&cmd);
}

static const char *sample_apk(void)
{
	return wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot/busybox-1.36.1-r15.apk");
}

static void t_gunzip_truncated(void)
{
	struct wch_buf file = WCH_BUF_INIT;
	size_t cuts[8];
	int i;

	WT_OK(load(sample_apk(), &file));
	cuts[0] = 1, cuts[1] = 10, cuts[2] = 300, cuts[3] = file.len / 2;
	cuts[4] = file.len - 9, cuts[5] = file.len - 4, cuts[6] = file.len - 1, cuts[7] = 0;
	for (i = 0; i < 8; i++) {
		struct rec r = {0};
		struct wch_err err;
		int rc = gunzip_all(file.p, cuts[i], &r, 0, NULL, &err);
		WT_TRUE(rc < 0);
		WT_EQ(r.ends, 0);
		wch_buf_release(&r.bytes);
	}
	wch_buf_release(&file);
}

static void t_gunzip_corrupt_and_garbage(void)
{
	struct wch_buf file = WCH_BUF_INIT;
	struct wch_err err;
	struct rec r = {0};
	size_t data_start, i;

	WT_OK(load(sample_apk(), &file));
	WT_OK(gunzip_all(file.p, file.len, &r, 0, NULL, &err));
	data_start = r.member_len[0] + r.member_len[1];
	wch_buf_release(&r.bytes);
	/* Flip bytes inside the data member's deflate body and its trailer:
	 * every flip must be caught (bad code, CRC or length), never crash. */
	for (i = 0; i < 40; i++) {
		size_t pos = data_start + 10 + (file.len - data_start - 10) * i / 40;
		struct rec r2 = {0};
		file.p[pos] ^= 0x5a;
		int rc = gunzip_all(file.p, file.len, &r2, 0, NULL, &err);
		file.p[pos] ^= 0x5a;
		if (rc >= 0)
			wt_fail(__FILE__, __LINE__, "flip at %zu not detected", pos);
		WT_TRUE(rc < 0);
		WT_EQ(r2.ends, 0);
		wch_buf_release(&r2.bytes);
	}
	/* The trailer CRC in particular. */
	{
		struct rec r3 = {0};
		file.p[file.len - 6] ^= 1;
		WT_EQ(gunzip_all(file.p, file.len, &r3, 0, NULL, &err), -WCH_E_FORMAT);
		WT_TRUE(strstr(err.msg, "check") != NULL);
		file.p[file.len - 6] ^= 1;
		wch_buf_release(&r3.bytes);
	}
	/* Trailing garbage, also a lone 0x1f and trailing zeros. */
	const char *tails[] = {"garbage", "\x1f", "\0\0\0\0"};
	size_t tail_len[] = {7, 1, 4};
	for (i = 0; i < 3; i++) {
		struct rec r4 = {0};
		size_t n = file.len;
		WT_OK(wch_buf_add(&file, tails[i], tail_len[i]));
		WT_EQ(gunzip_all(file.p, file.len, &r4, 0, NULL, &err), -WCH_E_FORMAT);
		WT_TRUE(strstr(err.msg, "trailing garbage") != NULL);
		WT_EQ(r4.ends, 0);
		file.len = n;
		wch_buf_release(&r4.bytes);
	}
	wch_buf_release(&file);
}

static void t_gunzip_bad_inputs_and_caps(void)
{
	struct wch_buf file = WCH_BUF_INIT;
	struct wch_err err;
	struct rec r = {0};

	WT_EQ(gunzip_all("", 0, &r, 0, NULL, &err), -WCH_E_FORMAT);
	WT_TRUE(strstr(err.msg, "empty") != NULL);
	WT_EQ(gunzip_all("hello world", 11, &r, 0, NULL, &err), -WCH_E_FORMAT);
	WT_TRUE(strstr(err.msg, "not in gzip format") != NULL);
	WT_EQ(r.boundaries, 0);

	WT_OK(load(sample_apk(), &file));
	struct rec r2 = {0};
	WT_EQ(gunzip_all(file.p, file.len, &r2, 1000, NULL, &err), -WCH_E_TOO_BIG);
	wch_buf_release(&r2.bytes);
	/* A callback error aborts reading with its own code. */
	struct rec r3 = {.fail_at = 2};
	WT_EQ(gunzip_all(file.p, file.len, &r3, 0, NULL, &err), -WCH_E_INTEGRITY);
	WT_EQ(r3.boundaries, 2);
	WT_EQ(r3.ends, 0);
	wch_buf_release(&r3.bytes);
	wch_buf_release(&file);
}

/* The tests above once more in memory mode. */
static void t_gunzip_mem_mode_same_tests(void)
{
	mem_mode = true;
	t_gunzip_truncated();
	if (!wt_failed_now)
		t_gunzip_corrupt_and_garbage();
	if (!wt_failed_now)
		t_gunzip_bad_inputs_and_caps();
	mem_mode = false;
}

/* Equal; or, when reading failed, one a prefix of the other: how much of
 * the member in which the error lies was returned first depends on how the
 * input happened to be split (the streaming mode reads 128 KiB at a time),
 * and a consumer drops it all anyway. */
static bool same_or_prefix(const struct wch_buf *a, const struct wch_buf *b, bool failed)
{
	size_t n = a->len < b->len ? a->len : b->len;

	if (!failed && a->len != b->len)
		return false;
	return n == 0 || memcmp(a->p, b->p, n) == 0;
}

/* Runs both modes over the same input; they must agree on everything a
 * consumer can see: the return code and message, the bytes returned, and
 * every callback (compressed bytes, boundaries and where they fell). */
static int same_in_both_modes(const void *p, size_t n, uint64_t max_out, const char *what)
{
	struct wch_buf o1 = WCH_BUF_INIT, o2 = WCH_BUF_INIT;
	struct rec r1 = {0}, r2 = {0};
	struct wch_err e1, e2;
	int c1, c2, bad = 0;

	wch_err_init(&e1);
	wch_err_init(&e2);
	c1 = gunzip_mode(false, p, n, &r1, max_out, &o1, &e1);
	c2 = gunzip_mode(true, p, n, &r2, max_out, &o2, &e2);
	if (c1 != c2 || (c1 < 0 && strcmp(e1.msg, e2.msg) != 0))
		bad = 1;
	else if (!same_or_prefix(&o1, &o2, c1 < 0))
		bad = 2;
	else if (!same_or_prefix(&r1.bytes, &r2.bytes, c1 < 0))
		bad = 3;
	else if (r1.boundaries != r2.boundaries || r1.ends != r2.ends ||
		 memcmp(r1.out_at, r2.out_at, sizeof(r1.out_at)))
		bad = 4;
	if (bad)
		wt_fail(__FILE__, __LINE__, "%s: modes differ (%d): stream %d '%s', mem %d '%s'",
			what, bad, c1, e1.msg, c2, e2.msg);
	wch_buf_release(&o1);
	wch_buf_release(&o2);
	wch_buf_release(&r1.bytes);
	wch_buf_release(&r2.bytes);
	return bad;
}

static void t_gunzip_mem_mode_equals_streaming(void)
{
	struct wch_buf list = WCH_BUF_INIT, cmd = WCH_BUF_INIT;
	char *line, *save = NULL, what[4200];
	int files = 0;

	wch_buf_addf(&cmd, "find '%s' '%s' -name '*.apk' -o -name '*.tar.gz' | LC_ALL=C sort",
		     wt_fixture("alpine/apks"), wt_fixture("alpine/indexes"));
	WT_OK(run_capture(cmd.p, &list));
	for (line = strtok_r(list.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct wch_buf file = WCH_BUF_INIT;
		size_t i;

		WT_OK(load(line, &file));
		WT_OK(same_in_both_modes(file.p, file.len, 0, line));
		/* Every 20th package: flips spread over the file, cuts, a cap. */
		if (files++ % 20 == 0 && file.len < (1u << 20)) {
			for (i = 0; i < 24; i++) {
				size_t pos = (file.len - 1) * i / 23;
				file.p[pos] ^= 0x21;
				snprintf(what, sizeof(what), "%s flipped at %zu", line, pos);
				int b = same_in_both_modes(file.p, file.len, 0, what);
				file.p[pos] ^= 0x21;
				WT_OK(b);
				snprintf(what, sizeof(what), "%s cut at %zu", line, pos);
				WT_OK(same_in_both_modes(file.p, pos, 0, what));
			}
			WT_OK(same_in_both_modes(file.p, file.len, file.len, line));
		}
		wch_buf_release(&file);
	}
	WT_TRUE(files >= 290);
	wch_buf_release(&list);
	wch_buf_release(&cmd);
}

/* Header CRC (FHCRC): libdeflate skips it, so memory mode must hand such a
 * member to zlib, which checks it. */
static void t_gunzip_mem_mode_header_crc(void)
{
	/* gzip of "hi\n" with FHCRC set and a correct header CRC (python's
	 * zlib.crc32 of the 10 header bytes, low 16 bits). */
	unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x02, 0,    0,	  0,	0,    0,
			      0x03, 0,	  0,	0xcb, 0xc8, 0xe4, 0x02, 0x00, 0x7a,
			      0x7a, 0x6f, 0xed, 0x03, 0,    0,	  0};
	unsigned crc = (unsigned)crc32(0, gz, 10);
	struct wch_buf out = WCH_BUF_INIT;
	struct wch_err err;
	struct rec r = {0};

	gz[10] = (unsigned char)crc;
	gz[11] = (unsigned char)(crc >> 8);
	WT_OK(same_in_both_modes(gz, sizeof(gz), 0, "FHCRC ok"));
	WT_OK(gunzip_mode(true, gz, sizeof(gz), &r, 0, &out, &err));
	WT_EQ(out.len, 3);
	WT_MEMEQ(out.p, "hi\n", 3);
	gz[10] ^= 1;
	WT_OK(same_in_both_modes(gz, sizeof(gz), 0, "FHCRC bad"));
	wch_buf_release(&r.bytes);
	r = (struct rec){0};
	WT_TRUE(gunzip_mode(true, gz, sizeof(gz), &r, 0, NULL, &err) < 0);
	wch_buf_release(&r.bytes);
	wch_buf_release(&out);
}

/* ---- gzip writer ---- */

static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

/* ~10 MiB of real text: the v3.19 main + community APKINDEX. */
static int load_text(struct wch_buf *text)
{
	struct wch_buf cmd = WCH_BUF_INIT;
	int r;

	wch_buf_addf(&cmd, "for f in '%s'/*.tar.gz; do tar -xzOf \"$f\" APKINDEX; done",
		     wt_fixture("alpine/indexes/v3.19-x86_64-apk-cache"));
	r = run_capture(cmd.p, text);
	wch_buf_release(&cmd);
	return r;
}

static int gzip_with(const void *p, size_t n, int level, int threads, size_t chunk,
		     struct wch_buf *out)
{
	struct wch_gzip *g;
	struct wch_err err;
	int r = wch_gzip_new(&g, wch_writer_buf(out), level, threads, &err);
	size_t off = 0;

	if (r < 0)
		return r;
	struct wch_writer w = wch_gzip_writer(g);
	while (r == 0 && off < n) {
		size_t k = n - off < chunk ? n - off : chunk;
		r = wch_write(&w, (const char *)p + off, k, &err);
		off += k;
	}
	if (r == 0 && wch_gzip_in_bytes(g) != n)
		r = -1;
	if (r == 0)
		r = wch_gzip_finish(g, &err);
	wch_gzip_free(g);
	return r;
}

/* gzip -t accepts it and gzip -dc gives back exactly the input. */
static int check_with_gnu_gzip(const struct wch_buf *gz, const void *p, size_t n)
{
	char path[4096], cmd[8300];
	struct wch_buf back = WCH_BUF_INIT;
	int r = -1;

	snprintf(path, sizeof(path), "%s/x.gz", wt_tmpdir());
	if (write_file(path, gz->p, gz->len))
		return -1;
	snprintf(cmd, sizeof(cmd), "gzip -t '%s' && gzip -dc '%s'", path, path);
	if (run_capture(cmd, &back) == 0 && back.len == n && (!n || !memcmp(back.p, p, n)))
		r = 0;
	wch_buf_release(&back);
	return r;
}

static void t_gzip_roundtrip_thread_independent(void)
{
	size_t big = 10u << 20, sizes[] = {0, 1, 131072, 131073, 0};
	unsigned char *rnd = malloc(big);
	struct wch_buf text = WCH_BUF_INIT;
	int i, t;

	WT_TRUE(rnd);
	fill_random(rnd, big, 0x9e3779b97f4a7c15ULL);
	WT_OK(load_text(&text));
	WT_TRUE(text.len > (8u << 20));
	sizes[4] = big;
	for (i = 0; i < 6; i++) {
		const void *p = i < 5 ? (const void *)rnd : (const void *)text.p;
		size_t n = i < 5 ? sizes[i] : text.len;
		struct wch_buf ref = WCH_BUF_INIT;
		int threads[] = {1, 2, 4, 0};

		WT_OK(gzip_with(p, n, 6, 1, 1 << 20, &ref));
		/* header: 1f 8b 08 00, mtime 0, XFL 0 (level 6), OS 3 */
		WT_MEMEQ(ref.p, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
		WT_OK(check_with_gnu_gzip(&ref, p, n));
		for (t = 1; t < 4; t++) {
			struct wch_buf o = WCH_BUF_INIT;
			/* odd write sizes must not matter either */
			WT_OK(gzip_with(p, n, 6, threads[t], 4093 * (size_t)t, &o));
			WT_EQ(o.len, ref.len);
			WT_MEMEQ(o.p, ref.p, ref.len);
			wch_buf_release(&o);
		}
		/* and our own reader agrees */
		struct rec r = {0};
		struct wch_buf back = WCH_BUF_INIT;
		struct wch_err err;
		WT_OK(gunzip_all(ref.p, ref.len, &r, 0, &back, &err));
		WT_EQ(r.boundaries, 1);
		WT_EQ(back.len, n);
		WT_TRUE(n == 0 || memcmp(back.p, p, n) == 0);
		wch_buf_release(&back);
		wch_buf_release(&r.bytes);
		wch_buf_release(&ref);
	}
	free(rnd);
	wch_buf_release(&text);
}

static void t_gzip_ratio_close_to_gzip_9(void)
{
	struct wch_buf text = WCH_BUF_INIT, ours = WCH_BUF_INIT, theirs = WCH_BUF_INIT;
	char path[4096], cmd[8300];

	WT_OK(load_text(&text));
	WT_OK(gzip_with(text.p, text.len, 9, 2, 1 << 16, &ours));
	WT_EQ((unsigned char)ours.p[8], 2); /* XFL for level 9, as gzip -9 */
	snprintf(path, sizeof(path), "%s/t.txt", wt_tmpdir());
	WT_OK(write_file(path, text.p, text.len));
	snprintf(cmd, sizeof(cmd), "gzip -9 -n -c '%s'", path);
	WT_OK(run_capture(cmd, &theirs));
	/* Same header bytes as gzip -9 -n. */
	WT_MEMEQ(ours.p, theirs.p, 10);
	printf("text %zu bytes: ours -9 %zu, gzip -9 %zu (%.2f%%)\n", text.len, ours.len,
	       theirs.len, 100.0 * (double)ours.len / (double)theirs.len - 100.0);
	WT_TRUE(ours.len * 100 <= theirs.len * 102);
	WT_OK(check_with_gnu_gzip(&ours, text.p, text.len));
	wch_buf_release(&text);
	wch_buf_release(&ours);
	wch_buf_release(&theirs);
}

static void t_gzip_buffer_and_levels(void)
{
	struct wch_buf out = WCH_BUF_INIT;
	const char *msg = "hello, hello, hello, witchery\n";

	WT_OK(wch_buf_addstr(&out, "prefix"));
	WT_OK(wch_gzip_buffer(msg, strlen(msg), 1, &out, NULL));
	WT_TRUE(memcmp(out.p, "prefix", 6) == 0);
	WT_EQ((unsigned char)out.p[6 + 8], 4); /* XFL 4 for level 1 */
	struct wch_buf gz = WCH_BUF_INIT;
	WT_OK(wch_buf_add(&gz, out.p + 6, out.len - 6));
	WT_OK(check_with_gnu_gzip(&gz, msg, strlen(msg)));
	WT_EQ(wch_gzip_buffer(msg, 1, 0, &out, NULL), -EINVAL);
	WT_EQ(wch_gzip_buffer(msg, 1, 10, &out, NULL), -EINVAL);
	wch_buf_release(&out);
	wch_buf_release(&gz);
}

static int failing_write(void *ctx, const void *p, size_t n, struct wch_err *err)
{
	int *budget = ctx;

	(void)p;
	if ((size_t)*budget < n)
		return wch_errf(err, -ENOSPC, "disk full");
	*budget -= (int)n;
	return 0;
}

static void t_gzip_write_error_is_reported(void)
{
	size_t n = 3u << 20;
	unsigned char *rnd = malloc(n);
	int budget = 100000, t;

	WT_TRUE(rnd);
	fill_random(rnd, n, 42);
	for (t = 1; t <= 4; t *= 2) {
		struct wch_writer w = {failing_write, &budget};
		struct wch_gzip *g;
		struct wch_err err;
		int r;

		budget = 100000;
		WT_OK(wch_gzip_new(&g, w, 6, t, &err));
		struct wch_writer gw = wch_gzip_writer(g);
		r = wch_write(&gw, rnd, n, &err);
		if (r == 0)
			r = wch_gzip_finish(g, &err);
		WT_EQ(r, -ENOSPC);
		/* sticky */
		WT_EQ(wch_gzip_finish(g, &err), -ENOSPC);
		wch_gzip_free(g);
	}
	free(rnd);
}

WT_MAIN(WT(t_gunzip_every_fixture_apk), WT(t_gunzip_truncated), WT(t_gunzip_corrupt_and_garbage),
	WT(t_gunzip_mem_mode_same_tests), WT(t_gunzip_mem_mode_equals_streaming),
	WT(t_gunzip_mem_mode_header_crc), WT(t_gunzip_bad_inputs_and_caps),
	WT(t_gzip_roundtrip_thread_independent), WT(t_gzip_ratio_close_to_gzip_9),
	WT(t_gzip_buffer_and_levels), WT(t_gzip_write_error_is_reported))
