/* Keeps the library non-empty while its modules are being written. */
int wch_archive_dummy_symbol;
