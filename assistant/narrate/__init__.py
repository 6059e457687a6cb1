"""Narration: typed results in, words and tables out (plain text, Markdown, HTML).

Pure functions. :func:`narrate_outcome` picks the narrator for a result; each
narrator returns blocks (:mod:`assistant.narrate.blocks`), and every number in them is
formatted by :mod:`assistant.narrate.numbers` from the result's own fields.
"""
