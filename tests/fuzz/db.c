/*
 * Fuzz target: installed-database reader (src/apk/db.h
 * wch_db_read_installed), followed by the triggers and world readers on
 * the same bytes, and the writers over whatever was read (the model must
 * always be writable).
 */
#include "apk/db.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wch_db db;
	struct wch_buf out = WCH_BUF_INIT;
	struct wch_err err;
	int r;

	wch_err_init(&err);
	wch_db_init(&db);
	r = wch_db_read_installed(&db, (const char *)data, size, &err);
	if (r == 0) {
		wch_db_read_triggers(&db, (const char *)data, size, &err);
		wch_db_write_installed(&db, &out);
		wch_buf_reset(&out);
		wch_db_write_triggers(&db, &out);
	}
	wch_db_release(&db);

	wch_db_init(&db);
	if (wch_db_read_world(&db, (const char *)data, size, &err) == 0) {
		wch_buf_reset(&out);
		wch_db_write_world(&db, &out);
	}
	wch_db_release(&db);
	wch_buf_release(&out);
	return 0;
}
