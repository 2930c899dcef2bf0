"""Background imports: accepted by a request, run by a thread of the serving process, read by id.

A job's state lives in the ``import_jobs`` table, updated as it goes (counts after each embedded
batch), so any worker process can report it. The body stays in memory: a job whose process ended
before it finished cannot be resumed, and is reported as failed ("interrupted") instead of running
for ever. A process recognises such jobs by their ``owner``: host name, process id and the
process's start time (so a later process that happens to get the same id is not mistaken for it).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from broker.errors import BrokerError, NotFound
from broker.models import ImportJob, ImportJobStatus, Role
from broker.ranking.embedding import Encoder
from broker.services.bulk import formats
from broker.services.bulk.ingest import IngestCounts, SessionFactory, run_import, write_session
from broker.services.principal import Principal

log = logging.getLogger(__name__)
UNFINISHED = (ImportJobStatus.queued.value, ImportJobStatus.running.value)
INTERRUPTED = "interrupted: the server process that ran this import stopped before it finished"


@cache
def process_owner() -> str:
    """This process, as named in the jobs it runs: ``host:pid:start time``."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def _start_time(pid: int) -> str:
    try:  # field 22 of /proc/PID/stat, after the parenthesised command name (which may hold spaces)
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def owner_alive(owner: str) -> bool:
    """Whether the process named by ``owner`` still runs (a job on another host counts as alive)."""
    host, _, rest = owner.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname():
        return True  # not ours to judge
    if not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return owner == process_owner()
    return started != "?" and _start_time(int(pid)) == started


def readable_jobs(principal: Principal) -> Select[ImportJob]:
    """The jobs a caller may read: an admin every job, a broker their own (their key's, or as a
    person their own account's; never another's because both are unset)."""
    principal.require(Role.admin, Role.broker)
    statement = select(ImportJob)
    if principal.role == Role.admin:
        return statement
    if principal.user_id is not None:
        return statement.where(ImportJob.user_id == principal.user_id)
    if principal.key_id is None:
        return statement.where(false())
    return statement.where(ImportJob.api_key_id == principal.key_id)


def get_job(session: Session, *, principal: Principal, job_id: int) -> ImportJob:
    """One job; an unfinished job whose process is gone reads as failed (nothing is written here)."""
    job = session.scalar(readable_jobs(principal).where(ImportJob.id == job_id))
    if job is None:
        raise NotFound(f"no import job {job_id}")
    if job.status in UNFINISHED and not owner_alive(job.owner):
        session.expunge(job)  # a GET reads: the failure is stored by the next write (fail_interrupted)
        job.status, job.error = ImportJobStatus.failed.value, INTERRUPTED
    return job


def list_jobs(
    session: Session, *, principal: Principal, status: ImportJobStatus | None, limit: int, offset: int
) -> tuple[list[ImportJob], int]:
    """The caller's readable jobs, newest first, and how many match; unfinished jobs whose process is
    gone read as failed, as in ``get_job``."""
    statement = readable_jobs(principal)
    if status is not None:
        statement = statement.where(ImportJob.status == status.value)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = list(session.scalars(statement.order_by(ImportJob.id.desc()).limit(limit).offset(offset)))
    for job in page:
        if job.status in UNFINISHED and not owner_alive(job.owner):
            session.expunge(job)
            job.status, job.error = ImportJobStatus.failed.value, INTERRUPTED
    return page, total


def fail_interrupted(session: Session) -> int:
    """Store "failed" on every unfinished job whose process is gone; returns how many."""
    jobs = [
        job
        for job in session.scalars(select(ImportJob).where(ImportJob.status.in_(UNFINISHED)))
        if not owner_alive(job.owner)
    ]
    for job in jobs:
        job.status, job.error, job.finished_at = ImportJobStatus.failed.value, INTERRUPTED, datetime.now(UTC)
    return len(jobs)


def submit_job(
    session: Session,
    *,
    principal: Principal,
    fmt: formats.Format,
    kind: str | None,
    partial: bool,
    body_bytes: int,
    text: str,
) -> ImportJob:
    """Record a queued job for this process to run (``start_job`` once the transaction committed).

    The body is parsed here first, so a file that cannot be read is refused at once (422) and no
    job is created; validating its rows, embedding and writing are the job's.
    """
    principal.require(Role.admin, Role.broker)
    formats.parse(text, fmt, kind)
    fail_interrupted(session)
    job = ImportJob(
        status=ImportJobStatus.queued.value,
        api_key_id=principal.key_id or None,
        user_id=principal.user_id,
        caller_name=principal.name,
        caller_role=principal.role.value,
        format=fmt.value,
        kind=kind,
        partial=partial,
        body_bytes=body_bytes,
        owner=process_owner(),
    )
    session.add(job)
    session.flush()
    return job


@dataclass(frozen=True)
class _Work:
    factory: SessionFactory
    job_id: int
    text: str
    encoder: Encoder


_queue: queue.Queue[_Work] = queue.Queue()
_worker_lock = threading.Lock()
_worker: threading.Thread | None = None


def start_job(factory: SessionFactory, *, job_id: int, text: str, encoder: Encoder) -> None:
    """Queue a submitted job for this process's import thread (one import at a time per process)."""
    global _worker
    _queue.put(_Work(factory, job_id, text, encoder))
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work_forever, name="import-jobs", daemon=True)
            _worker.start()


def _work_forever() -> None:
    while True:
        work = _queue.get()
        try:
            run_job(work.factory, job_id=work.job_id, text=work.text, encoder=work.encoder)
        except Exception:  # run_job records failures; this is a failure to record one
            log.exception("import job %s: could not record its outcome", work.job_id)
        finally:
            _queue.task_done()


def run_job(factory: SessionFactory, *, job_id: int, text: str, encoder: Encoder) -> None:
    """Run one submitted job to its end, storing its progress and outcome."""
    with write_session(factory) as session:
        job = session.get_one(ImportJob, job_id)
        job.status, job.started_at = ImportJobStatus.running.value, datetime.now(UTC)
        principal = Principal(
            key_id=job.api_key_id, user_id=job.user_id, name=job.caller_name, role=Role(job.caller_role)
        )
        fmt, kind, partial = formats.Format(job.format), job.kind, job.partial

    def observe(counts: IngestCounts) -> None:
        with write_session(factory) as session:
            _store_counts(session.get_one(ImportJob, job_id), counts)

    try:
        records = formats.parse(text, fmt, kind)
        report = run_import(
            factory, principal=principal, records=records, encoder=encoder, partial=partial, observe=observe
        )
    except BrokerError as exc:
        _finish(factory, job_id, error=str(exc.detail))
        return
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        _finish(factory, job_id, error=f"internal error: {type(exc).__name__}")
        return
    error = None if report.applied else f"nothing imported: {report.problem_count} problems (see the report)"
    _finish(factory, job_id, error=error, report=report.model_dump())


def _store_counts(job: ImportJob, counts: IngestCounts) -> None:
    job.rows_parsed, job.texts_to_embed = counts.rows_parsed, counts.texts_to_embed
    job.texts_embedded, job.rows_written = counts.texts_embedded, counts.rows_written
    job.problem_count = counts.problem_count


def _finish(
    factory: SessionFactory, job_id: int, *, error: str | None, report: dict[str, object] | None = None
) -> None:
    with write_session(factory) as session:
        job = session.get_one(ImportJob, job_id)
        job.status = (ImportJobStatus.failed if error else ImportJobStatus.succeeded).value
        job.error, job.report, job.finished_at = error, report, datetime.now(UTC)
