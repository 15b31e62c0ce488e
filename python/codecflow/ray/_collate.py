"""A collate function for Dataset.iter_torch_batches that keeps every column."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np
from ray.data.collate_fn import NumpyBatchCollateFn
from codecflow._errors import InvalidTypeError


class TorchCollate(NumpyBatchCollateFn):
    """Makes each batch a dict of torch tensors (numeric columns, on the CPU)
    and lists of str (text columns such as ``path``).

    ``iter_torch_batches`` alone rejects text columns; pass
    ``collate_fn=codecflow.ray.collate_to_torch`` (an instance of this
    class), or ``select_columns`` the numeric columns first. Move the tensors
    to a GPU in the loop (``batch["frames"].to("cuda")``).

    Raises:
        TypeError: for a ragged numeric column (clips of different sizes:
            give the reader a ``Resize`` transform).

    Thread safety: stateless.
    """

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, Any]:
        import torch

        result: Dict[str, Any] = {}
        for name, column in batch.items():
            column = column if isinstance(column, np.ndarray) else np.asarray(column)
            if column.dtype.kind in "biuf":
                # Blocks from the object store are read-only; torch wants writable memory.
                result[name] = torch.from_numpy(
                    column if column.flags.writeable else column.copy()
                )
            elif column.dtype == object and len(column) and isinstance(column[0], np.ndarray):
                raise InvalidTypeError(
                    f"column {name!r} holds arrays of different shapes; resize clips to one size"
                )
            else:
                result[name] = [str(v) for v in column]
        return result


collate_to_torch = TorchCollate()
