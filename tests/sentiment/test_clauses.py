import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.sentiment import clause_weights, score_reviews


def test_clauses_contrast_makes_complaint_negative(small_model, tokenize):
    scores, _ = score_reviews(small_model, *tokenize(["房间不错，但是服务太差"]), contrast_weight=2.0)
    assert scores[0] < 0.5


def test_clauses_contrast_order_matters(small_model, tokenize):
    scores, _ = score_reviews(small_model, *tokenize(["房间不错，但是服务太差", "服务太差，但是房间不错"]), contrast_weight=2.0)
    assert scores[1] > scores[0] + 0.1


def test_clauses_negation_is_negative(small_model, tokenize):
    scores, clause_scores = score_reviews(small_model, *tokenize(["不干净", "没有热水", "很干净"]))
    assert scores[0] < 0.5 and scores[1] < 0.5 and scores[2] > 0.5
    assert clause_scores[0][0] < 0.5


def test_clauses_weights_contrast_and_degree():
    w = clause_weights(["房间不错", "但是服务太差", "前台一般"], [["房间", "不错"], ["但是", "服务", "太", "差"], ["前台", "一般"]], contrast_weight=2.0, degree_weight=1.5)
    np.testing.assert_allclose(w, [1.0, 3.0, 2.0])


def test_clauses_one_clause_score_per_clause_and_empty_review(small_model, tokenize):
    clauses, tokens = tokenize(["房间不错，早餐好吃，但是有点吵", ""])
    scores, clause_scores = score_reviews(small_model, clauses, tokens)
    assert [len(c) for c in clause_scores] == [3, 0]
    assert scores[1] == 0.5


class _Spy:
    """A model that records how many documents each ``predict_proba`` call scores."""

    def __init__(self, model) -> None:
        self.model = model
        self.calls: list[int] = []

    def predict_proba(self, docs):
        self.calls.append(len(docs))
        return self.model.predict_proba(docs)


def test_clauses_single_predict_proba_call(small_model, tokenize):
    spy = _Spy(small_model)
    score_reviews(spy, *tokenize(["房间不错，但是服务太差", "很好", "一般般，还行"]))
    assert len(spy.calls) == 1


def test_clauses_mismatched_inputs_raise():
    with pytest.raises(PipelineError, match="must match"):
        score_reviews(None, [["a"]], [])


REVIEWS = ["房间不错，但是服务太差", "很好", "一般般，还行", "早餐很丰富，房间很干净，下次还来", "很好", "隔音太差了，晚上很吵", "没有热水", ""]


def test_clauses_scores_do_not_depend_on_batch_or_memo(small_model, tokenize):
    from pipeline.sentiment.clauses import clear_memo

    clauses, tokens = tokenize(REVIEWS)
    clear_memo()
    whole, whole_clauses = score_reviews(small_model, clauses, tokens)
    clear_memo()
    pieces = [score_reviews(small_model, clauses[i : i + 3], tokens[i : i + 3]) for i in range(0, len(REVIEWS), 3)]
    # Scored again: every clause now comes from the memo.
    again, again_clauses = score_reviews(small_model, clauses, tokens)
    np.testing.assert_array_equal(whole, np.concatenate([p[0] for p in pieces]))
    np.testing.assert_array_equal(whole, again)
    assert whole_clauses == [c for p in pieces for c in p[1]] == again_clauses


def test_clauses_memo_skips_the_model_for_known_clauses(small_model, tokenize):
    from pipeline.sentiment.clauses import clear_memo

    spy = _Spy(small_model)
    clear_memo()
    score_reviews(spy, *tokenize(["房间不错，但是服务太差"]))
    score_reviews(spy, *tokenize(["房间不错", "但是服务太差"]))
    assert spy.calls == [3]  # two clauses and the whole review; the second call needed nothing new


PRAISE, COMPLAINT = ("唯一的优点", "唯一的亮点"), ("唯一的缺点", "美中不足")


def test_clauses_a_reviews_one_exception_is_not_its_verdict(small_model, tokenize):
    """唯一的优点是离地铁近 closes a complaint and 唯一的缺点是隔音一般 a praise: the exception keeps
    its clause score, weighs nothing in the review's, and its marker votes the other way."""
    texts = [
        "房间很脏，前台态度很差，唯一的优点是离地铁近",
        "房间很脏，前台态度很差",
        "房间干净，服务热情，唯一的缺点就是，隔音一般",
        "房间干净，服务热情",
        "唯一的缺点是隔音一般",
        "隔音一般",
    ]
    clauses, tokens = tokenize(texts)
    kw = {"exception_praise": PRAISE, "exception_complaint": COMPLAINT, "opinion": lambda c, t: 0, "lexicon_weight": 1.0}
    scores, clause_scores = score_reviews(small_model, clauses, tokens, **kw)
    plain, plain_clauses = score_reviews(small_model, clauses, tokens, opinion=lambda c, t: 0, lexicon_weight=1.0)

    def logit(p):
        return np.log(p / (1 - p))

    # The exception leaves the review to its other clauses, and the marker counts one opinion.
    assert logit(scores[0]) == pytest.approx(logit(plain[1]) - 1.0)
    assert logit(scores[2]) == pytest.approx(logit(plain[3]) + 1.0)  # 就是 ends the marker's clause: the next is the exception
    assert scores[0] < plain[0] and scores[2] > plain[2]
    assert clause_scores == plain_clauses  # clause scores are what the clauses say
    # A review that is nothing but its exception keeps only the marker's vote.
    assert logit(scores[4]) == pytest.approx(1.0) and scores[5] == plain[5]
    # Without markers configured, nothing changes.
    again, _ = score_reviews(small_model, clauses, tokens, opinion=lambda c, t: 0, lexicon_weight=1.0, exception_praise=(), exception_complaint=())
    np.testing.assert_array_equal(again, plain)
