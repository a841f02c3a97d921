from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["default", "hotel", "restaurant"])
def test_config_bundled_configs_validate(name):
    cfg = load_config(ROOT / "configs" / f"{name}.yaml")
    assert cfg.name == name
    assert cfg.input.path.is_file()
    assert all(p.is_file() for p in cfg.dimensions.lexicons)


def test_config_typo_names_key_path(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("sentiment:\n  treshold: 0.3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[sentiment -> treshold\] Extra inputs are not permitted"):
        load_config(p)


def test_config_bad_value_says_allowed_and_given(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("topics:\n  backend: lad\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[topics -> backend\] Input should be 'lda', 'nmf' or 'none' \(given: 'lad'\)"):
        load_config(p)


def test_config_lists_every_problem(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("sentiment:\n  neutral_low: 2\nclean:\n  min_cjk_chars: -1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(p)
    assert len(info.value.problems) == 2


def test_config_neutral_band_order(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("sentiment:\n  neutral_low: 0.7\n  neutral_high: 0.6\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="neutral_low .* must be <= neutral_high"):
        load_config(p)


@pytest.mark.parametrize("key", ["inquiry_words", "exception_praise", "exception_complaint"])
def test_config_sentiment_word_lists_hold_no_empty_word(tmp_path, key):
    """An empty word would sit in every clause: every clause an inquiry or an exception."""
    p = tmp_path / "c.yaml"
    p.write_text(f"sentiment:\n  {key}: [唯一的缺点, '']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"\[sentiment -> {key}\] Value error, holds an empty word"):
        load_config(p)
    p.write_text(f"sentiment:\n  {key}: []\n", encoding="utf-8")
    assert getattr(load_config(p).sentiment, key) == []


def test_config_missing_file():
    with pytest.raises(ConfigError, match="config file not found"):
        load_config("nope/missing.yaml")


def test_config_invalid_yaml_reports_line(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("sentiment:\n  backend: [sklearn\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(p)


def test_config_relative_paths_resolve_against_config_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    p = tmp_path / "sub" / "c.yaml"
    p.write_text("input:\n  path: ../dump.csv\n", encoding="utf-8")
    cfg = load_config(p)
    assert cfg.input.path == (tmp_path / "dump.csv").resolve()


def test_config_overrides_win(tmp_path):
    cfg = load_config(ROOT / "configs" / "hotel.yaml", {"input.columns.text": "body", "output.dir": str(tmp_path)})
    assert cfg.input.columns.text == "body"
    assert cfg.output.dir == tmp_path


def test_config_route_to_unknown_dimension(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("feedback:\n  routes:\n    - {dimension: tangible, owner: 客房部}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown dimension\(s\) \['tangible'\]"):
        load_config(p)


def test_config_servqual_dimensions_required(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("dimensions:\n  dimensions:\n    tangibles: {label: 有形性}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="missing \\['reliability'"):
        load_config(p)


def test_config_fingerprint_stable_and_sensitive():
    a = load_config(ROOT / "configs" / "hotel.yaml")
    b = load_config(ROOT / "configs" / "hotel.yaml")
    c = load_config(ROOT / "configs" / "hotel.yaml", {"sentiment.neutral_low": 0.3})
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
