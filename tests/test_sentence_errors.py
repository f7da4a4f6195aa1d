"""In JupyterLab an error the analyst can fix shows as its sentence, not a traceback."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from helpers.config import SentenceError
from helpers.extract import ExtractError
from helpers.map_page import MapSettingError
from helpers.period import DateOverrideError
from helpers.preflight import RefusedError
from helpers.reference import AuthorityError, ReferenceDataError


@pytest.mark.parametrize(
    "error",
    [
        ExtractError,
        MapSettingError,
        DateOverrideError,
        RefusedError,
        AuthorityError,
        ReferenceDataError,
    ],
)
def test_errors_an_analyst_can_fix_are_sentences(error):
    # DateOverrideError sits on the floor below SentenceError's, so it has the hook itself.
    assert issubclass(error, SentenceError) or "_render_traceback_" in vars(error)


def test_ipython_shows_the_sentence_and_no_traceback(capsys):
    shell = InteractiveShell.instance()
    shell.run_cell(
        "from helpers.map_page import MapSettingError\n"
        "raise MapSettingError('E0800002 is not a district code: give one like E08000026.')"
    )
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "E0800002 is not a district code: give one like E08000026." in text
    assert "Traceback" not in text
    assert "map_page.py" not in text
