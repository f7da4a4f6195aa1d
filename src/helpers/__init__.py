"""Early Help performance reporting: shared helpers for the notebooks and the batch.

Modules, in the order data flows through them:

- ``config``: category lists, targets and editions from ``config/``.
- ``extract``: read and validate a case-level extract (CSV folder or Excel workbook).
- ``metrics``: the metric definitions (open at a date, opened/closed in a month, time open...).
- ``sections``: one function per dashboard table, returning tidy frames.
- ``reference``: public reference data (IMD 2015, LSOA boundaries).
- ``synthetic``: the calibrated synthetic extract.
- ``batch``: the monthly Papermill batch.
"""

__version__ = "0.1.0"
