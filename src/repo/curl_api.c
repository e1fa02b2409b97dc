/* libcurl through dlopen(); see curl_api.h for why. */
#include "repo/curl_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static struct wch_curl_api api;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool loaded;

/* One symbol into *slot; false (and why set) if missing. */
static bool sym(void *lib, const char *name, void *slot)
{
	void *p = dlsym(lib, name);

	if (!p) {
		snprintf(why, sizeof(why), "%s: no symbol %s", "libcurl", name);
		return false;
	}
	/* POSIX guarantees that a data pointer from dlsym converts to a
	 * function pointer; memcpy says so without a cast warning. */
	memcpy(slot, &p, sizeof(p));
	return true;
}

static void load(void)
{
	static const char *const names[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};
	void *lib = NULL;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !lib; i++)
		lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *e = dlerror();
		snprintf(why, sizeof(why), "%s", e ? e : "libcurl.so.4 not found");
		return;
	}
	if (!sym(lib, "curl_global_init", &api.global_init) ||
	    !sym(lib, "curl_easy_init", &api.easy_init) ||
	    !sym(lib, "curl_easy_cleanup", &api.easy_cleanup) ||
	    !sym(lib, "curl_easy_reset", &api.easy_reset) ||
	    !sym(lib, "curl_easy_setopt", &api.easy_setopt) ||
	    !sym(lib, "curl_easy_getinfo", &api.easy_getinfo) ||
	    !sym(lib, "curl_easy_perform", &api.easy_perform) ||
	    !sym(lib, "curl_easy_strerror", &api.easy_strerror) ||
	    !sym(lib, "curl_slist_append", &api.slist_append) ||
	    !sym(lib, "curl_slist_free_all", &api.slist_free_all))
		return; /* the library stays loaded; it is harmless */
	if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(why, sizeof(why), "curl_global_init failed");
		return;
	}
	loaded = true;
}

const struct wch_curl_api *wch_curl_api(struct wch_err *err)
{
	pthread_once(&once, load);
	if (!loaded) {
		wch_errf(err, -WCH_E_NETWORK, "cannot load libcurl: %s", why);
		return NULL;
	}
	return &api;
}
