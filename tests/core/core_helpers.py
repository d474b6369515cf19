"""What several test files of the core share."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def damage_member_page(db: Path) -> None:
    """Damage the project file ``db`` the way a bad disk would: the page of the member table
    claims far more cells than fit in it (SQLite's quick_check finds it)."""
    conn = sqlite3.connect(db)
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'member'").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    start = (root - 1) * page
    data[start + 3:start + 5] = b"\x7f\xff"  # the page's cell count
    db.write_bytes(bytes(data))
