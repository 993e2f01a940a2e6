"""Text placed into a reportlab ``Paragraph``.

A Paragraph parses its text as reportlab's mini-markup: ``<img src=...>`` embeds a local
file or fetches a URL, ``<a href>`` adds a link, ``<font>``/``<b>`` restyle, and an
unbalanced tag raises (HTTP 500).  Every value that a user typed (food names, units,
enterprise names, remarks, result texts) goes through :func:`para_text` before it meets a
Paragraph, so it prints exactly as typed.  Markup of our own is added around it.
"""

from __future__ import annotations

from xml.sax.saxutils import escape


def para_text(value: object) -> str:
    """``value`` as Paragraph text: ``& < >`` and quotes escaped, line breaks kept."""
    text = "" if value is None else str(value)
    return escape(text, {'"': "&quot;", "'": "&#39;"}).replace("\n", "<br/>")
