"""E-mail through the SMTP server of the settings (``TEMOIN_SMTP_*``), with the standard library.

No SMTP server configured: nothing is sent and the caller shows what it would have sent (an
invitation's link is always shown to copy). A server that refuses or cannot be reached raises
:class:`MailNotSent`, whose message says why, after the change it announces has been saved.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from temoin.errors import TemoinError
from temoin.messages import Msg
from temoin.settings import Settings

__all__ = ["MailNotSent", "mail_configured", "send_mail"]

TIMEOUT_SECONDS = 15


class MailNotSent(TemoinError):
    """The SMTP server could not be reached or refused the message."""


def mail_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def send_mail(settings: Settings, *, to: str, subject: str, body: str) -> bool:
    """Send a plain-text message; False when no SMTP server is configured."""
    if not mail_configured(settings):
        return False
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailNotSent("mail.not_sent", Msg("The e-mail could not be sent to {to} ({reason}).", to=to,
                                               reason=f"{type(exc).__name__}: {exc}"[:300]),
                          path="email", hint=Msg("Copy the link below and send it yourself.")) from None
    return True
