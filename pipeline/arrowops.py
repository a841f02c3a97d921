"""Vectorised helpers for Arrow-backed string columns (million-row tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def in_values(series: pd.Series, values: "pd.Series | pd.Index | list | set") -> np.ndarray:
    """Boolean mask: which of ``series`` are among ``values`` (compared as strings; missing
    values match nothing).

    Computed by Arrow: pandas' ``isin`` on Arrow strings walks a million values in Python.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def arrow(x) -> pa.ChunkedArray:
        s = x if isinstance(x, pd.Series) else pd.Series(list(x) if isinstance(x, (set, frozenset)) else x, dtype=object)
        arr = pa.chunked_array(pa.array(s.astype("string[pyarrow]").array))
        return arr.cast(pa.large_string())

    if not len(series):
        return np.zeros(0, dtype=bool)
    value_set = arrow(values).combine_chunks()
    return pc.is_in(arrow(series), value_set=value_set, skip_nulls=True).fill_null(False).to_numpy(zero_copy_only=False)
