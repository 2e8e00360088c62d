"""The email text of each logical template: a subject, a plain-text body and an HTML body.

The parameters each template needs (a use case that adds a message must give them):

    otp                        code, ttl_minutes
    appointment_confirmation   clinic_name, starts_at (a clinic-local time, as text)
    appointment_reminder       clinic_name, starts_at
    appointment_cancellation   clinic_name, starts_at
    prescription_notice        clinic_name, link (the signed document link)

Content carries the minimum: no diagnosis, no doctor's speciality, no medication names. Mail
passes through servers we do not control and lands on lock screens; the clinic's own pages,
behind sign-in, hold the rest.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from string import Template as Text

from domain.messaging import Template


@dataclass(frozen=True, slots=True)
class EmailText:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class _Spec:
    subject: str
    body: str  # paragraphs separated by blank lines; $names are parameters


_SPECS: dict[Template, _Spec] = {
    Template.OTP: _Spec(
        "Your sign-in code",
        "Your sign-in code is $code. It expires in $ttl_minutes minutes.\n\n"
        "If you did not ask for it, ignore this email: nobody can sign in without the code.",
    ),
    Template.APPOINTMENT_CONFIRMATION: _Spec(
        "Your appointment is booked",
        "Your appointment at $clinic_name on $starts_at is booked.\n\n"
        "To change or cancel it, sign in to the clinic's patient portal.",
    ),
    Template.APPOINTMENT_REMINDER: _Spec(
        "Appointment reminder",
        "A reminder: you have an appointment at $clinic_name on $starts_at.\n\n"
        "To change or cancel it, sign in to the clinic's patient portal.",
    ),
    Template.APPOINTMENT_CANCELLATION: _Spec(
        "Your appointment is cancelled",
        "Your appointment at $clinic_name on $starts_at is cancelled.\n\n"
        "To book another, sign in to the clinic's patient portal.",
    ),
    Template.PRESCRIPTION_NOTICE: _Spec(
        "A document from your clinic is ready",
        "$clinic_name has a new document for you. Open it here after signing in:\n\n$link",
    ),
}


class MissingParameter(ValueError):
    """A message lacks a parameter its template needs: it can never be rendered as it is."""


def render(template: Template, parameters: dict[str, str]) -> EmailText:
    """The email for ``template``; raises MissingParameter naming the first missing one (never
    a value)."""
    spec = _SPECS[template]
    try:
        text = Text(spec.body).substitute(parameters)
        escaped = {name: html.escape(value) for name, value in parameters.items()}
        paragraphs = Text(spec.body).substitute(escaped).split("\n\n")
    except KeyError as missing:
        raise MissingParameter(f"template {template.value} needs parameter {missing.args[0]}") from None
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return EmailText(
        subject=spec.subject,
        text=text + "\n",
        html=f'<!doctype html><html><body style="font-family: sans-serif">{body}</body></html>\n',
    )
