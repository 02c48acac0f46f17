"""Every model, imported here so Alembic and relationships see the whole schema."""

from core.models.api_token import ApiToken
from core.models.audit import AuditEntry, Door
from core.models.clock import ClockEntry, ClockLease
from core.models.job_run import JobRun, JobStatus
from core.models.oauth_state import OAuthState
from core.models.social_account import AccountStatus, Platform, SocialAccount
from core.models.user import User
from core.models.workspace import Membership, Role, Workspace

__all__ = ["ApiToken", "AuditEntry", "Door", "JobRun", "JobStatus", "Membership", "Role", "User", "Workspace"]
__all__ += ["AccountStatus", "ClockEntry", "ClockLease", "OAuthState", "Platform", "SocialAccount"]
from core.models.collection import AccountCollectionState, MediaState  # noqa: E402
from core.models.interaction import Interaction, InteractionKind, InteractionSource  # noqa: E402
from core.models.lead import Lead, LeadEvent, LeadSource, LeadStatus, LeadTag  # noqa: E402
from core.models.outbox import OutboxEvent  # noqa: E402
from core.models.outreach import (  # noqa: E402
    DM_CLAIMS_COMMENT,
    DirectMessage,
    DmEvent,
    DmKind,
    DmStatus,
    DmTemplate,
    DoNotContact,
    IdempotencyRecord,
    QuotaUsage,
)
from core.models.sequence import EnrollmentStatus, Sequence, SequenceEnrollment  # noqa: E402
from core.models.target import Target  # noqa: E402

__all__ += ["AccountCollectionState", "Interaction", "InteractionKind", "InteractionSource", "MediaState", "Target"]
__all__ += ["DM_CLAIMS_COMMENT", "DirectMessage", "DmEvent", "DmKind", "DmStatus", "DmTemplate", "DoNotContact"]
__all__ += ["EnrollmentStatus", "IdempotencyRecord", "QuotaUsage", "Sequence", "SequenceEnrollment"]
__all__ += ["Lead", "LeadEvent", "LeadSource", "LeadStatus", "LeadTag", "OutboxEvent"]
from core.models.integration import Delivery, DeliveryStatus, ExternalRecord, Integration, IntegrationKind  # noqa: E402

__all__ += ["Delivery", "DeliveryStatus", "ExternalRecord", "Integration", "IntegrationKind"]
from core.models.chat import (  # noqa: E402
    ALERT_KINDS,
    ChatCursor,
    ChatLinkCode,
    ChatMessage,
    ChatMessageStatus,
    ChatProcessed,
    ChatProvider,
    ChatUserLink,
    SlackInstallation,
    TelegramChat,
)

__all__ += ["ChatCursor", "ChatLinkCode", "ChatMessage", "ChatMessageStatus", "ChatProcessed", "ChatProvider"]
__all__ += ["ALERT_KINDS", "ChatUserLink", "SlackInstallation", "TelegramChat"]
from core.models.conversation import Conversation, ConversationRead, ConversationState  # noqa: E402

__all__ += ["Conversation", "ConversationRead", "ConversationState"]
from core.models.console_session import ConsoleSession  # noqa: E402

__all__ += ["ConsoleSession"]
from core.models.mail import MailMessage, MailStatus, PasswordReset  # noqa: E402

__all__ += ["MailMessage", "MailStatus", "PasswordReset"]
from core.models.invitation import Invitation  # noqa: E402

__all__ += ["Invitation"]
from core.models.reading import InteractionLabel, LabelKind, ReaderVersion  # noqa: E402

__all__ += ["InteractionLabel", "LabelKind", "ReaderVersion"]
from core.models.automation import (  # noqa: E402
    AutomationMode,
    AutomationRule,
    AutomationTrigger,
    AutomationVariant,
    TriggerOutcome,
)

__all__ += ["AutomationMode", "AutomationRule", "AutomationTrigger", "AutomationVariant", "TriggerOutcome"]
