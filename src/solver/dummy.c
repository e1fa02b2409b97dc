/* Keeps the library non-empty while its modules are being written. */
int wch_solver_dummy_symbol;
