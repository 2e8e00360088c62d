"""Wiring of the prescriptions capability: its use cases, and its repositories per persistence kind.

The shared IdempotencyStore (bookings use it too) is provided here, per persistence kind.
"""

from __future__ import annotations

from datetime import timedelta

from dishka import Provider, Scope, provide, provide_all

from adapters.memory.idempotency import InMemoryIdempotencyStore
from adapters.memory.prescriptions import InMemoryPrescriptionRepository
from adapters.security.document_links import HmacDocumentLinks
from adapters.sql.idempotency import SqlIdempotencyStore
from adapters.sql.prescriptions import SqlPrescriptionRepository
from application.ports.document_links import DocumentLinks
from application.ports.idempotency import IdempotencyStore
from application.ports.prescriptions import PrescriptionRepository
from application.prescriptions.common import LinkPolicy
from application.prescriptions.correct_prescription import CorrectPrescription
from application.prescriptions.get_prescription import GetPrescription
from application.prescriptions.issue_prescription import IssuePrescription
from application.prescriptions.list_prescriptions import ListPrescriptions
from application.prescriptions.open_prescription_document import OpenPrescriptionDocument
from application.prescriptions.verify_prescription import VerifyPrescription
from entrypoints.config import Settings


class PrescriptionsUseCases(Provider):
    scope = Scope.REQUEST

    use_cases = provide_all(
        IssuePrescription,
        CorrectPrescription,
        GetPrescription,
        ListPrescriptions,
        VerifyPrescription,
        OpenPrescriptionDocument,
    )

    @provide(scope=Scope.APP)
    def link_policy(self, settings: Settings) -> LinkPolicy:
        return LinkPolicy(ttl=timedelta(hours=settings.security.prescription_link_ttl_hours))

    @provide(scope=Scope.APP)
    def document_links(self, settings: Settings) -> DocumentLinks:
        # The JWT signing secret (or private key) is the service's signing secret; the adapter
        # derives a key for links alone from it. Rotating JWT_SECRET ends the open links.
        return HmacDocumentLinks(settings.jwt.secret.encode())


class MemoryPrescriptionsProvider(Provider):
    scope = Scope.REQUEST

    prescriptions = provide(InMemoryPrescriptionRepository, provides=PrescriptionRepository)
    idempotency = provide(InMemoryIdempotencyStore, provides=IdempotencyStore)


class SqlPrescriptionsProvider(Provider):
    scope = Scope.REQUEST

    prescriptions = provide(SqlPrescriptionRepository, provides=PrescriptionRepository)
    idempotency = provide(SqlIdempotencyStore, provides=IdempotencyStore)
