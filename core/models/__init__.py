"""Every model, imported here so Alembic and relationships see the whole schema."""

from core.models.api_token import ApiToken
from core.models.audit import AuditEntry, Door
from core.models.job_run import JobRun, JobStatus
from core.models.oauth_state import OAuthState
from core.models.social_account import AccountStatus, Platform, SocialAccount
from core.models.user import User
from core.models.workspace import Membership, Role, Workspace

__all__ = ["ApiToken", "AuditEntry", "Door", "JobRun", "JobStatus", "Membership", "Role", "User", "Workspace"]
__all__ += ["AccountStatus", "OAuthState", "Platform", "SocialAccount"]
