"""Tables of the run store."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workload_name: Mapped[str] = mapped_column(String(64))
    workload_json: Mapped[str] = mapped_column(Text)
    hours: Mapped[float] = mapped_column(Float)
    report_interval_s: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_ns: Mapped[int] = mapped_column(BigInteger)
    started_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ended_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_ns: Mapped[int] = mapped_column(BigInteger)
    verdict: Mapped[str | None] = mapped_column(String(8), nullable=True)
    reasons_json: Mapped[str] = mapped_column(Text, default="[]")
    spec_json: Mapped[str] = mapped_column(Text, default="{}")  # the RunSpec a resumed controller reads
    # A stop asked for by `soak stop` or Ctrl-C; the controller acts on it at its next tick.
    stop_requested_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    progress_json: Mapped[str] = mapped_column(Text, default="{}")  # what `soak status` shows
    checkpoint_json: Mapped[str] = mapped_column(Text, default="{}")  # the controller's resumable totals


class IncarnationRow(Base):
    """Every start of every agent: restarts are data, not noise."""

    __tablename__ = "agent_incarnations"
    __table_args__ = (UniqueConstraint("run_id", "agent_id", "incarnation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    incarnation: Mapped[int] = mapped_column(BigInteger)
    node: Mapped[str | None] = mapped_column(String(128), nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_ns: Mapped[int] = mapped_column(BigInteger)
    ended_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(256), nullable=True)


class EventRow(Base):
    """Control actions and state changes of a run, in order (what a resumed controller reads)."""

    __tablename__ = "run_events"
    __table_args__ = (Index("ix_run_events_run_ts", "run_id", "ts_ns"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    ts_ns: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    detail_json: Mapped[str] = mapped_column(Text, default="{}")


class AckLedgerRow(Base):
    """The latest ack ledger of each producer incarnation: the final check's reference.
    Kept after the producer process is gone, so a restarted producer's earlier
    acknowledgements are still checked."""

    __tablename__ = "ack_ledgers"
    __table_args__ = (UniqueConstraint("run_id", "producer_id", "incarnation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    producer_id: Mapped[str] = mapped_column(String(64))
    incarnation: Mapped[int] = mapped_column(BigInteger)
    acked: Mapped[int] = mapped_column(BigInteger)
    ledger_json: Mapped[str] = mapped_column(Text)
    updated_ns: Mapped[int] = mapped_column(BigInteger)


class FaultRow(Base):
    """One fault of a run: asked for, injected, healed, and how the run recovered.

    A fault in flight (state `active`) is healed by whichever controller reads it next,
    so a controller that dies mid-fault never leaves the fault in place."""

    __tablename__ = "faults"
    __table_args__ = (UniqueConstraint("run_id", "seq"), Index("ix_faults_run_state", "run_id", "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the schedule's n-th; None: on demand
    kind: Mapped[str] = mapped_column(String(32))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(16))  # requested, active, healed, skipped, failed
    skip_heal: Mapped[int] = mapped_column(Integer, default=0)
    target: Mapped[str | None] = mapped_column(String(256), nullable=True)
    handle_json: Mapped[str] = mapped_column(Text, default="{}")  # what heal() needs, kept across restarts
    requested_ns: Mapped[int] = mapped_column(BigInteger)
    started_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    heal_due_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    healed_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    heal_note: Mapped[str | None] = mapped_column(String(512), nullable=True)
    error: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    baseline_json: Mapped[str] = mapped_column(Text, default="null")
    recovery_json: Mapped[str] = mapped_column(Text, default="null")  # the RecoveryWatch
    recovery: Mapped[str | None] = mapped_column(String(16), nullable=True)  # pending, recovered, ...
    recovery_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    anomalies_before_json: Mapped[str] = mapped_column(Text, default="{}")
    integrity_json: Mapped[str] = mapped_column(Text, default="null")  # anomalies during fault + recovery


class ReportRow(Base):
    """A stability report: one per report window, and one for the whole run (`window` -1)."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("run_id", "window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    window: Mapped[int] = mapped_column(Integer)
    start_ns: Mapped[int] = mapped_column(BigInteger)
    end_ns: Mapped[int] = mapped_column(BigInteger)
    verdict: Mapped[str] = mapped_column(String(8))
    report_json: Mapped[str] = mapped_column(Text)
    created_ns: Mapped[int] = mapped_column(BigInteger)


class AlertRow(Base):
    """A detector's alert: kind, subject, evidence, first seen and (once over) resolved."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_run_kind_subject", "run_id", "kind", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128))
    summary: Mapped[str] = mapped_column(String(1024))
    evidence_json: Mapped[str] = mapped_column(Text, default="{}")
    first_seen_ns: Mapped[int] = mapped_column(BigInteger)
    last_seen_ns: Mapped[int] = mapped_column(BigInteger)
    resolved_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class BaselineRow(Base):
    """A run's steady-state summary (median throughput, p99s, ...): the point of this run
    in the across-runs comparison of its workload."""

    __tablename__ = "baselines"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    workload_name: Mapped[str] = mapped_column(String(64), index=True)
    ended_ns: Mapped[int] = mapped_column(BigInteger)
    summary_json: Mapped[str] = mapped_column(Text)
