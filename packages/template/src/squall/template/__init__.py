"""squall.template: a fast, standalone template engine that compiles to Python.

Templates mix text with Python: `{{ expr }}` writes an expression (escaped
by default), `{% ... %}` tags hold control statements, inheritance and
includes. Each template compiles once to a Python function.

Example:
    >>> from squall.template import Template
    >>> Template("<b>{{ name }}</b>").generate(name="<Ada>")
    b'<b>&lt;Ada&gt;</b>'
"""

from ._errors import ParseError as ParseError
from ._errors import TemplateNotFound as TemplateNotFound
from ._escape import json_encode as json_encode
from ._escape import squeeze as squeeze
from ._escape import url_escape as url_escape
from ._escape import xhtml_escape as xhtml_escape
from ._loader import BaseLoader as BaseLoader
from ._loader import DictLoader as DictLoader
from ._loader import Loader as Loader
from ._template import Template as Template
from ._whitespace import filter_whitespace as filter_whitespace

__all__ = [
    "BaseLoader",
    "DictLoader",
    "Loader",
    "ParseError",
    "Template",
    "TemplateNotFound",
    "filter_whitespace",
    "json_encode",
    "squeeze",
    "url_escape",
    "xhtml_escape",
]
