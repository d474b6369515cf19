"""Lets the tests here import their shared helpers (formats_samples.py) by name."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
