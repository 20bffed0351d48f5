/*
 * import_hugo.h - `quirectl import hugo SITE --out DIR`: a Hugo site's
 * folder into a content folder
 */
#ifndef QUIRE_IMPORT_HUGO_H
#define QUIRE_IMPORT_HUGO_H

#include "import/import.h"
#include "lib/quire.h"

/*
 * Imports the Hugo site in im->src into the content folder im->out
 * (doc/DESIGN.md §3, "Importing a site"): hugo.toml, config.toml or
 * config.yaml into site.yaml; the pages of content/'s sections into
 * posts/ (each with its slug, date and old URL as an alias), those at
 * content/'s root into pages/; static/ and the resources of page
 * bundles into static/. Returns QUIRE_OK (problems reported are counted
 * in im->reported), or the error that stopped it (reported).
 */
enum quire_err import_hugo(struct import *im);

#endif
