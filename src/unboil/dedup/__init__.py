"""Cross-document deduplication: exact digests, MinHash LSH (batch and incremental), containment."""

from unboil.dedup.batch import (
    KEEP_POLICIES,
    DedupConfig,
    DuplicateGroup,
    dedup_batch,
    find_contained,
    find_duplicates,
)
from unboil.dedup.exact import exact_digest, exact_groups
from unboil.dedup.index import AddResult, IndexFileError, NearDupIndex
from unboil.fingerprint.lsh import LSHParams
from unboil.fingerprint.minhash import MinHashConfig, estimate_jaccard, signatures, to_datasketch

__all__ = [
    "KEEP_POLICIES",
    "AddResult",
    "DedupConfig",
    "DuplicateGroup",
    "IndexFileError",
    "LSHParams",
    "MinHashConfig",
    "NearDupIndex",
    "dedup_batch",
    "estimate_jaccard",
    "exact_digest",
    "exact_groups",
    "find_contained",
    "find_duplicates",
    "signatures",
    "to_datasketch",
]
