"""Early Help performance reporting: shared helpers for the notebooks and the batch.

The modules sit on floors, and each imports only floors below its own (the README's
Architecture section lists every module, what it holds and who may import it;
``tests/test_layers.py`` checks the imports against it):

- floor 0: ``config``, ``formats``, ``period``: settings, formats and rounding, the report period;
- floor 1: ``extract``, ``reference``, ``metrics``, ``disclosure``, ``rag``, ``outputs``,
  ``printed_figures``: data in, definitions, disclosure control, files out;
- floor 2: ``tables``, ``families``, ``geo``: tidy tables and the map's figures;
- floor 3: ``figures``: what each report prints;
- floor 4: ``plotting``: the house style and charts;
- floor 5: ``report``, ``maps``: what a page shows;
- floor 6: ``reconcile``; floor 7: ``batch``.

``helpers.dev`` holds the development tools (synthetic extract, notebook refresh, browser
checks); nothing above imports them. Importing ``helpers`` itself loads nothing but this file.
"""

__version__ = "0.1.0"
