"""Shared fixtures, and the two lanes of the suite.

`pytest -m "not slow"` is the fast lane: unit tests on tiny random models, under a minute, with no prepared
weights in reach (each of its tests sees an empty weights cache, so one that loads a real model fails and says
so). `pytest` runs everything: the fast lane plus integration tests on the real embedded weights, real servers,
the browser and the cluster.
"""
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

_PREPARED_CACHE = os.environ.get("OHLORA_CACHE_DIR")
_EMPTY_CACHE = tempfile.mkdtemp(prefix="ohlora-test-no-weights-")

# Files whose every test starts real servers, a browser or a llama.cpp build: the slow lane, with real weights.
SLOW_FILES = {"test_realtime_integration.py", "test_web_browser.py", "test_remote_llamacpp.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (item.get_closest_marker("real_weights") or item.get_closest_marker("cluster")
                or item.path.name in SLOW_FILES):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Fast-lane tests see an empty weights cache (servers they start inherit it): none can load a real model.
    if item.get_closest_marker("slow"):
        if _PREPARED_CACHE is None:
            os.environ.pop("OHLORA_CACHE_DIR", None)
        else:
            os.environ["OHLORA_CACHE_DIR"] = _PREPARED_CACHE
    else:
        os.environ["OHLORA_CACHE_DIR"] = _EMPTY_CACHE


def _prepared(name: str) -> bool:
    from weights import is_prepared, load_manifest

    spec = load_manifest().get(name)
    return spec is not None and is_prepared(spec)


def require_prepared(name: str) -> None:
    """Integration tests need the embedded weights; `.ci/setup` prepares them, so CI never skips."""
    if os.environ.get("OHLORA_CACHE_DIR") == _EMPTY_CACHE:
        pytest.fail(f"this test loads the real '{name}' weights: mark it `real_weights` (the slow lane)")
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
