"""The ordered stage registry. Config and command line name stages only by these keys."""

from __future__ import annotations

from types import ModuleType

from pipeline.stages import clean, dimensions, feedback, ingest, report, segment, sentiment, topics

STAGES: dict[str, ModuleType] = {
    "ingest": ingest,
    "clean": clean,
    "segment": segment,
    "sentiment": sentiment,
    "topics": topics,
    "dimensions": dimensions,
    "feedback": feedback,
    "report": report,
}
STAGE_NAMES = tuple(STAGES)

__all__ = ["STAGES", "STAGE_NAMES"]
