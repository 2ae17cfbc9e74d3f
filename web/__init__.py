"""The pages the server serves: the live page (`index.html`), the OBS page (`obs.html`), their scripts
(`js/`; `js/protocol.js` is the page's copy of the frame contract) and styles (`css/`). No Python runs here."""
from __future__ import annotations

from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent

__all__ = ["WEB_DIR"]
