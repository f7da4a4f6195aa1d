"""Development tools: the synthetic extract, notebook refresh, browser checks.

Run from the Makefile and the tests; nothing in the runtime package (``helpers`` outside
``helpers.dev``) imports them, so a report's kernel never loads them.
"""
