"""docs/benchmarks.md: each `ohlora bench …` owns one section and rewrites it in place.

It lives in `weights/`, the bottom layer, so that every package's offline tools can record their figures
without importing `realtime/`.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

import torch

BENCH_DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Written by `ohlora bench …`; each section is replaced when its benchmark runs again. Figures are medians
measured side by side in one run on the machine named in the section.
"""


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    desc = f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"
    if torch.cuda.is_available():
        desc += f", GPU {torch.cuda.get_device_name(0)}"
    return desc


def write_section(name: str, title: str, body: str, path: Path = BENCH_DOC) -> Path:
    """Replace (or append) the section `name` of the benchmarks document."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = f"{begin}\n## {title}\n\nMeasured {stamp} on {machine_description()}.\n\n{body.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
