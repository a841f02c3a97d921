"""feedback: what kind of feedback each review is, how urgent, who owns it, what to do, by when.

Rules, in order:

* **type**: a negative review → ``complaint``; else a suggestion term (建议, 希望, 如果能...)
  → ``suggestion``; else a question → ``question``; else a negative mention →
  ``complaint`` (``mixed`` when the review also praises a dimension); else ``praise`` when
  positive; else ``none``. An escalation term always makes it a complaint.
* **priority**: an escalation term (safety, health, legal) → ``critical`` whatever else the
  review says. Complaints are ``high`` when strongly negative or when the weighted share of
  the negative SERVQUAL dimensions is large, else ``medium``; mixed reviews, suggestions and
  questions are ``low``; praise and none are ``none``.
* **owner**: the escalation rule's owner; else the route for the most important negative
  mention (dimension + sub-aspect, then dimension), the dimension's own owner, the default.
* **due date**: the hard standard for the priority, counted from the review date when
  present, else the run date.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

import pandas as pd

from pipeline.config import Config, FeedbackParams, Priority
from pipeline.stages.base import Resources

logger = logging.getLogger(__name__)

REQUIRES = ("text_clean", "sentiment_score", "sentiment_label", "mentions")
PRODUCES = ("feedback_type", "priority", "owner", "action", "due_date", "escalation")

HIGH_WEIGHT_SUM = 0.35


@dataclass(frozen=True)
class _Decision:
    feedback_type: str
    priority: str
    owner: str
    action: str
    due_date: str
    escalation: str


def find_escalation(text: str, params: FeedbackParams) -> tuple[str, str, str] | None:
    """The first escalation rule whose term appears: (rule name, term, owner)."""
    for rule in params.escalation:
        for term in rule.terms:
            if term in text:
                return rule.name, term, rule.owner
    return None


def _has_any(text: str, terms: list[str]) -> bool:
    return any(t in text for t in terms)


# Words that report a wonder rather than ask (不知道前台是怎么注意到的, 不明白为什么要收押金):
# a question term after one of them asks the hotel nothing, and neither does one right after
# a negator (没怎么涨价, 不怎么样) or after 问 (前台还问有没有淋湿 reports the staff's question),
# unless its sentence ends with a question mark.
INDIRECT_QUESTION = ("不知道", "不清楚", "不明白", "不晓得", "不懂", "想不通", "搞不懂")
NOT_ASKING_BEFORE = ("没", "不", "问", "问我", "问了", "问过")
_SENTENCES = re.compile(r"(?<=[。！!？?；;\n])")


def _asks(text: str, terms: list[str]) -> bool:
    """Whether the review asks something: it ends with a question mark, or a sentence holds a
    question term (请问, 是否, 多少钱...) that asks (see ``INDIRECT_QUESTION``), or a sentence
    holding a question term ends with a question mark."""
    if text.rstrip().endswith(("?", "？")):
        return True
    if not _has_any(text, terms):
        return False
    for sentence in _SENTENCES.split(text):
        found = [(sentence.find(t), t) for t in terms if t in sentence]
        if not found:
            continue
        if sentence.rstrip().endswith(("?", "？")):
            return True
        for pos, term in found:
            before = sentence[:pos]
            if not any(w in before for w in INDIRECT_QUESTION) and (term == "请问" or not before.endswith(NOT_ASKING_BEFORE)):
                return True
    return False


def _route(dimension: str, sub_aspect: str, config: Config) -> tuple[str, str | None]:
    """Owner and optional action for a (dimension, sub-aspect)."""
    params = config.feedback
    for rule in params.routes:
        if rule.dimension == dimension and rule.sub_aspect == sub_aspect:
            return rule.owner, rule.action
    for rule in params.routes:
        if rule.dimension == dimension and rule.sub_aspect is None:
            return rule.owner, rule.action
    spec = config.dimensions.dimensions.get(dimension)
    if spec is not None and spec.owner:
        return spec.owner, None
    return params.default_owner, None


def decide(text: str, score: float, label: str, mentions: list[dict], review_date: str, config: Config, run_date: dt.date) -> _Decision:
    """Type, priority, owner, action and due date for one review."""
    params = config.feedback
    specs = config.dimensions.dimensions
    negative = [m for m in mentions if m.get("polarity") == "negative"]
    positive = [m for m in mentions if m.get("polarity") == "positive"]
    escalation = find_escalation(text, params)

    suggests = _has_any(text, params.suggestion_terms)
    asks = _asks(text, params.question_terms)
    if label == "negative":
        ftype = "complaint"
    elif suggests:
        ftype = "suggestion"
    elif asks:
        ftype = "question"
    elif negative:
        ftype = "mixed" if positive else "complaint"
    elif label == "positive":
        ftype = "praise"
    else:
        ftype = "none"
    if escalation and ftype in ("praise", "none", "suggestion", "question", "mixed"):
        ftype = "complaint"

    neg_dims = {m["dimension"] for m in negative}
    weight_sum = sum(specs[d].weight for d in neg_dims if d in specs and specs[d].servqual)
    if escalation:
        priority = Priority.critical
    elif ftype == "complaint":
        strong = score < params.strong_negative
        priority = Priority.high if strong or weight_sum >= HIGH_WEIGHT_SUM else Priority.medium
    elif ftype in ("mixed", "suggestion", "question"):
        priority = Priority.low
    else:
        priority = Priority.none

    owner, action = "", ""
    if priority is not Priority.none:
        route_action = None
        if escalation:
            owner = escalation[2]
        elif negative:
            top = max(negative, key=lambda m: (specs[m["dimension"]].weight if m["dimension"] in specs else 0.0, -float(m.get("score", 0.5))))
            owner, route_action = _route(top["dimension"], top.get("sub_aspect", ""), config)
        elif ftype == "question":
            owner = params.question_owner
        elif mentions:
            owner, route_action = _route(mentions[0]["dimension"], mentions[0].get("sub_aspect", ""), config)
        else:
            owner = params.default_owner
        standard = params.standards[priority]
        action = route_action or standard.action
        if escalation:
            action = f"[{escalation[0]}:{escalation[1]}] {standard.action}"
        base = _as_date(review_date) or run_date
        due = dt.datetime.combine(base, dt.time()) + dt.timedelta(hours=standard.respond_within_hours)
        due_date = due.date().isoformat()
    else:
        due_date = ""
    return _Decision(ftype, priority.value, owner, action, due_date, f"{escalation[0]}:{escalation[1]}" if escalation else "")


def _as_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def run(df: pd.DataFrame, params: FeedbackParams, res: Resources) -> pd.DataFrame:
    """Classify, prioritise and route every review."""
    config: Config = res.config
    dates = df["date"].fillna("").astype(str).tolist() if "date" in df.columns else [""] * len(df)
    decisions = [
        decide(t, float(s), str(lab), list(m), d, config, res.run_date)
        for t, s, lab, m, d in zip(
            df["text_clean"].astype(str).tolist(),
            df["sentiment_score"].tolist(),
            df["sentiment_label"].astype(str).tolist(),
            df["mentions"].tolist(),
            dates,
        )
    ]
    out = df.copy()
    for field in PRODUCES:
        out[field] = pd.array([getattr(d, field) for d in decisions], dtype="string")
    return out
