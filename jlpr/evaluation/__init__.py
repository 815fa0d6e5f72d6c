"""Measure how well a reader reads a labelled folder: ``jlpr eval`` and :func:`evaluate`.

:mod:`jlpr.evaluation.metrics` holds the pure metric functions, :mod:`jlpr.evaluation.runner`
reads ``labels.csv``, runs the reader and formats the report.
"""
