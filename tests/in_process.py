"""Run a committed notebook in this process, as its kernel would, without starting a kernel.

Papermill starts a kernel per notebook (seconds each); the run matrix runs hundreds of cases.
Here the notebook's cells run in an IPython shell in the test's own process: its parameters cell
is replaced by the values given (as Papermill injects them), every display is captured, and a
failure comes back as the exception it raised, so a test can tell a sentence (a
:class:`helpers.config.SentenceError`) from a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from helpers.config import PROJECT_ROOT

NOTEBOOKS = PROJECT_ROOT / "notebooks"


@dataclass
class Run:
    """What a notebook showed (each output's text and HTML), and what it raised."""

    notebook: str
    shown: list[str] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.shown)


def _shell() -> InteractiveShell:
    import matplotlib

    matplotlib.use("Agg")  # no window; each cell's charts are shown as the kernel shows them
    return InteractiveShell.instance()


def _show_charts(shell: InteractiveShell) -> None:
    """Each chart a cell drew, through the shell's display (as the inline backend does)."""
    import matplotlib.pyplot as plt

    for number in plt.get_fignums():
        shell.display_pub.publish(*shell.display_formatter.format(plt.figure(number)))
    plt.close("all")


def run_notebook(name: str, **parameters: object) -> Run:
    """Run ``notebooks/<name>.ipynb`` with ``parameters`` in place of its defaults."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    shell = _shell()
    run = Run(name)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = cell.source
        if "parameters" in cell.metadata.get("tags", []):
            source += "\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
        with capture_output() as captured:
            result = shell.run_cell(source, store_history=False, silent=True)
            _show_charts(shell)
        for output in captured.outputs:
            run.shown.append(output.data.get("text/html") or output.data.get("text/markdown") or "")
            if "image/png" in output.data:
                run.shown.append(str(output.metadata.get("image/png", {}).get("alt", "")))
        run.shown.append(captured.stdout)
        if result.error_in_exec is not None or result.error_before_exec is not None:
            run.error = result.error_in_exec or result.error_before_exec
            break
    return run


def notebook_names() -> list[str]:
    return sorted(Path(p).stem for p in NOTEBOOKS.glob("*.ipynb"))
