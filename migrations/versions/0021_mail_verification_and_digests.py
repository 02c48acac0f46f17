"""Verified addresses, and what the digest and alert mails need: a dedupe key and a one-click unsubscribe.

Accounts that existed before verification are taken as verified: they were made before the rule.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 11:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
    op.execute('UPDATE users SET email_verified_at = created_at')

    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('unsubscribe_url', sa.String(length=500), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_mail_messages_dedupe_key'), ['dedupe_key'])


def downgrade():
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_mail_messages_dedupe_key'), type_='unique')
        batch_op.drop_column('unsubscribe_url')
        batch_op.drop_column('dedupe_key')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
