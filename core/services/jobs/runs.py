"""Reading and retrying recorded jobs, scoped to the actor's workspaces."""

from __future__ import annotations

from sqlalchemy import select

from core import jobs
from core.db import db
from core.errors import Conflict, NotFound
from core.i18n import _
from core.models import JobRun, JobStatus, Role
from core.pagination import Page, paginate
from core.services import audit
from core.services.identity.access import require_role
from core.services.identity.actors import Actor


def get(run_id: str, *, actor: Actor) -> JobRun:
    """A job the actor may see: one of their workspaces', or one they started themselves."""
    run = db.session.get(JobRun, run_id)
    if run is None:
        raise NotFound(_("Job not found."))
    if run.workspace_id is None:
        if run.requested_by_user_id != actor.user_id and not actor.is_platform_admin:
            raise NotFound(_("Job not found."))
        return run
    try:
        require_role(run.workspace_id, actor, Role.MEMBER)
    except NotFound:
        raise NotFound(_("Job not found.")) from None
    return run


def page_for_workspace(
    workspace_id: int, *, actor: Actor, status: str | None = None, cursor: str | None = None, limit: int | None = None
) -> Page:
    """Recent jobs of a workspace, newest first."""
    require_role(workspace_id, actor, Role.MEMBER)
    stmt = select(JobRun).where(JobRun.workspace_id == workspace_id)
    if status:
        stmt = stmt.where(JobRun.status == status)
    return paginate(stmt, [JobRun.created_at, JobRun.id], cursor=cursor, limit=limit, descending=True)


def retry(run_id: str, *, actor: Actor, workspace_id: int | None = None) -> JobRun:
    """Run a failed job again as a new job (owner/admin; of `workspace_id` when given, else NotFound)."""
    run = get(run_id, actor=actor)
    if workspace_id is not None and run.workspace_id != workspace_id:
        raise NotFound(_("Job not found."))
    if run.workspace_id is not None:
        require_role(run.workspace_id, actor, Role.ADMIN)
    if run.status != JobStatus.FAILED.value:
        raise Conflict(_("Only a failed job can be retried."))
    audit.record(actor, "job.retried", workspace_id=run.workspace_id, subject_type="job", subject_id=run.id)
    db.session.commit()
    return jobs.enqueue(
        run.func,
        *run.args,
        kind=run.kind,
        queue=run.queue,
        workspace_id=run.workspace_id,
        requested_by=actor.user_id,
        retry_of=run.id,
    )
