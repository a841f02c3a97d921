import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.sentiment import evaluate, format_report, label_scores


def test_evaluation_label_scores_band():
    labels = label_scores([0.1, 0.4, 0.5, 0.6, 0.9], neutral_low=0.4, neutral_high=0.6)
    assert labels.tolist() == ["negative", "neutral", "neutral", "neutral", "positive"]


def test_evaluation_label_scores_rejects_inverted_band():
    with pytest.raises(PipelineError, match="neutral_low <= neutral_high"):
        label_scores([0.5], neutral_low=0.7, neutral_high=0.3)


def test_evaluation_metrics():
    m = evaluate([1, 1, 0, 0], [0.9, 0.4, 0.2, 0.6])
    assert m["accuracy"] == 0.5 and m["n"] == 4
    assert m["confusion_matrix"] == [[1, 1], [1, 1]]
    assert m["auc"] == pytest.approx(0.75)
    assert "macro_f1=0.500" in format_report("toy", m)


def test_evaluation_single_class_has_no_auc():
    assert evaluate(np.ones(3), [0.9, 0.8, 0.2])["auc"] is None


def test_evaluation_band_counts_neutral_apart():
    from pipeline.sentiment import evaluate_band

    band = evaluate_band([1, 1, 0, 0, 1], [0.9, 0.5, 0.2, 0.55, 0.3], neutral_low=0.4, neutral_high=0.6)
    assert band["neutral_share"] == pytest.approx(0.4) and band["decided"] == 3
    assert band["decided_accuracy"] == pytest.approx(2 / 3)
    # evaluate() still counts the neutral reviews, cut at 0.5.
    assert evaluate([1, 1, 0, 0, 1], [0.9, 0.5, 0.2, 0.55, 0.3])["accuracy"] == pytest.approx(0.6)
