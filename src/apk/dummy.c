/* Keeps the library non-empty while its modules are being written. */
int wch_apk_dummy_symbol;
