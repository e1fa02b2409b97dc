/* Keeps the library non-empty while its modules are being written. */
int wch_crypto_dummy_symbol;
