"""Server configuration: TOML < environment < flags, and errors that name the key to fix."""
from __future__ import annotations

import pytest

from realtime.config import ConfigError, load_config, parse_set_flags


def test_defaults_are_local_and_valid():
    cfg = load_config(env={})
    assert (cfg.server.host, cfg.server.port) == ("127.0.0.1", 8080)
    assert cfg.stream.size == 256 and cfg.avatar.generator == "mobilestylegan"


def test_toml_then_env_then_flags(tmp_path):
    f = tmp_path / "ohlora.toml"
    f.write_text('[server]\nport = 9000\nallowed_origins = ["https://example.org"]\n'
                 '[stream]\nfps = 25\n[avatar]\ndevice = "cpu"\nseed = 11\n[dialogue]\nbackend = "http"\n')
    cfg = load_config(f, env={"OHLORA_SERVER__PORT": "9100", "OHLORA_STREAM__QUALITY": "70"},
                      overrides={"server.port": 9200})
    assert cfg.server.port == 9200 and cfg.stream.quality == 70 and cfg.stream.fps == 25.0
    assert cfg.server.allowed_origins == ["https://example.org"]
    assert cfg.avatar.device == "cpu" and cfg.avatar.seed == 11
    assert cfg.dialogue.options == {"backend": "http"}


@pytest.mark.parametrize("toml, key", [
    ("[server]\nport = 70000\n", "server.port"),
    ("[server]\nport = \"eighty\"\n", "server.port"),
    ("[server]\nprot = 1\n", "server.prot"),
    ("[stream]\nsize = 2048\n", "stream.size"),
    ("[avatar]\ndevice = \"tpu\"\n", "avatar.device"),
    ("[server]\nlog_format = \"xml\"\n", "server.log_format"),
    ("[nonsense]\na = 1\n", "nonsense"),
    ("[stream]\nallow_controls = \"maybe\"\n", "stream.allow_controls"),
])
def test_errors_name_the_key(tmp_path, toml, key):
    f = tmp_path / "bad.toml"
    f.write_text(toml)
    with pytest.raises(ConfigError) as e:
        load_config(f, env={})
    assert str(e.value).startswith(key)


def test_env_errors_name_the_variable():
    with pytest.raises(ConfigError) as e:
        load_config(env={"OHLORA_STREAM__FPS": "fast"})
    assert "stream.fps" in str(e.value) and "OHLORA_STREAM__FPS" in str(e.value)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[server\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, env={})


def test_set_flags():
    assert parse_set_flags(["stream.fps=25", "server.token=a=b"]) == {"stream.fps": "25", "server.token": "a=b"}
    with pytest.raises(ConfigError):
        parse_set_flags(["fps"])


def test_json_logs_keep_structured_fields(capsys):
    import json
    import logging

    from realtime.logs import configure_logging

    configure_logging("json", "info")
    logging.getLogger("ohlora.realtime").info("session opened", extra={"event": "session_open", "session": "abc"})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["msg"] == "session opened" and record["event"] == "session_open" and record["session"] == "abc"
    assert record["level"] == "info" and "ts" in record
    configure_logging("text", "info")
    logging.getLogger("ohlora.realtime").info("turn done", extra={"turn": 3})
    err = capsys.readouterr().err
    assert "turn done" in err and "turn=3" in err
