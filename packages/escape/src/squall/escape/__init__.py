"""squall.escape: HTML, URL and JSON escaping and string helpers.

Everything here is a pure function of its arguments: no state, no I/O, and no
dependency beyond the standard library.
"""

from ._html import xhtml_escape as xhtml_escape
from ._html import xhtml_unescape as xhtml_unescape
from ._url import url_escape as url_escape
from ._url import url_unescape as url_unescape
from ._url import parse_qs_bytes as parse_qs_bytes
from ._json import json_encode as json_encode
from ._json import json_decode as json_decode
from ._linkify import linkify as linkify
from ._text import squeeze as squeeze
from ._text import utf8 as utf8
from ._text import to_unicode as to_unicode
from ._text import native_str as native_str
from ._text import to_basestring as to_basestring
from ._text import _unicode as _unicode
from ._text import recursive_unicode as recursive_unicode

__all__ = [
    "json_decode",
    "json_encode",
    "linkify",
    "native_str",
    "parse_qs_bytes",
    "recursive_unicode",
    "squeeze",
    "to_basestring",
    "to_unicode",
    "url_escape",
    "url_unescape",
    "utf8",
    "xhtml_escape",
    "xhtml_unescape",
]
