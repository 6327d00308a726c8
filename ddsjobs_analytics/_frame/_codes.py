"""Repeating text fields as dictionary codes, from the first batch on: a category list and one integer
per row, never a full string column.

The fields that become categoricals (job name, status, instance id and name, region, project, progress,
``observed_at``, ``utc_offset``) are dictionary-encoded as each batch of records is read, and the batches
joined by unifying their dictionaries: the file's repeated text is held once per distinct value, not once
per row (1M outside-shaped jobs: ~230 MB of strings not copied, ~0.4 s of CPU). Every function here gives
exactly what it would give on the plain string column: the same codes, the same categories in the same
order (first appearance), the same blanks made missing.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "CHUNKED_FIELDS",
    "CODED_FIELDS",
    "STRING_TYPE",
    "categories",
    "dictionary",
    "encode",
    "join",
    "null_blanks",
]

# Fields read as dictionary codes (record names, the ListTasks spelling; both API shapes are merged first).
CODED_FIELDS = frozenset(
    {
        "name",
        "status",
        "progress",
        "instance_id",
        "instance_name",
        "region",
        "project_id",
        "observed_at",
        "utc_offset",
    }
)
# Fields kept in their batches rather than joined: they are parsed batch by batch (``_times``).
CHUNKED_FIELDS = frozenset({"created_at", "ended_at"})
STRING_TYPE = pa.large_string()  # int64 offsets: never chunks, whatever the volume


def encode(strings: pa.Array) -> pa.DictionaryArray:
    """``strings`` as codes into its distinct values (first appearance order; nulls stay null)."""
    return strings.cast(STRING_TYPE).dictionary_encode()


def join(arrays: list[pa.Array], *, chunked: bool = False) -> pa.Array | pa.ChunkedArray:
    """Batches of one field as one array: dictionary batches through one unified dictionary (each batch's
    new values appended in order, so the order is still first appearance over the whole file), plain
    strings concatenated, or with ``chunked`` left as they are (no copy: the time fields are parsed batch
    by batch)."""
    if chunked:
        return pa.chunked_array([array.cast(STRING_TYPE) for array in arrays], type=STRING_TYPE)
    if all(pa.types.is_dictionary(array.type) for array in arrays):
        unified = pa.chunked_array(arrays).unify_dictionaries()
        return pa.concat_arrays(unified.chunks) if unified.num_chunks else arrays[0]
    return pa.concat_arrays([array.cast(STRING_TYPE) for array in arrays])


def dictionary(strings: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Codes (−1 for null) and the distinct strings, in order of first appearance."""
    encoded = strings if pa.types.is_dictionary(strings.type) else strings.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return codes, encoded.dictionary.to_pylist()


def categories(
    strings: pa.Array, *, strip: bool = False, default: str | None = None
) -> tuple[np.ndarray, list[str]]:
    """``dictionary(null_blanks(strings, strip=strip).fill_null(default))``, computed on the distinct
    values when ``strings`` is dictionary-encoded."""
    if not pa.types.is_dictionary(strings.type):
        strings = null_blanks(strings, strip=strip)
        return dictionary(strings if default is None else strings.fill_null(default))
    values = strings.dictionary
    blank = _blank(values, strip)
    codes = strings.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    if default is None:  # blanks dropped from the list: the others keep their order of first appearance
        kept = ~blank
        new = np.append(np.where(kept, np.cumsum(kept) - 1, -1), -1)  # last slot: code −1 stays −1
        return new[codes], values.filter(pa.array(kept)).to_pylist()
    # Blanks and nulls all become ``default``, which may also be there as text: merge, then put the merged
    # list in order of first appearance.
    texts = [default if is_blank else text for text, is_blank in zip(values.to_pylist(), blank, strict=True)]
    merged = list(dict.fromkeys([*texts, default]))
    position = {text: i for i, text in enumerate(merged)}
    table = np.array([*(position[text] for text in texts), position[default]], dtype=np.int64)
    codes = table[codes]
    first = np.full(len(merged), len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    present = np.flatnonzero(first < len(codes))
    order = present[np.argsort(first[present], kind="stable")]
    renumber = np.full(len(merged), -1, dtype=np.int64)
    renumber[order] = np.arange(len(order))
    return renumber[codes], [merged[i] for i in order.tolist()]


def _blank(values: pa.Array, strip: bool) -> np.ndarray:
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    mask = _whitespace_only(values) if strip else pc.equal(values, "")
    return np.asarray(mask.fill_null(True).to_numpy(zero_copy_only=False), dtype=bool)


def null_blanks(strings: pa.Array, *, strip: bool = False) -> pa.Array:
    """``""`` (and, with ``strip``, whitespace-only strings) → null."""
    if len(strings) == 0:
        return strings
    blank = _whitespace_only(strings) if strip else pc.equal(strings, "")
    if not pc.any(blank).as_py():
        return strings
    return pc.if_else(blank, pa.scalar(None, STRING_TYPE), strings)


_HEAD = 64  # characters looked at first when testing for whitespace-only text


def _whitespace_only(strings: pa.Array) -> pa.Array:
    """Which strings hold whitespace only (``""`` too), without trimming a copy of every long text: only the
    first characters are trimmed, and the rare long string whose head is all whitespace is checked whole."""
    head = pc.utf8_slice_codeunits(strings, 0, _HEAD)
    blank = pc.equal(pc.utf8_trim_whitespace(head), "")
    unsure = pc.and_(blank, pc.greater(pc.utf8_length(strings), _HEAD)).fill_null(False)
    if not pc.any(unsure).as_py():
        return blank
    rows = np.flatnonzero(unsure.to_numpy(zero_copy_only=False))
    whole = pc.equal(pc.utf8_trim_whitespace(strings.take(pa.array(rows))), "")
    mask = blank.fill_null(False).to_numpy(zero_copy_only=False).copy()
    mask[rows] = whole.to_numpy(zero_copy_only=False)
    return pa.array(np.where(blank.is_null().to_numpy(zero_copy_only=False), None, mask), type=pa.bool_())
