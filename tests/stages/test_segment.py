import pandas as pd
import pytest

from pipeline.errors import StageError
from pipeline.stages import segment
from pipeline.text import get_segmenter


def test_segment_clauses_tokens_and_content_tokens(config, resources):
    resources.segmenter = get_segmenter()
    df = pd.DataFrame({"text_clean": ["房间不错，但是服务太差", ""]}, dtype="string")
    out = segment.run(df, config.segment, resources)
    assert out["clauses"].iloc[0] == ["房间不错", "但是服务太差"]
    assert out["clause_tokens"].iloc[0][1][:2] == ["但是", "服务"]
    assert "房间" in out["tokens"].iloc[0]
    assert out["clauses"].iloc[1] == [] and out["tokens"].iloc[1] == []


def test_segment_needs_a_segmenter(config, resources):
    with pytest.raises(StageError, match="needs a segmenter"):
        segment.run(pd.DataFrame({"text_clean": ["好"]}), config.segment, resources)


def test_segment_caps_clause_count(config, resources):
    resources.segmenter = get_segmenter()
    params = config.segment.model_copy(update={"max_clauses": 3})
    out = segment.run(pd.DataFrame({"text_clean": ["好，" * 10]}), params, resources)
    assert len(out["clauses"].iloc[0]) == 3
