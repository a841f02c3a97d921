"""Shared fixtures: a few hand-written reviews, configs pointing into tmp_path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import Config, load_config
from pipeline.stages.base import Resources

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

REVIEWS = [
    ("r1", "房间很干净，床也舒服，前台服务态度很好。", "2026-10-01", "5"),
    ("r2", "房间不错，但是前台办理入住等了四十分钟，服务太差了！", "2026-10-02", "2"),
    ("r3", "卫生间没有热水，打电话给前台半天没人理，再也不会来了。", "2026-10-03", "1"),
    ("r4", "建议早餐增加一些品种，希望下次能有更多水果。", "2026-10-04", "4"),
    ("r5", "請問停車場收費嗎？", "2026-10-05", ""),
    ("r6", "房间里发现蟑螂，太恶心了", "2026-10-06", "1"),
    ("", "位置很方便，离地铁站很近，性价比高。", "2026-10-07", "5"),
    ("r8", "   ", "2026-10-08", "3"),
    ("r9", "👍👍👍", "2026-10-09", "5"),
    ("r1", "房间很干净，床也舒服，前台服务态度很好。", "2026-10-01", "5"),
    ("r10", "房间很干净，床也舒服，前台服务态度很好。", "昨天", "7"),
]


@pytest.fixture
def reviews_csv(tmp_path: Path) -> Path:
    """A small hand-written dump with every kind of row (good, empty, junk, duplicate)."""
    df = pd.DataFrame(REVIEWS, columns=["id", "review", "date", "rating"])
    path = tmp_path / "reviews.csv"
    df.to_csv(path, index=False, encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path, reviews_csv: Path) -> Config:
    """The default config on the small dump, writing into tmp_path."""
    return load_config(
        ROOT / "configs" / "default.yaml",
        {
            "input.path": str(reviews_csv),
            "input.columns": {"id": "id", "text": "review", "date": "date", "rating": "rating"},
            "output.dir": str(tmp_path / "out"),
        },
    )


@pytest.fixture
def resources(config: Config) -> Resources:
    """Resources with no models loaded (stages that need them load their own in tests)."""
    return Resources(config=config, run_date=dt.date(2026, 11, 1))


def pack_matcher(domain_pack: str):
    """(aspect matcher, segmenter keeping its terms whole) for the general pack plus ``domain_pack``."""
    from pipeline.aspects import AspectMatcher
    from pipeline.config import DEFAULT_DIMENSIONS
    from pipeline.lexicon import load_lexicon
    from pipeline.text import get_segmenter

    packs = ROOT / "configs" / "lexicons"
    lex = load_lexicon([packs / "general.yaml", packs / domain_pack], list(DEFAULT_DIMENSIONS))
    return AspectMatcher(lex), get_segmenter(extra_words=tuple(lex.terms()))


def mentions_by_dimension(domain_pack: str):
    """Clause -> {dimension: Mention} with the general pack plus ``domain_pack``."""
    matcher, seg = pack_matcher(domain_pack)

    def run(clause: str) -> dict:
        return {m.dimension: m for m in matcher.match(clause, seg.cut(clause))}

    return run


@pytest.fixture(scope="session")
def match():
    """Clause -> {dimension: Mention} with the general and restaurant lexicon packs."""
    return mentions_by_dimension("restaurant.yaml")


@pytest.fixture(scope="session")
def hotel_match():
    """Clause -> {dimension: Mention} with the general and hotel lexicon packs."""
    return mentions_by_dimension("hotel.yaml")


def shared_file(relative: str) -> Path:
    """A file in ../shared/data, or skip the test when the data is absent."""
    p = SHARED_DATA / relative
    if not p.is_file():
        pytest.skip(f"shared data not available: {p}")
    return p
