"""``courses.rendering``: instructors' Markdown as safe HTML (statements in the API and pages)."""

from __future__ import annotations

import re

from django.test import SimpleTestCase

from courses.rendering import _markdown, render_markdown, sanitize_html

TAG = re.compile(r"<\s*([a-zA-Z0-9]+)([^>]*)>")


def tags_of(markup: str) -> list[tuple[str, str]]:
    """``(tag name, attribute text)`` of every opening tag."""
    return [(name.lower(), attrs) for name, attrs in TAG.findall(markup)]


class MarkdownRenderingTestCase(SimpleTestCase):
    def test_commonmark_becomes_html(self):
        out = render_markdown("# Sum\n\nReturn *a* + **b**.\n\n1. one\n2. two\n\n> quoted\n")
        self.assertIn("<h1>Sum</h1>", out)
        self.assertIn("<em>a</em>", out)
        self.assertIn("<strong>b</strong>", out)
        self.assertIn("<ol>\n<li>one</li>", out)
        self.assertIn("<blockquote>", out)

    def test_an_empty_text_is_empty(self):
        self.assertEqual(render_markdown(""), "")

    def test_links_and_images_keep_their_safe_attributes(self):
        out = render_markdown(
            '[docs](https://example.com "The docs")\n\n![a cat](https://e.org/c.png)'
        )
        self.assertIn(
            '<a href="https://example.com" title="The docs" rel="noopener noreferrer">docs</a>', out
        )
        self.assertIn('<img src="https://e.org/c.png" alt="a cat">', out)

    def test_tables_render_with_alignment_as_a_class_not_a_style(self):
        out = render_markdown("| n | sum |\n|:--|--:|\n| 1 | 2 |\n")
        self.assertIn("<table>", out)
        self.assertIn('<th class="align-left">n</th>', out)
        self.assertIn('<td class="align-right">2</td>', out)
        self.assertNotIn("style", out)

    def test_fenced_code_is_highlighted_with_classes_and_no_inline_style(self):
        out = render_markdown("```python\ndef solve(a, b):\n    return a < b\n```\n")
        self.assertIn('<pre class="highlight"><code class="language-python">', out)
        self.assertIn('<span class="k">def</span>', out)
        self.assertIn('<span class="nf">solve</span>', out)
        self.assertIn("&lt;", out)  # the code's own "<", escaped
        self.assertNotIn("style=", out)

    def test_highlighting_of_every_platform_language_survives_the_sanitiser(self):
        """Every class Pygments writes for these languages is one the sanitiser allows."""
        samples = {
            "python": 'import sys\n@dec\nclass A(B):\n    """Doc."""\n    x: int = 0x1F  # c\n',
            "c": '#include <stdio.h>\nint main(void) { printf("%d\\n", 1 << 2); return 0; }\n',
            "cpp": "#include <vector>\ntemplate <class T> auto f(T t) -> T { return t; }\n",
            "java": "public class Main { public static void main(String[] a) { int x = 'c'; } }\n",
            "javascript": "const f = async (x) => `t ${x}` ?? /re+/g; // c\n",
        }
        for language, code in samples.items():
            with self.subTest(language=language):
                markdown = f"```{language}\n{code}```\n"
                raw = _markdown().render(markdown)
                self.assertIn('<span class="', raw)
                self.assertEqual(render_markdown(markdown), raw)

    def test_an_unknown_or_missing_language_is_plain_escaped_code(self):
        for fence in ("```nosuchlanguage", "```", '```"onmouseover=alert(1)'):
            with self.subTest(fence=fence):
                out = render_markdown(f"{fence}\n<b>bold</b> & co\n```\n")
                plain = "<pre><code>&lt;b&gt;bold&lt;/b&gt; &amp; co\n</code></pre>\n"
                self.assertEqual(out, plain)


class MarkdownSanitisingTestCase(SimpleTestCase):
    """Raw HTML never passes: typed into Markdown it is text; given to the sanitiser it goes."""

    def assertNoTag(self, out: str, name: str):
        self.assertNotIn(name, [tag for tag, _ in tags_of(out)], out)

    def test_scripts_are_text_not_tags(self):
        out = render_markdown("Hi <script>alert(1)</script>\n\n<script>\nalert(2)\n</script>\n")
        self.assertNoTag(out, "script")
        self.assertIn("&lt;script&gt;", out)

    def test_event_handlers_never_reach_a_tag(self):
        out = render_markdown('<img src="x" onerror="alert(1)">\n\n<p onclick="alert(2)">p</p>\n')
        self.assertFalse(any("on" in attrs for _, attrs in tags_of(out)), out)
        self.assertNoTag(out, "img")

    def test_javascript_and_other_dangerous_urls_are_not_links(self):
        for markdown in (
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](java&#x73;cript:alert(1))",
            "<javascript:alert(1)>",
            "[x](vbscript:msgbox(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "![x](data:image/png;base64,iVBORw0KGgo=)",
            "[x]: javascript:alert(1)\n\n[x]",
        ):
            with self.subTest(markdown=markdown):
                out = render_markdown(markdown)
                for _, attrs in tags_of(out):
                    self.assertNotRegex(attrs.lower(), r"(href|src)=\"(javascript|vbscript|data)")

    def test_iframes_are_text(self):
        out = render_markdown('<iframe src="https://evil.example"></iframe>')
        self.assertNoTag(out, "iframe")

    def test_style_attributes_and_tags_are_text(self):
        out = render_markdown('<span style="color:red">x</span>\n\n<style>p{}</style>\n')
        self.assertFalse(any("style" in attrs for _, attrs in tags_of(out)), out)
        self.assertNoTag(out, "style")
        self.assertNoTag(out, "span")

    def test_the_sanitiser_keeps_only_markdown_tags_and_attributes(self):
        markup = (
            "<script>alert(1)</script>"
            '<p onclick="alert(2)" style="color:red" id="x">para</p>'
            '<iframe src="https://evil.example"></iframe>'
            '<a href="javascript:alert(3)">js</a>'
            '<a href="https://ok.example" target="_blank">ok</a>'
            '<img src="https://e.org/c.png" onerror="alert(4)">'
            '<span class="k evil">kw</span>'
            '<code class="language-python other">c</code>'
            "<div><form><input></form>text</div>"
            "<style>p{}</style><!-- comment -->"
        )
        self.assertEqual(
            sanitize_html(markup),
            "<p>para</p>"
            '<a rel="noopener noreferrer">js</a>'
            '<a href="https://ok.example" rel="noopener noreferrer">ok</a>'
            '<img src="https://e.org/c.png">'
            '<span class="k">kw</span>'
            '<code class="language-python">c</code>'
            "text",
        )
