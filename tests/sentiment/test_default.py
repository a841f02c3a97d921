import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.sentiment import SentimentModel, SnowNLPBayes, load_default_model, read_corpus
from pipeline.sentiment import default as default_module

SMALL = {"corpus_limit": 4000}  # same as conftest's small_model


def test_default_corpus_is_deduplicated():
    texts, y = read_corpus()
    assert len(texts) == len(set(texts)) and 15000 < len(texts) < 20000
    assert set(np.unique(y)) == {0, 1}


def test_default_cache_reused_without_retraining(small_model, segmenter, cache_dir, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("retrained although a cached model exists")

    monkeypatch.setattr(default_module.SentimentModel, "fit", boom)
    again = load_default_model("sklearn", cache_dir, segmenter, **SMALL)
    doc = [segmenter.cut("房间很干净，服务很好")]
    np.testing.assert_array_equal(again.predict_proba(doc), small_model.predict_proba(doc))
    assert len(list(cache_dir.glob("sentiment-*.joblib"))) == 1


def test_default_same_settings_deterministic(small_model, segmenter, tmp_path):
    fresh = load_default_model("sklearn", tmp_path, segmenter, corpus_limit=1500)
    again = load_default_model("sklearn", tmp_path / "other", segmenter, corpus_limit=1500)
    doc = [segmenter.cut("早餐一般，但是位置很好")]
    np.testing.assert_array_equal(fresh.predict_proba(doc), again.predict_proba(doc))


def test_default_settings_change_key(segmenter):
    a = default_module.settings_key("sklearn", segmenter, {"C": 1.0})
    assert a == default_module.settings_key("sklearn", segmenter, {"C": 1.0})
    assert a != default_module.settings_key("sklearn", segmenter, {"C": 2.0})


def test_default_backends(small_model, segmenter, tmp_path):
    assert isinstance(small_model, SentimentModel)
    assert isinstance(load_default_model("snownlp", tmp_path, segmenter), SnowNLPBayes)


def test_default_unknown_backend_raises(segmenter, tmp_path):
    with pytest.raises(PipelineError, match="Unknown sentiment backend 'bert'; choose one of"):
        load_default_model("bert", tmp_path, segmenter)


def test_default_unknown_setting_raises(segmenter, tmp_path):
    with pytest.raises(PipelineError, match="Unknown sentiment model setting"):
        load_default_model("sklearn", tmp_path, segmenter, treshold=0.5)


def test_default_key_follows_dictionary_content_not_its_path(tmp_path):
    from types import SimpleNamespace

    def key(path):
        return default_module.settings_key("sklearn", SimpleNamespace(user_dicts=(str(path),), extra_words=("前台",), backend="rjieba"), {"C": 1.0})

    a, b = tmp_path / "a" / "dict.txt", tmp_path / "b" / "dict.txt"
    for path in (a, b):
        path.parent.mkdir()
        path.write_text("早餐券 5 n\n", encoding="utf-8")
    assert key(a) == key(b)  # the same dictionary in a moved or second checkout: the same model
    before = key(a)
    a.write_text("早餐券 5 n\n自助早餐 5 n\n", encoding="utf-8")
    assert key(a) != before  # an edited dictionary segments differently: the model is retrained


def test_default_cache_prunes_models_unused_for_a_month_when_it_trains_one(segmenter, small_model, tmp_path):
    import os
    import time

    import joblib

    day, month = 86400, default_module.CACHE_MAX_AGE_DAYS
    stale, recent, used = (tmp_path / f"sentiment-{name}.joblib" for name in ("stale", "recent", "used"))
    for path, age_days in ((stale, 1.5 * month), (recent, month / 6), (used, 3 * month)):
        joblib.dump(small_model, path)
        os.utime(path, (time.time() - age_days * day,) * 2)
    # Loading a cached model dates it by this use: a config still in use keeps its model.
    loaded = default_module._cached_or_trained(used, lambda *a: pytest.fail("a cached model was retrained"), segmenter, None)
    assert loaded.predict_proba([["很", "好"]]).shape == (1, 2)
    assert time.time() - used.stat().st_mtime < day
    # Training a new model (new settings) deletes the ones unused for CACHE_MAX_AGE_DAYS.
    fresh = tmp_path / "sentiment-fresh.joblib"
    default_module._cached_or_trained(fresh, lambda docs, y, texts: {"trained_on": len(docs)}, segmenter, 50)
    assert sorted(p.name for p in tmp_path.glob("sentiment-*.joblib")) == [
        "sentiment-fresh.joblib", "sentiment-recent.joblib", "sentiment-used.joblib"
    ]
