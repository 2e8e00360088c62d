"""The error catalogue: every failure a client can see, each with a stable code.

Rules:
- A code never changes meaning once published; clients switch on it.
- ``message`` is written for the person reading it and never contains PHI, secrets or SQL.
- ``details`` are optional, per-field hints safe to show (field names and what they expect).
- ``context`` is for logs only and is never sent to a client.
- ``category`` decides the HTTP status in one table at the edge (entrypoints/http/errors.py).
- ``denial`` marks a refused attempt (whatever the code says, a *_NOT_FOUND included): the unit of
  work audits it once, with outcome DENIED, in its own transaction (``take_denial``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from domain.audit import Denial


class ErrorCategory(StrEnum):
    AUTHENTICATION = "authentication"
    AUTHORIZATION = "authorization"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    VALIDATION = "validation"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


class DomainError(Exception):
    """Base of every error with a stable code."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    category: ClassVar[ErrorCategory] = ErrorCategory.INTERNAL
    default_message: ClassVar[str] = "An unexpected error occurred. Please try again later."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        context: str | None = None,
        retry_after: int | None = None,
        denial: Denial | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.context = context
        self.retry_after = retry_after
        self.denial = denial
        super().__init__(self.message)

    def take_denial(self) -> Denial | None:
        """The denial to audit, handed out once: whoever takes it records it."""
        denial, self.denial = self.denial, None
        return denial


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"
    category = ErrorCategory.AUTHENTICATION
    default_message = "Authentication is required. Please sign in and send a valid bearer token."


class TokenExpired(DomainError):
    code = "TOKEN_EXPIRED"
    category = ErrorCategory.AUTHENTICATION
    default_message = "Your session has expired. Please sign in again."


class InsufficientPermissions(DomainError):
    code = "INSUFFICIENT_PERMISSIONS"
    category = ErrorCategory.AUTHORIZATION
    default_message = "You do not have permission to perform this action."


class AccountLocked(DomainError):
    code = "ACCOUNT_LOCKED"
    category = ErrorCategory.RATE_LIMITED
    default_message = "Too many failed attempts. The account is locked for a while; please try again later."


class OtpInvalid(DomainError):
    code = "OTP_INVALID"
    category = ErrorCategory.AUTHENTICATION
    default_message = "The code is invalid or has expired. Please request a new code."


class UserNotFound(DomainError):
    code = "USER_NOT_FOUND"
    category = ErrorCategory.NOT_FOUND
    default_message = "User not found. Please check the user ID and try again."


class UserAlreadyExists(DomainError):
    code = "USER_ALREADY_EXISTS"
    category = ErrorCategory.CONFLICT
    default_message = "This user already exists."


class EmailAlreadyExists(DomainError):
    code = "EMAIL_ALREADY_EXISTS"
    category = ErrorCategory.CONFLICT
    default_message = "An account with this email address already exists."


class PhoneAlreadyExists(DomainError):
    code = "PHONE_ALREADY_EXISTS"
    category = ErrorCategory.CONFLICT
    default_message = "An account with this phone number already exists."


class ClinicNotFound(DomainError):
    code = "CLINIC_NOT_FOUND"
    category = ErrorCategory.NOT_FOUND
    default_message = "Clinic not found. Please check the clinic ID and try again."


class ClinicAccessDenied(DomainError):
    code = "CLINIC_ACCESS_DENIED"
    category = ErrorCategory.AUTHORIZATION
    default_message = "You do not have access to this clinic."


class LocationNotFound(DomainError):
    code = "LOCATION_NOT_FOUND"
    category = ErrorCategory.NOT_FOUND
    default_message = "Location not found. Please check the location ID and try again."


class MembershipAlreadyExists(DomainError):
    code = "MEMBERSHIP_ALREADY_EXISTS"
    category = ErrorCategory.CONFLICT
    default_message = "This user is already a member of the clinic."


class PatientNotFound(DomainError):
    code = "PATIENT_NOT_FOUND"
    category = ErrorCategory.NOT_FOUND
    default_message = "Patient not found. Please check the patient ID and try again."


class ConsentNotFound(DomainError):
    code = "CONSENT_NOT_FOUND"
    category = ErrorCategory.NOT_FOUND
    default_message = "Consent not found. Please check the consent ID and try again."


class AppointmentNotFound(DomainError):
    code = "APPOINTMENT_NOT_FOUND"
    category = ErrorCategory.NOT_FOUND
    default_message = "Appointment not found. Please check the appointment ID and try again."


class AppointmentConflict(DomainError):
    code = "APPOINTMENT_CONFLICT"
    category = ErrorCategory.CONFLICT
    default_message = "This time overlaps another appointment. Please choose another time."


class AppointmentSlotUnavailable(DomainError):
    code = "APPOINTMENT_SLOT_UNAVAILABLE"
    category = ErrorCategory.CONFLICT
    default_message = "This time is not available for booking. Please choose another slot."


class DoctorNotFound(DomainError):
    code = "DOCTOR_NOT_FOUND"
    category = ErrorCategory.NOT_FOUND
    default_message = "Doctor not found. Please check the doctor ID and try again."


class DoctorAlreadyExists(DomainError):
    code = "DOCTOR_ALREADY_EXISTS"
    category = ErrorCategory.CONFLICT
    default_message = "This user already has a doctor profile in the clinic."


class TimeOffNotFound(DomainError):
    code = "TIME_OFF_NOT_FOUND"
    category = ErrorCategory.NOT_FOUND
    default_message = "Time off not found. Please check the ID and try again."


class PatientAlreadyExists(DomainError):
    code = "PATIENT_ALREADY_EXISTS"
    category = ErrorCategory.CONFLICT
    default_message = "This person already has a patient record in the clinic."


class AppointmentTransitionNotAllowed(DomainError):
    code = "APPOINTMENT_TRANSITION_NOT_ALLOWED"
    category = ErrorCategory.CONFLICT
    default_message = "The appointment cannot make this change from its current status."


class AppointmentHoldExpired(DomainError):
    code = "APPOINTMENT_HOLD_EXPIRED"
    category = ErrorCategory.CONFLICT
    default_message = "The hold on this slot has expired. Please book the slot again."


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    category = ErrorCategory.CONFLICT
    default_message = "This Idempotency-Key was already used with a different request."


class PrescriptionNotFound(DomainError):
    code = "PRESCRIPTION_NOT_FOUND"
    category = ErrorCategory.NOT_FOUND
    default_message = "Prescription not found. Please check the prescription ID and try again."


class PrescriptionSuperseded(DomainError):
    code = "PRESCRIPTION_SUPERSEDED"
    category = ErrorCategory.CONFLICT
    default_message = "This prescription version was already corrected. Correct the latest version."


class DocumentLinkInvalid(DomainError):
    code = "DOCUMENT_LINK_INVALID"
    category = ErrorCategory.AUTHENTICATION
    default_message = "This link is invalid or has expired. Please ask the clinic for a new one."


class VersionConflict(DomainError):
    code = "VERSION_CONFLICT"
    category = ErrorCategory.CONFLICT
    default_message = "The resource was changed by someone else. Reload it and try again."


class ValidationFailed(DomainError):
    code = "VALIDATION_ERROR"
    category = ErrorCategory.VALIDATION
    default_message = "The request is not valid. Please check the highlighted fields."


class InvalidEmail(ValidationFailed):
    code = "INVALID_EMAIL"
    default_message = "The email address is not valid."


class InvalidPhone(ValidationFailed):
    code = "INVALID_PHONE"
    default_message = "The phone number is not valid. Use international format, for example +14155550123."


class InvalidUuid(ValidationFailed):
    code = "INVALID_UUID"
    default_message = "The identifier is not a valid UUID."


class HipaaViolation(DomainError):
    code = "HIPAA_VIOLATION"
    category = ErrorCategory.AUTHORIZATION
    default_message = "This operation would disclose protected health information and was refused."


class PhiAccessUnauthorized(DomainError):
    code = "PHI_ACCESS_UNAUTHORIZED"
    category = ErrorCategory.AUTHORIZATION
    default_message = "You are not authorized to access this protected health information."


class ConsentExpired(DomainError):
    code = "CONSENT_EXPIRED"
    category = ErrorCategory.AUTHORIZATION
    default_message = "The patient's consent for this use has expired."


class WebhookSignatureInvalid(DomainError):
    """A webhook whose signature does not match its body under our app secret."""

    code = "WEBHOOK_SIGNATURE_INVALID"
    category = ErrorCategory.AUTHORIZATION
    default_message = "The webhook signature does not match the request body."


class WebhookVerificationFailed(DomainError):
    """A webhook subscription handshake that is not ours (wrong mode or verify token)."""

    code = "WEBHOOK_VERIFICATION_FAILED"
    category = ErrorCategory.AUTHORIZATION
    default_message = "The webhook subscription could not be verified."


class ResourceNotFound(DomainError):
    code = "NOT_FOUND"
    category = ErrorCategory.NOT_FOUND
    default_message = "The requested resource was not found."


class MethodNotAllowed(DomainError):
    code = "METHOD_NOT_ALLOWED"
    category = ErrorCategory.METHOD_NOT_ALLOWED
    default_message = "This method is not allowed on this resource."


class PayloadTooLarge(DomainError):
    code = "PAYLOAD_TOO_LARGE"
    category = ErrorCategory.PAYLOAD_TOO_LARGE
    default_message = "The request body is too large."


class UnsupportedMediaType(DomainError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    category = ErrorCategory.UNSUPPORTED_MEDIA_TYPE
    default_message = "The request body must be JSON (Content-Type: application/json)."


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    category = ErrorCategory.RATE_LIMITED
    default_message = "Too many requests. Please slow down and try again later."


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    category = ErrorCategory.UNAVAILABLE
    default_message = "The service is temporarily unavailable. Please try again shortly."


class TransientFailure(ServiceUnavailable):
    """The store refused this unit for a reason that re-running it may cure (a serialization
    failure, a deadlock, a connection lost before commit). Units of work re-run on it; if it
    still escapes, the client sees 503 and may retry."""


class InternalError(DomainError):
    code = "INTERNAL_ERROR"
    category = ErrorCategory.INTERNAL
    default_message = "An unexpected error occurred. Please try again later."
