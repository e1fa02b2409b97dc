/*
 * Interruption: SIGINT, SIGTERM and SIGHUP set a flag instead of killing
 * the process, so a command that builds something under a temporary name
 * can stop at its next check, remove what it wrote, and then die of the
 * same signal (wch_signals_reraise) so its caller sees the usual status.
 */
#ifndef WCH_UTIL_INTERRUPT_H
#define WCH_UTIL_INTERRUPT_H

#include <stdbool.h>

#include "util/err.h"

/* Installs the handlers (SA_RESTART: slow calls are not cut short). */
void wch_signals_catch(void);
/* The signal caught so far, or 0. Async-signal-safe to read anywhere. */
int wch_signal_caught(void);
/* 0, or -EINTR with "interrupted by SIGxxx" in err once a signal came. */
int wch_check_interrupt(struct wch_err *err);
/* Drops a caught signal: the work it would have stopped is complete (a
 * new root renamed into place), so the command finishes normally. */
void wch_signals_forget(void);
/* If a signal was caught: restores its default action and raises it
 * (does not return). Otherwise does nothing. */
void wch_signals_reraise(void);

#endif
