"""Re-encrypting secrets under the newest key, batch by batch, safe to interrupt and re-run."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from core import crypto
from core.db import db

log = logging.getLogger(__name__)


@dataclass
class RotationReport:
    primary: str
    columns: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def rotated(self) -> int:
        return sum(c["rotated"] for c in self.columns.values())

    @property
    def failed(self) -> int:
        return sum(c["failed"] for c in self.columns.values())


def rotate_secrets(batch_size: int = 200) -> RotationReport:
    """Re-encrypt every registered secret not under the primary key; commits once per batch."""
    ring = crypto.keyring()
    current_prefix = f"{crypto.FORMAT_VERSION}:{ring.primary}:"
    report = RotationReport(primary=ring.primary)
    for model, attribute, field_name in crypto.ENCRYPTED_COLUMNS:
        column = getattr(model, attribute)
        counts = {"rotated": 0, "failed": 0}
        report.columns[f"{model.__tablename__}.{attribute}"] = counts
        last_id = 0
        while True:
            # Keyset by id, so an unreadable row is skipped once instead of being fetched forever.
            rows = db.session.scalars(
                select(model)
                .where(model.id > last_id, column.is_not(None), ~column.startswith(current_prefix))
                .order_by(model.id)
                .limit(batch_size)
                .with_for_update()
            ).all()
            if not rows:
                break
            for row in rows:
                last_id = row.id
                aad = crypto.associated_data(model.__tablename__, row.id, field_name)
                try:
                    plaintext = ring.decrypt(getattr(row, attribute), aad)
                except crypto.DecryptionError as exc:
                    counts["failed"] += 1
                    log.warning("cannot rotate %s.%s of row %s: %s", model.__tablename__, attribute, row.id, exc)
                    continue
                setattr(row, attribute, ring.encrypt(plaintext, aad))
                counts["rotated"] += 1
            db.session.commit()
    return report
