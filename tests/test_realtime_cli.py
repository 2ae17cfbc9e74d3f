"""`ohlora serve` as a user meets it before anything runs: help, and configuration mistakes."""
from __future__ import annotations

import pytest

from realtime.cli import main


def test_serve_help_names_the_defaults(capsys):
    with pytest.raises(SystemExit) as e:
        main(["serve", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "127.0.0.1:8080" in out and "--config" in out and "--port" in out


def test_bad_configuration_is_a_one_line_error(tmp_path, capsys):
    cfg = tmp_path / "ohlora.toml"
    cfg.write_text("[server]\nport = 99999\n")
    assert main(["serve", "--config", str(cfg)]) == 2
    assert "server.port: must be between 0 and 65535" in capsys.readouterr().err
    assert main(["serve", "--set", "stream.fps=fast"]) == 2
    assert "stream.fps" in capsys.readouterr().err
    assert main(["serve", "--config", str(tmp_path / "missing.toml")]) == 2


def test_bench_serve_is_listed(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    assert "serve" in capsys.readouterr().out
