"""What students wrote reaches the instructor's and their own browser as HTML that cannot run.

Formgrader and the feedback pages render notebooks with nbconvert's HTMLExporter, in the
instructor's Jupyter origin (where a script could use the Jupyter API as the instructor). With
``HTMLExporter.sanitize_html`` (autograder/nbgrader_config.py) nbconvert leaves JavaScript
outputs and widgets out and passes markdown, HTML, markdown and SVG outputs through its
``clean_html`` filter. This module's ``clean_html`` takes that filter's place
(``HTMLExporter.filters``): the same bleach cleaner with an allow-list wide enough for what the
lessons show (headings, paragraphs, lists, code, pandas tables, images) and nothing that runs:
no script, style, iframe, object, form or SVG element, no event handler or style attribute, no
link other than http, https, mailto or within the page, and images only from the page's own
server or embedded as PNG, JPEG or GIF data.
"""
import re

import bleach
from bleach.css_sanitizer import CSSSanitizer
from jinja2 import pass_context
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "ol", "p", "pre", "s", "samp", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
})
ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "table": {"border"},
    "ol": {"start"},
}
IMAGE_DATA = ("data:image/png;", "data:image/jpeg;", "data:image/gif;")
# whole elements whose text means nothing as text (pandas tables carry a <style> block)
DROPPED = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)


def _allowed(tag, name, value):
    if name not in ATTRIBUTES["*"] | ATTRIBUTES.get(tag, set()):
        return False
    value = value.strip().lower()
    if name == "href":
        return value.startswith(("http://", "https://", "mailto:", "#"))
    if name == "src":  # the page's own server (relative), or embedded image data
        return value.startswith(IMAGE_DATA) or ("://" not in value and ":" not in value.split("/")[0]
                                                and not value.startswith("//"))
    return True


@pass_context
def markdown2html(context, source):
    """nbconvert's markdown2html (math kept for MathJax, attachments embedded), cleaned."""
    cell = context.get("cell", {})
    path = context.get("resources", {}).get("metadata", {}).get("path", "")
    renderer = IPythonRenderer(escape=False, attachments=cell.get("attachments", {}), path=path)
    return clean_html(MarkdownWithMath(renderer=renderer).render(source))


def clean_html(element):
    """``element`` (HTML text) with everything that could run left out: script and style
    elements go, other tags not allowed show as text, attributes not allowed are dropped."""
    text = element.decode() if isinstance(element, bytes) else str(element)
    return bleach.clean(DROPPED.sub("", text), tags=TAGS, attributes=_allowed,
                        protocols={"http", "https", "mailto", "data"},
                        css_sanitizer=CSSSanitizer(allowed_css_properties=()),
                        strip_comments=True)
