"""Declarative signal rules and the engine that runs them over text.

A rule is data (:class:`Rule`): an id, a family, a title, a severity, a pattern and the
languages it applies to. One module per family holds the rules
(financial, quality, writes, reach, secrets, behaviour). The engine splits a text into
units (logical lines; statements for SQL), runs every rule on every unit and adds the
*correlations* a keyword cannot decide alone: a unit that writes or computes something
named like costs or test limits is evidence that the artifact generates financial data
or controls quality decisions (see :mod:`shadowscan.rules.correlate`).

Import what you use from its module (``rules.engine``, ``rules.patterns``, ``rules.catalogue``):
this package imports nothing itself, so reading the catalogue (the classifier, the reports, a
re-crawl that analyses nothing) does not compile the rule patterns and vocabularies.
"""
