/*
 * import_jekyll.h - `quirectl import jekyll SITE --out DIR`: a Jekyll
 * site's folder into a content folder
 */
#ifndef QUIRE_IMPORT_JEKYLL_H
#define QUIRE_IMPORT_JEKYLL_H

#include "import/import.h"
#include "lib/quire.h"

/*
 * Imports the Jekyll site in im->src into the content folder im->out
 * (doc/DESIGN.md §3, "Importing a site"): _config.yml into site.yaml,
 * _posts/ and _drafts/ into posts/ (each with its slug, date and old
 * URL as an alias), Markdown pages into pages/, every other file not
 * starting with '_' or '.' into static/. Returns QUIRE_OK (problems
 * reported are counted in im->reported), or the error that stopped it
 * (reported).
 */
enum quire_err import_jekyll(struct import *im);

#endif
