"""The pre-commit guard keeps data files out of git (issue 14, part 7)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from helpers.config import PROJECT_ROOT
from helpers.dev import guard
from helpers.extract import SYNTHETIC_DIR

EPISODES = "episode_id,child_id\nE1,C1\n"


@pytest.fixture
def stray_csv():
    """A real-looking extract saved at the repository root, as "Save as" in Excel leaves it."""
    path = PROJECT_ROOT / "caf_episodes_2016_02.csv"
    path.write_text(EPISODES, encoding="utf-8")
    yield path
    path.unlink()


def test_a_stray_csv_at_the_root_is_refused_and_ignored(stray_csv, capsys):
    assert guard.main([str(stray_csv)]) == 1
    err = capsys.readouterr().err
    assert "caf_episodes_2016_02.csv: a data file outside the places data may be committed" in err
    assert "git rm --cached caf_episodes_2016_02.csv" in err
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", stray_csv.name], cwd=PROJECT_ROOT, check=False
    )
    assert ignored.returncode == 0, ".gitignore does not cover data files at the root"


@pytest.mark.parametrize(
    "place",
    ["notebooks/extract.xlsx", "analysis/reports2/open.parquet", "src/helpers/rows.json"],
)
def test_data_files_beside_the_code_are_refused(tmp_path, place):
    path = tmp_path / place
    path.parent.mkdir(parents=True)
    content = json.dumps([{"episode_id": "E1"}]) if place.endswith(".json") else EPISODES
    path.write_text(content, encoding="utf-8")
    assert len(guard.misplaced_data([path], root=tmp_path)) == 1


@pytest.mark.parametrize(
    "place", ["config/editions/x.csv", "data/external/lsoa.parquet", "tests/fixture/a.csv"]
)
def test_data_files_in_the_allowed_places_pass(tmp_path, place):
    path = tmp_path / place
    path.parent.mkdir(parents=True)
    path.write_text(EPISODES, encoding="utf-8")
    assert guard.misplaced_data([path], root=tmp_path) == []


@pytest.mark.parametrize(
    ("content", "rows"),
    [
        ([{"child_id": "C1"}], True),
        ({"data": [["C1", "2015-01-01"]], "columns": ["child_id", "start"]}, True),
        ({"child_id": {"0": "C1", "1": "C2"}, "start": {"0": "x", "1": "y"}}, True),
        ({"line-length": 100, "exclude": ["build"]}, False),
        ({"name": "x", "settings": {"a": 1}}, False),
    ],
)
def test_json_is_data_when_it_holds_rows(tmp_path, content, rows):
    path = tmp_path / "file.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    assert guard.json_holds_rows(path) is rows


def test_the_committed_synthetic_extract_matches_its_manifest():
    assert guard.synthetic_problems() == []


def test_a_real_file_written_over_the_synthetic_extract_is_refused(tmp_path):
    copy = tmp_path / "synthetic"
    shutil.copytree(SYNTHETIC_DIR, copy)
    episodes = copy / "caf_episodes.csv"
    episodes.write_text(episodes.read_text("utf-8").replace("C000466", "C999999"), "utf-8")
    (copy / "real_refusals.xlsx").write_bytes(b"not invented")
    problems = guard.synthetic_problems(copy)
    assert any("the checksum differs" in p for p in problems), problems
    assert any("real_refusals.xlsx" in p for p in problems), problems


def test_the_hooks_look_at_every_notebook_and_data_file_in_the_repository():
    config = yaml.safe_load((PROJECT_ROOT / ".pre-commit-config.yaml").read_text("utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    notebooks = re.compile(hooks["notebooks-synthetic-outputs-only"]["files"])
    data = re.compile(hooks["data-files-stay-out"]["files"])
    assert notebooks.search("Untitled.ipynb") and notebooks.search("a/b/Copy1.ipynb")
    for name in ["extract.xlsx", "notebooks/x.csv", "out/t.parquet", "x.json", "data.xls"]:
        assert data.search(name), name
    assert "helpers.dev.guard" in hooks["data-files-stay-out"]["entry"]
