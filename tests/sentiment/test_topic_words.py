import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.sentiment import SentimentModel
from pipeline.sentiment.features import count_docs
from pipeline.sentiment.topic_words import jieba_tags, topic_column_scale

# 前台 (a noun) is named by 6 of every 10 complaints and 4 of every 10 praises: it says what
# the review is about, not how it judges. 垃圾 (a noun too) only ever appears in complaints.
POSITIVE = [["前台", "很", "热情"], ["前台", "办理", "很", "快"], ["房间", "干净"], ["早餐", "好吃"], ["位置", "方便"]] * 8
NEGATIVE = [["前台", "态度", "差"], ["前台", "办理", "太", "慢"], ["前台", "很", "冷淡"], ["房间", "很", "脏"], ["垃圾", "酒店"]] * 8
DOCS = POSITIVE + NEGATIVE
Y = np.array([1] * len(POSITIVE) + [0] * len(NEGATIVE))


def test_jieba_tags_reads_the_dictionary_tags():
    tags = jieba_tags()
    assert tags["前台"].startswith("n")
    assert tags["干净"] == "a"


def _scale(scale=0.25):
    model = SentimentModel(min_df=1, char_ngrams=(1, 3), calibration_folds=0, topic_scale=1.0).fit(DOCS, Y)
    vocab = model.vectorizer_.vocabulary_
    return vocab, topic_column_scale(vocab, DOCS, count_docs(model.vectorizer_, DOCS), Y, scale)


def test_topic_scale_marks_weakly_polar_nouns_and_their_characters():
    vocab, scale = _scale()
    assert scale[vocab["前台"]] == pytest.approx(0.25)  # a noun of both kinds of review
    assert scale[vocab["#前台"]] == pytest.approx(0.25)  # the same noun as characters
    assert scale[vocab["#台"]] == pytest.approx(0.25)  # a character only ever seen inside it
    assert scale[vocab["热情"]] == 1.0  # an adjective judges
    assert scale[vocab["垃圾"]] == 1.0  # a noun that judges: strongly polar in the corpus
    assert scale[vocab["#很"]] == 1.0


def test_topic_scale_of_one_is_off():
    assert _scale(1.0)[1] is None


def test_model_topic_scale_shrinks_a_topic_nouns_weight_not_a_judging_words():
    def weights(topic_scale):
        model = SentimentModel(min_df=1, calibration_folds=0, nb_C=0, topic_scale=topic_scale).fit(DOCS, Y)
        coef = model.linear_[0][0]
        vocab = model.vectorizer_.vocabulary_
        return abs(coef[vocab["前台"]]), abs(coef[vocab["热情"]]), model

    topic_off, judging_off, _ = weights(1.0)
    topic_on, judging_on, model = weights(0.25)
    assert topic_on < 0.5 * topic_off
    assert judging_on > 0.8 * judging_off
    # The scaling is folded into the coefficients: scoring takes the raw features as before.
    p = model.predict_proba([["前台"], ["热情"], ["前台", "很", "冷淡"]])[:, 1]
    assert abs(p[0] - 0.5) < abs(p[1] - 0.5)
    assert p[2] < 0.5


def test_model_rejects_topic_scale_out_of_range():
    with pytest.raises(PipelineError, match="topic_scale"):
        SentimentModel(topic_scale=0).fit(DOCS, Y)


def test_count_docs_bulk_equals_sklearns_counts():
    from sklearn.feature_extraction.text import CountVectorizer

    model = SentimentModel(min_df=1, calibration_folds=0, topic_scale=1.0).fit(DOCS, Y)
    vec = model.vectorizer_
    slow = CountVectorizer(analyzer=vec.analyzer, vocabulary=vec.vocabulary_).transform(DOCS)
    assert (count_docs(vec, DOCS) != slow).nnz == 0
