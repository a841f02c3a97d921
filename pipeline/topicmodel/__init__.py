"""Topics of customer reviews: gensim LDA (default) or scikit-learn NMF, k chosen by coherence.

:class:`TopicModel` learns topics from content tokens, is saved and reloaded so topic ids
stay stable from run to run, and assigns each review one topic. :func:`summarize_topics`
builds the rows of topics.csv; :func:`topic_dimension_shares` gives the topic -> dimension
shares used for clauses no lexicon term hits.
"""

from pipeline.topicmodel.coherence import COHERENCE_MEASURES, topic_coherence
from pipeline.topicmodel.model import TopicBackend, TopicModel
from pipeline.topicmodel.summary import TOPIC_PROBABILITY_COLUMN, summarize_topics, topic_dimension_shares

__all__ = [
    "COHERENCE_MEASURES",
    "TOPIC_PROBABILITY_COLUMN",
    "TopicBackend",
    "TopicModel",
    "summarize_topics",
    "topic_coherence",
    "topic_dimension_shares",
]
