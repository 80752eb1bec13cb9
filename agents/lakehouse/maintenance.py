"""Table upkeep so that ingestion and queries do not degrade over a 24 h run.

1. Expire snapshots older than `snapshot_max_age_s` (keeping the newest few).
2. Compact each *closed* time partition (partitioned by ingestion time, so no verifier
   writes there any more) that holds many small files into one file.
3. Delete files under the table location that no snapshot or metadata file references,
   once they are older than `orphan_min_age_s` (a commit in flight is never touched).

Every commit carries the consumer state along (see sink_state), and a conflict with a
verifier's concurrent append is retried on fresh metadata.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pyarrow.fs as pafs
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.expressions import And, GreaterThanOrEqual, LessThan
from pyiceberg.table import Table
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from agents.lakehouse.iceberg_sink import state_of
from workloads.specs import MaintenanceSpec

log = logging.getLogger(__name__)
US_PER = {"hour": 3_600_000_000, "day": 86_400_000_000}


@dataclass
class MaintenanceResult:
    expired_snapshots: int = 0
    compacted_partitions: int = 0
    files_rewritten: int = 0
    orphans_deleted: int = 0
    conflicts: int = 0
    skipped: list[str] = field(default_factory=list)


def _retrying(max_attempts: int = 8) -> Retrying:
    return Retrying(retry=retry_if_exception_type(CommitFailedException),
                    wait=wait_random_exponential(multiplier=0.05, max=2.0),
                    stop=stop_after_attempt(max_attempts), reraise=True)


def expire_snapshots(table: Table, now_ms: int, spec: MaintenanceSpec) -> int:
    for attempt in _retrying():
        with attempt:
            table.refresh()
            snapshots = sorted(table.snapshots(), key=lambda s: s.timestamp_ms)
            keep = {s.snapshot_id for s in snapshots[-spec.min_snapshots:]}
            current = table.current_snapshot()
            if current is not None:
                keep.add(current.snapshot_id)
            cutoff = now_ms - int(spec.snapshot_max_age_s * 1000)
            old = [s.snapshot_id for s in snapshots if s.timestamp_ms < cutoff and s.snapshot_id not in keep]
            if not old:
                return 0
            table.maintenance.expire_snapshots().by_ids(old).commit()
            return len(old)
    return 0


def closed_partitions(table: Table, now_us: int, spec: MaintenanceSpec, granularity: str) -> dict[int, int]:
    """{partition value: data file count} for closed partitions worth compacting."""
    width = US_PER[granularity]
    counts: dict[int, int] = {}
    for task in table.scan().plan_files():
        value = task.file.partition[0]
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    closed_before = now_us - int(spec.closed_after_s * 1e6)
    return {v: n for v, n in counts.items() if (v + 1) * width <= closed_before and n >= spec.compact_min_files}


def compact_partition(table: Table, topic: str, value: int, granularity: str) -> int:
    """Rewrite one closed partition as one file; returns how many files it replaced."""
    width = US_PER[granularity]
    lo = datetime.fromtimestamp(value * width / 1e6, tz=timezone.utc).isoformat()
    hi = datetime.fromtimestamp((value + 1) * width / 1e6, tz=timezone.utc).isoformat()
    where = And(GreaterThanOrEqual("ingest_ts", lo), LessThan("ingest_ts", hi))
    for attempt in _retrying():
        with attempt:
            table.refresh()
            files = [t.file for t in table.scan(row_filter=where).plan_files()]
            if len(files) < 2:
                return 0
            rows = table.scan(row_filter=where).to_arrow()
            # The state must stay current on the newest snapshot: carry it along.
            state = state_of(table, topic)
            table.overwrite(rows, overwrite_filter=where, snapshot_properties=state.to_summary())
            return len(files)
    return 0


def referenced_files(table: Table) -> set[str]:
    io = table.io
    refs = {table.metadata_location}
    refs.update(entry.metadata_file for entry in table.metadata.metadata_log)
    seen_manifests: set[str] = set()
    for snapshot in table.snapshots():
        refs.add(snapshot.manifest_list)
        for manifest in snapshot.manifests(io):
            if manifest.manifest_path in seen_manifests:
                continue
            seen_manifests.add(manifest.manifest_path)
            refs.add(manifest.manifest_path)
            # A DELETED entry only says the file left the table; a retained snapshot
            # needs a file only where its entry is live (ADDED or EXISTING).
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
                refs.add(entry.data_file.file_path)
    return {_strip_scheme(r) for r in refs}


def _strip_scheme(uri: str) -> str:
    return uri.split("://", 1)[1] if "://" in uri else uri


def table_filesystem(table: Table) -> tuple[pafs.FileSystem, str]:
    """The table's folder and a file system that reaches it, configured by the table's own
    FileIO (its catalog's properties: an S3 endpoint and keys, say) where it is pyarrow's."""
    io = table.io
    if hasattr(io, "fs_by_scheme"):  # pyiceberg's PyArrowFileIO
        scheme, netloc, path = io.parse_location(table.location(), io.properties)
        return io.fs_by_scheme(scheme, netloc), path
    return pafs.FileSystem.from_uri(table.location())


def delete_orphans(table: Table, now_ns: int, min_age_s: float) -> int:
    table.refresh()
    fs, root = table_filesystem(table)
    referenced = referenced_files(table)
    deleted = 0
    try:
        infos = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    except FileNotFoundError:
        return 0
    for info in infos:
        if info.type != pafs.FileType.File or _strip_scheme(info.path) in referenced:
            continue
        if info.mtime_ns is None or now_ns - info.mtime_ns < min_age_s * 1e9:
            continue  # maybe written by a commit still in flight
        if not (info.path.endswith(".parquet") or info.path.endswith(".avro") or info.path.endswith(".json")):
            continue
        fs.delete_file(info.path)
        deleted += 1
    return deleted


def run_maintenance(table: Table, topic: str, spec: MaintenanceSpec, now_ns: int,
                    granularity: str = "hour") -> MaintenanceResult:
    result = MaintenanceResult()
    result.expired_snapshots = expire_snapshots(table, now_ns // 1_000_000, spec)
    for value in sorted(closed_partitions(table, now_ns // 1000, spec, granularity)):
        try:
            replaced = compact_partition(table, topic, value, granularity)
        except CommitFailedException:
            result.skipped.append(f"partition {value}: kept losing commit races")
            continue
        if replaced:
            result.compacted_partitions += 1
            result.files_rewritten += replaced
    # Compaction's replaced files become unreferenced only once their snapshots expire.
    result.expired_snapshots += expire_snapshots(table, now_ns // 1_000_000, spec)
    result.orphans_deleted = delete_orphans(table, now_ns, spec.orphan_min_age_s)
    return result
