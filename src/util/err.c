#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void wch_err_init(struct wch_err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = 0;
}

static const char *const wch_messages[] = {
    [WCH_E_FORMAT - WCH_E_BASE] = "malformed input",
    [WCH_E_INTEGRITY - WCH_E_BASE] = "checksum mismatch",
    [WCH_E_SIG_INVALID - WCH_E_BASE] = "bad signature",
    [WCH_E_SIG_UNTRUSTED - WCH_E_BASE] = "untrusted signature (no trusted key)",
    [WCH_E_TOO_BIG - WCH_E_BASE] = "input too large",
    [WCH_E_UNSAFE_PATH - WCH_E_BASE] = "unsafe path",
    [WCH_E_USAGE - WCH_E_BASE] = "invalid usage",
    [WCH_E_NOT_FOUND - WCH_E_BASE] = "not found",
    [WCH_E_CONFLICT - WCH_E_BASE] = "conflict",
    [WCH_E_UNSATISFIABLE - WCH_E_BASE] = "unsatisfiable",
    [WCH_E_NETWORK - WCH_E_BASE] = "network error",
    [WCH_E_UNSUPPORTED - WCH_E_BASE] = "unsupported",
};

const char *wch_strerror(int code)
{
	if (code < 0)
		code = -code;
	if (code > WCH_E_BASE && code < WCH_E_MAX)
		return wch_messages[code - WCH_E_BASE];
	if (code == 0)
		return "success";
	return strerror(code);
}

int wch_errf(struct wch_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	if (!fmt) {
		snprintf(e->msg, sizeof(e->msg), "%s", wch_strerror(code));
		return code;
	}
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int wch_err_sys(struct wch_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (errnum < 0)
		errnum = -errnum;
	if (!e)
		return -errnum;
	e->code = -errnum;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	return -errnum;
}

int wch_err_prefix(struct wch_err *e, const char *fmt, ...)
{
	char old[WCH_ERR_MSG_MAX];
	va_list ap;
	size_t n;

	if (!e)
		return -1;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	if (old[0])
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", old);
	else if (e->code)
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", wch_strerror(e->code));
	return e->code;
}
