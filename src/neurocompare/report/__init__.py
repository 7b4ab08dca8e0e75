"""The HTML report: figures and tables over the results and the statistics.

:mod:`.build` assembles the report; :mod:`.comparison`, :mod:`.data_efficiency` and
:mod:`.interpretability` give the values and figures of their sections; :mod:`.context`
holds what they share (figure folder, dataset records); :mod:`.rendering` is the one
autoescaping jinja2 environment over ``templates/`` (``base.html``, ``report.html`` and one
partial per section).
"""
