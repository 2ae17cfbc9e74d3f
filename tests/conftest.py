"""Shared fixtures: the prepared default generator (real weights) and tiny random models."""
from __future__ import annotations

import os
import tempfile

import pytest
import torch

# Every test, and every server a test starts, uses a fresh dialogue database: memories and blocks
# written by one run (or by the user's own `ohlora serve`) must never leak into another.
_TEST_DATA = tempfile.mkdtemp(prefix="ohlora-test-data-")
os.environ["OHLORA_DATA_DIR"] = _TEST_DATA
os.environ["OHLORA_DB"] = os.path.join(_TEST_DATA, "dialogue.sqlite3")


def _prepared(name: str) -> bool:
    from weights import is_prepared, load_manifest

    spec = load_manifest().get(name)
    return spec is not None and is_prepared(spec)


def require_prepared(name: str) -> None:
    """Integration tests need the embedded weights; `.ci/setup` prepares them, so CI never skips."""
    if not _prepared(name):
        pytest.fail(f"model '{name}' is not prepared: run `ohlora weights prepare --only {name}`")


@pytest.fixture(scope="session")
def face_generator():
    require_prepared("mobilestylegan")
    from render.generator import load_generator

    return load_generator("mobilestylegan", device="cpu")


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)
