"""The `ohlora` command as a user meets it: help, output files, and clear errors for mistakes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from realtime.cli import main
from tests.conftest import require_prepared


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("weights", "render", "bench"):
        assert cmd in out


def test_weights_list_shows_source_sha_licence_and_state(capsys):
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    assert "random-face==2021.7.21.1" in out and "sha256" in out and "Apache-2.0" in out
    assert "prepared" in out


_LOADS_GENERATOR = pytest.mark.real_weights  # the mistake shows only once the generator is loaded


@pytest.mark.parametrize("argv, message", [
    (["render", "--seed", "7", "-o", "face.gif"], ".png, .jpg or .jpeg"),
    (["render", "--grid", "4x4", "-o", "s.png"], "--grid needs --seeds"),
    pytest.param(["render", "--seeds", "9-1", "--grid", "2x2", "-o", "s.png"], "cannot read seeds",
                 marks=_LOADS_GENERATOR),
    pytest.param(["render", "--seeds", "0-15", "--grid", "2x2", "-o", "s.png"], "do not fit", marks=_LOADS_GENERATOR),
    (["render", "--w", "missing.npy", "-o", "f.png"], "does not exist"),
    pytest.param(["render", "--seed", "1", "--device", "cuda", "-o", "f.png"], None, marks=_LOADS_GENERATOR),
    (["render", "--seed", "1", "-o", "no/such/folder/f.png"], "does not exist"),
])
def test_user_mistakes_get_a_one_line_error(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import torch

    if "cuda" in argv and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    if message not in (".png, .jpg or .jpeg", "--grid needs --seeds", "does not exist"):
        require_prepared("mobilestylegan")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("ohlora render: error:")
    if message:
        assert message in err
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.real_weights
def test_render_writes_a_1024_face_and_a_labelled_contact_sheet(tmp_path):
    require_prepared("mobilestylegan")
    face = tmp_path / "face.png"
    assert main(["render", "--seed", "7", "-o", str(face)]) == 0
    img = cv2.imread(str(face))
    assert img.shape == (1024, 1024, 3) and img.std() > 20
    small = tmp_path / "small.jpg"
    assert main(["render", "--seed", "7", "--size", "256", "-o", str(small)]) == 0
    assert cv2.imread(str(small)).shape == (256, 256, 3)
    sheet = tmp_path / "sheet.jpg"
    assert main(["render", "--grid", "2x2", "--seeds", "0-3", "--size", "64", "-o", str(sheet)]) == 0
    assert cv2.imread(str(sheet)).shape == (128, 128, 3)


@pytest.mark.real_weights
def test_explicit_w_file_renders_that_w(tmp_path, face_generator):
    import numpy as np

    w = face_generator.w_from_seeds([3]).numpy()
    np.save(tmp_path / "w.npy", w)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["render", "--w", str(tmp_path / "w.npy"), "--size", "128", "-o", str(a)]) == 0
    assert main(["render", "--seed", "3", "--size", "128", "-o", str(b)]) == 0
    assert np.abs(cv2.imread(str(a)).astype(int) - cv2.imread(str(b)).astype(int)).mean() < 0.5


def test_console_script_is_installed():
    exe = Path(sys.executable).with_name("ohlora")
    assert exe.exists(), "run README's set-up command (pip install -e .)"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "render" in out.stdout


def test_train_out_folder_loads_like_the_committed_adapters_and_leaves_them_alone(tmp_path):
    from dialogue.commands import _experiment_folder
    from dialogue.llm_loading import ADAPTERS_DIR

    before = (ADAPTERS_DIR / "answer" / "adapter_model.safetensors").read_bytes()
    out = _experiment_folder(tmp_path / "exp")
    for role in ("answer", "memory", "summary", "expression"):
        assert (out / role / "adapter_config.json").exists()
    assert (out / "vocabulary.json").exists()
    # a role trained into it replaces only its own folder there; a second call keeps what is there
    (out / "memory" / "adapter_model.safetensors").write_bytes(b"retrained")
    _experiment_folder(out)
    assert (out / "memory" / "adapter_model.safetensors").read_bytes() == b"retrained"
    assert (ADAPTERS_DIR / "answer" / "adapter_model.safetensors").read_bytes() == before


def test_a_continued_adapter_keeps_the_vocabulary_it_was_trained_with(tmp_path):
    from dialogue.commands import _experiment_folder
    from dialogue.llm_loading import ADAPTERS_DIR

    assert not (_experiment_folder(tmp_path / "fresh", "written") / "vocabulary.json").exists()  # built from its data
    out = _experiment_folder(tmp_path / "continued", "written", resume=True)
    assert (out / "vocabulary.json").read_bytes() == (ADAPTERS_DIR / "vocabulary.json").read_bytes()


def test_eval_dialogue_rejects_an_unknown_split():
    from dialogue.evaluation.llm import run_eval

    with pytest.raises(ValueError, match="validation"):
        run_eval(split_name="val")


def test_eval_dialogue_on_a_folder_without_adapters_says_so(tmp_path, capsys):
    # not a silent evaluation of the bare base model
    assert main(["eval", "dialogue", "--adapters", str(tmp_path), "--no-write"]) != 0
    assert "no role adapters" in capsys.readouterr().err
