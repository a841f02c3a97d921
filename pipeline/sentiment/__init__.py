"""Review sentiment: a calibrated default model with domain experts, snownlp's Bayes, clause scoring, prior and domain adaptation (ratings or self-training)."""

from pipeline.sentiment.adapt import RatingAdaptedModel, adapt_on_ratings, ratings_to_labels
from pipeline.sentiment.clauses import clause_weights, score_reviews
from pipeline.sentiment.dump import DumpAdaptedModel, adapt_on_dump
from pipeline.sentiment.default import BACKENDS, load_default_model, read_corpus, settings_key
from pipeline.sentiment.evaluation import evaluate, evaluate_band, format_report, label_scores
from pipeline.sentiment.model import SentimentModel
from pipeline.sentiment.prior import estimate_prior, reweight_to_prior
from pipeline.sentiment.snownlp_bayes import SnowNLPBayes

__all__ = [
    "BACKENDS",
    "DumpAdaptedModel",
    "RatingAdaptedModel",
    "SentimentModel",
    "SnowNLPBayes",
    "adapt_on_dump",
    "adapt_on_ratings",
    "clause_weights",
    "estimate_prior",
    "evaluate",
    "evaluate_band",
    "format_report",
    "label_scores",
    "load_default_model",
    "ratings_to_labels",
    "read_corpus",
    "reweight_to_prior",
    "score_reviews",
    "settings_key",
]
