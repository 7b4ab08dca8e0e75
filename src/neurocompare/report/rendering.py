"""The one template environment of the report: jinja2 templates under ``report/templates``.

Every template is an ``.html`` file rendered with autoescape on, so every value a dataset
brings (subject ids, channel, class and pipeline names) is HTML-escaped where it is printed.
Figures are PNG data URIs (base64, which contains nothing to escape) and go through
autoescape like any other value. The only strings marked safe are the sections a caller
hands to :func:`neurocompare.report.build.build_report` already rendered, in
:func:`trusted`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jinja2
from markupsafe import Markup

__all__ = ["ENVIRONMENT", "render", "trusted"]

#: Missing record or manifest fields render as empty text (``ChainableUndefined``): results
#: written by the Python API or by older versions lack some of them.
ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("neurocompare.report", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.ChainableUndefined,
)


def render(template: str, **context: Any) -> str:
    """Render ``templates/<template>`` with ``context`` (autoescaped).

    Parameters
    ----------
    template : str
        File name under ``report/templates``, e.g. ``"report.html"``.
    **context
        Template variables.

    Returns
    -------
    str
        The HTML.
    """
    return ENVIRONMENT.get_template(template).render(**context)


def trusted(fragments: Iterable[str]) -> list[Markup]:
    """Mark already-rendered, already-escaped HTML fragments safe (empty ones dropped).

    This is the single place the report bypasses autoescape; pass it only HTML that a
    template of this environment (or the caller, on its own responsibility) produced.
    """
    return [Markup(fragment) for fragment in fragments if fragment]
