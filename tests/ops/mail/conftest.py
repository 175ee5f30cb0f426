"""The real SMTP servers of tests/mailservers.py, for the mail use cases."""

from tests.mailservers import smtp_server, smtp_server_ssl, smtp_server_tls

__all__ = ["smtp_server", "smtp_server_ssl", "smtp_server_tls"]
