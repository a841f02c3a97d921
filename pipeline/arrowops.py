"""Vectorised helpers for Arrow-backed string columns (million-row tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def arrow_strings(x: "pd.Series | pd.Index | list | set") -> "pa.ChunkedArray":
    """Values as an Arrow ``large_string`` array (zero-copy for Arrow-backed pandas strings)."""
    import pyarrow as pa

    s = x if isinstance(x, pd.Series) else pd.Series(list(x) if isinstance(x, (set, frozenset)) else x, dtype=object)
    return pa.chunked_array(pa.array(s.astype("string[pyarrow]").array)).cast(pa.large_string())


def in_values(series: pd.Series, values: "pd.Series | pd.Index | list | set") -> np.ndarray:
    """Boolean mask: which of ``series`` are among ``values`` (compared as strings; missing
    values match nothing).

    Computed by Arrow: pandas' ``isin`` on Arrow strings walks a million values in Python.
    """
    import pyarrow.compute as pc

    if not len(series):
        return np.zeros(0, dtype=bool)
    return pc.is_in(arrow_strings(series), value_set=arrow_strings(values).combine_chunks(), skip_nulls=True).fill_null(False).to_numpy(zero_copy_only=False)


def positions_in(series: pd.Series, values: pd.Series) -> np.ndarray:
    """For each of ``series``, the position of its first equal in ``values``, or -1."""
    import pyarrow.compute as pc

    if not len(series):
        return np.zeros(0, dtype=np.int64)
    found = pc.index_in(arrow_strings(series), value_set=arrow_strings(values).combine_chunks(), skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
