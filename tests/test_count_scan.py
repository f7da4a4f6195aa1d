"""The published-page scan finds a small count wherever a reader would read one as a count."""

from __future__ import annotations

from count_scan import small_counts_on_page

PAGE = """<html><body>
<p>Year to date, <b>3 CAFs</b> did not start; 12 families were attached in phase 2.</p>
<p>The quarter 3 forecast for 2015/16; decile 1 is the most deprived; 1 April 2015.</p>
<table><tr><th>Lead agency</th><th>Count</th><th>%</th></tr>
<tr><td>Health</td><td>4</td><td>0.2%</td></tr><tr><td>Schools</td><td>[c]</td><td>[c]</td></tr>
</table>
<table><tr><th>CAF outcomes</th><th>Sep-15</th><th>% (YTD)</th></tr>
<tr><td>Non-engagement</td><td>2</td><td>1.5%</td></tr>
<tr><td>% Referral to Social Care</td><td>3</td><td></td></tr></table>
<img alt="Bar chart: CAFs open. Health 87, Schools 1; decile 1 2.6, decile 2 3.1.">
</body></html>"""


def test_the_scan_finds_each_kind_of_count_position_and_no_label(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    found = small_counts_on_page(page)
    assert found[:3] == [
        "table cell Count: 4",
        "table cell Non-engagement, Sep-15: 2",
        "sentence: ...3 CAFs...",
    ]
    (alt,) = found[3:]  # decile 1's 2.6 is a label and a share, not a count
    assert alt.startswith("alt text: ") and "Schools 1;" in alt
