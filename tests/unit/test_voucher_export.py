"""Cells a spreadsheet would execute are defused in finance's export."""

from __future__ import annotations

import pytest

from broadcaster.services.voucher_export import spreadsheet_safe


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+62812", "'+62812"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("OB-ABCD-EFGH-IJKL", "OB-ABCD-EFGH-IJKL"),
        ("", ""),
    ],
)
def test_formula_cells_are_quoted_and_others_kept(cell, safe):
    assert spreadsheet_safe(cell) == safe
