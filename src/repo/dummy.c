/* Keeps the library non-empty while its modules are being written. */
int wch_repo_dummy_symbol;
