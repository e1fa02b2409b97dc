/* Keeps the library non-empty while its modules are being written. */
int wch_fs_dummy_symbol;
