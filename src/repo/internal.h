/*
 * Private glue between the files of src/repo (not for other modules).
 */
#ifndef WCH_REPO_INTERNAL_H
#define WCH_REPO_INTERNAL_H

/* Frees the identity table index.c keeps in wch_repos.identities. */
void wch_repo_identities_free(void *t);

#endif
