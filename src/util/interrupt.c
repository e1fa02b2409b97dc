#include "util/interrupt.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	if (!caught)
		caught = sig;
}

void wch_signals_catch(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;
		/* A signal ignored by whoever started us stays ignored
		 * (nohup, background jobs of a non-interactive shell). */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

int wch_signal_caught(void)
{
	return caught;
}

int wch_check_interrupt(struct wch_err *err)
{
	int sig = caught;

	if (!sig)
		return 0;
	return wch_errf(err, -EINTR, "interrupted by %s",
			sig == SIGINT	 ? "SIGINT"
			: sig == SIGTERM ? "SIGTERM"
					 : "SIGHUP");
}

void wch_signals_forget(void)
{
	caught = 0;
}

void wch_signals_reraise(void)
{
	int sig = caught;

	if (!sig)
		return;
	signal(sig, SIG_DFL);
	raise(sig);
}
