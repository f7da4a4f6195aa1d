"""Headless Chromium, to look at rendered reports as a reviewer does (tests and screenshots).

python -m helpers.dev.browser --ensure            # install Debian's chromium if it is missing
python -m helpers.dev.browser page.html page.png  # screenshot a page
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# Without the background-networking flags Chromium keeps reaching for Google's hosts.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

# Appended to a copy of a page: once loaded, record how many images there are and how many
# failed to decode, where --dump-dom can read it.
_IMAGE_PROBE = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const broken = images.filter((img) => !(img.complete && img.naturalWidth > 0));
  const errors = document.querySelectorAll(
    '[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output.output_error'
  ).length + (document.body.innerText.includes("Traceback (most recent call last)") ? 1 : 0);
  const code = document.querySelectorAll(".jp-CodeCell .jp-InputArea, .jp-InputArea-editor");
  document.body.setAttribute("data-images", String(images.length));
  document.body.setAttribute("data-broken-images", String(broken.length));
  document.body.setAttribute("data-error-outputs", String(errors));
  document.body.setAttribute("data-code-cells", String(code.length));
});
</script>
"""


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


#: What the HTML report tests need from Debian: the browser, the driver Selenium talks to, and
#: poppler's pdftotext for the printed pages. Each package, and the command that shows it is there.
DEBIAN_PACKAGES = {
    "chromium": "chromium",
    "chromium-driver": "chromedriver",
    "poppler-utils": "pdftotext",
}


def missing_packages() -> list[str]:
    """The Debian packages of :data:`DEBIAN_PACKAGES` whose command is not on the PATH."""
    missing = [] if find_chromium() else ["chromium"]
    return missing + [
        package
        for package, command in DEBIAN_PACKAGES.items()
        if package != "chromium" and shutil.which(command) is None
    ]


def ensure_chromium() -> str | None:
    """Chromium's path; installs what the HTML tests need, when missing and root may (apt)."""
    missing = missing_packages()
    if not missing:
        return find_chromium()
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing {', '.join(missing)} (Debian) for the HTML report tests...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        return find_chromium()
    print(
        f"{', '.join(missing)} not installed and cannot be installed from here (needs root and "
        "apt-get): the HTML report tests will be skipped (and fail under CI). Install the Debian "
        f"packages {' '.join(DEBIAN_PACKAGES)} to run them."
    )
    return find_chromium()


def _run(args: list[str], timeout: int = 60) -> subprocess.CompletedProcess:
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError(
            "Chromium is not installed (python -m helpers.dev.browser --ensure)"
        )
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def screenshot(
    page: str | Path, png: str | Path, width: int = 1200, height: int | None = None
) -> Path:
    """A PNG of the page at ``width`` pixels; tall enough for the whole page by default."""
    page, png = Path(page).resolve(), Path(png).resolve()
    if height is None:
        height = estimate_height(page)
    _run(
        [
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            "--virtual-time-budget=5000",
            page.as_uri(),
        ]
    )
    if not png.exists():
        raise RuntimeError(f"Chromium did not write {png}")
    return png


def estimate_height(page: Path) -> int:
    """A generous page height: charts, table rows and paragraphs each take some room."""
    text = page.read_text(encoding="utf-8")
    images = len(re.findall(r"<img ", text))
    rows = len(re.findall(r"<tr", text))
    paragraphs = len(re.findall(r"<p>|<li>|<h[1-3]", text))
    return min(600 + images * 620 + rows * 34 + paragraphs * 40, 16000)


def page_check(page: str | Path) -> dict:
    """Load the page in Chromium: images, broken images, error outputs and code cells shown."""
    page = Path(page)
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / page.name
        html = page.read_text(encoding="utf-8")
        probe.write_text(html.replace("</body>", _IMAGE_PROBE + "</body>"), encoding="utf-8")
        result = _run(["--dump-dom", "--virtual-time-budget=5000", probe.as_uri()])
    dom = result.stdout
    body = re.search(r"<body([^>]*)>", dom)
    attributes = body.group(1) if body else ""

    def attribute(name: str) -> int | None:
        match = re.search(rf'{name}="(\d+)"', attributes)
        return int(match.group(1)) if match else None

    return {
        "loaded": body is not None and attribute("data-images") is not None,
        "images": attribute("data-images"),
        "broken_images": attribute("data-broken-images"),
        "error_outputs": attribute("data-error-outputs"),
        "code_cells": attribute("data-code-cells"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.dev.browser",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--ensure", action="store_true", help="install Chromium if missing")
    parser.add_argument("page", nargs="?")
    parser.add_argument("png", nargs="?")
    parser.add_argument("--width", type=int, default=1200)
    args = parser.parse_args(argv)
    if args.ensure:
        ensure_chromium()
        return 0
    if not (args.page and args.png):
        parser.error("give a page and a PNG path, or --ensure")
    print(screenshot(args.page, args.png, args.width))
    return 0


if __name__ == "__main__":
    sys.exit(main())
