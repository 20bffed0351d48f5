/*
 * page_search.h - the search page's own cache of results (page_search.c)
 */
#ifndef QUIRE_PAGE_SEARCH_H
#define QUIRE_PAGE_SEARCH_H

/* Drops every page of results this worker keeps: called wherever the
 * L1 is invalidated (any change of the content). */
void page_search_forget(void);

#endif
