"""Markdown written by instructors (problem statements, course texts) as safe HTML.

``render_markdown(text)`` is the one way the API and the web pages turn Markdown into HTML:

1. markdown-it-py, CommonMark plus tables, with raw HTML *off*: ``<script>`` typed in a
   statement shows as text, it never becomes a tag. Link targets go through markdown-it's own
   check (no ``javascript:``, ``vbscript:``, ``file:``, ``data:`` links).
2. Fenced code blocks with a language Pygments knows are highlighted with CSS classes (the
   site's stylesheet colours them; no inline styles); any other block is plain escaped code.
   Table cell alignment becomes an ``align-left|center|right`` class, not a style attribute.
3. nh3 (ammonia) keeps only the tags and attributes Markdown produces, the classes above and
   ``http``, ``https`` and ``mailto`` URLs, whatever the first two steps let through: it is
   the last word, not a second opinion, so a bug upstream still cannot emit a script, an event
   handler, a ``style`` attribute or an iframe.

Links get ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import functools
import html

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

ALIGN_CLASSES = {f"align-{side}" for side in ("left", "center", "right")}
HIGHLIGHT_CLASS = "highlight"

TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "pre", "code",
    "em", "strong", "a", "img", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
#: Removed with their content: nothing of a script or a style sheet shows as text either.
CLEAN_CONTENT_TAGS = {"script", "style"}

_FORMATTER = HtmlFormatter(nowrap=True)


def render_markdown(text: str) -> str:
    """``text`` (Markdown) as sanitised HTML; ``""`` for an empty text."""
    if not text:
        return ""
    return sanitize_html(_markdown().render(text))


def sanitize_html(markup: str) -> str:
    """Only what Markdown produces survives (see the module's docstring), whatever ``markup`` is."""
    return _cleaner().clean(markup)


def _highlight(code: str, language: str, attrs: str) -> str:
    """Every fenced block as a whole ``<pre>``, so markdown-it adds no class of its own (the
    fence's info string is the author's text): highlighted when Pygments knows the language,
    plain escaped code otherwise."""
    try:
        lexer = get_lexer_by_name(language.strip().lower()) if language.strip() else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return f"<pre><code>{html.escape(code)}</code></pre>"
    spans = highlight(code, lexer, _FORMATTER)
    # Lexers are named by their first alias, the one the sanitiser allows as a class.
    language_class = f' class="language-{html.escape(lexer.aliases[0])}"' if lexer.aliases else ""
    return f'<pre class="{HIGHLIGHT_CLASS}"><code{language_class}>{spans}</code></pre>'


def _alignment_as_class(state) -> None:
    """markdown-it writes ``style="text-align:right"`` on aligned cells; use a class instead."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if isinstance(style, str) and style.startswith("text-align:"):
                token.attrSet("class", f"align-{style.removeprefix('text-align:')}")


@functools.cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable("table")
    md.core.ruler.push("alignment_as_class", _alignment_as_class)
    return md


@functools.cache
def _pygments_classes() -> frozenset[str]:
    """Every class Pygments' HTML formatter can write: the standard token types' short names."""
    return frozenset(name for name in STANDARD_TYPES.values() if name)


@functools.cache
def _language_classes() -> frozenset[str]:
    return frozenset(
        f"language-{aliases[0]}" for _name, aliases, _files, _mimes in get_all_lexers() if aliases
    )


@functools.cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        allowed_classes={
            "span": set(_pygments_classes()),
            "pre": {HIGHLIGHT_CLASS},
            "code": set(_language_classes()),
            "th": ALIGN_CLASSES,
            "td": ALIGN_CLASSES,
        },
        strip_comments=True,
    )
