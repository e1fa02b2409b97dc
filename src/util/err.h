/*
 * Errors.
 *
 * Library functions return 0 on success or a negative code: -errno for
 * system errors, -WCH_E_* for witchery's own. Where a caller wants a message,
 * it passes a struct wch_err; the function fills it with "why" text and the
 * callers on the way up prepend "what" with wch_err_prefix(), so the command
 * finally prints one line: "witchery: <what>: <why>".
 *
 * Every function taking a struct wch_err * accepts NULL (then only the code
 * is returned). The library never prints and never exits.
 */
#ifndef WCH_UTIL_ERR_H
#define WCH_UTIL_ERR_H

#include <stddef.h>

enum wch_errcode {
	WCH_E_BASE = 1024,
	WCH_E_FORMAT,	     /* malformed input */
	WCH_E_INTEGRITY,     /* a hash does not match */
	WCH_E_SIG_INVALID,   /* signature present but wrong */
	WCH_E_SIG_UNTRUSTED, /* no trusted key for any signature */
	WCH_E_TOO_BIG,	     /* input exceeds a cap */
	WCH_E_UNSAFE_PATH,   /* a path would leave the target root */
	WCH_E_USAGE,	     /* bad command-line usage */
	WCH_E_NOT_FOUND,     /* a requested thing does not exist */
	WCH_E_CONFLICT,	     /* two things claim the same place */
	WCH_E_UNSATISFIABLE, /* no solution for the requested packages */
	WCH_E_NETWORK,	     /* transfer failed */
	WCH_E_UNSUPPORTED,   /* valid input we do not handle */
	WCH_E_MAX
};

#define WCH_ERR_MSG_MAX 2048

struct wch_err {
	int code;
	char msg[WCH_ERR_MSG_MAX];
};

#define WCH_PRINTF(f, a) __attribute__((format(printf, f, a)))

void wch_err_init(struct wch_err *e);

/* Sets the message (printf-style) and code; returns code (negative). */
int wch_errf(struct wch_err *e, int code, const char *fmt, ...) WCH_PRINTF(3, 4);

/* Like wch_errf for a system error: "<fmt>: <strerror(errnum)>", returns
 * -errnum. errnum is a positive errno value. */
int wch_err_sys(struct wch_err *e, int errnum, const char *fmt, ...) WCH_PRINTF(3, 4);

/* Prepends "<fmt>: " to the current message; returns e->code. Use on the
 * way up to add context ("cannot read 'x.apk'"). */
int wch_err_prefix(struct wch_err *e, const char *fmt, ...) WCH_PRINTF(2, 3);

/* Text for a code (negative errno or -WCH_E_*). */
const char *wch_strerror(int code);

#endif
