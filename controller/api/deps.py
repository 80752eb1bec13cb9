"""What routes get injected: stores on the app's database, the clock, the services."""

from __future__ import annotations

from fastapi import Depends, Request

from agents.clock import Clock
from controller.api.services.faults import FaultService
from controller.api.services.reports import ReportService
from controller.api.services.runs import RunService
from controller.api.services.samples import SampleService
from controller.store.analysis import AnalysisStore
from controller.store.db import Database
from controller.store.faults import FaultStore
from controller.store.runs import RunStore


def database(request: Request) -> Database:
    return request.app.state.db


def clock(request: Request) -> Clock:
    return request.app.state.clock


def run_store(db: Database = Depends(database)) -> RunStore:
    return RunStore(db)


def runs(request: Request, store: RunStore = Depends(run_store), now: Clock = Depends(clock)) -> RunService:
    return RunService(store, now, request.app.state.launcher)


def reports(db: Database = Depends(database), store: RunStore = Depends(run_store)) -> ReportService:
    return ReportService(store, AnalysisStore(db))


def faults(db: Database = Depends(database), store: RunStore = Depends(run_store),
           now: Clock = Depends(clock)) -> FaultService:
    return FaultService(store, FaultStore(db), now)


def samples(store: RunStore = Depends(run_store), now: Clock = Depends(clock)) -> SampleService:
    return SampleService(store, now)
