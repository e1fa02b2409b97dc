/*
 * Private glue between the files of src/repo (not for other modules).
 */
#ifndef WCH_REPO_INTERNAL_H
#define WCH_REPO_INTERNAL_H

/* Frees what index.c keeps in wch_repos.identities: the identity table used
 * while merging and the inflated index texts the packages point into. */
void wch_repo_identities_free(void *t);

#endif
