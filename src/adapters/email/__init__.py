"""The email channel: SMTP with aiosmtplib, plain text and HTML from templates."""
