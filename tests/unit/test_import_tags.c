/*
 * test_import_tags.c - the template tags real posts contain, turned into
 * Markdown; every other one reported with its line and left as text
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "import/import_tags.h"
#include "lib/buf.h"
#include "lib/log.h"

static const char *resolve(void *arg, const char *target)
{
	static const char *const table[][2] = {
		{ "2016-10-20-Rust-1.12.1", "/2016/10/20/Rust-1.12.1.html" },
		{ "_posts/2016-10-20-Rust-1.12.1.md", "/2016/10/20/Rust-1.12.1.html" },
		{ "about.md", "/about.html" },
		{ "posts/first.md", "/2020/01/first/" },
		{ "first", "/2020/01/first/" },
	};
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i][0], target) == 0)
			return table[i][1];
	return NULL;
}

static struct import_tags tags;
static struct buf out;

/* in through Jekyll's translation, starting at line 10 of a file. */
static const char *jekyll(const char *in)
{
	memset(&tags, 0, sizeof(tags));
	tags.path = "_posts/x.md";
	tags.site_url = "https://blog.example.org";
	tags.resolve = resolve;
	buf_reset(&out);
	CHECK(import_tags_jekyll(&tags, in, strlen(in), 10, &out) == QUIRE_OK);
	return out.data ? out.data : "";
}

static const char *hugo(const char *in, const char *base)
{
	memset(&tags, 0, sizeof(tags));
	tags.path = "content/posts/x.md";
	tags.base = base;
	tags.resolve = resolve;
	buf_reset(&out);
	CHECK(import_tags_hugo(&tags, in, strlen(in), 10, &out) == QUIRE_OK);
	return out.data ? out.data : "";
}

static void test_jekyll_highlight(void)
{
	CHECK_STR(jekyll("a\n{% highlight ruby %}\nputs 1\n{% endhighlight %}\nb\n"),
		  "a\n```ruby\nputs 1\n```\nb\n");
	CHECK(tags.reported == 0);
	/* whitespace control and linenos; code with ``` gets a longer fence */
	CHECK_STR(jekyll("{%- highlight sh linenos -%}\necho ```x```\n{%- endhighlight -%}"),
		  "````sh\necho ```x```\n````");
	CHECK(tags.reported == 0);
	/* the tag in mid-line: the fence still opens a line */
	CHECK_STR(jekyll("see {% highlight c %}int x;{% endhighlight %} here"),
		  "see \n```c\nint x;\n``` here");
	/* Octopress's codeblock, its language among other words */
	CHECK_STR(jekyll("{% codeblock Hello lang:ruby http://e.org %}\nputs 1\n{% endcodeblock %}\n"),
		  "```ruby\nputs 1\n```\n");
	CHECK_STR(jekyll("{% codeblock %}\nplain\n{% endcodeblock %}"), "```\nplain\n```");
	CHECK(tags.reported == 0);
	/* no end: reported, left */
	CHECK_STR(jekyll("x\n{% highlight c %}\nint x;\n"), "x\n{% highlight c %}\nint x;\n");
	CHECK(tags.reported == 1);
	CHECK(tags.last_line == 11);
}

static void test_jekyll_raw(void)
{
	CHECK_STR(jekyll("{% raw %}{{ x }} and {% if y %}{% endraw %}!"),
		  "{{ x }} and {% if y %}!");
	CHECK(tags.reported == 0);
	CHECK_STR(jekyll("{% raw %}{{ x }}"), "{% raw %}{{ x }}");
	CHECK(tags.reported == 2);  /* the raw, then the {{ x }} after it */
}

static void test_jekyll_site(void)
{
	CHECK_STR(jekyll("![a]({{ site.baseurl }}/images/a.png)"), "![a](/images/a.png)");
	CHECK_STR(jekyll("{{site.url}}{{- site.baseurl -}}/x"), "https://blog.example.org/x");
	CHECK(tags.reported == 0);
	/* Jekyll 3.7's filters for the same */
	CHECK_STR(jekyll("![a]({{ \"/assets/a.png\" | relative_url }})"), "![a](/assets/a.png)");
	CHECK_STR(jekyll("{{ 'feed.xml' | absolute_url }}"), "https://blog.example.org/feed.xml");
	CHECK(tags.reported == 0);
	CHECK_STR(jekyll("{{ \"/a\" | upcase }}"), "{{ \"/a\" | upcase }}");
	CHECK(tags.reported == 1);
}

static void test_jekyll_links(void)
{
	CHECK_STR(jekyll("[r]({% post_url 2016-10-20-Rust-1.12.1 %})"),
		  "[r](/2016/10/20/Rust-1.12.1.html)");
	CHECK_STR(jekyll("[r]({{ site.baseurl }}{% link _posts/2016-10-20-Rust-1.12.1.md %})"),
		  "[r](/2016/10/20/Rust-1.12.1.html)");
	CHECK_STR(jekyll("[a]({% link \"about.md\" %})"), "[a](/about.html)");
	CHECK(tags.reported == 0);
	CHECK_STR(jekyll("one\ntwo {% post_url 2001-01-01-gone %}"),
		  "one\ntwo {% post_url 2001-01-01-gone %}");
	CHECK(tags.reported == 1);
	CHECK(tags.last_line == 11);
}

static void test_jekyll_other(void)
{
	CHECK_STR(jekyll("a\nb\n{% include note.html %}\n{{ page.title | upcase }}\n"),
		  "a\nb\n{% include note.html %}\n{{ page.title | upcase }}\n");
	CHECK(tags.reported == 2);
	CHECK(tags.last_line == 13);
	/* an opener with no closer is text, as Liquid would not have it */
	CHECK_STR(jekyll("a {{ b and {% c"), "a {{ b and {% c");
	CHECK(tags.reported == 0);
	CHECK_STR(jekyll("no tags at all"), "no tags at all");
	CHECK_STR(jekyll(""), "");
}

static void test_hugo_highlight(void)
{
	CHECK_STR(hugo("{{< highlight go \"linenos=table\" >}}\nfmt.Println(1)\n{{< / highlight >}}\n", NULL),
		  "```go\nfmt.Println(1)\n```\n");
	CHECK(tags.reported == 0);
	CHECK_STR(hugo("{{< highlight go >}}\nx\n", NULL), "{{< highlight go >}}\nx\n");
	CHECK(tags.reported == 1);
	CHECK(tags.last_line == 10);
}

static void test_hugo_figure(void)
{
	CHECK_STR(hugo("{{< figure src=\"/img/a.png\" caption=\"A *cat*\" >}}", NULL),
		  "![A \\*cat\\*](</img/a.png>)\n*A \\*cat\\**");
	CHECK_STR(hugo("{{< figure src=\"cat.jpg\" alt=\"Cat\" title=\"T\" >}}", "/posts/x/"),
		  "![Cat](</posts/x/cat.jpg> \"T\")");
	CHECK_STR(hugo("{{< figure src=https://e.org/a.png >}}", "/posts/x/"),
		  "![](<https://e.org/a.png>)");
	CHECK(tags.reported == 0);
}

static void test_hugo_ref(void)
{
	CHECK_STR(hugo("[f]({{< ref \"posts/first.md\" >}})", NULL), "[f](/2020/01/first/)");
	CHECK_STR(hugo("[f]({{< relref \"first#part\" >}})", NULL), "[f](/2020/01/first/#part)");
	CHECK_STR(hugo("[f]({{% ref first %}})", NULL), "[f](/2020/01/first/)");
	CHECK(tags.reported == 0);
	CHECK_STR(hugo("[g]({{< ref \"gone\" >}})", NULL), "[g]({{< ref \"gone\" >}})");
	CHECK(tags.reported == 1);
}

static void test_hugo_other(void)
{
	CHECK_STR(hugo("a\n{{< youtube w7Ft2ymGmfc >}}\n", NULL), "a\n{{< youtube w7Ft2ymGmfc >}}\n");
	CHECK(tags.reported == 1);
	CHECK(tags.last_line == 11);
	/* the escaped form is shown, not run */
	CHECK_STR(hugo("{{</* figure src=\"x\" */>}}", NULL), "{{< figure src=\"x\" >}}");
	CHECK(tags.reported == 0);
	/* Go templates in text are not shortcodes */
	CHECK_STR(hugo("{{ .Title }} {{< x", NULL), "{{ .Title }} {{< x");
	CHECK(tags.reported == 0);
}

int main(void)
{
	/* the reports are the point of some checks: not on the terminal */
	log_set_report("test: ", fopen("/dev/null", "w"));
	buf_init(&out);
	test_jekyll_highlight();
	test_jekyll_raw();
	test_jekyll_site();
	test_jekyll_links();
	test_jekyll_other();
	test_hugo_highlight();
	test_hugo_figure();
	test_hugo_ref();
	test_hugo_other();
	buf_release(&out);
	return check_done("test_import_tags");
}
