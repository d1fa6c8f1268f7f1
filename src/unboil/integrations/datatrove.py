"""datatrove adapters: a pipeline step that cleans each Document, and a near-duplicate filter.

Importing this module needs datatrove (``install unboil[datatrove]``); the rest of unboil does not.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import Any

from unboil.cleaner import Cleaner, default_cleaner
from unboil.errors import InputError
from unboil.integrations import require
from unboil.records import RecordKeys, clean_result_for_record, provenance

require("datatrove", "datatrove", "unboil.integrations.datatrove")

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter

__all__ = ["UnboilCleaner", "UnboilNearDupFilter"]

_KEYS = RecordKeys()


class UnboilCleaner(PipelineStep):
    """Cleans each Document's text (or HTML, with ``html=True``) and records what went where.

    ``metadata["unboil"]`` gets the provenance records get; the step's stats count blocks
    removed per rule (``removed/<rule id>``) and documents that could not be cleaned
    (``unboil_errors``; such a document passes on unchanged, with ``metadata["unboil"]["error"]``).
    The url and title are read from ``metadata["url"]`` and ``metadata["title"]``.
    """

    name = "🧹 unboil"
    type = "✂️ - FORMAT"

    def __init__(self, cleaner: Cleaner | None = None, *, html: bool = False, drop_empty: bool = False) -> None:
        super().__init__()
        self.cleaner = cleaner
        self.html = html
        self.drop_empty = drop_empty

    def clean_document(self, doc: Document) -> bool:
        """Clean one Document in place; False when it is empty afterwards and should be dropped."""
        record = {"id": doc.id, "html" if self.html else "text": doc.text, "metadata": doc.metadata}
        try:
            result = clean_result_for_record(record, self.cleaner or default_cleaner(), _KEYS)
        except (InputError, ValueError) as exc:
            doc.metadata["unboil"] = {"error": str(exc)}
            self.stat_update("unboil_errors")
            return True
        doc.text = result.text
        doc.metadata["unboil"] = provenance(result)
        for rule, count in result.removed_by_rule().items():
            self.stat_update(f"removed/{rule}", value=count)
        self.stat_update("blocks_removed", value=len(result.removed))
        return bool(result.text.strip()) or not self.drop_empty

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """Clean every document of the stream, passing each on (empty ones dropped on request)."""
        for doc in data or ():
            self.stat_update("documents")
            with self.track_time():
                keep = self.clean_document(doc)
            if keep:
                self.update_doc_stats(doc)
                yield doc
            else:
                self.stat_update("dropped_empty")


class UnboilNearDupFilter(BaseFilter):
    """Drops a Document whose text is an exact or near copy of an earlier one (``NearDupIndex``).

    The reason is ``exact_duplicate`` or ``near_duplicate`` (datatrove counts ``dropped_<reason>``),
    and a dropped document's ``metadata["unboil"]`` names the copy it matched (``duplicate_of``)
    and the estimated similarity. Every document is added to the index under its id, so chains of
    near copies are caught; a document whose id is already indexed (seen in an earlier run, with a
    saved index) is compared with everything indexed, itself included, and not added again. The index lives in this step: for several datatrove tasks to
    share one, give a Redis URL as ``storage`` (a file path is loaded at start; call
    ``index.save()`` to keep it).
    """

    name = "🫂 unboil near-dup"

    def __init__(
        self,
        threshold: float = 0.8,
        num_perm: int = 128,
        storage: str | os.PathLike[str] | None = None,
        *,
        index: Any = None,
        exclusion_writer: Any = None,
        batch_size: int = 1,
    ) -> None:
        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        from unboil.dedup import NearDupIndex

        self.index = index if index is not None else NearDupIndex(threshold=threshold, num_perm=num_perm, storage=storage)

    def _verdicts(self, docs: list[Document]) -> list[tuple[Hashable | None, float]]:
        """For each document, the key of the earlier copy it matches (or None) and the similarity."""
        ids = [doc.id for doc in docs]
        if len(set(ids)) == len(ids) and not any(i in self.index for i in ids):
            return self.index.add_many(ids, [doc.text for doc in docs])
        out: list[tuple[Hashable | None, float]] = []
        for doc in docs:
            if doc.id in self.index:  # seen in an earlier run: compared, not added again
                matches = self.index.query(doc.text)
                out.append(matches[0] if matches else (None, 0.0))
            else:
                out.append(self.index.add_many([doc.id], [doc.text])[0])
        return out

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        """Keep the documents that copy nothing seen before; drop the others with a reason."""
        results: list[bool | tuple[bool, str]] = []
        for doc, (match, similarity) in zip(batch, self._verdicts(batch)):
            if match is None:
                results.append(True)
                continue
            kind = "exact_duplicate" if similarity >= 1.0 else "near_duplicate"
            note = doc.metadata.get("unboil")
            note = dict(note) if isinstance(note, dict) else {}
            note.update(duplicate_of=match, similarity=round(float(similarity), 4), duplicate=kind)
            doc.metadata["unboil"] = note
            results.append((False, kind))
        return results

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        """One document: kept, or dropped with the reason."""
        return self.filter_batch([doc])[0]
