"""Checkpoints of `ohlora train` on the tiny random Gemma: a run stopped by a signal or a crash and continued ends
with the adapter and report of a run that was never stopped; other data, other options and --restart."""
from __future__ import annotations

import json
import signal
from dataclasses import asdict

import pytest
import torch

import dialogue.training.lora as training
from dialogue.training.checkpoints import CHECKPOINTS_DIR, CheckpointMismatch, TrainingInterrupted, checkpoint_path
from dialogue.training.lora import TrainConfig, train_role
from tests.dialogue_tiny import save_tiny_base

# 22 training examples (today's first 40 turns) in batches of 4: 6 steps an epoch, so 14 steps cross two epochs;
# evaluations at 3, 6, 9, 12 and 14, checkpoints besides those at 4 and 8
RUN = dict(role="memory", max_steps=14, eval_every=3, batch_size=4, adapted_from_layer=2, threads=1, patience=50,
           checkpoint_every=4)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return save_tiny_base(tmp_path_factory.mktemp("base"))


@pytest.fixture(scope="module")
def turns():
    from dialogue.data.turns import load_turns

    return load_turns()[:40] + [t for t in load_turns() if t.held_out][:8]


@pytest.fixture(scope="module")
def uninterrupted(base, turns, tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    train_role(TrainConfig(**RUN), base, out_root=out, turns=turns)
    return _result(out)


def _result(out_root):
    """The adapter's weights and the report without its wall-clock times."""
    import json

    from safetensors.torch import load_file

    report = json.loads((out_root / "memory" / "training_report.json").read_text())
    for key in ("seconds", "seconds_per_step"):
        report.pop(key)
    for row in report["history"]:
        row.pop("seconds")
    return load_file(out_root / "memory" / "adapter_model.safetensors"), report


def _assert_same(result, expected) -> None:
    (weights, report), (want_weights, want_report) = result, expected
    assert weights.keys() == want_weights.keys()
    for k in weights:
        assert torch.equal(weights[k], want_weights[k]), k
    assert report == want_report


def _at_training_step(monkeypatch, step: int, action) -> None:
    """Run `action` during the forward pass of the `step`-th training step of the next run (counted in this
    session: a continued run's first step is 1 here)."""
    real, calls = training.target_loss, []

    def target_loss(*args, **kwargs):
        if torch.is_grad_enabled():  # held-out evaluations run without gradients
            calls.append(1)
            if len(calls) == step:
                action()
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "target_loss", target_loss)


def _interrupted(monkeypatch, base, turns, out, step: int, signum=signal.SIGINT) -> TrainingInterrupted:
    _at_training_step(monkeypatch, step, lambda: signal.raise_signal(signum))
    with pytest.raises(TrainingInterrupted) as caught:
        train_role(TrainConfig(**RUN), base, out_root=out, turns=turns)
    monkeypatch.undo()
    return caught.value


def test_a_run_stopped_by_ctrl_c_continues_to_the_same_adapter_and_report(monkeypatch, base, turns, tmp_path,
                                                                          uninterrupted, capsys):
    # step 5: mid-epoch, between evaluations and between the periodic checkpoints
    stopped = _interrupted(monkeypatch, base, turns, tmp_path, 5)
    assert stopped.signum == signal.SIGINT and "step 5 of 14" in str(stopped) and "--restart" in str(stopped)
    path = checkpoint_path(tmp_path, "memory")
    assert torch.load(path, weights_only=True)["step"] == 5
    assert [p.name for p in path.parent.iterdir()] == ["memory.pt"]  # no temporary file left
    assert not (tmp_path / "memory").exists()  # the adapter is written only when the run ends

    report = train_role(TrainConfig(**RUN), base, out_root=tmp_path, turns=turns)
    assert "resuming memory from step 5 of 14 (checkpoint 0 minutes old)" in capsys.readouterr().out
    assert report.steps == 14
    _assert_same(_result(tmp_path), uninterrupted)
    assert not path.exists() and not path.parent.exists()


def test_a_run_stopped_twice_by_sigterm_and_a_crash_continues_to_the_same_result(monkeypatch, base, turns,
                                                                               tmp_path, uninterrupted):
    stopped = _interrupted(monkeypatch, base, turns, tmp_path, 2, signal.SIGTERM)
    assert stopped.signum == signal.SIGTERM

    def crash():
        raise RuntimeError("power cut")

    # the continued run's 9th step is step 11: the last checkpoint is the one of the evaluation at step 9
    _at_training_step(monkeypatch, 9, crash)
    with pytest.raises(RuntimeError, match="power cut"):
        train_role(TrainConfig(**RUN), base, out_root=tmp_path, turns=turns)
    monkeypatch.undo()
    assert torch.load(checkpoint_path(tmp_path, "memory"), weights_only=True)["step"] == 9

    train_role(TrainConfig(**RUN), base, out_root=tmp_path, turns=turns)
    _assert_same(_result(tmp_path), uninterrupted)
    assert not checkpoint_path(tmp_path, "memory").exists()


def test_early_stopping_counts_the_evaluations_before_the_interruption(monkeypatch, base, turns, tmp_path):
    # at this rate the held-out loss soon stalls (at step 13 on today's data); stopped a step before the run
    # early-stops, the checkpoint holds one evaluation without improvement, and the continued run must count it
    run = {**RUN, "eval_every": 1, "patience": 2, "lr": 3e-2}
    report = train_role(TrainConfig(**run), base, out_root=tmp_path / "whole", turns=turns)
    assert report.stopped_because.startswith("early stop") and report.steps > 2

    _at_training_step(monkeypatch, report.steps - 1, lambda: signal.raise_signal(signal.SIGINT))
    with pytest.raises(TrainingInterrupted):
        train_role(TrainConfig(**run), base, out_root=tmp_path / "stopped", turns=turns)
    monkeypatch.undo()
    assert torch.load(checkpoint_path(tmp_path / "stopped", "memory"), weights_only=True)["bad_evals"] == 1
    train_role(TrainConfig(**run), base, out_root=tmp_path / "stopped", turns=turns)
    _assert_same(_result(tmp_path / "stopped"), _result(tmp_path / "whole"))


def test_the_time_limit_counts_the_earlier_sessions_of_a_run(monkeypatch, base, turns, tmp_path):
    _interrupted(monkeypatch, base, turns, tmp_path, 5)
    path = checkpoint_path(tmp_path, "memory")
    saved = torch.load(path, weights_only=True)
    saved["seconds"] = 3600.0  # an hour trained before the interruption
    torch.save(saved, path)

    # a larger budget is allowed when continuing: the budget is how one gives a stopped run more time
    report = train_role(TrainConfig(**{**RUN, "max_minutes": 30.0}), base, out_root=tmp_path, turns=turns)
    assert report.stopped_because == "time limit 30.0 min" and report.steps == 6
    assert report.seconds >= 3600 and report.history[-1]["step"] == 6


def test_continuing_on_other_data_or_with_other_options_is_refused(monkeypatch, base, turns, tmp_path):
    _interrupted(monkeypatch, base, turns, tmp_path, 5)
    with pytest.raises(CheckpointMismatch, match="other training data.*--restart"):
        train_role(TrainConfig(**RUN), base, out_root=tmp_path, turns=turns[1:])
    with pytest.raises(CheckpointMismatch, match=r"other options \(lr 0.0004 -> 0.0003\).*--restart"):
        train_role(TrainConfig(**{**RUN, "lr": 3e-4}), base, out_root=tmp_path, turns=turns)
    assert torch.load(checkpoint_path(tmp_path, "memory"), weights_only=True)["step"] == 5  # left as it was


def _batches_trained(monkeypatch, run_training) -> list[tuple[int, ...]]:
    """The training batches (example indices) a run steps through, in order."""
    real, seen = training.target_loss, []

    def target_loss(model, bottom, head, examples, batch, *rest):
        if torch.is_grad_enabled():
            seen.append(tuple(batch))
        return real(model, bottom, head, examples, batch, *rest)

    monkeypatch.setattr(training, "target_loss", target_loss)
    run_training()
    monkeypatch.undo()
    return seen


def test_a_resumed_adapter_takes_up_the_batch_order_where_it_left_it(monkeypatch, base, turns, tmp_path):
    whole = _batches_trained(monkeypatch, lambda: train_role(TrainConfig(**{**RUN, "max_steps": 12}), base,
                                                              out_root=tmp_path / "whole", turns=turns))
    first = train_role(TrainConfig(**{**RUN, "max_steps": 5}), base, out_root=tmp_path / "parts", turns=turns)
    assert first.best_step > 0  # the saved adapter is the one of its best evaluation, not of its last step
    more = _batches_trained(monkeypatch, lambda: train_role(TrainConfig(**{**RUN, "max_steps": 4, "resume": True}),
                                                             base, out_root=tmp_path / "parts", turns=turns))
    assert more == whole[first.best_step:first.best_step + 4]  # the next batches, across an epoch's end
    report = tmp_path / "parts" / "memory" / "training_report.json"
    second = json.loads(report.read_text())
    assert second["batches_before"] == first.best_step
    assert training.batches_trained(report) == first.best_step + second["best_step"]  # a third run goes on from there
    assert training.batches_trained(tmp_path / "nothing" / "training_report.json") == 0


def test_restart_discards_the_checkpoint_and_starts_over(monkeypatch, base, turns, tmp_path, uninterrupted, capsys):
    _interrupted(monkeypatch, base, turns, tmp_path, 5)
    capsys.readouterr()
    train_role(TrainConfig(**RUN), base, out_root=tmp_path, turns=turns, restart=True)
    out = capsys.readouterr().out
    assert "discarded the checkpoint" in out and "resuming" not in out
    _assert_same(_result(tmp_path), uninterrupted)
    assert not checkpoint_path(tmp_path, "memory").exists()


def test_train_all_goes_on_with_the_role_it_was_interrupted_in(monkeypatch, tmp_path, capsys):
    from realtime.cli import main

    calls, interrupt_in = [], ["summary"]

    def fake_train_role(cfg, base_dir, out_root, restart=False, stop=None):
        calls.append((cfg.role, restart))
        if cfg.role in interrupt_in:
            interrupt_in.remove(cfg.role)
            raise TrainingInterrupted("summary: interrupted at step 7 of 90", signal.SIGINT)
        return training.TrainReport(cfg.role, asdict(cfg), "tiny", 10, 2)

    monkeypatch.setattr(training, "train_role", fake_train_role)
    monkeypatch.setattr("weights.prepared_path", lambda name: tmp_path / "base")
    monkeypatch.setattr("dialogue.commands._experiment_folder", lambda out, data="generated", resume=False: out)
    argv = ["train", "--role", "all", "--out", str(tmp_path)]

    assert main(argv) == 130
    assert "interrupted at step 7" in capsys.readouterr().err
    assert main(argv) == 0  # answer and memory were written: only the interrupted role and the rest run
    assert "answer: trained earlier by this interrupted" in capsys.readouterr().out
    assert calls == [("answer", False), ("memory", False), ("summary", False), ("summary", False),
                     ("expression", False)]
    assert not (tmp_path / CHECKPOINTS_DIR).exists()

    # interrupted again, then started over: every role is trained again, with its checkpoint discarded
    interrupt_in.append("memory")
    assert main(argv) == 130
    calls.clear()
    assert main([*argv, "--restart"]) == 0
    assert calls == [(role, True) for role in ("answer", "memory", "summary", "expression")]
    assert not (tmp_path / CHECKPOINTS_DIR).exists()


def test_train_help_states_the_trainer_defaults():
    # dialogue.commands builds its parser without importing the trainer: its help text names the defaults
    import argparse

    from dialogue.commands import add_parsers

    sub = argparse.ArgumentParser().add_subparsers()
    add_parsers(sub)
    help_text = " ".join(sub.choices["train"].format_help().split())
    assert f"(default {training.ADAPTED_FROM_LAYER}; 0 for the answer role)" in help_text
    assert f"(default {training.TrainConfig.checkpoint_every})" in help_text


def test_a_focused_run_trains_on_the_new_files_and_as_many_replayed_turns():
    from dialogue.data.turns import written_turns

    turns = written_turns()
    focus = training.focused_turns(turns, "memory-use", seed=3)
    new = [t for t in focus if t.source.startswith("memory-use")]
    assert new and len(focus) == 2 * len(new)
    assert len({t.source for t in focus if t not in new}) > 3  # the replayed half comes from the other writers
    assert focus == training.focused_turns(turns, "memory-use", seed=3)  # seeded
    with pytest.raises(ValueError, match="no written turns come from a file starting with 'nosuch'"):
        training.focused_turns(turns, "nosuch", seed=3)


def test_new_training_answers_extend_the_persona_vocabulary_and_keep_its_rows(tmp_path):
    from dialogue.vocabulary import VOCABULARY_FILE, load_vocabulary

    vocab = [0, 1, 2, 5, 9]
    encoded = [([7, 8, 1, 2], 2), ([7, 9, 3], 1)]  # completions: [1, 2] and [9, 3]; the prompts' 7, 8 stay out
    got = training.covering_vocabulary(vocab, encoded, tmp_path)
    assert got == [0, 1, 2, 3, 5, 9]
    assert load_vocabulary(tmp_path / VOCABULARY_FILE) == got
    assert training.covering_vocabulary(got, encoded, tmp_path / "untouched") == got
    assert not (tmp_path / "untouched").exists()
