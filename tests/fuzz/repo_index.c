/*
 * Fuzz target: repository index loader (src/repo/repo.h
 * wch_repos_load_index_mem with allow_untrusted): gunzip of all members,
 * tar walk, signature bookkeeping and APKINDEX parsing in one go.
 */
#include <string.h>

#include "fuzz.h"
#include "repo/repo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wch_repos rs;
	struct wch_err err;
	size_t i;

	wch_err_init(&err);
	wch_repos_init(&rs);
	rs.allow_untrusted = true;
	rs.offline = true;
	if (wch_repos_add(&rs, "/nonexistent/fuzz-repo", NULL, &err) == 0 &&
	    wch_repos_load_index_mem(&rs, 0, data, size, &err) == 0) {
		FUZZ_CHECK(!rs.v[0].trusted);
		for (i = 0; i < rs.npkgs; i++)
			FUZZ_CHECK(rs.pkgs[i]->name && rs.pkgs[i]->version &&
				   rs.pkgs[i]->repo == 0);
	}
	wch_repos_release(&rs);
	return 0;
}
